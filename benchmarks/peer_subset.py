"""The files GuardDog is run on: a seeded subset, because GuardDog costs ~1–5 s per file.

GuardDog starts one CLI process per file, so running it on every dataset sample takes
hours on 2 cores; douane's own evaluation (``douane evaluate``) covers everything. This
writes two manifests for ``peer_guarddog.py``: malware first seen on or after ``--since``
(newer malware, which the time-split model never trained on), and a stratified benign
subset (popular and long tail), each drawn from one seeded shuffle.

usage: python benchmarks/peer_subset.py MALWARE_MANIFEST BENIGN_MANIFEST OUT_DIR
           [--since 2024-08-01] [--malware 1000] [--popular 400] [--longtail 600] [--seed 42]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("malware", type=Path)
    ap.add_argument("benign", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--since", default="2024-08-01")
    ap.add_argument("--malware-n", "--malware-count", dest="n_mal", type=int, default=1000)
    ap.add_argument("--popular", type=int, default=400)
    ap.add_argument("--longtail", type=int, default=600)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    with a.malware.open(newline="") as handle:
        mal = list(csv.DictReader(handle))
    newer = [r for r in mal if r["first_seen"] >= a.since]
    rnd.shuffle(newer)
    chosen = sorted(newer[: a.n_mal], key=lambda r: r["sha256"])
    with a.benign.open(newline="") as handle:
        ben = list(csv.DictReader(handle))
    ben.sort(key=lambda r: r["sha256"])  # download order varies from run to run
    pop = [r for r in ben if r["stratum"] == "popular"]
    tail = [r for r in ben if r["stratum"] == "longtail"]
    rnd.shuffle(pop)
    rnd.shuffle(tail)
    benign = pop[: a.popular] + tail[: a.longtail]
    a.out.mkdir(parents=True, exist_ok=True)
    for name, rows, fields in (("peer-malicious.csv", chosen, mal[0].keys()),
                               ("peer-benign.csv", benign, ben[0].keys())):  # fmt: skip
        with (a.out / name).open("w", newline="") as handle:
            w = csv.DictWriter(handle, fieldnames=list(fields))
            w.writeheader()
            w.writerows(rows)
    print(f"{a.out / 'peer-malicious.csv'}: {len(chosen)} of {len(newer)} samples first seen "
          f">= {a.since}; {a.out / 'peer-benign.csv'}: {len(benign)} benign files")  # fmt: skip


if __name__ == "__main__":
    main()
