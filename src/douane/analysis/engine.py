"""Runs every rule over an opened artifact: prefilter on bytes, one parse and one walk per file."""

from __future__ import annotations

import ast
import os
import re
import time
import warnings
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import repeat
from typing import TYPE_CHECKING, Any

from packaging.metadata import parse_email

from douane.analysis.context import (
    ArtifactContext,
    FileContext,
    PyContext,
    Words,
    base_where,
    child_nodes,
    const_str,
    executable_format,
    file_type_of,
    pth_executed,
    walk_order,
)
from douane.analysis.interface import AllOf, Anchored, Atom, Bare, FileType, Hit, Kind, Name, Rule
from douane.analysis.registry import load_all
from douane.domain import Artifact, Family, Finding, Where

if TYPE_CHECKING:
    from douane.archive import Opened

MAX_PARSE_BYTES = 4 * 2**20  # larger Python files get the text rules only (still read in full)
MAX_HITS_PER_RULE_PER_FILE = 10
MAX_FINDINGS = 400
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
STRICT = os.environ.get("DOUANE_STRICT") == "1"  # tests: a rule that raises fails loudly
_FILE_CACHES = tuple(n for n, v in vars(FileContext).items() if isinstance(v, cached_property))


Trigger = Atom
MAX_TRIGGER_LINES = 20_000  # more occurrences than this: no line gating for the file


class TriggerScanner:
    """Finds every trigger in a file's bytes in one pass (Aho-Corasick over all literal
    triggers and pattern anchors), then tries only the patterns whose anchor is present.

    One pass matters: a few hundred ``bytes in data`` checks per file, or a regex run over
    every file, cost more than the rest of the prefilter together.
    """

    def __init__(self, triggers: Iterable[Trigger], extra: Iterable[bytes] = ()) -> None:
        triggers = list(triggers)
        self.literals = {t for t in triggers if isinstance(t, bytes)}
        self.anchored = [t for t in triggers if isinstance(t, Anchored)]
        self.anchored_set = frozenset(self.anchored)
        self.patterns = [t for t in triggers if isinstance(t, re.Pattern)]  # unanchored
        self.anchors = {a for t in self.anchored for a in t.anchors}
        # literals only looked up (file rules' triggers): found, but no offsets
        self.extra = frozenset(extra)
        keys = self.literals | self.anchors | self.extra
        self.keys = frozenset(keys)  # every literal one pass reports in `found`
        self.words = Words(keys)
        # per key index: whether its offsets are wanted (a literal trigger), and the anchor
        # list they go to (None: looked up only)
        self._literal = [w in self.literals for w in self.words.ordered]
        self._anchor = [w if w in self.anchors else None for w in self.words.ordered]

    def scan(self, data: bytes) -> tuple[set[Trigger], list[int], set[bytes]]:
        """Triggers present, the start offsets of their occurrences (capped), and every
        literal key found (``extra`` ones included)."""
        present: set[Trigger] = set()
        offsets: list[int] = []
        at: dict[bytes, list[int]] = {}  # where each pattern anchor occurs
        seen: set[int] = set()
        is_literal, anchor_of = self._literal, self._anchor
        for i, start in self.words.matches(data):
            seen.add(i)
            if is_literal[i] and len(offsets) <= MAX_TRIGGER_LINES:
                offsets.append(start)
            if (anchor := anchor_of[i]) is not None:
                at.setdefault(anchor, []).append(start)
        ordered = self.words.ordered
        found = {ordered[i] for i in seen}
        literals = self.literals
        present.update(found & literals)
        for pattern in self.patterns:
            for m in pattern.finditer(data):
                present.add(pattern)
                offsets.append(m.start())
                if len(offsets) > MAX_TRIGGER_LINES:
                    break
        for trigger in self.anchored:
            if found.intersection(trigger.anchors):
                starts = sorted(o for a in trigger.anchors for o in at.get(a, ()))
                for start in _anchored_matches(data, trigger.pattern, starts):
                    present.add(trigger)
                    offsets.append(start)
                    if len(offsets) > MAX_TRIGGER_LINES:
                        break
        return present, offsets, found


_NON_BLANK = re.compile(rb"\S")


