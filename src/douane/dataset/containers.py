"""How dataset samples are stored: password zips holding one release file or an unpacked tree.

Public malware datasets wrap each sample in a zip encrypted with the password ``infected``
(so nothing on disk is a runnable package). malregistry wraps the release file itself;
DataDog wraps the *unpacked* release folder. Both are read here as bytes in memory.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from douane.archive import ArchiveError, Limits

PASSWORD = b"infected"
PASSWORD_ZIP = "password-zip"  # the zip holds one release file (the scanner reads it as is)
PASSWORD_ZIP_TREE = "password-zip-tree"  # the zip holds an unpacked release (DataDog)
_RELEASE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl", ".egg")


def read_tree_zip(path: Path, limits: Limits | None = None) -> list[tuple[str, bytes]]:
    """Every file of a password zip holding an unpacked release, as (path, bytes) in memory.

    Sizes are checked against ``limits`` before reading, so a hostile sample cannot
    exhaust memory; names are returned as stored (they are data, never paths to write).
    """
    limits = limits or Limits()
    out: list[tuple[str, bytes]] = []
    total = 0
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > limits.max_members:
                raise ArchiveError(f"{len(infos)} members, over the limit of {limits.max_members}")
            for info in infos:
                if info.file_size > limits.max_member_bytes:
                    raise ArchiveError(f"member {info.filename[:80]} is too large")
                total += info.file_size
                if total > limits.max_total_bytes:
                    raise ArchiveError("unpacked size over the limit")
                with zf.open(info, pwd=PASSWORD) as member:
                    out.append((info.filename, member.read(limits.max_member_bytes + 1)))
    except ArchiveError:
        raise
    except Exception as exc:  # wrong password, bad CRC, truncated zip...
        raise ArchiveError(f"cannot read sample {path.name}: {type(exc).__name__}: {exc}") from None
    if not out:
        raise ArchiveError(f"sample {path.name} is empty")
    return out


def tree_digest(files: list[tuple[str, bytes]]) -> str:
    """A stable SHA-256 for an unpacked release: over sorted (path, content hash) pairs."""
    h = hashlib.sha256()
    for name, data in sorted(files):
        h.update(name.encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def repack_tree(files: list[tuple[str, bytes]]) -> bytes:
    """An unencrypted zip of an unpacked release, built in memory for the archive reader."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return buf.getvalue()


def is_tree_zip(path: Path) -> bool:
    """True when a sample zip holds a folder of files rather than one release file."""
    with zipfile.ZipFile(path) as zf:
        files = [i for i in zf.infolist() if not i.is_dir()]
    return len(files) != 1 or not files[0].filename.lower().endswith(_RELEASE_SUFFIXES)
