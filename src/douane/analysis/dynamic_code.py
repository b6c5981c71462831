"""Dynamic code rules (DOU3xx): exec/eval/compile of decoded data, obfuscated imports, embedded
serialized code, and the small intra-file data flow they need."""

from __future__ import annotations

import ast
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat

from douane.analysis.context import PyContext, child_nodes
from douane.analysis.interface import Hit, Tag, all_of
from douane.analysis.pyapi import DECODERS, EXEC_TRIGGER, written_names
from douane.analysis.registry import node_rule
from douane.domain import Confidence, Family, Severity, Where

# -- vocabulary --------------------------------------------------------------------------------

CODE_SINKS = frozenset({"exec", "eval", "compile", "execfile", "builtins.exec", "builtins.eval",
                        "builtins.compile", "__builtins__.exec", "__builtins__.eval",
                        "__builtin__.eval", "__builtin__.exec", "__builtin__.compile",
                        "__builtins__.compile"})  # fmt: skip
# Calls whose result is decoded data, whatever module spelling resolved them.
DECODE_CALLS = (DECODERS - {"pickle.loads", "cPickle.loads", "dill.loads", "codecs.decode"}) | {
    "base64.standard_b64decode", "base64.b32hexdecode", "base64.b85decode", "base64.z85decode",
    "binascii.a2b_base64", "binascii.a2b_uu", "binascii.a2b_qp", "bytearray.fromhex",
    "zlib.decompressobj", "gzip.GzipFile", "lzma.LZMADecompressor", "marshal.loads",
    "codecs.getdecoder", "base58.b58decode", "cryptography.fernet.Fernet.decrypt",
}  # fmt: skip
# Method names that decode whatever object holds them (`Fernet(k).decrypt(x)`, `bytes.fromhex`).
DECODE_METHODS = frozenset({"decrypt", "decrypt_and_verify", "decompress", "fromhex", "b64decode",
                            "b32decode", "b16decode", "b85decode", "a85decode", "unhexlify",
                            "urlsafe_b64decode", "decodebytes", "decodestring", "a2b_base64",
                            "b58decode"})  # fmt: skip
# Methods that keep "decodedness": `b64decode(x).decode()` is still the decoded payload.
PASSTHROUGH_METHODS = frozenset({"decode", "encode", "strip", "rstrip", "lstrip", "replace",
                                 "lower", "upper", "translate", "format", "splitlines", "read",
                                 "getvalue"})  # fmt: skip
PASSTHROUGH_CALLS = frozenset({"str", "bytes", "bytearray", "compile", "builtins.compile",
                               "io.BytesIO", "io.StringIO", "memoryview"})  # fmt: skip
TEXT_CODECS = frozenset({"utf-8", "utf8", "utf_8", "ascii", "latin-1", "latin1", "iso-8859-1",
                         "cp1252", "utf-16", "utf-32", "u8"})  # fmt: skip
SERIAL_LOADS = frozenset({"pickle.loads", "cPickle.loads", "_pickle.loads", "dill.loads",
                          "cloudpickle.loads", "marshal.loads", "pickle.load", "cPickle.load",
                          "dill.load", "marshal.load", "joblib.load"})  # fmt: skip
IMPORTERS = frozenset({"__import__", "importlib.import_module", "importlib.__import__",
                       "builtins.__import__", "imp.load_module", "imp.load_source"})  # fmt: skip
DANGEROUS_BUILTINS = frozenset({"exec", "eval", "compile", "__import__", "execfile"})
BUILTINS_OBJECTS = frozenset({"__builtins__", "builtins", "__builtin__"})
SENSITIVE_MODULES = frozenset({"os", "subprocess", "socket", "base64", "zlib", "marshal",
                               "builtins", "ctypes", "requests", "urllib", "urllib.request",
                               "pty", "shutil", "winreg", "platform", "getpass", "sys", "codecs",
                               "pickle", "http.client", "browser_cookie3", "win32crypt",
                               "sqlite3", "telebot", "discord", "lzma", "bz2", "gzip",
                               "binascii", "importlib", "httpx", "webbrowser"})  # fmt: skip

OPENERS = frozenset({"open", "io.open", "codecs.open", "builtins.open", "gzip.open"})

