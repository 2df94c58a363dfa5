#!/bin/sh
# The committed sweep (see sweeps/README.md). Rerunning resumes: the runs
# already in sweeps/dsprites_sim/results.csv are skipped.
#   nohup sh sweeps/run_sweep.sh > sweeps/dsprites_sim/sweep.log 2>&1 &
set -e
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2
exec .venv/bin/python -m keras_bvae sweep --out sweeps/dsprites_sim \
    --data dsprites-sim --architecture burgess \
    --latent-dims 5 10 20 \
    --normalized-betas 0.001 0.003 0.01 0.03 0.1 0.3 --betas 1 \
    --seeds 0 1 \
    --steps 1500 --batch-size 64 --learning-rate 5e-4 \
    --metrics beta_vae mig --protocol quick \
    --metric-settings '{"beta_vae": {"num_train": 500, "num_eval": 300, "batch_size": 32}}' \
    --eval-images 1024 --backup-every 500 "$@"
