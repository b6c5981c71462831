"""Turns evaluation records into the figures index admins judge a scanner by.

All rates come with their counts. Samples that could not be scanned (verdict ``error``)
are left out of every rate's denominator and counted on their own line, so an error is
never passed off as a clean file nor as a caught one; the recall that counts errors as
misses is given beside the headline recall.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from douane.dataset.manifest import BENIGN, MALICIOUS
from douane.domain import Verdict
from douane.evaluation.records import EvalRecord

MAX_CURVE_POINTS = 400
MAX_EXAMPLES = 20  # benign hits kept per rule, flagged files first


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]) of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def confusion(
    records: Sequence[EvalRecord], is_positive: Callable[[EvalRecord], bool]
) -> dict[str, float | int | None]:
    """Counts and rates for one operating point; error records are outside the four cells."""
    tp = fn = fp = tn = mal_err = ben_err = 0
    for r in records:
        if r.is_error:
            if r.label == MALICIOUS:
                mal_err += 1
            else:
                ben_err += 1
            continue
        pos = is_positive(r)
        if r.label == MALICIOUS:
            tp, fn = tp + pos, fn + (not pos)
        else:
            fp, tn = fp + pos, tn + (not pos)
    return {
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "tn": tn,
        "malicious_errors": mal_err,
        "benign_errors": ben_err,
        "recall": ratio(tp, tp + fn),
        "precision": ratio(tp, tp + fp),
        "fpr": ratio(fp, fp + tn),
        "recall_errors_as_missed": ratio(tp, tp + fn + mal_err),
    }


def verdict_counts(records: Iterable[EvalRecord]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {MALICIOUS: Counter(), BENIGN: Counter()}
    for r in records:
        out.setdefault(r.label, Counter())[r.verdict] += 1
    order = [str(v) for v in Verdict]
    return {label: {v: c[v] for v in order} | {"total": sum(c.values())}
            for label, c in out.items()}  # fmt: skip


def curve(records: Sequence[EvalRecord]) -> list[dict[str, float | int]]:
    """Recall and FPR for every score threshold (score ≥ t flags), errors excluded."""
    mal = sorted((r.score for r in records if r.label == MALICIOUS and not r.is_error),
                 reverse=True)  # fmt: skip
    ben = sorted((r.score for r in records if r.label == BENIGN and not r.is_error),
                 reverse=True)  # fmt: skip
    if not mal and not ben:
        return []
    thresholds = sorted(set(mal) | set(ben), reverse=True)
    points = []
    i = j = 0
    for t in thresholds:
        while i < len(mal) and mal[i] >= t:
            i += 1
        while j < len(ben) and ben[j] >= t:
            j += 1
        points.append({"threshold": t, "tp": i, "fp": j,
                       "recall": ratio(i, len(mal)) or 0.0, "fpr": ratio(j, len(ben)) or 0.0})  # fmt: skip
    if len(points) > MAX_CURVE_POINTS:  # keep the ends and an even spread between them
        step = len(points) / MAX_CURVE_POINTS
        keep = {round(k * step) for k in range(MAX_CURVE_POINTS)} | {len(points) - 1}
        points = [p for k, p in enumerate(points) if k in keep]
    return points


def recall_at_fpr(
    records: Sequence[EvalRecord],
    score: Callable[[EvalRecord], float],
    targets: Sequence[float] | None = None,
) -> list[dict[str, float | int | None]]:
    """Recall at the strictest score cut whose benign hits stay within each target rate
    (``scoring.model.recall_at_fprs``, the same cut ``douane train`` reports: ties count
    against the scorer). This compares two scorers (the model and the rules weighting) at
    the *same* false-positive rate, which their own operating points do not.
    """
    import numpy as np

    from douane.scoring.model import REPORT_FPRS, recall_at_fprs

    scored = [r for r in records if not r.is_error]
    mal = np.array([score(r) for r in scored if r.label == MALICIOUS], dtype=float)
    ben = np.array([score(r) for r in scored if r.label == BENIGN], dtype=float)
    targets = REPORT_FPRS if targets is None else targets
    out = []
    for t in targets:  # one at a time: its result is keyed by the rate printed to 2 decimals
        (row,) = recall_at_fprs(mal, ben, (t,)).values()
        out.append({"target": t, "tp": row["detected"], "malicious": row["malware"],
                    "fp": row["false_positives"], "benign": row["benign"],
                    "recall": row["recall"]})  # fmt: skip
    return out


def same_fpr(records: Sequence[EvalRecord]) -> dict[str, list] | None:
    """The model's score and the rules weighting's score at the same false-positive rates;
    None when records lack the rules score (older runs) or both scorers are one (--rules-only)."""
    scored = [r for r in records if not r.is_error]
    if not scored or any(r.rules_score is None for r in scored):
        return None
    if all(r.rules_score == r.score for r in scored):
        return None
    return {"model": recall_at_fpr(records, lambda r: r.score),
            "rules": recall_at_fpr(records, lambda r: float(r.rules_score or 0.0))}  # fmt: skip


def rule_hits(records: Sequence[EvalRecord]) -> list[dict[str, object]]:
    """Per rule: artifacts hit on each side, and on flagged benign files (the precision cost).

    Sorted by benign hits on flagged files, then all benign hits: the rules that cost
    precision come first.
    """
    n = Counter(r.label for r in records if not r.is_error)
    hits: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (not r.flagged, -r.score, r.name)):
        if r.is_error:
            continue
        for rule in r.rules:
            hits[rule][r.label] += 1
            if r.label == BENIGN and len(examples[rule]) < MAX_EXAMPLES:
                where = r.examples.get(rule, "")
                examples[rule].append(f"{r.name} {r.filename} {where}".strip())
            if r.label == BENIGN and r.flagged:
                hits[rule]["benign_flagged"] += 1
            if r.label == MALICIOUS and r.flagged:
                hits[rule]["malicious_flagged"] += 1
    rows = [
        {
            "rule": rule,
            "malicious_hits": c[MALICIOUS],
            "benign_hits": c[BENIGN],
            "benign_flagged_hits": c["benign_flagged"],
            "malicious_flagged_hits": c["malicious_flagged"],
            "malicious_rate": ratio(c[MALICIOUS], n[MALICIOUS]),
            "benign_rate": ratio(c[BENIGN], n[BENIGN]),
            "benign_examples": examples[rule],
        }
        for rule, c in hits.items()
    ]
    rows.sort(key=lambda d: (-d["benign_flagged_hits"], -d["benign_hits"],  # type: ignore[operator]
                             -d["malicious_hits"], d["rule"]))  # type: ignore[operator]  # fmt: skip
    return rows


def _breakdown(records: Sequence[EvalRecord], key: Callable[[EvalRecord], str]) -> dict:
    groups: dict[str, list[EvalRecord]] = defaultdict(list)
    for r in records:
        groups[key(r) or "unknown"].append(r)
    out = {}
    for k in sorted(groups):
        rs = groups[k]
        c = confusion(rs, lambda r: r.flagged)
        out[k] = {
            "malicious": c["tp"] + c["fn"] + c["malicious_errors"],
            "benign": c["fp"] + c["tn"] + c["benign_errors"],
            "caught": c["tp"],
            "flagged_benign": c["fp"],
            "errors": c["malicious_errors"] + c["benign_errors"],
            "recall": c["recall"],
            "fpr": c["fpr"],
            "malicious_verdict_benign": sum(
                1 for r in rs if r.label == BENIGN and r.verdict == str(Verdict.MALICIOUS)
            ),  # fmt: skip
        }
    return out


def group_recall(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    """Recall counted per near-duplicate group: a campaign of 500 copies weighs like one sample.

    ``any``: groups with at least one member caught; ``macro``: mean within-group recall.
    """
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        if r.label == MALICIOUS and not r.is_error:
            groups[r.group or f"sha:{r.sha256}"].append(r.flagged)
    if not groups:
        return {"groups": 0, "any": None, "macro": None, "largest": 0}
    return {
        "groups": len(groups),
        "any": ratio(sum(1 for v in groups.values() if any(v)), len(groups)),
        "macro": round(sum(sum(v) / len(v) for v in groups.values()) / len(groups), 6),
        "largest": max(len(v) for v in groups.values()),
    }


def timing(records: Sequence[EvalRecord]) -> dict[str, float | int | None]:
    ms = sorted(r.elapsed_ms for r in records)
    return {
        "n": len(ms),
        "median_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1] if ms else None,
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else None,
    }


def flagged_benign(records: Sequence[EvalRecord]) -> list[dict[str, object]]:
    """Every benign file flagged, highest score first: a reviewer must look at each one."""
    rows = [r for r in records if r.label == BENIGN and r.flagged]
    rows.sort(key=lambda r: (-r.score, r.name, r.filename))
    return [
        {"name": r.name, "version": r.version, "filename": r.filename, "stratum": r.stratum,
         "kind": r.kind, "verdict": r.verdict, "score": r.score, "rules": list(r.rules),
         "reasons": list(r.reasons)}
        for r in rows
    ]  # fmt: skip


def errors(records: Sequence[EvalRecord]) -> list[dict[str, object]]:
    return [
        {"label": r.label, "name": r.name, "version": r.version, "filename": r.filename,
         "error": r.error or ""}
        for r in sorted(records, key=lambda r: (r.label, r.name, r.filename))
        if r.is_error
    ]  # fmt: skip


def diff_summary(records: Sequence[EvalRecord]) -> dict[str, int | float | None]:
    """Diff mode: how many files were scanned against their previous release, and which
    share of their findings that release did not already have (``new``)."""
    based = [r for r in records if r.new_findings is not None and not r.is_error]
    findings = sum(r.findings for r in based)
    new = sum(r.new_findings or 0 for r in based)
    return {
        "files_with_baseline": len(based),
        "flagged_with_baseline": sum(r.flagged for r in based),
        "findings": findings,
        "new_findings": new,
        "share_new": ratio(new, findings),
        "files_with_new_findings": sum(1 for r in based if r.new_findings),
    }


def rules_weighting(records: Sequence[EvalRecord]) -> dict[str, object] | None:
    """Both operating points under the documented rules weighting, from the verdict each
    record keeps beside the model's; None when some scored record lacks it (older runs)."""
    scored = [r for r in records if not r.is_error]
    if not scored or any(not r.rules_verdict for r in scored):
        return None
    return {
        "flagged": confusion(records, lambda r: r.rules_flagged),
        "malicious": confusion(records, lambda r: r.rules_verdict == str(Verdict.MALICIOUS)),
    }


