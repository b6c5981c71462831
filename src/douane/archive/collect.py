"""The one place the reading policy lives: path checks, size limits, what to read and the deadline."""

from __future__ import annotations

import contextlib
import io
import stat
import time
from collections.abc import Callable
from typing import BinaryIO

from douane.archive.interface import (
    RATIO_FLOOR,
    ArchiveError,
    ArchiveIssue,
    BudgetExceeded,
    EntryKind,
    IssueKind,
    Limits,
    Reader,
    Sink,
)
from douane.archive.paths import archive_magic, display, is_archive_name, is_code_path, normalise
from douane.domain import Member

READ_CHUNK = 1 << 20  # large reads go in slices so the deadline is checked between them
SPECIAL_MODES = {  # unix file types that are neither files, folders nor links
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
}


class Metered:
    """Wraps a member stream so every byte actually read is counted, whatever headers claim."""

    def __init__(self, raw: BinaryIO, sink: Sink, compressed: int | None = None) -> None:
        self._raw = raw
        self._sink = sink
        self._compressed = compressed

    def read(self, n: int, /) -> bytes:
        data = self._raw.read(n)
        self._sink.account(len(data), self._compressed)
        return data

    def close(self) -> None:
        self._raw.close()


class Content:
    """A member's bytes as they are read, gathered without a second copy of the whole.

    Joining a list of chunks holds the chunks and the joined bytes at once (twice the member,
    128 MiB at the per-member limit); a ``BytesIO`` grows in place (the allocator moves big
    blocks by remapping, not copying) and hands its buffer over without copying it.
    """

    def __init__(self) -> None:
        self._first = b""
        self._buffer: io.BytesIO | None = None
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if not self.size:
            self._first = chunk  # most members are one chunk: kept as read
        else:
            if self._buffer is None:
                self._buffer = io.BytesIO()
                self._buffer.write(self._first)
                self._first = b""
            self._buffer.write(chunk)
        self.size += len(chunk)

    def value(self) -> bytes:
        return self._first if self._buffer is None else self._buffer.getvalue()