_B64_RE = re.compile(r"^[A-Za-z0-9+/=_\-\s]+$")
_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2}|\\x[0-9A-Fa-f]{2}|\s)+$")
_ESCAPE_RE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|[0-7]{3}|u[0-9A-Fa-f]{4})")


def shannon_entropy(text: str) -> float:
    """Bits per character: random base64 is near 6, hex near 4, English prose near 4.2."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def looks_encoded(text: str, min_len: int = 48) -> bool:
    """A literal that looks like encoded data (base64 / hex) rather than words or code."""
    s = text.strip()
    if len(s) < min_len or " " in s[:200]:
        return False
    if _HEX_RE.match(s[:4096]):
        return True
    return bool(_B64_RE.match(s[:4096])) and shannon_entropy(s[:4096]) > 4.5


# -- intra-file data flow ------------------------------------------------------------------------


@dataclass
class Flow:
    """Per-file facts for the rules: who assigns what, where, and which local helpers decode."""

    assigns: dict[tuple[int, str], list[ast.AST]] = field(default_factory=dict)
    parents: dict[int, ast.AST] = field(default_factory=dict)
    scope_of: dict[int, int] = field(default_factory=dict)  # id(node) -> id(enclosing function)
    decoder_funcs: dict[str, str] = field(default_factory=dict)  # local name -> what it wraps
    functions: dict[str, ast.AST] = field(default_factory=dict)
    local_names: set[str] = field(default_factory=set)  # defined or imported relatively here


_DEF_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_BINDING_TYPES = frozenset(
    {
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.NamedExpr,
        ast.withitem,
        ast.For,
        ast.comprehension,
    }
)
_CACHE = threading.local()  # .tree / .flow: one file at a time is walked per thread


def flow_of(ctx: PyContext) -> Flow:
    """Build (once per parsed file) the assignment and parent index."""
    if getattr(_CACHE, "tree", None) is ctx.tree:
        return _CACHE.flow
    flow = Flow()
    # every `return` of each def (nested defs' included) with its depth, in pre-order: sorted
    # stably by depth, that is the order ast.walk(def) meets them, without walking each def again
    returns: dict[int, list[tuple[int, ast.AST]]] = {}
    stack: list[tuple[ast.AST, int, int, tuple[int, ...]]] = [(ctx.tree, 0, 0, ())]
    pop, push = stack.pop, stack.extend
    scope_of, parents = flow.scope_of, flow.parents
    while stack:
        node, scope, depth, defs = pop()
        scope_of[id(node)] = scope
        inner = scope
        t = type(node)  # parsed trees hold exact node types
        if t in _DEF_TYPES:
            inner = id(node)
            if t is not ast.Lambda:
                flow.functions.setdefault(node.name, node)
                flow.local_names.add(node.name)
                defs = (*defs, id(node))
        elif t is ast.ImportFrom and node.level:
            flow.local_names.update(a.asname or a.name for a in node.names)
        if t in _BINDING_TYPES:
            if t is ast.Assign:
                for target in node.targets:
                    _bind(flow, scope, target, node.value)
            elif t is ast.withitem:
                if node.optional_vars is not None:
                    _bind(flow, scope, node.optional_vars, node.context_expr)
            elif t is ast.For or t is ast.comprehension:
                _bind(flow, inner if t is ast.For else scope, node.target, node.iter)
            elif node.value:  # AnnAssign, AugAssign, NamedExpr
                _bind(flow, scope, node.target, node.value)
        elif t is ast.Return and node.value is not None:
            for d in defs:
                returns.setdefault(d, []).append((depth, node.value))
        children = child_nodes(node)
        for child in children:
            parents[id(child)] = node
        depth += 1
        push(zip(reversed(children), repeat(inner), repeat(depth), repeat(defs)))
    _CACHE.tree, _CACHE.flow = ctx.tree, flow
    _find_decoder_funcs(flow, ctx, returns)
    return flow


def _bind(flow: Flow, scope: int, target: ast.AST, value: ast.AST) -> None:
    if isinstance(target, ast.Name):
        flow.assigns.setdefault((scope, target.id), []).append(value)
    elif isinstance(target, ast.Tuple | ast.List):
        for elt in target.elts:  # unpacking: each name may hold any part of the value
            _bind(flow, scope, elt, value)


def _find_decoder_funcs(
    flow: Flow, ctx: PyContext, returns: dict[int, list[tuple[int, ast.AST]]]
) -> None:
    """Local helpers (`def dec(s): return b64decode(s)`, `d = lambda s: ...`) count as decoders."""
    ordered = {k: [v for _, v in sorted(r, key=lambda x: x[0])] for k, r in returns.items()}
    for _ in range(2):  # a helper may call another helper
        for name, fn in flow.functions.items():
            if name in flow.decoder_funcs:
                continue
            for value in ordered.get(id(fn), ()):
                how = decoded(value, ctx, flow)
                if how:
                    flow.decoder_funcs[name] = how
                    break
        for (_scope, name), values in flow.assigns.items():
            for v in values:
                if isinstance(v, ast.Lambda) and name not in flow.decoder_funcs:
                    how = decoded(v.body, ctx, flow)
                    if how:
                        flow.decoder_funcs[name] = how


def enclosing_scope(ctx: PyContext) -> int:
    for node in reversed(ctx.scope):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return id(node)
    return 0


def values_of(name: str, flow: Flow, scope: int) -> list[ast.AST]:
    """Every expression assigned to ``name`` in the scope, else at module level."""
    found = flow.assigns.get((scope, name))
    if found is None and scope:
        found = flow.assigns.get((0, name))
    return found or []


def scope_of_node(node: ast.AST, flow: Flow, default: int) -> int:
    return flow.scope_of.get(id(node), default)


def decoded(
    expr: ast.AST | None, ctx: PyContext, flow: Flow, depth: int = 0, seen: set | None = None
) -> str | None:
    """What decoding produced ``expr`` ("base64.b64decode", "reversed string"...), or None.

    Follows names through their assignments in the same function (or module), the usual
    pass-through methods (`.decode()`, `str()`, `compile()`), and local decoding helpers.
    """
    if expr is None or depth > 14:
        return None
    seen = set() if seen is None else seen
    d = depth + 1
    if isinstance(expr, ast.Call):
        name = ctx.call_name(expr)
        func = expr.func
        if name in DECODE_CALLS:
            return name
        if name == "codecs.decode" or (isinstance(func, ast.Attribute) and func.attr == "decode"
                                       and name and name.startswith("codecs")):  # fmt: skip
            codec = _codec_arg(expr, ctx)
            if codec is not None and codec.lower().replace("_", "-") not in TEXT_CODECS:
                return f"codecs.decode({codec!r})"
        if isinstance(func, ast.Attribute) and func.attr in DECODE_METHODS:
            return name or f".{func.attr}()"
        if name and name in flow.decoder_funcs:
            return f"{name}() (wraps {flow.decoder_funcs[name]})"
        if isinstance(func, ast.Attribute) and func.attr == "join" and expr.args:
            how = _char_arithmetic(expr.args[0], ctx) or decoded(expr.args[0], ctx, flow, d, seen)
            if how:
                return how
        if isinstance(func, ast.Attribute) and func.attr in PASSTHROUGH_METHODS:
            inner = decoded(func.value, ctx, flow, d, seen)
            if inner:
                return inner
        if name in PASSTHROUGH_CALLS and expr.args:
            return decoded(expr.args[0], ctx, flow, d, seen)
        if (
            name not in CODE_SINKS
            and expr.args
            and any(_is_encoded_literal(a, ctx) for a in expr.args)
            and not _is_known_harmless(name)
        ):
            # `exec(unpack("aW1wb3J0IG9z..."))`: an unknown helper turning a blob into code
            return f"{name or 'a call'}() of an encoded literal"
        return None
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
        s = expr.slice
        if s.lower is None and s.upper is None and isinstance(s.step, ast.UnaryOp):
            return "reversed string"
        return decoded(expr.value, ctx, flow, d, seen)
    if isinstance(expr, ast.Name):
        scope = scope_of_node(expr, flow, enclosing_scope(ctx))
        key = (scope, expr.id)
        if key in seen:
            return None
        seen.add(key)
        for value in values_of(expr.id, flow, scope):
            how = decoded(value, ctx, flow, d, seen)
            if how:
                return how
            how = _char_arithmetic(value, ctx)
            if how:
                return how
        return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return decoded(expr.left, ctx, flow, d, seen) or decoded(expr.right, ctx, flow, d, seen)
    if isinstance(expr, ast.GeneratorExp | ast.ListComp):
        for gen in expr.generators:  # `[c for c in b64decode(S)]`
            how = decoded(gen.iter, ctx, flow, d, seen)
            if how:
                return how
    if isinstance(expr, ast.JoinedStr):
        for part in expr.values:
            if isinstance(part, ast.FormattedValue):
                how = decoded(part.value, ctx, flow, d, seen)
                if how:
                    return how
    return None


def _codec_arg(call: ast.Call, ctx: PyContext) -> str | None:
    if len(call.args) >= 2:
        return ctx.const_str(call.args[1])
    for kw in call.keywords:
        if kw.arg == "encoding":
            return ctx.const_str(kw.value)
    return None


def _is_known_harmless(name: str | None) -> bool:
    return name in ("print", "len", "open", "repr", "int", "float", "bool", "isinstance")


def _is_encoded_literal(expr: ast.AST, ctx: PyContext) -> bool:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes):
        value = expr.value if isinstance(expr.value, str) else expr.value.decode("latin-1")
        return looks_encoded(value, 64)
    return False


def _char_arithmetic(expr: ast.AST, ctx: PyContext) -> str | None:
    """`chr(ord(c) ^ k) for c in s`, `map(chr, [104, 105])`, `chr(x - 3)`: text rebuilt from
    character codes, the classic XOR/shift/char-list decoder."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        fn = expr.func.id
        if fn == "map" and expr.args and isinstance(expr.args[0], ast.Name):
            return "characters rebuilt from codes" if expr.args[0].id == "chr" else None
        if fn in ("bytes", "bytearray") and expr.args and isinstance(expr.args[0], ast.List):
            codes = expr.args[0].elts  # bytes([111, 115]).decode() == "os"
            if len(codes) >= 2 and all(isinstance(c, ast.Constant) for c in codes):
                return "characters rebuilt from codes"
    if (
        isinstance(expr, ast.GeneratorExp | ast.ListComp)
        and not isinstance(expr.elt, ast.Name)
        and any(_is_str_literal(g.iter) for g in expr.generators)
    ):
        return "characters substituted from a literal"  # `"".join(t[k.index(c)] for c in "...")`
    if isinstance(expr, ast.GeneratorExp | ast.ListComp):
        elt = expr.elt
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _char_arithmetic(expr.right, ctx) or _char_arithmetic(expr.left, ctx)
    elif isinstance(expr, ast.Call):
        elt = expr
    else:
        return None
    for node in ast.walk(elt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "chr":
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.BitXor):
                return "XOR-decoded characters"
            if isinstance(arg, ast.BinOp | ast.Call) or isinstance(expr, ast.GeneratorExp):
                return "characters rebuilt from codes"
    return None


