#!/usr/bin/env bash
# One command for a machine with a GPU: the device-parametrised engine tests on the CPU and on
# CUDA, then the Trainer-vs-bare-loop figures on CUDA for the 2D MLP and the digits DCGAN, then
# one preset (QUALITY_PRESET, default mnist-cgan: issue 29 asks the MNIST presets to train faster
# on a GPU than on one CPU thread; ring8 was measured on an H200 on 2026-11-29) trained end to end
# on CUDA and, at the same time, on the CPU, with the quality bench's metrics and train seconds
# for both (QUALITY_SECONDS caps each of those two runs; 0 skips them).
# Run from the repository root after the README's set-up (with a CUDA build of torch 2.13.0).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
QUALITY_SECONDS=${QUALITY_SECONDS:-420}  # ring8 on an H200 took over 230 s (README)
QUALITY_PRESET=${QUALITY_PRESET:-mnist-cgan}  # on one CPU thread: 221-229 s (docs/quality.md)
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'; \
print('torch', torch.__version__, 'on', torch.cuda.get_device_name())"
PLAYGROUND_TEST_DEVICES=cpu,cuda "$PY" -m pytest -m device -q -p no:cacheprovider \
  tests/test_trainer.py tests/test_checkpoint.py
for case in ring8-mlp digits-dcgan; do
  "$PY" bench/train_overhead.py --device cuda --case "$case" --chunks 5
done
if [ "$QUALITY_SECONDS" -gt 0 ]; then
  logs=$(mktemp -d)
  for device in cuda cpu; do
    timeout "$QUALITY_SECONDS" "$PY" bench/quality.py --presets "$QUALITY_PRESET" --seeds 0 --device "$device" \
      > "$logs/$device.log" 2>&1 &
  done
  wait
  for device in cuda cpu; do echo "== quality, $QUALITY_PRESET seed 0, --device $device"; cat "$logs/$device.log"; done
fi
