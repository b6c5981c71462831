"""What a rule is: a small named unit with a stable id, registered once by a decorator.

A rule only reports (it yields :class:`Hit`); the engine adds identity and location, and the
scoring layer alone decides the verdict. Three kinds of rule exist, by what they read:

* ``node`` rules see one AST node of the types they declare, during the single walk of a file;
* ``file`` rules see one file's text (non-Python files, and Python files that do not parse);
* ``artifact`` rules see the whole artifact once (member list, metadata, archive issues).

Every rule declares ``triggers``: byte strings of which at least one must occur in a file for
the rule to be worth running on it. The engine checks triggers over raw bytes first and parses
only files some rule wants: that prefilter is what keeps the median scan in milliseconds.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

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
    triggers: tuple[bytes, ...] = ()
    nodes: tuple[type[ast.AST], ...] = ()
    file_types: frozenset[FileType] = frozenset()
    tags: frozenset[Tag] = frozenset()
    only_unparsed: bool = False  # file rules that stand in for AST rules on broken Python
    extra: dict[str, Any] = field(default_factory=dict)


NodeCheck = Callable[[Any, "PyContext"], Iterator[Hit]]
FileCheck = Callable[["FileContext"], Iterator[Hit]]
ArtifactCheck = Callable[["ArtifactContext"], Iterator[Hit]]