def _anchored_matches(data: bytes, pattern: re.Pattern[bytes], anchors: list[int]) -> Iterator[int]:
    """Start offsets of ``pattern.finditer(data)``, searched only on the lines holding an
    anchor (``anchors``: sorted offsets), each up to the end of the next non-blank line. Exact
    by the :class:`Anchored` contract; a regex over every byte of a large file costs more
    than the rest of the prefilter together."""
    last_end = 0
    i, n = 0, len(anchors)
    while i < n:
        line_start = data.rfind(b"\n", 0, anchors[i]) + 1
        line_end = data.find(b"\n", anchors[i])
        line_end = len(data) if line_end < 0 else line_end
        while i < n and anchors[i] <= line_end:  # the other anchors of this line
            i += 1
        nxt = _NON_BLANK.search(data, line_end)
        window = data.find(b"\n", nxt.end()) if nxt else -1
        window = len(data) if window < 0 else window + 1
        pos = max(line_start, last_end)
        while (m := pattern.search(data, pos, window)) is not None and m.start() <= line_end:
            yield m.start()
            last_end = pos = max(m.end(), m.start() + 1)


def _any_trigger(data: bytes, triggers: Iterable[Trigger]) -> bool:
    for t in triggers:
        if isinstance(t, bytes):
            if t in data:
                return True
        elif isinstance(t, Anchored):
            if any(a in data for a in t.anchors) and t.pattern.search(data):
                return True
        elif t.search(data):
            return True
    return False


def _scanned_trigger(
    triggers: Iterable[Trigger],
    data: bytes,
    present: set[Trigger],
    found: set[bytes],
    scanner: TriggerScanner,
) -> bool:
    """:func:`_any_trigger`, answered from the file's trigger scan where it looked (a regex or
    a literal over the whole file otherwise)."""
    rest = []
    for t in triggers:
        if isinstance(t, bytes) and t in scanner.keys:
            if t in found:
                return True
        elif isinstance(t, Anchored) and t in scanner.anchored_set:
            if t in present:
                return True
        else:
            rest.append(t)
    return _any_trigger(data, rest)


def offsets_to_lines(data: bytes, offsets: list[int]) -> list[int] | None:
    """Sorted 1-based line numbers of byte offsets; None when too many to be worth gating."""
    if len(offsets) > MAX_TRIGGER_LINES:
        return None
    newlines = [m.start() for m in re.finditer(b"\n", data)]
    return sorted({bisect_left(newlines, o) + 1 for o in offsets})


def _touches(lines: list[int], first: int, last: int) -> bool:
    i = bisect_left(lines, first)
    return i < len(lines) and lines[i] <= last


class BudgetExceeded(Exception):
    """The artifact's time budget ran out during analysis."""


@dataclass
class RuleSet:
    """Rules grouped for fast dispatch, built once per process."""

    node_rules: list[Rule]
    file_rules: dict[FileType, list[Rule]]
    artifact_rules: list[Rule]
    tokens: tuple[Trigger, ...]  # every trigger of every node rule (those of all_of's first)
    scanner: TriggerScanner
    conjunctions: dict[str, tuple[AllOf, ...]] = field(default_factory=dict)  # by rule id

    @classmethod
    def build(cls, rules: Iterable[Rule]) -> RuleSet:
        node, art = [], []
        by_type: dict[FileType, list[Rule]] = defaultdict(list)
        for r in sorted(rules, key=rule_order):
            if r.kind is Kind.NODE:
                node.append(r)
            elif r.kind is Kind.FILE:
                for t in r.file_types:
                    by_type[t].append(r)
            else:
                art.append(r)
        seen: dict[object, Trigger] = {}
        conjunctions: dict[str, tuple[AllOf, ...]] = {}
        names: set[bytes] = set()
        for r in node:
            conj = tuple(t for t in r.triggers if isinstance(t, AllOf))
            if conj:
                conjunctions[r.id] = conj
                names.update(k for c in conj for group in c.names for n in group for k in _keys(n))
            for a in _atoms(r):
                seen.setdefault(a if isinstance(a, bytes | Anchored) else ("re", a.pattern), a)
        tokens = tuple(seen.values())
        # Python files are scanned for the node rules anyway: the same pass answers the file
        # rules whose triggers are all literals (instead of one `in` over the file per trigger)
        # and looks up the names of all_of triggers (found, but they mark no trigger line)
        names.update(k for r in node for k in r.gate_keys or ())
        extra = names | {
            t
            for r in by_type.get(FileType.PYTHON, ())
            if r.triggers and all(isinstance(t, bytes) for t in r.triggers)
            for t in r.triggers
        }
        return cls(node, dict(by_type), art, tokens, TriggerScanner(tokens, extra), conjunctions)

    @cached_property
    def _by_trigger(self) -> tuple[dict[object, tuple[int, ...]], tuple[int, ...]]:
        """Node rule indexes by trigger (an all_of's first triggers included), and those of
        the rules without triggers (wanted for every file)."""
        index: dict[object, list[int]] = defaultdict(list)
        for i, r in enumerate(self.node_rules):
            for a in _atoms(r):
                index[a].append(i)
        always = tuple(i for i, r in enumerate(self.node_rules) if not r.triggers)
        return {t: tuple(v) for t, v in index.items()}, always

    def triggered(self, present: set[Trigger]) -> list[Rule]:
        """Node rules one of whose triggers (or an all_of's first) the trigger scan found: the
        rules a file is wanted for before their names and gates are asked. Looked up by the
        triggers present (a few) rather than asked of every rule (~50) for every file."""
        index, always = self._by_trigger
        wanted = set(always)
        for t in present:
            wanted.update(index.get(t, ()))
        rules = self.node_rules
        return [rules[i] for i in sorted(wanted)]

    def may_fire(
        self, r: Rule, fctx: FileContext, present: set[Trigger], found: set[bytes]
    ) -> bool:
        """A triggered rule's names are in the file and its gate lets the file through."""
        if r.triggers and present.isdisjoint(r.triggers):
            if not any(
                not present.isdisjoint(c.first)
                and (
                    fctx.names_may_fold
                    or all(any(_in_code(n, found, fctx) for n in g) for g in c.names)
                )
                for c in self.conjunctions[r.id]
            ):
                return False
        return r.gate is None or r.gate(fctx)


