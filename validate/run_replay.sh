#!/bin/sh
# The formula check: both implementations get the very same samples
# (--replay), so their scores must agree to rounding. Usage:
#   nohup sh validate/run_replay.sh > validate/results/replay.log 2>&1 &
# DLIB_SITE: where disentanglement_lib was installed [~/dlib_site];
# PY: the Python with keras_bvae [.venv/bin/python].
set -e
PY="taskset -c 0 env PYTHONPATH=$(pwd) ${PY:-.venv/bin/python}"
CMP="validate/compare_disentanglement_lib.py --dlib-path ${DLIB_SITE:-$HOME/dlib_site}"
OUT=validate/results/replay.jsonl
echo "start $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(grep -m1 'model name' /proc/cpuinfo)"
for model in beta_vae_b12 vae_b1; do
  echo "== $model $(date -u +%H:%M:%S)"
  $PY $CMP --codes saved_models/$model --replay --seeds 3 --output $OUT \
    --metrics mig,sap,modularity,unsupervised
  $PY $CMP --codes saved_models/$model --replay --seeds 2 --scale 0.2 \
    --metrics dci --output $OUT
done
echo "end $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
