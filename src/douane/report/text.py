"""Readable terminal output: one block per artifact, verdict first, then the evidence."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from douane.domain import ScanResult, Verdict

_STYLE = {
    Verdict.MALICIOUS: "bold red",
    Verdict.SUSPICIOUS: "yellow",
    Verdict.CLEAN: "green",
    Verdict.ERROR: "magenta",
}


class TextFormat:
    def __init__(self, color: bool | None = None, max_findings: int = 12) -> None:
        self.color = color
        self.max_findings = max_findings

    def render(self, results: Sequence[ScanResult]) -> str:
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=bool(self.color), width=120,
                          no_color=not self.color)  # fmt: skip
        for r in results:
            head = f"[{_STYLE[r.verdict]}]{r.verdict.upper()}[/] {r.target}"
            if r.filename and r.filename not in r.target:
                head += f" ({r.filename})"
            head += f"  score {r.score:.2f}  {r.elapsed_ms:.0f} ms"
            console.print(head)
            if r.error:
                console.print(f"  reason: {r.error}")
            for reason in r.explanation[:4]:
                console.print(f"  because: {reason}", markup=False)
            shown = [f for f in r.findings if f.severity > 0][: self.max_findings]
            if shown:
                table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
                for col in ("rule", "sev", "where", "location", "evidence"):
                    table.add_column(col, overflow="fold")
                for f in shown:
                    loc = f"{f.file}:{f.line}" if f.line else f.file
                    table.add_row(f.rule, f.severity.name.lower(), str(f.where), loc,
                                  f"{f.message}\n  {f.snippet}" if f.snippet else f.message)  # fmt: skip
                console.print(table)
            hidden = len(r.findings) - len(shown)
            if hidden > 0:
                console.print(f"  (+{hidden} more findings; use --format json for all)")
        counts: dict[str, int] = {}
        for r in results:
            counts[str(r.verdict)] = counts.get(str(r.verdict), 0) + 1
        console.print(
            ", ".join(f"{v}: {n}" for v, n in sorted(counts.items())) or "nothing scanned"
        )
        return buf.getvalue()
