"""How often DOU1107 (first release at a high version) fires on the long tail.

Index queries only, nothing is downloaded: for each long-tail project whose latest release
passes the rule's version test, ask the index how many releases the project has; with one,
that release is the project's first and the rule fires on it. Needs the index
(``DOUANE_INDEX_URL``); run from the repository root.

usage: python benchmarks/first_release_rate.py [--jobs 8]
"""

from __future__ import annotations

import argparse
import csv
from concurrent.futures import ThreadPoolExecutor

from douane.analysis.names import is_high_first_version
from douane.dataset.benign import default_shared_dir
from douane.sources.config import load_config
from douane.sources.pypi import IndexClient


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=8)
    a = ap.parse_args()
    with (default_shared_dir() / "longtail-pypi.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    candidates = [r["name"] for r in rows if is_high_first_version(r["latest_version"])]
    client = IndexClient(load_config())

    def release_count(name: str) -> int | None:
        try:
            return len(client.releases(name, include_yanked=True))
        except Exception:  # noqa: BLE001 - counted as an index error below
            return None

    with ThreadPoolExecutor(a.jobs) as pool:
        counts = dict(zip(candidates, pool.map(release_count, candidates), strict=True))
    fires = sorted(n for n, c in counts.items() if c == 1)
    errors = sum(c is None for c in counts.values())
    print(f"long tail: {len(rows)} projects; latest release passes the version test: "
          f"{len(candidates)}; single-release projects (DOU1107 fires on that release): "
          f"{len(fires)} ({len(fires) / len(rows):.3%}); index errors: {errors}")  # fmt: skip
    print(", ".join(fires))


if __name__ == "__main__":
    main()
