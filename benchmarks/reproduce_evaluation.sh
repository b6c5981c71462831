#!/usr/bin/env sh
# Reproduces the evaluation headline from scratch: import + verify the malware dataset,
# download the benign corpus (resumable, cached by hash), evaluate douane, then run
# douane beside GuardDog 3.2.0 on the same files. Nothing from either corpus is run.
#
#   sh benchmarks/reproduce_evaluation.sh [DATASET_DIR] [OUT_DIR]
#
# Environment: JOBS (default 2), TOP (popular projects, 1000), LONGTAIL (long-tail
# projects, 1000), PEER=0 to skip the GuardDog comparison, DOUANE (default: douane on PATH,
# else .venv/bin/douane), PYTHON (default: .venv/bin/python, else python3).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
DATASET=${1:-"$here/../shared/datasets/pypi-malregistry"}
JOBS=${JOBS:-2}
TOP=${TOP:-1000}
LONGTAIL=${LONGTAIL:-1000}
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

step "benign corpus: top $TOP + long tail $LONGTAIL projects"
"$DOUANE" dataset build-benign --top "$TOP" --longtail "$LONGTAIL" --out "$OUT/benign"

step "douane evaluate"
"$DOUANE" evaluate --malicious "$OUT/malicious/manifest.csv" --benign "$OUT/benign/manifest.csv" \
    --out "$OUT/report" --jobs "$JOBS"

if [ "$PEER" != 0 ]; then
    step "douane beside GuardDog 3.2.0 (same files)"
    mkdir -p "$OUT/peer"
    "$PYTHON" "$here/benchmarks/peer_guarddog.py" --malicious "$OUT/malicious/manifest.csv" \
        --benign "$OUT/benign/manifest.csv" --jobs "$JOBS" --out "$OUT/peer" | tee "$OUT/peer/table.txt"
fi
step "done: see $OUT/report/report.md and $OUT/peer/table.txt"
