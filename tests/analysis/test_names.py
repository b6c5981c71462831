"""Typosquatting rules: each imitation form, benign look-alikes, the shipped list and its index."""

from __future__ import annotations

from pathlib import Path

import pytest

from douane.analysis import names as N
from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity, Verdict, Where
from douane.scoring.verdict import rules_score


def _ctx(files: dict[str, str], name: str | None = None, version: str = "1.0"):
    members = tuple(Member(p, t.encode(), len(t.encode())) for p, t in files.items())
    opened = Opened(kind=ArtifactKind.SDIST, format="folder", members=members, issues=(), root="")
    artifact = Artifact(path=Path("x"), filename=f"{name or 'x'}-{version}.tar.gz", name=name,
                        version=version)  # fmt: skip
    return analyse(artifact, opened)


def _pkginfo(name: str) -> dict[str, str]:
    return {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        "pkg/__init__.py": "VALUE = 1\n",
    }


@pytest.mark.parametrize(
    "name,form,target",
    [
        ("reqeusts", N.Form.TYPO, "requests"),  # swapped letters
        ("matplotib", N.Form.TYPO, "matplotlib"),  # missing letter
        ("seleniumm", N.Form.TYPO, "selenium"),  # doubled letter
        ("reqiests", N.Form.TYPO, "requests"),  # neighbouring key
        ("djang0", N.Form.HOMOGLYPH, "django"),  # 0 for o
        ("f1ask", N.Form.HOMOGLYPH, "flask"),  # 1 for l
        ("rnatplotlib", N.Form.HOMOGLYPH, "matplotlib"),  # rn for m
        ("cIick", N.Form.HOMOGLYPH, "click"),  # capital I for l
        ("r\u0435quests", N.Form.HOMOGLYPH, "requests"),  # Cyrillic e
        ("scikitlearn", N.Form.VARIANT, "scikit-learn"),  # separators
        ("python-requests", N.Form.VARIANT, "requests"),  # python- prefix
        ("requests-py", N.Form.VARIANT, "requests"),  # -py suffix
        ("pyyaml3", N.Form.VARIANT, "pyyaml"),  # digit suffix
        ("openai-python-sdk", N.Form.COMBO, "openai"),
        ("requests-pro", N.Form.COMBO, "requests"),
        ("dateutil", N.Form.IMPORT_NAME, "python-dateutil"),
        ("cv2", N.Form.IMPORT_NAME, "opencv-python"),
        ("PIL", N.Form.IMPORT_NAME, "pillow"),
        ("yaml", N.Form.IMPORT_NAME, "pyyaml"),
    ],
)
def test_each_imitation_form_is_recognised(name, form, target):
    m = N.match_name(name)
    assert m is not None, name
    assert (m.form, m.target) == (form, target)


@pytest.mark.parametrize(
    "name",
    [
        "requests-toolbelt", "types-requests", "pandas-stubs", "matplotlib-inline", "requests",
        "numpy", "Django", "python_dateutil", "bs4", "sklearn", "pytest-requests-mock",
        "django-numpy-fields", "sphinx-numpy-theme", "flake8-requests", "boto3-stubs",
        "acme-billing", "fixture-pkg", "my-awesome-lib",
    ],
)  # fmt: skip
def test_popular_names_and_convention_extensions_are_not_squats(name):
    assert N.match_name(name) is None


def test_every_shipped_popular_name_is_exempt():
    idx = N.popular_index()
    assert len(idx.rank) > 10_000
    assert all(N.match_name(n) is None for n in list(idx.rank)[:2000])


def test_only_close_slips_of_much_used_projects_are_strong():
    assert N.match_name("reqeusts").tier is N.Tier.STRONG
    assert N.match_name("requests-pro").tier is not N.Tier.STRONG  # combosquat: weak evidence
    assert N.match_name("python-requests").tier is not N.Tier.STRONG  # forks are named so too


def test_digit_changes_and_short_words_are_not_typos():
    """Regression: `pyqt5`/`pyqt6`-style and `-sms`/`-sns` pairs name different projects."""
    idx = N.build_index(["pyqt5", "types-aiobotocore-sns", "networkx"])
    assert N.classify("pyqt6", idx) is None
    assert N.classify("types-aiobotocore-sms", idx) is None
    assert N.classify("network", idx) is None  # a letter dropped at the end makes a word


def test_leave_one_out_judges_a_popular_name_against_the_others():
    idx = N.build_index(["requests", "reqeusts-helper"])
    assert N.classify("requests", idx) is None
    assert N.classify("requests", idx, exempt_known=False) is None
    idx2 = N.build_index(["requests", "reqeusts"])
    m = N.classify("reqeusts", idx2, exempt_known=False)
    assert m is not None and m.target == "requests"


def test_keyboard_adjacency():
    assert N.keys_adjacent("q", "w") and N.keys_adjacent("s", "x") and N.keys_adjacent("u", "7")
    assert not N.keys_adjacent("q", "p") and not N.keys_adjacent("a", "a")


