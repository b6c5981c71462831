"""Normal artifacts: every supported container opens to the right kind, root and bytes."""

from __future__ import annotations

import io
import os
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from douane.archive import (
    ArchiveError,
    BudgetExceeded,
    IssueKind,
    Limits,
    is_code_path,
    open_artifact,
    open_bytes,
)
from douane.archive.inflate import Inflater
from douane.domain import ArtifactKind
from tests.archive.builders import (
    INIT_PY,
    PKG_INFO,
    SETUP_PY,
    sdist_files,
    tar_bytes,
    wheel_files,
    zip_bytes,
)


def kinds(opened) -> list[IssueKind]:
    return [i.kind for i in opened.issues]


@pytest.mark.parametrize(
    ("mode", "suffix", "fmt"),
    [
        ("w:gz", ".tar.gz", "tar.gz"),
        ("w:bz2", ".tar.bz2", "tar.bz2"),
        ("w:xz", ".tar.xz", "tar.xz"),
        ("w", ".tar", "tar"),
    ],
)
def test_tar_sdist_opens_with_root_and_bytes(tmp_path: Path, mode: str, suffix: str, fmt: str):
    path = tmp_path / f"pkg-1.0{suffix}"
    path.write_bytes(tar_bytes(sdist_files(), mode=mode, exec_names=["pkg-1.0/setup.py"]))

    opened = open_artifact(path)

    assert opened.kind is ArtifactKind.SDIST
    assert opened.format == fmt
    assert opened.root == "pkg-1.0/"
    assert opened.issues == ()
    by_path = {m.path: m for m in opened.members}
    assert by_path["pkg-1.0/setup.py"].data == SETUP_PY
    assert by_path["pkg-1.0/setup.py"].executable
    assert by_path["pkg-1.0/PKG-INFO"].data == PKG_INFO
    assert not by_path["pkg-1.0/PKG-INFO"].executable
    assert by_path["pkg-1.0/pkg/__init__.py"].size == len(INIT_PY)
    assert not any(m.truncated for m in opened.members)


def test_dot_slash_names_are_normalised():
    data = tar_bytes([("./pkg-1.0/setup.py", SETUP_PY), ("pkg-1.0//./pkg/a.py", b"x = 1\n")])

    opened = open_bytes(data, "pkg-1.0.tar.gz")

    assert [m.path for m in opened.members] == ["pkg-1.0/setup.py", "pkg-1.0/pkg/a.py"]
    assert opened.root == "pkg-1.0/"


def test_zip_sdist_and_several_top_folders_have_no_root():
    opened = open_bytes(zip_bytes([*sdist_files(), ("other/x.py", b"")]), "pkg-1.0.zip")

    assert opened.kind is ArtifactKind.SDIST
    assert opened.format == "zip"
    assert opened.root == ""


def test_wheel_and_egg_are_recognised():
    data = zip_bytes(wheel_files(), modes={"pkg/__init__.py": 0o100755})

    wheel = open_bytes(data, "pkg-1.0-py3-none-any.whl")
    egg = open_bytes(data, "pkg-1.0-py3.11.egg")

    assert wheel.kind is ArtifactKind.WHEEL
    assert wheel.root == ""
    assert wheel.member("pkg/__init__.py").data == INIT_PY
    assert wheel.member("pkg/__init__.py").executable
    assert egg.kind is ArtifactKind.EGG


def test_kind_comes_from_content_when_the_name_says_nothing():
    assert open_bytes(zip_bytes(wheel_files()), "download").kind is ArtifactKind.WHEEL
    assert open_bytes(tar_bytes(sdist_files()), "download").kind is ArtifactKind.SDIST
    assert open_bytes(tar_bytes([("a.txt", b"a")]), "blob").kind is ArtifactKind.UNKNOWN


def test_folder_opens_like_an_archive(tmp_path: Path):
    root = tmp_path / "pkg"
    (root / "pkg").mkdir(parents=True)
    (root / "setup.py").write_bytes(SETUP_PY)
    (root / "pkg" / "__init__.py").write_bytes(INIT_PY)
    os.chmod(root / "setup.py", 0o755)

    opened = open_artifact(root)

    assert opened.kind is ArtifactKind.FOLDER
    assert opened.format == "folder"
    assert opened.root == ""
    assert [m.path for m in opened.members] == ["pkg/__init__.py", "setup.py"]
    assert opened.member("setup.py").data == SETUP_PY
    assert opened.member("setup.py").executable


def test_filename_argument_overrides_the_path_name(tmp_path: Path):
    path = tmp_path / "blob.bin"
    path.write_bytes(zip_bytes(wheel_files()))

    opened = open_artifact(path, filename="pkg-1.0-py3-none-any.whl")

    assert opened.kind is ArtifactKind.WHEEL
    assert kinds(opened) == []


