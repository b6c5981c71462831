"""What a rule is: a small named unit with a stable id, registered once by a decorator.

A rule only reports (it yields :class:`Hit`); the engine adds identity and location, and the
scoring layer alone decides the verdict. Three kinds of rule exist, by what they read:

* ``node`` rules see one AST node of the types they declare, during the single walk of a file;
* ``file`` rules see one file's text (non-Python files, and Python files that do not parse);
* ``artifact`` rules see the whole artifact once (member list, metadata, archive issues).

Every rule declares ``triggers``: byte strings of which at least one must occur in a file for
the rule to be worth running on it. The engine checks triggers over raw bytes first and parses
only files some rule wants: that prefilter is what keeps the median scan in milliseconds.
A rule that can only fire when two things co-occur says so with :func:`all_of`, and a node
rule that needs something of the file itself (setup.py only, a drop host in the text) says so
with :func:`gated`: a file holding one word of a pair is not parsed for it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from douane.domain import Confidence, Family, Severity, Where

if TYPE_CHECKING:
    from douane.analysis.context import ArtifactContext, FileContext, PyContext


class Kind(StrEnum):
    NODE = "node"
    FILE = "file"
    ARTIFACT = "artifact"


class FileType(StrEnum):
    """What a member is, by name (and for scripts, by shebang)."""

    PYTHON = "python"
    PTH = "pth"
    SHELL = "shell"  # .sh/.bash
    WINDOWS_SCRIPT = "windows-script"  # .bat/.cmd/.ps1/.vbs
    JAVASCRIPT = "javascript"
    METADATA = "metadata"  # PKG-INFO, METADATA
    CONFIG = "config"  # setup.cfg, pyproject.toml
    TEXT = "text"
    OTHER = "other"


class Tag(StrEnum):
    """Capabilities a rule's hit demonstrates; scoring looks for malicious *combinations*."""

    SECRET_READ = "secret-read"  # credentials, tokens, wallets, env dumps, system fingerprint
    NETWORK_SEND = "network-send"  # data leaves the machine
    FIXED_DESTINATION = "fixed-destination"  # hard-coded webhook / paste / raw IP / tunnel host
    DOWNLOAD = "download"  # fetches content from a URL
    EXECUTE = "execute"  # runs a process or a file
    DECODE = "decode"  # base64/hex/zlib/marshal/... of embedded data
    DYNAMIC_EXEC = "dynamic-exec"  # exec/eval/compile of non-literal code
    FILE_WRITE = "file-write"
    PERSIST = "persist"
    EVADE = "evade"
    OBFUSCATED = "obfuscated"


@dataclass(frozen=True, slots=True)
class Anchored:
    """A regex trigger that is only tried on files holding one of its literal ``anchors``.

    Python's ``re`` scans a file several times slower than the one Aho-Corasick pass over all
    literal triggers; anchoring keeps a precise pattern (``os.system`` but not "operating
    system") at the cost of a literal check.

    Contract: every match of ``pattern`` starts on a line that holds one of its ``anchors``
    and ends by the end of the next non-blank line (the engine searches only there).
    """

    anchors: tuple[bytes, ...]
    pattern: re.Pattern[bytes]


def anchored(pattern: bytes, *anchors: bytes) -> Anchored:
    return Anchored(tuple(anchors), re.compile(pattern))


Atom = bytes | Anchored | re.Pattern[bytes]


@dataclass(frozen=True, slots=True)
class Bare:
    """A name of an :func:`all_of` group that counts only where it is not an attribute:
    `exec(x)` or `from builtins import exec`, not `re.compile(p)` or `model.eval()`."""

    name: bytes


Name = bytes | Bare | Anchored  # an Anchored "name" is a pattern of the text, strings included


