"""Near-duplicate grouping: campaigns joined by normalised code or by name up to digits/case."""

from __future__ import annotations

import pytest

from douane.dataset.grouping import fingerprint_members, group_samples, name_key
from douane.dataset.manifest import MALICIOUS, Sample


def s(name: str, sha: str, version: str = "1.0") -> Sample:
    return Sample(label=MALICIOUS, name=name, version=version, filename=f"{name}.tar.gz",
                  sha256=sha)  # fmt: skip


@pytest.mark.parametrize(
    "a, b",
    [("10Cent10", "16cent"), ("My_Pkg2", "my-pkg"), ("requests3", "Requests")],
)
def test_names_differing_by_digits_case_or_separators_share_a_key(a, b):
    assert name_key(a) == name_key(b) is not None


def test_short_stems_do_not_join_anything():
    """Regression: "a1" and "a2" reduce to "a"; joining on that would merge unrelated uploads."""
    assert name_key("a1") is None and name_key("12345") is None


def test_fingerprint_ignores_own_name_version_and_whitespace():
    one = [("alpha-1.0/setup.py", b"setup(name='alpha', version='1.0')\nrun()\n")]
    two = [("beta_2-9.9/setup.py", b"setup(name = 'beta_2',  version='9.9')\n\nrun()")]
    assert fingerprint_members(one, "alpha", "1.0") == fingerprint_members(two, "beta-2", "9.9")
    other = [("gamma-1.0/setup.py", b"setup(name='gamma', version='1.0')\nsteal()\n")]
    assert fingerprint_members(other, "gamma", "1.0") != fingerprint_members(one, "alpha", "1.0")


def test_fingerprint_skips_docs_metadata_and_empty_files():
    assert fingerprint_members([("p/README.md", b"x"), ("p/PKG-INFO", b"Name: p"),
                                ("p/p/__init__.py", b"  \n")], "p", "1") == ""  # fmt: skip


def test_groups_are_transitive_and_stable():
    samples = [s("10Cent10", "a" * 64), s("11cent", "b" * 64), s("zzz-other", "c" * 64),
               s("unrelated", "d" * 64), s("lonely", "e" * 64)]  # fmt: skip
    # 11cent shares code with zzz-other: the chain 10Cent10 - 11cent - zzz-other is one group
    fps = {"b" * 64: "same", "c" * 64: "same", "d" * 64: "", "e" * 64: "solo"}
    g = group_samples(samples, fps)
    assert g.groups[0] == g.groups[1] == g.groups[2]
    assert len({g.groups[0], g.groups[3], g.groups[4]}) == 3
    assert g.groups[0] == "10cent10@aaaaaaaa"
    assert group_samples(list(reversed(samples)), fps).groups[::-1] == g.groups
    assert g.sizes().most_common(1)[0][1] == 3


def test_identical_files_always_share_a_group():
    samples = [s("first", "f" * 64), s("second", "f" * 64)]
    g = group_samples(samples, {}, by_name=False, by_content=False)
    assert g.groups[0] == g.groups[1]


def test_group_cli_never_rewrites_a_benign_manifest_in_place(tmp_path):
    """Regression: the benign downloader appends rows to its manifest in its own layout."""
    import csv
    import json

    from typer.testing import CliRunner

    from douane.cli import app
    from douane.dataset.manifest import read_manifest

    path = tmp_path / "manifest.csv"
    cols = ["name", "version", "filename", "sha256", "size", "upload_time", "stratum", "kind",
            "path"]  # fmt: skip
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(cols)
        for i, name in enumerate(("tidy1", "tidy2", "other")):
            w.writerow([name, "1", f"{name}.tar.gz", str(i) * 64, "1", "", "longtail", "sdist",
                        ""])  # fmt: skip
    before = path.read_text()
    res = CliRunner().invoke(app, ["dataset", "group", str(path), "--no-by-content"])
    assert res.exit_code == 0, res.output
    assert path.read_text() == before
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    grouped = read_manifest(summary["manifest"])
    assert grouped[0].group == grouped[1].group != grouped[2].group
