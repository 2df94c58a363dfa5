#!/usr/bin/env bash
# Flagship long runs (issue 17). Resumable: rerun the same line after an
# interruption and training continues from OUT/backup. On a new machine
# (no OUT yet) it first copies the run's last state kept in the repository
# (saved_models/flagship/in_progress/NAME_sSEED, see keep_progress.sh), so
# a run outlives the machine it started on.
# Usage: bash experiments/flagship/run_long.sh NAME SEED CORE -- EXTRA FLAGS
# Environment (defaults in brackets):
#   LONGRUNS  folder of the runs, snapshots, worktree and venv [~/longruns]
#   WT        the worktree of a fixed commit to train with [$LONGRUNS/wt]
#   VENV      the venv with that worktree installed [$LONGRUNS/venv]
#   REPO      the repository holding in_progress/ [this script's repository]
set -uo pipefail
name=$1; seed=$2; core=$3; shift 4
LONGRUNS=${LONGRUNS:-$HOME/longruns}
WT=${WT:-$LONGRUNS/wt}
VENV=${VENV:-$LONGRUNS/venv}
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$LONGRUNS/runs/${name}_s${seed}
kept=$REPO/saved_models/flagship/in_progress/${name}_s${seed}
if [ ! -d "$out/backup" ] && [ -d "$kept/backup" ]; then
  mkdir -p "$out" && cp -r "$kept"/. "$out"/
  echo "$(date -u +%FT%TZ) restored from $kept" >> "$out/log.txt"
fi
mkdir -p "$out"
# TF keeps its oneDNN kernels off on CPUs without AVX-512 VNNI/BF16 or AMX
# (e.g. an AVX2 EPYC), where they train this model 1.57x faster
# (benchmarks/README.md); as the command line does, unset means on.
export TF_ENABLE_ONEDNN_OPTS=${TF_ENABLE_ONEDNN_OPTS:-1}
cd "$WT"
start=$(date +%s)
echo "$(date -u +%FT%TZ) start/resume: TF_ENABLE_ONEDNN_OPTS=$TF_ENABLE_ONEDNN_OPTS taskset -c $core venv/bin/python -m keras_bvae train --output-dir $out --architecture burgess --latent-dim 10 --epochs 150 --steps-per-epoch 1000 --seed $seed --backup-every 2000 --verbose 2 $*" >> "$out/log.txt"
taskset -c "$core" "$VENV/bin/python" -m keras_bvae train \
  --output-dir "$out" --architecture burgess --latent-dim 10 \
  --epochs 150 --steps-per-epoch 1000 --seed "$seed" --backup-every 2000 \
  --verbose 2 "$@" >> "$out/train.log" 2>&1
rc=$?
echo "$(date -u +%FT%TZ) exit $rc after $(( $(date +%s) - start )) s" >> "$out/log.txt"