@dataclass(frozen=True, slots=True)
class AllOf:
    """A trigger present when one of ``first`` is (as a rule's ordinary triggers) and, for
    each group of ``names``, one of its names is.

    ``names`` are identifiers a rule's check needs to resolve a call (``exec``,
    ``subprocess``, ``__import__``): a group holds, for every name the check looks for, one
    part that any spelling of it must write in code (import aliases included; a module named
    by a string needs ``__import__`` or ``import_module``). A group counts when one of its
    names is a whole identifier outside comments and strings (see
    :meth:`FileContext.has_name`), or when the file may spell names with characters NFKC
    folds to ASCII (`ｅｘｅｃ` is `exec`). An :class:`Anchored` entry is a condition on the
    text instead (a folder name followed by a path separator). Only ``first`` marks trigger
    lines (the lines whose definitions the engine enters in a large file); names are only
    looked up.
    """

    first: tuple[Atom, ...]
    names: tuple[frozenset[Name], ...]


def all_of(first: tuple[Atom, ...], *names: Iterable[Name]) -> AllOf:
    return AllOf(tuple(first), tuple(frozenset(group) for group in names))


Trigger = Atom | AllOf
F = TypeVar("F", bound=Callable[..., Any])


def gated(predicate: Callable[[FileContext], bool], keys: Iterable[bytes] = ()) -> Callable[[F], F]:
    """Declares what a node rule's check needs of the file itself (that it is setup.py, that
    its text names a drop host...): where ``predicate`` says no, the engine does not parse the
    file for this rule. It must say no only where the check would report nothing.

    ``keys`` are literals the predicate looks for: the engine's one pass over the file looks
    them up too, and :attr:`FileContext.found` holds those it found."""

    def wrap(fn: F) -> F:
        fn.gate = predicate  # type: ignore[attr-defined]
        fn.gate_keys = frozenset(keys)  # type: ignore[attr-defined]
        return fn

    return wrap


def standalone(fn: F) -> F:
    """Declares a whole-file rule (dispatched on ``ast.Module``) that reads the tree by itself
    and none of what the walk collects (the PyContext's aliases, constants, call names): a
    file where no other rule is active is then parsed for it but not walked."""
    fn.standalone = True  # type: ignore[attr-defined]
    return fn


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule saw. ``line``/``snippet`` locate it; the engine supplies the file."""

    message: str
    line: int | None = None
    snippet: str = ""
    file: str | None = None  # artifact rules name the file themselves
    where: Where | None = None  # override of the engine's location (e.g. METADATA)
    severity: Severity | None = None  # a rule may raise or lower its default for one hit
    confidence: Confidence | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    family: Family
    severity: Severity
    confidence: Confidence
    kind: Kind
    check: Callable[..., Iterator[Hit]]
    doc: str
    triggers: tuple[Trigger, ...] = ()
    nodes: tuple[type[ast.AST], ...] = ()
    file_types: frozenset[FileType] = frozenset()
    tags: frozenset[Tag] = frozenset()
    only_unparsed: bool = False  # file rules that stand in for AST rules on broken Python
    extra: dict[str, Any] = field(default_factory=dict)
    gate: Callable[[FileContext], bool] | None = None  # default: the check's, from gated()
    gate_keys: frozenset[bytes] | None = None  # likewise
    standalone: bool | None = None  # default: the check's, from standalone()

    def __post_init__(self) -> None:
        # a copy with another check (dataclasses.replace) keeps what the first one declared
        if self.gate is None:
            object.__setattr__(self, "gate", getattr(self.check, "gate", None))
        if self.gate_keys is None:
            object.__setattr__(self, "gate_keys", getattr(self.check, "gate_keys", frozenset()))
        if self.standalone is None:
            object.__setattr__(self, "standalone", getattr(self.check, "standalone", False))


NodeCheck = Callable[[Any, "PyContext"], Iterator[Hit]]
FileCheck = Callable[["FileContext"], Iterator[Hit]]
ArtifactCheck = Callable[["ArtifactContext"], Iterator[Hit]]
