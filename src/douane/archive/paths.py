"""Member-name policy: which names are code, which are unsafe, and how names are shown."""

from __future__ import annotations

CODE_SUFFIXES = frozenset(
    {
        ".py", ".pyw", ".pyi", ".pth", ".pyx", ".cfg", ".toml", ".txt", ".in",
        ".sh", ".bash", ".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".js", ".mjs", ".cjs",
    }
)  # fmt: skip
CODE_NAMES = frozenset(
    {
        "PKG-INFO", "METADATA", "RECORD", "entry_points.txt", "setup.py", "setup.cfg",
        "pyproject.toml", "Makefile",
    }
)  # fmt: skip


def is_code_path(path: str) -> bool:
    """Whether a member is read in full whatever its size: anything that can run or configure a
    build (scripts, metadata, extensionless files) must be seen whole, never just its head."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    if base in CODE_NAMES:
        return True
    dot = base.rfind(".")
    if dot <= 0:  # no extension, or a dotfile such as ".bashrc"
        return True
    return base[dot:].lower() in CODE_SUFFIXES
