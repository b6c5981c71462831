"""Name, version and kind of a release file, read from its file name alone."""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from pypi_simple.errors import UnparsableFilenameError
from pypi_simple.filenames import parse_filename as _legacy_parse

from douane.domain import ArtifactKind

# Extensions packaging's sdist parser does not know but old uploads and local tarballs use.
_OTHER_TARS = (".tgz", ".tar.bz2", ".tar.xz", ".tbz", ".txz", ".tar")


@dataclass(frozen=True, slots=True)
class FilenameInfo:
    """What a file name claims; only a claim, since the archive may say otherwise."""

    name: str | None
    version: str | None
    kind: ArtifactKind
    tags: frozenset[Tag] = field(default_factory=frozenset)


def _legacy(filename: str, hint: str | None) -> tuple[str | None, str | None, str | None]:
    try:
        return _legacy_parse(filename, hint)
    except UnparsableFilenameError:
        return None, None, None


def _canon(name: str | None) -> str | None:
    return canonicalize_name(name) if name else None


def parse_release_filename(filename: str, project_hint: str | None = None) -> FilenameInfo:
    """Parse with packaging's strict parsers first, then pypi-simple's lenient legacy rules.

    Old uploads predate the filename standards (``Foo-1.0.tgz``, ``foo-bar-1.0.zip``);
    they still need a version so a release's files can be grouped.
    """
    lower = filename.lower()
    if lower.endswith(".whl"):
        try:
            name, version, _build, tags = parse_wheel_filename(filename)
            return FilenameInfo(str(name), str(version), ArtifactKind.WHEEL, frozenset(tags))
        except InvalidWheelFilename:
            name, version, _ = _legacy(filename, project_hint)
            return FilenameInfo(_canon(name), version, ArtifactKind.WHEEL)
    if lower.endswith((".tar.gz", ".zip")):
        try:
            name, version = parse_sdist_filename(filename)
            return FilenameInfo(str(name), str(version), ArtifactKind.SDIST)
        except InvalidSdistFilename:
            pass
    if lower.endswith(_OTHER_TARS):
        stem = filename[: len(filename) - len(next(e for e in _OTHER_TARS if lower.endswith(e)))]
        try:
            name, version = parse_sdist_filename(stem + ".tar.gz")
            return FilenameInfo(str(name), str(version), ArtifactKind.SDIST)
        except InvalidSdistFilename:
            pass
    name, version, kind = _legacy(filename, project_hint)
    if lower.endswith(".egg") or kind == "egg":
        return FilenameInfo(_canon(name), version, ArtifactKind.EGG)
    if kind == "sdist" or lower.endswith((".tar.gz", ".zip", *_OTHER_TARS)):
        return FilenameInfo(_canon(name), version, ArtifactKind.SDIST)
    return FilenameInfo(_canon(name), version, ArtifactKind.UNKNOWN)
