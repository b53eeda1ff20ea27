"""Self-conditioning (Liu et al. 2020): labels for images that have none, found by k-means.

An unconditional G must find every digit from z alone; a cGAN is told the class and judged by
a D that sees it, and learns much faster. Self-conditioning gets most of that without labels:
the training images are grouped into k clusters, and G and D are steered by the cluster id as
a cGAN is by the class. The clusters are k-means on a HOG-like description of each image, the
strength of its strokes in 8 directions pooled over 4×4-pixel cells: two 7s written a pixel
apart share it far more than they share pixels (on MNIST, 30 clusters of stroke directions
are 88 % pure in digit class, 30 clusters of pixels 77 %).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)

DIRECTIONS = 8  # stroke directions over 180°
CELL = 4  # pixels per side of a pooling cell
COMPONENTS = 50  # principal components k-means sees
CLUSTER_SEED = 0  # the clustering is a property of the data, the same for every run


def stroke_directions(pool: torch.Tensor) -> torch.Tensor:
    """(N, DIRECTIONS · cells) stroke strengths of images in [-1, 1] (channels averaged)."""
    x = (pool.float().mean(1, keepdim=True) + 1) / 2
    gx = F.conv2d(x, torch.tensor([[[[-1.0, 0.0, 1.0]]]]), padding=(0, 1))
    gy = F.conv2d(x, torch.tensor([[[[-1.0], [0.0], [1.0]]]]), padding=(1, 0))
    strength = (gx**2 + gy**2).sqrt()
    direction = (torch.atan2(gy, gx) % np.pi / np.pi * DIRECTIONS).long().clamp(max=DIRECTIONS - 1)
    bins = torch.zeros(len(x), DIRECTIONS, *x.shape[2:]).scatter_(1, direction, strength)
    return F.avg_pool2d(bins, CELL, ceil_mode=True).flatten(1)


def stroke_clusters(pool: torch.Tensor, k: int) -> torch.Tensor:
    """(N,) long cluster ids in 0..k-1 of the images in `pool`: k-means on their stroke
    directions reduced to COMPONENTS principal components. The same pool gives the same ids."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    if len(pool) < k:
        raise ValueError(f"clusters: at most the number of training images ({len(pool)}), got {k}")
    features = stroke_directions(pool).double().numpy()
    components = min(COMPONENTS, *features.shape)
    reduced = PCA(components, random_state=CLUSTER_SEED).fit_transform(features)
    ids = KMeans(k, n_init=4, random_state=CLUSTER_SEED).fit(reduced).labels_
    return torch.from_numpy(ids.astype(np.int64))
