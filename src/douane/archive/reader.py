"""Entry points: open a release file, a folder or in-memory bytes; read dataset password zips."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import zipfile
import zlib
from pathlib import Path

from douane.archive.collect import Collector, human, reason
from douane.archive.folder_reader import read_folder
from douane.archive.interface import ArchiveError, Extractor, IssueKind, Limits, Opened
from douane.archive.paths import display
from douane.archive.sniff import SNIFF_BYTES, expected_format, has_prefixed_zip, sniff
from douane.archive.source import Data, FileBytes
from douane.archive.tar_reader import read_tar
from douane.archive.zip_reader import read_zip
from douane.domain import ArtifactKind, Member

DEFAULT_LIMITS = Limits()

EXTRACTORS: dict[str, Extractor] = {
    "tar.gz": read_tar,
    "tar.bz2": read_tar,
    "tar.xz": read_tar,
    "tar": read_tar,
    "zip": read_zip,
}

_WHEEL_MARK = re.compile(r"[^/]+\.dist-info/WHEEL")
_SDIST_MARK = re.compile(r"[^/]+/(PKG-INFO|setup\.py|pyproject\.toml)")


def open_artifact(
    path: Path,
    *,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    deadline: float | None = None,
) -> Opened:
    """Open a release file or an unpacked folder without extracting anything to disk."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ArchiveError(f"cannot open {path}: {reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        sink = Collector(limits, deadline)
        read_folder(path, sink)
        return _finish(sink, ArtifactKind.FOLDER, "folder")
    if not stat.S_ISREG(info.st_mode):
        raise ArchiveError(f"not a regular file or folder: {path}")
    try:  # non-blocking: a FIFO swapped in since the stat must not hang the worker
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {reason(exc)}") from None
    try:
        opened = os.fstat(fd)  # the file as opened, whatever the path names by now
        if not stat.S_ISREG(opened.st_mode):
            raise ArchiveError(f"not a regular file or folder: {path}")
        size = opened.st_size
        if size > limits.max_total_bytes:
            raise ArchiveError(
                f"file is {human(size)}, over the limit of {human(limits.max_total_bytes)}"
            )
        # read where it lies: only what the extractor asks for is ever in memory
        return _open_data(FileBytes(fd, 0, size), filename or path.name, limits, deadline)
    finally:
        os.close(fd)


def open_bytes(
    data: bytes,
    filename: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    deadline: float | None = None,
) -> Opened:
    """Open a release file already in memory (downloaded, or taken from a dataset sample).

    The container format comes from the bytes; the name only decides the artifact kind and
    whether the two disagree (a FORMAT_MISMATCH issue, since pip trusts the name).
    """
    return _open_data(data, filename, limits, deadline)


def _open_data(data: Data, filename: str, limits: Limits, deadline: float | None) -> Opened:
    sink = Collector(limits, deadline)
    sink.tick()
    fmt = sniff(data[:SNIFF_BYTES])
    if fmt is None:
        if not data:
            raise ArchiveError("empty file")
        if not has_prefixed_zip(data):
            raise ArchiveError(
                f"not a recognised archive: {display(filename)} starts with {data[:8].hex()}"
            )
        fmt = "zip"
        sink.issue(
            IssueKind.FORMAT_MISMATCH, filename, "zip directory behind unrecognised leading bytes"
        )
    promised = expected_format(filename)
    if promised is not None and promised != fmt:
        sink.issue(
            IssueKind.FORMAT_MISMATCH, filename, f"named as {promised} but the bytes are {fmt}"
        )
    EXTRACTORS[fmt](data, fmt, sink)
    return _finish(sink, _kind(filename, fmt, sink.members), fmt)


def _finish(sink: Collector, kind: ArtifactKind, fmt: str) -> Opened:
    if sink.entries == 0:
        raise ArchiveError("archive is empty" if fmt != "folder" else "folder is empty")
    corrupt = [i for i in sink.issues if i.kind is IssueKind.CORRUPT_MEMBER]
    if corrupt and sink.intact == 0:
        raise ArchiveError(f"corrupt archive: {corrupt[0].path}: {corrupt[0].detail}")
    members = tuple(sink.members)
    return Opened(
        kind=kind,
        format=fmt,
        members=members,
        issues=tuple(sink.issues),
        root=_root(members) if kind is ArtifactKind.SDIST else "",
    )


def _kind(filename: str, fmt: str, members: list[Member]) -> ArtifactKind:
    """The artifact kind from its name, checked against its real format; content decides only
    when the name says nothing (a bare download or a renamed sample)."""
    low = filename.lower()
    if low.endswith(".whl"):
        return ArtifactKind.WHEEL if fmt == "zip" else ArtifactKind.UNKNOWN
    if low.endswith(".egg"):
        return ArtifactKind.EGG if fmt == "zip" else ArtifactKind.UNKNOWN
    if expected_format(low) is not None:
        return ArtifactKind.SDIST
    if fmt == "zip" and any(_WHEEL_MARK.fullmatch(m.path) for m in members):
        return ArtifactKind.WHEEL
    if any(_SDIST_MARK.fullmatch(m.path) for m in members):
        return ArtifactKind.SDIST
    return ArtifactKind.UNKNOWN


def _root(members: tuple[Member, ...]) -> str:
    tops = {m.path.split("/", 1)[0] if "/" in m.path else "" for m in members}
    if len(tops) == 1 and "" not in tops:
        return tops.pop() + "/"
    return ""


FAST_UNWRAP_BYTES = 64 * 1024  # above this, decrypt with the system's unzip when it has one
UNZIP_TIMEOUT_S = 120


def read_password_zip(
    path: Path, password: bytes = b"infected", *, limits: Limits = DEFAULT_LIMITS
) -> tuple[str, bytes]:
    """Unwrap one dataset sample: the inner artifact's file name and its bytes, size-limited.

    Only the base name is returned, so a hostile inner name cannot point anywhere; the bytes
    are data for :func:`open_bytes`, never written out. zipfile decrypts ZipCrypto in pure
    Python (about 1 µs a byte); big samples go through ``unzip -p`` (to a pipe, never to
    disk) when the system has it, checked against the declared size and CRC, and fall back to
    zipfile on any disagreement.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as outer:
            files = [i for i in outer.infolist() if not i.is_dir()]
            if len(files) != 1:
                raise ArchiveError(f"expected one file in sample {path.name}, found {len(files)}")
            info = files[0]
            if info.file_size > limits.max_member_bytes:
                raise ArchiveError(
                    f"sample {path.name} holds {human(info.file_size)}, over the limit of "
                    f"{human(limits.max_member_bytes)}"
                )
            data = None
            if info.compress_size > FAST_UNWRAP_BYTES:
                data = _unzip_to_memory(path, password, info)
            if data is None:
                with outer.open(info, pwd=password) as inner:
                    data = inner.read(limits.max_member_bytes + 1)
    except ArchiveError:
        raise
    except Exception as exc:  # wrong password, bad CRC, truncated zip...
        raise ArchiveError(f"cannot read sample {path.name}: {reason(exc)}") from None
    if len(data) > limits.max_member_bytes:
        raise ArchiveError(
            f"sample {path.name} is over the limit of {human(limits.max_member_bytes)}"
        )
    name = info.filename.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if name in ("", ".", ".."):
        raise ArchiveError(f"sample {path.name} holds a file without a usable name")
    return name, data


def _unzip_to_memory(path: Path, password: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The sample's one member through ``unzip -p`` (C speed), or None to use zipfile.

    Reads at most the declared size plus one byte, and accepts the result only if unzip
    succeeded and the bytes match the declared size and CRC.
    """
    unzip = shutil.which("unzip")
    if unzip is None:
        return None
    command = [unzip, "-p", "-P", password, os.fsencode(path.resolve())]  # never "-..."
    try:
        with subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as proc:
            data = proc.stdout.read(info.file_size + 1) if proc.stdout else b""
            if len(data) > info.file_size:
                proc.kill()
                return None
            code = proc.wait(timeout=UNZIP_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    if code != 0 or len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return None
    return data
