"""Reads pip requirements files (with nested ``-r``) into requirements to resolve and scan."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from douane.domain import Artifact
from douane.sources.interface import SourceError, Unresolved
from douane.sources.local import LocalSource
from douane.sources.pypi import ARCHIVE_SUFFIXES, PyPISource

_COMMENT = re.compile(r"(^|\s+)#.*$")
_NESTED = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
_EDITABLE = {"-e", "--editable"}
# Global options pip accepts in a requirements file: recorded, never acted on. Following an
# index named inside a file under review would let that file choose what gets scanned.
_GLOBAL_WITH_VALUE = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--trusted-host": "--trusted-host",
    "--only-binary": "--only-binary",
    "--no-binary": "--no-binary",
    "--use-feature": "--use-feature",
}
_GLOBAL_FLAGS = {"--no-index", "--pre", "--prefer-binary", "--require-hashes"}
_PER_REQUIREMENT = {"--hash", "--global-option", "--install-option", "--config-settings", "-C"}


@dataclass(frozen=True, slots=True)
class RequirementLine:
    """A requirement and where it was written, so errors can point back to the line."""

    requirement: Requirement
    text: str
    file: Path
    lineno: int
    hashes: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.lineno}"


@dataclass(frozen=True, slots=True)
class PathLine:
    """A local archive or folder named in the file (``./dist/pkg-1.0.tar.gz``)."""

    path: Path
    text: str
    file: Path
    lineno: int


@dataclass(frozen=True, slots=True)
class OptionLine:
    """A global option (``-i URL``, ``--pre``) or a line skipped on purpose (``-e``, ``-c``)."""

    option: str
    value: str | None
    file: Path
    lineno: int


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that could not be understood; the other lines are still used."""

    file: Path
    lineno: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.lineno}: {self.reason}: {self.text!r}"


@dataclass(frozen=True, slots=True)
class ParsedRequirements:
    requirements: tuple[RequirementLine, ...]
    paths: tuple[PathLine, ...]
    options: tuple[OptionLine, ...]
    skipped: tuple[OptionLine, ...]
    errors: tuple[LineError, ...]
    files: tuple[Path, ...]

    @property
    def prereleases(self) -> bool | None:
        return True if any(o.option == "--pre" for o in self.options) else None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join ``\\`` continuations (numbered by their first line) and strip comments."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        line = _COMMENT.sub("", " ".join(pending)).strip()
        pending = []
        if line:
            yield start, line
    if pending:
        line = _COMMENT.sub("", " ".join(pending)).strip()
        if line:
            yield start, line


def _split_option(tokens: list[str]) -> tuple[str, str | None, list[str]]:
    """``--opt=value``, ``--opt value``, ``-rfile`` and ``-r file`` all read the same."""
    head, rest = tokens[0], tokens[1:]
    if head.startswith("--") and "=" in head:
        opt, value = head.split("=", 1)
        return opt, value, rest
    if not head.startswith("--") and len(head) > 2:
        return head[:2], head[2:], rest
    if rest and (head in _NESTED or head in _EDITABLE or head in _GLOBAL_WITH_VALUE):
        return head, rest[0], rest[1:]
    return head, None, rest


def _is_url(text: str) -> bool:
    return "://" in text


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or text.lower().endswith(ARCHIVE_SUFFIXES)


