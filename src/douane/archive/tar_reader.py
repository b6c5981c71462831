"""Reads tar archives (plain, gzip, bzip2, xz) in stream mode, one member at a time."""

from __future__ import annotations

import tarfile

from douane.archive.collect import reason
from douane.archive.inflate import Inflater
from douane.archive.interface import ArchiveError, EntryKind, IssueKind, Sink
from douane.archive.paths import UNDECODABLE
from douane.archive.source import Data

CODECS = {"tar.gz": "gz", "tar.bz2": "bz2", "tar.xz": "xz", "tar": "tar"}
SPECIAL = {
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "FIFO",
}


def read_tar(data: Data, fmt: str, sink: Sink) -> None:
    """Report every tar entry to the sink, reading content only as the sink asks.

    tarfile runs in stream mode (``r|``) over an :class:`Inflater`: one forward pass, each
    byte inflated once and counted against the limits while inflating, never the whole
    archive unpacked in memory. Keep tarfile's default 10 KiB stream buffer: it copies the
    rest of its buffer on every 512-byte header read, so a bigger one is slower.
    Names that are not UTF-8 show their raw bytes as ``%NN``, never as lone surrogates that
    would break JSON output later.
    """
    source = Inflater(data, CODECS[fmt], sink)
    last = ""
    seen = 0
    try:
        with tarfile.open(fileobj=source, mode="r|", errors=UNDECODABLE) as tar:
            while (info := tar.next()) is not None:
                seen += 1
                last = info.name
                if not _report(tar, info, sink):
                    break  # a broken stream cannot be trusted past this member
    except ArchiveError:
        raise
    except Exception as exc:  # tarfile, zlib, lzma... any failure is a reading problem
        if seen == 0:
            raise ArchiveError(f"cannot read {fmt} archive: {reason(exc)}") from None
        sink.issue(
            IssueKind.CORRUPT_MEMBER,
            last,
            f"archive is truncated or corrupt after this member: {reason(exc)}",
        )


def _report(tar: tarfile.TarFile, info: tarfile.TarInfo, sink: Sink) -> bool:
    if info.isdir():
        return sink.entry(info.name, EntryKind.DIR)
    if info.issym():
        return sink.entry(info.name, EntryKind.SYMLINK, link=info.linkname)
    if info.islnk():
        return sink.entry(info.name, EntryKind.HARDLINK, link=info.linkname)
    if info.type in SPECIAL:
        return sink.entry(info.name, EntryKind.SPECIAL, link=SPECIAL[info.type])
    # Regular files, and (as tarfile and pip treat them) members of unknown type.
    return sink.entry(
        info.name,
        EntryKind.FILE,
        size=info.size,
        executable=bool(info.mode & 0o111),
        opener=lambda: tar.extractfile(info),
    )
