"""One line of ``results.jsonl``: a sample's label joined with what the scanner said about it.

Reports are computed from these records alone, so a report can be re-made (another
``--since``, a fixed typo in a table) without scanning again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from douane.dataset.manifest import Sample
from douane.domain import ScanResult, Verdict

RESULTS = "results.jsonl"
FLAGGED = frozenset({str(Verdict.MALICIOUS), str(Verdict.SUSPICIOUS)})
TOP_REASONS = 3
EXAMPLE_CHARS = 100


@dataclass(frozen=True, slots=True)
class EvalRecord:
    """A labelled scan outcome; ``rules`` are the distinct rule ids that fired."""

    label: str
    name: str
    version: str
    filename: str
    sha256: str
    verdict: str
    score: float
    elapsed_ms: float
    rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    error: str | None = None
    kind: str = ""
    stratum: str = ""
    source: str = ""
    group: str = ""
    first_seen: str = ""
    findings: int = 0
    # rule id → where it fired first ("file:line [where] snippet"): what a rule author checks
    examples: dict[str, str] = field(default_factory=dict)
    # which scanner produced this record (see ``evaluation.provenance.code_id``)
    code: str = ""
    # diff mode: findings not present in the previous release; None when no baseline was
    # scanned (no previous file, or it could not be opened)
    new_findings: int | None = None
    # the rules weighting's verdict on the same findings (equal to ``verdict`` with
    # --rules-only); empty in records written before it was kept
    rules_verdict: str = ""
    # and its score, so both scorers can be compared at the same false-positive rate
    rules_score: float | None = None

    @property
    def rules_flagged(self) -> bool:
        return self.rules_verdict in FLAGGED

    @property
    def flagged(self) -> bool:
        return self.verdict in FLAGGED

    @property
    def is_error(self) -> bool:
        return self.verdict == str(Verdict.ERROR)

    def to_json(self) -> str:
        d = asdict(self)
        d["rules"] = list(self.rules)
        d["reasons"] = list(self.reasons)
        return json.dumps(d, ensure_ascii=False, sort_keys=True)


_FIELDS = {f.name for f in fields(EvalRecord)}


def _top_reasons(result: ScanResult) -> tuple[str, ...]:
    if result.explanation:
        return tuple(result.explanation[:TOP_REASONS])
    return tuple(
        f"{f.rule} {f.name} {f.file}:{f.line or '-'} {f.snippet[:80]}"
        for f in result.findings[:TOP_REASONS]
    )


def _examples(result: ScanResult) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in result.findings:
        if f.rule not in out:
            out[f.rule] = f"{f.file}:{f.line or '-'} [{f.where}] {f.snippet[:EXAMPLE_CHARS]}"
    return out


def _new_findings(result: ScanResult) -> int | None:
    if not result.stats.get("baseline"):
        return None
    return sum(1 for f in result.findings if f.new is True)


def record_for(sample: Sample, result: ScanResult, code: str = "") -> EvalRecord:
    """Join a sample with its scan; the scanner's artifact kind wins over the manifest's."""
    kind = str(result.kind) if str(result.kind) != "unknown" else (sample.kind or "unknown")
    return EvalRecord(
        label=sample.label,
        name=sample.name,
        version=sample.version,
        filename=sample.filename,
        sha256=sample.sha256,
        verdict=str(result.verdict),
        score=round(float(result.score), 4),
        elapsed_ms=round(float(result.elapsed_ms), 2),
        rules=tuple(sorted({f.rule for f in result.findings})),
        reasons=_top_reasons(result),
        error=result.error,
        kind=kind,
        stratum=sample.stratum,
        source=sample.source,
        group=sample.group,
        first_seen=sample.first_seen,
        findings=len(result.findings),
        examples=_examples(result),
        code=code,
        new_findings=_new_findings(result),
        rules_verdict=str(result.stats.get("rules_verdict", "")),
        rules_score=result.stats.get("rules_score"),
    )


def write_records(records: Iterable[EvalRecord], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as handle:
        for r in records:
            handle.write(r.to_json() + "\n")
            n += 1
    return n


def read_records(path: Path) -> Iterator[EvalRecord]:
    """Records from ``results.jsonl``; a torn last line (an interrupted run) is skipped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue
            d = {k: v for k, v in d.items() if k in _FIELDS}
            d["rules"] = tuple(d.get("rules") or ())
            d["reasons"] = tuple(d.get("reasons") or ())
            yield EvalRecord(**d)
