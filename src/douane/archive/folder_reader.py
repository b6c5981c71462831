"""Reads an unpacked folder with the same rules as an archive, never following a symlink."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

from douane.archive.collect import SPECIAL_MODES, Metered, reason
from douane.archive.interface import ArchiveError, EntryKind, IssueKind, Sink
from douane.archive.paths import UNDECODABLE

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _open_regular(path: str, sink: Sink) -> Metered:
    """Open without following a link, and refuse anything that turned out not to be a regular
    file by then (the tree may change between listing and reading)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("no longer a regular file")
        os.set_blocking(fd, True)
        return Metered(os.fdopen(fd, "rb"), sink)
    except BaseException:
        os.close(fd)
        raise


def _shown(name: str) -> str:
    """A file-system name as text: undecodable bytes as ``%NN``, never lone surrogates."""
    return os.fsencode(name).decode("utf-8", UNDECODABLE)


def read_folder(root: Path, sink: Sink) -> None:
    """Walk ``root`` in path order (each folder's entries by name, depth first), reporting
    every entry to the sink; recursion is bounded by ``max_depth``."""
    _walk(os.fspath(root), "", 0, sink, top=True)


def _walk(folder: str, prefix: str, depth: int, sink: Sink, *, top: bool = False) -> None:
    limits = sink.limits
    sink.tick()
    try:
        with os.scandir(folder) as it:
            listing = sorted(itertools.islice(it, limits.max_members + 1), key=lambda e: e.name)
    except OSError as exc:
        if top:
            raise ArchiveError(f"cannot read folder {folder}: {reason(exc)}") from None
        sink.issue(IssueKind.CORRUPT_MEMBER, prefix, f"cannot list folder: {reason(exc)}")
        return
    for entry in listing:
        name = prefix + _shown(entry.name)
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            sink.issue(IssueKind.CORRUPT_MEMBER, name, f"cannot stat: {reason(exc)}")
            continue
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFLNK:
            try:
                target = _shown(os.readlink(entry.path))
            except OSError as exc:
                target = f"(unreadable target: {reason(exc)})"
            sink.entry(name, EntryKind.SYMLINK, link=target)
        elif kind == stat.S_IFDIR:
            sink.entry(name + "/", EntryKind.DIR)
            if depth + 1 <= limits.max_depth:  # deeper: the sink recorded TOO_DEEP
                _walk(entry.path, name + "/", depth + 1, sink)
        elif kind == stat.S_IFREG:
            sink.entry(
                name,
                EntryKind.FILE,
                size=st.st_size,
                executable=bool(st.st_mode & 0o111),
                opener=lambda p=entry.path: _open_regular(p, sink),
            )
        else:
            sink.entry(name, EntryKind.SPECIAL, link=SPECIAL_MODES.get(kind, "special file"))
