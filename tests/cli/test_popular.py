"""`douane popular`: rebuilding the shipped list from a top-projects file, and judging names."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from douane.analysis import names as N
from douane.cli import app

runner = CliRunner()


def test_refresh_writes_a_normalised_deduplicated_list(tmp_path: Path):
    src = tmp_path / "top.tsv"
    src.write_text("name\tdownloads\nRequests\t9\nnumpy\t8\nrequests\t7\nZope.Interface\t1\n")
    out = tmp_path / "popular.txt"
    res = runner.invoke(app, ["popular", "refresh", "--from", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert N.load_popular(out) == ["requests", "numpy", "zope-interface"]


def test_refresh_refuses_a_file_without_names(tmp_path: Path):
    src = tmp_path / "top.txt"
    src.write_text("# nothing here\n")
    out = tmp_path / "popular.txt"
    res = runner.invoke(app, ["popular", "refresh", "--from", str(src), "-o", str(out)])
    assert res.exit_code == 2
    assert not out.exists()


def test_refresh_reports_an_unreadable_source(tmp_path: Path):
    res = runner.invoke(app, ["popular", "refresh", "--from", str(tmp_path / "absent.txt"),
                              "-o", str(tmp_path / "o.txt")])  # fmt: skip
    assert res.exit_code == 2


def test_check_explains_each_name():
    res = runner.invoke(app, ["popular", "check", "reqeusts", "types-requests"])
    assert res.exit_code == 1
    assert "reqeusts: typo of requests" in res.stdout
    assert "types-requests: no imitation" in res.stdout
    assert runner.invoke(app, ["popular", "check", "numpy"]).exit_code == 0
