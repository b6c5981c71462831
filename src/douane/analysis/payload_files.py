"""Payload file rules (DOU8xx): native executables, disguised binaries, Windows scripts and
compiled bytecode shipped inside a release, judged by magic bytes and by where they sit."""

from __future__ import annotations

import re
from collections.abc import Iterator

from douane.analysis.context import ArtifactContext, FileContext, executable_format
from douane.analysis.interface import FileType, Hit, Tag
from douane.analysis.registry import artifact_rule
from douane.domain import ArtifactKind, Confidence, Family, Severity, Where

_NATIVE_LIB = re.compile(
    r"\.(?:so(?:\.\d+)*|pyd|dll|dylib|bundle|node|sys|ocx|drv|o|a|obj|lib)$", re.I
)
# script launchers setuptools and distlib ship (and pip vendors): known, harmless templates
_LAUNCHER = re.compile(r"(^|/)(?:[tw](?:32|64)(?:-arm)?|(?:cli|gui)(?:-(?:32|64|arm64))?)\.exe$")
_VENDORED = re.compile(r"(^|/)(?:_vendor|vendor|vendored|third_party|extern)/")
_EXE_EXT = re.compile(r"\.(?:exe|com|scr|run|app|msi|pif|cpl)$", re.I)
# images for other machines: firmware, kernel modules, raw program images
_FIRMWARE_EXT = re.compile(r"\.(?:elf|axf|bin|out|img|hex|fw|ko|prx|efi)$", re.I)
WINDOWS_SCRIPTS = (".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".vbe", ".wsf", ".hta", ".jse")


def extension_class(path: str) -> str:
    """The kind of name a member has: "native" (a loadable library), "firmware" (a program
    image for some device), "exe" (an executable's name, or none) or "data"."""
    base = path.rsplit("/", 1)[-1]
    if _NATIVE_LIB.search(base):
        return "native"
    if _FIRMWARE_EXT.search(base):
        return "firmware"
    if _EXE_EXT.search(base) or "." not in base.lstrip("."):
        return "exe"
    return "data"


def _executables(ctx: ArtifactContext) -> Iterator[tuple[FileContext, str, str]]:
    for f in ctx.files:
        fmt = executable_format(f.member.data[:4096])
        if fmt is not None:
            yield f, fmt, extension_class(f.rel_path)


def _cap_in_tests(f: FileContext, severity: Severity) -> Severity:
    """Binary test vectors (parsers of ELF/PE ship them) are not what an install runs."""
    return min(severity, Severity.LOW) if f.where is Where.TEST else severity


@artifact_rule(
    "DOU801",
    "executable_in_sdist",
    family=Family.PAYLOAD_FILES,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    tags=(Tag.EXECUTE,),
)
def executable_in_sdist(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags native executables (PE, ELF, Mach-O, told by their magic bytes) in
    a source distribution: an `.exe` or extensionless binary is HIGH, a prebuilt library
    (`.so`, `.dll`, `.pyd`, `.dylib`) or a firmware-style image (`.elf`, `.axf`, `.bin`)
    MEDIUM, any of them under tests/ or docs/ LOW; an executable in a vendored copy of another
    project is MEDIUM, and setuptools'/distlib's script launchers (`t64.exe`, `cli-64.exe`)
    LOW. Binaries named like data files are DOU803.

    Why it matters: an sdist is meant to hold source; a prebuilt program in it cannot be
    reviewed and is a ready second stage for a `setup.py` that runs it. Some projects vendor a
    DLL or keep binary test vectors, hence the grading.

    Example: `pkg-1.0/pkg/bin/updater.exe` (a PE file) next to a `setup.py` that starts it.
    """
    if ctx.kind is ArtifactKind.WHEEL:
        return
    for f, fmt, ext in _executables(ctx):
        if ext == "data":
            continue
        severity = Severity.HIGH if ext == "exe" else Severity.MEDIUM
        if _LAUNCHER.search(f.rel_path):
            severity = Severity.LOW
        elif _VENDORED.search(f.rel_path):
            severity = min(severity, Severity.MEDIUM)
        what = {
            "native": "a prebuilt native library",
            "firmware": "a program image (firmware or raw binary)",
        }.get(ext, "a native executable")
        yield Hit(
            message=f"{fmt} binary in the source distribution: {what}",
            file=f.path,
            where=f.where,
            severity=_cap_in_tests(f, severity),
        )


@artifact_rule(
    "DOU802",
    "executable_in_wheel",
    family=Family.PAYLOAD_FILES,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    tags=(Tag.EXECUTE,),
)
def executable_in_wheel(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags native programs (an `.exe`, or an extensionless PE/ELF/Mach-O) in a
    wheel or egg. Extension modules and libraries (`.so`, `.pyd`, `.dll`, `.dylib`) are what
    platform wheels are for and are never flagged.

    Why it matters: a wheel may legitimately carry a tool binary (launchers, bundled CLIs), so
    this is LOW; it matters when the package's code also starts that file.

    Example: `pkg/payload.exe` in `pkg-1.0-py3-none-any.whl`.
    """
    if ctx.kind not in (ArtifactKind.WHEEL, ArtifactKind.EGG):
        return
    for f, fmt, ext in _executables(ctx):
        if ext == "exe":
            yield Hit(message=f"{fmt} program shipped in the wheel", file=f.path, where=f.where)


@artifact_rule(
    "DOU803",
    "executable_disguised_as_data",
    family=Family.PAYLOAD_FILES,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    tags=(Tag.EXECUTE, Tag.EVADE),
)
def executable_disguised_as_data(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags members whose bytes are a native executable (PE/ELF/Mach-O) while
    their name says image, text, data or source (`logo.png`, `data.dat`, `readme.txt`).

    Why it matters: renaming a program to a data extension is done only to slip it past
    reviewers and filters; the dropper later copies it to `.exe` and runs it. No build tool
    produces such a file.

    Example: `pkg/assets/icon.png` that starts with `MZ` and holds a `PE\\0\\0` header.
    """
    for f, fmt, ext in _executables(ctx):
        if ext == "data":
            suffix = f.rel_path.rsplit(".", 1)[-1]
            yield Hit(
                message=f"{fmt} executable named as a `.{suffix}` file",
                file=f.path,
                where=f.where,
            )


_SCRIPT_DOC_DIRS = re.compile(r"(^|/)(docs?|doc_src|sphinx)/", re.I)


@artifact_rule(
    "DOU804",
    "windows_script_member",
    family=Family.PAYLOAD_FILES,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    tags=(Tag.EXECUTE,),
)
def windows_script_member(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags Windows scripts (`.bat`, `.cmd`, `.ps1`, `.vbs`, `.vbe`, `.wsf`,
    `.hta`) shipped in a Python package: LOW on their own, MEDIUM when a Python file of the
    package names them (so something runs them). Sphinx's `docs/make.bat` and scripts under
    docs/ are skipped.

    Why it matters: droppers for Windows carry their stage-two launcher as a batch or
    PowerShell file next to a `setup.py` that starts it; pure-Python packages rarely need one.

    Example: `pkg/install.ps1` and `subprocess.Popen(["powershell", "-File", "install.ps1"])`.
    """
    scripts = [
        f
        for f in ctx.files
        if f.rel_path.lower().endswith(WINDOWS_SCRIPTS)
        and not _SCRIPT_DOC_DIRS.search(f.rel_path)
        and f.rel_path.lower().rsplit("/", 1)[-1] != "make.bat"
    ]
    if not scripts:
        return
    python = [f for f in ctx.files if f.file_type is FileType.PYTHON]
    for s in scripts:
        base = s.rel_path.rsplit("/", 1)[-1].encode()
        user = next((p for p in python if base in p.member.data), None)
        if user is not None:
            yield Hit(
                message=f"Windows script `{base.decode()}` is named by `{user.rel_path}`",
                file=s.path,
                where=user.where,
                severity=Severity.MEDIUM,
            )
        else:
            yield Hit(message="Windows script shipped in the package", file=s.path, where=s.where)


@artifact_rule(
    "DOU805",
    "compiled_bytecode_member",
    family=Family.PAYLOAD_FILES,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    tags=(Tag.OBFUSCATED,),
)
def compiled_bytecode_member(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags compiled Python bytecode (`.pyc`/`.pyo`) in a source distribution
    (MEDIUM), HIGH when no matching `.py` source is shipped beside it; in a wheel, bytecode
    without its source is LOW.

    Why it matters: bytecode runs like source but cannot be read or diffed; shipping it without
    the source is a way to hide what a module does. Build tools never put `.pyc` files into an
    sdist, so one there is a hand-made release.

    Example: `pkg-1.0/pkg/core.cpython-311.pyc` with no `pkg/core.py`.
    """
    sources = {f.rel_path for f in ctx.files if f.rel_path.endswith(".py")}
    wheel = ctx.kind in (ArtifactKind.WHEEL, ArtifactKind.EGG)
    for f in ctx.files:
        if not f.rel_path.lower().endswith((".pyc", ".pyo")):
            continue
        has_source = _source_of(f.rel_path) in sources
        if wheel:
            if not has_source:
                yield Hit(message="compiled bytecode shipped without its source",
                          file=f.path, where=f.where, severity=Severity.LOW)  # fmt: skip
            continue
        if has_source:
            yield Hit(message="compiled bytecode in the source distribution",
                      file=f.path, where=f.where)  # fmt: skip
        else:
            yield Hit(
                message="compiled bytecode in the source distribution, without its source",
                file=f.path,
                where=f.where,
                severity=_cap_in_tests(f, Severity.HIGH),
            )


def _source_of(pyc: str) -> str:
    """`pkg/__pycache__/mod.cpython-311.pyc` -> `pkg/mod.py`; `pkg/mod.pyc` -> `pkg/mod.py`."""
    folder, _, name = pyc.rpartition("/")
    stem = name.split(".", 1)[0]
    if folder.endswith("__pycache__"):
        folder = folder[: -len("__pycache__")].rstrip("/")
    return f"{folder}/{stem}.py" if folder else f"{stem}.py"
