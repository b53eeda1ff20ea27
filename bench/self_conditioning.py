"""What self-conditioning buys the unconditional `mnist` preset, and with which clusters.

No digit labels are used. The `mnist` preset groups the training images into k clusters by
k-means on their stroke directions (`clusters` in the config, playground/engine/clusters.py)
and trains G and D as the conditional DCGAN is, with the cluster id in place of the class (Liu
et al. 2020, "Diverse Image Generation via Self-Conditioned GANs", who cluster D's features;
stroke directions are a cheaper stand-in, computed once before training). `--k 0` trains the
preset without it; `--features pixels` clusters the pixels instead (the first trial). Samples
draw the cluster at its share of the training set, so they are still samples of the whole
distribution, and they are judged as any unconditional G's are (the judge's classes, not the
clusters).

Prints, at each checkpoint, FD against its real-vs-real floor, diversity and the smallest
class's share, on `--samples` samples of the EMA generator, with the training CPU seconds of
one torch thread.

Run: python bench/self_conditioning.py [--k 0 30] [--seed 0] [--checkpoints 3000 6000]
                                       [--samples 10000] [--features strokes|pixels]
                                       [--set FIELD=JSON ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground import GANConfig, Trainer, build_dataset  # noqa: E402
from playground.io.presets import load_preset  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from image_trials import parse_changes, train_with_checkpoints  # noqa: E402


def pixel_clusters(pool: torch.Tensor, k: int) -> torch.Tensor:
    """Cluster ids of the training images by k-means on their pixels (the first trial)."""
    from sklearn.cluster import KMeans

    ids = KMeans(k, n_init=4, random_state=0).fit(pool.reshape(len(pool), -1).numpy()).labels_
    return torch.from_numpy(ids.astype(np.int64))


def purity(clusters: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """The share of images whose cluster's most common digit is their own (0.1 = none)."""
    top = [int(torch.bincount(labels[clusters == c]).max()) for c in range(k)]
    return sum(top) / len(labels)


def trial(
    k: int,
    seed: int,
    checkpoints: list[int],
    samples: int,
    features: str,
    overrides: dict[str, object],
) -> None:
    base = load_preset("mnist").config.to_dict()
    clusters = k if features == "strokes" else 0
    config = GANConfig.from_dict({**base, "seed": seed, "clusters": clusters, **overrides})
    data = build_dataset(config)
    if k and features == "pixels":  # the same training, labelled by pixel clusters
        ids = pixel_clusters(data.pool, k)
        data = dataclasses.replace(data, pool_labels=ids, num_classes=k, clustered=True)
        config = config.replace(conditional=True)  # the networks take the ids as labels
    if k:
        digits = build_dataset(config.replace(clusters=0, conditional=False)).pool_labels
        print(f"k={k} ({features}): purity {purity(data.pool_labels, digits, k):.2f}", flush=True)
    trainer = Trainer(config, dataset=data)
    describe = {"k": k, "features": features if k else "-", "set": overrides, "seed": seed}
    train_with_checkpoints(trainer, checkpoints, samples, describe)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[0, 30])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[3000, 6000])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--features", choices=["strokes", "pixels"], default="strokes")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="FIELD=JSON",
        help="config fields to change from the preset's, e.g. r1_gamma=0",
    )
    args = parser.parse_args()
    overrides = parse_changes(args.set)
    torch.set_num_threads(1)  # the quality targets are CPU seconds of one thread
    for k in args.k:
        trial(k, args.seed, sorted(args.checkpoints), args.samples, args.features, overrides)


if __name__ == "__main__":
    main()
