"""What a rule is given to read: one file (text or AST walk state) or the whole artifact."""

from __future__ import annotations

import ast
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import ahocorasick_rs

from douane.analysis.interface import FileType, Hit
from douane.domain import Artifact, ArtifactKind, Member, Where, snip

if TYPE_CHECKING:
    from douane.archive import Opened
    from douane.domain import Finding

_TEST_DIRS = re.compile(
    r"(^|/)(tests?|testing|examples?|docs?|samples?|benchmarks?|fixtures?|testdata)(/|$)",
    re.IGNORECASE,
)
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")


def file_type_of(path: str, head: bytes = b"") -> FileType:
    """Classify a member by name, and by shebang for extensionless scripts."""
    base = path.rsplit("/", 1)[-1]
    lower = base.lower()
    if lower.endswith((".py", ".pyw")):
        return FileType.PYTHON
    if lower.endswith(".pth"):
        return FileType.PTH
    if lower.endswith((".sh", ".bash", ".zsh")):
        return FileType.SHELL
    if lower.endswith((".bat", ".cmd", ".ps1", ".psm1", ".vbs", ".vbe", ".js.bat")):
        return FileType.WINDOWS_SCRIPT
    if lower.endswith((".js", ".mjs", ".cjs")):
        return FileType.JAVASCRIPT
    if base in ("PKG-INFO", "METADATA"):
        return FileType.METADATA
    if lower in ("setup.cfg", "pyproject.toml", "entry_points.txt"):
        return FileType.CONFIG
    if "." not in base and head.startswith(b"#!"):
        first = head.split(b"\n", 1)[0]
        if b"python" in first:
            return FileType.PYTHON
        return FileType.SHELL
    if lower.endswith((".txt", ".md", ".rst", ".in", ".cfg", ".ini", ".toml", ".yaml", ".yml")):
        return FileType.TEXT
    return FileType.OTHER


_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def executable_format(data: bytes) -> str | None:
    """The native executable format a member's first bytes announce: "PE", "ELF", "Mach-O"."""
    if data.startswith(b"\x7fELF"):
        return "ELF"
    if data.startswith(b"MZ") and len(data) >= 64:
        offset = int.from_bytes(data[60:64], "little")
        if offset + 4 <= len(data):
            return "PE" if data[offset : offset + 4] == b"PE\x00\x00" else None
        return "PE" if offset < 1 << 20 else None  # header beyond the head we hold
    if data.startswith(_MACHO):
        return "Mach-O"
    if data.startswith(b"\xca\xfe\xba\xbe") and len(data) >= 8:
        # a fat Mach-O counts its architectures here; a Java class stores its version (>= 45)
        return "Mach-O" if 0 < int.from_bytes(data[4:8], "big") < 20 else None
    return None


# What site.py executes of a .pth: a line that starts with "import" and a space or tab. It
# reads the file in text mode, so a lone CR ends a line too, and Python 3.13 drops a BOM.
_PTH_EXEC_LINE = re.compile(rb"(?:\A(?:\xef\xbb\xbf)?|(?<=[\r\n]))import[ \t][^\r\n]*")


def pth_executed(data: bytes) -> bytes:
    """Only the lines of a ``.pth`` file that Python executes, each on its own line number.

    Every other line is a directory added to ``sys.path``, never code, so a rule that read it
    as code would flag a path, or a binary file that merely ends in ``.pth``: PyTorch saves
    checkpoints under that suffix, and a 51 MB one cost the obfuscation rules half a GB.
    Lines are counted by LF as everywhere else, so a finding's line number stays right; an
    ``import`` line hidden after a lone CR joins the one before it (``; ``).
    """
    out: list[bytes] = []
    line = 0  # LF line of ``pos``
    pos = 0
    written = 0  # LF line the output has reached
    for m in _PTH_EXEC_LINE.finditer(data):
        line += data.count(b"\n", pos, m.start())
        pos = m.start()
        code = m.group().removeprefix(b"\xef\xbb\xbf")
        if out and line == written:  # another one after a lone CR: same line number
            out.append(b"; " + code)
        else:
            out.append(b"\n" * (line - written) + code)
            written = line
    return b"".join(out)


