"""Local files and folders become artifacts with a hash and a guessed name/version."""

from __future__ import annotations

import hashlib
import os

import pytest

from douane.sources.interface import SourceError
from douane.sources.local import LocalSource
from tests.fakeindex import make_sdist


def test_file(tmp_path):
    data = make_sdist("demo-pkg", "1.2")
    path = tmp_path / "demo_pkg-1.2.tar.gz"
    path.write_bytes(data)
    src = LocalSource()
    assert src.handles(str(path))
    (art,) = src.resolve(str(path))
    assert art.path == path.resolve() and art.filename == path.name
    assert (art.name, art.version) == ("demo-pkg", "1.2")
    assert art.sha256 == hashlib.sha256(data).hexdigest()
    assert art.target == str(path)


def test_file_with_unparsable_name(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"PK\x03\x04 inert")
    (art,) = LocalSource().resolve(str(path))
    assert art.name is None and art.version is None and art.sha256


def test_folder(tmp_path):
    folder = tmp_path / "demo-3.1"
    folder.mkdir()
    (folder / "setup.py").write_text("# inert\n")
    (art,) = LocalSource().resolve(str(folder))
    assert art.path == folder.resolve() and art.sha256 is None
    assert (art.name, art.version, art.filename) == ("demo", "3.1", "demo-3.1")


def test_missing_is_not_handled(tmp_path):
    assert not LocalSource().handles(str(tmp_path / "nope.whl"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_an_error_not_a_hang(tmp_path):
    """Regression: hashing a FIFO would block forever."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="not a regular file"):
        list(LocalSource().resolve(str(fifo)))
