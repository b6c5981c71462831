"""Unit tests for payload-file helpers: magic bytes, extension classes, bytecode pairing."""

from __future__ import annotations

from pathlib import Path

from douane.analysis.engine import analyse
from douane.analysis.payload_files import _source_of, executable_format, extension_class
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity

PE = b"MZ" + b"\x00" * 58 + (64).to_bytes(4, "little") + b"PE\x00\x00" + b"\x00" * 60


def scan(files: dict[str, bytes], kind: ArtifactKind = ArtifactKind.SDIST):
    members = tuple(Member(p, d, len(d)) for p, d in files.items())
    opened = Opened(kind, "folder", members, (), "")
    found = analyse(Artifact(path=Path("x"), filename="x"), opened).findings
    return sorted((f.rule, f.file, f.severity) for f in found if f.rule.startswith("DOU8"))


def test_executable_format_by_magic():
    assert executable_format(PE) == "PE"
    assert executable_format(b"MZ" + b"\x00" * 58 + (64).to_bytes(4, "little") + b"XXXX") is None
    assert executable_format(b"\x7fELF\x02\x01\x01") == "ELF"
    assert executable_format(b"\xcf\xfa\xed\xfe" + b"\x00" * 8) == "Mach-O"
    assert executable_format(b"\xca\xfe\xba\xbe\x00\x00\x00\x02") == "Mach-O"
    assert executable_format(b"\xca\xfe\xba\xbe\x00\x00\x00\x34") is None  # a Java class
    assert executable_format(b"MZ is a text file starting with MZ") is None


def test_extension_classes():
    assert extension_class("pkg/_x.cpython-311-x86_64-linux-gnu.so") == "native"
    assert extension_class("pkg/libz.so.1.2") == "native"
    assert extension_class("pkg/x.pyd") == "native"
    assert extension_class("pkg/run.exe") == "exe"
    assert extension_class("pkg/bin/tool") == "exe"
    assert extension_class("pkg/icon.png") == "data"
    assert extension_class("pkg/firmware/board-demo.axf") == "firmware"
    assert extension_class("pkg/firmware/board.elf") == "firmware"


def test_source_pairing_for_bytecode():
    assert _source_of("pkg/__pycache__/mod.cpython-311.pyc") == "pkg/mod.py"
    assert _source_of("pkg/mod.pyc") == "pkg/mod.py"
    assert _source_of("mod.pyc") == "mod.py"


def test_native_library_grades_differ_by_artifact_kind():
    files = {"pkg/__init__.py": b"", "pkg/_x.pyd": PE, "pkg/run.exe": PE}
    assert scan(files, ArtifactKind.WHEEL) == [("DOU802", "pkg/run.exe", Severity.LOW)]
    assert scan(files) == [
        ("DOU801", "pkg/_x.pyd", Severity.MEDIUM),
        ("DOU801", "pkg/run.exe", Severity.HIGH),
    ]


def test_script_referenced_from_code_is_medium():
    files = {"pkg/__init__.py": b"import os\nos.startfile('go.bat')\n", "pkg/go.bat": b"@echo x\n"}
    assert scan(files) == [("DOU804", "pkg/go.bat", Severity.MEDIUM)]


def test_wheel_bytecode_without_source_is_low():
    files = {"pkg/__init__.pyc": b"\xa7\r\r\n" + b"\x00" * 12}
    assert scan(files, ArtifactKind.WHEEL) == [("DOU805", "pkg/__init__.pyc", Severity.LOW)]


def test_vendored_launchers_and_object_files_are_not_high():
    """Regression: pip's vendored distlib launchers and `.o` files read as benign shapes."""
    files = {
        "pkg/_vendor/distlib/t64.exe": PE,
        "pkg/_vendor/tool/helper.exe": PE,
        "build/python.o": b"\x7fELF\x02\x01\x01" + b"\x00" * 16,
    }
    assert scan(files) == [
        ("DOU801", "build/python.o", Severity.MEDIUM),
        ("DOU801", "pkg/_vendor/distlib/t64.exe", Severity.LOW),
        ("DOU801", "pkg/_vendor/tool/helper.exe", Severity.MEDIUM),
    ]
