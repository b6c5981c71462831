"""Hostile containers: bombs, escapes, links, devices, garbage. Each must end in a clear
issue or ArchiveError, quickly, with nothing written to disk."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import random
import tarfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from douane.archive import ArchiveError, IssueKind, Limits, open_artifact, open_bytes
from douane.archive.collect import Metered
from douane.archive.inflate import Inflater
from tests.archive.builders import (
    SETUP_PY,
    MiB,
    encrypted_zip,
    lie_about_size,
    longname_chain_tar,
    many_member_tar,
    many_member_zip,
    overlapping_zip,
    sdist_files,
    special,
    tar_bytes,
    wheel_files,
    write_gzip_of_zeros,
    write_gzip_tar_bomb,
    zip_bytes,
    zip_of_zeros,
)


def issues_of(opened, kind: IssueKind):
    return [i for i in opened.issues if i.kind is kind]


@pytest.fixture
def inflated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every byte the tar reader's decompressor hands out."""
    total = [0]
    real = Inflater.read

    def counting(self, n=-1):
        out = real(self, n)
        total[0] += len(out)
        return out

    monkeypatch.setattr(Inflater, "read", counting)
    return total


@pytest.fixture
def zip_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every byte actually read out of zip members."""
    total = [0]
    real = Metered.read

    def counting(self, n):
        out = real(self, n)
        total[0] += len(out)
        return out

    monkeypatch.setattr(Metered, "read", counting)
    return total


# --- decompression bombs -----------------------------------------------------------------


def test_gzip_bomb_stopped_by_ratio_long_before_inflating(tmp_path: Path, inflated: list[int]):
    path = tmp_path / "bomb-1.0.tar.gz"
    unpacked = write_gzip_tar_bomb(path, members=128, member_size=8 * MiB)  # 1 GiB of zeros
    assert path.stat().st_size < 2 * MiB

    with pytest.raises(ArchiveError, match=r"compression ratio \d+:1 exceeds limit"):
        open_artifact(path)
    assert inflated[0] <= 17 * MiB < unpacked


def test_gzip_bomb_stopped_at_total_limit_when_ratio_allows(tmp_path: Path, inflated: list[int]):
    path = tmp_path / "bomb-1.0.tar.gz"
    write_gzip_tar_bomb(path, members=128, member_size=8 * MiB)
    limits = Limits(max_ratio=1e9, max_total_bytes=64 * MiB)

    with pytest.raises(ArchiveError, match="exceeds the limit|over the limit"):
        open_artifact(path, limits=limits)
    assert inflated[0] <= 65 * MiB


def test_gzip_bomb_declaring_one_huge_member_is_refused_from_its_header(
    tmp_path: Path, inflated: list[int]
):
    path = tmp_path / "bomb-1.0.tar.gz"
    write_gzip_tar_bomb(path, members=1, member_size=1024 * MiB)

    with pytest.raises(ArchiveError, match="declares"):
        open_artifact(path)
    assert inflated[0] < MiB


def test_gzip_of_zeros_without_a_tar_is_an_empty_archive(tmp_path: Path, inflated: list[int]):
    path = tmp_path / "zeros.tar.gz"
    write_gzip_of_zeros(path, 1024 * MiB)

    with pytest.raises(ArchiveError, match="empty"):
        open_artifact(path)
    assert inflated[0] < MiB


def test_zip_bomb_with_high_declared_ratio(tmp_path: Path, zip_read: list[int]):
    path = tmp_path / "bomb-1.0-py3-none-any.whl"
    zip_of_zeros(path, members=2, member_size=16 * MiB)

    with pytest.raises(
        ArchiveError, match=r"compression ratio \d+:1 exceeds limit \(likely a decompression bomb\)"
    ):
        open_artifact(path)
    assert zip_read[0] == 0


def test_zip_bomb_with_overlapping_entries(zip_read: list[int]):
    data = overlapping_zip(copies=600, member_size=MiB)  # declares 600 MiB
    assert len(data) < 100_000

    with pytest.raises(ArchiveError, match="declares"):
        open_bytes(data, "bomb-1.0.zip")
    assert zip_read[0] == 0


def test_zip_member_lying_about_its_size_is_cut_at_the_declared_size(zip_read: list[int]):
    """Headers that declare 100 bytes for a stream inflating to 16 MiB: only the declared
    bytes are read, the CRC check fails, and the honest member is still delivered."""
    honest = ("pkg/__init__.py", b"x = 1\n")
    data = zip_bytes([honest, ("pkg/payload.py", b"\0" * (16 * MiB))])
    data = lie_about_size(data, "pkg/payload.py", 100)

    opened = open_bytes(data, "pkg-1.0-py3-none-any.whl")

    corrupt = issues_of(opened, IssueKind.CORRUPT_MEMBER)
    assert [i.path for i in corrupt] == ["pkg/payload.py"]
    assert "CRC" in corrupt[0].detail
    assert opened.member("pkg/__init__.py").data == honest[1]
    assert zip_read[0] <= 100 + len(honest[1])


def test_too_many_members_in_a_zip(tmp_path: Path):
    path = tmp_path / "many-1.0.zip"
    path.write_bytes(many_member_zip(100_000))

    started = time.monotonic()
    with pytest.raises(ArchiveError, match="archive exceeds 50000 members"):
        open_artifact(path)
    assert time.monotonic() - started < 2  # refused before zipfile parses the directory


def test_zip_with_members_at_the_limit_is_read():
    opened = open_bytes(many_member_zip(2000), "many-1.0.zip", limits=Limits(max_members=2000))
    assert len(opened.members) == 2000


def test_too_many_members_in_a_tar():
    with pytest.raises(ArchiveError, match="archive exceeds 50000 members"):
        open_bytes(many_member_tar(100_000), "many-1.0.tar")


def test_tar_with_members_at_the_limit_is_read():
    opened = open_bytes(many_member_tar(2000), "many-1.0.tar", limits=Limits(max_members=2000))
    assert len(opened.members) == 2000
    assert opened.member("m/0001999") is not None


# --- names that escape, links and devices --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("../../escape-douane.py", IssueKind.PATH_TRAVERSAL),
        ("pkg-1.0/../../escape-douane.py", IssueKind.PATH_TRAVERSAL),
        ("pkg-1.0\\..\\..\\escape-douane.bat", IssueKind.PATH_TRAVERSAL),
        ("/tmp/escape-douane.py", IssueKind.ABSOLUTE_PATH),
        ("C:\\Windows\\escape-douane.bat", IssueKind.ABSOLUTE_PATH),
        ("c:/escape-douane.bat", IssueKind.ABSOLUTE_PATH),
    ],
)
@pytest.mark.parametrize("container", ["tar", "zip"])
def test_escaping_names_are_issues_and_never_members(name: str, kind: IssueKind, container: str):
    files = [*sdist_files(), (name, b"import os\n")]
    data = tar_bytes(files) if container == "tar" else zip_bytes(files)

    opened = open_bytes(data, "pkg-1.0.tar.gz" if container == "tar" else "pkg-1.0.zip")

    assert [(i.kind, i.path) for i in opened.issues if i.kind is not IssueKind.FORMAT_MISMATCH] == [
        (kind, name)
    ]
    assert all("escape" not in m.path and ".." not in m.path for m in opened.members)
    assert len(opened.members) == 3


def test_tar_symlink_and_hardlink_are_issues_with_their_targets():
    data = tar_bytes(
        sdist_files(),
        extra=[
            special("pkg-1.0/passwd", tarfile.SYMTYPE, "/etc/passwd"),
            special("pkg-1.0/up", tarfile.SYMTYPE, "../../.."),
            special("pkg-1.0/copy.py", tarfile.LNKTYPE, "pkg-1.0/setup.py"),
        ],
    )

    opened = open_bytes(data, "pkg-1.0.tar.gz")

    assert [(i.kind, i.path, i.detail) for i in opened.issues] == [
        (IssueKind.SYMLINK, "pkg-1.0/passwd", "symlink to /etc/passwd"),
        (IssueKind.SYMLINK, "pkg-1.0/up", "symlink to ../../.."),
        (IssueKind.HARDLINK, "pkg-1.0/copy.py", "hard link to pkg-1.0/setup.py"),
    ]
    assert {m.path for m in opened.members} == {p for p, _ in sdist_files()}


def test_zip_symlink_is_an_issue_with_its_target():
    data = zip_bytes(wheel_files(), links=[("pkg/secrets", "/etc/shadow")])

    opened = open_bytes(data, "pkg-1.0-py3-none-any.whl")

    assert [(i.kind, i.path, i.detail) for i in opened.issues] == [
        (IssueKind.SYMLINK, "pkg/secrets", "symlink to /etc/shadow")
    ]
    assert opened.member("pkg/secrets") is None


def test_device_and_fifo_members_are_issues():
    data = tar_bytes(
        sdist_files(),
        extra=[
            special("pkg-1.0/dev-null", tarfile.CHRTYPE),
            special("pkg-1.0/disk", tarfile.BLKTYPE),
            special("pkg-1.0/pipe", tarfile.FIFOTYPE),
        ],
    )

    opened = open_bytes(data, "pkg-1.0.tar.gz")

    assert [(i.kind, i.path) for i in opened.issues] == [
        (IssueKind.DEVICE_OR_FIFO, "pkg-1.0/dev-null"),
        (IssueKind.DEVICE_OR_FIFO, "pkg-1.0/disk"),
        (IssueKind.DEVICE_OR_FIFO, "pkg-1.0/pipe"),
    ]
    assert "FIFO" in opened.issues[2].detail
    assert len(opened.members) == 3


def test_deep_paths_are_skipped():
    deep = "pkg-1.0/" + "d/" * 60 + "deep.py"
    opened = open_bytes(tar_bytes([*sdist_files(), (deep, b"x = 1\n")]), "pkg-1.0.tar.gz")

    assert [(i.kind, i.path) for i in opened.issues] == [(IssueKind.TOO_DEEP, deep)]
    assert opened.member(deep) is None
    assert len(opened.members) == 3


def test_control_characters_in_names_are_escaped_for_display():
    name = "pkg-1.0/evil\x1b[2J\u202egnp.py"
    opened = open_bytes(
        tar_bytes([(name, b"")], extra=[special(name + "l", tarfile.SYMTYPE, "/x")]),
        "pkg-1.0.tar.gz",
    )

    assert opened.issues[0].path == "pkg-1.0/evil\\x1b[2J\\x202egnp.pyl"


# --- folders ---------------------------------------------------------------------------


def test_folder_symlinks_are_never_followed(tmp_path: Path):
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "setup.py").write_bytes(SETUP_PY)
    os.symlink("/etc/passwd", root / "passwd")
    os.symlink("/", root / "slash")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_bytes(b"TOKEN = 1\n")
    os.symlink(outside, root / "linked-dir")

    opened = open_artifact(root)

    assert [(i.kind, i.path) for i in opened.issues] == [
        (IssueKind.SYMLINK, "linked-dir"),
        (IssueKind.SYMLINK, "passwd"),
        (IssueKind.SYMLINK, "slash"),
    ]
    assert opened.issues[1].detail == "symlink to /etc/passwd"
    assert [m.path for m in opened.members] == ["setup.py"]


def test_folder_fifo_is_an_issue_and_never_opened(tmp_path: Path):
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "setup.py").write_bytes(SETUP_PY)
    os.mkfifo(root / "pipe")  # opening it for reading would block forever

    opened = open_artifact(root)

    assert [(i.kind, i.path) for i in opened.issues] == [(IssueKind.DEVICE_OR_FIFO, "pipe")]


def test_folder_depth_is_limited(tmp_path: Path):
    root = tmp_path / "pkg"
    deep = root.joinpath(*["d"] * 6)
    deep.mkdir(parents=True)
    (deep / "x.py").write_bytes(b"")
    (root / "setup.py").write_bytes(SETUP_PY)

    opened = open_artifact(root, limits=Limits(max_depth=4))

    assert [i.kind for i in opened.issues] == [IssueKind.TOO_DEEP]
    assert [m.path for m in opened.members] == ["setup.py"]


def test_empty_folder_is_an_error(tmp_path: Path):
    with pytest.raises(ArchiveError, match="folder is empty"):
        open_artifact(tmp_path)


# --- wrong, broken and unreadable bytes ---------------------------------------------------


def test_garbage_bytes_are_not_an_archive(tmp_path: Path):
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(b"<html>this is not an archive</html>\n" * 20)

    with pytest.raises(ArchiveError, match="not a recognised archive"):
        open_artifact(path)


def test_empty_file(tmp_path: Path):
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(b"")

    with pytest.raises(ArchiveError, match="empty file"):
        open_artifact(path)


def test_missing_file_is_an_archive_error(tmp_path: Path):
    with pytest.raises(ArchiveError, match="cannot open"):
        open_artifact(tmp_path / "nope.tar.gz")


def test_truncated_gzip_keeps_what_came_before_the_cut():
    files = [(f"pkg-1.0/mod{i}.py", random.Random(i).randbytes(20_000)) for i in range(10)]
    data = tar_bytes(files)
    cut = data[: len(data) * 6 // 10]

    opened = open_bytes(cut, "pkg-1.0.tar.gz")

    corrupt = issues_of(opened, IssueKind.CORRUPT_MEMBER)
    assert len(corrupt) == 1
    assert "truncated" in corrupt[0].detail
    intact = [m for m in opened.members if not m.truncated]
    assert intact
    for member in intact:
        assert member.data == dict(files)[member.path]


def test_gzip_cut_inside_the_first_header_is_an_archive_error():
    data = tar_bytes(sdist_files())

    with pytest.raises(ArchiveError, match="cannot read tar.gz archive"):
        open_bytes(data[:20], "pkg-1.0.tar.gz")


def test_zip_behind_a_tar_gz_name_is_read_as_zip():
    opened = open_bytes(zip_bytes(sdist_files()), "pkg-1.0.tar.gz")

    assert opened.format == "zip"
    assert [(i.kind, i.detail) for i in opened.issues] == [
        (IssueKind.FORMAT_MISMATCH, "named as tar.gz but the bytes are zip")
    ]
    assert opened.member("pkg-1.0/setup.py").data == SETUP_PY


def test_gzip_tar_behind_a_wheel_name_is_not_a_wheel():
    opened = open_bytes(tar_bytes(sdist_files()), "pkg-1.0-py3-none-any.whl")

    assert opened.format == "tar.gz"
    assert opened.kind.value == "unknown"
    assert issues_of(opened, IssueKind.FORMAT_MISMATCH)


def test_zip_behind_leading_junk_is_still_read():
    """pip's unzip accepts a zip with bytes in front (self-extractor, polyglot), so the
    scanner must see its files rather than give up."""
    data = b"#!/bin/sh\necho hi\nexit 0\n" + zip_bytes(wheel_files())

    opened = open_bytes(data, "pkg-1.0-py3-none-any.whl")

    assert opened.format == "zip"
    assert issues_of(opened, IssueKind.FORMAT_MISMATCH)
    assert opened.member("pkg/__init__.py") is not None


def test_encrypted_zip_member_is_an_issue():
    data = encrypted_zip(
        [("pkg/hidden.py", b"import os\n")], b"secret", plain=[("pkg/__init__.py", b"x = 1\n")]
    )

    opened = open_bytes(data, "pkg-1.0-py3-none-any.whl")

    assert [(i.kind, i.path) for i in opened.issues] == [
        (IssueKind.ENCRYPTED_MEMBER, "pkg/hidden.py")
    ]
    assert [m.path for m in opened.members] == ["pkg/__init__.py"]


def test_zip_whose_only_member_is_corrupt_is_an_archive_error():
    data = lie_about_size(zip_bytes([("pkg/a.py", b"a" * 10_000)]), "pkg/a.py", 10)

    with pytest.raises(ArchiveError, match="corrupt archive"):
        open_bytes(data, "pkg-1.0.zip")


@pytest.mark.parametrize("seed", range(4))
def test_mutated_archives_never_crash(seed: int):
    """Fuzz guard: random byte flips and cuts in valid archives end in an Opened or an
    ArchiveError, never in another exception."""
    rng = random.Random(seed)
    bases = [
        (tar_bytes(sdist_files()), "pkg-1.0.tar.gz"),
        (tar_bytes(sdist_files(), mode="w:bz2"), "pkg-1.0.tar.bz2"),
        (tar_bytes(sdist_files(), mode="w:xz"), "pkg-1.0.tar.xz"),
        (tar_bytes(sdist_files(), mode="w"), "pkg-1.0.tar"),
        (zip_bytes(wheel_files()), "pkg-1.0-py3-none-any.whl"),
    ]
    started = time.monotonic()
    for _ in range(60):
        data, name = rng.choice(bases)
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        if rng.random() < 0.3:
            mutated = mutated[: rng.randrange(len(mutated))]
        with contextlib.suppress(ArchiveError):
            open_bytes(bytes(mutated), name)
    assert time.monotonic() - started < 20


def test_multi_member_gzip_is_read_whole():
    """Concatenated gzip streams are one valid .tar.gz for gzip, tar and pip."""
    raw = tar_bytes(sdist_files(), mode="w")
    half = len(raw) // 2
    data = gzip.compress(raw[:half]) + gzip.compress(raw[half:])

    opened = open_bytes(data, "pkg-1.0.tar.gz")

    assert opened.issues == ()
    assert len(opened.members) == 3


def test_chained_long_name_headers_end_in_an_archive_error():
    """tarfile follows GNU long-name headers recursively; thousands of them must become a
    RecursionError turned into ArchiveError, not a crashed scan."""
    with pytest.raises(ArchiveError, match="cannot read tar archive"):
        open_bytes(longname_chain_tar(5000), "pkg-1.0.tar")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_bzip2_and_lzma_zip_members_are_read(method: int):
    source = b"import os\n" * 50_000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("pkg/__init__.py", source)
        zf.writestr("pkg/data.bin", bytes(range(256)) * 4096)

    opened = open_bytes(buf.getvalue(), "pkg-1.0-py3-none-any.whl")

    assert opened.issues == ()
    assert opened.member("pkg/__init__.py").data == source
    assert opened.member("pkg/data.bin").data == bytes(range(256)) * 16


def test_bzip2_zip_member_lying_about_its_size_stays_small_in_memory():
    """zipfile inflates bzip2 members without an output bound; a member declaring 100 bytes
    whose few-hundred-byte stream unpacks to 48 MiB must not be inflated whole."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("pkg/ok.py", b"x = 1\n")
        with zf.open("pkg/payload.py", "w", force_zip64=True) as f:
            chunk = b"\0" * MiB
            for _ in range(48):
                f.write(chunk)
    data = lie_about_size(buf.getvalue(), "pkg/payload.py", 100)

    tracemalloc.start()
    try:
        opened = open_bytes(data, "pkg-1.0-py3-none-any.whl")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [(i.kind, i.path) for i in opened.issues] == [
        (IssueKind.CORRUPT_MEMBER, "pkg/payload.py")
    ]
    assert peak < 8 * MiB


def test_undecodable_tar_name_becomes_printable_text():
    """Raw name bytes that are not UTF-8 must not come back as lone surrogates, which would
    crash JSON output later."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("pkg-1.0/\udcff.py")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"x\n"))

    opened = open_bytes(buf.getvalue(), "pkg-1.0.tar")

    assert [m.path for m in opened.members] == ["pkg-1.0/%FF.py"]
    opened.members[0].path.encode("utf-8")


def test_undecodable_folder_name_becomes_printable_text(tmp_path: Path):
    root = tmp_path / "pkg"
    root.mkdir()
    (Path(os.fsdecode(bytes(root) + b"/\xff.py"))).write_bytes(b"x\n")

    opened = open_artifact(root)

    assert [m.path for m in opened.members] == ["%FF.py"]
    assert opened.members[0].data == b"x\n"
