#!/bin/sh
# Full-protocol DCI (10,000 train, 5,000 test codes) of both implementations
# on both saved models, seeds 0-1, independent samples: the part of
# run_full.sh that did not finish on a shared core. Builds the code tables
# first if validate/cache/ lacks them. CORE and OUT (JSON lines) may be
# set in the environment. Usage, from the repository root:
#   nohup sh validate/run_dci_full.sh > validate/results/dci_full.log 2>&1 &
# DLIB_SITE: where disentanglement_lib was installed [~/dlib_site];
# PY: the Python with keras_bvae [.venv/bin/python].
set -e
CORE=${CORE:-0}
PY="taskset -c $CORE env PYTHONPATH=$(pwd) .venv/bin/python"
CMP="validate/compare_disentanglement_lib.py --dlib-path ${DLIB_SITE:-$HOME/dlib_site}"
OUT=${OUT:-validate/results/dci_full.jsonl}
echo "start $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(grep -m1 'model name' /proc/cpuinfo), core $CORE"
for seed in 0 1; do
  for model in beta_vae_b12 vae_b1; do
    echo "== $model dci seed $seed $(date -u +%H:%M:%S)"
    $PY $CMP --codes saved_models/$model --seeds 1 --first-seed $seed \
      --metrics dci --output $OUT
  done
done
echo "end $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
