"""Importing malware corpora: each layout listed, every sample verified in memory, problems kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from douane.cli import app
from douane.dataset.containers import PASSWORD_ZIP, PASSWORD_ZIP_TREE
from douane.dataset.malicious import (
    DatasetError,
    DatasetFormat,
    detect_format,
    import_malicious,
    parse_datadog_name,
)
from douane.dataset.manifest import FIELDS, MALICIOUS, read_manifest


def test_malregistry_import_verifies_hashes_and_records_mismatches(malregistry, tmp_path):
    out = tmp_path / "out"
    report = import_malicious(malregistry, out)
    samples = read_manifest(out / "manifest.csv")
    assert report.format == "malregistry"
    assert {s.name for s in samples} == {"10Cent10", "11cent", "lonely"}
    assert all(s.label == MALICIOUS and s.container == PASSWORD_ZIP for s in samples)
    assert all(Path(s.path).is_file() for s in samples)
    # the corrupted row is a recorded problem, not a silently trusted sample
    problems = list(csv.DictReader((out / "problems.csv").open()))
    assert [p["name"] for p in problems] == ["broken"]
    assert problems[0]["reason"].startswith("sha256-mismatch")
    summary = json.loads((out / "import.json").read_text())
    assert summary["problems"] == 1 and summary["imported"] == 3


def test_manifest_has_the_normalised_columns(malregistry, tmp_path):
    import_malicious(malregistry, tmp_path / "out")
    with (tmp_path / "out" / "manifest.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header[: len(FIELDS)] == list(FIELDS)


def test_import_groups_a_campaign(malregistry, tmp_path):
    import_malicious(malregistry, tmp_path / "out")
    groups = {s.name: s.group for s in read_manifest(tmp_path / "out")}
    assert groups["10Cent10"] == groups["11cent"]
    assert groups["lonely"] != groups["10Cent10"]


def test_missing_sample_file_is_a_problem(malregistry, tmp_path):
    next((malregistry / "samples" / "lonely").rglob("*.zip")).unlink()
    report = import_malicious(malregistry, tmp_path / "out")
    assert any(p.name == "lonely" and p.reason.startswith("missing") for p in report.problems)


def test_datadog_layouts_tree_and_flat(datadog, tmp_path):
    assert detect_format(datadog) is DatasetFormat.DATADOG
    report = import_malicious(datadog, tmp_path / "out")
    samples = {s.name: s for s in read_manifest(tmp_path / "out")}
    assert set(samples) == {"evilpkg", "oldpkg"}
    tree, flat = samples["evilpkg"], samples["oldpkg"]
    assert tree.container == PASSWORD_ZIP_TREE and tree.version == "1.0"
    assert tree.first_seen == "2024-05-01" and tree.source == "datadog:malicious_intent"
    assert flat.container == PASSWORD_ZIP and flat.version == "0.9.3"
    assert flat.filename == "oldpkg-0.9.3.tar.gz"
    assert len(tree.sha256) == 64 and len(flat.sha256) == 64
    assert any("without a sample" in n for n in report.notes)  # "gone" is listed, not shipped


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("2023-03-20-pydefender-v1.0.0.zip", ("2023-03-20", "pydefender", "1.0.0")),
        ("2023-03-18:pylibutil:0.9.3.zip", ("2023-03-18", "pylibutil", "0.9.3")),
        ("2024-01-02-my-v-pkg-v2.zip", ("2024-01-02", "my-v-pkg", "2")),
        ("README.zip", None),
    ],
)
def test_parse_datadog_name(filename, expected):
    assert parse_datadog_name(filename) == expected


def test_osv_reports_are_label_only(osv, tmp_path):
    assert detect_format(osv) is DatasetFormat.OSV
    report = import_malicious(osv, tmp_path / "out")
    samples = read_manifest(tmp_path / "out")
    assert sorted((s.name, s.version) for s in samples) == [
        ("allbad", ""), ("typosquat", "1.0"), ("typosquat", "1.1")]  # fmt: skip
    assert all(not s.scannable and s.source.startswith("osv:MAL-") for s in samples)
    assert {s.first_seen for s in samples} == {"2024-02-03", "2024-03-01"}
    assert report.label_only == 3 and report.imported == 0
    assert any("unreadable" in n for n in report.notes)


def test_unknown_layout_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no malregistry"):
        import_malicious(tmp_path / "empty", tmp_path / "out")


def test_cli_import_then_group(malregistry, tmp_path):
    out = tmp_path / "cli-out"
    runner = CliRunner()
    res = runner.invoke(app, ["dataset", "import-malicious", str(malregistry), "--out", str(out),
                              "--jobs", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert len(read_manifest(out)) == 3
    res = runner.invoke(app, ["dataset", "group", str(out / "manifest.csv"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["samples"] == 3 and summary["groups"] == 2


def test_cli_import_bad_path_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["dataset", "import-malicious", str(tmp_path / "nope"),
                                   "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2


def test_known_malicious_list_is_rebuilt_from_osv_reports(osv, tmp_path, monkeypatch):
    from tests.conftest import make_sdist

    legit = tmp_path / "legit.txt"
    legit.write_text("allbad\n")
    out = tmp_path / "known.txt"
    res = CliRunner().invoke(app, ["dataset", "known-malicious", str(osv), "-o", str(out),
                                   "--legitimate", str(legit)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert [ln for ln in out.read_text().splitlines() if not ln.startswith("#")] == ["typosquat"]
    # the rebuilt list is what DOU1005 reads: a release depending on the reported name flags
    monkeypatch.setenv("DOUANE_KNOWN_MALICIOUS", str(out))
    setup = b'from setuptools import setup\nsetup(name="x", install_requires=["typosquat>=1"])\n'
    sdist = make_sdist(tmp_path / "x-1.0.tar.gz", {"setup.py": setup}, root="x-1.0")
    res = CliRunner().invoke(app, ["scan", str(sdist), "--rules-only", "-f", "json"])
    rules = {f["rule"] for f in json.loads(res.stdout)["results"][0]["findings"]}
    assert "DOU1005" in rules


def test_known_malicious_refuses_a_dataset_without_names(tmp_path):
    res = CliRunner().invoke(app, ["dataset", "known-malicious", str(tmp_path / "missing")])
    assert res.exit_code == 2
