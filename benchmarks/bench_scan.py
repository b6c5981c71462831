"""Scan speed and memory on real release files, against a naive baseline measured in the same run.

The baseline is what a scanner without a prefilter pays: decompress every member and
``ast.parse`` every ``.py`` file. douane must beat it while doing all its rules. Targets
(issue 3): median ≤ 30 ms and p99 ≤ 2 s per benign release file, peak RSS ≤ 500 MB per
worker, and ≥ 10× GuardDog's throughput (see ``peer_guarddog.py`` for the measured peer).

``--memory K`` measures the per-worker figure instead: the K largest files of each set (by
file size, and by unpacked size where the container says it cheaply) are scanned one per
freshly spawned child that loaded rules, names and model first, as a worker does. Each
child's peak RSS (``VmHWM``: ``ru_maxrss`` of a spawned child can carry its parent's peak
over ``exec``) is reported beside the peak of an idle child that loaded everything but
scanned nothing, measured in the same run.

usage: python benchmarks/bench_scan.py [--benign N] [--malware N] [--seed S] [--slowest K]
                                       [--memory K [--memory-budget S]]
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import multiprocessing
import random
import resource
import statistics
import tarfile
import time
import warnings
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from douane.archive import read_password_zip
from douane.dataset.benign import default_shared_dir
from douane.domain import Artifact
from douane.scanner import ScanOptions, scan_artifact
from douane.scanner import _worker_init as worker_init
from douane.sources.config import load_config

DATASET = default_shared_dir() / "datasets" / "pypi-malregistry"


def naive_baseline(data: bytes) -> None:
    """Decompress every member and parse every .py: the cost without a prefilter."""
    texts = []
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    b = zf.read(info)
                    if info.filename.endswith(".py"):
                        texts.append(b)
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|*") as tf:
            for m in tf:
                if m.isfile():
                    f = tf.extractfile(m)
                    b = f.read() if f else b""
                    if m.name.endswith(".py"):
                        texts.append(b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in texts:
            try:
                ast.parse(t)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


MiB = 2**20
UNPACK_PROBE = 400  # malware samples whose unpacked size is probed (largest files first)


def peak_rss_mb() -> float:
    """This process's peak resident set in MB: ``VmHWM`` of its own address space, which
    ``exec`` starts afresh, else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def unpacked_size(data: bytes) -> int:
    """What the container declares unpacked (a zip's directory, a gzip's trailer), else the
    file size; only to rank files, never trusted by the scanner."""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return sum(i.file_size for i in zf.infolist())
        except Exception:  # noqa: BLE001 - a ranking probe on hostile bytes
            return len(data)
    if data[:2] == b"\x1f\x8b" and len(data) > 4:
        return max(int.from_bytes(data[-4:], "little"), len(data))  # size mod 4 GiB
    return len(data)


@dataclass(frozen=True)
class Candidate:
    artifact: Artifact
    size: int
    unpacked: int


def memory_candidates(manifest: Path, dataset: Path, k: int) -> dict[str, list[Candidate]]:
    """The k largest files of each set by file size, plus the k largest by unpacked size."""
    found: dict[str, list[Candidate]] = {"benign": [], "malware": []}
    if manifest.exists():
        for r in csv.DictReader(manifest.open()):
            p = Path(r["path"])
            if p.exists():
                art = Artifact(path=p, filename=r["filename"])
                found["benign"].append(Candidate(art, p.stat().st_size, 0))
        found["benign"] = [
            Candidate(c.artifact, c.size, unpacked_size(c.artifact.path.read_bytes()))
            for c in found["benign"]
        ]
    if (dataset / "manifest.csv").exists():
        rows = list(csv.DictReader((dataset / "manifest.csv").open()))
        rows.sort(key=lambda r: -int(r["size"] or 0))
        seen: set[Path] = set()
        for r in rows[: max(UNPACK_PROBE, k)]:
            zp = dataset / r["sample"]
            if zp in seen:
                continue
            seen.add(zp)
            try:
                _, data = read_password_zip(zp)
            except Exception:  # noqa: BLE001 - the scan reports it; ranking skips it
                continue
            art = Artifact(path=zp, filename=r["filename"], container="password-zip")
            found["malware"].append(Candidate(art, len(data), unpacked_size(data)))
    out = {}
    for name, items in found.items():
        by_size = sorted(items, key=lambda c: -c.size)[:k]
        by_unpacked = sorted(items, key=lambda c: -c.unpacked)[:k]
        chosen = {c.artifact.path: c for c in [*by_size, *by_unpacked]}
        out[name] = list(chosen.values())
    return out


def _memory_child(
    artifact: Artifact | None, rules_only: bool, budget: float
) -> tuple[float, float, dict]:
    """In a fresh process: load what a worker loads, then scan one artifact (or nothing).
    Returns the peak RSS before and after the scan (MB) and what the scan said."""
    from douane.scanner import _worker_init

    _worker_init()
    idle = peak_rss_mb()
    if artifact is None:
        return idle, idle, {}
    r = scan_artifact(artifact, ScanOptions(rules_only=rules_only, time_budget_s=budget))
    return idle, peak_rss_mb(), {"ms": r.elapsed_ms, "error": r.error, "n": len(r.findings)}