def _atoms(rule: Rule) -> Iterator[Trigger]:
    """The triggers the scan looks for on a rule's behalf: its own, and each all_of's first."""
    for t in rule.triggers:
        yield from t.first if isinstance(t, AllOf) else (t,)


def _keys(name: Name) -> tuple[bytes, ...]:
    if isinstance(name, Anchored):
        return name.anchors
    return (name.name if isinstance(name, Bare) else name,)


def _in_code(name: Name, found: set[bytes], fctx: FileContext) -> bool:
    if isinstance(name, Bare):
        return name.name in found and fctx.has_name(name.name, bare=True)
    if isinstance(name, Anchored):
        return not found.isdisjoint(name.anchors) and bool(name.pattern.search(fctx.member.data))
    return name in found and fctx.has_name(name)


def rule_order(rule: Rule) -> tuple[bool, int]:
    """Numeric id order, with the diff family last: it compares every other finding with the
    previous release's, so it must run after them (``DOU1202`` sorts before ``DOU201`` as text)."""
    digits = "".join(c for c in rule.id if c.isdigit())
    return (rule.family is Family.DIFF, int(digits or 0))


_DEFAULT: RuleSet | None = None


def default_rules() -> RuleSet:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = RuleSet.build(load_all().values())
    return _DEFAULT


@dataclass
class Analysis:
    findings: list[Finding]
    context: ArtifactContext
    stats: dict[str, Any] = field(default_factory=dict)


def _finding(rule: Rule, hit: Hit, file: str, where: Where) -> Finding:
    return Finding(
        rule=rule.id,
        name=rule.name,
        family=rule.family,
        severity=hit.severity if hit.severity is not None else rule.severity,
        confidence=hit.confidence if hit.confidence is not None else rule.confidence,
        file=hit.file or file,
        line=hit.line,
        snippet=hit.snippet,
        message=hit.message,
        where=hit.where or where,
    )


_RULE_ERRORS = (RecursionError, MemoryError, ValueError, TypeError, AttributeError, IndexError,
                KeyError, UnicodeError, OverflowError)  # fmt: skip


def _run(rule: Rule, hits: Iterator[Hit], stats: dict) -> Iterator[Hit]:
    try:
        for n, hit in enumerate(hits):
            if n >= MAX_HITS_PER_RULE_PER_FILE:
                break
            yield hit
    except _RULE_ERRORS as exc:
        _rule_failed(rule, exc, stats)


