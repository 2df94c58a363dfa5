#!/usr/bin/env bash
# Flagship long runs (issue 17). Resumable: rerun the same line after an
# interruption and training continues from OUT/backup.
# Usage: bash /work/longruns/run_long.sh NAME SEED CORE -- EXTRA TRAIN FLAGS
set -uo pipefail
name=$1; seed=$2; core=$3; shift 4
out=/work/longruns/runs/${name}_s${seed}
mkdir -p "$out"
cd /work/longruns/wt
start=$(date +%s)
echo "$(date -u +%FT%TZ) start/resume: taskset -c $core venv/bin/python -m keras_bvae train --output-dir $out --architecture burgess --latent-dim 10 --epochs 150 --steps-per-epoch 1000 --seed $seed --backup-every 2000 --verbose 2 $*" >> "$out/log.txt"
taskset -c "$core" /work/longruns/venv/bin/python -m keras_bvae train \
  --output-dir "$out" --architecture burgess --latent-dim 10 \
  --epochs 150 --steps-per-epoch 1000 --seed "$seed" --backup-every 2000 \
  --verbose 2 "$@" >> "$out/train.log" 2>&1
rc=$?
echo "$(date -u +%FT%TZ) exit $rc after $(( $(date +%s) - start )) s" >> "$out/log.txt"
