"""Shared vocabulary of Python APIs by capability, so every rule family names them the same way.

Names are qualified as :meth:`PyContext.qualname` returns them (import aliases resolved).
A name ending in ``.*`` matches any attribute of that module.
"""

from __future__ import annotations

from collections.abc import Iterable

from douane.analysis.interface import Bare, Name, anchored

# `os.system`, `system(...)`, `from os import system`: not the word "system" in prose, which
# is in 9 % of benign Python files (a trigger that common makes the prefilter useless)
SYSTEM_TRIGGER = anchored(rb"\.system\b|\bsystem\s*\(|import[^\n]*\bsystem\b", b"system")
# exec/eval/compile as a name, a builtins attribute or a string (getattr); not as a method
# (`model.eval()`, `re.compile(...)`: in 13 % of benign files)
EXEC_TRIGGER = anchored(
    rb"(?:(?<![\w.])|builtins\.)(?:exec|eval|compile)\b", b"exec", b"eval", b"compile"
)

PROCESS_SHELL = frozenset({"os.system", "os.popen", "commands.getoutput", "commands.getstatusoutput",
                           "subprocess.getoutput", "subprocess.getstatusoutput", "pty.spawn",
                           "os.popen2", "os.popen3", "os.popen4"})  # fmt: skip
PROCESS_SPAWN = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                           "subprocess.check_output", "subprocess.Popen", "os.execv", "os.execve",
                           "os.execl", "os.execle", "os.execlp", "os.execvp", "os.execvpe",
                           "os.spawnl", "os.spawnv", "os.spawnve", "os.spawnlp", "os.startfile",
                           "os.posix_spawn", "os.posix_spawnp", "asyncio.create_subprocess_shell",
                           "asyncio.create_subprocess_exec", "win32api.ShellExecute",
                           "ctypes.windll.shell32.ShellExecuteW"})  # fmt: skip
PROCESS_ANY = PROCESS_SHELL | PROCESS_SPAWN

NETWORK_SEND = frozenset({"requests.post", "requests.put", "requests.patch", "requests.request",
                          "requests.Session.post", "httpx.post", "httpx.put", "httpx.request",
                          "urllib.request.urlopen", "urllib.request.Request", "urllib2.urlopen",
                          "urllib2.Request", "http.client.HTTPSConnection",
                          "http.client.HTTPConnection", "httplib.HTTPSConnection",
                          "aiohttp.ClientSession", "socket.socket", "socket.create_connection",
                          "smtplib.SMTP", "smtplib.SMTP_SSL", "ftplib.FTP",
                          "discord_webhook.DiscordWebhook", "dhooks.Webhook",
                          "telebot.TeleBot", "pycurl.Curl", "websocket.create_connection",
                          "dns.resolver.resolve", "dns.resolver.query",
                          "socket.gethostbyname"})  # fmt: skip
NETWORK_FETCH = frozenset({"requests.get", "requests.request", "httpx.get", "urllib.request.urlopen",
                           "urllib.request.urlretrieve", "urllib.urlretrieve", "urllib.urlopen",
                           "urllib2.urlopen", "wget.download", "http.client.HTTPSConnection",
                           "http.client.HTTPConnection", "requests.Session.get",
                           "aiohttp.ClientSession", "pycurl.Curl"})  # fmt: skip
NETWORK_ANY = NETWORK_SEND | NETWORK_FETCH

DECODERS = frozenset({"base64.b64decode", "base64.b32decode", "base64.b16decode",
                      "base64.b85decode", "base64.a85decode", "base64.decodebytes",
                      "base64.decodestring", "base64.urlsafe_b64decode", "binascii.unhexlify",
                      "binascii.a2b_base64", "binascii.a2b_hex", "bytes.fromhex",
                      "codecs.decode", "zlib.decompress", "lzma.decompress", "bz2.decompress",
                      "gzip.decompress", "marshal.loads", "pickle.loads", "cPickle.loads",
                      "dill.loads", "fernet.decrypt", "cryptography.fernet.Fernet",
                      "Crypto.Cipher.AES.new"})  # fmt: skip
DYNAMIC_EXEC = frozenset({"exec", "eval", "compile", "builtins.exec", "builtins.eval",
                          "__builtins__.exec", "__builtins__.eval", "execfile",
                          "types.FunctionType", "runpy.run_path", "runpy.run_module",
                          "code.InteractiveInterpreter.runsource"})  # fmt: skip
ENV_READ = frozenset({"os.getenv", "os.environ.get", "os.environ.copy", "os.environ.items",
                      "os.environ.keys", "os.environ.values", "dict", "os.getenvb"})  # fmt: skip
FILE_WRITE = frozenset({"open", "io.open", "pathlib.Path.write_bytes", "pathlib.Path.write_text",
                        "shutil.copyfileobj", "shutil.copy", "shutil.copyfile", "os.write",
                        "tempfile.NamedTemporaryFile", "tempfile.mkstemp"})  # fmt: skip
CHMOD = frozenset({"os.chmod", "os.fchmod", "pathlib.Path.chmod", "stat.S_IEXEC"})


def matches(name: str | None, names: frozenset[str]) -> bool:
    """True when ``name`` is in ``names``, or its module is listed with a ``.*`` wildcard, or it
    is an unresolved method call whose last two parts match (``session.post`` → ``*.post``)."""
    if not name:
        return False
    if name in names:
        return True
    mod = name.rsplit(".", 1)[0]
    return f"{mod}.*" in names


def tail(name: str | None) -> str:
    """Last dotted part: the method name of an unresolved call."""
    return (name or "").rsplit(".", 1)[-1]


# -- names a call must write in code (for `all_of` triggers) -----------------------------------

# A module can come from a string instead of an identifier: `__import__("os").system(...)`,
# `importlib.import_module("subprocess").run(...)` (PyContext.qualname folds the string).
IMPORT_NAMES = frozenset({b"__import__", b"import_module"})


def written_names(calls: Iterable[str], prefer: Iterable[str] = ()) -> frozenset[Name]:
    """For each qualified call name (as :meth:`PyContext.qualname` resolves it), one part any
    spelling of the call writes as an identifier in code: the part listed in ``prefer`` if it
    has one (`subprocess` for `subprocess.run`), else its last part; a name without a module
    (`exec`) only where it is not an attribute (:class:`Bare`). With :data:`IMPORT_NAMES`.

    Every part of a resolved name is an identifier of the file (a name, an attribute, or a
    name an import statement spells), except a module folded from a string by ``__import__``
    or ``import_module``."""
    preferred = frozenset(prefer)
    out: set[Name] = set(IMPORT_NAMES)
    for call in calls:
        parts = call.removesuffix(".*").split(".")
        if len(parts) == 1 and not call.endswith(".*"):
            out.add(Bare(call.encode()))
            continue
        chosen = next((p for p in parts if p in preferred), parts[-1])
        out.add(chosen.encode())
    return frozenset(out)
