"""Safe, in-memory reading of release files (sdists, wheels, eggs, folders) for static analysis."""

from douane.archive.interface import (
    ArchiveError,
    ArchiveIssue,
    BudgetExceeded,
    IssueKind,
    Limits,
    Opened,
)
from douane.archive.paths import is_code_path
from douane.archive.reader import open_artifact, open_bytes, read_password_zip

__all__ = [
    "ArchiveError",
    "ArchiveIssue",
    "BudgetExceeded",
    "IssueKind",
    "Limits",
    "Opened",
    "is_code_path",
    "open_artifact",
    "open_bytes",
    "read_password_zip",
]
