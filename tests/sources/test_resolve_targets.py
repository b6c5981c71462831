"""resolve_targets: every target yields artifacts or an Unresolved, never an exception."""

from __future__ import annotations

from douane.domain import Artifact
from douane.sources import Unresolved, resolve_targets
from tests.fakeindex import FakeIndex, make_wheel


def test_mixed_targets(fake_index: FakeIndex, tmp_path):
    fake_index.add_release("demo-pkg", "1.0")
    fake_index.add_release("bad-pkg", "1.0", wheel=False, bad_hash=True)
    local = tmp_path / "local_pkg-0.1-py3-none-any.whl"
    local.write_bytes(make_wheel("local-pkg", "0.1"))
    reqs = tmp_path / "r.txt"
    reqs.write_text("demo-pkg==1.0\n???\n")
    out = list(
        resolve_targets(
            [str(local), "demo-pkg", "bad-pkg", "nope>=1", "./missing.tar.gz", "ghost"],
            [reqs, tmp_path / "absent.txt"],
            fake_index.url,
            cache_dir=tmp_path / "cache",
        )
    )
    summary = [
        (o.target, o.filename) if isinstance(o, Artifact) else (o.target, "ERR") for o in out
    ]
    assert summary[0] == (str(local), local.name)
    assert ("demo-pkg", "demo_pkg-1.0.tar.gz") in summary
    assert ("demo-pkg", "demo_pkg-1.0-py3-none-any.whl") in summary
    errors = {o.target: o.reason for o in out if isinstance(o, Unresolved)}
    assert "mismatch" in errors["bad-pkg"]
    assert "nor a NAME" in errors["nope>=1"]
    assert "nor a NAME" in errors["./missing.tar.gz"]
    assert "not found" in errors["ghost"]
    assert any(t.endswith("r.txt:2") for t in errors)
    assert any("absent.txt" in r for r in errors.values())
    assert sum(isinstance(o, Artifact) for o in out) == 5


def test_local_only_needs_no_index(tmp_path):
    (tmp_path / "pkg").mkdir()
    out = list(resolve_targets([str(tmp_path / "pkg")], index_url="http://127.0.0.1:9/simple/"))
    assert len(out) == 1 and isinstance(out[0], Artifact)
