"""DOU1107 end to end: the index source tells the scanner how many releases came before."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from douane.cli import app
from tests.conftest import make_sdist

runner = CliRunner()


def _rules(doc: dict) -> set[str]:
    return {f["rule"] for r in doc["results"] for f in r["findings"]}


def _scan_index(fake_index, tmp_path: Path, monkeypatch, target: str) -> dict:
    monkeypatch.setenv("DOUANE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DOUANE_JSON_API_URL", fake_index.json_url)
    res = runner.invoke(app, ["scan", target, "--index-url", fake_index.url, "-f", "json"])
    return json.loads(res.stdout)


def test_first_release_at_99_flags(fake_index, tmp_path, monkeypatch):
    fake_index.add_release("acme-billing-client", "99.0.0")
    doc = _scan_index(fake_index, tmp_path, monkeypatch, "acme-billing-client")
    assert len(doc["results"]) == 2  # the sdist and the wheel, each flagged
    for result in doc["results"]:
        assert "DOU1107" in {f["rule"] for f in result["findings"]}


def test_established_project_at_99_does_not_flag(fake_index, tmp_path, monkeypatch):
    for v in ("1.0", "2.0", "3.0", "98.0", "99.0.0", "99.1.0"):
        fake_index.add_release("acme-legacy", v, wheel=False)
    doc = _scan_index(fake_index, tmp_path, monkeypatch, "acme-legacy==99.1.0")
    assert doc["results"][0]["version"] == "99.1.0"
    assert "DOU1107" not in _rules(doc)


def test_local_file_at_99_does_not_flag(tmp_path: Path):
    """A local file has no index history: DOU1107 stays silent (DOU1003 still notes 99)."""
    pkg = make_sdist(
        tmp_path / "acme_billing_client-99.0.0.tar.gz",
        {"PKG-INFO": b"Metadata-Version: 2.1\nName: acme-billing-client\nVersion: 99.0.0\n"},
        root="acme_billing_client-99.0.0",
    )
    res = runner.invoke(app, ["scan", str(pkg), "-f", "json"])
    doc = json.loads(res.stdout)
    assert "DOU1107" not in _rules(doc)
    assert "DOU1003" in _rules(doc)
