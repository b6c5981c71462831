"""Content-addressed store of downloaded release files, checked against their SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from douane.sources.interface import SourceError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TooLargeError(SourceError):
    """A download went past the size cap; nothing was kept."""


def _check_sha(sha256: str) -> str:
    sha = sha256.strip().lower()
    if not _SHA256.match(sha):
        raise SourceError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha


def _safe_filename(filename: str) -> str:
    # The filename comes from the index: never let it climb out of the blob folder.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if name in ("", ".", ".."):
        raise SourceError(f"unusable file name from the index: {filename!r}")
    return name


class BlobCache:
    """Files live at ``blobs/<sha[:2]>/<sha256>/<filename>`` under the cache root.

    Keyed by hash, so the same file reached through two mirrors is stored once, and a
    file is only ever visible under its name once its bytes were checked.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, filename: str) -> Path:
        sha = _check_sha(sha256)
        return self.root / "blobs" / sha[:2] / sha / _safe_filename(filename)

    def get(self, sha256: str, filename: str) -> Path | None:
        """The stored file, or None; a hit means no download is needed."""
        path = self.path_for(sha256, filename)
        return path if path.is_file() else None

    @staticmethod
    def sha256_of(path: Path) -> str:
        """The hash a stored path is filed under (its parent folder's name)."""
        return _check_sha(path.parent.name)

    def put_stream(
        self,
        chunks: Iterable[bytes],
        filename: str,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> Path:
        """Write chunks to a temp file, check size and hash, then rename into place.

        The rename makes a half-written or tampered file impossible to find later: readers
        see either nothing or the verified file. Without an expected hash the file is still
        stored under the hash of what arrived.
        """
        expected = _check_sha(expected_sha256) if expected_sha256 else None
        name = _safe_filename(filename)
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=".part-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLargeError(f"{name}: larger than the {max_bytes} byte cap")
                    digest.update(chunk)
                    out.write(chunk)
            actual = digest.hexdigest()
            if expected is not None and actual != expected:
                raise SourceError(
                    f"{name}: SHA-256 mismatch (index says {expected}, got {actual}); "
                    "file discarded"
                )
            final = self.path_for(actual, name)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return final
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes, filename: str, expected_sha256: str | None = None) -> Path:
        return self.put_stream([data], filename, expected_sha256)


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Hash a local file in chunks, so a large archive never sits whole in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
