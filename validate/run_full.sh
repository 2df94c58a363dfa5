#!/bin/sh
# The full-protocol comparison committed in validate/results/: both saved
# models, every shared metric, pinned to core 0 (the machine's other core
# was busy). Seeds 0-9 for the cheap metrics, 0-1 for DCI (gradient
# boosting makes one DCI run cost minutes). Usage, from the repository root:
#   nohup sh validate/run_full.sh > validate/results/full.log 2>&1 &
# DLIB_SITE: where disentanglement_lib was installed [~/dlib_site];
# PY: the Python with keras_bvae [.venv/bin/python].
set -e
PY="taskset -c 0 env PYTHONPATH=$(pwd) ${PY:-.venv/bin/python}"
CMP="validate/compare_disentanglement_lib.py --dlib-path ${DLIB_SITE:-$HOME/dlib_site}"
OUT=validate/results/full.jsonl
echo "start $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(grep -m1 'model name' /proc/cpuinfo)"
while [ ! -f validate/cache/vae_b1.npy ]; do sleep 20; done
for model in beta_vae_b12 vae_b1; do
  echo "== $model cheap metrics $(date -u +%H:%M:%S)"
  $PY $CMP --codes saved_models/$model --check-table --seeds 10 \
    --metrics factor_vae,beta_vae,beta_vae_raw,mig,sap --output $OUT
done
OUT=$OUT CORE=0 sh validate/run_dci_full.sh
echo "end $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