def _rule_failed(rule: Rule, exc: Exception, stats: dict) -> None:
    """A rule that raised costs its own hits, recorded in the stats, never the scan (tests
    run with DOUANE_STRICT=1, where it fails loudly)."""
    if STRICT:
        raise exc
    stats.setdefault("rule_errors", []).append(f"{rule.id}: {type(exc).__name__}: {exc}")


def _walk(ctx: PyContext, dispatch: dict[type, list[Rule]], out: list, deadline: float | None,
          stats: dict, lines: list[int] | None = None) -> None:  # fmt: skip
    """Single pre-order walk in source order, tracking scope, imports and simple constants.

    With ``lines`` (the lines holding a trigger), definitions (functions, classes) and long
    module- or class-level statements (data tables) that span none of them are not entered:
    big files cost what their few interesting definitions cost. Inside an entered function
    every statement is seen, so rules can follow data from one call to the next.
    """
    stack: list[tuple[ast.AST, tuple[ast.AST, ...]]] = [(ctx.tree, ())]
    pop, push = stack.pop, stack.extend
    visited = 0
    if ctx.call_names is None:
        ctx.call_names = {}
    names = ctx.call_names  # emptied below whenever aliases or constants change
    while stack:
        node, scope = pop()
        visited += 1
        if deadline is not None and visited % 4096 == 0 and time.monotonic() > deadline:
            raise BudgetExceeded
        t = type(node)  # parsed trees hold exact node types: `is` and set tests, not isinstance
        bookkeeping_only = False
        if lines is not None and t in _GATED_T and not _inside_def(scope):
            end = node.end_lineno or node.lineno
            gate = t in _DEFS_T or end - node.lineno > 5
            if gate and not _touches(lines, node.lineno, end):
                if scope or t is not ast.Assign:
                    continue
                bookkeeping_only = True
        ctx.scope = scope  # type: ignore[assignment]
        if t is ast.Import:
            names.clear()
            for a in node.names:
                if a.asname:
                    ctx.aliases[a.asname] = a.name
                else:
                    head = a.name.split(".", 1)[0]
                    ctx.aliases.setdefault(head, head)
        elif t is ast.ImportFrom:
            if node.module and node.level == 0:
                names.clear()
                for a in node.names:
                    ctx.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif t is ast.Assign and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                value = const_str(node.value, ctx.consts)
                if value is not None:
                    names.clear()
                    ctx.consts[target.id] = value
                elif isinstance(node.value, ast.Name | ast.Attribute):
                    # alias of a callable: `s = os.system`, `b = base64.b64decode`
                    q = ctx.qualname(node.value)
                    if q and "." in q:
                        names.clear()
                        ctx.aliases[target.id] = q
        if bookkeeping_only:
            continue
        rules = dispatch.get(t) if t is not ast.Module else None
        if rules:
            where = ctx.where
            path = ctx.file.path
            for rule in rules:
                # _run inlined: one generator less for every node and rule
                try:
                    for n, hit in enumerate(rule.check(node, ctx)):
                        if n >= MAX_HITS_PER_RULE_PER_FILE:
                            break
                        out.append(_finding(rule, hit, path, where))
                except _RULE_ERRORS as exc:
                    _rule_failed(rule, exc, stats)
        children = child_nodes(node)
        if t in _SCOPE_T:
            push(zip(reversed(children), repeat((*scope, node))))
        elif t is ast.If and _is_main_guard(node):
            # the test itself is not inside the guard; only the body is
            inner = (*scope, node)
            push((c, inner if c is not node.test else scope) for c in reversed(children))
        else:
            push(zip(reversed(children), repeat(scope)))


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_GATED = (*_DEFS, ast.Assign, ast.AnnAssign, ast.Expr)
_DEFS_T, _GATED_T, _SCOPE_T = frozenset(_DEFS), frozenset(_GATED), frozenset(_SCOPE_NODES)


def _inside_def(scope: tuple[ast.AST, ...]) -> bool:
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) for n in scope)


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


def _parse(source: str, name: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=name)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


LARGE_FILE = 96 * 1024  # above this, parse only the top-level blocks that hold a trigger
_BLOCK_SPLIT = 64 * 1024  # a class block bigger than this is split into its methods
_IMPORT_LINE = re.compile(r"^(?:import|from)\s")
_METHOD_START = re.compile(r"^(?: {4}|\t)(?:def |async def |@)")
# a clause that continues the compound statement above it (`else:` after `if TYPE_CHECKING:`,
# `except ImportError:` after `try:`), never a statement of its own
_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")