def test_large_non_code_member_keeps_only_its_head():
    blob = bytes(range(256)) * 4096  # 1 MiB, over full_read_bytes
    opened = open_bytes(tar_bytes([("pkg-1.0/data.bin", blob)]), "pkg-1.0.tar.gz")

    member = opened.member("pkg-1.0/data.bin")
    assert member.truncated
    assert member.size == len(blob)
    assert member.data == blob[:4096]


def test_large_code_member_is_read_in_full():
    source = b"x = 1\n" * 200_000  # 1.2 MiB of Python
    opened = open_bytes(zip_bytes([("pkg/big.py", source)]), "pkg-1.0-py3-none-any.whl")

    member = opened.member("pkg/big.py")
    assert not member.truncated
    assert member.data == source


def test_member_over_the_member_limit_is_flagged_and_cut():
    source = b"# padding\n" * 10_000  # 100 kB .py
    limits = Limits(max_member_bytes=64 * 1024)

    opened = open_bytes(tar_bytes([("pkg-1.0/huge.py", source)]), "pkg-1.0.tar.gz", limits=limits)

    assert kinds(opened) == [IssueKind.MEMBER_TOO_LARGE]
    member = opened.member("pkg-1.0/huge.py")
    assert member.truncated
    assert member.data == source[: limits.head_bytes]
    assert member.size == len(source)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pkg/mod.py", True),
        ("pkg/hook.PTH", True),
        ("run.sh", True),
        ("x.js", True),
        ("pkg-1.0/PKG-INFO", True),
        ("a.dist-info/RECORD", True),
        ("Makefile", True),
        ("bin/tool", True),
        (".bashrc", True),
        ("data.json", False),
        ("lib.so", False),
        ("logo.png", False),
    ],
)
def test_is_code_path(path: str, expected: bool):
    assert is_code_path(path) is expected


def test_nested_archives_are_recorded_and_not_unpacked():
    inner = zip_bytes([("evil.py", b"print('x')\n")])
    data = tar_bytes([("pkg-1.0/vendor/inner.whl", inner), ("pkg-1.0/blob", inner)])

    opened = open_bytes(data, "pkg-1.0.tar.gz")

    nested = [i for i in opened.issues if i.kind is IssueKind.NESTED_ARCHIVE]
    assert {i.path for i in nested} == {"pkg-1.0/vendor/inner.whl", "pkg-1.0/blob"}
    assert opened.member("pkg-1.0/vendor/inner.whl").data == inner  # kept, head only
    assert not any(m.path.endswith("evil.py") for m in opened.members)


def test_duplicate_members_are_all_kept_and_flagged():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("pkg/__init__.py", b"benign = 1\n")
        zf.writestr("pkg/__init__.py", b"payload = 1\n")

    opened = open_bytes(buf.getvalue(), "pkg-1.0-py3-none-any.whl")

    assert kinds(opened) == [IssueKind.DUPLICATE_MEMBER]
    assert [m.data for m in opened.members] == [b"benign = 1\n", b"payload = 1\n"]
    assert opened.member("pkg/__init__.py").data == b"payload = 1\n"


def test_past_deadline_stops_with_budget_exceeded(tmp_path: Path):
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(tar_bytes(sdist_files()))

    with pytest.raises(BudgetExceeded, match="time budget exceeded") as err:
        open_artifact(path, deadline=time.monotonic() - 1)
    assert isinstance(err.value, ArchiveError)


def test_deadline_checked_during_long_reads(monkeypatch: pytest.MonkeyPatch):
    """Regression guard: the deadline is checked while one big member is being read, not
    only between members, so a single huge file cannot overrun the budget."""
    data = tar_bytes([("pkg-1.0/big.py", b"#" * (8 * 2**20))])
    now = [0.0]
    inflated = [0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    real_extract = tarfile.TarFile.extractfile
    real_read = Inflater.read

    def extract_then_expire(self, member):
        now[0] = 100.0  # the budget runs out as soon as the member's content is opened
        return real_extract(self, member)

    def counting_read(self, n=-1):
        out = real_read(self, n)
        inflated[0] += len(out)
        return out

    monkeypatch.setattr(tarfile.TarFile, "extractfile", extract_then_expire)
    monkeypatch.setattr(Inflater, "read", counting_read)

    with pytest.raises(BudgetExceeded):
        open_bytes(data, "pkg-1.0.tar.gz", deadline=50.0)
    assert inflated[0] < 4 * 2**20


def test_plain_tar_without_ustar_magic_is_not_guessed():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("a.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    # GNU format writes "ustar  " at 257, so it is recognised; a v7 header would not be.
    assert open_bytes(buf.getvalue(), "a.tar").format == "tar"
