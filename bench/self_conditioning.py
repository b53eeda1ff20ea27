"""A trial for issue 29, not a preset: the unconditional `mnist` preset made self-conditioned.

No digit labels are used. The training images are grouped into k clusters by k-means on their
pixels or (`--features hog`) on their stroke directions; G and D are then trained as the
conditional DCGAN is, with the cluster id in place of the class (Liu et al. 2020, "Diverse
Image Generation via Self-Conditioned GANs", who cluster D's features; pixels and stroke
directions are cheaper stand-ins here, computed once before training). Samples draw the
cluster id at the clusters' frequencies in the training set, so the sample is still one of the
whole distribution, and they are judged as the unconditional preset's are (the judge's
classes, not the clusters).

Prints, at each checkpoint, FD against its real-vs-real floor, diversity and the smallest
class's share, on `--samples` samples of the EMA generator, with the training CPU seconds of
one torch thread; `--k 0` gives the same for the preset as shipped, to compare.

Run: python bench/self_conditioning.py [--k 0 10 30] [--seed 0] [--checkpoints 3000 6000]
                                       [--samples 1000] [--features pixels|hog]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground import GANConfig, Trainer, build_dataset  # noqa: E402
from playground.evaluation.image_metrics import image_metrics  # noqa: E402
from playground.io.presets import load_preset  # noqa: E402


def stroke_directions(pool: torch.Tensor) -> torch.Tensor:
    """A HOG-like description of each image: the strength of its strokes in 8 directions,
    pooled over 4×4-pixel cells (8 × 7 × 7 for MNIST). Two 7s written a pixel apart share
    it far more than they share pixels."""
    import torch.nn.functional as F

    x = (pool + 1) / 2
    gx = F.conv2d(x, torch.tensor([[[[-1.0, 0.0, 1.0]]]]), padding=(0, 1))
    gy = F.conv2d(x, torch.tensor([[[[-1.0], [0.0], [1.0]]]]), padding=(1, 0))
    strength = (gx**2 + gy**2).sqrt()
    direction = (torch.atan2(gy, gx) % np.pi / np.pi * 8).long().clamp(max=7)
    bins = torch.zeros(len(x), 8, *x.shape[2:]).scatter_(1, direction, strength)
    return F.avg_pool2d(bins, 4).flatten(1)


def clusters_of(pool: torch.Tensor, k: int, seed: int, features: str) -> torch.Tensor:
    """Cluster ids of the training images (no labels): k-means on their pixels, or on their
    stroke directions reduced to 50 principal components."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    if features == "pixels":
        x = pool.reshape(len(pool), -1).numpy()
    else:
        x = PCA(50, random_state=seed).fit_transform(stroke_directions(pool).numpy())
    ids = KMeans(k, n_init=4, random_state=seed).fit(x).labels_
    return torch.from_numpy(ids.astype(np.int64))


def purity(clusters: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """The share of images whose cluster's most common digit is their own (0.1 = none)."""
    top = [int(torch.bincount(labels[clusters == c]).max()) for c in range(k)]
    return sum(top) / len(labels)


def trial(k: int, seed: int, checkpoints: list[int], samples: int, features: str) -> None:
    preset = load_preset("mnist")
    conditioned = {"conditional": True, "embed_dim": 16} if k else {}
    config = GANConfig.from_dict({**preset.config.to_dict(), "seed": seed, **conditioned})
    data = build_dataset(config)
    frequencies = None
    if k:
        clusters = clusters_of(data.pool, k, seed, features)
        print(
            f"k={k} ({features}): cluster purity {purity(clusters, data.pool_labels, k):.2f}",
            flush=True,
        )
        data = dataclasses.replace(data, pool_labels=clusters, num_classes=k)
        frequencies = torch.bincount(clusters, minlength=k).double()
    trainer = Trainer(config, dataset=data)
    cpu, done = 0.0, 0
    for iteration in checkpoints:
        start = time.process_time()
        trainer.run(iteration - done)
        cpu += time.process_time() - start
        done = iteration
        g = torch.Generator().manual_seed(seed + 1)
        z = torch.randn(samples, config.z_dim, generator=g)
        ids = (
            None
            if frequencies is None
            else torch.multinomial(frequencies, samples, True, generator=g)
        )
        images = data.to_export(trainer.generate(z, ids, ema=True))
        m = image_metrics("mnist", images, None)  # judged by the judge's classes
        row = {
            "k": k,
            "features": features if k else "-",
            "seed": seed,
            "iterations": iteration,
            "train_cpu_s": round(cpu),
            "fd": round(m["fd"], 2),
            "fd_ratio": round(m["fd"] / m["fd_floor"], 2),
            "diversity": round(m["diversity"], 3),
            "smallest_class_share": round(m["smallest_class_share"], 3),
        }
        print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[0, 10, 30])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[3000, 6000])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--features", choices=["pixels", "hog"], default="pixels")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the quality targets are CPU seconds of one thread
    for k in args.k:
        trial(k, args.seed, sorted(args.checkpoints), args.samples, args.features)


if __name__ == "__main__":
    main()