def _is_str_literal(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and len(expr.value) > 8


def assembled(expr: ast.AST, ctx: PyContext, flow: Flow, depth: int = 0) -> str | None:
    """How a constant string was disguised: reversed, rebuilt from char codes, joined from
    fragments, or spelled with escapes; None for a plain literal or non-constant value."""
    if depth > 8:
        return None
    d = depth + 1
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes):
        return "escaped literal" if escaped_in_source(expr, ctx) else None
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Slice):
        s = expr.slice
        if s.lower is None and s.upper is None and isinstance(s.step, ast.UnaryOp):
            return "reversed string"
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return (
            assembled(expr.left, ctx, flow, d)
            or assembled(expr.right, ctx, flow, d)
            or "string joined from fragments"
        )
    if isinstance(expr, ast.Call):
        how = _char_arithmetic(expr, ctx)
        if how:
            return how
        f = expr.func
        if isinstance(f, ast.Name) and f.id == "chr":
            return "characters rebuilt from codes"
        if isinstance(f, ast.Attribute) and f.attr == "join" and expr.args:
            arg = expr.args[0]
            return _char_arithmetic(arg, ctx) or "string joined from fragments"
        if isinstance(f, ast.Attribute) and f.attr in PASSTHROUGH_METHODS:
            return assembled(f.value, ctx, flow, d)
    if isinstance(expr, ast.Name):
        for value in values_of(expr.id, flow, scope_of_node(expr, flow, enclosing_scope(ctx)))[:3]:
            how = assembled(value, ctx, flow, d)
            if how:
                return how
    return None


