"""Tells an artifact's real container format from its first bytes, never from its name."""

from __future__ import annotations

import zipfile

from douane.archive.source import Data, as_file

GZIP = b"\x1f\x8b"
BZIP2 = b"BZh"
XZ = b"\xfd7zXZ\x00"
ZIP_LOCAL = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"
SNIFF_BYTES = 512  # every format is told within this many leading bytes

NAME_FORMATS = (
    (".tar.gz", "tar.gz"),
    (".tgz", "tar.gz"),
    (".tar.bz2", "tar.bz2"),
    (".tbz2", "tar.bz2"),
    (".tbz", "tar.bz2"),
    (".tar.xz", "tar.xz"),
    (".txz", "tar.xz"),
    (".tar", "tar"),
    (".zip", "zip"),
    (".whl", "zip"),
    (".egg", "zip"),
)


def sniff(data: bytes) -> str | None:
    """The container format from magic bytes: "tar.gz", "tar.bz2", "tar.xz", "tar" or "zip".
    The first ``SNIFF_BYTES`` of the file are enough.

    A compressed stream is assumed to hold a tar; the tar reader says so if it does not.
    """
    if data.startswith(GZIP):
        return "tar.gz"
    if data.startswith(BZIP2) and data[3:4].isdigit():
        return "tar.bz2"
    if data.startswith(XZ):
        return "tar.xz"
    if data.startswith((ZIP_LOCAL, ZIP_EMPTY)):
        return "zip"
    if data[257:262] == b"ustar":
        return "tar"
    return None


def has_prefixed_zip(data: Data) -> bool:
    """Whether a zip's directory sits behind unrelated leading bytes (a self-extractor or a
    polyglot): pip's unzip accepts that, so the scanner must read it too."""
    try:
        return zipfile.is_zipfile(as_file(data))
    except Exception:  # a probe must never raise
        return False


def expected_format(filename: str) -> str | None:
    """The format a file name promises, to compare against what the bytes say."""
    low = filename.lower()
    for suffix, fmt in NAME_FORMATS:
        if low.endswith(suffix):
            return fmt
    return None
