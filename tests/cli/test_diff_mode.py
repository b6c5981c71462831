"""Diff mode: findings carry `new`, for local pairs (--previous) and index projects (auto)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from douane.cli import app
from tests.conftest import make_sdist

runner = CliRunner()
OLD_SETUP = b'import os\nfrom setuptools import setup\nos.system("make docs")\nsetup(name="d")\n'
NEW_SETUP = OLD_SETUP.replace(b"setup(name", b'os.popen("uname -a")\nsetup(name')


def _findings(doc: dict) -> dict[str, bool | None]:
    return {f"{f['rule']}:{f['line']}": f["new"] for f in doc["results"][0]["findings"]}


def test_local_previous_marks_new_and_old(tmp_path: Path):
    old = make_sdist(tmp_path / "d-1.0.tar.gz", {"setup.py": OLD_SETUP}, root="d-1.0")
    new = make_sdist(tmp_path / "d-1.1.tar.gz", {"setup.py": NEW_SETUP}, root="d-1.1")
    res = runner.invoke(app, ["scan", str(new), "--previous", str(old), "-f", "json"])
    found = _findings(json.loads(res.stdout))
    assert found["DOU201:3"] is False  # os.system was already there
    assert found["DOU201:4"] is True  # os.popen is new in 1.1


def test_index_project_is_diffed_against_previous_release(fake_index, tmp_path, monkeypatch):
    fake_index.add_release("demo-pkg", "1.0", wheel=False, files={"setup.py": OLD_SETUP})
    fake_index.add_release("demo-pkg", "1.1", wheel=False, files={"setup.py": NEW_SETUP})
    monkeypatch.setenv("DOUANE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DOUANE_JSON_API_URL", fake_index.json_url)
    res = runner.invoke(app, ["scan", "demo-pkg==1.1", "--index-url", fake_index.url, "-f", "json"])
    doc = json.loads(res.stdout)
    assert doc["results"][0]["version"] == "1.1"
    found = _findings(doc)
    assert found["DOU201:3"] is False
    assert found["DOU201:4"] is True
    res = runner.invoke(
        app, ["scan", "demo-pkg==1.1", "--no-diff", "--index-url", fake_index.url, "-f", "json"]
    )
    assert set(_findings(json.loads(res.stdout)).values()) == {None}


def test_requirements_file_scans_each_pin(fake_index, tmp_path, monkeypatch):
    fake_index.add_release("demo-pkg", "1.0", wheel=False, files={"setup.py": OLD_SETUP})
    fake_index.add_release("other-pkg", "2.0", sdist=False)
    req = tmp_path / "requirements.txt"
    req.write_text("demo-pkg==1.0  # pinned\nother-pkg\n\nnot a requirement ===\n")
    monkeypatch.setenv("DOUANE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DOUANE_JSON_API_URL", fake_index.json_url)
    res = runner.invoke(
        app, ["scan", "-r", str(req), "--no-diff", "--index-url", fake_index.url, "-f", "json"]
    )
    doc = json.loads(res.stdout)
    got = {(r["name"], r["version"], r["verdict"]) for r in doc["results"] if r["name"]}
    assert ("demo-pkg", "1.0", "clean") in got
    assert ("other-pkg", "2.0", "clean") in got
    errors = [r for r in doc["results"] if r["verdict"] == "error"]
    assert errors and errors[0]["target"].endswith("requirements.txt:4")
    assert res.exit_code == 2  # a line could not be resolved, nothing flagged


def _scan(*args: str) -> dict:
    res = runner.invoke(app, ["scan", *args, "-f", "json"])
    return json.loads(res.stdout)["results"][0]


def test_new_evidence_weighs_more_and_old_evidence_less_in_the_verdict(tmp_path: Path):
    """Both scorers (model and rules weighting): the same release scores higher when its
    evidence is new since the previous release, and lower when it was already there."""
    old = make_sdist(tmp_path / "d-1.0.tar.gz", {"setup.py": OLD_SETUP}, root="d-1.0")
    new = make_sdist(tmp_path / "d-1.1.tar.gz", {"setup.py": NEW_SETUP}, root="d-1.1")
    same = make_sdist(tmp_path / "d-1.2.tar.gz", {"setup.py": NEW_SETUP}, root="d-1.2")
    for scorer in ([], ["--rules-only"]):
        alone = _scan(str(new), *scorer)
        hijack = _scan(str(new), "--previous", str(old), *scorer)
        unchanged = _scan(str(same), "--previous", str(new), *scorer)
        assert unchanged["score"] < alone["score"] < hijack["score"], scorer
        if not scorer:
            assert hijack["explanation"][0].startswith("diff: new findings")
            assert unchanged["explanation"][0].startswith("diff: no finding is new")
