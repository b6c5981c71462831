"""Artifacts from the local disk: one archive file, or one unpacked folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from douane.domain import Artifact
from douane.sources.cache import sha256_file
from douane.sources.filenames import parse_release_filename
from douane.sources.interface import SourceError


class LocalSource:
    """Any existing path is taken as is; the archive layer decides from magic bytes what
    a file really is, so the extension only feeds the name/version guess."""

    def handles(self, target: str) -> bool:
        try:
            return Path(target).expanduser().exists()
        except OSError:
            return False

    def resolve(self, target: str) -> Iterator[Artifact]:
        path = Path(target).expanduser()
        try:
            resolved = path.resolve(strict=True)
            if resolved.is_dir():
                # ``name-version`` folders (unpacked sdists) still say what they hold.
                info = parse_release_filename(resolved.name + ".tar.gz")
                yield Artifact(
                    path=resolved,
                    filename=resolved.name,
                    name=info.name,
                    version=info.version,
                    target=target,
                )
                return
            if not resolved.is_file():
                # FIFOs and devices would block or never end when hashed.
                raise SourceError(f"{target}: not a regular file or folder")
            sha = sha256_file(resolved)
        except SourceError:
            raise
        except OSError as exc:
            raise SourceError(f"{target}: cannot read: {exc.strerror or exc}") from exc
        info = parse_release_filename(resolved.name)
        yield Artifact(
            path=resolved,
            filename=resolved.name,
            name=info.name,
            version=info.version,
            sha256=sha,
            target=target,
        )
