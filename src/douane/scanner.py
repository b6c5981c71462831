"""One scan from artifact to ScanResult (open safely → analyse → score), alone or in parallel.

``scan_artifact`` never raises: anything that stops a scan becomes a result with verdict
``error`` and the reason, so a batch never loses work and never reports a silent "clean".
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from douane.analysis.context import ArtifactContext
from douane.analysis.diff import mark_new
from douane.analysis.engine import BudgetExceeded as AnalysisBudgetExceeded
from douane.analysis.engine import analyse
from douane.archive import (
    ArchiveError,
    Limits,
    Opened,
    open_artifact,
    open_bytes,
    read_password_zip,
)
from douane.archive import BudgetExceeded as ArchiveBudgetExceeded
from douane.domain import Artifact, ArtifactKind, Finding, ScanResult, Verdict
from douane.parallel import imap_unordered
from douane.scoring.verdict import rules_score

DEFAULT_BUDGET_S = 60.0


@dataclass(frozen=True)
class ScanOptions:
    limits: Limits = field(default_factory=Limits)
    time_budget_s: float = DEFAULT_BUDGET_S
    rules_only: bool = False
    previous: Artifact | None = None  # diff mode: the release before this one


def _error(
    artifact: Artifact, reason: str, started: float, kind=ArtifactKind.UNKNOWN
) -> ScanResult:
    return ScanResult(
        target=artifact.target or str(artifact.path),
        filename=artifact.filename,
        name=artifact.name,
        version=artifact.version,
        sha256=artifact.sha256,
        verdict=Verdict.ERROR,
        score=0.0,
        error=reason,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        kind=kind,
        ecosystem=artifact.ecosystem,
    )


def _open(
    artifact: Artifact, options: ScanOptions, deadline: float, data: bytes | None = None
) -> Opened:
    if data is not None:
        return open_bytes(data, artifact.filename, limits=options.limits, deadline=deadline)
    return open_artifact(artifact.path, filename=artifact.filename, limits=options.limits,
                         deadline=deadline)  # fmt: skip


def _unwrap(artifact: Artifact, options: ScanOptions) -> bytes | None:
    """Bytes of an artifact held in a dataset's password zip (decryption is not scan time:
    an index never hands us password zips, and ZipCrypto in Python runs at ~1 MB/s)."""
    if artifact.container == "password-zip":
        return read_password_zip(artifact.path, limits=options.limits)[1]
    return None


def score_findings(
    findings: list[Finding], context: ArtifactContext | None, options: ScanOptions
) -> tuple[float, Verdict, tuple[str, ...]]:
    """Model score when a model ships and is enabled, else the documented rules weighting."""
    if not options.rules_only and context is not None:
        try:
            from douane.scoring import model as model_mod
        except ImportError:
            model_mod = None  # type: ignore[assignment]
        if model_mod is not None and getattr(model_mod, "available", lambda: False)():
            return model_mod.predict(findings, context)
    return rules_score(findings)


def rules_stats(findings: list[Finding]) -> dict[str, str | float]:
    """The documented rules weighting's verdict and score beside the model's: one evaluation
    run then compares both scorers on the same findings."""
    score, verdict, _ = rules_score(findings)
    return {"rules_verdict": str(verdict), "rules_score": round(score, 4)}


def scan_artifact(artifact: Artifact, options: ScanOptions | None = None) -> ScanResult:
    """Scan one artifact within its time budget; never raises."""
    options = options or ScanOptions()
    started = time.perf_counter()
    kind = ArtifactKind.UNKNOWN
    try:
        data = _unwrap(artifact, options)
        started = time.perf_counter()
        previous_ctx = None
        prev_artifact = artifact.previous or options.previous
        if prev_artifact is not None:
            # diff is a bonus: the previous release gets half a budget of its own, and when
            # it cannot be read in time the new release is still scanned, with its full budget
            prev_deadline = time.monotonic() + options.time_budget_s / 2
            try:
                prev_data = _unwrap(prev_artifact, options)
                prev_opened = _open(prev_artifact, options, prev_deadline, prev_data)
                previous_ctx = analyse(prev_artifact, prev_opened, deadline=prev_deadline).context
            except (ArchiveError, ArchiveBudgetExceeded, AnalysisBudgetExceeded):
                previous_ctx = None
        deadline = time.monotonic() + options.time_budget_s
        opened = _open(artifact, options, deadline, data)
        kind = opened.kind
        result = analyse(artifact, opened, deadline=deadline, previous=previous_ctx)
        if previous_ctx is not None:
            result.findings[:] = mark_new(result.findings, previous_ctx.findings)
        score, verdict, reasons = score_findings(result.findings, result.context, options)
        findings = tuple(sorted(result.findings, key=lambda f: (-f.severity, f.file, f.line or 0)))
        stats = {**result.stats, **rules_stats(result.findings)}
        if prev_artifact is not None:  # was the diff baseline actually read (evaluation counts)
            stats = {**stats, "baseline": previous_ctx is not None}
        return ScanResult(
            target=artifact.target or str(artifact.path),
            filename=artifact.filename,
            name=artifact.name,
            version=artifact.version,
            sha256=artifact.sha256,
            verdict=verdict,
            score=score,
            findings=findings,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            kind=kind,
            ecosystem=artifact.ecosystem,
            explanation=reasons,
            stats=stats,
        )
    except (ArchiveBudgetExceeded, AnalysisBudgetExceeded):
        return _error(artifact, "time budget exceeded", started, kind)
    except ArchiveError as exc:
        return _error(artifact, f"cannot open archive: {exc}", started, kind)
    except (OSError, RecursionError, MemoryError) as exc:
        return _error(artifact, f"{type(exc).__name__}: {exc}", started, kind)


# Python's cyclic collector runs a young-generation pass every 700 new container objects and
# a full pass, over every object alive, every 100 of those. A parse allocates millions of AST
# nodes that hold no cycles, so on large releases the collector re-walked the rules, the
# model and the live trees over and over: a quarter of the CPU of the slowest benign files
# (20 of the 1 % slowest: 72.9 s -> 54.7 s; the largest worker's peak RSS unchanged).
GC_THRESHOLDS = (10_000, 10, 10)


def tune_gc() -> None:
    """Freeze what is loaded once (rules, names, model) out of the collector's sight and let
    it run less often; cycles made by a scan are still collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _worker_init() -> None:
    # Load rules once per worker, before the first artifact, so timing is per-artifact work.
    from douane.analysis.engine import default_rules
    from douane.analysis.names import popular_index

    default_rules()
    popular_index()
    from douane.scoring import model as model_mod

    model_mod.load()
    tune_gc()


def scan_many(
    artifacts: Iterable[Artifact],
    options: ScanOptions | None = None,
    jobs: int = 1,
    on_result: Callable[[ScanResult], None] | None = None,
) -> Iterator[ScanResult]:
    """Scan many artifacts in ``jobs`` worker processes; results arrive as they finish.

    A worker that dies (segfault, OOM kill) costs only its artifact, reported as ``error``.
    """
    options = options or ScanOptions()
    if jobs <= 1:
        _worker_init()  # load rules, names index and model before the first timed scan
        for a in artifacts:
            r = scan_artifact(a, options)
            if on_result:
                on_result(r)
            yield r
        return
    for out in imap_unordered(
        partial(scan_artifact, options=options), artifacts, jobs, initializer=_worker_init
    ):
        r = out.result
        if r is None:
            r = _error(out.item, f"worker failed: {out.error}", time.perf_counter())
        if on_result:
            on_result(r)
        yield r


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def with_target(a: Artifact, target: str) -> Artifact:
    return replace(a, target=target)


def local_artifact(path: Path) -> Artifact:
    """An Artifact for a local path without going through a source (tests, benchmarks)."""
    return Artifact(path=path, filename=path.name, target=str(path))