def escaped_in_source(node: ast.Constant, ctx: PyContext) -> bool:
    """Whether a literal is spelled with `\\x..`/octal escapes for plain ASCII (hides words)."""
    line = getattr(node, "lineno", None)
    end = getattr(node, "end_lineno", None)
    if line is None or end != line:
        return False
    text = ctx.file.line_text(line)[node.col_offset : node.end_col_offset]
    escapes = _ESCAPE_RE.findall(text)
    value = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
    return len(escapes) >= 3 and len(escapes) * 2 >= len(value) and value.isprintable()


def obfuscated_code(arg: ast.AST, ctx: PyContext, flow: Flow) -> str | None:
    """How the code handed to exec/eval was hidden (decoded, or a disguised constant)."""
    how = decoded(arg, ctx, flow)
    if how:
        return how
    how = assembled(arg, ctx, flow)
    if how is None or ctx.const_str(arg) is None:
        return None
    if how == "string joined from fragments" and not isinstance(arg, ast.Call):
        return None  # `"import " + "x"` templates: DOU302 at most
    return how


def _sink_name(node: ast.Call, ctx: PyContext) -> str | None:
    name = ctx.call_name(node)
    if name in CODE_SINKS:
        if name in flow_of(ctx).local_names:
            return None  # a local `def compile(...)` or `from .x import compile`
        return name.rsplit(".", 1)[-1]
    return None


