"""Metadata helpers: reference lists, version shapes, dependency names."""

from __future__ import annotations

import pytest

from douane.analysis import metadata as md
from douane.domain import Severity


def test_read_names_canonicalises_and_skips_comments():
    lines = ["# header", "", "Foo_Bar", "baz.qux\t1.0\t2024-01", "  Foo-bar  # dup"]
    assert md.read_names(lines) == frozenset({"foo-bar", "baz-qux"})


def test_popular_projects_from_explicit_path_and_env(tmp_path, monkeypatch):
    f = tmp_path / "top.txt"
    f.write_text("Requests\nnumpy\n")
    md.popular_projects.cache_clear()
    assert md.popular_projects(str(f)) == frozenset({"requests", "numpy"})
    monkeypatch.setenv(md.POPULAR_ENV, str(f))
    md.popular_projects.cache_clear()
    assert "numpy" in md.popular_projects()
    md.popular_projects.cache_clear()


def test_popular_projects_missing_path_falls_back(tmp_path, monkeypatch):
    """Regression: an unreadable configured list must not raise, only fall back."""
    monkeypatch.setenv(md.POPULAR_ENV, str(tmp_path / "nope.txt"))
    md.popular_projects.cache_clear()
    assert isinstance(md.popular_projects(), frozenset)
    md.popular_projects.cache_clear()


def test_build_known_malicious_drops_legitimate_names():
    names = md.build_known_malicious(
        ["Evil_Pkg", "requests", " ", "evil-pkg"], legitimate=["Requests"]
    )
    assert names == ["evil-pkg"]


def test_write_known_malicious_round_trip(tmp_path):
    src = tmp_path / "osv-names.txt"
    src.write_text("bad-one\nnumpy\n")
    out, n = md.write_known_malicious(src, tmp_path / "km.txt", legitimate=["numpy"])
    assert md.known_malicious(str(out)) == frozenset({"bad-one"}) and n == 1


def test_shipped_lists_load():
    assert "mailinator.com" in md.disposable_domains()
    assert "gmail.com" not in md.disposable_domains()
    assert md.known_malicious() and all(n == n.lower() for n in md.known_malicious())


@pytest.mark.parametrize(
    ("version", "severity"),
    [
        ("999.0.4", Severity.MEDIUM),
        ("99.1", Severity.MEDIUM),
        ("9999", Severity.MEDIUM),
        ("1337.0.2", Severity.LOW),
        ("31463.0.0", Severity.LOW),
        ("2024.1.0", None),
        ("20240131", None),
        ("2604.4.0", None),  # YYMM
        ("9.0", None),
        ("121.0.6167", None),  # tracks another product's version
        ("not-a-version", None),
    ],
)
def test_is_squatting_version(version, severity):
    found = md.is_squatting_version(version)
    assert (found[0] if found else None) == severity
