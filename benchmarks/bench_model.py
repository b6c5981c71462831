"""What the trained model adds to a scan: feature extraction + prediction + explanation.

Issue 5 asks that the model add under 1 ms per artifact. This scans real release files (the
benign corpus and dataset samples, read as data) in one process and times, for each
artifact, the scanner's scoring step twice on the same findings: with the shipped model
(features, LightGBM prediction, ``pred_contrib`` explanation) and with the documented rules
weighting that ``--rules-only`` uses, so both figures come from the same run.

``--dump FILE`` writes each artifact's feature dict, score, verdict and explanation as one JSON
line (floats as Python writes them, so two dumps compare bit for bit): how a speed change
proves it left every value alone.

usage: python benchmarks/bench_model.py [--benign N] [--malware N] [--seed S] [--slowest K]
                                        [--dump FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from douane import scanner
from douane.dataset.benign import default_shared_dir
from douane.domain import Artifact
from douane.scanner import ScanOptions, scan_artifact
from douane.scoring import model as model_mod
from douane.scoring.features import features, summarise
from douane.scoring.verdict import rules_score
from douane.sources.config import load_config

DATASET = default_shared_dir() / "datasets" / "pypi-malregistry"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--benign", type=int, default=300)
    ap.add_argument("--malware", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5, help="timings per artifact (min is kept)")
    ap.add_argument("--benign-manifest", type=Path, default=None)
    ap.add_argument("--dataset", type=Path, default=DATASET)
    ap.add_argument("--slowest", type=int, default=0, help="list the K slowest artifacts")
    ap.add_argument("--dump", type=Path, default=None, help="features and scores as JSON lines")
    args = ap.parse_args()
    if model_mod.load() is None:
        raise SystemExit("no model ships (or DOUANE_MODEL_DIR holds none)")
    rnd = random.Random(args.seed)
    arts: list[tuple[Artifact, bytes | None]] = []
    manifest = args.benign_manifest or load_config().cache_dir / "benign" / "manifest.csv"
    if manifest.exists():
        rows = [r for r in csv.DictReader(manifest.open()) if Path(r["path"]).exists()]
        rnd.shuffle(rows)
        arts += [
            (Artifact(path=Path(r["path"]), filename=r["filename"]), None)
            for r in rows[: args.benign]
        ]
    if (args.dataset / "manifest.csv").exists():
        rows = list(csv.DictReader((args.dataset / "manifest.csv").open()))
        rnd.shuffle(rows)
        for r in rows[: args.malware]:
            zp = args.dataset / r["sample"]
            arts.append((Artifact(path=zp, filename=r["filename"], container="password-zip"), None))

    captured: list[tuple] = []
    real = scanner.score_findings

    def capture(findings, context, options):  # type: ignore[no-untyped-def]
        captured.append((list(findings), context, current))
        return real(findings, context, options)

    scanner.score_findings = capture  # type: ignore[assignment]
    options = ScanOptions(time_budget_s=60)
    for art, _ in arts:
        current = art.filename
        scan_artifact(art, options)
    scanner.score_findings = real  # type: ignore[assignment]

    with_model, rules, feats_only, named = [], [], [], []
    dump = args.dump.open("w") if args.dump else None
    for findings, context, filename in captured:
        if context is None:
            continue
        if dump is not None:
            score, verdict, reasons = model_mod.predict(findings, context)
            row = {"filename": filename, "features": features(summarise(findings, context)),
                   "score": score, "verdict": str(verdict), "explanation": list(reasons)}  # fmt: skip
            dump.write(json.dumps(row, sort_keys=True) + "\n")
        m = best_of(args.repeat, model_mod.predict, findings, context)
        r = best_of(args.repeat, rules_score, findings)
        f = best_of(args.repeat, featurise, findings, context)
        with_model.append(m)
        rules.append(r)
        feats_only.append(f)
        named.append((m, f, len(context.files), filename))
    if dump is not None:
        dump.close()
    print(f"{len(with_model)} artifacts scored (of {len(arts)} scanned); per artifact, "
          f"min of {args.repeat} runs")  # fmt: skip
    for clock, label in ((0, "wall-clock time"), (1, "CPU time (without waits for a core)")):
        print(f"{label:34} {'median':>9} {'p99':>9} {'max':>9} {'mean':>9}")
        for step, times in (
            ("model: features+predict+explain", with_model),
            ("  of which feature extraction", feats_only),
            ("rules weighting (--rules-only)", rules),
        ):
            vals = [t[clock] for t in times]
            print(f"{step:34} {statistics.median(vals):7.3f}ms {pct(vals, 0.99):7.3f}ms "
                  f"{max(vals):7.3f}ms {statistics.mean(vals):7.3f}ms")  # fmt: skip
        added = [m[clock] - r[clock] for m, r in zip(with_model, rules, strict=True)]
        print(f"model adds: median {statistics.median(added):.3f} ms, p99 "
              f"{pct(added, 0.99):.3f} ms per artifact (target < 1 ms)")  # fmt: skip
    for m, f, files, filename in sorted(named, reverse=True)[: args.slowest]:
        print(f"  {m[0]:8.3f}ms (CPU {m[1]:.3f}ms; features {f[0]:.3f}ms, CPU {f[1]:.3f}ms) "
              f"{files:6} files  {filename}")  # fmt: skip


def featurise(findings: list, context: object) -> dict[str, float]:
    return features(summarise(findings, context))  # type: ignore[arg-type]


def best_of(repeat: int, step: Callable[..., object], *args: object) -> tuple[float, float]:
    """The fastest of ``repeat`` runs in milliseconds: wall-clock, and this thread's CPU time
    (on a shared machine the second leaves out the time spent waiting for a core)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.thread_time()
        step(*args)
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.thread_time() - c)
    return wall * 1000, cpu * 1000


if __name__ == "__main__":
    main()