def _inside_sink(node: ast.AST, ctx: PyContext, flow: Flow) -> bool:
    """True when ``node`` is (part of) the argument of an exec/eval call: that call reports."""
    cur = flow.parents.get(id(node))
    while cur is not None:
        if isinstance(cur, ast.Call) and _sink_name(cur, ctx) in ("exec", "eval"):
            return True
        if isinstance(cur, ast.stmt):
            return False
        cur = flow.parents.get(id(cur))
    return False


def _compile_mode_is_code(node: ast.Call, ctx: PyContext) -> bool:
    mode = node.args[2] if len(node.args) >= 3 else None
    for kw in node.keywords:
        if kw.arg == "mode":
            mode = kw.value
    if mode is None:
        return False  # builtin compile() requires a mode: this is some other compile
    value = ctx.const_str(mode)
    return value in ("exec", "eval", "single") or value is None


def _reads_local_file(expr: ast.AST, ctx: PyContext, flow: Flow) -> bool:
    """`open(p).read()`, `f.read()` with `f = open(p)`, `Path(p).read_text()`: running a file
    shipped beside the code (setup.py reading `_version.py` is the common benign case)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            name = ctx.call_name(node) or ""
            if name in OPENERS or name.endswith(("read_text", "read_bytes")):
                return True
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "read" and isinstance(f.value, ast.Name):
                for v in values_of(
                    f.value.id, flow, scope_of_node(f.value, flow, enclosing_scope(ctx))
                ):
                    if isinstance(v, ast.Call) and ctx.call_name(v) in OPENERS:
                        return True
    return False


def _is_plain_literal(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes)


# -- rules ---------------------------------------------------------------------------------------

# exec/eval/compile as a name, a builtins attribute or a string (getattr); not as a method
# (`model.eval()`, `re.compile(...)`: in 13 % of benign files)
_EXEC_TRIGGERS = (
    all_of(
        (EXEC_TRIGGER,),
        written_names(CODE_SINKS, prefer=("builtins", "__builtins__", "__builtin__")),
    ),
)


@node_rule(
    "DOU301",
    "exec_of_decoded_payload",
    family=Family.DYNAMIC_CODE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=_EXEC_TRIGGERS,
    tags=(Tag.DECODE, Tag.DYNAMIC_EXEC, Tag.OBFUSCATED),
)
def exec_of_decoded_payload(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `exec`, `eval` and `compile` whose code comes out of a decoder:
    base64/b32/b85/hex, `bytes.fromhex`, zlib/lzma/bz2/gzip, `marshal.loads`, `codecs.decode`
    with rot13/hex, Fernet or AES decryption, reversed strings, character-code lists, XOR loops,
    or a local helper wrapping one of these. It follows simple assignments inside one function
    or module (`x = b64decode(S); exec(x)`), and literals spelled with `\\x` escapes.

    Why it matters: running code that was stored encoded is how malware hides its real
    behaviour from a reader and from text search; benign libraries have no reason to encode
    their own source. The decoded payload is what runs, so the package must be treated as if
    it contained it.

    Example: `exec(zlib.decompress(base64.b64decode("eJzLSM3J...")))` in `setup.py`.
    """
    sink = _sink_name(node, ctx)
    if sink is None or not node.args:
        return
    flow = flow_of(ctx)
    if sink == "compile" and (
        _inside_sink(node, ctx, flow) or not _compile_mode_is_code(node, ctx)
    ):
        return
    how = obfuscated_code(node.args[0], ctx, flow)
    if how is None:
        return
    yield ctx.hit(node, f"`{sink}` runs code produced by {how}")


