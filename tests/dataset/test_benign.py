"""The benign corpus builder against a fake index: choice, manifest, skips, resume, extension."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from douane.dataset.benign import (
    LONGTAIL,
    MANIFEST_FIELDS,
    POPULAR,
    build_benign,
    choose_projects,
    main,
)
from tests.fakeindex import FakeIndex


@pytest.fixture
def index():
    with FakeIndex() as idx:
        yield idx


def _lists(tmp_path: Path, top: list[str], tail: list[tuple[str, str]]) -> tuple[Path, Path]:
    top_file = tmp_path / "top.txt"
    top_file.write_text("# most downloaded first\n" + "\n".join(top) + "\n")
    tail_file = tmp_path / "tail.tsv"
    lines = ["name\tlatest_version\tlatest_month"] + [f"{n}\t{v}\t2026-01" for n, v in tail]
    tail_file.write_text("\n".join(lines) + "\n")
    return top_file, tail_file


def _manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == MANIFEST_FIELDS
        return list(reader)


def test_choose_projects_is_seeded_and_extends_as_a_prefix():
    tail = [(f"proj-{i}", "1.0") for i in range(50)]
    small = choose_projects(["a", "B_b", "c"], tail, 2, 5, seed=7)
    large = choose_projects(["a", "B_b", "c"], tail, 2, 12, seed=7)
    assert [p.name for p in small[:2]] == ["a", "b-b"]
    assert {p.stratum for p in small[:2]} == {POPULAR}
    assert large[:7] == small
    assert len([p for p in large if p.stratum == LONGTAIL]) == 12
    other = choose_projects([], tail, 0, 5, seed=8)
    assert [p.name for p in other] != [p.name for p in small[2:]]


def test_build_manifest_skips_and_resume(index: FakeIndex, tmp_path):
    index.add_release("popular-one", "1.0")
    index.add_release("popular-one", "2.0", binary_wheels=("cp311-cp311-win_amd64",))
    index.add_release("popular-two", "0.5", wheel=False, binary_wheels=("cp311-abi3-win_amd64",))
    # A big sdist (over the cap) next to a small wheel.
    index.add_release("popular-big", "1.0", wheel=True, sdist=False)
    index.add_file("popular-big", "1.0", "popular_big-1.0.tar.gz", b"z" * 5000)
    index.add_release("tail-one", "0.1")
    index.add_release("tail-one", "0.2")  # newer than the snapshot: the snapshot wins
    index.add_release("tail-yanked", "1.0", yanked=True)
    top, tail = _lists(
        tmp_path,
        ["popular-one", "Popular_Two", "popular-big", "ghost-project"],
        [("tail-one", "0.1"), ("tail-yanked", "1.0")],
    )
    out = tmp_path / "benign"
    with index.client(tmp_path / "cache") as client:
        stats = build_benign(
            out, 4, 2, seed=1, jobs=3, top_list=top, longtail_list=tail,
            max_bytes=4000, client=client, progress=False,
        )  # fmt: skip
    rows = _manifest(out)
    got = {(r["name"], r["version"], r["filename"], r["stratum"], r["kind"]) for r in rows}
    assert got == {
        ("popular-one", "2.0", "popular_one-2.0.tar.gz", POPULAR, "sdist"),
        ("popular-one", "2.0", "popular_one-2.0-py3-none-any.whl", POPULAR, "wheel"),
        ("popular-two", "0.5", "popular_two-0.5.tar.gz", POPULAR, "sdist"),
        ("popular-two", "0.5", "popular_two-0.5-cp311-abi3-win_amd64.whl", POPULAR, "wheel"),
        ("popular-big", "1.0", "popular_big-1.0-py3-none-any.whl", POPULAR, "wheel"),
        ("tail-one", "0.1", "tail_one-0.1.tar.gz", LONGTAIL, "sdist"),
        ("tail-one", "0.1", "tail_one-0.1-py3-none-any.whl", LONGTAIL, "wheel"),
    }
    for r in rows:
        path = Path(r["path"])
        assert path.is_file() and path.parent.name == r["sha256"]
        assert int(r["size"]) == path.stat().st_size and r["upload_time"]
    assert (stats.files, stats.projects_ok, stats.too_big) == (7, 4, 1)
    assert (stats.not_found, stats.no_files, stats.errors) == (1, 1, 0)
    assert stats.bytes == sum(int(r["size"]) for r in rows)
    assert stats.per_stratum == {POPULAR: 3, LONGTAIL: 1}

    before = len(index.requests)
    with index.client(tmp_path / "cache") as client:
        again = build_benign(
            out, 4, 2, seed=1, jobs=2, top_list=top, longtail_list=tail,
            max_bytes=4000, client=client, progress=False,
        )  # fmt: skip
    assert again.already_done == 6 and again.files == 0
    assert len(index.requests) == before  # nothing fetched again: all outcomes were final
    assert len(_manifest(out)) == 7


def test_errors_are_counted_and_retried_on_resume(index: FakeIndex, tmp_path):
    index.add_release("flaky", "1.0", wheel=False)
    index.fail("/simple/flaky/", 500, 500)
    top, tail = _lists(tmp_path, ["flaky"], [])
    out = tmp_path / "benign"
    with index.client(tmp_path / "cache", retries=1) as client:
        first = build_benign(
            out, 1, 0, top_list=top, longtail_list=tail, client=client, progress=False
        )
        assert (first.errors, first.files) == (1, 0)
        second = build_benign(
            out, 1, 0, top_list=top, longtail_list=tail, client=client, progress=False
        )
    assert (second.already_done, second.files) == (0, 1)
    assert [r["name"] for r in _manifest(out)] == ["flaky"]


def test_sdist_only(index: FakeIndex, tmp_path):
    index.add_release("popular-one", "1.0")
    top, tail = _lists(tmp_path, ["popular-one"], [])
    with index.client(tmp_path / "cache") as client:
        build_benign(
            tmp_path / "o", 1, 0, wheel=False, top_list=top, longtail_list=tail,
            client=client, progress=False,
        )  # fmt: skip
    assert [r["kind"] for r in _manifest(tmp_path / "o")] == ["sdist"]


def test_main_runs_against_an_index_url(index: FakeIndex, tmp_path, monkeypatch, capsys):
    index.add_release("popular-one", "1.0")
    top, tail = _lists(tmp_path, ["popular-one"], [])
    monkeypatch.setenv("DOUANE_CACHE_DIR", str(tmp_path / "cache"))
    code = main(
        ["--top", "1", "--longtail", "0", "--jobs", "1", "--top-list", str(top),
         "--longtail-list", str(tail), "--index-url", index.url, "--out", str(tmp_path / "o"),
         "--no-progress"]
    )  # fmt: skip
    assert code == 0
    assert "2 files" in capsys.readouterr().out
    assert len(_manifest(tmp_path / "o")) == 2


def test_main_missing_list_is_a_clear_error(tmp_path, capsys):
    code = main(["--top-list", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")])
    assert code == 2 and "nope.txt" in capsys.readouterr().err


def test_project_list_names_exact_releases(index: FakeIndex, tmp_path):
    index.add_release("popular-one", "1.0", wheel=False)
    index.add_release("popular-one", "2.0", wheel=False)  # newer, but the list pins 1.0
    index.add_release("tail-one", "0.3", wheel=False)
    listing = tmp_path / "heldout.csv"
    listing.write_text(
        "name,stratum,version\nPopular_One,popular,1.0\npopular-one,popular,2.0\n"
        "tail-one,longtail,\n"
    )
    with index.client(tmp_path / "cache") as client:
        stats = build_benign(tmp_path / "o", projects=listing, client=client, progress=False)
    got = {(r["name"], r["version"], r["stratum"]) for r in _manifest(tmp_path / "o")}
    # the first row of a project wins; an empty version takes the latest release
    assert got == {("popular-one", "1.0", POPULAR), ("tail-one", "0.3", LONGTAIL)}
    assert stats.chosen == 2


def test_project_list_with_unknown_stratum_is_refused(tmp_path):
    listing = tmp_path / "bad.csv"
    listing.write_text("name,stratum,version\nx,famous,1.0\n")
    with pytest.raises(ValueError, match="stratum"):
        build_benign(tmp_path / "o", projects=listing, progress=False)
