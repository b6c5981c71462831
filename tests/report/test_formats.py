"""Every output format renders the same shared results; JSON and SARIF are compared parsed."""

from __future__ import annotations

import json

import pytest

from douane.domain import Confidence, Family, Finding, ScanResult, Severity, Verdict, Where
from douane.report.interface import OutputFormat

FINDING = Finding(
    rule="DOU201",
    name="shell_command_execution",
    family=Family.PROCESS,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    file="setup.py",
    line=3,
    snippet='os.system("echo hi")',
    message="`os.system` runs a command through the shell",
    where=Where.INSTALL,
)
RESULTS = [
    ScanResult(
        target="demo==1.0",
        filename="demo-1.0.tar.gz",
        name="demo",
        version="1.0",
        sha256="ab" * 32,
        verdict=Verdict.SUSPICIOUS,
        score=0.61,
        findings=(FINDING,),
        elapsed_ms=4.2,
    ),
    ScanResult(
        target="broken.zip",
        filename="broken.zip",
        name=None,
        version=None,
        sha256=None,
        verdict=Verdict.ERROR,
        score=0.0,
        error="cannot open archive: not a recognised archive",
    ),
]


def test_json_schema_fields():
    doc = json.loads(OutputFormat.JSON.formatter().render(RESULTS))
    assert doc["summary"] == {"malicious": 0, "suspicious": 1, "clean": 0, "error": 1}
    first = doc["results"][0]
    for key in (
        "target",
        "name",
        "version",
        "sha256",
        "verdict",
        "score",
        "findings",
        "elapsed_ms",
    ):
        assert key in first
    f = first["findings"][0]
    assert f == {
        "rule": "DOU201",
        "name": "shell_command_execution",
        "family": "process",
        "severity": "low",
        "confidence": "high",
        "file": "setup.py",
        "line": 3,
        "snippet": 'os.system("echo hi")',
        "message": "`os.system` runs a command through the shell",
        "where": "install",
        "new": None,
    }
    assert doc["results"][1]["verdict"] == "error"
    assert doc["results"][1]["error"].startswith("cannot open archive")


def test_sarif_locates_findings():
    doc = json.loads(OutputFormat.SARIF.formatter().render(RESULTS))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["DOU201"]
    (res,) = run["results"]
    assert res["ruleId"] == "DOU201"
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "demo-1.0.tar.gz/setup.py"
    assert loc["region"]["startLine"] == 3
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "broken.zip" in notes[0]["message"]["text"]


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders(fmt):
    out = fmt.formatter().render(RESULTS)
    assert "demo" in out
