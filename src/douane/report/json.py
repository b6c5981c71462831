"""JSON output with a stable, documented schema (see README "JSON output")."""

from __future__ import annotations

import json
from collections.abc import Sequence

from douane import __version__
from douane.domain import ScanResult, Verdict

SCHEMA_VERSION = 1


def summary(results: Sequence[ScanResult]) -> dict[str, int]:
    counts = {str(v): 0 for v in Verdict}
    for r in results:
        counts[str(r.verdict)] += 1
    return counts


class JsonFormat:
    def render(self, results: Sequence[ScanResult]) -> str:
        doc = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "douane", "version": __version__},
            "summary": summary(results),
            "results": [r.to_dict() for r in results],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False)
