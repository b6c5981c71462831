"""Release files are read where they lie: the same result as from memory, at a fraction of it."""

from __future__ import annotations

import io
import os
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from douane.archive import ArchiveError, open_artifact, open_bytes
from douane.archive import source as source_mod
from douane.archive.source import FileBytes
from tests.archive.builders import (
    MiB,
    encrypted_zip,
    lie_about_size,
    many_member_zip,
    overlapping_zip,
    sdist_files,
    tar_bytes,
    wheel_files,
    zip_bytes,
)


def _compressed_zip(method: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in wheel_files():
            zf.writestr(name, data)
        zf.writestr("pkg/big.py", b"x = 1\n" * 300_000)
    return buf.getvalue()


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "tar.gz": ("pkg-1.0.tar.gz", lambda: tar_bytes(sdist_files())),
    "tar.bz2": ("pkg-1.0.tar.bz2", lambda: tar_bytes(sdist_files(), mode="w:bz2")),
    "tar.xz": ("pkg-1.0.tar.xz", lambda: tar_bytes(sdist_files(), mode="w:xz")),
    "tar": ("pkg-1.0.tar", lambda: tar_bytes(sdist_files(), mode="w")),
    "links": (
        "pkg-1.0.tar.gz",
        lambda: tar_bytes(sdist_files(), extra=[_symlink("pkg-1.0/p", "/etc/passwd")]),
    ),
    "truncated tar.gz": ("pkg-1.0.tar.gz", lambda: _truncated(tar_bytes(_big_sdist()))),
    "wheel": ("pkg-1.0-py3-none-any.whl", lambda: zip_bytes(wheel_files())),
    "bzip2 members": ("pkg-1.0-py3-none-any.whl", lambda: _compressed_zip(zipfile.ZIP_BZIP2)),
    "lzma members": ("pkg-1.0-py3-none-any.whl", lambda: _compressed_zip(zipfile.ZIP_LZMA)),
    "leading bytes": ("pkg-1.0.zip", lambda: b"MZ" + os.urandom(5000) + zip_bytes(wheel_files())),
    "lying size": (
        "pkg-1.0-py3-none-any.whl",
        lambda: lie_about_size(zip_bytes([("pkg/a.py", b"\0" * MiB)]), "pkg/a.py", 100),
    ),
    "overlapping bomb": ("bomb-1.0.zip", lambda: overlapping_zip(copies=600, member_size=MiB)),
    "encrypted": ("pkg-1.0.zip", lambda: encrypted_zip([("pkg/a.py", b"x")], b"pw")),
    "many members": ("many-1.0.zip", lambda: many_member_zip(60_000)),
    "truncated zip": ("pkg-1.0.zip", lambda: _truncated(zip_bytes(wheel_files()))),
    "not an archive": ("pkg-1.0.tar.gz", lambda: b"just some text\n" * 10),
    "empty": ("pkg-1.0.tar.gz", lambda: b""),
}


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def _big_sdist() -> list[tuple[str, bytes]]:
    return [*sdist_files(), ("pkg-1.0/data.py", os.urandom(200_000).hex().encode())]


def _truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def _outcome(read: Callable[[], object]) -> object:
    try:
        return read()
    except ArchiveError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_on_disk_opens_exactly_as_its_bytes_in_memory(tmp_path: Path, case: str):
    filename, build = CASES[case]
    data = build()
    path = tmp_path / filename
    path.write_bytes(data)

    assert _outcome(lambda: open_artifact(path)) == _outcome(lambda: open_bytes(data, filename))


def test_a_big_wheel_is_not_read_into_memory(tmp_path: Path):
    """Regression guard: the whole release file used to be read into memory before anything
    was extracted, so a 400 MB wheel cost a worker 400 MB on top of its members. Only the
    zip's directory and the members wanted are read now (a big non-code file: its head)."""
    path = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in wheel_files():
            zf.writestr(name, data)
        zf.writestr("pkg/model.bin", os.urandom(24 * MiB))

    tracemalloc.start()
    try:
        opened = open_artifact(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert len(opened.member("pkg/model.bin").data) == 4096
    assert peak < 2 * MiB


def test_a_big_member_is_gathered_without_a_second_copy():
    """Regression guard: a member read in many chunks was joined at the end, holding the
    chunks and the joined copy at once (twice the member: 256 MiB at the 128 MiB limit)."""
    source = b"VALUE = 'x'\n" * (2 * MiB)  # 24 MiB of code, read in full in 1 MiB steps
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # stored: no ratio to refuse
        zf.writestr("pkg/big.py", source)
    data = buf.getvalue()

    tracemalloc.start()
    try:
        opened = open_bytes(data, "pkg-1.0-py3-none-any.whl")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert opened.member("pkg/big.py").data == source
    assert peak < 1.4 * len(source)


def test_file_bytes_count_a_marker_across_read_steps(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(source_mod, "SCAN_CHUNK", 5)
    data = b"..PK\x01\x02PK\x01\x02.PK\x01\x02....PK\x01\x02PK\x01"
    path = tmp_path / "blob"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        blob = FileBytes(fd)
        assert blob.count(b"PK\x01\x02") == data.count(b"PK\x01\x02") == 4
        assert blob[3:9] == data[3:9] and blob[-3:] == data[-3:] and blob[40:50] == b""
        window = blob.window(2, 12)
        assert window[:] == data[2:12] and len(window) == 10
        assert window.window(4, 100)[:] == data[6:12]
    finally:
        os.close(fd)
