"""Times the archive reader on real dataset samples (read as data via read_password_zip).

Run: ``.venv/bin/python -m tests.archive.bench_archive [--min 80000 --max 150000 -n 60]``.
Not collected by pytest; prints medians so the 1-3 ms per 100 KB sdist target can be checked.
Each sample is opened ``--repeat`` times and the best kept; CPU time (process_time) is shown
beside wall time because a shared machine's load inflates the latter.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from douane.archive import ArchiveError, open_bytes, read_password_zip

DATASET = Path(__file__).resolve().parents[3] / "shared/datasets/pypi-malregistry"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--min", type=int, default=80_000, help="smallest artifact, bytes")
    parser.add_argument("--max", type=int, default=150_000, help="largest artifact, bytes")
    parser.add_argument("-n", type=int, default=60, help="samples to time")
    parser.add_argument("--repeat", type=int, default=5, help="opens per sample (best kept)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with (args.dataset / "manifest.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if args.min <= int(r["size"]) <= args.max]
    random.Random(args.seed).shuffle(rows)
    rows = rows[: args.n]

    unwrap, best, cpu, sizes, members = [], [], [], [], []
    formats: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for row in rows:
        t0 = time.perf_counter()
        name, data = read_password_zip(args.dataset / row["sample"])
        unwrap.append((time.perf_counter() - t0) * 1000)
        runs, cpu_runs = [], []
        for _ in range(args.repeat):
            t1, c1 = time.perf_counter(), time.process_time()
            try:
                opened = open_bytes(data, name)
            except ArchiveError as exc:
                errors[str(exc)[:60]] += 1
                break
            runs.append((time.perf_counter() - t1) * 1000)
            cpu_runs.append((time.process_time() - c1) * 1000)
        if runs:
            best.append(min(runs))
            cpu.append(min(cpu_runs))
            sizes.append(len(data))
            members.append(len(opened.members))
            formats[opened.format] += 1

    def pct(xs: list[float], p: float) -> float:
        return sorted(xs)[round(p * (len(xs) - 1))]

    print(f"samples {len(best)} of {len(rows)} ({dict(formats)}), errors {dict(errors)}")
    print(f"artifact size median {statistics.median(sizes) / 1000:.0f} kB, "
          f"members median {statistics.median(members):.0f}")  # fmt: skip
    print(f"open_bytes wall ms: median {statistics.median(best):.2f}  p90 {pct(best, 0.9):.2f}  "
          f"max {max(best):.2f}")  # fmt: skip
    print(f"open_bytes cpu ms:  median {statistics.median(cpu):.2f}  p90 {pct(cpu, 0.9):.2f}  "
          f"max {max(cpu):.2f}")  # fmt: skip
    print(f"read_password_zip ms: median {statistics.median(unwrap):.2f}  "
          f"p90 {pct(unwrap, 0.9):.2f}  max {max(unwrap):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