def summarise(records: Sequence[EvalRecord]) -> dict[str, object]:
    """Everything the report shows, as plain JSON-ready data."""
    mal = [r for r in records if r.label == MALICIOUS]
    ben = [r for r in records if r.label == BENIGN]
    slowest = sorted(records, key=lambda r: -r.elapsed_ms)[:10]
    return {
        "scanners": dict(Counter(r.code or "unknown" for r in records)),
        "verdicts": verdict_counts(records),
        "operating_points": {
            "flagged": confusion(records, lambda r: r.flagged)
            | {"definition": "verdict malicious or suspicious"},
            "malicious": confusion(records, lambda r: r.verdict == str(Verdict.MALICIOUS))
            | {"definition": "verdict malicious"},
        },
        "group_recall": group_recall(records),
        "diff": diff_summary(records),
        "rules_weighting": rules_weighting(records),
        "same_fpr": same_fpr(records),
        "curve": curve(records),
        "rules": rule_hits(records),
        "by_kind": _breakdown(records, lambda r: r.kind),
        "by_stratum": _breakdown(ben, lambda r: r.stratum),
        "by_source": _breakdown(mal, lambda r: r.source),
        "by_year": _breakdown(mal, lambda r: r.first_seen[:4]),
        "timing": {
            "all": timing(records),
            "malicious": timing(mal),
            "benign": timing(ben),
            "slowest": [
                {
                    "label": r.label,
                    "name": r.name,
                    "filename": r.filename,
                    "ms": r.elapsed_ms,
                    "verdict": r.verdict,
                }
                for r in slowest
            ],  # fmt: skip
        },
        "flagged_benign": flagged_benign(records),
        "errors": errors(records),
    }
