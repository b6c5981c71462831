"""Obfuscation rules (DOU7xx): encoded blobs, code pushed past the right margin, obfuscator
output, identifier soups, look-alike identifiers and payloads hidden in images."""

from __future__ import annotations

import ast
import base64
import binascii
import io
import re
import tokenize
import unicodedata
import zlib
from collections.abc import Iterator
from functools import lru_cache

from confusable_homoglyphs import categories

from douane.analysis.context import FileContext, PyContext, folds_to_ascii
from douane.analysis.dynamic_code import (
    enclosing_scope,
    flow_of,
    looks_encoded,
    scope_of_node,
    shannon_entropy,
    values_of,
)
from douane.analysis.interface import FileType, Hit, Tag, all_of
from douane.analysis.pyapi import written_names
from douane.analysis.registry import file_rule, node_rule
from douane.domain import Confidence, Family, Severity, Where

# -- DOU701 encoded blobs --------------------------------------------------------------------------

BLOB_MIN = 256  # characters; shorter encoded strings are keys, hashes and tokens
_BLOB_RE = re.compile(rf"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/=_\-]{{{BLOB_MIN},}}")
_BLOB_MASK = str.maketrans(
    {chr(i): "a" if re.fullmatch(r"[A-Za-z0-9+/=_\-]", chr(i)) else " " for i in range(128)}
)
_CERT_OR_URI = re.compile(r"-----BEGIN|base64,\s*$|data:[\w/+.-]+;base64", re.IGNORECASE)
# What a blob's first decoded bytes say it is: media and fonts are the benign majority.
_MEDIA_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF", b"wOFF", b"wOF2", b"\x00\x01\x00\x00",
                b"OTTO", b"<svg", b"<?xml", b"BM", b"\x00\x00\x01\x00", b"%PDF", b"ID3",
                b"\x1a\x45\xdf\xa3", b"OggS", b"fLaC")  # fmt: skip
_CODE_WORDS = re.compile(rb"(?:^|[\n;])\s*(?:import |from \S+ import |def |exec\(|eval\(|class )")