def test_skeleton_folds_look_alikes():
    assert N.skeleton("Iibrary") == N.skeleton("library")
    assert N.skeleton("rnodern") == "modem"
    assert N.skeleton("r\u0435quests") == "requests"


def test_internal_looking_names():
    assert N.looks_internal("acme-internal") == "internal"
    assert N.looks_internal("internal-billing-client") == "internal"
    assert N.looks_internal("odoo-addon-internal-ref") is None
    assert N.looks_internal("corpus") is None


def test_rule_reads_the_metadata_name_and_points_at_its_line():
    analysis = _ctx(_pkginfo("reqeusts"), name="fixture-pkg")
    hits = [f for f in analysis.findings if f.rule == "DOU1101"]
    assert [(h.file, h.line, h.where) for h in hits] == [("PKG-INFO", 2, Where.METADATA)]
    assert hits[0].severity is Severity.CRITICAL
    assert "requests" in hits[0].message


def test_index_name_is_judged_even_when_metadata_claims_a_popular_name():
    analysis = _ctx(_pkginfo("requests"), name="reqeusts")
    hits = [f for f in analysis.findings if f.family.value == "typosquatting"]
    assert [(h.rule, h.file) for h in hits] == [("DOU1101", "reqeusts-1.0.tar.gz")]


def test_only_one_form_is_reported_per_artifact():
    analysis = _ctx(_pkginfo("djang0"))
    assert [f.rule for f in analysis.findings if f.rule.startswith("DOU11")] == ["DOU1102"]


def test_look_alike_name_alone_is_at_most_suspicious():
    """The lead's rule: a name alone (plain code) never reaches `malicious`; the strongest
    forms reach the review queue, weak ones do not."""
    strong = _ctx(_pkginfo("reqeusts")).findings
    assert rules_score(strong)[1] is Verdict.SUSPICIOUS
    weak = _ctx(_pkginfo("requests-pro")).findings
    assert rules_score(weak)[1] is Verdict.CLEAN
    plain_code = {**_pkginfo("reqeusts"), "pkg/cli.py": "import subprocess\n\n"
                  "def run():\n    subprocess.run(['git', 'status'], check=False)\n"}  # fmt: skip
    assert rules_score(_ctx(plain_code).findings)[1] is not Verdict.MALICIOUS


def test_parse_name_list_accepts_lists_and_tables():
    text = "# top projects\nname\tlatest\nRequests\t2.0\nnumpy\nrequests\nnot a name!\n\nZope.Interface\n"
    assert N.parse_name_list(text) == ["requests", "numpy", "zope-interface"]


def test_write_and_load_roundtrip(tmp_path: Path):
    dest = tmp_path / "popular.txt"
    assert N.write_popular_list(["a-b", "c"], dest, source="test", limit=1) == 1
    assert N.load_popular(dest) == ["a-b"]
    assert dest.read_text().startswith("#")


def test_missing_or_empty_list_is_an_error_not_a_clean_result(tmp_path: Path):
    with pytest.raises(RuntimeError):
        N.load_popular(tmp_path / "absent.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(RuntimeError):
        N.load_popular(empty)


def _history_ctx(version: str, prior: int | None):
    members = tuple(
        Member(p, t.encode(), len(t.encode())) for p, t in _pkginfo("acme-tool").items()
    )
    opened = Opened(kind=ArtifactKind.SDIST, format="folder", members=members, issues=(), root="")
    artifact = Artifact(path=Path("x"), filename=f"acme_tool-{version}.tar.gz", name="acme-tool",
                        version=version, prior_releases=prior)  # fmt: skip
    return analyse(artifact, opened)


def test_first_release_rule_is_silent_when_the_history_is_unknown():
    """Local files and dataset samples (prior_releases None) never flag DOU1107."""
    analysis = _history_ctx("42.0.0", None)
    assert N.prior_release_count(analysis.context) is None
    assert not [f for f in analysis.findings if f.rule == "DOU1107"]


@pytest.mark.parametrize("version", ["66.0.3", "99.0.0", "999.1", "100.100.100", "9999.99.99"])
def test_first_release_with_high_version_flags(version):
    found = [f for f in _history_ctx(version, 0).findings if f.rule == "DOU1107"]
    assert len(found) == 1 and version in found[0].message
    assert found[0].where is Where.METADATA


@pytest.mark.parametrize("version", ["42.0.0", "99.0.0"])
def test_high_version_after_earlier_releases_is_not_a_first_release(version):
    assert not [f for f in _history_ctx(version, 3).findings if f.rule == "DOU1107"]


@pytest.mark.parametrize(
    "version",
    # low; calendar; an upstream's numbering carried over; Odoo add-on; date and Unix-time stamps
    [
        "1.0",
        "9.9",
        "2024.1.0",
        "24.6",
        "14.12.4",
        "19.0.0.dev1",
        "17.0.1.0.0",
        "20260508.0",
        "1606.02.01",
        "1767774.631.530",
    ],
)
def test_first_release_ignores_low_and_calendar_versions(version):
    assert not [f for f in _history_ctx(version, 0).findings if f.rule == "DOU1107"]
