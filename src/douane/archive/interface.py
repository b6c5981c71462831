"""The archive reader's contract: limits, errors, container issues and what an opened artifact holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from douane.domain import ArtifactKind, Member

if TYPE_CHECKING:
    from douane.archive.source import Data

MiB = 2**20


@dataclass(frozen=True)
class Limits:
    """Hard ceilings that keep one hostile upload from eating the scanner's memory or time."""

    max_total_bytes: int = 512 * MiB  # sum of unpacked sizes read or skipped through
    max_member_bytes: int = 128 * MiB  # one member
    max_members: int = 50_000
    max_ratio: float = 250.0  # unpacked / compressed, checked once unpacked > RATIO_FLOOR
    max_depth: int = 48  # path components
    full_read_bytes: int = 512 * 1024  # non-code members bigger than this: only the head is read
    head_bytes: int = 4096


RATIO_FLOOR = 16 * MiB  # below this much unpacked data a high ratio is harmless (and common)


class ArchiveError(Exception):
    """The artifact cannot be read at all; ``str(e)`` is the reason, and the verdict is "error"."""


class BudgetExceeded(ArchiveError):
    """The caller's deadline passed while reading ("time budget exceeded")."""

    def __init__(self, message: str = "time budget exceeded") -> None:
        super().__init__(message)


class IssueKind(StrEnum):
    """Something odd about the container itself, independent of what the files say."""

    ABSOLUTE_PATH = "absolute-path"
    PATH_TRAVERSAL = "path-traversal"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE_OR_FIFO = "device-or-fifo"
    TOO_DEEP = "too-deep"
    MEMBER_TOO_LARGE = "member-too-large"
    FORMAT_MISMATCH = "format-mismatch"
    DUPLICATE_MEMBER = "duplicate-member"
    ENCRYPTED_MEMBER = "encrypted-member"
    NESTED_ARCHIVE = "nested-archive"
    CORRUPT_MEMBER = "corrupt-member"


@dataclass(frozen=True)
class ArchiveIssue:
    """One container oddity; the analysis layer turns each into a finding."""

    kind: IssueKind
    path: str  # member name as stored, sanitised for display, at most 200 chars
    detail: str  # one line for a reviewer, e.g. "symlink to /etc/passwd"


@dataclass(frozen=True)
class Opened:
    """An artifact read into memory: its regular files as bytes, plus what was odd about it."""

    kind: ArtifactKind  # from the real format and the file name
    format: str  # "tar.gz", "tar.bz2", "tar.xz", "tar", "zip", "folder"
    members: tuple[Member, ...]  # regular files only; posix, relative paths without "./"
    issues: tuple[ArchiveIssue, ...]
    root: str  # the single top-level directory of an sdist ("pkg-1.0/"), else ""

    def member(self, path: str) -> Member | None:
        """The last member stored under ``path`` (the one an unpacker would leave on disk)."""
        for m in reversed(self.members):
            if m.path == path:
                return m
        return None


class EntryKind(StrEnum):
    """What an archive entry is, as its container declares it."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    SPECIAL = "special"  # character/block device, FIFO, socket
    ENCRYPTED = "encrypted"  # a regular file whose content cannot be read without a key


class Reader(Protocol):
    """A member's content stream, read in bounded chunks (never more than asked for)."""

    def read(self, n: int, /) -> bytes: ...


class Sink(Protocol):
    """Where an extractor reports entries; the sink owns every policy (paths, limits, deadline)."""

    limits: Limits

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
        """Record one entry, reading it through ``opener`` if the policy wants its bytes.

        ``link`` is a link's target, or what a special entry is ("FIFO"). Returns False when
        the member's content turned out to be corrupt (already recorded as an issue).
        """
        ...

    def account(self, unpacked: int, consumed: int | None = None) -> None:
        """Count bytes unpacked (read, or inflated and skipped) against the total and ratio
        limits; ``consumed`` is the compressed input used so far, if the format knows it."""
        ...

    def declare(self, unpacked: int, compressed: int) -> None:
        """Check sizes a container declares up front (a zip's directory) before reading any."""
        ...

    def issue(self, kind: IssueKind, path: str, detail: str) -> None: ...

    def tick(self) -> None:
        """Raise :class:`BudgetExceeded` once the deadline has passed."""
        ...


class Extractor(Protocol):
    """Reads one container format from memory and reports every entry to the sink.

    A new archive format is a new module implementing this, registered in ``reader.py``.
    """

    def __call__(self, data: Data, fmt: str, sink: Sink) -> None: ...
