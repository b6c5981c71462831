"""`douane scan` end to end on inert local artifacts: output formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from douane.cli import app

runner = CliRunner()


def test_clean_exit_zero_and_json(benign_sdist: Path):
    res = runner.invoke(app, ["scan", str(benign_sdist), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["results"][0]["verdict"] == "clean"
    assert doc["results"][0]["sha256"]


def test_unreadable_exit_two(tmp_path: Path):
    bad = tmp_path / "x-1.0.tar.gz"
    bad.write_bytes(b"junk")
    res = runner.invoke(app, ["scan", str(bad), "--format", "json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["results"][0]["verdict"] == "error"


def test_missing_target_is_error_result(tmp_path: Path):
    res = runner.invoke(app, ["scan", str(tmp_path / "nope.whl"), "--format", "json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout)["results"][0]["error"]


def test_rule_command_prints_doc():
    res = runner.invoke(app, ["rule", "DOU201"])
    assert res.exit_code == 0
    assert "Why it matters" in res.output


def test_sarif_output_file(benign_sdist: Path, tmp_path: Path):
    out = tmp_path / "out.sarif"
    res = runner.invoke(app, ["scan", str(benign_sdist), "--format", "sarif", "-o", str(out)])
    assert res.exit_code == 0
    assert json.loads(out.read_text())["version"] == "2.1.0"
