"""`douane evaluate` end to end on inert fake corpora: records, report, figures, re-made report."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from douane.cli import app
from douane.dataset.manifest import BENIGN, MALICIOUS, Sample, write_manifest
from douane.evaluation.evaluate import EvalConfig, evaluate
from douane.evaluation.records import read_records
from douane.evaluation.runner import select
from tests.archive.builders import encrypted_zip
from tests.conftest import BENIGN_SETUP, INERT_STEALER_SETUP, make_sdist


@pytest.fixture
def corpora(tmp_path: Path) -> tuple[Path, Path]:
    stealer = make_sdist(tmp_path / "inert_demo-1.0.tar.gz", {"setup.py": INERT_STEALER_SETUP})
    wrapped = tmp_path / "inert_demo-1.0.tar.gz.zip"
    wrapped.write_bytes(encrypted_zip([(stealer.name, stealer.read_bytes())], b"infected"))
    tree = tmp_path / "2024-06-01-treepkg-v1.0.zip"
    tree.write_bytes(encrypted_zip([("treepkg-1.0/setup.py", INERT_STEALER_SETUP)], b"infected"))
    garbage = tmp_path / "garbage-1.0.tar.gz.zip"
    garbage.write_bytes(encrypted_zip([("garbage-1.0.tar.gz", b"\0not an archive" * 10)],
                                      b"infected"))  # fmt: skip
    mal = [
        Sample(MALICIOUS, "inert-demo", "1.0", stealer.name, "a" * 64, "2024-05-01",
               "malregistry", str(wrapped), "password-zip", "g1"),
        Sample(MALICIOUS, "treepkg", "1.0", "2024-06-01-treepkg-v1.0", "b" * 64, "2024-06-01",
               "datadog:malicious_intent", str(tree), "password-zip-tree", "g2"),
        Sample(MALICIOUS, "garbage", "1.0", "garbage-1.0.tar.gz", "c" * 64, "2023-01-01",
               "malregistry", str(garbage), "password-zip", "g3"),
        Sample(MALICIOUS, "labelonly", "1.0", "", "", "2024-01-01", "osv:MAL-1"),
    ]  # fmt: skip
    write_manifest(mal, tmp_path / "mal" / "manifest.csv")
    benign_dir = tmp_path / "benign"
    benign_dir.mkdir()
    with (benign_dir / "manifest.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["name", "version", "filename", "sha256", "size", "upload_time", "stratum",
                    "kind", "path"])  # fmt: skip
        for i, stratum in enumerate(["popular", "longtail", "longtail"]):
            p = make_sdist(benign_dir / f"tidy{i}-1.0.tar.gz", {"setup.py": BENIGN_SETUP},
                           root=f"tidy{i}-1.0")  # fmt: skip
            w.writerow([f"tidy{i}", "1.0", p.name, f"{i}" * 64, p.stat().st_size,
                        "2025-01-01T00:00:00", stratum, "sdist", str(p)])  # fmt: skip
    return tmp_path / "mal" / "manifest.csv", benign_dir / "manifest.csv"


def test_evaluate_writes_one_record_per_artifact_and_a_report(corpora, tmp_path):
    mal, ben = corpora
    out = tmp_path / "eval"
    report = evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1))
    records = list(read_records(out / "results.jsonl"))
    assert len(records) == 6  # 3 scannable malware + 3 benign; the label-only row is not scanned
    assert report["selection"]["label_only"] == {MALICIOUS: 1, BENIGN: 0}
    by_name = {r.name: r for r in records}
    assert by_name["garbage"].verdict == "error" and by_name["garbage"].error
    assert by_name["treepkg"].verdict != "error", by_name["treepkg"].error  # tree shim works
    # the report's counts are the records' counts, errors apart
    op = report["summary"]["operating_points"]["flagged"]
    mal_scored = [r for r in records if r.label == MALICIOUS and not r.is_error]
    assert op["tp"] == sum(r.flagged for r in mal_scored)
    assert op["tp"] + op["fn"] == len(mal_scored) == 2
    assert op["malicious_errors"] == 1
    assert op["fp"] == sum(r.flagged for r in records if r.label == BENIGN)
    assert set(report["summary"]["by_stratum"]) == {"popular", "longtail"}
    for name in ("report.json", "report.md", "recall_vs_fpr.png", "rule_hits.png"):
        assert (out / name).stat().st_size > 0
    md = (out / "report.md").read_text()
    assert "## Flagged benign files" in md and "## Scan errors (1)" in md
    assert (out / "recall_vs_fpr.png").read_bytes()[:4] == b"\x89PNG"


def test_since_keeps_only_recent_malware(corpora):
    from douane.dataset.manifest import read_manifest

    mal, ben = (read_manifest(p) for p in corpora)
    sel = select(mal, ben, since=date(2024, 5, 15))
    assert sorted(s.name for s in sel.samples if s.label == MALICIOUS) == ["treepkg"]
    assert sel.before_since == 2
    assert len([s for s in sel.samples if s.label == BENIGN]) == 3


def test_limits_take_a_seeded_random_subset(corpora):
    from douane.dataset.manifest import read_manifest

    mal, ben = (read_manifest(p) for p in corpora)
    a = select(mal, ben, limit_benign=2, seed=3)
    b = select(mal, ben, limit_benign=2, seed=3)
    assert [s.name for s in a.samples] == [s.name for s in b.samples]
    assert sum(s.label == BENIGN for s in a.samples) == 2 and a.limited == {BENIGN: 1}


def test_cli_evaluate_then_report_only(corpora, tmp_path):
    mal, ben = corpora
    out = tmp_path / "cli-eval"
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", "--malicious", str(mal), "--benign", str(ben),
                              "--out", str(out), "--jobs", "2", "--rules-only"])  # fmt: skip
    assert res.exit_code == 0, res.output
    first = json.loads((out / "report.json").read_text())
    assert first["meta"]["scoring"].startswith("rules weighting")
    res = runner.invoke(app, ["evaluate", "--report-only", "--out", str(out),
                              "--since", "2024-05-15"])  # fmt: skip
    assert res.exit_code == 0, res.output
    again = json.loads((out / "report.json").read_text())
    assert again["summary"]["verdicts"]["malicious"]["total"] == 1  # only treepkg is that recent
    assert again["summary"]["verdicts"]["benign"] == first["summary"]["verdicts"]["benign"]


def test_cli_evaluate_bad_manifest_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n")
    res = CliRunner().invoke(app, ["evaluate", "-m", str(bad), "-b", str(bad),
                                   "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2
    assert "missing columns" in res.output


def test_resume_keeps_good_records_and_rescans_errors(corpora, tmp_path):
    """Regression: an interrupted or overloaded run must not scan everything again, nor
    freeze its errors."""
    mal, ben = corpora
    out = tmp_path / "eval"
    evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1))
    first = {(r.label, r.name): r for r in read_records(out / "results.jsonl")}
    report = evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1, resume=True))
    again = {(r.label, r.name): r for r in read_records(out / "results.jsonl")}
    assert again.keys() == first.keys()
    errors = sum(r.is_error for r in first.values())
    assert report["run"]["reused"] == len(first) - errors
    assert report["run"]["scanned"] == errors  # only the error records were scanned again
    kept = [k for k, r in first.items() if not r.is_error]
    assert all(again[k].elapsed_ms == first[k].elapsed_ms for k in kept)


def test_resume_never_mixes_scanners(corpora, tmp_path, monkeypatch):
    """Regression: records from another version of the rules/model must be scanned again,
    or one report would credit one scanner with another's recall."""
    import douane.evaluation.evaluate as ev

    mal, ben = corpora
    out = tmp_path / "eval"
    monkeypatch.setattr(ev, "code_id", lambda: "old-scanner")
    evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1))
    monkeypatch.setattr(ev, "code_id", lambda: "new-scanner")
    report = evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1, resume=True))
    assert report["run"]["reused"] == 0
    assert report["summary"]["scanners"] == {"new-scanner-default": 6}
    assert {r.code for r in read_records(out / "results.jsonl")} == {"new-scanner-default"}
    # the same code with the rules weighting instead of the model is another scanner too
    report = evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1, resume=True,
                                 rules_only=True))  # fmt: skip
    assert report["run"]["reused"] == 0


