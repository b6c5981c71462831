"""Entry points: open a release file, a folder or in-memory bytes; read dataset password zips."""

from __future__ import annotations

from pathlib import Path

from douane.archive.interface import Limits, Opened

DEFAULT_LIMITS = Limits()


def open_artifact(
    path: Path,
    *,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    deadline: float | None = None,
) -> Opened:
    """Open a release file or an unpacked folder without extracting anything to disk."""
    raise NotImplementedError


def open_bytes(
    data: bytes,
    filename: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    deadline: float | None = None,
) -> Opened:
    """Open a release file already in memory (downloaded, or taken from a dataset sample)."""
    raise NotImplementedError


def read_password_zip(
    path: Path, password: bytes = b"infected", *, limits: Limits = DEFAULT_LIMITS
) -> tuple[str, bytes]:
    """Unwrap one dataset sample: the inner artifact's file name and its bytes, size-limited."""
    raise NotImplementedError
