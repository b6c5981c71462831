"""Dataset samples: one artifact inside a ZipCrypto zip (password "infected"), read as data."""

from __future__ import annotations

import random
import shutil
import zipfile
from pathlib import Path

import pytest

from douane.archive import ArchiveError, Limits, open_bytes, read_password_zip
from douane.domain import ArtifactKind
from tests.archive.builders import SETUP_PY, encrypted_zip, sdist_files, tar_bytes


def test_sample_unwraps_to_its_inner_artifact(tmp_path: Path):
    inner = tar_bytes(sdist_files())
    sample = tmp_path / "pkg-1.0.tar.gz.zip"
    sample.write_bytes(encrypted_zip([("pkg-1.0.tar.gz", inner)], b"infected"))

    name, data = read_password_zip(sample)

    assert (name, data) == ("pkg-1.0.tar.gz", inner)
    opened = open_bytes(data, name)
    assert opened.kind is ArtifactKind.SDIST
    assert opened.member("pkg-1.0/setup.py").data == SETUP_PY
    assert list(tmp_path.iterdir()) == [sample]  # nothing unpacked beside it


def test_inner_name_is_reduced_to_a_base_name(tmp_path: Path):
    sample = tmp_path / "s.zip"
    sample.write_bytes(encrypted_zip([("../../etc/evil-1.0.tar.gz", b"x")], b"infected"))

    name, _ = read_password_zip(sample)

    assert name == "evil-1.0.tar.gz"


def test_wrong_password_is_an_archive_error(tmp_path: Path):
    sample = tmp_path / "s.zip"
    sample.write_bytes(encrypted_zip([("pkg-1.0.tar.gz", b"x" * 100)], b"other"))

    with pytest.raises(ArchiveError, match="cannot read sample s.zip"):
        read_password_zip(sample)


def test_sample_with_two_files_is_refused(tmp_path: Path):
    sample = tmp_path / "s.zip"
    sample.write_bytes(encrypted_zip([("a.tar.gz", b"a"), ("b.tar.gz", b"b")], b"infected"))

    with pytest.raises(ArchiveError, match="expected one file"):
        read_password_zip(sample)


def test_oversized_sample_is_refused_before_decrypting(tmp_path: Path):
    sample = tmp_path / "s.zip"
    sample.write_bytes(encrypted_zip([("big.tar.gz", b"\0" * 5000)], b"infected"))

    with pytest.raises(ArchiveError, match="over the limit"):
        read_password_zip(sample, limits=Limits(max_member_bytes=4096))


def test_plain_zip_sample_is_read_too(tmp_path: Path):
    """Some datasets ship unencrypted wrappers; the password is then simply unused."""
    sample = tmp_path / "s.zip"
    with zipfile.ZipFile(sample, "w") as zf:
        zf.writestr("pkg-1.0.tar.gz", b"payload")

    assert read_password_zip(sample) == ("pkg-1.0.tar.gz", b"payload")


def test_not_a_zip_is_an_archive_error(tmp_path: Path):
    sample = tmp_path / "s.zip"
    sample.write_bytes(b"garbage")

    with pytest.raises(ArchiveError, match="cannot read sample"):
        read_password_zip(sample)


@pytest.mark.parametrize("system_unzip", [True, False])
def test_big_sample_reads_the_same_with_or_without_system_unzip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system_unzip: bool
):
    """Big samples may be decrypted by ``unzip -p`` for speed; the bytes must not differ."""
    if system_unzip and shutil.which("unzip") is None:
        pytest.skip("no unzip on this machine")
    if not system_unzip:
        monkeypatch.setattr(shutil, "which", lambda _name: None)
    inner = random.Random(7).randbytes(80_000)
    sample = tmp_path / "big-1.0.tar.gz.zip"
    sample.write_bytes(encrypted_zip([("big-1.0.tar.gz", inner)], b"infected"))

    assert read_password_zip(sample) == ("big-1.0.tar.gz", inner)


def test_big_sample_with_wrong_password_fails_on_both_paths(tmp_path: Path):
    sample = tmp_path / "s.zip"
    sample.write_bytes(encrypted_zip([("big.tar.gz", bytes(80_000))], b"other"))

    with pytest.raises(ArchiveError, match="cannot read sample"):
        read_password_zip(sample)
