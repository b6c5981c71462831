"""SARIF 2.1.0 output: each finding is a result located by file and line, for CI and code hosts."""

from __future__ import annotations

import json
from collections.abc import Sequence

from douane import __version__
from douane.analysis.registry import load_all
from douane.domain import ScanResult, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}


class SarifFormat:
    def render(self, results: Sequence[ScanResult]) -> str:
        rules = load_all()
        used = sorted({f.rule for r in results for f in r.findings})
        descriptors = []
        for rid in used:
            rule = rules.get(rid)
            doc = rule.doc if rule else ""
            descriptors.append(
                {
                    "id": rid,
                    "name": rule.name if rule else rid,
                    "shortDescription": {"text": (doc.split("\n", 1)[0] or rid)[:200]},
                    "fullDescription": {"text": doc[:2000] or rid},
                    "properties": {"family": str(rule.family) if rule else ""},
                }
            )
        index = {rid: i for i, rid in enumerate(used)}
        sarif_results = []
        for r in results:
            for f in r.findings:
                loc = {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f"{r.filename}/{f.file}".replace("//", "/")},
                    }
                }
                if f.line:
                    loc["physicalLocation"]["region"] = {
                        "startLine": f.line,
                        "snippet": {"text": f.snippet},
                    }
                sarif_results.append(
                    {
                        "ruleId": f.rule,
                        "ruleIndex": index[f.rule],
                        "level": _LEVEL[f.severity],
                        "message": {"text": f.message},
                        "locations": [loc],
                        "properties": {
                            "target": r.target,
                            "verdict": str(r.verdict),
                            "score": round(r.score, 4),
                            "where": str(f.where),
                            "confidence": f.confidence.name.lower(),
                        },
                    }
                )
        notifications = [
            {"level": "error", "message": {"text": f"{r.target}: {r.error}"}}
            for r in results
            if r.error
        ]
        doc = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "douane",
                            "version": __version__,
                            "informationUri": "https://github.com/douane/douane",
                            "rules": descriptors,
                        }
                    },
                    "results": sarif_results,
                    "invocations": [
                        {
                            "executionSuccessful": not notifications,
                            "toolExecutionNotifications": notifications,
                        }
                    ],
                }
            ],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False)
