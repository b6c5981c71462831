"""`douane train`: scan labelled corpora once (cached summaries), train, evaluate, write the model.

Scanning is the costly part, so every scanned sample leaves one JSON line in a cache keyed by
its SHA-256 and the fingerprint of the code that scanned it (rules, archive reader, feature
measurements). Retraining after a change to the features, the model or the splits rescans
nothing; after a rule change, only ``--stale ruleset|any`` avoids a rescan (and the metrics
record how many summaries came from other code).
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from douane.dataset.manifest import BENIGN, MALICIOUS, ManifestError, Sample, read_manifest
from douane.parallel import imap_unordered

err = Console(stderr=True)
CACHE_NAME = "summaries.jsonl"
DEFAULT_CUTOFF = "2024-08-01"


class Split(StrEnum):
    GROUPED = "grouped"
    TIME = "time"
    BOTH = "both"


# -- scanning into summaries ------------------------------------------------------------------


def summarise_sample(sample: Sample, budget_s: float = 60.0) -> dict[str, Any]:
    """Scan one sample the way the scanner does and keep its summary; never raises."""
    from douane.analysis.engine import BudgetExceeded as AnalysisBudgetExceeded
    from douane.analysis.engine import analyse
    from douane.archive import ArchiveError, open_bytes
    from douane.archive import BudgetExceeded as ArchiveBudgetExceeded
    from douane.dataset.containers import PASSWORD_ZIP_TREE, read_tree_zip, repack_tree
    from douane.scanner import ScanOptions, _open, _unwrap
    from douane.scoring.features import summarise

    options = ScanOptions(time_budget_s=budget_s)
    artifact = sample.artifact()
    line: dict[str, Any] = {"sha256": sample.sha256}
    try:
        if sample.container == PASSWORD_ZIP_TREE:
            data = repack_tree(read_tree_zip(artifact.path, options.limits))
            started = time.perf_counter()
            deadline = time.monotonic() + budget_s
            opened = open_bytes(data, artifact.filename + ".zip", limits=options.limits,
                                deadline=deadline)  # fmt: skip
        else:
            data = _unwrap(artifact, options)
            started = time.perf_counter()
            deadline = time.monotonic() + budget_s
            opened = _open(artifact, options, deadline, data)
        result = analyse(artifact, opened, deadline=deadline)
        line["summary"] = summarise(result.findings, result.context).to_json()
        line["ms"] = round((time.perf_counter() - started) * 1000, 1)
    except (AnalysisBudgetExceeded, ArchiveBudgetExceeded):
        line["error"] = "time budget exceeded"
    except ArchiveError as exc:
        line["error"] = f"cannot open archive: {exc}"
    except (OSError, RecursionError, MemoryError, ValueError) as exc:
        line["error"] = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a scanner bug costs one sample, not the run
        line["error"] = f"internal error: {type(exc).__name__}: {exc}"
    return line


def _worker_init() -> None:
    from douane.analysis.engine import default_rules
    from douane.scanner import tune_gc

    default_rules()
    tune_gc()


class Stale(StrEnum):
    """Which cached summaries made by other code a run accepts instead of rescanning."""

    NONE = "none"  # only summaries of exactly this code
    RULESET = "ruleset"  # also those of the same rule ids (rules tuned, none added or removed)
    ANY = "any"  # anything cached (a first model while rules are still being written)


@dataclass
class Cache:
    """Summaries on disk, one JSON line per scan, the latest line for a key winning."""

    path: Path
    fingerprint: str
    ruleset: str = ""

    def load(self, stale: Stale = Stale.NONE) -> dict[str, dict]:
        """The usable line per SHA-256: this code's own first, then what ``stale`` allows."""
        tiers: tuple[dict[str, dict], ...] = ({}, {}, {})
        if not self.path.is_file():
            return {}
        with self.path.open(encoding="utf-8") as handle:
            for raw in handle:
                try:
                    d = json.loads(raw)
                    sha = d["sha256"]
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line from an interrupted run
                if d.get("fp") == self.fingerprint:
                    tiers[0][sha] = d
                if d.get("rs") == self.ruleset and ("summary" in d or sha not in tiers[1]):
                    tiers[1][sha] = d
                if "summary" in d or sha not in tiers[2]:
                    tiers[2][sha] = d
        out = dict(tiers[0])
        for tier in tiers[1 : {Stale.NONE: 1, Stale.RULESET: 2, Stale.ANY: 3}[stale]]:
            for sha, d in tier.items():
                out.setdefault(sha, d)
        return out

    def append(self, lines: Iterator[dict]) -> Iterator[dict]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            for d in lines:
                d["fp"], d["rs"] = self.fingerprint, self.ruleset
                handle.write(json.dumps(d, sort_keys=True) + "\n")
                handle.flush()
                yield d


