#!/usr/bin/env bash
# Copies an unfinished long run's last complete backup (weights, Adam
# moments, step) and its logs into the repository, so that run_long.sh can
# resume it on another machine: commit the folder it prints. Run it while
# the run is paused or between backups (a backup is replaced atomically,
# but the copy takes a moment).
# Usage: bash saved_models/flagship/keep_progress.sh NAME_sSEED
set -euo pipefail
cd "$(dirname "$0")"
run=/work/longruns/runs/$1
[ -f "$run/backup/state.json" ] || { echo "no backup in $run" >&2; exit 2; }
kept=in_progress/$1
rm -rf "$kept"; mkdir -p "$kept"
cp -r "$run/backup" "$kept"/
cp "$run"/{config.json,history.csv,log.txt,train.log} "$kept"/
echo "saved_models/flagship/$kept: step $(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('step'))" "$run/backup/state.json"), $(du -sh "$kept" | cut -f1)"
