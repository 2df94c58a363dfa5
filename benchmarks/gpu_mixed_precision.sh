#!/usr/bin/env bash
# The GPU check of mixed precision, as one short script (about 6 minutes on
# one GPU): float32 against mixed_float16 and mixed_bfloat16 `fit` speed in
# the same interleaved rounds (the CLI's pipeline and the plain Keras
# `compile(optimizer="adam")` + `fit` on an array), then a short
# `--precision float16` training run whose loss must stay finite. Writes
# OUT/gpu.txt (the GPU's name), OUT/bench.txt, OUT/bench.json and
# OUT/f16_run/; commit them with the GPU's name. Never part of the tests.
#
# Usage: bash benchmarks/gpu_mixed_precision.sh [OUT]   (default: gpu_check)
# Environment: PYTHON (default: .venv/bin/python).
set -euo pipefail
out=${1:-gpu_check}
python=${PYTHON:-.venv/bin/python}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
  | tee "$out/gpu.txt"
"$python" -c "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))" \
  | tee -a "$out/gpu.txt"
# --torch with no value: keras_bvae alone (the torch wheel is a CPU build).
"$python" benchmarks/bench_training.py --arch burgess higgins --torch \
  --rounds 3 --seconds 4 --pool-size 16384 \
  --keras-variant precision=float16 --keras-variant precision=bfloat16 \
  --keras-variant opt=adam,data=arrays \
  --keras-variant opt=adam,data=arrays,precision=float16 \
  --json "$out/bench.json" 2>&1 | grep -v "^[IWE]0000" | tee "$out/bench.txt"
"$python" -m keras_bvae train --precision float16 --out "$out/f16_run" \
  --epochs 2 --steps-per-epoch 500 --verbose 2
"$python" - "$out/f16_run" <<'EOF'
import csv, math, sys

with open(f"{sys.argv[1]}/history.csv") as handle:
    rows = list(csv.DictReader(handle))
losses = [float(r["loss"]) for r in rows]
print("float16 run, loss per epoch:", losses)
assert all(math.isfinite(x) for x in losses), "a float16 loss is not finite"
EOF
