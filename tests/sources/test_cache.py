"""The content-addressed blob cache: layout, hash checks, size cap, no partial files."""

from __future__ import annotations

import hashlib

import pytest

from douane.sources.cache import BlobCache, TooLargeError, sha256_file
from douane.sources.interface import SourceError

DATA = b"inert test bytes\n"
SHA = hashlib.sha256(DATA).hexdigest()


def test_layout_and_hit(tmp_path):
    cache = BlobCache(tmp_path)
    assert cache.get(SHA, "a.tar.gz") is None
    path = cache.put_bytes(DATA, "a.tar.gz", SHA.upper())
    assert path == tmp_path / "blobs" / SHA[:2] / SHA / "a.tar.gz"
    assert cache.get(SHA, "a.tar.gz") == path
    assert BlobCache.sha256_of(path) == SHA
    assert sha256_file(path) == SHA


def test_mismatch_keeps_nothing(tmp_path):
    cache = BlobCache(tmp_path)
    with pytest.raises(SourceError, match="mismatch"):
        cache.put_bytes(DATA, "a.tar.gz", "0" * 64)
    assert not (tmp_path / "blobs").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_size_cap(tmp_path):
    cache = BlobCache(tmp_path)
    with pytest.raises(TooLargeError):
        cache.put_stream([DATA, DATA], "a.whl", max_bytes=len(DATA) + 1)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_without_expected_hash_files_under_actual_hash(tmp_path):
    path = BlobCache(tmp_path).put_stream(iter([DATA[:5], DATA[5:]]), "a.zip")
    assert path.parent.name == SHA


def test_filename_cannot_escape(tmp_path):
    path = BlobCache(tmp_path).put_bytes(DATA, "../../etc/evil.whl", SHA)
    assert path.name == "evil.whl" and path.is_relative_to(tmp_path / "blobs")
    with pytest.raises(SourceError):
        BlobCache(tmp_path).path_for("not-a-hash", "x")
    with pytest.raises(SourceError):
        BlobCache(tmp_path).path_for(SHA, "..")
