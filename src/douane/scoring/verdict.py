"""Rules-only scoring: turns findings into a score in [0, 1] and a verdict, with reasons.

The weighting is deliberately simple and documented here, so a reviewer can recompute it:

* each finding weighs ``SEVERITY[severity] × CONFIDENCE[confidence] × WHERE[where]``;
* a finding already present in the previous release (diff mode, ``new: false``) counts half,
  and so does a combination none of whose parts is new;
* a rule counts once per artifact (its heaviest finding): fifty base64 literals are not fifty
  times more suspicious than one;
* malware is a *combination*: per file, capability tags that together mark malware
  (secret read + network send, download + execute, decode + dynamic exec) add a combination
  weight, scaled by where the contributing code runs;
* the weights combine like independent evidence: ``score = 1 − Π (1 − wᵢ)``.

``malicious`` needs ``score ≥ MALICIOUS_AT``; ``suspicious`` (the review queue) needs
``score ≥ SUSPICIOUS_AT``. A lone capability (INFO/LOW) can never reach the queue on its own.
The trained model (``scoring.model``) replaces this score when it is available.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from douane.analysis.interface import Tag
from douane.analysis.registry import load_all
from douane.domain import Confidence, Finding, Severity, Verdict, Where

SEVERITY = {
    Severity.INFO: 0.0,
    Severity.LOW: 0.06,
    Severity.MEDIUM: 0.25,
    Severity.HIGH: 0.6,
    Severity.CRITICAL: 0.9,
}
CONFIDENCE = {Confidence.LOW: 0.5, Confidence.MEDIUM: 0.8, Confidence.HIGH: 1.0}
WHERE = {
    Where.INSTALL: 1.0,
    Where.IMPORT: 0.85,
    Where.FUNCTION: 0.6,
    Where.TEST: 0.2,
    Where.METADATA: 0.7,
    Where.ARCHIVE: 0.8,
    Where.OTHER: 0.7,
}
# (tags that must all be present in one file, weight, reason shown to the reviewer)
COMBINATIONS: tuple[tuple[frozenset[Tag], float, str], ...] = (
    (frozenset({Tag.SECRET_READ, Tag.NETWORK_SEND, Tag.FIXED_DESTINATION}), 0.9,
     "reads secrets and sends data to a hard-coded destination"),
    (frozenset({Tag.SECRET_READ, Tag.NETWORK_SEND}), 0.5, "reads secrets and sends data out"),
    (frozenset({Tag.DOWNLOAD, Tag.EXECUTE}), 0.6, "downloads content and executes"),
    (frozenset({Tag.DECODE, Tag.DYNAMIC_EXEC}), 0.6, "decodes data and executes it as code"),
    (frozenset({Tag.PERSIST, Tag.EXECUTE}), 0.4, "executes and installs itself to persist"),
)  # fmt: skip

MALICIOUS_AT = 0.85
SUSPICIOUS_AT = 0.5


@dataclass(frozen=True)
class Contribution:
    weight: float
    reason: str


# diff mode: a finding already present in the previous release weighs less (measured: 97 % of
# findings on consecutive releases of popular projects were already there)
NEW = {True: 1.0, False: 0.5, None: 1.0}


def finding_weight(f: Finding) -> float:
    return SEVERITY[f.severity] * CONFIDENCE[f.confidence] * WHERE.get(f.where, 0.7) * NEW[f.new]


def contributions(findings: Iterable[Finding]) -> list[Contribution]:
    """Every weighted piece of evidence, heaviest first."""
    rules = load_all()
    best: dict[str, Finding] = {}
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.rule not in best or finding_weight(f) > finding_weight(best[f.rule]):
            best[f.rule] = f
        by_file[f.file].append(f)
    out = [
        Contribution(
            finding_weight(f), f"{f.rule} {f.name} ({f.where}) {f.file}:{f.line}: {f.message}"
        )
        for f in best.values()
        if finding_weight(f) > 0
    ]
    for file, fs in by_file.items():
        tags_where: dict[Tag, float] = {}
        tags_new: dict[Tag, float] = {}
        for f in fs:
            rule = rules.get(f.rule)
            if rule is None or f.where is Where.TEST:
                continue
            for t in rule.tags:
                tags_where[t] = max(tags_where.get(t, 0.0), WHERE.get(f.where, 0.7))
                tags_new[t] = max(tags_new.get(t, 0.0), NEW[f.new])
        for need, weight, reason in COMBINATIONS:
            if need <= tags_where.keys():
                # diff mode: a combination weighs as new when any of its parts is new
                w = weight * min(tags_where[t] for t in need) * max(tags_new[t] for t in need)
                out.append(Contribution(w, f"{file}: {reason}"))
                break  # the strongest matching combination per file
    out.sort(key=lambda c: -c.weight)
    return out


def combine(weights: Iterable[float]) -> float:
    p = 1.0
    for w in weights:
        p *= 1.0 - min(max(w, 0.0), 1.0)
    return 1.0 - p


def verdict_for(score: float, malicious_at: float = MALICIOUS_AT,
                suspicious_at: float = SUSPICIOUS_AT) -> Verdict:  # fmt: skip
    if score >= malicious_at:
        return Verdict.MALICIOUS
    if score >= suspicious_at:
        return Verdict.SUSPICIOUS
    return Verdict.CLEAN


def rules_score(findings: Iterable[Finding]) -> tuple[float, Verdict, tuple[str, ...]]:
    """Score, verdict and the top reasons, from findings alone."""
    contrib = contributions(findings)
    score = combine(c.weight for c in contrib)
    reasons = tuple(f"{c.weight:.2f} {c.reason}" for c in contrib[:6] if c.weight >= 0.05)
    return score, verdict_for(score), reasons