def decode_text(data: bytes) -> str:
    """Source as text without ever failing: malware ships odd encodings on purpose."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_WORD_TAIL = re.compile(rb"[\w\x80-\xff]*")
_ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def name_runs(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of the runs of word or non-ASCII characters of source bytes that hold a
    non-ASCII one. Every identifier token lies inside one: the pure-Python tokenizer's names
    are runs of word characters, the C tokenizer's take any non-ASCII character (all the
    bytes of a UTF-8 character are non-ASCII)."""
    pos = 0
    while (m := _NON_ASCII.search(data, pos)) is not None:
        start = m.start()
        while start > 0 and data[start - 1] in _ASCII_WORD:
            start -= 1
        pos = _WORD_TAIL.match(data, m.end()).end()  # type: ignore[union-attr]
        yield start, pos


@lru_cache(maxsize=4096)
def folds_to_ascii(c: str) -> bool:
    """NFKC turns ``c`` into ASCII and ``c`` can stand in a name: a word character (the
    pure-Python tokenizer's names) or one that folds to ASCII letters, digits or `_` (the C
    tokenizer's, checked after NFKC). Fullwidth punctuation of CJK prose is neither.

    A name NFKC turns into a different, ASCII name holds such a character: NFKC composes
    only into non-ASCII characters, so every character of the name decomposes into ASCII."""
    folded = unicodedata.normalize("NFKC", c)
    if not folded.isascii():
        return False
    return c.isalnum() or c == "_" or not folded or folded.replace("_", "a").isalnum()


# -- where the code is: comments and string literals of Python source, without tokenizing ------

_IDENT_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_IDENT_BYTES |= frozenset(range(0x80, 0x100))  # any byte of a non-ASCII character
_PREFIXES = frozenset({b"r", b"u", b"b", b"br", b"rb", b"f", b"fr", b"rf", b"t", b"tr", b"rt"})
_HASH_OR_QUOTE = re.compile(rb"[#'\"]")
_EOL = re.compile(rb"[\r\n]|$")
_STRING_TAIL = {  # the rest of a literal after its opening quote, escapes skipped
    b"'": re.compile(rb"(?:[^'\\\r\n]++|\\(?:\r\n|[\s\S]))*+'"),
    b'"': re.compile(rb'(?:[^"\\\r\n]++|\\(?:\r\n|[\s\S]))*+"'),
    b"'''": re.compile(rb"(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''"),
    b'"""': re.compile(rb'(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""'),
}
_FSTRING_PART = {  # in the literal part of an f-string: an escape, a brace, its end, a newline
    q: re.compile(
        rb"\\(?:\r\n|[^{}])|\{\{|\}\}|[{}]|" + re.escape(q) + (b"" if len(q) == 3 else rb"|[\r\n]")
    )
    for q in _STRING_TAIL
}
_FIELD_PART = re.compile(rb"[][(){}'\"#:]")  # in a replacement field
_SPEC_PART = {  # in a format spec: an escape, a brace (a lone `}` closes the field), its end
    q: re.compile(
        rb"\\(?:\r\n|[^{}])|\{\{|[{}]|" + re.escape(q) + (b"" if len(q) == 3 else rb"|[\r\n]")
    )
    for q in _STRING_TAIL
}


def noncode_spans(data: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of every comment and string literal of Python source, in order; None when
    the source is not lexed to its end (an unterminated string: Python would not parse it).

    f-strings (and t-strings) are left in the code: their replacement fields are code, with
    strings of any quote nested inside as Python 3.12 allows. Offsets are byte offsets: `#`,
    quotes and backslashes are ASCII, and no byte of a UTF-8 character is.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _HASH_OR_QUOTE.search(data, pos)) is not None:
        i = m.start()
        if data[i] == 35:  # '#'
            end = _EOL.search(data, i).start()  # type: ignore[union-attr]
            spans.append((i, end))
            pos = end
            continue
        end, formatted = _literal_end(data, i)
        if end is None:
            return None
        if not formatted:
            spans.append((i, end))
        pos = end
    return spans


def _literal_end(data: bytes, i: int) -> tuple[int | None, bool]:
    """End of the string literal whose opening quote is at ``i``, and whether it is an
    f-string (or t-string). The letters just before the quote are its prefix only when they
    are one: `elif"x"` is a keyword and a plain string, as Python's tokenizer reads it."""
    j = i
    while j > 0 and data[j - 1] in _IDENT_BYTES:
        j -= 1
    prefix = data[j:i].lower()
    formatted = prefix in _PREFIXES and (b"f" in prefix or b"t" in prefix)
    q = data[i : i + 3] if data[i : i + 3] in (b"'''", b'"""') else data[i : i + 1]
    if formatted:
        return _fstring_end(data, i + len(q), q), True
    m = _STRING_TAIL[q].match(data, i + len(q))
    return (m.end() if m else None), False


