"""Reads zip containers (wheels, eggs, zip sdists) member by member, straight from memory."""

from __future__ import annotations

import io
import stat
import zipfile

from douane.archive.collect import reason
from douane.archive.interface import ArchiveError, EntryKind, Sink

LINK_TARGET_MAX = 1024
CENTRAL_SIG = b"PK\x01\x02"
SPECIAL = {
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}


class Metered:
    """Wraps a member stream so every byte actually read is counted, whatever headers claim."""

    def __init__(self, raw: io.BufferedIOBase, sink: Sink, compressed: int) -> None:
        self._raw = raw
        self._sink = sink
        self._compressed = compressed

    def read(self, n: int, /) -> bytes:
        data = self._raw.read(n)
        self._sink.account(len(data), self._compressed)
        return data

    def close(self) -> None:
        self._raw.close()


def read_zip(data: bytes, fmt: str, sink: Sink) -> None:
    """Report every zip entry to the sink.

    Declared sizes are checked before anything is inflated (a bomb's directory usually tells
    on it, including overlapping-entry bombs whose entries all point at the same data); bytes
    actually read are counted as well, because headers can lie. ``zipfile`` itself stops at
    the declared size and checks the CRC, so a lying member ends as a corrupt one.
    """
    limits = sink.limits
    if data.count(CENTRAL_SIG) > limits.max_members:
        # Every directory entry starts with this signature, so the count bounds the entries
        # zipfile would parse (and hold in memory) before we could count them ourselves.
        raise ArchiveError(f"archive exceeds {limits.max_members} members")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # BadZipFile, struct.error, ValueError, MemoryError...
        raise ArchiveError(f"cannot read zip archive: {reason(exc)}") from None
    if len(infos) > limits.max_members:
        raise ArchiveError(f"archive exceeds {limits.max_members} members")
    sink.declare(sum(i.file_size for i in infos if not i.is_dir()), len(data))
    with archive:
        for info in infos:
            _report(archive, info, sink, len(data))


def _report(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: Sink, compressed: int) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.is_dir() or kind == stat.S_IFDIR:
        sink.entry(name, EntryKind.DIR)
    elif kind == stat.S_IFLNK:
        sink.entry(name, EntryKind.SYMLINK, link=_link_target(archive, info))
    elif kind in SPECIAL:
        sink.entry(name, EntryKind.SPECIAL, link=SPECIAL[kind])
    elif info.flag_bits & 0x1:
        sink.entry(name, EntryKind.ENCRYPTED, size=info.file_size)
    else:
        sink.entry(
            name,
            EntryKind.FILE,
            size=info.file_size,
            executable=bool(mode & 0o111),
            opener=lambda: Metered(archive.open(info), sink, compressed),
        )


def _link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """A zip symlink stores its target as the member's content (Info-ZIP convention)."""
    if info.flag_bits & 0x1:
        return "(encrypted target)"
    try:
        with archive.open(info) as f:
            raw = f.read(LINK_TARGET_MAX)
    except Exception as exc:
        return f"(unreadable target: {reason(exc)})"
    return raw.decode("utf-8", "backslashreplace")
