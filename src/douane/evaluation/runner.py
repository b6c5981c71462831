"""Scans a labelled selection of samples in parallel and streams each outcome to ``results.jsonl``.

Samples are read through the scanner exactly as an index would hand them over (dataset
samples stay inside their password zip, in memory). Every sample ends as one record,
errors included, so nothing drops out of a denominator unseen.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

from douane.archive import ArchiveError, open_bytes
from douane.dataset.containers import PASSWORD_ZIP_TREE, read_tree_zip, repack_tree
from douane.dataset.manifest import BENIGN, MALICIOUS, Sample
from douane.domain import Artifact, ScanResult
from douane.evaluation.records import EvalRecord, read_records, record_for
from douane.parallel import imap_unordered
from douane.scanner import ScanOptions, scan_many


@dataclass
class Selection:
    """Which samples an evaluation covers, and how many were left out for each reason."""

    samples: list[Sample]
    label_only: dict[str, int] = field(default_factory=dict)
    before_since: int = 0
    no_date: int = 0
    limited: dict[str, int] = field(default_factory=dict)


def parse_day(value: str) -> date | None:
    """The calendar day at the start of an ISO date or timestamp, or None."""
    try:
        return date.fromisoformat(value.strip()[:10])
    except (ValueError, AttributeError):
        return None


def select(
    malicious: Sequence[Sample],
    benign: Sequence[Sample],
    *,
    since: date | None = None,
    limit_malicious: int | None = None,
    limit_benign: int | None = None,
    seed: int = 0,
) -> Selection:
    """Scannable samples of both labels, malware filtered by ``since`` (first seen ≥ DATE).

    Limits take a seeded random subset, not the first rows: manifests are sorted by name
    and a prefix would be one campaign.
    """
    sel = Selection(samples=[])
    for label, rows, limit in ((MALICIOUS, malicious, limit_malicious),
                               (BENIGN, benign, limit_benign)):  # fmt: skip
        rows = [s for s in rows if s.label == label]
        scannable = [s for s in rows if s.scannable]
        sel.label_only[label] = len(rows) - len(scannable)
        if label == MALICIOUS and since is not None:
            kept = []
            for s in scannable:
                day = parse_day(s.first_seen)
                if day is None:
                    sel.no_date += 1
                elif day < since:
                    sel.before_since += 1
                else:
                    kept.append(s)
            scannable = kept
        if limit is not None and 0 <= limit < len(scannable):
            sel.limited[label] = len(scannable) - limit
            scannable = random.Random(seed).sample(scannable, limit)
        sel.samples.extend(scannable)
    return sel


def scan_tree_sample(artifact: Artifact, options: ScanOptions) -> ScanResult:
    """Scan a sample stored as a password zip of an *unpacked* release (DataDog's layout).

    Shim until the scanner reads this container itself: the tree is read and repacked
    in memory, then analysed and scored exactly as ``scan_artifact`` would.
    """
    from douane.analysis.engine import BudgetExceeded as AnalysisBudgetExceeded
    from douane.analysis.engine import analyse
    from douane.scanner import _error, rules_stats, score_findings

    started = time.perf_counter()
    deadline = time.monotonic() + options.time_budget_s
    try:
        data = repack_tree(read_tree_zip(artifact.path, options.limits))
        opened = open_bytes(data, artifact.filename + ".zip", limits=options.limits,
                            deadline=deadline)  # fmt: skip
        result = analyse(artifact, opened, deadline=deadline)
        score, verdict, reasons = score_findings(result.findings, result.context, options)
    except AnalysisBudgetExceeded:
        return _error(artifact, "time budget exceeded", started)
    except ArchiveError as exc:
        return _error(artifact, f"cannot open archive: {exc}", started)
    except (OSError, RecursionError, MemoryError) as exc:
        return _error(artifact, f"{type(exc).__name__}: {exc}", started)
    findings = tuple(sorted(result.findings, key=lambda f: (-f.severity, f.file, f.line or 0)))
    return ScanResult(
        target=artifact.target or str(artifact.path), filename=artifact.filename,
        name=artifact.name, version=artifact.version, sha256=artifact.sha256,
        verdict=verdict, score=score, findings=findings,
        elapsed_ms=(time.perf_counter() - started) * 1000, kind=opened.kind,
        explanation=reasons,
        stats=rules_stats(result.findings),
    )  # fmt: skip


def _scan_trees(artifacts: list[Artifact], options: ScanOptions, jobs: int) -> Iterator[ScanResult]:
    if jobs <= 1:
        for a in artifacts:
            yield scan_tree_sample(a, options)
        return
    from douane.scanner import _error

    for out in imap_unordered(partial(scan_tree_sample, options=options), artifacts, jobs):
        yield out.result or _error(out.item, f"worker failed: {out.error}", time.perf_counter())


@dataclass
class RunStats:
    """What one scanning pass cost, measured around it (not per worker)."""

    scanned: int = 0
    reused: int = 0  # records taken from an earlier pass (--resume), not timed here
    wall_s: float = 0.0
    jobs: int = 1
    self_max_rss_mb: float = 0.0
    children_max_rss_mb: float = 0.0
    # 1-minute load average before and after: wall-clock times on a shared machine mean
    # little without it
    load_before: float = 0.0
    load_after: float = 0.0

    @property
    def artifacts_per_s(self) -> float:
        return self.scanned / self.wall_s if self.wall_s > 0 else 0.0


def max_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child (Linux: KiB)."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(self_kb * scale, 1), round(child_kb * scale, 1)


def _key(label: str, sha256: str, filename: str) -> tuple[str, str, str]:
    return (label, sha256, filename)


def run(
    samples: Sequence[Sample],
    options: ScanOptions,
    jobs: int,
    out: Path,
    on_record: Callable[[EvalRecord], None] | None = None,
    resume: bool = False,
    code: str = "",
    diff: bool = True,
) -> tuple[list[EvalRecord], RunStats]:
    """Scan every sample and append its record to ``out`` as soon as it is known.

    With ``resume``, records already in ``out`` for samples of this selection are kept and
    only the rest is scanned; earlier ``error`` records are scanned again (an interrupted
    or overloaded run should not freeze its failures), and so is every record another
    scanner produced (its ``code`` differs from ``code``): one report, one scanner.
    ``stats`` covers this pass only. With ``diff``, a sample with a ``previous_path`` is
    scanned against that release as its baseline.
    """
    stats = RunStats(jobs=jobs)
    records: list[EvalRecord] = []
    if resume and out.is_file():
        wanted = {_key(s.label, s.sha256, s.filename) for s in samples}
        seen: set[tuple[str, str, str]] = set()
        for rec in read_records(out):
            key = _key(rec.label, rec.sha256, rec.filename)
            if key in wanted and key not in seen and not rec.is_error and rec.code == code:
                seen.add(key)
                records.append(rec)
        reused = Counter(_key(r.label, r.sha256, r.filename) for r in records)
        todo = []
        for s in samples:  # a sample listed twice is scanned twice, as without resume
            key = _key(s.label, s.sha256, s.filename)
            if reused[key] > 0:
                reused[key] -= 1
            else:
                todo.append(s)
        stats.reused = len(records)
        samples = todo
    plain: list[tuple[Artifact, Sample]] = []
    trees: list[tuple[Artifact, Sample]] = []
    for i, s in enumerate(samples):
        a = replace(s.artifact(diff), target=f"#{i}")
        (trees if s.container == PASSWORD_ZIP_TREE else plain).append((a, s))
    by_target = {a.target: s for a, s in plain + trees}
    stats.load_before = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    with out.open("w", encoding="utf-8") as handle:
        for rec in records:
            handle.write(rec.to_json() + "\n")
        handle.flush()

        def take(result: ScanResult) -> None:
            rec = record_for(by_target[result.target], result, code)
            records.append(rec)
            handle.write(rec.to_json() + "\n")
            handle.flush()
            stats.scanned += 1
            if on_record:
                on_record(rec)

        for result in scan_many([a for a, _ in plain], options, jobs=jobs):
            take(result)
        for result in _scan_trees([a for a, _ in trees], options, jobs):
            take(result)
    stats.wall_s = time.perf_counter() - started
    stats.load_after = round(os.getloadavg()[0], 2)
    stats.self_max_rss_mb, stats.children_max_rss_mb = max_rss_mb()
    return records, stats