def _statement_starts(lines: list[str], indent: str = "") -> list[int]:
    """Line indexes where a statement at ``indent`` begins (approximate: tracks triple quotes
    and decorators; a wrong split only makes a chunk fail to parse, which falls back)."""
    starts: list[int] = []
    in_triple: str | None = None
    continued = False
    n = len(indent)  # the indent is whitespace: a start's line, stripped, begins with its c
    after_decorator = False  # the last start is a decorator: the def below it is not a start
    for i, line in enumerate(lines):
        if in_triple is None and not continued and len(line) > n and line.startswith(indent):
            c = line[n]
            if not c.isspace() and c not in "#)]}" and not _CLAUSE.match(line, n):
                if not (after_decorator and c != "@"):
                    starts.append(i)
                    after_decorator = c == "@"
        if '"""' in line or "'''" in line:
            for q in ('"""', "'''"):
                if in_triple in (None, q) and line.count(q) % 2 == 1:
                    in_triple = None if in_triple == q else q
        continued = line.endswith("\\")
    return starts


def _chunks(text: str, lines: list[int]) -> list[tuple[str, int]] | None:
    """Source chunks (with their line offsets) of a large file worth parsing: its imports and
    every top-level block (or method of a big class) that holds a trigger line.

    Parsing megabytes of generated code costs seconds; the blocks that can matter are few.
    ``lines`` is extended in place with the uses of names bound to a trigger at top level
    (`from os import system as run`, `s = os.system`), or the block calling them is missed.
    """
    src = text.split("\n")
    starts = _statement_starts(src)
    if not starts:
        return None
    out: list[tuple[str, int]] = []
    bounds = list(zip(starts, [*starts[1:], len(src)], strict=True))
    names: set[str] = set()
    for a, b in bounds:
        if b - a <= 3 and _touches(lines, a + 1, b):
            tree = _parse("\n".join(src[a:b]), "<chunk>")
            for node in tree.body if tree else ():
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names.update((x.asname or x.name).split(".")[0] for x in node.names)
                elif isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    extra: set[int] = set()
    if names:
        # one pass for all the names: two of them never match overlapping text (a match
        # starts after a non-word character and ends at a word boundary)
        alternatives = "|".join(re.escape(n) for n in sorted(names))
        newlines = [n.start() for n in re.finditer("\n", text)]
        for m in re.finditer(rf"(?<![\w.])(?:{alternatives})\b", text):
            extra.add(bisect_left(newlines, m.start()) + 1)
            if len(extra) > MAX_TRIGGER_LINES:
                return None
    if extra:
        lines[:] = sorted(set(lines) | extra)
    for a, b in bounds:
        first = src[a]
        if _IMPORT_LINE.match(first):
            out.append(("\n".join(src[a:b]), a))
            continue
        if not _touches(lines, a + 1, b):
            continue
        if first.startswith("class ") and sum(len(x) for x in src[a:b]) > _BLOCK_SPLIT:
            body = src[a:b]
            subs = [i for i in _statement_starts(body, "    ") if i > 0]
            for sa, sb in zip([0, *subs], [*subs, len(body)], strict=True):
                piece = "\n".join(body[sa:sb])
                if sa == 0:
                    out.append((piece + "\n    pass", a))
                elif _touches(lines, a + sa + 1, a + sb):
                    out.append(("class _douane_chunk_:\n" + piece, a + sa - 1))
            continue
        out.append(("\n".join(src[a:b]), a))
    return out


def _chunk_trees(fctx: FileContext, lines: list[int] | None) -> Iterator[ast.Module | None] | None:
    """The trees of the blocks holding trigger lines of a large file, parsed one at a time as
    they are asked for (None for a block that does not parse: the caller then parses the
    whole file); None when the file is not read in blocks.

    One at a time: a 4 MB generated module's trees, all alive together, were the largest
    share of a worker's peak memory on the biggest SDKs.
    """
    if lines is None or len(fctx.member.data) <= LARGE_FILE:
        return None
    chunks = _chunks(fctx.text, lines)  # extends `lines` (see _chunks)
    if chunks is None:
        return None
    # leading newlines put the chunk at its real lines, cheaper than ast.increment_lineno
    return (_parse("\n" * offset + source, fctx.path) for source, offset in chunks)


