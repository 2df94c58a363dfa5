#!/bin/sh
# Companion of run_full.sh (run beside it, on the same core): the metrics
# added in issue 15 at the full protocol on both saved models, and the
# hand-made codes (oracle, mixed) at reduced sizes. Usage:
#   nohup sh validate/run_extra.sh > validate/results/extra.log 2>&1 &
# DLIB_SITE: where disentanglement_lib was installed [~/dlib_site];
# PY: the Python with keras_bvae [.venv/bin/python].
set -e
PY="taskset -c 0 env PYTHONPATH=$(pwd) ${PY:-.venv/bin/python}"
CMP="validate/compare_disentanglement_lib.py --dlib-path ${DLIB_SITE:-$HOME/dlib_site}"
OUT=validate/results/extra.jsonl
echo "start $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(grep -m1 'model name' /proc/cpuinfo)"
for model in beta_vae_b12 vae_b1; do
  echo "== $model modularity, unsupervised $(date -u +%H:%M:%S)"
  $PY $CMP --codes saved_models/$model --seeds 10 \
    --metrics modularity,unsupervised --output $OUT
done
for codes in oracle mixed; do
  echo "== $codes at 0.2x $(date -u +%H:%M:%S)"
  $PY $CMP --codes $codes --seeds 5 --scale 0.2 --output $OUT \
    --metrics beta_vae,beta_vae_raw,factor_vae,mig,sap,modularity,unsupervised
  echo "== $codes dci at 0.1x $(date -u +%H:%M:%S)"
  $PY $CMP --codes $codes --seeds 3 --scale 0.1 --metrics dci --output $OUT
done
echo "end $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