def _fstring_end(data: bytes, i: int, q: bytes) -> int | None:
    part = _FSTRING_PART[q]
    while (m := part.search(data, i)) is not None:
        tok = m.group()
        i = m.end()
        if tok == q:
            return i
        if tok == b"{":
            end = _field_end(data, i, q)
            if end is None:
                return None
            i = end
        elif tok in (b"}", b"\n", b"\r"):
            return None
    return None


def _field_end(data: bytes, i: int, q: bytes) -> int | None:
    """End of the replacement field opened just before ``i`` (after its closing brace)."""
    depth = 0
    while (m := _FIELD_PART.search(data, i)) is not None:
        c = data[m.start()]
        i = m.end()
        if c in b"([{":
            depth += 1
        elif c in b")]":
            depth -= 1
            if depth < 0:
                return None
        elif c == 125:  # '}'
            if depth == 0:
                return i
            depth -= 1
        elif c == 35:  # '#': a comment in a multi-line field
            i = _EOL.search(data, i).start()  # type: ignore[union-attr]
        elif c == 58:  # ':'
            if depth == 0:
                return _spec_end(data, i, q)
        else:  # a string nested in the field
            end, _ = _literal_end(data, m.start())
            if end is None:
                return None
            i = end
    return None


def _spec_end(data: bytes, i: int, q: bytes) -> int | None:
    """End of a format spec (literal text with nested fields), after its field's brace."""
    part = _SPEC_PART[q]
    while (m := part.search(data, i)) is not None:
        tok = m.group()
        i = m.end()
        if tok == b"}":
            return i
        if tok[0] == 92:  # an escape
            continue
        if tok != b"{":
            return None  # the f-string ends inside the field, or `{{` (not lexed)
        end = _field_end(data, i, q)
        if end is None:
            return None
        i = end
    return None


def _after_dot(data: bytes, i: int, starts: list[int], spans: list[tuple[int, int]]) -> bool:
    """The code before offset ``i`` ends with a dot (an attribute), across blanks, line
    continuations and comments."""
    j = i - 1
    while j >= 0:
        if data[j] in b" \t\r\n\f\\":
            j -= 1
            continue
        k = bisect_right(starts, j) - 1
        if k >= 0 and j < spans[k][1]:
            if data[spans[k][0]] != 35:  # a string literal right before the name
                return False
            j = spans[k][0] - 1  # a comment: look before it
            continue
        return data[j] == 46  # '.'
    return False


def base_where(rel_path: str, kind: ArtifactKind) -> Where:
    """When code in this file runs, before looking inside it."""
    lower = rel_path.lower()
    if lower.endswith(".pth"):
        return Where.INSTALL
    if kind in (ArtifactKind.SDIST, ArtifactKind.FOLDER, ArtifactKind.UNKNOWN) and lower in (
        "setup.py",
        "setup.cfg",
    ):
        return Where.INSTALL
    if _TEST_DIRS.search(rel_path) or _TEST_FILE.search(rel_path):
        return Where.TEST
    return Where.IMPORT