def human(n: float) -> str:
    """A byte count a reviewer can read at a glance."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # unreachable; keeps type checkers content


class Collector:
    """Receives every entry an extractor finds and turns it into members and issues.

    Extractors only translate their library's view of a container; everything that decides
    safety (names, links, sizes, budgets) is here, so every format gets the same rules.
    """

    def __init__(self, limits: Limits, deadline: float | None) -> None:
        self.limits = limits
        self.deadline = deadline
        self.members: list[Member] = []
        self.issues: list[ArchiveIssue] = []
        self.entries = 0
        self.intact = 0  # regular members read without error
        self.unpacked = 0
        self.declared = 0
        self._seen: set[str] = set()

    def tick(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BudgetExceeded()

    def issue(self, kind: IssueKind, path: str, detail: str) -> None:
        self.issues.append(ArchiveIssue(kind, display(path), display(detail, 300)))

    def account(self, unpacked: int, consumed: int | None = None) -> None:
        self.unpacked += unpacked
        limits = self.limits
        if self.unpacked > limits.max_total_bytes:
            raise ArchiveError(
                f"unpacked size exceeds the limit of {human(limits.max_total_bytes)}"
            )
        if consumed and self.unpacked > RATIO_FLOOR:
            self._check_ratio(self.unpacked, consumed)
        self.tick()

    def declare(self, unpacked: int, compressed: int) -> None:
        limits = self.limits
        if unpacked > limits.max_total_bytes:
            raise ArchiveError(
                f"archive declares {human(unpacked)} unpacked, over the limit of "
                f"{human(limits.max_total_bytes)}"
            )
        if unpacked > RATIO_FLOOR:
            self._check_ratio(unpacked, max(compressed, 1))

    def _check_ratio(self, unpacked: int, compressed: int) -> None:
        ratio = unpacked / compressed
        if ratio > self.limits.max_ratio:
            raise ArchiveError(
                f"compression ratio {ratio:.0f}:1 exceeds limit (likely a decompression bomb)"
            )

    def entry(
        self,
        raw_name: str,
        kind: EntryKind,
        *,
        size: int = 0,
        link: str = "",
        executable: bool = False,
        opener: Callable[[], Reader] | None = None,
    ) -> bool:
        self.tick()
        self.entries += 1
        limits = self.limits
        if self.entries > limits.max_members:
            raise ArchiveError(f"archive exceeds {limits.max_members} members")
        path, problem = normalise(raw_name, limits.max_depth)
        if problem is not None:
            self._path_issue(IssueKind(problem), raw_name, kind, link)
            return True
        if not path or kind is EntryKind.DIR:
            return True
        if kind is EntryKind.SYMLINK:
            self.issue(IssueKind.SYMLINK, raw_name, f"symlink to {link}")
            return True
        if kind is EntryKind.HARDLINK:
            self.issue(IssueKind.HARDLINK, raw_name, f"hard link to {link}")
            return True
        if kind is EntryKind.SPECIAL:
            self.issue(IssueKind.DEVICE_OR_FIFO, raw_name, f"{link or 'special file'} member")
            return True
        if kind is EntryKind.ENCRYPTED:
            self.issue(
                IssueKind.ENCRYPTED_MEMBER, raw_name, f"encrypted member ({human(size)} unpacked)"
            )
            return True
        return self._file(path, raw_name, size, executable, opener)

    def _path_issue(self, kind: IssueKind, raw_name: str, entry: EntryKind, link: str) -> None:
        what = {
            EntryKind.SYMLINK: f"symlink to {link}",
            EntryKind.HARDLINK: f"hard link to {link}",
            EntryKind.DIR: "directory",
        }.get(entry, str(entry))
        if kind is IssueKind.ABSOLUTE_PATH:
            detail = f"absolute path ({what}): a naive unpacker writes it outside its folder"
        elif kind is IssueKind.PATH_TRAVERSAL:
            detail = f"'..' in the path ({what}) escapes the unpack folder"
        else:
            depth = len([p for p in raw_name.replace("\\", "/").split("/") if p not in ("", ".")])
            detail = f"{depth} path components, over the limit of {self.limits.max_depth}; skipped"
        self.issue(kind, raw_name, detail)

    def _file(
        self,
        path: str,
        raw_name: str,
        size: int,
        executable: bool,
        opener: Callable[[], Reader] | None,
    ) -> bool:
        limits = self.limits
        if size < 0 or opener is None:
            self.issue(IssueKind.CORRUPT_MEMBER, raw_name, f"unreadable member (size {size})")
            return False
        self.declared += size
        if self.declared > limits.max_total_bytes:
            raise ArchiveError(
                f"archive declares more than {human(limits.max_total_bytes)} unpacked, "
                "over the limit"
            )
        if path in self._seen:
            self.issue(
                IssueKind.DUPLICATE_MEMBER,
                raw_name,
                "stored more than once; unpackers keep the last copy",
            )
        self._seen.add(path)

        nested = is_archive_name(path)
        if size > limits.max_member_bytes:
            self.issue(
                IssueKind.MEMBER_TOO_LARGE,
                raw_name,
                f"{human(size)}, over the per-member limit of {human(limits.max_member_bytes)}; "
                "only its head was read",
            )
            want = limits.head_bytes
        elif not nested and (size <= limits.full_read_bytes or is_code_path(path)):
            want = size
        else:
            want = limits.head_bytes
        want = min(want, size)

        content = Content()
        reader: Reader | None = None
        try:
            reader = opener() if want else None
            while reader is not None and content.size < want:
                chunk = reader.read(min(READ_CHUNK, want - content.size))
                if not chunk:
                    break
                content.add(chunk)
                self.tick()
        except ArchiveError:
            raise
        except Exception as exc:  # any library failure on one member is evidence
            self.issue(IssueKind.CORRUPT_MEMBER, raw_name, f"cannot read: {reason(exc)}")
            if content.size:
                self.members.append(Member(path, content.value(), size, True, executable))
            return False
        finally:
            close = getattr(reader, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):  # closing a broken stream may fail too
                    close()

        data = content.value()
        if len(data) < want:
            self.issue(
                IssueKind.CORRUPT_MEMBER,
                raw_name,
                f"declares {human(size)} but holds only {human(len(data))}",
            )
        magic = None if nested else archive_magic(data[:512])
        if nested or magic:
            self.issue(
                IssueKind.NESTED_ARCHIVE,
                raw_name,
                f"archive inside the archive ({magic or 'by name'}); not unpacked",
            )
        self.members.append(Member(path, data, size, len(data) < size, executable))
        self.intact += 1
        return True


def reason(exc: BaseException) -> str:
    """A one-line reason for a library failure, naming the exception when it says nothing."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
