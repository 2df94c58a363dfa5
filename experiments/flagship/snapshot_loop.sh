#!/usr/bin/env bash
# A run's backup folder keeps only its last weights; this loop copies each
# new backup of every long run into $LONGRUNS/snapshots/NAME_sSEED/ so
# factor_emergence.py can score the run over training. Run it beside the
# runs:  nohup nice -n 19 bash experiments/flagship/snapshot_loop.sh &
# LONGRUNS: the folder run_long.sh writes its runs under [~/longruns].
root=${LONGRUNS:-$HOME/longruns}
while true; do
  for run in "$root"/runs/*/; do
    name=$(basename "$run")
    mkdir -p "$root/snapshots/$name"
    for f in "$run"backup/step-*.weights.h5; do
      [ -f "$f" ] || continue
      dst=$root/snapshots/$name/$(basename "$f")
      # The wait lets a backup being written finish before it is copied.
      [ -f "$dst" ] || { sleep 5; cp "$f" "$dst.tmp" && mv "$dst.tmp" "$dst"; }
    done
  done
  sleep 30
done
