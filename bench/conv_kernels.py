"""Which CPU kernel should run the image layers with one or two channels on one side?

D's first convolution reads the image (and, for a cGAN, its label plane); G's last transposed
convolution writes the image. torch sends both to oneDNN by default, which is slow for so few
channels; its im2col/col2im kernels (the ones torch uses when oneDNN is off) are not. The
playground runs layers with at most `models.THIN_CHANNELS` channels on that side on the im2col
kernels (engine/models.py).

Prints, for each MNIST preset, the training time per iteration with the im2col kernels and
with oneDNN everywhere (THIN_CHANNELS = 0), timed in alternating chunks in one process so that
a drift in the machine's speed falls on both, and their ratio (the median over chunks); then
the forward + backward time of each of the four conv layers of the MNIST networks on both
kernels, and their ratio. One torch thread, as the quality targets count CPU time.

Run: python bench/conv_kernels.py [--chunk 40] [--chunks 6] [--presets mnist mnist-cgan]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground import Trainer  # noqa: E402
from playground.engine import models  # noqa: E402
from playground.io.presets import load_preset  # noqa: E402


def with_thin(channels: int, fn):  # noqa: ANN001, ANN201
    """fn() with models.THIN_CHANNELS set to `channels` for its duration (bench only)."""
    saved = models.THIN_CHANNELS
    models.THIN_CHANNELS = channels
    try:
        return fn()
    finally:
        models.THIN_CHANNELS = saved


def chunk_seconds(trainer: Trainer, iterations: int, thin: int) -> float:
    def run() -> float:
        start = time.process_time()
        trainer.run(iterations)
        return time.process_time() - start

    return with_thin(thin, run)


def preset_rows(name: str, chunk: int, chunks: int) -> None:
    config = load_preset(name).config.replace(device="cpu")
    trainers = {thin: Trainer(config) for thin in (models.THIN_CHANNELS, 0)}
    for thin, trainer in trainers.items():
        chunk_seconds(trainer, 10, thin)  # warm-up
    times: dict[int, list[float]] = {thin: [] for thin in trainers}
    for _ in range(chunks):
        for thin, trainer in trainers.items():
            times[thin].append(chunk_seconds(trainer, chunk, thin) / chunk * 1e3)
    thin, dnn = times[models.THIN_CHANNELS], times[0]
    ratios = [a / b for a, b in zip(thin, dnn, strict=True)]
    print(
        f"{name:11s} ms/iteration  im2col {statistics.median(thin):6.1f} "
        f"({min(thin):.1f}-{max(thin):.1f})  oneDNN {statistics.median(dnn):6.1f} "
        f"({min(dnn):.1f}-{max(dnn):.1f})  ratio {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}-{max(ratios):.2f})",
        flush=True,
    )


def layer_ms(layer: nn.Module, x: torch.Tensor, thin: int, repeats: int = 30) -> float:
    def run() -> float:
        for _ in range(5):
            layer(x).sum().backward()
        start = time.process_time()
        for _ in range(repeats):
            layer(x).sum().backward()
        return (time.process_time() - start) / repeats * 1e3

    return with_thin(thin, run)


def layer_rows(batch: int) -> None:
    layers = [
        ("G up 1 (64→32, 7→14)", models.ConvTranspose2d(64, 32, 4, 2, 1), (batch, 64, 7, 7)),
        ("G up 2 (32→1, 14→28)", models.ConvTranspose2d(32, 1, 4, 2, 1), (batch, 32, 14, 14)),
        ("D down 1 (1→32, 28→14)", models.Conv2d(1, 32, 4, 2, 1), (2 * batch, 1, 28, 28)),
        ("D down 1, cGAN (2→32)", models.Conv2d(2, 32, 4, 2, 1), (2 * batch, 2, 28, 28)),
        ("D down 2 (32→64, 14→7)", models.Conv2d(32, 64, 4, 2, 1), (2 * batch, 32, 14, 14)),
    ]
    for label, layer, shape in layers:
        x = torch.randn(shape, requires_grad=True)
        im2col = layer_ms(layer, x, thin=64)
        dnn = layer_ms(layer, x, thin=0)
        print(
            f"{label:24s} fwd+bwd ms  im2col {im2col:6.2f}  oneDNN {dnn:6.2f}  "
            f"ratio {im2col / dnn:.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=6)
    parser.add_argument("--presets", nargs="+", default=["mnist", "mnist-cgan"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"THIN_CHANNELS = {models.THIN_CHANNELS}; one torch thread; ratio = im2col / oneDNN")
    for name in args.presets:
        preset_rows(name, args.chunk, args.chunks)
    layer_rows(batch=32)


if __name__ == "__main__":
    main()