def scan_samples(samples: Sequence[Sample], jobs: int, budget_s: float) -> Iterator[dict]:
    """Summaries of ``samples`` as they finish; a worker that dies costs only its sample."""
    if jobs <= 1:
        for s in samples:
            yield summarise_sample(s, budget_s)
        return
    _worker_init()  # load rules before forking: workers share them
    for out in imap_unordered(partial(summarise_sample, budget_s=budget_s), samples, jobs,
                              initializer=_worker_init):  # fmt: skip
        if out.result is not None:
            yield out.result
        else:
            yield {"sha256": out.item.sha256, "error": f"worker: {out.error}"}


# -- choosing samples -------------------------------------------------------------------------


def per_group(samples: Sequence[Sample], cap: int) -> list[Sample]:
    """At most ``cap`` samples of each campaign group (the lowest SHA-256s: a stable choice)."""
    if cap <= 0:
        return list(samples)
    by_group: dict[str, list[Sample]] = {}
    for s in samples:
        by_group.setdefault(s.group or s.sha256, []).append(s)
    out = []
    for group in by_group.values():
        out.extend(sorted(group, key=lambda s: s.sha256)[:cap])
    return out


def benign_group(s: Sample) -> str:
    """Benign files of one project (its sdist and wheels) stay on one side of every split."""
    from douane.analysis.names import canonical

    return "benign:" + canonical(s.name or s.filename)


def select(
    malicious: Sequence[Sample], benign: Sequence[Sample], cap: int, limit_benign: int | None
) -> list[Sample]:
    mal = [s for s in malicious if s.label == MALICIOUS and s.scannable and s.sha256]
    ben = [s for s in benign if s.label == BENIGN and s.scannable and s.sha256]
    mal = per_group(mal, cap)
    if limit_benign is not None and 0 <= limit_benign < len(ben):
        ben = random.Random(0).sample(ben, limit_benign)
    ben_sha = {s.sha256 for s in ben}
    mal = [s for s in mal if s.sha256 not in ben_sha]  # never both labels for one file
    seen: set[str] = set()
    out = []
    for s in [*mal, *ben]:
        if s.sha256 not in seen:
            seen.add(s.sha256)
            out.append(s)
    return out


# -- building the training table ---------------------------------------------------------------


def labelled(samples: Sequence[Sample], lines: dict[str, dict]):
    """Feature rows for the samples that have a summary; counts of those that do not."""
    import numpy as np

    from douane.scoring.features import Summary, feature_table, features, vector
    from douane.scoring.model import Labelled

    names = tuple(feature_table())
    rows, y, groups, seen, rules, shas, strata = [], [], [], [], [], [], []
    missing = {MALICIOUS: 0, BENIGN: 0}
    errors = {MALICIOUS: 0, BENIGN: 0}
    for s in samples:
        d = lines.get(s.sha256)
        if d is None:
            missing[s.label] += 1
            continue
        if "summary" not in d:
            errors[s.label] += 1
            continue
        summary = Summary.from_json(d["summary"])
        rows.append(vector(features(summary), names))
        y.append(1 if s.label == MALICIOUS else 0)
        groups.append(("malware:" + (s.group or s.sha256)) if s.label == MALICIOUS
                      else benign_group(s))  # fmt: skip
        seen.append(s.first_seen if s.label == MALICIOUS else "")
        rules.append(summary.rules_score)
        shas.append(s.sha256)
        strata.append(s.stratum)
    data = Labelled(
        X=np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names)),
        y=np.asarray(y, dtype=np.int64),
        groups=groups,
        first_seen=seen,
        rules_scores=np.asarray(rules, dtype=np.float64),
        sha256=shas,
        names=names,
        strata=strata,
    )
    return data, missing, errors


# -- the command ------------------------------------------------------------------------------


def _default_cache() -> Path:
    from douane.sources.config import cache_dir

    return cache_dir() / "train" / CACHE_NAME


