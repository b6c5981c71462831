"""Requirements files: pins, ranges, comments, options, nested -r, cycles and bad lines."""

from __future__ import annotations

from pathlib import Path

from douane.domain import Artifact
from douane.sources.interface import Unresolved
from douane.sources.pypi import PyPISource
from douane.sources.requirements import parse_requirements, resolve_requirements
from tests.fakeindex import FakeIndex, make_sdist

MAIN = """\
# a comment line
-i http://127.0.0.1:1/simple/
--extra-index-url=http://127.0.0.1:2/simple/
--pre

alpha==1.0  # trailing comment
beta>=1.0,<2.0
Gamma_Pkg
delta[extra]==2.0 ; python_version >= "3.8" \\
    --hash=sha256:aaaa \\
    --hash sha256:bbbb
-e ./some/checkout
-c constraints.txt
-r nested/more.txt
this is not a requirement
pkg @ https://example.invalid/pkg-1.0.whl
--frobnicate
"""


def _write(root: Path) -> Path:
    (root / "nested").mkdir()
    (root / "nested" / "more.txt").write_text("epsilon==0.5\n-r ../main.txt\n-r missing.txt\n")
    main = root / "main.txt"
    main.write_text(MAIN)
    return main


def test_parse(tmp_path):
    parsed = parse_requirements(_write(tmp_path))
    reqs = {r.requirement.name: r for r in parsed.requirements}
    assert list(reqs) == ["alpha", "beta", "Gamma_Pkg", "delta", "epsilon"]
    assert str(reqs["beta"].requirement.specifier) == "<2.0,>=1.0"
    assert reqs["alpha"].lineno == 6
    assert reqs["delta"].hashes == ("sha256:aaaa", "sha256:bbbb")
    assert str(reqs["delta"].requirement.marker) == 'python_version >= "3.8"'
    assert reqs["epsilon"].file == (tmp_path / "nested" / "more.txt").resolve()
    assert [(o.option, o.value) for o in parsed.options] == [
        ("--index-url", "http://127.0.0.1:1/simple/"),
        ("--extra-index-url", "http://127.0.0.1:2/simple/"),
        ("--pre", None),
    ]
    assert parsed.prereleases is True
    assert [(s.option, s.value) for s in parsed.skipped] == [
        ("-e", "./some/checkout"),
        ("-c", "constraints.txt"),
    ]
    errors = {(e.file.name, e.lineno): e.reason for e in parsed.errors}
    assert "cycle" in errors[("more.txt", 2)]
    assert "no such requirements file" in errors[("more.txt", 3)]
    assert "not a requirement" in errors[("main.txt", 15)]
    assert "direct URL" in errors[("main.txt", 16)]
    assert "unknown option --frobnicate" in errors[("main.txt", 17)]
    assert len(parsed.errors) == 5
    assert len(parsed.files) == 2


def test_missing_top_file(tmp_path):
    parsed = parse_requirements(tmp_path / "nope.txt")
    assert not parsed.requirements and "no such requirements file" in parsed.errors[0].reason


def test_diamond_include_is_not_a_cycle(tmp_path):
    (tmp_path / "common.txt").write_text("alpha\n")
    (tmp_path / "a.txt").write_text("-r common.txt\n")
    (tmp_path / "b.txt").write_text("-rcommon.txt\n")
    (tmp_path / "top.txt").write_text("-r a.txt\n--requirement=b.txt\n")
    parsed = parse_requirements(tmp_path / "top.txt")
    assert [r.text for r in parsed.requirements] == ["alpha"] and not parsed.errors


def test_local_path_line(tmp_path):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "demo-1.0.tar.gz").write_bytes(make_sdist("demo", "1.0"))
    (tmp_path / "r.txt").write_text("./dist/demo-1.0.tar.gz\n./dist/gone-1.0.tar.gz\n")
    parsed = parse_requirements(tmp_path / "r.txt")
    assert [p.path.name for p in parsed.paths] == ["demo-1.0.tar.gz"]
    assert "no such file" in parsed.errors[0].reason


def test_resolve(fake_index: FakeIndex, tmp_path):
    for version in ("1.0", "1.5", "2.0"):
        fake_index.add_release("beta", version)
    fake_index.add_release("alpha", "1.0", wheel=False)
    fake_index.add_release("alpha", "1.1", wheel=False)
    fake_index.add_release("gamma-pkg", "0.1")
    fake_index.add_release("gamma-pkg", "0.2b1")
    req = tmp_path / "r.txt"
    req.write_text(
        "alpha==1.0\nbeta>=1.0,<2.0\ngamma-pkg\nALPHA==1.0\nbeta<0.5\nmissing-project\n"
        "bad line here\n"
    )
    with fake_index.client(tmp_path / "cache") as client:
        out = list(resolve_requirements(req, PyPISource(client)))
    arts = [o for o in out if isinstance(o, Artifact)]
    errs = [o for o in out if isinstance(o, Unresolved)]
    got = sorted({(a.name, a.version) for a in arts})
    assert got == [("alpha", "1.0"), ("beta", "1.5"), ("gamma-pkg", "0.1")]
    assert len(arts) == 5  # alpha once (duplicate line dropped), sdist+wheel for the others
    reasons = {e.target: e.reason for e in errs}
    assert any("no non-yanked release matches <0.5" in r for r in reasons.values())
    assert any("not found" in r for r in reasons.values())
    assert reasons[f"{req.resolve()}:7"].startswith("not a requirement")


def test_pre_option_allows_prereleases(fake_index: FakeIndex, tmp_path):
    fake_index.add_release("gamma-pkg", "0.1")
    fake_index.add_release("gamma-pkg", "0.2b1")
    req = tmp_path / "r.txt"
    req.write_text("--pre\ngamma-pkg\n")
    with fake_index.client(tmp_path / "cache") as client:
        versions = {o.version for o in resolve_requirements(req, PyPISource(client))}
    assert versions == {"0.2b1"}
