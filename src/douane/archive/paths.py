"""Member-name policy: which names are code, which are unsafe, and how names are shown."""

from __future__ import annotations

import codecs
import re

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


DISPLAY_MAX = 200
UNDECODABLE = "douane-percent"  # error handler name for names that are not valid UTF-8


def _percent(err: UnicodeError) -> tuple[str, int]:
    """Undecodable name bytes as ``%FF``: printable, JSON-safe, and (unlike ``\\xff``) free of
    backslashes, which count as path separators here."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return "".join(f"%{b:02X}" for b in bad), err.end


codecs.register_error(UNDECODABLE, _percent)
_DRIVE = re.compile(r"^[A-Za-z]:")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

ARCHIVE_SUFFIXES = (
    ".zip", ".whl", ".egg", ".jar", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz",
    ".txz", ".gz", ".bz2", ".xz", ".7z", ".rar",
)  # fmt: skip


def display(name: str, limit: int = DISPLAY_MAX) -> str:
    """A member name safe to print: control and bidi characters escaped, length capped, so a
    hostile name cannot forge report lines or hide its real extension."""
    shown = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def normalise(raw: str, max_depth: int) -> tuple[str, str | None]:
    """Turn a stored name into a posix relative path, or say why it must be skipped.

    Returns ``(path, None)`` for a safe name and ``("", reason)`` otherwise, where reason is an
    IssueKind value. Backslashes count as separators: Windows tools write them and Windows
    unpackers honour them, so ``a\\..\\..\\x`` is a traversal wherever the archive is opened.
    """
    name = raw.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return "", "absolute-path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return "", "path-traversal"
    if len(parts) > max_depth:
        return "", "too-deep"
    return "/".join(parts), None


def is_archive_name(path: str) -> bool:
    """Whether a member's name says it is itself an archive (never recursed into)."""
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def archive_magic(head: bytes) -> str | None:
    """The archive format a member's first bytes announce, if any."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head[257:262] == b"ustar":
        return "tar"
    return None