@node_rule(
    "DOU302",
    "exec_of_dynamic_code",
    family=Family.DYNAMIC_CODE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    triggers=_EXEC_TRIGGERS,
    tags=(Tag.DYNAMIC_EXEC,),
)
def exec_of_dynamic_code(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `exec`/`compile` (LOW) and `eval` (INFO) of code that is not a plain
    literal and not visibly decoded (DOU301 covers that). Running a file shipped beside the code
    (`exec(open("pkg/_version.py").read())`, the setup.py version idiom) is INFO.

    Why it matters: code assembled or fetched at run time cannot be reviewed from the release;
    it is a capability scoring weighs with what else the file does (a download, a decoder).
    Template engines, REPLs and config loaders do this legitimately, hence the low grade.

    Example: `exec(requests.get(url).text)`; `exec(payload, globals())`.
    """
    sink = _sink_name(node, ctx)
    if sink is None or not node.args:
        return
    flow = flow_of(ctx)
    if sink == "compile" and (
        _inside_sink(node, ctx, flow) or not _compile_mode_is_code(node, ctx)
    ):
        return
    arg = node.args[0]
    if _is_plain_literal(arg) or obfuscated_code(arg, ctx, flow):
        return
    if isinstance(arg, ast.Call) and _sink_name(arg, ctx) == "compile":
        arg = arg.args[0] if arg.args else arg
    if _reads_local_file(arg, ctx, flow):
        yield ctx.hit(
            node,
            f"`{sink}` runs the contents of a file read at run time",
            severity=Severity.INFO,
        )
        return
    severity = Severity.INFO if sink == "eval" else None
    yield ctx.hit(node, f"`{sink}` runs code built at run time", severity=severity)


@node_rule(
    "DOU303",
    "obfuscated_import_name",
    family=Family.DYNAMIC_CODE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (b"__import__", b"import_module", b"load_module", b"load_source"),
            written_names(IMPORTERS),
        ),
    ),
    tags=(Tag.OBFUSCATED, Tag.EVADE),
)
def obfuscated_import_name(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `__import__` / `importlib.import_module` whose module name is
    decoded (HIGH), or disguised: reversed, rebuilt from character codes, joined from
    fragments or spelled with `\\x` escapes (MEDIUM; HIGH for modules such as `os`,
    `subprocess`, `socket`, `base64`, `builtins`). Plain variable names (plugin loaders) are
    not flagged.

    Why it matters: hiding which module is imported defeats both readers and scanners that look
    for `import subprocess`; a legitimate plugin loader has no reason to disguise a name.

    Example: `__import__("ss" + "ecorp" + "bus")`, `__import__("so"[::-1]).system(...)`.
    """
    name = ctx.call_name(node)
    if name not in IMPORTERS or not node.args:
        return
    arg = node.args[0]
    flow = flow_of(ctx)
    how = decoded(arg, ctx, flow)
    if how:
        yield ctx.hit(node, f"`{name}` imports a module whose name comes from {how}",
                      severity=Severity.HIGH)  # fmt: skip
        return
    how = assembled(arg, ctx, flow)
    module = ctx.const_str(arg)
    if how is None:
        return
    if module is None:
        if how != "string joined from fragments":
            yield ctx.hit(node, f"`{name}` imports a module whose name is {how}")
        return
    if how == "string joined from fragments" and (
        isinstance(arg, ast.Name) or _is_package_relative(arg, ctx)
    ):
        return  # a variable built by concatenation is a plugin path, not a disguise
    severity = Severity.HIGH if module.split(".")[0] in SENSITIVE_MODULES else None
    yield ctx.hit(node, f"`{name}` imports `{module[:60]}` spelled as a {how}", severity=severity)


def _is_package_relative(arg: ast.AST, ctx: PyContext) -> bool:
    """`"pkg." + "sub"`, `f"{__name__}.x"`: ordinary dotted-name building, not disguise."""
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
        left, right = ctx.const_str(arg.left), ctx.const_str(arg.right)
        if left is not None and right is not None:
            return left.endswith(".") or right.startswith(".") or min(len(left), len(right)) > 3
    return False


@node_rule(
    "DOU304",
    "builtins_lookup_of_exec",
    family=Family.DYNAMIC_CODE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    nodes=(ast.Call, ast.Subscript),
    triggers=(b"__builtins__", b"builtins", b"__builtin__"),
    tags=(Tag.DYNAMIC_EXEC, Tag.EVADE),
)
def builtins_lookup_of_exec(node: ast.Call | ast.Subscript, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `exec`, `eval`, `compile` or `__import__` fetched out of the builtins
    by name: `getattr(__builtins__, "ex" + "ec")`, `globals()["__builtins__"]["eval"]`,
    `vars(builtins)["exec"]`, `__builtins__.__dict__["exec"]`. A disguised name is HIGH, a
    plain literal (`getattr(builtins, "exec")`, a compatibility idiom) LOW.

    Why it matters: looking a builtin up by string is an aliasing trick that hides the call to
    `exec` from anyone searching for it; ordinary code just calls `exec`.

    Example: `getattr(__builtins__, "".join(["e", "x", "e", "c"]))(payload)`.
    """
    if isinstance(node, ast.Call):
        if ctx.call_name(node) != "getattr" or len(node.args) < 2:
            return
        holder, key = node.args[0], node.args[1]
    else:
        holder, key = node.value, node.slice
    if not _is_builtins_object(holder, ctx):
        return
    value = ctx.const_str(key)
    if value not in DANGEROUS_BUILTINS:
        return
    flow = flow_of(ctx)  # only now: it analyses the whole tree, for every Call and Subscript
    how = assembled(key, ctx, flow) or decoded(key, ctx, flow)
    # a plain-literal lookup is a py2/py3 compatibility idiom or a test patching __import__
    severity = Severity.HIGH if how else Severity.LOW
    spelled = f" spelled as a {how}" if how else ""
    yield ctx.hit(node, f"`{value}` is looked up in the builtins by name{spelled}",
                  severity=severity)  # fmt: skip


def _is_builtins_object(expr: ast.AST, ctx: PyContext) -> bool:
    if isinstance(expr, ast.Name) and expr.id in BUILTINS_OBJECTS:
        return True
    q = ctx.qualname(expr)
    if q in BUILTINS_OBJECTS or q in ("builtins.__dict__", "__builtins__.__dict__"):
        return True
    if isinstance(expr, ast.Call):  # vars(builtins), __import__("builtins")
        name = ctx.call_name(expr)
        if name in ("vars", "dir") and expr.args:
            return _is_builtins_object(expr.args[0], ctx)
    if isinstance(expr, ast.Subscript):  # globals()["__builtins__"], sys.modules["builtins"]
        key = ctx.const_str(expr.slice)
        return key in BUILTINS_OBJECTS
    if isinstance(expr, ast.Attribute) and expr.attr == "__dict__":
        return _is_builtins_object(expr.value, ctx)
    return False


@node_rule(
    "DOU305",
    "embedded_serialized_code_loaded",
    family=Family.DYNAMIC_CODE,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (b"pickle", b"marshal", b"dill", b"shelve"),
            written_names(SERIAL_LOADS, prefer=[n.split(".")[0] for n in SERIAL_LOADS]),
        ),
    ),
    tags=(Tag.DECODE, Tag.DYNAMIC_EXEC),
)
def embedded_serialized_code_loaded(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `pickle`/`dill`/`cloudpickle`/`marshal` loads of a blob embedded in
    the source: a bytes/str literal, or a literal passed through a decoder (base64, zlib...).
    Loading data from files or the network is not flagged here.

    Why it matters: unpickling runs whatever callables the blob names, and `marshal.loads`
    yields a code object; an embedded blob is code nobody can read in the release. Test suites
    sometimes pin pickle compatibility this way, which the engine grades down as TEST code.

    Example: `pickle.loads(base64.b64decode("gASVKAAAAAAAAACMBXBvc2l4..."))`.
    """
    name = ctx.call_name(node)
    if name not in SERIAL_LOADS or not node.args:
        return
    flow = flow_of(ctx)
    if _inside_sink(node, ctx, flow):
        return  # exec(marshal.loads(...)) is reported by DOU301
    arg = node.args[0]
    if isinstance(arg, ast.Call) and ctx.call_name(arg) in ("io.BytesIO", "BytesIO"):
        arg = arg.args[0] if arg.args else arg
    how = _literal_origin(arg, ctx, flow)
    if how:
        # pickle-compatibility tests pin old blobs on purpose; a test is not shipped code
        severity = Severity.LOW if ctx.where is Where.TEST else None
        yield ctx.hit(node, f"`{name}` loads serialized code from {how}", severity=severity)


def _literal_origin(expr: ast.AST, ctx: PyContext, flow: Flow, depth: int = 0) -> str | None:
    """Whether data is (a decoding of) a literal in this file: 'an embedded literal', or
    'a literal decoded by base64.b64decode'."""
    if depth > 8:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes):
        return "an embedded literal" if len(expr.value) >= 16 else None
    if isinstance(expr, ast.Name):
        for v in values_of(expr.id, flow, scope_of_node(expr, flow, enclosing_scope(ctx)))[:3]:
            how = _literal_origin(v, ctx, flow, depth + 1)
            if how:
                return how
        return None
    if isinstance(expr, ast.Call) and expr.args:
        how = decoded(expr, ctx, flow)
        if how:
            inner = _literal_origin(expr.args[0], ctx, flow, depth + 1)
            if inner is None and isinstance(expr.func, ast.Attribute):
                inner = _literal_origin(expr.func.value, ctx, flow, depth + 1)
            if inner:
                return f"a literal decoded by {how}"
    return None


@node_rule(
    "DOU306",
    "code_object_from_bytes",
    family=Family.DYNAMIC_CODE,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    nodes=(ast.Call,),
    # the last part of the call's name (any module) or the `co_code=` keyword
    triggers=(
        all_of(
            (b"CodeType", b"FunctionType", b"co_code"), {b"CodeType", b"FunctionType", b"co_code"}
        ),
    ),
    tags=(Tag.DYNAMIC_EXEC, Tag.OBFUSCATED),
)
def code_object_from_bytes(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `types.CodeType(...)` built with a bytes literal (raw bytecode),
    `code.replace(co_code=b"...")`, and `types.FunctionType(...)` over a code object that was
    decoded or unmarshalled.

    Why it matters: hand-built bytecode runs without any source to read; it is how some
    obfuscators and droppers smuggle code past every source-level check. Libraries that copy
    code objects (`cloudpickle`, decorators) pass existing attributes, not literals.

    Example: `types.FunctionType(marshal.loads(b64decode(B)), globals())()`.
    """
    name = ctx.call_name(node) or ""
    tail = name.rsplit(".", 1)[-1]
    if tail == "CodeType":
        if any(_is_bytecode_literal(a) for a in node.args):
            yield ctx.hit(node, "a code object is built from literal bytecode")
    elif tail == "replace" and any(kw.arg == "co_code" for kw in node.keywords):
        kw = next(k for k in node.keywords if k.arg == "co_code")
        flow = flow_of(ctx)
        if (
            _is_bytecode_literal(kw.value)
            or _literal_origin(kw.value, ctx, flow)
            or decoded(kw.value, ctx, flow)
        ):
            yield ctx.hit(node, "a code object's bytecode is replaced with embedded bytes")
    elif tail == "FunctionType" and node.args:
        how = decoded(node.args[0], ctx, flow_of(ctx))
        if how:
            yield ctx.hit(node, f"a function is built from a code object produced by {how}")


def _is_bytecode_literal(expr: ast.AST) -> bool:
    """A bytes literal long enough to be instructions (two bytes is one opcode + argument)."""
    return isinstance(expr, ast.Constant) and isinstance(expr.value, bytes) and len(expr.value) >= 2
