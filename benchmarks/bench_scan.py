"""Scan speed and memory on real release files, against a naive baseline measured in the same run.

The baseline is what a scanner without a prefilter pays: decompress every member and
``ast.parse`` every ``.py`` file. douane must beat it while doing all its rules. Targets
(issue 3): median ≤ 30 ms and p99 ≤ 2 s per benign release file, peak RSS ≤ 500 MB per
worker, and ≥ 10× GuardDog's throughput (see ``peer_guarddog.py`` for the measured peer).

usage: python benchmarks/bench_scan.py [--benign N] [--malware N] [--seed S] [--slowest K]
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import random
import resource
import statistics
import tarfile
import time
import warnings
import zipfile
from pathlib import Path

from douane.archive import read_password_zip
from douane.dataset.benign import default_shared_dir
from douane.domain import Artifact
from douane.scanner import ScanOptions, scan_artifact
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--benign", type=int, default=1000)
    ap.add_argument("--malware", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--benign-manifest", type=Path, default=None)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--slowest", type=int, default=0, help="list the K slowest files of each set")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    manifest = args.benign_manifest or load_config().cache_dir / "benign" / "manifest.csv"
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
    scan_artifact(Artifact(path=Path(__file__), filename="warmup.py"), options)  # load rules
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
