"""The formatter interface and the one enum that maps ``--format`` to a formatter."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from douane.domain import ScanResult


class Formatter(Protocol):
    def render(self, results: Sequence[ScanResult]) -> str: ...


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"

    def formatter(self) -> Formatter:
        if self is OutputFormat.JSON:
            from douane.report.json import JsonFormat

            return JsonFormat()
        if self is OutputFormat.SARIF:
            from douane.report.sarif import SarifFormat

            return SarifFormat()
        from douane.report.text import TextFormat

        return TextFormat()
