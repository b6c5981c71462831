"""Process pools that survive a dying worker.

A worker can die outright while reading a hostile or huge artifact: the kernel's OOM killer,
a segfault in a C extension (the parser, zlib, LightGBM). ``ProcessPoolExecutor`` then
marks the whole pool broken and fails every artifact in flight *and* every one submitted
later, so one bad upload would end a night's batch as thousands of errors. Here the pool
is rebuilt, and each artifact that was in flight is run again alone in a fresh one-worker
pool: the one that kills its worker again is reported as lost (with the reason), every
other one gets its real result. Nothing is dropped and nothing is silently clean.

This module knows nothing about artifacts, so the scanner, the evaluation harness and the
trainer share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

WORKER_DIED = "worker died (killed or crashed) while on this item; retried alone, died again"


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T, R]):
    """One item's fate: its result, or why there is none (``error``)."""

    item: T
    result: R | None = None
    error: str | None = None


def _alone(fn: Callable[[T], R], item: T, initializer: Callable[[], None] | None) -> Outcome:
    with ProcessPoolExecutor(max_workers=1, initializer=initializer) as pool:
        try:
            return Outcome(item, pool.submit(fn, item).result())
        except BrokenProcessPool:
            return Outcome(item, error=WORKER_DIED)
        except Exception as exc:  # noqa: BLE001 - reported, never lost
            return Outcome(item, error=f"{type(exc).__name__}: {exc}")


def imap_unordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    jobs: int,
    *,
    initializer: Callable[[], None] | None = None,
    in_flight_per_job: int = 4,
) -> Iterator[Outcome]:
    """``fn`` over ``items`` in ``jobs`` processes; outcomes arrive as they finish.

    Items are pulled lazily (a million-file batch is never all in memory). An exception
    raised by ``fn`` becomes that item's ``error``; a dead worker is handled as the module
    docstring says.
    """
    source = iter(items)
    exhausted = False
    unsent: list[T] = []  # pulled, but the pool broke before it would take them
    while True:
        pending: dict[Future, T] = {}
        broken = False
        with ProcessPoolExecutor(max_workers=jobs, initializer=initializer) as pool:
            while True:
                while not broken and len(pending) < jobs * in_flight_per_job:
                    if unsent:
                        item = unsent.pop()
                    elif exhausted:
                        break
                    else:
                        try:
                            item = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                    try:
                        pending[pool.submit(fn, item)] = item
                    except BrokenProcessPool:
                        # The pool learns of a dead worker on its own thread, so it can
                        # break between ``wait`` and here: this item never ran, so it
                        # goes to the next pool like any other, not to the suspects.
                        unsent.append(item)
                        broken = True
                if broken and not pending:
                    break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue  # stays in ``pending``: a suspect, run again alone below
                    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
                        yield Outcome(pending.pop(fut), error=f"{type(exc).__name__}: {exc}")
                        continue
                    yield Outcome(pending.pop(fut), result)
                if broken:
                    break
        for item in pending.values():
            yield _alone(fn, item, initializer)
