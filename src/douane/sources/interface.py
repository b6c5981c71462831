"""The one interface every artifact source (local path, PyPI, later npm) implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from douane.domain import Artifact


class SourceError(Exception):
    """A target could not be resolved or fetched; the message is shown to the user as is."""


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A target (or one file of it) that yielded no artifact, and why.

    Passed on instead of raised so the caller can report it as an ``error`` result next to
    the targets that did resolve: one bad line must not hide the rest of a run.
    """

    target: str
    reason: str


class Source(Protocol):
    """Turns a user's target string into local artifacts ready to open.

    ``handles`` says whether this source understands the target; ``resolve`` yields one
    :class:`Artifact` per release file, downloaded and hash-checked where remote.
    """

    def handles(self, target: str) -> bool: ...

    def resolve(self, target: str) -> Iterator[Artifact]: ...
