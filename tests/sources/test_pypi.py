"""The index client and PyPISource against a fake index on 127.0.0.1."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from douane.domain import Artifact, ArtifactKind
from douane.sources.interface import SourceError, Unresolved
from douane.sources.pypi import (
    USER_AGENT,
    IndexClient,
    PyPISource,
    is_index_target,
    pick_sdist_and_one_wheel,
)
from tests.fakeindex import FakeIndex


@pytest.fixture
def client(fake_index: FakeIndex, tmp_path):
    with fake_index.client(tmp_path / "cache") as c:
        yield c


def _history(index: FakeIndex) -> None:
    index.add_release("demo-pkg", "0.9")
    index.add_release("demo-pkg", "1.0")
    index.add_release("demo-pkg", "1.10")  # sorts above 1.9 as a version, below as a string
    index.add_release("demo-pkg", "1.9")
    index.add_release("demo-pkg", "2.0", yanked="broken build")
    index.add_release("demo-pkg", "2.1rc1")


def test_versions_sorted_as_versions_and_yanked_skipped(fake_index, client):
    _history(fake_index)
    assert client.versions("Demo_Pkg") == ["0.9", "1.0", "1.9", "1.10", "2.1rc1"]
    assert "2.0" in client.versions("demo-pkg", include_yanked=True)


def test_latest_skips_yanked_and_prereleases(fake_index, client):
    _history(fake_index)
    assert client.latest_release("demo-pkg") == "1.10"


def test_latest_falls_back_to_prerelease_when_nothing_else(fake_index, client):
    fake_index.add_release("only-pre", "0.1a1")
    assert client.latest_release("only-pre") == "0.1a1"


def test_previous_release(fake_index, client):
    _history(fake_index)
    assert client.previous_release("demo-pkg", "1.10") == "1.9"
    assert client.previous_release("demo-pkg", "2.1rc1") == "1.10"
    assert client.previous_release("demo-pkg", "0.9") is None


def test_release_files_fields(fake_index, client):
    made = fake_index.add_release("demo-pkg", "1.0", binary_wheels=("cp311-cp311-linux_x86_64",))
    files = client.release_files("demo-pkg", "1.0.0")  # equal as a version
    assert [f.filename for f in files] == [m.filename for m in made]
    sdist, pure, binary = files
    assert sdist.kind is ArtifactKind.SDIST and pure.kind is ArtifactKind.WHEEL
    assert sdist.sha256 == made[0].sha256
    assert sdist.size == len(made[0].data)
    assert sdist.upload_time.startswith("2024-01-02T03:04:05")
    assert sdist.url == f"{fake_index.base}/files/{sdist.filename}"
    assert not binary.yanked and binary.kind is ArtifactKind.WHEEL


def test_unknown_version_and_project(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0")
    with pytest.raises(SourceError, match="no release 3.0"):
        client.release_files("demo-pkg", "3.0")
    with pytest.raises(SourceError, match="not found"):
        client.versions("no-such-project")


def test_relative_file_url_is_resolved_against_the_page(fake_index, client):
    fake_index.add_release("rel-pkg", "1.0", relative=True)
    files = client.release_files("rel-pkg", "1.0")
    assert files[0].url == f"{fake_index.base}/files/{files[0].filename}"
    path = client.download(files[0])
    assert path.read_bytes() == fake_index.projects["rel-pkg"].files[0].data


def test_html_simple_page_fallback(fake_index, tmp_path):
    fake_index.add_release("demo-pkg", "1.0", relative=True)

    class HtmlOnly(IndexClient):
        def _get(self, url, accept):  # ask as an index without PEP 691 would answer
            return super()._get(url, "text/html" if "/simple/" in url else accept)

    with HtmlOnly(fake_index.config(tmp_path), backoff=0) as c:
        files = c.release_files("demo-pkg", "1.0")
    assert {f.kind for f in files} == {ArtifactKind.SDIST, ArtifactKind.WHEEL}
    assert all(f.url.startswith(fake_index.base + "/files/") for f in files)
    assert all(f.sha256 for f in files)


def test_hash_mismatch_rejected_and_not_kept(fake_index, client, tmp_path):
    fake_index.add_release("evil", "1.0", wheel=False, bad_hash=True)
    (f,) = client.release_files("evil", "1.0")
    with pytest.raises(SourceError, match="SHA-256 mismatch"):
        client.download(f)
    blobs = tmp_path / "cache" / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))
    assert not any((tmp_path / "cache" / "tmp").iterdir())


def test_cache_hit_avoids_second_download(fake_index, client):
    (made,) = fake_index.add_release("demo-pkg", "1.0", wheel=False)
    (f,) = client.release_files("demo-pkg", "1.0")
    first = client.download(f)
    second = client.download(f)
    assert first == second
    assert fake_index.count(fake_index.file_path(made.filename)) == 1
    assert hashlib.sha256(first.read_bytes()).hexdigest() == made.sha256
    assert first.parent.name == made.sha256 and first.name == made.filename


def test_size_cap_refuses_before_download(fake_index, client):
    (made,) = fake_index.add_release("demo-pkg", "1.0", wheel=False)
    (f,) = client.release_files("demo-pkg", "1.0")
    with pytest.raises(SourceError, match="cap"):
        client.download(f, max_bytes=10)
    assert fake_index.count(fake_index.file_path(made.filename)) == 0


def test_retries_on_5xx_then_succeeds(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0")
    fake_index.fail("/simple/demo-pkg/", 503, 502)
    assert client.versions("demo-pkg") == ["1.0"]
    assert fake_index.count("/simple/demo-pkg/") == 3


def test_gives_up_after_retries(fake_index, tmp_path):
    fake_index.add_release("demo-pkg", "1.0")
    fake_index.fail("/simple/demo-pkg/", 500, 500, 500)
    with fake_index.client(tmp_path, retries=2) as c, pytest.raises(SourceError, match="500"):
        c.versions("demo-pkg")


def test_connection_errors_are_retried(tmp_path):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        body = {"meta": {"api-version": "1.0"}, "name": "x", "files": []}
        return httpx.Response(
            200, json=body, headers={"content-type": "application/vnd.pypi.simple.v1+json"}
        )

    from douane.sources.config import SourceConfig

    cfg = SourceConfig("http://127.0.0.1:9/simple/", "http://127.0.0.1:9/pypi/", tmp_path)
    with IndexClient(cfg, transport=httpx.MockTransport(handler), backoff=0) as c:
        assert c.versions("x") == []
    assert len(calls) == 2
    assert calls[1].headers["user-agent"] == USER_AGENT
    assert "douane" in USER_AGENT
    assert calls[1].headers["accept"].startswith("application/vnd.pypi.simple.v1+json")


def test_metadata_from_json_api(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0")
    fake_index.add_release("demo-pkg", "1.1")
    fake_index.set_info("demo-pkg", requires_dist=["httpx>=0.27"], description="x" * 42)
    meta = client.metadata("Demo.Pkg")
    assert meta.version == "1.1"
    assert meta.description_length == 42
    assert meta.author_email == "author@example.invalid"
    assert meta.project_urls == (("Source", "https://example.invalid/src"),)
    assert meta.requires_dist == ("httpx>=0.27",)
    assert meta.release_count == 2
    pinned = client.metadata("demo-pkg", "1.0")
    assert pinned.version == "1.0" and pinned.release_count is None
    with pytest.raises(SourceError, match="not found"):
        client.metadata("demo-pkg", "9.9")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("requests", True),
        ("Requests==2.31.0", True),
        ("pkg[extra]==1.0 ; python_version >= '3'", True),
        ("pkg>=1.0", False),
        ("pkg==1.*", False),
        ("pkg @ https://example.invalid/pkg.whl", False),
        ("./pkg-1.0.tar.gz", False),
        ("pkg-1.0.tar.gz", False),
        ("not a name!", False),
    ],
)
def test_handles(target, expected):
    assert is_index_target(target) is expected


def test_resolve_latest_gives_every_file(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0")
    made = fake_index.add_release("demo-pkg", "1.1", binary_wheels=("cp311-cp311-win_amd64",))
    arts = list(PyPISource(client).resolve("demo-pkg"))
    assert [a.filename for a in arts] == [m.filename for m in made]
    for art, m in zip(arts, made, strict=True):
        assert isinstance(art, Artifact)
        assert (art.name, art.version, art.target) == ("demo-pkg", "1.1", "demo-pkg")
        assert art.sha256 == m.sha256 and art.path.read_bytes() == m.data
        assert art.url.endswith(m.filename) and art.upload_time


def test_resolve_pinned(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0")
    fake_index.add_release("demo-pkg", "1.1")
    arts = list(PyPISource(client).resolve("demo-pkg==1.0"))
    assert {a.version for a in arts} == {"1.0"} and len(arts) == 2


def test_resolve_pinned_yanked_still_resolves(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0", yanked=True)
    assert len(list(PyPISource(client).resolve("demo-pkg==1.0"))) == 2


def test_one_bad_file_does_not_hide_the_others(fake_index, client):
    fake_index.add_release("demo-pkg", "1.0", wheel=False)
    fake_index.add_release("demo-pkg", "1.0", sdist=False, bad_hash=True)
    out = list(PyPISource(client).resolve_outcomes("demo-pkg"))
    assert [type(o) for o in out] == [Artifact, Unresolved]
    assert "mismatch" in out[1].reason and out[1].target == "demo-pkg"
    with pytest.raises(SourceError):
        list(PyPISource(client).resolve("demo-pkg"))


def test_unknown_project_is_unresolved(fake_index, client):
    (out,) = PyPISource(client).resolve_outcomes("nope==1.0")
    assert isinstance(out, Unresolved) and "not found" in out.reason


def test_pick_prefers_pure_wheel_else_smallest(fake_index, client):
    fake_index.add_release(
        "mixed",
        "1.0",
        binary_wheels=("cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-win_amd64"),
    )
    fake_index.add_release(
        "binary",
        "1.0",
        wheel=False,
        binary_wheels=("cp311-cp311-win_amd64", "cp312-cp312-win_amd64"),
    )
    picked = pick_sdist_and_one_wheel(client.release_files("mixed", "1.0"))
    assert [f.filename for f in picked] == ["mixed-1.0.tar.gz", "mixed-1.0-py3-none-any.whl"]
    picked = pick_sdist_and_one_wheel(client.release_files("binary", "1.0"))
    assert [f.filename for f in picked] == [
        "binary-1.0.tar.gz",
        "binary-1.0-cp311-cp311-win_amd64.whl",  # the smaller one
    ]
    no_wheel = pick_sdist_and_one_wheel(client.release_files("binary", "1.0"), wheel=False)
    assert [f.kind for f in no_wheel] == [ArtifactKind.SDIST]


def test_prior_release_count_by_upload_time_then_version(fake_index, client):
    _history(fake_index)
    assert client.prior_release_count("demo-pkg", "0.9") == 0
    assert client.prior_release_count("demo-pkg", "1.10") == 3  # 0.9, 1.0, 1.9
    assert client.prior_release_count("demo-pkg", "2.1rc1") == 5  # the yanked 2.0 counts
    fake_index.add_file("late", "5.0", "late-5.0.tar.gz", b"x", upload_time="2020-01-01T00:00:00Z")
    fake_index.add_file("late", "1.0", "late-1.0.tar.gz", b"y", upload_time="2021-01-01T00:00:00Z")
    assert client.prior_release_count("late", "5.0") == 0  # uploaded first, whatever its version
    assert client.prior_release_count("late", "1.0") == 1


def test_resolved_artifacts_carry_the_number_of_prior_releases(fake_index, client):
    """DOU1107 relies on this: an index artifact knows its history, a first release has 0."""
    fake_index.add_release("acme-billing-client", "99.0.0", wheel=False)
    for v in ("1.0", "2.0", "99.1.0"):
        fake_index.add_release("acme-legacy", v, wheel=False)
    source = PyPISource(client)
    (first,) = source.resolve("acme-billing-client")
    assert first.version == "99.0.0" and first.prior_releases == 0
    (established,) = source.resolve("acme-legacy==99.1.0")
    assert established.prior_releases == 2
