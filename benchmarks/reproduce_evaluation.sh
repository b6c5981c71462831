#!/usr/bin/env sh
# Reproduces the evaluation headline from scratch: import + verify the malware dataset,
# download the benign corpus (resumable, cached by hash), evaluate douane, then run
# douane beside GuardDog 3.2.0 on the same files. Nothing from either corpus is run.
#
#   sh benchmarks/reproduce_evaluation.sh [DATASET_DIR] [OUT_DIR]
#
# Environment: JOBS (default 2); the benign corpus is by default the held-out releases named
# in benchmarks/heldout-benign.csv (2,492 projects: popular ranks 1,001-2,000 and long-tail
# projects outside the shipped model's training corpus); TOP and LONGTAIL (popular and
# long-tail project counts) build a fresh corpus instead; PEER=0 skips the GuardDog
# comparison (a seeded subset: benchmarks/peer_subset.py, sized by PEER_MALWARE, PEER_POPULAR
# and PEER_LONGTAIL, default 1000/400/600: GuardDog costs ~1 s per file); DOUANE (default: douane on
# PATH, else .venv/bin/douane), PYTHON (default: .venv/bin/python, else python3).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
DATASET=${1:-"$here/../shared/datasets/pypi-malregistry"}
JOBS=${JOBS:-2}
PEER=${PEER:-1}
if [ -z "${DOUANE:-}" ]; then
    if [ -x "$here/.venv/bin/douane" ]; then DOUANE="$here/.venv/bin/douane"; else DOUANE=douane; fi
fi
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$here/.venv/bin/python" ]; then PYTHON="$here/.venv/bin/python"; else PYTHON=python3; fi
fi
OUT=${2:-$("$PYTHON" -c 'from douane.sources.config import cache_dir; print(cache_dir() / "eval" / "headline")')}

mkdir -p "$OUT"
start=$(date +%s)
step() { echo "== $1 ($(( $(date +%s) - start ))s)" >&2; }

step "import and verify malware from $DATASET"
"$DOUANE" dataset import-malicious "$DATASET" --out "$OUT/malicious" --jobs "$JOBS"

if [ -n "${TOP:-}${LONGTAIL:-}" ]; then
    step "benign corpus: top ${TOP:-1000} + long tail ${LONGTAIL:-1000} projects"
    "$DOUANE" dataset build-benign --top "${TOP:-1000}" --longtail "${LONGTAIL:-1000}" --out "$OUT/benign"
else
    step "benign corpus: the held-out releases of benchmarks/heldout-benign.csv"
    "$DOUANE" dataset build-benign --projects "$here/benchmarks/heldout-benign.csv" --out "$OUT/benign"
fi

step "douane evaluate"
"$DOUANE" evaluate --malicious "$OUT/malicious/manifest.csv" --benign "$OUT/benign/manifest.csv" \
    --out "$OUT/report" --jobs "$JOBS"

if [ "$PEER" != 0 ]; then
    step "douane beside GuardDog 3.2.0 (same files)"
    mkdir -p "$OUT/peer"
    "$PYTHON" "$here/benchmarks/peer_subset.py" "$OUT/malicious/manifest.csv" \
        "$OUT/benign/manifest.csv" "$OUT/peer" --malware-n "${PEER_MALWARE:-1000}" \
        --popular "${PEER_POPULAR:-400}" --longtail "${PEER_LONGTAIL:-600}"
    # douane's outcomes on the subset come from the evaluation above (same files, same run)
    "$PYTHON" "$here/benchmarks/peer_guarddog.py" --malicious "$OUT/peer/peer-malicious.csv" \
        --benign "$OUT/peer/peer-benign.csv" --jobs "$JOBS" --out "$OUT/peer" \
        --douane-results "$OUT/report/results.jsonl" | tee "$OUT/peer/table.txt"
fi
step "done: see $OUT/report/report.md and $OUT/peer/table.txt"
