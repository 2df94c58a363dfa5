#!/usr/bin/env bash
# Runs the higgins2017 study with one worker per listed core, each pinned to
# its core with one TensorFlow thread (two one-thread workers trained 1.2x
# the steps per second of one two-thread run on a 2-core Xeon: README).
# Rerun the same line after a stop or on another machine with the same
# study folder: finished runs are skipped, interrupted ones resume.
#
# Usage: bash experiments/higgins2017/run_workers.sh [STUDY_DIR] [CORES]
#   STUDY_DIR  the study folder (default: runs/higgins2017)
#   CORES      comma-separated cores, a worker each (default: 0,1)
# Environment: PYTHON (default: .venv/bin/python), PART (default: table),
#   NICE (default: 10).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-runs/higgins2017}
cores=${2:-0,1}
python=${PYTHON:-$repo/.venv/bin/python}
mkdir -p "$out"
log="$out/workers.log"
for core in ${cores//,/ }; do
  (
    echo "$(date -u +%FT%TZ) worker on core $core starts at" \
      "$(git -C "$repo" rev-parse --short HEAD)" >> "$log"
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 PYTHONPATH=$repo \
      nice -n "${NICE:-10}" taskset -c "$core" "$python" -m keras_bvae \
      reproduce higgins2017 --out "$out" --part "${PART:-table}" \
      --verbose 2 >> "$out/worker$core.log" 2>&1
    echo "$(date -u +%FT%TZ) worker on core $core exit $?" >> "$log"
  ) &
  sleep 20  # the next worker finds this one's claim and takes another run
done
wait
