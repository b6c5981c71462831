"""Typed records passed between douane's layers (sources → archive → analysis → scoring → report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path


class Severity(IntEnum):
    """How bad the pattern is if the finding is a true positive."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class Confidence(IntEnum):
    """How sure the rule is that the pattern it names is really there (not how bad it is)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Family(StrEnum):
    """Rule families; each has its own module under ``douane.analysis``."""

    INSTALL_TIME = "install-time"
    PROCESS = "process"
    DYNAMIC_CODE = "dynamic-code"
    DOWNLOAD = "download"
    EXFILTRATION = "exfiltration"
    PERSISTENCE = "persistence"
    OBFUSCATION = "obfuscation"
    PAYLOAD_FILES = "payload-files"
    METADATA = "metadata"
    ARCHIVE = "archive"
    TYPOSQUATTING = "typosquatting"
    DIFF = "diff"


class Verdict(StrEnum):
    MALICIOUS = "malicious"
    SUSPICIOUS = "suspicious"
    CLEAN = "clean"
    ERROR = "error"


class Where(StrEnum):
    """When the code holding a finding runs; weighs the finding in scoring."""

    INSTALL = "install"  # setup.py, cmdclass, .pth: runs on `pip install` or interpreter start
    IMPORT = "import"  # module top level: runs on `import pkg`
    FUNCTION = "function"  # inside a function body: runs only when called
    TEST = "test"  # tests/, examples/, docs/: rarely run by users
    METADATA = "metadata"
    ARCHIVE = "archive"  # the container itself (members, links, limits)
    OTHER = "other"


class ArtifactKind(StrEnum):
    SDIST = "sdist"
    WHEEL = "wheel"
    EGG = "egg"
    FOLDER = "folder"
    NPM = "npm"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One release file (or folder) to scan: where it is and what the index says about it."""

    path: Path
    filename: str
    name: str | None = None
    version: str | None = None
    sha256: str | None = None
    ecosystem: str = "pypi"
    upload_time: str | None = None
    url: str | None = None
    target: str | None = None  # what the user asked for (``NAME==1.0``, a path, ``-r file``)
    # "password-zip": ``path`` is a dataset zip (password ``infected``) holding the artifact
    container: str | None = None
    previous: Artifact | None = None  # the same kind of file from the release before (diff)
    # how many releases of the project the index held before this one; None when unknown
    # (local files, dataset samples), which keeps history rules silent
    prior_releases: int | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """One regular file from an archive, read as bytes; ``data`` may hold only the head of a
    large non-code file (``truncated``), which is enough for magic-byte checks."""

    path: str
    data: bytes
    size: int
    truncated: bool = False
    executable: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """Evidence a reviewer can check: which rule saw what, where, and why it matters."""

    rule: str
    name: str
    family: Family
    severity: Severity
    confidence: Confidence
    file: str
    line: int | None
    snippet: str
    message: str
    where: Where = Where.OTHER
    new: bool | None = None

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "name": self.name,
            "family": str(self.family),
            "severity": self.severity.name.lower(),
            "confidence": self.confidence.name.lower(),
            "file": self.file,
            "line": self.line,
            "snippet": self.snippet,
            "message": self.message,
            "where": str(self.where),
            "new": self.new,
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The outcome for one artifact: verdict, score in [0, 1], findings, and why."""

    target: str
    filename: str
    name: str | None
    version: str | None
    sha256: str | None
    verdict: Verdict
    score: float
    findings: tuple[Finding, ...] = ()
    elapsed_ms: float = 0.0
    error: str | None = None
    kind: ArtifactKind = ArtifactKind.UNKNOWN
    ecosystem: str = "pypi"
    explanation: tuple[str, ...] = field(default=())
    stats: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "filename": self.filename,
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "kind": str(self.kind),
            "ecosystem": self.ecosystem,
            "verdict": str(self.verdict),
            "score": round(self.score, 4),
            "error": self.error,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "explanation": list(self.explanation),
            "findings": [f.to_dict() for f in self.findings],
        }


SNIPPET_MAX = 160


def snip(text: str, limit: int = SNIPPET_MAX) -> str:
    """One line of evidence, truncated: a reviewer needs the shape, never the whole payload."""
    line = " ".join(text.strip().split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
