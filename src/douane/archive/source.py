"""A release file read where it lies on disk: sliced on demand, never held whole in memory."""

from __future__ import annotations

import io
import os
from typing import BinaryIO

SCAN_CHUNK = 1 << 20  # bytes read per step when searching the whole file
FILE_BUFFER = 64 * 1024


class FileBytes:
    """The read-only content of an open file (or a window of it), sliced like ``bytes``.

    Each slice is one ``pread``, so extractors take it wherever they take bytes and a 400 MB
    wheel costs only what is read out of it: the central directory and the members wanted,
    not 400 MB more. The caller owns the descriptor and closes it after extraction.
    """

    def __init__(self, fd: int, start: int = 0, end: int | None = None) -> None:
        self._fd = fd
        self._start = start
        self._end = os.fstat(fd).st_size if end is None else end

    def __len__(self) -> int:
        return max(0, self._end - self._start)

    def __getitem__(self, key: slice) -> bytes:
        start, stop, step = key.indices(len(self))
        if step != 1:
            raise ValueError("FileBytes slices are contiguous")
        parts = []
        while start < stop:  # a read may come back short; only the end of the file stops it
            part = _read_at(self._fd, stop - start, self._start + start)
            if not part:
                break
            parts.append(part)
            start += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def window(self, start: int, end: int) -> FileBytes:
        """The bytes between ``start`` and ``end`` of this one, still on disk."""
        start, end, _ = slice(start, end).indices(len(self))
        return FileBytes(self._fd, self._start + start, self._start + max(start, end))

    def count(self, sub: bytes) -> int:
        """Occurrences of ``sub`` (a marker that cannot overlap itself), read a slice at a time."""
        total, at, n = 0, 0, len(self)
        while at < n:
            # a match starting in this step ends at most len(sub) - 1 bytes past it
            total += self[at : at + SCAN_CHUNK + len(sub) - 1].count(sub)
            at += SCAN_CHUNK
        return total

    def file(self) -> BinaryIO:
        """A seekable file object over the window (for ``zipfile``), with its own position;
        buffered, so a member's header, name and small body come in one read."""
        return io.BufferedReader(_Window(self), FILE_BUFFER)


class _Window(io.RawIOBase):
    """``FileBytes`` as a read-only raw stream, buffered as any file object."""

    def __init__(self, data: FileBytes) -> None:
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._data)}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data[self._pos : self._pos + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def _read_at(fd: int, n: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # no pread (Windows): one reader per descriptor
    return os.read(fd, n)


Data = bytes | FileBytes  # what an extractor reads: bytes in memory, or a file on disk


def as_file(data: Data) -> BinaryIO:
    """A seekable file object over ``data`` without copying it."""
    return data.file() if isinstance(data, FileBytes) else io.BytesIO(data)