class Words:
    """A fixed set of byte strings, every occurrence of all of them found in one pass over a
    file (an Aho-Corasick DFA).

    For the engine's trigger scan and the cheap look a rule takes at a file's bytes before
    heavier work: ``re`` runs an alternation of literals at every position, and a
    dictionary-based automaton walks ~30 MB/s, which was a quarter of the scan time of the
    largest releases; the DFA walks several hundred MB/s. Files are searched in windows, so
    a file made of matches (a megabyte of ``lIlI``) holds a bounded list at a time.
    """

    WINDOW = 256 * 1024

    def __init__(self, words: Iterable[bytes]) -> None:
        self.words = frozenset(words)
        self.ordered: tuple[bytes, ...] = tuple(sorted(self.words))  # `matches` indexes these
        self._overlap = max((len(w) for w in self.ordered), default=1) - 1
        self._ac = (
            ahocorasick_rs.BytesAhoCorasick(
                list(self.ordered), implementation=ahocorasick_rs.Implementation.DFA
            )
            if self.ordered
            else None
        )

    def _windows(self, data: bytes) -> Iterator[tuple[int, memoryview]]:
        view, step = memoryview(data), self.WINDOW
        for a in range(0, len(data), step):
            # a word starting in [a, a + step) ends before a + step + overlap: it is found in
            # this window, and the next one drops what starts before its own start
            yield a, view[a : a + step + self._overlap]

    def matches(self, data: bytes) -> Iterator[tuple[int, int]]:
        """(index into ``ordered``, start offset) of every occurrence, overlapping ones too."""
        if self._ac is None:
            return
        find, step = self._ac.find_matches_as_indexes, self.WINDOW
        for a, window in self._windows(data):
            for i, start, _ in find(window, overlapping=True):
                if start < step:
                    yield i, a + start

    def search(self, data: bytes) -> bool:
        """Whether any of the words occurs in ``data``."""
        if self._ac is None:
            return False
        return any(self._ac.find_matches_as_indexes(w) for _, w in self._windows(data))

    def finditer(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        """Every occurrence (overlapping ones too) as (start offset, word)."""
        ordered = self.ordered
        for i, start in self.matches(data):
            yield start, ordered[i]


V = TypeVar("V")
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "conversion"})
# fields that never hold a node (identifiers, constants, flags), by the grammar (Parser/Python.asdl)
_SCALAR_FIELDS = frozenset({
    ("FunctionDef", "name"), ("AsyncFunctionDef", "name"), ("ClassDef", "name"),
    ("Global", "names"), ("Nonlocal", "names"), ("ImportFrom", "module"), ("ImportFrom", "level"),
    ("AnnAssign", "simple"), ("Constant", "value"), ("Attribute", "attr"), ("Name", "id"),
    ("comprehension", "is_async"), ("ExceptHandler", "name"), ("arg", "arg"), ("keyword", "arg"),
    ("alias", "name"), ("alias", "asname"), ("MatchSingleton", "value"), ("MatchMapping", "rest"),
    ("MatchClass", "kwd_attrs"), ("MatchStar", "name"), ("MatchAs", "name"),
    ("TypeIgnore", "lineno"), ("TypeIgnore", "tag"),
})  # fmt: skip
# sequence fields that hold only nodes (`stmt*`, `expr*`...; not `expr?*` like Dict.keys)
_NODE_LISTS = frozenset({
    ("Module", "body"), ("Module", "type_ignores"), ("Interactive", "body"),
    ("FunctionDef", "body"), ("FunctionDef", "decorator_list"),
    ("AsyncFunctionDef", "body"), ("AsyncFunctionDef", "decorator_list"),
    ("ClassDef", "bases"), ("ClassDef", "keywords"), ("ClassDef", "body"),
    ("ClassDef", "decorator_list"), ("Delete", "targets"), ("Assign", "targets"),
    ("For", "body"), ("For", "orelse"), ("AsyncFor", "body"), ("AsyncFor", "orelse"),
    ("While", "body"), ("While", "orelse"), ("If", "body"), ("If", "orelse"),
    ("With", "items"), ("With", "body"), ("AsyncWith", "items"), ("AsyncWith", "body"),
    ("Match", "cases"), ("Try", "body"), ("Try", "handlers"), ("Try", "orelse"),
    ("Try", "finalbody"), ("TryStar", "body"), ("TryStar", "handlers"), ("TryStar", "orelse"),
    ("TryStar", "finalbody"), ("Import", "names"), ("ImportFrom", "names"), ("BoolOp", "values"),
    ("Dict", "values"), ("Set", "elts"), ("ListComp", "generators"), ("SetComp", "generators"),
    ("DictComp", "generators"), ("GeneratorExp", "generators"), ("Compare", "comparators"),
    ("Call", "args"), ("Call", "keywords"), ("JoinedStr", "values"), ("List", "elts"),
    ("Tuple", "elts"), ("comprehension", "ifs"), ("ExceptHandler", "body"),
    ("arguments", "posonlyargs"), ("arguments", "args"), ("arguments", "kwonlyargs"),
    ("arguments", "defaults"), ("match_case", "body"), ("MatchSequence", "patterns"),
    ("MatchMapping", "keys"), ("MatchMapping", "patterns"), ("MatchClass", "patterns"),
    ("MatchClass", "kwd_patterns"), ("MatchOr", "patterns"),
})  # fmt: skip
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def child_fields(t: type) -> tuple[tuple[str, bool], ...]:
    """Fields of a node type that can hold child nodes (operators, contexts and identifiers
    are skipped), each with whether it is a sequence of nodes only."""
    f = _FIELDS.get(t)
    if f is None:
        f = _FIELDS[t] = tuple(
            (n, (t.__name__, n) in _NODE_LISTS)
            for n in t._fields
            if n not in _LEAF_FIELDS and (t.__name__, n) not in _SCALAR_FIELDS
        )
    return f


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` in the same order, without the shared operator and context
    singletons (``Load``, ``Add``...), as a list: several times faster on big trees."""
    out: list[ast.AST] = []
    node_type = ast.AST
    fields = _FIELDS.get(type(node))
    for name, nodes_only in fields if fields is not None else child_fields(type(node)):
        v = getattr(node, name, None)
        if nodes_only:
            if v:
                out += v
        elif isinstance(v, list):  # a sequence that may hold None (Dict.keys) or anything new
            out += [c for c in v if isinstance(c, node_type)]
        elif isinstance(v, node_type):
            out.append(v)
    return out


class RecentTrees(Generic[V]):
    """Per-tree results for the last few trees only, by identity.

    A ``WeakKeyDictionary`` keyed by the tree never lets go of a tree its value refers back to
    (a walk's node list holds the tree; the exfiltration facts hold a PyContext of it): every
    parsed tree of the process then stays alive, and each pass of the cyclic collector walks
    them all, so a long scan gets slower file after file. The engine analyses one tree at a
    time, so the last few are all a rule can still ask about.
    """

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._entries: dict[int, tuple[ast.AST, V]] = {}

    def get(self, tree: ast.AST) -> V | None:
        entry = self._entries.get(id(tree))
        return entry[1] if entry is not None and entry[0] is tree else None

    def __setitem__(self, tree: ast.AST, value: V) -> None:
        entries = self._entries
        entries.pop(id(tree), None)
        entries[id(tree)] = (tree, value)
        while len(entries) > self.size:
            del entries[next(iter(entries))]


_WALKS: RecentTrees[list[ast.AST]] = RecentTrees()


def walk_order(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` in ``ast.walk``'s breadth-first order, without the operator and
    context singletons; built once per tree and shared by the rules that scan a whole module
    (several of them on one file would each walk it again)."""
    nodes = _WALKS.get(tree)
    if nodes is None:
        nodes = [tree]
        for node in nodes:  # the list grows as it is read: breadth-first
            nodes.extend(child_nodes(node))
        _WALKS[tree] = nodes
    return nodes


@dataclass
class FileContext:
    """One member as text, for file rules and as the base of a Python walk."""

    member: Member
    rel_path: str  # path without the sdist's top directory: "setup.py", "pkg/__init__.py"
    file_type: FileType
    where: Where
    artifact_kind: ArtifactKind
    # Python: did ast.parse succeed (file rules marked only_unparsed run if not); None when
    # no rule needed its tree and none of those has had to ask yet
    parsed: bool | None = False
    # Python: the literals of the engine's trigger scan it found (gate keys included); None
    # before the scan (or outside the engine)
    found: set[bytes] | None = None

    @cached_property
    def text(self) -> str:
        return decode_text(self.member.data)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def names_may_fold(self) -> bool:
        """Some name may be a non-ASCII spelling that Python reads as an ASCII name (`ｅｘｅｃ`
        is `exec`): then no ASCII word is missing from this file's code for sure."""
        if self.member.data.isascii():
            return False
        # any such character of the file, in a name or not: as safe, and cheaper than runs
        return any(folds_to_ascii(c) for c in set(self.text) if not c.isascii())

    @cached_property
    def noncode(self) -> tuple[list[int], list[tuple[int, int]]] | None:
        """The comment and string spans of the source (see :func:`noncode_spans`) with their
        starts for bisecting; None when the lexer did not understand the file."""
        spans = noncode_spans(self.member.data)
        return None if spans is None else ([a for a, _ in spans], spans)

    def in_noncode(self, start: int, end: int) -> bool:
        """Bytes ``start:end`` lie wholly in one comment or string literal (False when the
        lexer did not understand the file)."""
        if self.noncode is None:
            return False
        starts, spans = self.noncode
        k = bisect_right(starts, start) - 1
        return k >= 0 and end <= spans[k][1]

    def code_name_runs(self) -> set[str]:
        """The distinct :func:`name_runs` of the file that are not inside a comment or a
        string, as text (decoded as :attr:`text` was)."""
        data = self.member.data
        latin = len(self.text) == len(data) - (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        runs = {data[a:b] for a, b in name_runs(data) if not self.in_noncode(a, b)}
        return {r.decode("latin-1" if latin else "utf-8") for r in runs}

    def has_name(self, name: bytes, bare: bool = False) -> bool:
        """Whether ``name`` is a whole identifier somewhere in the code: not in a comment or
        a string, not part of a longer name; with ``bare``, not after a dot either (see
        :class:`Bare`). True when it cannot tell (a file the lexer does not understand, or one
        where names may be spelled with characters NFKC folds to ASCII)."""
        if self.names_may_fold or self.noncode is None:
            return True
        known = self._names_seen.get((name, bare))
        if known is None:
            known = self._names_seen[name, bare] = self._find_name(name, bare)
        return known

    @cached_property
    def _names_seen(self) -> dict[tuple[bytes, bool], bool]:
        return {}  # several rules ask for the same names (`exec`, `subprocess`...)

    def _find_name(self, name: bytes, bare: bool) -> bool:
        data = self.member.data
        starts, spans = self.noncode  # type: ignore[misc]
        i = data.find(name)
        while i >= 0:
            end = i + len(name)
            if (i == 0 or data[i - 1] not in _IDENT_BYTES) and (
                end == len(data) or data[end] not in _IDENT_BYTES
            ):
                k = bisect_right(starts, i) - 1
                if not (k >= 0 and i < spans[k][1]) and not (
                    bare and _after_dot(data, i, starts, spans)
                ):
                    return True
            i = data.find(name, end)
        return False

    @property
    def path(self) -> str:
        return self.member.path

    @property
    def is_setup_py(self) -> bool:
        return self.rel_path == "setup.py"

    def line_of(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def line_text(self, line: int | None) -> str:
        if line is None or not (1 <= line <= len(self.lines)):
            return ""
        return self.lines[line - 1]

    def hit_at(self, offset: int, message: str, **kw: Any) -> Hit:
        """A hit at a character offset in ``text`` (for regex rules)."""
        line = self.line_of(offset)
        start = max(0, offset - self.text.rfind("\n", 0, offset) - 1 - 40)
        return Hit(message=message, line=line, snippet=snip(self.line_text(line)[start:]), **kw)


@dataclass
class PyContext:
    """State of the single AST walk over one Python file, shared by all node rules."""

    file: FileContext
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    consts: dict[str, str] = field(default_factory=dict)  # name -> constant string value
    scope: list[ast.AST] = field(default_factory=list)  # enclosing defs / classes / main-guard
    # call names resolved so far, by node, while aliases and constants stay as they are: a
    # Call is asked its name by every rule dispatched on it. The engine's walk sets it and
    # empties it when an import or assignment changes them (None: no memo)
    call_names: dict[int, tuple[ast.AST, str | None]] | None = None

    # -- where the current node runs -------------------------------------------------------
    @property
    def where(self) -> Where:
        base = self.file.where
        if base in (Where.INSTALL, Where.TEST):
            return base
        for node in self.scope:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return Where.FUNCTION
            if isinstance(node, ast.If):  # `if __name__ == "__main__":` runs only as a script
                return Where.FUNCTION
        return base

    @property
    def in_function(self) -> bool:
        return any(
            isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) for n in self.scope
        )

    @property
    def rel_path(self) -> str:
        return self.file.rel_path

    # -- names and constants ----------------------------------------------------------------
    def qualname(self, node: ast.AST) -> str | None:
        """Dotted name of an expression, with import aliases resolved (``s`` → ``os.system``)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            head = self.aliases.get(node.id, node.id)
            parts.append(head)
        elif isinstance(node, ast.Call):  # __import__("os").system
            inner = self.qualname(node.func)
            if inner in ("__import__", "importlib.import_module") and node.args:
                mod = self.const_str(node.args[0])
                if mod is None:
                    return None
                parts.append(mod)
            else:
                return None
        else:
            return None
        return ".".join(reversed(parts))

    def call_name(self, node: ast.Call) -> str | None:
        memo = self.call_names
        if memo is None:
            return self.qualname(node.func)
        entry = memo.get(id(node))
        if entry is not None and entry[0] is node:
            return entry[1]
        name = self.qualname(node.func)
        memo[id(node)] = (node, name)
        return name

    def const_str(self, node: ast.AST | None, depth: int = 0) -> str | None:
        """Best-effort constant value of a string expression (literals, +, join, f-strings
        of constants, reversed slices, chr lists, module constants); None when not constant."""
        return const_str(node, self.consts, depth)

    def snippet(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", None)
        text = self.file.line_text(line)
        col = getattr(node, "col_offset", 0) or 0
        if len(text) > 200 and col > 40:  # code pushed far to the right: show it, not the margin
            text = text[col - 20 :]
        return snip(text)

    def hit(self, node: ast.AST, message: str, **kw: Any) -> Hit:
        return Hit(
            message=message, line=getattr(node, "lineno", None), snippet=self.snippet(node), **kw
        )


def const_str(
    node: ast.AST | None, consts: dict[str, str] | None = None, depth: int = 0
) -> str | None:
    """Fold a string expression to its value when it is built only from constants."""
    if node is None or depth > 12:
        return None
    consts = consts or {}
    d = depth + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = const_str(node.left, consts, d), const_str(node.right, consts, d)
        if left is not None and right is not None:
            return left + right
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return const_str(node.left, consts, d)
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                inner = const_str(part.value, consts, d)
                if inner is None:
                    return None
                out.append(inner)
        return "".join(out)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        s = node.slice
        if s.lower is None and s.upper is None and isinstance(s.step, ast.UnaryOp):
            inner = const_str(node.value, consts, d)
            if inner is not None:
                return inner[::-1]
        return None
    if isinstance(node, ast.Call):
        func = node.func
        # "".join([...]) / "sep".join(("a", "b"))
        if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1:
            sep = const_str(func.value, consts, d)
            arg = node.args[0]
            if sep is not None and isinstance(arg, ast.List | ast.Tuple):
                parts = [const_str(e, consts, d) for e in arg.elts]
                if all(p is not None for p in parts):
                    return sep.join(parts)  # type: ignore[arg-type]
            if sep is not None and isinstance(arg, ast.GeneratorExp | ast.ListComp):
                # "".join(chr(c) for c in [104, 105])
                gen = arg.generators[0] if arg.generators else None
                if (
                    gen is not None
                    and isinstance(arg.elt, ast.Call)
                    and isinstance(arg.elt.func, ast.Name)
                    and arg.elt.func.id == "chr"
                    and isinstance(gen.iter, ast.List | ast.Tuple)
                ):
                    codes = [e.value for e in gen.iter.elts if isinstance(e, ast.Constant)]
                    if len(codes) == len(gen.iter.elts) and all(isinstance(c, int) for c in codes):
                        try:
                            return sep.join(chr(c) for c in codes)
                        except (ValueError, OverflowError):
                            return None
            return None
        if isinstance(func, ast.Name) and func.id == "chr" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                try:
                    return chr(arg.value)
                except (ValueError, OverflowError):
                    return None
        if isinstance(func, ast.Attribute) and func.attr in ("decode", "encode", "strip", "lower"):
            return const_str(func.value, consts, d)
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return const_str(func.value, consts, d)
        if isinstance(func, ast.Name) and func.id in ("str", "bytes") and node.args:
            return const_str(node.args[0], consts, d)
    return None


@dataclass
class ArtifactContext:
    """Everything about one artifact, for artifact rules (metadata, payload files, issues)."""

    artifact: Artifact
    opened: Opened
    files: list[FileContext]
    findings: list[Finding]  # from node and file rules, for rules that look across files
    metadata: dict[str, Any] = field(default_factory=dict)  # parsed PKG-INFO / METADATA
    metadata_raw: dict[str, Any] = field(default_factory=dict)  # fields packaging could not parse
    setup_kwargs: dict[str, Any] = field(default_factory=dict)  # literal setup(...) arguments
    previous: ArtifactContext | None = None  # the release before this one (diff mode)

    @property
    def kind(self) -> ArtifactKind:
        return self.opened.kind

    def file(self, rel_path: str) -> FileContext | None:
        for f in self.files:
            if f.rel_path == rel_path:
                return f
        return None
