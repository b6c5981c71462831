"""Measures the typosquatting rules' flag rate and cost: popular names, long-tail names, malware names.

Run from the repository root:

    .venv/bin/python benchmarks/typosquat_rate.py [--examples 20] [--malware]

* popular list: every shipped popular name is exempt by design (rate must be 0); the
  leave-one-out rate judges each popular name against the *other* popular names, i.e. how the
  rules would treat that project if it were new today;
* long tail (``../shared/longtail-pypi.tsv``): what an index receives every day; the rate by
  form and tier is the load the rules put on the review queue (only ``strong`` matches reach
  ``suspicious`` on their own);
* malware names (``--malware``, names from the dataset manifest only, no sample is opened):
  the share of known-malicious names the rules recognise as imitations.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from douane.analysis import names as N

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _rate(
    matches: list[tuple[str, N.NameMatch | None]], label: str, examples: int, seed: int
) -> None:
    hits = [(n, m) for n, m in matches if m is not None]
    total = len(matches)
    print(f"\n== {label}: {len(hits)}/{total} flagged ({100 * len(hits) / max(total, 1):.2f}%)")
    by = Counter((m.form.value, m.tier.name.lower()) for _, m in hits)
    for (form, tier), k in sorted(by.items()):
        print(f"   {form:12} {tier:7} {k:6}  ({100 * k / max(total, 1):.3f}%)")
    strong = sum(1 for _, m in hits if m.strong)
    print(f"   strong (suspicious on its own): {strong} ({100 * strong / max(total, 1):.3f}%)")
    if examples and hits:
        rng = random.Random(seed)
        print(f"   {min(examples, len(hits))} examples:")
        for n, m in sorted(rng.sample(hits, min(examples, len(hits)))):
            print(f"     {n:34} ~ {m.target:26} #{m.target_rank:<6} {m.form.value:11} "
                  f"{m.tier.name.lower():6} {m.detail}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--longtail", type=Path, default=SHARED / "longtail-pypi.tsv")
    ap.add_argument("--malware", action="store_true", help="also rate the dataset's malware names")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    idx = N.popular_index()
    build_s = time.perf_counter() - t0
    popular = list(idx.rank)
    print(f"popular list: {len(popular)} names; index built in {build_s * 1000:.0f} ms")

    own = [(n, N.match_name(n)) for n in popular]
    _rate(own, "popular names (shipped list, exempt)", 0, args.seed)
    loo = [(n, N.classify(n, idx, exempt_known=False)) for n in popular]
    _rate(
        loo, "popular names, leave-one-out (vs the other popular names)", args.examples, args.seed
    )

    with args.longtail.open(encoding="utf-8") as fh:
        tail = [row["name"] for row in csv.DictReader(fh, delimiter="\t")]
    N.match_name.cache_clear()
    costs = []
    matches = []
    for n in tail:
        t = time.perf_counter()
        matches.append((n, N.match_name(n)))
        costs.append(time.perf_counter() - t)
    _rate(matches, "long tail", args.examples, args.seed)
    internal = [n for n in tail if N.looks_internal(n)]
    print(f"   DOU1106 internal-looking names: {len(internal)} ({100 * len(internal) / len(tail):.3f}%)"
          f" e.g. {', '.join(internal[:8])}")  # fmt: skip
    q = statistics.quantiles(costs, n=100)
    print(f"   cost per distinct name: median {statistics.median(costs) * 1e6:.0f} µs, "
          f"p99 {q[98] * 1e6:.0f} µs, max {max(costs) * 1e3:.1f} ms")  # fmt: skip

    if args.malware:
        manifest = SHARED / "datasets" / "pypi-malregistry" / "manifest.csv"
        with manifest.open(encoding="utf-8") as fh:
            mal = sorted({row["name"] for row in csv.DictReader(fh)})
        _rate([(n, N.match_name(n)) for n in mal], "malware names (dataset manifest)",
              args.examples, args.seed)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
