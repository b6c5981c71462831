"""Name, version and kind guessed from release file names, strict first, then legacy."""

from __future__ import annotations

import pytest

from douane.domain import ArtifactKind
from douane.sources.filenames import parse_release_filename


@pytest.mark.parametrize(
    ("filename", "name", "version", "kind"),
    [
        ("Demo_Pkg-1.0.tar.gz", "demo-pkg", "1.0", ArtifactKind.SDIST),
        ("demo-1.0.zip", "demo", "1.0", ArtifactKind.SDIST),
        ("Demo-1.0.tgz", "demo", "1.0", ArtifactKind.SDIST),
        ("demo-2.0rc1.tar.bz2", "demo", "2.0rc1", ArtifactKind.SDIST),
        ("demo-1.0-py3-none-any.whl", "demo", "1.0", ArtifactKind.WHEEL),
        ("demo-1.0-py2.7.egg", "demo", "1.0", ArtifactKind.EGG),
        ("payload.bin", None, None, ArtifactKind.UNKNOWN),
        ("broken.whl", None, None, ArtifactKind.WHEEL),
    ],
)
def test_parse(filename, name, version, kind):
    info = parse_release_filename(filename)
    assert (info.name, info.version, info.kind) == (name, version, kind)


def test_wheel_tags():
    info = parse_release_filename("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl")
    assert {t.platform for t in info.tags} == {"manylinux_2_17_x86_64"}
