"""The scanner turns any artifact into a result: findings and a verdict, or a recorded error."""

from __future__ import annotations

from pathlib import Path

from douane import scanner
from douane.domain import Verdict
from douane.scanner import ScanOptions, local_artifact, scan_artifact, scan_many


def test_benign_sdist_is_clean(benign_sdist: Path):
    r = scan_artifact(local_artifact(benign_sdist))
    assert r.verdict is Verdict.CLEAN, r.explanation
    assert r.error is None
    assert r.elapsed_ms > 0


def test_garbage_file_is_error_not_clean(tmp_path: Path):
    """Regression: an unreadable archive must never be reported as clean."""
    bad = tmp_path / "broken-1.0.tar.gz"
    bad.write_bytes(b"\x00garbage" * 100)
    r = scan_artifact(local_artifact(bad))
    assert r.verdict is Verdict.ERROR
    assert r.error and "archive" in r.error


def test_time_budget_gives_error(benign_sdist: Path):
    r = scan_artifact(local_artifact(benign_sdist), ScanOptions(time_budget_s=-1))
    assert r.verdict is Verdict.ERROR
    assert r.error == "time budget exceeded"


def test_scan_many_parallel_matches_serial(benign_sdist: Path, tmp_path: Path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    arts = [local_artifact(benign_sdist), local_artifact(bad)] * 2
    serial = sorted((r.filename, r.verdict) for r in scan_many(arts, jobs=1))
    parallel = sorted((r.filename, r.verdict) for r in scan_many(arts, jobs=2))
    assert serial == parallel
    assert len(parallel) == 4


def test_slow_previous_release_costs_the_diff_not_the_scan(
    stealer_sdist: Path, benign_sdist: Path, monkeypatch
):
    """The previous release has half a budget of its own: when it runs out, the new release
    is still scanned with its full budget, without a diff baseline."""
    import douane.scanner as scanner
    from douane.analysis.engine import BudgetExceeded

    real = scanner.analyse

    def slow_previous(artifact, opened, **kw):
        if artifact.path == benign_sdist:
            raise BudgetExceeded
        return real(artifact, opened, **kw)

    monkeypatch.setattr(scanner, "analyse", slow_previous)
    options = ScanOptions(previous=local_artifact(benign_sdist))
    res = scan_artifact(local_artifact(stealer_sdist), options)
    assert res.verdict is Verdict.MALICIOUS
    assert res.stats["baseline"] is False
    assert all(f.new is None for f in res.findings)


def test_a_worker_freezes_what_it_loaded_and_collects_less_often(tmp_path: Path):
    """Set once per worker, before the first artifact (see scanner.GC_THRESHOLDS)."""
    import gc

    before = gc.get_threshold()
    try:
        (tmp_path / "m.py").write_text("x = 1\n")
        list(scanner.scan_many([local_artifact(tmp_path)], scanner.ScanOptions(), jobs=1))
        assert gc.get_threshold() == scanner.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
