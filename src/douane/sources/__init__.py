"""Where artifacts come from: local files and folders, a package index, requirements files."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

from douane.domain import Artifact
from douane.sources.config import SourceConfig, load_config
from douane.sources.interface import Source, SourceError, Unresolved
from douane.sources.local import LocalSource
from douane.sources.pypi import IndexClient, PyPISource, is_index_target
from douane.sources.requirements import resolve_requirements

__all__ = [
    "IndexClient",
    "LocalSource",
    "PyPISource",
    "Source",
    "SourceConfig",
    "SourceError",
    "Unresolved",
    "load_config",
    "resolve_targets",
]

log = logging.getLogger(__name__)


def resolve_targets(
    targets: Iterable[str],
    requirements_files: Iterable[str | Path] = (),
    index_url: str | None = None,
    *,
    json_api_url: str | None = None,
    cache_dir: str | Path | None = None,
    client: IndexClient | None = None,
    max_bytes: int | None = None,
    with_previous: bool = False,
) -> Iterator[Artifact | Unresolved]:
    """Every artifact the user asked for, with an :class:`Unresolved` in place of each failure.

    Paths win over names (a folder called ``requests`` is scanned, not downloaded). The
    index client is only created when a target needs it, so local scans never touch the
    network. Nothing here raises for bad input: the CLI reports each ``Unresolved`` as an
    ``error`` result and carries on.
    """
    with ExitStack() as stack:
        local = LocalSource()
        pypi: PyPISource | None = None

        def index() -> PyPISource:
            nonlocal pypi
            if pypi is None:
                own = client
                if own is None:
                    own = IndexClient(load_config(index_url, json_api_url, cache_dir))
                    stack.callback(own.close)
                pypi = PyPISource(own, max_bytes=max_bytes, with_previous=with_previous)
            return pypi

        def guarded(target: str, items: Iterator[Artifact | Unresolved]):
            try:
                yield from items
            except SourceError as exc:
                yield Unresolved(target, str(exc))
            except Exception as exc:  # a bug must become an error result, not a lost run
                log.exception("resolving %s failed", target)
                yield Unresolved(target, f"internal error: {type(exc).__name__}: {exc}")

        for target in targets:
            if local.handles(target):
                yield from guarded(target, local.resolve(target))
            elif is_index_target(target):
                yield from guarded(target, index().resolve_outcomes(target))
            else:
                yield Unresolved(
                    target,
                    "not an existing file or folder, nor a NAME or NAME==VERSION requirement",
                )
        for req_file in requirements_files:
            name = f"-r {req_file}"
            yield from guarded(name, resolve_requirements(req_file, index(), local))
