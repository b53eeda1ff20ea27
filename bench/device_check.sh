#!/usr/bin/env bash
# One command for a machine with a GPU: the device-parametrised engine tests on the CPU and on
# CUDA, then the Trainer-vs-bare-loop figures on CUDA for the 2D MLP and the digits DCGAN.
# Run from the repository root after the README's set-up (with a CUDA build of torch 2.13.0).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'; print(torch.cuda.get_device_name())"
PLAYGROUND_TEST_DEVICES=cpu,cuda "$PY" -m pytest -m device -q -p no:cacheprovider
for case in ring8-mlp digits-dcgan; do
  "$PY" bench/train_overhead.py --device cuda --case "$case" --chunks 5
done