def _parses(fctx: FileContext, lines: list[int] | None) -> bool:
    """Whether the file parses, asked the way the walk would read it (block by block for a
    large file, keeping no tree)."""
    chunks = _chunk_trees(fctx, lines)
    if chunks is not None and all(tree is not None for tree in chunks):
        return True
    return _parse(fctx.text, fctx.path) is not None


def _parse_and_walk(
    fctx: FileContext,
    lines: list[int] | None,
    active: list[Rule],
    want_setup: bool,
    findings: list[Finding],
    deadline: float | None,
    stats: dict[str, Any],
) -> dict[str, Any] | None:
    """Parse a Python file (block by block when large) and run its active node rules over it.
    Returns the literal ``setup()`` arguments (empty unless ``want_setup``), or None when the
    file does not parse."""
    dispatch: dict[type, list[Rule]] = defaultdict(list)
    for r in active:
        for t in r.nodes:
            dispatch[t].append(r)
    walk = want_setup or not all(r.standalone for r in active)

    def walk_trees(trees: Iterable[ast.Module | None]) -> dict[str, Any] | None:
        """One walk per tree, in order, with one context across them (imports and constants
        of an earlier block hold in a later one); None as soon as a tree did not parse."""
        pctx = PyContext(fctx, ast.Module(body=[], type_ignores=[]))
        kwargs: dict[str, Any] = {}
        for n, tree in enumerate(trees):
            if tree is None:
                return None
            pctx.tree = tree
            if walk:
                _walk(pctx, dispatch, findings, deadline, stats, lines)
            # whole-file rules (dispatched on ast.Module) run after the walk, so they can use
            # what it collected instead of walking the tree again
            pctx.scope = ()
            for rule in dispatch.get(ast.Module, ()):
                for hit in _run(rule, rule.check(tree, pctx), stats):
                    findings.append(_finding(rule, hit, fctx.path, pctx.where))
            if want_setup and n == 0:
                kwargs = _setup_kwargs(tree, pctx.consts)
        return kwargs

    chunks = _chunk_trees(fctx, lines)
    if chunks is not None:
        mark = len(findings)
        kwargs = walk_trees(chunks)
        stats["chunked"] = stats.get("chunked", 0) + (kwargs is not None)
        if kwargs is not None:
            return kwargs
        del findings[mark:]  # a block did not parse (our split was wrong): read the whole file
    tree = _parse(fctx.text, fctx.path)
    return None if tree is None else walk_trees((tree,))


