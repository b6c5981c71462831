"""A dying worker costs only the item it was on; the rest of the batch gets real results."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from douane import parallel, scanner
from douane.domain import Artifact, Verdict
from douane.parallel import WORKER_DIED, imap_unordered


def _square_or_die(n: int) -> int:
    if n == 13:
        os._exit(9)  # what an OOM kill or a segfault looks like to the pool
    if n == 7:
        raise ValueError("seven")
    return n * n


def test_dead_worker_costs_one_item_and_exceptions_are_reported():
    outcomes = {o.item: o for o in imap_unordered(_square_or_die, range(40), jobs=2)}
    assert sorted(outcomes) == list(range(40))  # nothing lost
    assert outcomes[13].result is None and outcomes[13].error == WORKER_DIED
    assert outcomes[7].error == "ValueError: seven"
    assert all(outcomes[n].result == n * n for n in range(40) if n not in (7, 13))


class _BreaksOnFifthSubmit(ProcessPoolExecutor):
    """The first pool reports itself broken when asked to take its fifth item.

    That is what a real pool does when a worker died after the last ``wait``: the
    management thread marks it broken before the caller learns of it.
    """

    pools = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).pools += 1
        self._first = type(self).pools == 1
        self._submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self._submitted += 1
        if self._first and self._submitted == 5:
            raise BrokenProcessPool("a child process terminated abruptly")
        return super().submit(fn, *args, **kwargs)


def test_a_pool_that_breaks_while_taking_an_item_loses_nothing(monkeypatch):
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _BreaksOnFifthSubmit)
    outcomes = {o.item: o for o in imap_unordered(_square_or_die, range(20, 60), jobs=2)}
    assert sorted(outcomes) == list(range(20, 60))
    assert all(o.error is None and o.result == o.item**2 for o in outcomes.values())
    assert _BreaksOnFifthSubmit.pools >= 2  # the refused item went to a new pool


def _scan_or_die(artifact: Artifact, options: scanner.ScanOptions) -> object:
    if artifact.filename == "boom.tar.gz":
        os._exit(9)
    return _real_scan(artifact, options)


_real_scan = scanner.scan_artifact


def test_scan_many_survives_a_dead_worker(monkeypatch, tmp_path: Path):
    files = []
    for i in range(6):
        p = tmp_path / f"mod{i}"
        p.mkdir()
        (p / "calc.py").write_text("def add(a, b):\n    return a + b\n")
        files.append(Artifact(path=p, filename=p.name, target=str(p)))
    boom = tmp_path / "boom.tar.gz"
    boom.write_bytes(b"not really")
    files.insert(3, Artifact(path=boom, filename=boom.name, target=str(boom)))
    monkeypatch.setattr(scanner, "scan_artifact", _scan_or_die)
    results = {r.filename: r for r in scanner.scan_many(files, scanner.ScanOptions(), jobs=2)}
    assert len(results) == 7
    assert results["boom.tar.gz"].verdict is Verdict.ERROR
    assert "worker died" in (results["boom.tar.gz"].error or "")
    assert all(results[f"mod{i}"].verdict is Verdict.CLEAN for i in range(6))
