#!/usr/bin/env bash
# Copies an unfinished long run's last complete backup (weights, Adam
# moments, step) and its logs into the repository, so that run_long.sh can
# resume it on another machine: commit the folder it prints. Run it while
# the run is paused or between backups (a backup is replaced atomically,
# but the copy takes a moment).
# Snapshots (snapshot_loop.sh) do not outlive the machine, so it also scores
# this machine's snapshots with factor_emergence.py, continuing the kept
# factor_emergence.json: the run's NMI over training so far travels with it
# (package.sh takes that JSON as its 4th argument).
# Usage: bash experiments/flagship/keep_progress.sh NAME_sSEED
# Environment: LONGRUNS, the folder run_long.sh writes under [~/longruns];
#   PY, the Python with keras_bvae [the repository's .venv/bin/python].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
PY=${PY:-.venv/bin/python}
# Score with oneDNN's kernels, as the command line does (keras_bvae.onednn).
export TF_ENABLE_ONEDNN_OPTS=${TF_ENABLE_ONEDNN_OPTS:-1}
LONGRUNS=${LONGRUNS:-$HOME/longruns}
run=$LONGRUNS/runs/$1
snapshots=$LONGRUNS/snapshots/$1
[ -f "$run/backup/state.json" ] || { echo "no backup in $run" >&2; exit 2; }
kept=saved_models/flagship/in_progress/$1
earlier=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -f "$kept/factor_emergence.json" ]; then
  cp "$kept/factor_emergence.json" "$tmp/emergence.json"
  # The snapshots up to its last step were scored when it was kept.
  earlier=(--continues "$tmp/emergence.json" --new-only)
fi
rm -rf "$kept"; mkdir -p "$kept"
cp -r "$run/backup" "$kept"/
# A run in progress keeps config.json and history.csv in backup/ (copied
# above); runs of older versions keep them beside it.
for name in config.json history.csv log.txt train.log; do
  [ ! -f "$run/$name" ] || cp "$run/$name" "$kept"/
done
# Without new snapshots to score (or if scoring fails) the kept JSON stays.
if ! { compgen -G "$snapshots/step-*.weights.h5" > /dev/null &&
       "$PY" "$here/factor_emergence.py" "$run" "$snapshots" "$kept" \
         "${earlier[@]}"; } &&
   [ ${#earlier[@]} -gt 0 ]; then
  cp "$tmp/emergence.json" "$kept/factor_emergence.json"
fi
echo "$kept: step $(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('step'))" "$kept/backup/state.json"), $(du -sh "$kept" | cut -f1)"