def classify_blob(blob: str) -> tuple[Severity, str] | None:
    """Decode the head of a base64/hex blob and say what it holds; None for media/fonts.
    A blob stored reversed (base64 padding first) is read from its end."""
    if blob.startswith("=") and not blob.endswith("="):
        graded = classify_blob(blob[::-1])
        if graded is not None and graded[0] > Severity.INFO:
            return graded[0], f"{graded[1]} (stored reversed)"
        return graded
    head = _decode_head(blob)
    if head is None:
        return Severity.INFO, "high-entropy encoded data"
    if head.startswith(_MEDIA_MAGIC):
        return None
    if head.startswith((b"gAAAAA",)) or blob.startswith("gAAAAA"):
        return Severity.MEDIUM, "a Fernet-encrypted token"
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return Severity.MEDIUM, "an executable (by its magic bytes)"
    if head[:1] in (b"\xe3", b"c") and head[1:4] == b"\x00\x00\x00":
        return Severity.MEDIUM, "a marshalled Python code object"
    if _CODE_WORDS.search(head):
        return Severity.MEDIUM, "Python source"
    if head.startswith((b"x\x9c", b"x\xda", b"x\x01", b"x^", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return Severity.LOW, "compressed data"
    return Severity.INFO, "high-entropy encoded data"


def _decode_head(blob: str) -> bytes | None:
    text = blob[:344]  # 344 base64 chars -> 258 bytes
    if re.fullmatch(r"[0-9A-Fa-f]+", text):
        try:
            return binascii.unhexlify(text[: len(text) // 2 * 2])
        except (binascii.Error, ValueError):
            return None
    text = text[: len(text) // 4 * 4]
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text)
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return None


def _random_looking(blob: str) -> bool:
    """High entropy and incompressible: rules out alphabets, rulers and repeated patterns."""
    head = blob[:4096]
    if shannon_entropy(head) < 3.6:
        return False
    return len(zlib.compress(head.encode("ascii", "replace"))) > 0.3 * len(head)


@file_rule(
    "DOU701",
    "encoded_blob_literal",
    family=Family.OBFUSCATION,
    severity=Severity.INFO,
    confidence=Confidence.MEDIUM,
    file_types=(FileType.PYTHON, FileType.PTH),
    tags=(Tag.OBFUSCATED,),
)
def encoded_blob_literal(ctx: FileContext) -> Iterator[Hit]:
    """What it does: finds long high-entropy base64/hex runs in Python source (at least 256
    characters, Shannon entropy near the alphabet's maximum) and decodes their head to say what
    they hold: Python source, a marshalled code object, an executable or a Fernet token is
    MEDIUM; compressed data LOW; anything else INFO. Images, fonts, certificates and `data:`
    URIs are skipped. One hit per file, on its most telling blob.

    Why it matters: droppers carry their second stage as an encoded literal. On its own a blob
    is weak evidence (icons, fonts and test vectors are everywhere), so this rule grades by
    content and leaves "decoded and then executed" to DOU301.

    Example: `DATA = "aW1wb3J0IG9zLHN1YnByb2Nlc3MK..."` (decodes to `import os,subprocess`).
    """
    text = ctx.text
    if len(text) < BLOB_MIN:
        return
    if text.isascii() and "a" * BLOB_MIN not in text.translate(_BLOB_MASK):
        return  # no run of BLOB_MIN blob characters (a mask and str.find beat the regex)
    best: tuple[int, int, str, int] | None = None  # (severity, offset, what, count)
    count = 0
    for m in _BLOB_RE.finditer(text):
        blob = m.group()
        if not looks_encoded(blob, BLOB_MIN) or not _random_looking(blob):
            continue
        before = text[max(0, m.start() - 200) : m.start()]
        if _CERT_OR_URI.search(before):
            continue
        graded = classify_blob(blob)
        if graded is None:
            continue
        count += 1
        sev, what = graded
        if best is None or sev > best[0]:
            best = (sev, m.start(), what, len(blob))
    if best is None:
        return
    sev, offset, what, size = best
    more = f" ({count} such blobs in the file)" if count > 1 else ""
    severity = Severity(min(sev, Severity.LOW)) if ctx.where is Where.TEST else Severity(sev)
    yield ctx.hit_at(offset, f"{size}-character encoded literal holding {what}{more}",
                     severity=severity)  # fmt: skip


# -- DOU702 code past the right margin -------------------------------------------------------------

MARGIN_RUN = 150
_GAP_RE = re.compile(rf"[ \t]{{{MARGIN_RUN},}}(?=\S)")
_DANGER_TAIL = re.compile(
    r"exec|eval|__import__|import |compile|system|popen|subprocess|b64decode|urlopen|requests"
)
_CODE_TAIL = re.compile(r"^[;,)]|[(=]|^import |^from ")


@file_rule(
    "DOU702",
    "code_past_right_margin",
    family=Family.OBFUSCATION,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    file_types=(FileType.PYTHON, FileType.PTH),
    tags=(Tag.EVADE, Tag.OBFUSCATED),
)
def code_past_right_margin(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags a line where code follows a run of 150 or more spaces or tabs, so an
    editor or a diff viewer shows an innocent (or empty) line. HIGH when the hidden part runs
    code (`exec`, `__import__`, `subprocess`, `b64decode`...), else MEDIUM.

    Why it matters: pushing the payload far to the right is a classic trick to survive a quick
    human review of `setup.py`; formatters and real code never produce such a gap.

    Example: `print("installing")` + 300 spaces + `;__import__("os").system("...")`.
    """
    text = ctx.text
    if "\t" not in text and " " * MARGIN_RUN not in text:
        return  # no run of MARGIN_RUN blanks: str.find is far cheaper than the regex
    found: list[tuple[int, str, re.Match[str] | None]] = []
    for m in _GAP_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        head = text[line_start : m.start()]
        tail = text[m.end() : line_end if line_end >= 0 else len(text)]
        if tail.startswith("#") or not _CODE_TAIL.search(tail):
            continue
        if head.count('"') % 2 or head.count("'") % 2:
            continue  # the gap is inside a one-line string literal
        found.append((m.end(), tail, _DANGER_TAIL.search(tail)))
    if not found:
        return
    # one hit per file, on the most dangerous hidden line: the rest repeat the same trick
    offset, tail, danger = next((f for f in found if f[2]), found[0])
    more = f"; {len(found)} such lines" if len(found) > 1 else ""
    runs = f" (runs `{danger.group().strip()}`)" if danger else ""
    yield Hit(
        message=f"code hidden far past the right margin{runs}{more}",
        line=ctx.line_of(offset),
        snippet=f"…{tail[:150]}",
        severity=Severity.HIGH if danger else None,
    )


# -- DOU703 obfuscator markers ---------------------------------------------------------------------

_MARKERS = re.compile(
    r"""(?P<pyarmor>__pyarmor__\s*\(|^\s*from\s+pytransform\s+import|^\s*from\s+pyarmor_runtime\w*
       \s+import|^\s*import\s+pytransform\b)
    |(?P<declared>^\s*__obfuscator__\s*=)
    |(?P<comment>^\s*\#.{0,20}obfuscated\s+(?:with|by|using)\s+\S+)
    |(?P<tool>\b(?:pyobfuscate|BlankOBF|PyObfuscator)\b)""",
    re.M | re.I | re.X,
)


@file_rule(
    "DOU703",
    "obfuscator_output",
    family=Family.OBFUSCATION,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    file_types=(FileType.PYTHON, FileType.PTH),
    triggers=(
        b"pyarmor",
        b"pytransform",
        b"__obfuscator__",
        b"bfuscat",
        b"BlankOBF",
        b"Hyperion",
        b"Kramer",
        b"pyminifier",
        b"PyObfuscator",
    ),  # fmt: skip
    tags=(Tag.OBFUSCATED,),
)
def obfuscator_output(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags files that are the output of a Python obfuscator: PyArmor runtime
    calls (`__pyarmor__(...)`, `from pytransform import pyarmor_runtime`), an
    `__obfuscator__ = ...` declaration (Hyperion writes one), a "# Obfuscated with X" banner,
    or the names of obfuscators popular with malware authors (BlankOBF, pyobfuscate).

    Why it matters: obfuscated code cannot be reviewed, which is why stealers ship that way.
    PyArmor also protects some commercial packages, so this is MEDIUM: worth a reviewer's
    look, decisive only with other evidence.

    Example: `from pytransform import pyarmor_runtime; pyarmor_runtime(); __pyarmor__(...)`.
    """
    m = _MARKERS.search(ctx.text)
    if m is None:
        return
    kind = m.lastgroup
    what = {
        "pyarmor": "PyArmor-protected code",
        "declared": "a file declaring the obfuscator that produced it",
        "comment": "an obfuscator's banner",
        "tool": f"the mark of the {m.group().strip()} obfuscator",
    }[kind or "tool"]
    yield ctx.hit_at(m.start(), f"{what}: the real code cannot be read in the release")


# -- DOU704 identifier soups -----------------------------------------------------------------------

# underscore-only names where code binds or uses them (`import zlib as ____`, `____ = ...`),
# not underscore runs drawn inside strings
_UNDERSCORES = re.compile(r"\bas\s+(_{4,})\b|(?<![\w\"'\\|])(_{4,})(?=\s*[=(.\[])")
_LAMBDA = re.compile(r"\blambda\b")
_STRINGS = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
SOUP_MIN = 4  # distinct soup names before a file counts as obfuscated


# characters obfuscators mix because they look alike in most fonts
_LOOKALIKE_GROUPS = ("O0oDQ", "lI1ijJL", "MNmn", "WXwxVv", "S2sZz5")
# the identifiers (maximal ASCII words, 8+ long, not after a dot) whose letters all fall in one
# look-alike group, plus underscores: the only ones is_soup_name can accept, found without a
# Python call per identifier
_SOUP_CHARS = "_" + "".join(_LOOKALIKE_GROUPS)
_SOUP_RUN = re.compile(f"[{_SOUP_CHARS}]{{8,}}")
_SOUP_MASK = str.maketrans({chr(i): "a" if chr(i) in _SOUP_CHARS else " " for i in range(128)})
_WORD = re.compile(r"\w")


def _soup_candidates(text: str) -> Iterator[tuple[str, int]]:
    """Every identifier (a maximal ASCII word of 8+ characters, starting with a letter or
    ``_``, not after a dot) spelled only with look-alike characters and underscores, with its
    offset: the only names ``is_soup_name`` can accept. An ASCII file is searched through a
    character mask with ``str.find`` (a regex or a Python call per identifier costs ~20×)."""
    if text.isascii():
        mask = text.translate(_SOUP_MASK)
        spans = []
        pos = 0
        while (start := mask.find("a" * 8, pos)) >= 0:
            end = mask.find(" ", start)
            pos = end = len(mask) if end < 0 else end
            spans.append((start, end))
    else:
        spans = [m.span() for m in _SOUP_RUN.finditer(text)]
    for start, end in spans:
        if start and (text[start - 1] == "." or _WORD.match(text, start - 1)):
            continue
        if _WORD.match(text, end) or text[start].isdigit():
            continue  # part of a longer word, or not an identifier
        yield text[start:end], start


def is_soup_name(name: str) -> bool:
    """`OO0O0OO0`, `lIlIIlll`, `MNMMNNMN`: long names over two or three look-alike characters."""
    core = name.strip("_").replace("_", "")
    if len(core) < 8:
        return False
    chars = set(core)
    if not 2 <= len(chars) <= 4:
        return False
    if not any(chars <= set(group) for group in _LOOKALIKE_GROUPS):
        return False
    counts = sorted((core.count(c) for c in chars), reverse=True)
    return counts[1] >= 2  # a real mix, not one stray letter


@file_rule(
    "DOU704",
    "obfuscated_identifier_soup",
    family=Family.OBFUSCATION,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    file_types=(FileType.PYTHON, FileType.PTH),
    triggers=(
        b"O0",
        b"0O",
        b"Il",
        b"lI",
        b"IJ",
        b"JI",
        b"MN",
        b"NM",
        b"WX",
        b"XW",
        b"S2",
        b"2S",
        b"oO",
        b"Oo",
        b"____",
        b"lambda",
    ),  # fmt: skip
    tags=(Tag.OBFUSCATED,),
)
def obfuscated_identifier_soup(ctx: FileContext) -> Iterator[Hit]:
    """What it does: flags files whose names are machine-made to be unreadable: several distinct
    long identifiers spelled with two or three look-alike characters (`OO0O0O0O`, `lIlIIlIl`,
    `MNMNNMMN`), names made only of underscores (`import base64 as ______`), or a single line
    chaining dozens of lambdas.

    Why it matters: obfuscators rename everything this way so a reader cannot follow the data
    flow; hand-written and generated code in real packages does not.

    Example: `OO0O0OO0 = lambda lIlIlIll: __import__("zlib").decompress(lIlIlIll)`.
    """
    text = ctx.text
    soups: dict[str, int] = {}
    for name, start in _soup_candidates(text):
        if name not in soups and is_soup_name(name):
            soups[name] = start
            if len(soups) >= 50:
                break
    if "____" in text:
        for m in _UNDERSCORES.finditer(text):
            soups.setdefault(m.group(1) or m.group(2), m.start())
    severity = Severity.LOW if ctx.where is Where.TEST else None  # formatter/parser fixtures
    if len(soups) >= SOUP_MIN:
        first = min(soups.values())
        sample = ", ".join(sorted(soups, key=soups.get)[:3])  # type: ignore[arg-type]
        yield ctx.hit_at(first, f"{len(soups)} machine-made identifiers such as {sample}",
                         severity=severity)  # fmt: skip
        return
    for n, line in enumerate(ctx.lines, 1):
        if len(line) > 400 and "lambda" in line:
            lambdas = len(_LAMBDA.findall(_STRINGS.sub("''", line)))
            if lambdas >= 12:
                yield Hit(message=f"one line chains {lambdas} lambdas", line=n,
                          snippet=line[:150], severity=severity)  # fmt: skip
                return


# -- DOU705 look-alike identifiers -----------------------------------------------------------------


@file_rule(
    "DOU705",
    "confusable_identifier",
    family=Family.OBFUSCATION,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    file_types=(FileType.PYTHON, FileType.PTH),
    # UTF-8 lead bytes of Greek, Cyrillic, fullwidth forms and mathematical letters
    triggers=(
        b"\xcd",
        b"\xce",
        b"\xcf",
        b"\xd0",
        b"\xd1",
        b"\xd2",
        b"\xd3",
        b"\xd4",
        b"\xef\xbc",
        b"\xef\xbd",
        b"\xf0\x9d",
        b"\xe2\x85",
        b"\xe1\xb4",
        b"\xe1\xb5",
    ),  # fmt: skip
    tags=(Tag.OBFUSCATED, Tag.EVADE),
)
def confusable_identifier(ctx: FileContext) -> Iterator[Hit]:
    """What it does: reads the identifiers of a Python file (never its strings or comments) and
    flags (HIGH) names that Python's NFKC normalisation turns into different ASCII names
    (`𝐞𝐱𝐞𝐜` runs `exec`, `ｏｓ` is `os`), and (MEDIUM) names mixing Latin with Cyrillic or
    Greek letters (`pаyload` with a Cyrillic `а`). Names written wholly in one script are fine.

    Why it matters: look-alike letters make a call invisible to grep and to a reviewer's eye
    while Python runs it all the same. Natural-language text in strings and comments is
    ordinary and is not looked at.

    Example: `𝐞𝐱𝐞𝐜(payload)`; `def sеnd_data():` with a Cyrillic `е`.
    """
    if not _may_confuse(ctx):
        return
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(ctx.text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return
    seen: set[str] = set()
    reported = 0
    for tok in tokens:
        if reported >= 3:  # the first few names make the case; the rest repeat it
            return
        if tok.type != tokenize.NAME or tok.string.isascii() or tok.string in seen:
            continue
        name = tok.string
        seen.add(name)
        norm = unicodedata.normalize("NFKC", name)
        if norm != name and norm.isascii():
            reported += 1
            yield Hit(
                message=f"identifier `{name}` is read by Python as `{norm}`",
                line=tok.start[0],
                snippet=tok.line.strip()[:150],
                severity=Severity.LOW if ctx.where is Where.TEST else Severity.HIGH,
            )
            continue
        scripts = categories.unique_aliases(name) - {"COMMON", "INHERITED"}
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"} and _has_lookalike(name):
            mixed = "/".join(sorted(scripts))
            reported += 1
            yield Hit(
                message=f"identifier `{name}` mixes {mixed} letters that look alike",
                line=tok.start[0],
                snippet=tok.line.strip()[:150],
                severity=Severity.LOW if ctx.where is Where.TEST else None,
            )


_LOOKALIKE = frozenset("аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαοριυνΑΒΕΗΙΚΜΝΟΡΤΥΧΖ")


def _has_lookalike(name: str) -> bool:
    """A Cyrillic/Greek letter that passes for a Latin one (not `Δx`, `σ_max` notation)."""
    return any(c in _LOOKALIKE for c in name)


def _may_confuse(ctx: FileContext) -> bool:
    """Whether some identifier of the file can be flagged, without tokenizing it (tokenizing
    costs more than parsing; most files reach here for a `μ`, a `—` or Chinese prose).

    Both tests are monotone in the characters of a name, and every name lies inside one of
    the code's runs of :func:`~douane.analysis.context.name_runs` (strings and comments are no names): a name NFKC
    turns into ASCII holds a character NFKC alone turns into ASCII (:func:`folds_to_ascii`),
    and a name mixing Latin with a look-alike Cyrillic or Greek letter lies in a run that
    mixes them too.
    """
    for run in ctx.code_name_runs():
        if any(folds_to_ascii(c) for c in run if not c.isascii()):
            return True
        if _has_lookalike(run) and any(_is_latin(c) for c in run):
            scripts = categories.unique_aliases(run)
            if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
                return True
    return False


@lru_cache(maxsize=4096)
def _is_latin(c: str) -> bool:
    """The script alias of ``c`` is LATIN (asked before the whole run's, which costs more)."""
    return c.isalpha() if c.isascii() else categories.aliases_categories(c)[0] == "LATIN"


# -- DOU706 payload hidden in an image -------------------------------------------------------------

_PIXEL_CALLS = ("getpixel", "getdata", "tobytes")
_OPENERS = frozenset({"open", "io.open", "PIL.Image.open", "Image.open", "pathlib.Path"})
_IMAGE_NAME = re.compile(r"\.(?:png|jpe?g|gif|bmp|ico|webp|tiff?)\b", re.I)
_SINKS = frozenset({"exec", "eval", "builtins.exec", "builtins.eval", "__builtins__.exec"})


@node_rule(
    "DOU706",
    "payload_hidden_in_image",
    family=Family.OBFUSCATION,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    nodes=(ast.Call,),
    triggers=(
        all_of(
            (
                b"reveal",
                b"getpixel",
                b"getdata",
                b".png",
                b".jpg",
                b".jpeg",
                b".bmp",
                b".gif",
                b"stegano",
                b"Image.open",
            ),
            written_names(_SINKS, prefer=("builtins", "__builtins__")),  # what runs it
        ),
    ),  # fmt: skip
    tags=(Tag.OBFUSCATED, Tag.EVADE, Tag.DYNAMIC_EXEC),
)
def payload_hidden_in_image(node: ast.Call, ctx: PyContext) -> Iterator[Hit]:
    """What it does: flags `exec`/`eval` of data that comes out of an image: a steganography
    decoder (`lsb.reveal(...)`, `stegano`), pixels read with PIL (`getpixel`, `getdata`,
    `tobytes`), or the bytes of a file named `.png`/`.jpg`/... It follows simple assignments
    inside the file.

    Why it matters: hiding the payload in pixels keeps it out of every source-level scan and
    lets the author swap it by replacing a picture; no legitimate package runs code found in
    an image.

    Example: `exec(lsb.reveal(os.path.join(tmp, "logo.png")))`.
    """
    name = ctx.call_name(node)
    if name not in _SINKS or not node.args:
        return
    how = _image_origin(node.args[0], ctx, 0, set())
    if how:
        sink = name.rsplit(".", 1)[-1]
        yield ctx.hit(node, f"`{sink}` runs data taken from an image ({how})")


def _image_origin(expr: ast.AST, ctx: PyContext, depth: int, seen: set[str]) -> str | None:
    """Whether data derives from an image, following names through their assignments."""
    if depth > 8:
        return None
    flow = flow_of(ctx)
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            cname = ctx.call_name(sub) or ""
            tail = sub.func.attr if isinstance(sub.func, ast.Attribute) else cname
            if cname.startswith(("stegano", "lsb.")) or tail == "reveal":
                return f"steganography decoder `{cname or tail}`"
            if tail in _PIXEL_CALLS:
                return f"pixels read with `{tail}`"
            if cname in _OPENERS and sub.args:
                literal = ctx.const_str(sub.args[0])
                text = literal if literal is not None else ast.unparse(sub.args[0])
                if _IMAGE_NAME.search(text):
                    return "the bytes of an image file"
        elif isinstance(sub, ast.Name) and sub.id not in seen:
            seen.add(sub.id)
            scope = scope_of_node(sub, flow, enclosing_scope(ctx))
            for value in values_of(sub.id, flow, scope)[:4]:
                how = _image_origin(value, ctx, depth + 1, seen)
                if how:
                    return how
    return None
