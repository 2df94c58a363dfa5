#!/usr/bin/env bash
# Re-creates the trained models in saved_models/ on the procedural dSprites
# simulator: train, export a SavedModel, score every metric (full protocol).
# Usage: bash saved_models/reproduce.sh [NAME ...]   (default: all models)
# Each step's wall time goes to saved_models/NAME/timing.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
STEPS_PER_EPOCH=${STEPS_PER_EPOCH:-1000}
EPOCHS=${EPOCHS:-30}

declare -A BETA=([beta_vae_b4]=4 [vae_b1]=1)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(beta_vae_b4 vae_b1)

timed() {  # timed NAME LABEL CMD...
  local name=$1 label=$2; shift 2
  local start=$SECONDS
  echo "+ $*"
  "$@"
  echo "$label: $((SECONDS - start)) s  ($*)" >> "saved_models/$name/timing.txt"
}

for name in "${names[@]}"; do
  out=saved_models/$name
  rm -rf "$out"; mkdir -p "$out"
  echo "machine: $(nproc) cores, $(date -u +%F)" > "$out/timing.txt"
  timed "$name" train "$PY" -m keras_bvae train --output-dir "$out" \
    --architecture burgess --latent-dim 10 --beta "${BETA[$name]}" \
    --epochs "$EPOCHS" --steps-per-epoch "$STEPS_PER_EPOCH" --seed 0 \
    --verbose 2
  timed "$name" export "$PY" -m keras_bvae export "$out"
  timed "$name" evaluate "$PY" -m keras_bvae evaluate "$out" \
    --protocol full --seed 0 --output "$out/metrics.json"
done