def _setup_kwargs(tree: ast.Module, consts: dict[str, str]) -> dict[str, Any]:
    """Literal keyword arguments of the ``setup(...)`` call in setup.py."""
    for node in walk_order(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if name != "setup":
            continue
        out: dict[str, Any] = {"_line": node.lineno}
        for kw in node.keywords:
            if kw.arg is None:
                continue
            value: Any = const_str(kw.value, consts)
            if value is None and isinstance(kw.value, ast.List | ast.Tuple):
                items = [const_str(e, consts) for e in kw.value.elts]
                value = [i for i in items if i is not None]
            if value is None and isinstance(kw.value, ast.Dict):
                value = {
                    const_str(k, consts) or "?": ast.unparse(v)[:80]
                    for k, v in zip(kw.value.keys, kw.value.values, strict=False)
                    if k is not None
                }
            if value is None:
                value = {"_expr": ast.unparse(kw.value)[:120]}
            out[kw.arg] = value
        return out
    return {}


def _metadata_member(files: list[FileContext], kind) -> FileContext | None:
    best = None
    for f in files:
        if f.file_type is not FileType.METADATA:
            continue
        if f.rel_path == "PKG-INFO" or f.rel_path.endswith(".dist-info/METADATA"):
            return f
        if best is None or f.rel_path.count("/") < best.rel_path.count("/"):
            best = f
    return best


def analyse(
    artifact: Artifact,
    opened: Opened,
    *,
    deadline: float | None = None,
    ruleset: RuleSet | None = None,
    previous: ArtifactContext | None = None,
) -> Analysis:
    """All findings for one opened artifact. Raises :class:`BudgetExceeded` past ``deadline``."""
    rs = ruleset or default_rules()
    stats: dict[str, Any] = {"files": 0, "parsed": 0, "parsed_bytes": 0, "unparsed": 0}
    findings: list[Finding] = []
    files: list[FileContext] = []
    root = opened.root
    setup_kwargs: dict[str, Any] = {}
    for member in opened.members:
        rel = member.path[len(root) :] if root and member.path.startswith(root) else member.path
        ftype = file_type_of(rel, member.data[:128])
        if ftype is FileType.PTH:
            if executable_format(member.data[:4096]) is None:
                member = replace(member, data=pth_executed(member.data))
            else:  # a program named .pth: left whole for the payload rules (DOU803)
                ftype = FileType.OTHER
        files.append(FileContext(member, rel, ftype, base_where(rel, opened.kind), opened.kind))
    stats["files"] = len(files)

    for fctx in files:
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded
        data = fctx.member.data
        found: set[bytes] | None = None  # literal keys of the trigger scan, when it ran
        present: set[Trigger] = set()
        offsets: list[int] = []
        gate_lines = False  # whether trigger lines gate the walk (and the chunks) of this file
        if fctx.file_type is FileType.PYTHON and rs.node_rules:
            present, offsets, found = rs.scanner.scan(data)
            fctx.found = found
            triggered = rs.triggered(present)
            small = len(data) <= MAX_PARSE_BYTES  # a larger file is not parsed: no names asked
            active = [r for r in triggered if small and rs.may_fire(r, fctx, present, found)]
            want_setup = fctx.is_setup_py
            gate_lines = all(r.triggers for r in triggered) and not want_setup
            if (active or want_setup) and small:
                lines = offsets_to_lines(data, offsets) if gate_lines else None
                kwargs = _parse_and_walk(fctx, lines, active, want_setup, findings, deadline, stats)
                if kwargs is not None:
                    fctx.parsed = True
                    stats["parsed"] += 1
                    stats["parsed_bytes"] += len(data)
                    if want_setup:
                        setup_kwargs = kwargs
                else:
                    stats["unparsed"] += 1
            elif triggered and small:
                # the rules the triggers wanted all said no to this file: nothing to walk.
                # Whether it parses still decides the only_unparsed file rules; it is found
                # out below if one of them has something to report
                fctx.parsed = None
                stats["gated"] = stats.get("gated", 0) + 1
            elif triggered:
                stats["unparsed"] += 1
            else:
                fctx.parsed = True  # nothing to look for: treat as read
        for rule in rs.file_rules.get(fctx.file_type, ()):
            if rule.only_unparsed and fctx.parsed:
                continue
            if rule.triggers:
                if found is not None:
                    if not _scanned_trigger(rule.triggers, data, present, found, rs.scanner):
                        continue
                elif not _any_trigger(data, rule.triggers):
                    continue
            errors: dict[str, Any] = {}
            hits = list(_run(rule, rule.check(fctx), errors))
            if rule.only_unparsed and fctx.parsed is None and (hits or errors):
                lines = offsets_to_lines(data, offsets) if gate_lines else None
                fctx.parsed = _parses(fctx, lines)
                if fctx.parsed:
                    continue
            if errors:
                stats.setdefault("rule_errors", []).extend(errors["rule_errors"])
            for hit in hits:
                findings.append(_finding(rule, hit, fctx.path, fctx.where))
        # what was worked out from its bytes (text, lines, comment spans: as large as the file or
        # several times more) is let go: kept, every file's stayed alive to the end of the scan;
        # the few artifact rules that read a file work theirs out again
        for name in _FILE_CACHES:
            fctx.__dict__.pop(name, None)

    meta: dict[str, Any] = {}
    meta_unparsed: dict[str, Any] = {}
    mfile = _metadata_member(files, opened.kind)
    if mfile is not None:
        raw, unparsed = parse_email(mfile.member.data)
        meta, meta_unparsed = dict(raw), dict(unparsed)
        meta["_file"] = mfile.path
    actx = ArtifactContext(
        artifact=artifact,
        opened=opened,
        files=files,
        findings=findings,
        metadata=meta,
        metadata_raw=meta_unparsed,
        setup_kwargs=setup_kwargs,
        previous=previous,
    )
    for rule in rs.artifact_rules:
        for hit in _run(rule, rule.check(actx), stats):
            findings.append(_finding(rule, hit, artifact.filename, Where.OTHER))
    if len(findings) > MAX_FINDINGS:
        stats["findings_dropped"] = len(findings) - MAX_FINDINGS
        findings.sort(key=lambda f: (-f.severity, -f.confidence))
        del findings[MAX_FINDINGS:]
    return Analysis(findings, actx, stats)
