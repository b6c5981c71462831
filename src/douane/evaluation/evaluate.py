"""One evaluation end to end: manifests → selection → parallel scan → records → report."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import douane
from douane.dataset.manifest import read_manifest
from douane.evaluation.metrics import summarise
from douane.evaluation.provenance import code_id
from douane.evaluation.records import RESULTS, EvalRecord, read_records
from douane.evaluation.report import CURVE_PNG, REPORT_JSON, RULES_PNG, write_report
from douane.evaluation.runner import RunStats, Selection, parse_day, run, select
from douane.scanner import ScanOptions


@dataclass(frozen=True)
class EvalConfig:
    malicious: Path
    benign: Path
    out: Path
    since: date | None = None
    jobs: int = 1
    limit_malicious: int | None = None
    limit_benign: int | None = None
    rules_only: bool = False
    seed: int = 0
    time_budget_s: float = 60.0
    resume: bool = False
    diff: bool = True  # scan rows with a previous_path against that release (diff mode)


def _commit() -> str | None:
    """The checkout's commit, marked ``+dirty`` when src/ has uncommitted changes (the scan
    then ran code no commit holds)."""
    repo = Path(douane.__file__).resolve().parents[2]

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                                  text=True, timeout=10, check=False)  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=all", "--", "src")
    return f"{head}+dirty" if dirty else head


def scoring_name(rules_only: bool) -> str:
    """Which scorer produced the verdicts, as the scanner decides it."""
    if rules_only:
        return "rules weighting (--rules-only)"
    try:
        from douane.scoring import model
    except ImportError:
        return "rules weighting (no model shipped)"
    return "model" if getattr(model, "available", lambda: False)() else "rules weighting"


def scanner_id(rules_only: bool, diff: bool = True) -> str:
    """Code id plus scoring mode: the same code scores differently with ``--rules-only``,
    and without the previous release as baseline (``--no-diff``)."""
    return f"{code_id()}-{'rules' if rules_only else 'default'}" + ("" if diff else "-nodiff")


def _meta(cfg: EvalConfig) -> dict:
    from douane.analysis.registry import all_rules

    return {
        "command": shlex.join(["douane", *sys.argv[1:]])
        if Path(sys.argv[0]).name == "douane" else shlex.join(sys.argv),
        "version": douane.__version__,
        "commit": _commit(),
        "code": scanner_id(cfg.rules_only, cfg.diff),
        "diff": cfg.diff,
        "rules": len(list(all_rules())),
        "scoring": scoring_name(cfg.rules_only),
        "cpus": os.cpu_count(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "malicious_manifest": str(cfg.malicious),
        "benign_manifest": str(cfg.benign),
        "since": cfg.since.isoformat() if cfg.since else None,
        "seed": cfg.seed,
        "limit_malicious": cfg.limit_malicious,
        "limit_benign": cfg.limit_benign,
        "time_budget_s": cfg.time_budget_s,
        "resume": cfg.resume,
    }  # fmt: skip


def _selection_dict(sel: Selection) -> dict:
    return {"label_only": sel.label_only, "before_since": sel.before_since,
            "no_date": sel.no_date, "limited": sel.limited}  # fmt: skip


def _run_dict(stats: RunStats) -> dict:
    return asdict(stats) | {"artifacts_per_s": round(stats.artifacts_per_s, 3),
                            "wall_s": round(stats.wall_s, 2)}  # fmt: skip


def build_report(records: list[EvalRecord], meta: dict, selection: dict, run_stats: dict) -> dict:
    return {
        "meta": meta,
        "selection": selection,
        "run": run_stats,
        "files": {"results": RESULTS, "curve": CURVE_PNG, "rules": RULES_PNG},
        "summary": summarise(records),
    }


def evaluate(
    cfg: EvalConfig, on_start: Callable[[int], None] | None = None,
    on_record: Callable[[EvalRecord], None] | None = None,
) -> dict:  # fmt: skip
    """Scan the selection, write ``results.jsonl`` and the report into ``cfg.out``."""
    malicious = read_manifest(cfg.malicious)
    benign = read_manifest(cfg.benign)
    sel = select(malicious, benign, since=cfg.since, limit_malicious=cfg.limit_malicious,
                 limit_benign=cfg.limit_benign, seed=cfg.seed)  # fmt: skip
    cfg.out.mkdir(parents=True, exist_ok=True)
    if on_start:
        on_start(len(sel.samples))
    options = ScanOptions(rules_only=cfg.rules_only, time_budget_s=cfg.time_budget_s)
    meta = _meta(cfg)
    records, stats = run(sel.samples, options, cfg.jobs, cfg.out / RESULTS, on_record,
                         resume=cfg.resume, code=scanner_id(cfg.rules_only, cfg.diff),
                         diff=cfg.diff)  # fmt: skip
    report = build_report(records, meta, _selection_dict(sel), _run_dict(stats))
    write_report(report, cfg.out)
    return report


def remake_report(out: Path, since: date | None = None) -> dict:
    """Recompute the report from ``results.jsonl`` (and the last run's metadata), no scanning.

    ``since`` narrows the malware to first seen ≥ DATE; it cannot widen a run that was
    already restricted.
    """
    records = list(read_records(out / RESULTS))
    old: dict = {}
    if (out / REPORT_JSON).is_file():
        import json

        old = json.loads((out / REPORT_JSON).read_text(encoding="utf-8"))
    meta = dict(old.get("meta") or {})
    selection = dict(old.get("selection") or {"label_only": {}, "before_since": 0,
                                              "no_date": 0, "limited": {}})  # fmt: skip
    if since is not None:
        kept, before, undated = [], 0, 0
        for r in records:
            if r.label != "malicious":
                kept.append(r)
                continue
            day = parse_day(r.first_seen)
            if day is None:
                undated += 1
            elif day < since:
                before += 1
            else:
                kept.append(r)
        records = kept
        meta["since"] = since.isoformat()
        selection["before_since"] = selection.get("before_since", 0) + before
        selection["no_date"] = selection.get("no_date", 0) + undated
    meta.setdefault("command", shlex.join(sys.argv))
    meta["remade_from"] = str(out / RESULTS)
    for key, default in (("version", douane.__version__), ("rules", 0), ("scoring", "unknown"),
                         ("cpus", os.cpu_count()), ("started", ""), ("malicious_manifest", "?"),
                         ("benign_manifest", "?"), ("seed", 0)):  # fmt: skip
        meta.setdefault(key, default)
    run_stats = dict(old.get("run") or {"scanned": len(records), "wall_s": 0.0, "jobs": 0,
                                        "self_max_rss_mb": 0.0, "children_max_rss_mb": 0.0,
                                        "artifacts_per_s": 0.0})  # fmt: skip
    report = build_report(records, meta, selection, run_stats)
    write_report(report, out)
    return report