def _cutoff(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from None


def train_cmd(
    malicious: Annotated[Path, typer.Option("--malicious", "-m", help="Normalised malware manifest.csv (with groups).")],
    benign: Annotated[Path, typer.Option("--benign", "-b", help="Benign corpus manifest.csv.")],
    out: Annotated[Path, typer.Option(help="Where model.txt, model.json and metrics.json go (src/douane/scoring ships it).")],
    split: Annotated[Split, typer.Option(help="Splits to evaluate on (the model always trains on everything).")] = Split.BOTH,
    cutoff: Annotated[str, typer.Option(help="Time split: train on malware first seen before this day.")] = DEFAULT_CUTOFF,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel scanning processes.")] = 2,
    cache: Annotated[Path | None, typer.Option(help="Summaries cache (default <cache>/train/summaries.jsonl).")] = None,
    max_per_group: Annotated[int, typer.Option(help="At most this many malware files per campaign group (0: all).")] = 0,
    limit_benign: Annotated[int | None, typer.Option(help="Random subset of benign files.")] = None,
    fingerprint: Annotated[str | None, typer.Option(help="Train on the summaries of this code fingerprint (printed by each scan); scans nothing.")] = None,
    stale: Annotated[Stale, typer.Option(help="Cached summaries of other code to accept: none, same rule ids (ruleset), or any.")] = Stale.NONE,
    cached_only: Annotated[bool, typer.Option("--cached-only", help="Scan nothing; train on what the cache holds.")] = False,
    scan_only: Annotated[bool, typer.Option("--scan-only", help="Fill the cache, do not train.")] = False,
    retry_errors: Annotated[bool, typer.Option("--retry-errors", help="Rescan samples whose cached scan failed.")] = False,
    metrics: Annotated[Path | None, typer.Option(help="Metrics JSON (default OUT/metrics.json).")] = None,
    time_budget: Annotated[float, typer.Option(help="Seconds allowed per artifact.")] = 60.0,
    rounds: Annotated[int, typer.Option(help="Boosting rounds.")] = 100,
    holdout_after: Annotated[str | None, typer.Option(help="Train only on malware first seen before this day and half the benign projects; write the rest as manifests for `douane evaluate`.")] = None,
) -> None:  # fmt: skip
    """Scan (cached), train the LightGBM detector, evaluate it beside rules-only, write the model."""
    from douane.scoring.features import ruleset_fingerprint, summary_fingerprint

    try:
        mal = read_manifest(malicious)
        ben = read_manifest(benign)
    except ManifestError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if not any(s.group for s in mal):
        err.print("[yellow]warning:[/] the malware manifest has no groups: run `douane dataset "
                  "group` first, or each file is its own campaign in the grouped split")  # fmt: skip
    cut = _cutoff(cutoff)
    samples = select(mal, ben, max_per_group, limit_benign)
    store = Cache(cache or _default_cache(), fingerprint or summary_fingerprint(),
                  ruleset_fingerprint())  # fmt: skip
    cached_only = cached_only or fingerprint is not None
    lines = store.load(stale)
    todo = [s for s in samples if s.sha256 not in lines
            or (retry_errors and "summary" not in lines[s.sha256])]  # fmt: skip
    n_stale = sum(1 for s in samples if s.sha256 in lines and lines[s.sha256].get("fp") != store.fingerprint)  # fmt: skip
    err.print(f"{len(samples)} samples; {len(samples) - len(todo)} cached "
              f"({n_stale} made by other code); {0 if cached_only else len(todo)} to scan "
              f"[fingerprint {store.fingerprint}]")  # fmt: skip
    if todo and not cached_only:
        _scan(store, todo, jobs, time_budget, lines)
    if scan_only:
        return
    if holdout_after:
        samples = _hold_out(samples, _cutoff(holdout_after), out)
        split = Split.GROUPED
    _train(samples, lines, out, metrics or out / "metrics.json", split, cut, rounds,
           {"malicious_manifest": str(malicious), "benign_manifest": str(benign),
            "max_per_group": max_per_group, "limit_benign": limit_benign,
            "fingerprint": store.fingerprint, "ruleset": store.ruleset,
            "stale_summaries": n_stale, "stale_accepted": str(stale),
            "command": " ".join(["douane", *sys.argv[1:]])})  # fmt: skip


def _hold_out(samples: list[Sample], day: str, out: Path) -> list[Sample]:
    """Keep malware first seen before ``day`` (and of no later campaign) and half the benign
    projects for training; write the others as manifests a later `douane evaluate` reads, so
    the model is measured with the evaluation harness on files it never saw."""
    import zlib

    from douane.dataset.manifest import write_manifest

    late = {s.group or s.sha256 for s in samples
            if s.label == MALICIOUS and s.first_seen[:10] >= day}  # fmt: skip
    keep, held_mal, held_ben = [], [], []
    for s in samples:
        if s.label == MALICIOUS:
            if (s.group or s.sha256) in late:
                (held_mal if s.first_seen[:10] >= day else []).append(s)
            elif s.first_seen and s.first_seen[:10] < day:
                keep.append(s)
        elif zlib.crc32(("holdout:" + benign_group(s)).encode()) % 2:
            held_ben.append(s)
        else:
            keep.append(s)
    write_manifest(held_mal, out / "holdout-malicious.csv")
    write_manifest(held_ben, out / "holdout-benign.csv")
    err.print(f"held out {len(held_mal)} malware first seen ≥ {day} and {len(held_ben)} benign "
              f"files: {out / 'holdout-malicious.csv'}, {out / 'holdout-benign.csv'}")  # fmt: skip
    return keep


def _size(s: Sample) -> int:
    try:
        return int(s.size) if s.size else Path(s.path).stat().st_size
    except (OSError, ValueError):
        return 0


def _scan(store: Cache, todo: list[Sample], jobs: int, budget: float, lines: dict) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # smallest files first: a partial cache then holds most samples (a few large releases take
    # most of the time), and a run cut short loses the fewest
    todo.sort(key=_size)
    bar = Progress(TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True,
                   disable=not err.is_terminal)  # fmt: skip
    errors = 0
    with bar:
        task = bar.add_task("", total=len(todo))
        for n, d in enumerate(store.append(scan_samples(todo, jobs, budget)), 1):
            lines[d["sha256"]] = d
            errors += "summary" not in d
            bar.update(task, advance=1)
            if not err.is_terminal and n % 500 == 0:
                err.print(f"{n}/{len(todo)} scanned, {errors} errors")
    err.print(f"scanned {len(todo)}, {errors} errors")


def _train(samples: list[Sample], lines: dict, out: Path, metrics_path: Path, split: Split,
           cutoff: str, rounds: int, meta: dict) -> None:  # fmt: skip
    from douane.scoring import model as M

    data, missing, errors = labelled(samples, lines)
    if (data.y == 1).sum() < 10 or (data.y == 0).sum() < 10:
        err.print(f"[red]error:[/] too few scanned samples to train ({len(data)}; "
                  f"missing {missing}, errors {errors})")  # fmt: skip
        raise typer.Exit(2)
    started = time.perf_counter()
    time_cut = cutoff if split in (Split.TIME, Split.BOTH) else None
    text, model_meta, metrics = M.train_and_evaluate(data, time_cut, rounds=rounds)
    if split is Split.TIME:
        metrics.pop("grouped", None)
    model_meta["data"] |= {"missing": missing, "scan_errors": errors, "cutoff": time_cut,
                           "first_seen": _years(data)}  # fmt: skip
    model_meta["training"] = meta | {"trained": date.today().isoformat(),
                                     "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    metrics["data"] = model_meta["data"]
    metrics["training"] = model_meta["training"]
    metrics["model_bytes"] = len(text.encode("utf-8"))
    metrics["top_features"] = _importance(text, data.names)
    by_sha = {s.sha256: f"{s.label} {s.name} {s.version} {s.filename}" for s in samples}
    errs = metrics.get("errors_out_of_fold", {})
    for key in ("false_positives", "missed_examples"):
        errs[key] = [by_sha.get(sha, sha) for sha in errs.get(key, [])]
    M.save(out, text, model_meta)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    metrics_path.with_suffix(".md").write_text(metrics_markdown(metrics), encoding="utf-8")
    _print(metrics, err.print)
    print(out / M.MODEL_TXT)


def _years(data) -> dict[str, int]:
    out: dict[str, int] = {}
    for d, label in zip(data.first_seen, data.y, strict=True):
        if label:
            out[d[:4] or "unknown"] = out.get(d[:4] or "unknown", 0) + 1
    return dict(sorted(out.items()))


def _importance(text: str, names: Sequence[str], top: int = 25) -> list[dict]:
    import lightgbm as lgb

    booster = lgb.Booster(model_str=text)
    gain = booster.feature_importance(importance_type="gain")
    order = sorted(range(len(names)), key=lambda i: -gain[i])[:top]
    total = float(gain.sum()) or 1.0
    return [{"feature": names[i], "gain_share": round(float(gain[i]) / total, 4)} for i in order]


def _print(metrics: dict, say: Callable[[str], None]) -> None:
    for split in ("grouped", "time"):
        rep = metrics.get(split)
        if not rep:
            continue
        say(
            f"[bold]{split}[/] split: {rep['malware']} malware, {rep['benign']} benign held out"
            + (f" (malware first seen ≥ {rep['cutoff']})" if split == "time" else "")
        )
        for who in ("model", "rules_only"):
            cells = []
            for fpr, row in rep[who]["recall_at_fpr"].items():
                cells.append(f"@{fpr} FPR: {row['recall']:.1%} ({row['detected']}/{row['malware']}, "
                             f"{row['false_positives']} FP)")  # fmt: skip
            say(f"  {who:10} " + "; ".join(cells))
        for name, op in rep["model"]["operating_points"].items():
            h = op["held_out"]
            say(f"  model {name:10} recall {h['recall']:.1%} ({h['detected']}/{h['malware']}), "
                f"FPR {h['fpr']:.3%} ({h['false_positives']}/{h['benign']}, ≤ {h['fpr_upper_95']:.3%} at 95 %)")  # fmt: skip
        for name, h in rep["rules_only"]["operating_points"].items():
            say(f"  rules {name:10} recall {h['recall']:.1%} ({h['detected']}/{h['malware']}), "
                f"FPR {h['fpr']:.3%} ({h['false_positives']}/{h['benign']})")  # fmt: skip


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f} %"


def metrics_markdown(metrics: dict) -> str:
    """The model card's tables, from metrics.json alone."""
    lines: list[str] = []
    for split in ("grouped", "time"):
        rep = metrics.get(split)
        if not rep:
            continue
        title = "Grouped split (5 folds, campaigns and benign projects never on both sides)"
        if split == "time":
            title = (f"Time split (trained on {rep['train_malware']} malware first seen before "
                     f"{rep['cutoff']}; tested on malware first seen on or after it)")  # fmt: skip
        lines += [f"### {title}", "",
                  f"Held out: {rep['malware']} malware, {rep['benign']} benign files.", "",
                  "| scorer | FPR target | recall | detected | false positives |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for who in ("model", "rules_only"):
            for fpr, row in rep[who]["recall_at_fpr"].items():
                lines.append(f"| {who.replace('_', '-')} | {fpr} | {_pct(row['recall'])} | "
                             f"{row['detected']}/{row['malware']} | "
                             f"{row['false_positives']}/{row['benign']} |")  # fmt: skip
        lines += ["", "| operating point | recall | FPR on held-out benign | 95 % upper bound |",
                  "|---|---|---|---|"]  # fmt: skip
        for name, op in rep["model"]["operating_points"].items():
            h = op["held_out"]
            lines.append(f"| model `{name}` (chosen on {op['chosen_on_benign']} benign, "
                         f"≤ {op['allowed_false_positives']} FP) | {_pct(h['recall'])} "
                         f"({h['detected']}/{h['malware']}) | {_pct(h['fpr'])} "
                         f"({h['false_positives']}/{h['benign']}) | {_pct(h['fpr_upper_95'])} |")  # fmt: skip
        for name, h in rep["rules_only"]["operating_points"].items():
            lines.append(f"| rules-only `{name}` | {_pct(h['recall'])} ({h['detected']}/"
                         f"{h['malware']}) | {_pct(h['fpr'])} ({h['false_positives']}/"
                         f"{h['benign']}) | {_pct(h['fpr_upper_95'])} |")  # fmt: skip
        lines.append("")
    th = metrics.get("shipped_thresholds", {})
    if th:
        lines += ["### Shipped thresholds (chosen on all out-of-fold benign scores)", "",
                  "| verdict | probability ≥ | benign allowed above | out-of-fold recall | "
                  "out-of-fold FPR | 95 % upper bound |", "|---|---|---|---|---|---|"]  # fmt: skip
        for name, t in th.items():
            o = t["out_of_fold"]
            lines.append(f"| `{name}` | {t['probability']:.4f} | {t['allowed_false_positives']}"
                         f"/{t['benign_out_of_fold']} | {_pct(o['recall'])} ({o['detected']}/"
                         f"{o['malware']}) | {_pct(o['fpr'])} ({o['false_positives']}/"
                         f"{o['benign']}) | {_pct(t['fpr_upper_95'])} |")  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
