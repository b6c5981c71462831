"""Reads zip containers (wheels, eggs, zip sdists) member by member, straight from memory."""

from __future__ import annotations

import lzma
import stat
import struct
import zipfile
import zlib

from douane.archive.collect import SPECIAL_MODES, Metered, reason
from douane.archive.inflate import Inflater
from douane.archive.interface import ArchiveError, EntryKind, Sink
from douane.archive.source import Data, FileBytes, as_file

LINK_TARGET_MAX = 1024
CENTRAL_SIG = b"PK\x01\x02"


def read_zip(data: Data, fmt: str, sink: Sink) -> None:
    """Report every zip entry to the sink.

    Declared sizes are checked before anything is inflated (a bomb's directory usually tells
    on it, including overlapping-entry bombs whose entries all point at the same data); bytes
    actually read are counted as well, because headers can lie. ``zipfile`` itself stops at
    the declared size and checks the CRC, so a lying member ends as a corrupt one. Unix mode
    bits are read whatever system wrote the zip, as pip does when it unpacks.
    """
    limits = sink.limits
    if data.count(CENTRAL_SIG) > limits.max_members:
        # Every directory entry starts with this signature, so the count bounds the entries
        # zipfile would parse (and hold in memory) before we could count them ourselves.
        raise ArchiveError(f"archive exceeds {limits.max_members} members")
    try:
        archive = zipfile.ZipFile(as_file(data))
        infos = archive.infolist()
    except Exception as exc:  # BadZipFile, struct.error, ValueError, MemoryError...
        raise ArchiveError(f"cannot read zip archive: {reason(exc)}") from None
    if len(infos) > limits.max_members:
        raise ArchiveError(f"archive exceeds {limits.max_members} members")
    sink.declare(sum(i.file_size for i in infos if not i.is_dir()), len(data))
    with archive:
        for info in infos:
            _report(archive, info, sink, data)


def _report(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: Sink, data: Data) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if info.is_dir() or kind == stat.S_IFDIR:
        sink.entry(name, EntryKind.DIR)
    elif kind == stat.S_IFLNK:
        sink.entry(name, EntryKind.SYMLINK, link=_link_target(archive, info, sink, data))
    elif kind in SPECIAL_MODES:
        sink.entry(name, EntryKind.SPECIAL, link=SPECIAL_MODES[kind])
    elif info.flag_bits & 0x1:
        sink.entry(name, EntryKind.ENCRYPTED, size=info.file_size)
    else:
        sink.entry(
            name,
            EntryKind.FILE,
            size=info.file_size,
            executable=bool(mode & 0o111),
            opener=lambda: _open(archive, info, sink, data),
        )


def _open(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: Sink, data: Data
) -> Metered | _CrcChecked:
    if info.compress_type in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        return _bounded(data, info, sink)
    return Metered(archive.open(info), sink, len(data))


class _CrcChecked:
    """Serves at most the declared size of a member and checks its CRC once all is read."""

    def __init__(self, stream: Inflater, info: zipfile.ZipInfo) -> None:
        self._stream = stream
        self._left = info.file_size
        self._expected = info.CRC
        self._crc = 0

    def read(self, n: int, /) -> bytes:
        data = self._stream.read(min(n, self._left))
        self._left -= len(data)
        self._crc = zlib.crc32(data, self._crc)
        if self._left == 0 and self._crc != self._expected:
            raise zipfile.BadZipFile("Bad CRC-32")
        return data

    def close(self) -> None:
        """Nothing to release: the compressed bytes are a view of the archive."""


def _bounded(data: Data, info: zipfile.ZipInfo, sink: Sink) -> _CrcChecked:
    """Read a bzip2 or LZMA member through our own decompressor.

    zipfile inflates these without an output bound (one call on a few KiB of bzip2 can yield
    gigabytes before it trims to the declared size), so they go through :class:`Inflater`,
    which never produces more than a bounded step before the limits are checked.
    """
    at = info.header_offset
    header = bytes(data[at : at + 30])
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    start = at + 30 + name_len + extra_len
    raw = _view(data, start, start + info.compress_size)
    if info.compress_type == zipfile.ZIP_BZIP2:
        stream = Inflater(raw, "bz2-single", sink, compressed_total=len(data))
    else:  # zip's LZMA: version (2 bytes), properties size (2), properties, raw LZMA1 data
        (props,) = struct.unpack_from("<H", bytes(raw[:4]), 2)
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, bytes(raw[4 : 4 + props]))]
        stream = Inflater(
            _view(raw, 4 + props, len(raw)), "lzma-raw", sink, compressed_total=len(data),
            filters=filters,
        )  # fmt: skip
    return _CrcChecked(stream, info)


def _view(data: Data | memoryview, start: int, end: int) -> FileBytes | memoryview:
    """Bytes ``start:end`` of ``data`` without copying them (still on disk for a file)."""
    return data.window(start, end) if isinstance(data, FileBytes) else memoryview(data)[start:end]


def _link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sink: Sink, data: Data) -> str:
    """A zip symlink stores its target as the member's content (Info-ZIP convention)."""
    if info.flag_bits & 0x1:
        return "(encrypted target)"
    try:
        member = _open(archive, info, sink, data)
        try:
            raw = member.read(LINK_TARGET_MAX)
        finally:
            member.close()
    except ArchiveError:
        raise
    except Exception as exc:
        return f"(unreadable target: {reason(exc)})"
    return raw.decode("utf-8", "backslashreplace")
