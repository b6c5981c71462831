"""Guards every archive test: nothing may be written, linked or created outside tmp_path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_MUTATING = {
    "os.mkdir",
    "os.symlink",
    "os.link",
    "os.rename",
    "os.remove",
    "os.rmdir",
    "os.chmod",
    "os.chown",
    "os.utime",
    "os.truncate",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.move",
}


class _Guard:
    """An audit hook (installed once, active only inside a test) that records every file
    system change outside the allowed folder."""

    allowed: Path | None = None
    violations: list[str] = []

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if cls.allowed is None:
            return
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing:
                cls._check(event, path)
        elif event in ("os.symlink", "os.link"):
            cls._check(event, args[1])  # (target, new link): only the link is created
        elif event in _MUTATING and args:
            cls._check(event, args[0])
            if event in ("os.rename", "shutil.move") and len(args) > 1:
                cls._check(event, args[1])

    @classmethod
    def _check(cls, event: str, path: object) -> None:
        if isinstance(path, int) or path is None:
            return  # an already-open descriptor
        try:
            where = Path(os.fsdecode(path)).resolve()
        except (TypeError, ValueError, OSError):
            cls.violations.append(f"{event} {path!r}")
            return
        if where == Path(os.devnull):
            return  # subprocess.DEVNULL
        if "__pycache__" in where.parts:
            return  # the interpreter caching bytecode of a module imported late
        if cls.allowed not in where.parents and where != cls.allowed:
            cls.violations.append(f"{event} {where}")


sys.addaudithook(_Guard.hook)


@pytest.fixture(autouse=True)
def nothing_written_outside(tmp_path: Path):
    """Fails a test if the reader (or a test helper) wrote anywhere but tmp_path."""
    _Guard.violations = []
    _Guard.allowed = tmp_path.resolve()
    try:
        yield
    finally:
        _Guard.allowed = None
    assert _Guard.violations == [], f"writes outside tmp_path: {_Guard.violations[:5]}"