OLD_SETUP = b'import os\nfrom setuptools import setup\nos.system("make docs")\nsetup(name="d")\n'
NEW_SETUP = OLD_SETUP.replace(b"setup(name", b'os.popen("uname -a")\nsetup(name')


def test_previous_path_column_scans_in_diff_mode_and_no_diff_ignores_it(corpora, tmp_path):
    """The same benign files evaluated with and without their previous release as baseline."""
    mal, _ = corpora
    old = make_sdist(tmp_path / "d-1.0.tar.gz", {"setup.py": OLD_SETUP}, root="d-1.0")
    new = make_sdist(tmp_path / "d-1.1.tar.gz", {"setup.py": NEW_SETUP}, root="d-1.1")
    same = make_sdist(tmp_path / "e-1.1.tar.gz", {"setup.py": OLD_SETUP}, root="e-1.1")
    missing = tmp_path / "absent-1.0.tar.gz"
    rows = [
        Sample(BENIGN, "d", "1.1", new.name, "d" * 64, "2025-01-01", "benign:popular", str(new),
               stratum="popular", previous_version="1.0", previous_path=str(old)),
        Sample(BENIGN, "e", "1.1", same.name, "e" * 64, "2025-01-01", "benign:popular",
               str(same), stratum="popular", previous_version="1.0", previous_path=str(old)),
        Sample(BENIGN, "f", "1.1", same.name, "f" * 64, "2025-01-01", "benign:popular",
               str(same), stratum="popular", previous_version="1.0",
               previous_path=str(missing)),
    ]  # fmt: skip
    write_manifest(rows, tmp_path / "pairs" / "manifest.csv")
    ben = tmp_path / "pairs" / "manifest.csv"
    assert "previous_path" in ben.read_text().splitlines()[0]

    def run(diff: bool) -> tuple[dict, dict]:
        out = tmp_path / f"eval-{diff}"
        report = evaluate(EvalConfig(malicious=mal, benign=ben, out=out, jobs=1,
                                     limit_malicious=0, diff=diff))  # fmt: skip
        return report, {r.name: r for r in read_records(out / "results.jsonl")}

    with_diff, recs = run(True)
    # os.popen is new in 1.1 (DOU201 and the diff rules' notes on it), os.system is not
    assert recs["d"].new_findings == 3 and recs["d"].findings == 5
    assert recs["e"].new_findings == 0
    assert recs["f"].new_findings is None  # the baseline could not be read: not diffed
    d = with_diff["summary"]["diff"]
    assert d["files_with_baseline"] == 2 and d["new_findings"] == 3
    assert d["findings"] == recs["d"].findings + recs["e"].findings
    assert with_diff["meta"]["diff"] is True and not with_diff["meta"]["code"].endswith("nodiff")
    assert "Diff mode: 2 files" in (tmp_path / "eval-True" / "report.md").read_text()
    without, recs = run(False)
    assert {r.new_findings for r in recs.values()} == {None}
    assert without["summary"]["diff"]["files_with_baseline"] == 0
    assert without["meta"]["code"].endswith("-nodiff")


def test_records_keep_the_rules_verdict_beside_the_scorers(corpora, tmp_path):
    """One run gives both false-positive rates; with --rules-only the two verdicts agree."""
    mal, ben = corpora
    report = evaluate(EvalConfig(malicious=mal, benign=ben, out=tmp_path / "r", jobs=1,
                                 rules_only=True))  # fmt: skip
    records = list(read_records(tmp_path / "r" / "results.jsonl"))
    scored = [r for r in records if not r.is_error]
    assert scored and all(r.rules_verdict == r.verdict for r in scored)
    rw = report["summary"]["rules_weighting"]
    op = dict(report["summary"]["operating_points"]["flagged"])
    op.pop("definition")
    assert rw["flagged"] == op
    assert "Same findings under the rules weighting" in (tmp_path / "r" / "report.md").read_text()