def in_child(
    artifact: Artifact | None, rules_only: bool, budget: float = 0
) -> tuple[float, float, dict]:
    """Run :func:`_memory_child` in a spawned process of its own (nothing inherited)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        try:
            return pool.submit(_memory_child, artifact, rules_only, budget).result()
        except BrokenProcessPool:
            return float("nan"), float("nan"), {"error": "child died"}


def memory_report(manifest: Path, dataset: Path, k: int, budget: float, worst: int = 10) -> None:
    """Per-artifact peak RSS of a worker on the largest files, against an idle worker."""
    candidates = memory_candidates(manifest, dataset, k)
    for mode, rules_only in (("rules", True), ("model", False)):
        idle, _, _ = in_child(None, rules_only)
        print(f"\nmemory, {mode}: idle worker (rules, names, model loaded) peak {idle:.0f} MB; "
              f"time budget {budget:.0f} s, so a slow scan ends rather than stops early")  # fmt: skip
        print(f"{'set':8} {'n':>4} {'max peak':>9} {'p99 peak':>9} {'max delta':>10} "
              f"{'p99 delta':>10} {'> 500 MB':>8} {'errors':>6}")  # fmt: skip
        rows = []
        for name, items in candidates.items():
            if not items:
                print(f"{name:8} (none available)")
                continue
            peaks, deltas, errors = [], [], 0
            for c in items:
                _, peak, said = in_child(c.artifact, rules_only, budget)
                peaks.append(peak)
                deltas.append(peak - idle)
                errors += bool(said.get("error"))
                rows.append((peak, peak - idle, name, c, said))
            print(f"{name:8} {len(items):4} {max(peaks):7.0f}MB {pct(peaks, 0.99):7.0f}MB "
                  f"{max(deltas):8.0f}MB {pct(deltas, 0.99):8.0f}MB "
                  f"{sum(p > 500 for p in peaks):8} {errors:6}")  # fmt: skip
        print(f"  worst {worst}: {'peak':>6} {'delta':>6} {'file':>7} {'unpacked':>8} "
              f"{'scan':>7}  set      file")  # fmt: skip
        for peak, delta, name, c, said in sorted(rows, key=lambda r: -r[0])[:worst]:
            note = f"  ({said['error']})" if said.get("error") else ""
            print(f"  {'':9}{peak:5.0f}M {delta:5.0f}M {c.size / MiB:6.1f}M "
                  f"{c.unpacked / MiB:7.1f}M {said.get('ms', 0):6.0f}ms  {name:8} "
                  f"{c.artifact.filename}{note}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--benign", type=int, default=1000)
    ap.add_argument("--malware", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--benign-manifest", type=Path, default=None)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--slowest", type=int, default=0, help="list the K slowest files of each set")
    ap.add_argument("--memory", type=int, default=0, metavar="K",
                    help="per-worker peak RSS on the K largest files of each set, then stop")  # fmt: skip
    ap.add_argument("--memory-budget", type=float, default=1800.0, metavar="S",
                    help="time budget of each --memory scan (a scan stopped early understates)")  # fmt: skip
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    manifest = args.benign_manifest or load_config().cache_dir / "benign" / "manifest.csv"
    if args.memory:
        memory_report(manifest, args.dataset, args.memory, args.memory_budget)
        return
    sets: dict[str, list[tuple[Artifact, bytes]]] = {"benign": [], "malware": []}
    if manifest.exists():
        rows = [r for r in csv.DictReader(manifest.open()) if Path(r["path"]).exists()]
        rnd.shuffle(rows)
        for r in rows[: args.benign]:
            p = Path(r["path"])
            sets["benign"].append((Artifact(path=p, filename=r["filename"]), p.read_bytes()))
    if (args.dataset / "manifest.csv").exists():
        rows = list(csv.DictReader((args.dataset / "manifest.csv").open()))
        rnd.shuffle(rows)
        for r in rows[: args.malware]:
            zp = args.dataset / r["sample"]
            _, data = read_password_zip(zp)
            art = Artifact(path=zp, filename=r["filename"], container="password-zip")
            sets["malware"].append((art, data))
    options = ScanOptions(rules_only=True)
    worker_init()  # what a scanning worker does first: rules, names, model, collector settings
    print(f"{'set':8} {'n':>5} {'douane med':>11} {'p99':>9} {'max':>9} {'mean':>8} "
          f"{'naive med':>10} {'naive mean':>10} {'mean ratio':>10} {'errors':>6}")  # fmt: skip
    for name, items in sets.items():
        if not items:
            print(f"{name:8} (none available)")
            continue
        ours, base, errors, named = [], [], 0, []
        for art, data in items:
            t = time.perf_counter()
            try:
                naive_baseline(data)
            except Exception:  # noqa: BLE001 - the baseline may choke on hostile files
                pass
            base.append((time.perf_counter() - t) * 1000)
            r = scan_artifact(art, options)
            ours.append(r.elapsed_ms)  # excludes decrypting a dataset sample's password zip
            named.append((r.elapsed_ms, art.filename))
            errors += r.error is not None
        print(
            f"{name:8} {len(items):5} {statistics.median(ours):9.1f}ms {pct(ours, 0.99):7.0f}ms "
            f"{max(ours):7.0f}ms {statistics.mean(ours):6.1f}ms {statistics.median(base):8.1f}ms "
            f"{statistics.mean(base):8.1f}ms {statistics.mean(base) / statistics.mean(ours):9.2f}x "
            f"{errors:6}"
        )
        for ms, filename in sorted(named, reverse=True)[: args.slowest]:
            print(f"  {ms:9.0f}ms {filename}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (whole benchmark process, files held in memory)")


if __name__ == "__main__":
    main()
