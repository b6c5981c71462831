"""`douane dataset pairs` against a fake index: each popular file gets its previous release's file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from douane.dataset.benign import build_benign
from douane.dataset.manifest import read_manifest
from douane.dataset.pairs import build_pairs
from tests.fakeindex import FakeIndex


@pytest.fixture
def index():
    with FakeIndex() as idx:
        yield idx


def _corpus(index: FakeIndex, tmp_path: Path) -> tuple[Path, Path]:
    index.add_release("alpha", "1.0")
    index.add_release("alpha", "1.1")  # sdist + wheel, both with a predecessor
    index.add_release("beta", "0.1", wheel=False)
    index.add_release("beta", "0.2")  # the wheel is new in 0.2: only the sdist pairs
    index.add_release("gamma", "3.0")  # a first release: nothing to pair
    top = tmp_path / "top.txt"
    top.write_text("beta\nalpha\ngamma\nunlisted\n")
    tail = tmp_path / "tail.tsv"
    tail.write_text("name\tlatest_version\n")
    benign = tmp_path / "benign"
    with index.client(tmp_path / "cache") as client:
        build_benign(benign, 4, 0, top_list=top, longtail_list=tail, client=client,
                     progress=False, jobs=1)  # fmt: skip
    return benign, top


def test_pairs_attach_the_previous_file_of_the_same_kind(index: FakeIndex, tmp_path):
    benign, top = _corpus(index, tmp_path)
    out = tmp_path / "pairs"
    with index.client(tmp_path / "cache") as client:
        stats = build_pairs(out, benign, 3, top_list=top, client=client, jobs=2)
    assert stats.projects == 3 and stats.projects_paired == 2
    assert stats.files == 6 and stats.paired == 3
    assert stats.skipped == {"no-previous": 3}
    samples = read_manifest(out / "manifest.csv")
    got = {(s.name, s.kind, s.version, s.previous_version) for s in samples}
    assert got == {("beta", "sdist", "0.2", "0.1"), ("alpha", "sdist", "1.1", "1.0"),
                   ("alpha", "wheel", "1.1", "1.0")}  # fmt: skip
    assert [s.name for s in samples][0] == "beta"  # ranked as the top list ranks them
    for s in samples:
        prev = Path(s.previous_path)
        assert prev.is_file() and s.previous_version in prev.name
        assert prev.suffix == Path(s.filename).suffix
        artifact = s.artifact()
        assert artifact.previous is not None and artifact.previous.path == prev
        assert s.artifact(diff=False).previous is None
    with (out / "skipped.csv").open(newline="") as handle:
        skipped = {(r["name"], r["reason"]) for r in csv.DictReader(handle)}
    assert skipped == {("beta", "no-previous"), ("gamma", "no-previous")}


def test_pairs_command_prints_the_manifest(index: FakeIndex, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from douane.cli import app

    benign, top = _corpus(index, tmp_path)
    monkeypatch.setenv("DOUANE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "pairs"
    res = CliRunner().invoke(app, ["dataset", "pairs", "--out", str(out), "--benign", str(benign),
                                   "--top", "3", "--top-list", str(top), "--index-url",
                                   index.url])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().endswith("manifest.csv")
    assert len(read_manifest(out)) == 3
