#!/usr/bin/env bash
# Packages a finished long run (run_long.sh) as a flagship model folder:
# the model without optimiser state, SavedModel export, every metric under
# the full protocol, Higgins and MIG under the quick one, traversals
# labelled by factor (PNG and GIF), the latent x factor NMI heatmap and the
# KL of each latent over training, and, when the run's backups were kept
# (snapshot_loop.sh), each factor's NMI over training (factor_emergence.py).
# Each step's wall time -> timing.txt.
# Usage: bash experiments/flagship/package.sh NAME RUN_DIR [SNAPSHOTS
#          [EARLIER_EMERGENCE_JSON]]
#   (SNAPSHOTS defaults to $LONGRUNS/snapshots/NAME, LONGRUNS to
#   ~/longruns; the JSON, for a run continued from another's backup,
#   supplies the earlier steps); it writes saved_models/flagship/NAME.
#   e.g. bash experiments/flagship/package.sh beta_vae_b12_s0 \
#          ~/longruns/runs/beta_vae_b12_s0
# PY: the Python with keras_bvae [the repository's .venv/bin/python].
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
LONGRUNS=${LONGRUNS:-$HOME/longruns}
# The scripts below that load TensorFlow themselves use oneDNN's kernels,
# as the command line does (keras_bvae.onednn).
export TF_ENABLE_ONEDNN_OPTS=${TF_ENABLE_ONEDNN_OPTS:-1}
name=$1; run=$2; snapshots=${3:-$LONGRUNS/snapshots/$1}
continues=(); [ -n "${4:-}" ] && continues=(--continues "$4")
out=saved_models/flagship/$name
[ -f "$run/model.keras" ] || { echo "no $run/model.keras: not finished" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(nproc) cores, $(date -u +%F)" > "$out/timing.txt"
timed() {  # timed LABEL CMD...
  local label=$1; shift
  local start=$SECONDS
  echo "+ $*"
  "$@"
  echo "$label: $((SECONDS - start)) s  ($*)" >> "$out/timing.txt"
}
cp "$run"/{history.csv,config.json,summary.json} "$out"/
# The run's own log: each start/resume and exit with its wall time.
cp "$run/log.txt" "$out/train_log.txt"
# Without the Adam moments (two thirds of the file): load uncompiled, save.
"$PY" - "$run/model.keras" "$out/model.keras" <<'PYEOF'
import sys
import keras
import keras_bvae  # noqa: F401  (registers the model classes)
model = keras.models.load_model(sys.argv[1], compile=False)
model.save(sys.argv[2])
PYEOF
timed export "$PY" -m keras_bvae export "$out"
timed evaluate "$PY" -m keras_bvae evaluate "$out" --protocol full --seed 0 \
  --output "$out/metrics.json"
timed evaluate-quick "$PY" -m keras_bvae evaluate "$out" --protocol quick \
  --metrics beta_vae,mig --seed 0 --output "$out/metrics_quick.json"
timed traverse "$PY" -m keras_bvae traverse "$out" --gif
"$PY" experiments/flagship/plot_kl.py "$out"
if compgen -G "$snapshots/step-*.weights.h5" > /dev/null; then
  timed factor-emergence "$PY" experiments/flagship/factor_emergence.py \
    "$run" "$snapshots" "$out" "${continues[@]}"
fi