class _Parser:
    def __init__(self) -> None:
        self.requirements: list[RequirementLine] = []
        self.paths: list[PathLine] = []
        self.options: list[OptionLine] = []
        self.skipped: list[OptionLine] = []
        self.errors: list[LineError] = []
        self.files: list[Path] = []
        self._stack: list[Path] = []

    def result(self) -> ParsedRequirements:
        return ParsedRequirements(
            tuple(self.requirements),
            tuple(self.paths),
            tuple(self.options),
            tuple(self.skipped),
            tuple(self.errors),
            tuple(self.files),
        )

    def read(self, path: Path, included_from: tuple[Path, int, str] | None = None) -> None:
        def fail(reason: str) -> None:
            if included_from is None:
                self.errors.append(LineError(path, 0, str(path), reason))
            else:
                self.errors.append(LineError(*included_from, reason))

        try:
            resolved = path.resolve(strict=True)
        except OSError:
            fail(f"no such requirements file {path}")
            return
        if resolved in self._stack:
            fail(f"{path} includes itself (cycle), not read again")
            return
        if resolved in self.files:
            return  # reached twice through different files: its lines are already in
        try:
            text = resolved.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read requirements file {path}: {exc}")
            return
        self.files.append(resolved)
        self._stack.append(resolved)
        try:
            for lineno, line in _logical_lines(text):
                self._line(resolved, lineno, line)
        finally:
            self._stack.pop()

    def _line(self, file: Path, lineno: int, line: str) -> None:
        def error(reason: str) -> None:
            self.errors.append(LineError(file, lineno, line, reason))

        if line.startswith("-"):
            try:
                tokens = shlex.split(line)
            except ValueError as exc:
                error(f"unbalanced quoting ({exc})")
                return
            opt, value, rest = _split_option(tokens)
            if rest:
                error(f"unexpected text after {opt}")
                return
            if opt in _NESTED:
                if not value:
                    error(f"{opt} needs a file name")
                elif _is_url(value):
                    error("requirements files given by URL are not fetched")
                elif _NESTED[opt] == "-r":
                    self.read(file.parent / value, (file, lineno, line))
                else:
                    self.skipped.append(OptionLine("-c", value, file, lineno))
            elif opt in _EDITABLE:
                self.skipped.append(OptionLine("-e", value, file, lineno))
            elif opt in _GLOBAL_WITH_VALUE:
                if not value:
                    error(f"{opt} needs a value")
                else:
                    self.options.append(OptionLine(_GLOBAL_WITH_VALUE[opt], value, file, lineno))
            elif opt in _GLOBAL_FLAGS and value is None:
                self.options.append(OptionLine(opt, None, file, lineno))
            else:
                error(f"unknown option {opt}")
            return
        self._requirement(file, lineno, line, error)

    def _requirement(
        self, file: Path, lineno: int, line: str, error: Callable[[str], None]
    ) -> None:
        # As pip does: options start at the first word beginning with "-". Quotes in
        # markers must survive, so the requirement part is not shell-split.
        words = line.split()
        cut = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
        spec = " ".join(words[:cut])
        hashes: list[str] = []
        try:
            extra = shlex.split(" ".join(words[cut:]))
        except ValueError as exc:
            error(f"unbalanced quoting ({exc})")
            return
        while extra:
            opt, value, extra = _split_option(extra)
            if opt not in _PER_REQUIREMENT:
                error(f"unknown option {opt}")
                return
            if value is None and extra and not extra[0].startswith("-"):
                value, extra = extra[0], extra[1:]
            if opt == "--hash" and value:
                hashes.append(value)
        if _is_url(spec) and "@" not in spec:
            error("direct URL requirements are not fetched; download the file and scan it")
            return
        if _looks_like_path(spec) and not _is_url(spec):
            local = (file.parent / spec).expanduser()
            if local.exists():
                self.paths.append(PathLine(local, spec, file, lineno))
            else:
                error(f"no such file {local}")
            return
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            error(f"not a requirement ({exc})")
            return
        if req.url:
            error("direct URL requirements are not fetched; download the file and scan it")
            return
        self.requirements.append(RequirementLine(req, spec, file, lineno, tuple(hashes)))


def parse_requirements(path: str | Path) -> ParsedRequirements:
    """Parse a requirements file and the files it includes, collecting every bad line.

    Environment markers are kept but not evaluated: the scanner's interpreter is not the
    one the file will be installed with, so every listed requirement is worth a look.
    """
    parser = _Parser()
    parser.read(Path(path))
    return parser.result()


def resolve_requirements(
    path: str | Path, pypi: PyPISource, local: LocalSource | None = None
) -> Iterator[Artifact | Unresolved]:
    """Artifacts for every line (pins exactly, ranges to the newest match), errors in place."""
    parsed = parse_requirements(path)
    for err in parsed.errors:
        yield Unresolved(f"{err.file}:{err.lineno}", f"{err.reason}: {err.text!r}")
    local = local or LocalSource()
    for entry in parsed.paths:
        try:
            yield from local.resolve(str(entry.path))
        except SourceError as exc:
            yield Unresolved(f"{entry.file}:{entry.lineno}", str(exc))
    seen: set[tuple[str, str]] = set()
    for line in parsed.requirements:
        key = (canonicalize_name(line.requirement.name), str(line.requirement.specifier))
        if key in seen:
            continue
        seen.add(key)
        yield from pypi.resolve_requirement(line.requirement, line.text, parsed.prereleases)
