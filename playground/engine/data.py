"""Real-data samplers: 2D toy distributions and image pools, all drawn from a seeded generator.

A sampler returns `(x, labels)` on the CPU; labels are class ids (the mixture component for
Gaussian mixtures) so the same data can drive a conditional GAN.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig


@dataclass
class Dataset:
    """A sampleable real distribution.

    `centres`/`mode_std` are set for Gaussian mixtures so mode-coverage metrics can be computed.
    Images are stored in [-1, 1] with shape (C, H, W).
    """

    name: str
    kind: str  # "points" | "images"
    shape: tuple[int, ...]
    num_classes: int
    centres: torch.Tensor | None = None
    mode_std: float = 0.0
    pool: torch.Tensor | None = None
    pool_labels: torch.Tensor | None = None
    curve: str = ""
    noise: float = 0.0
    fitted: bool = False  # the centres were fitted to user data, not known (drawn data)
    held_out: torch.Tensor | None = None  # (M, C, H, W) images G never trains on (metrics)
    held_out_labels: torch.Tensor | None = None  # (M,)
    clustered: bool = False  # pool_labels are k-means clusters (config.clusters), not classes

    @property
    def dim(self) -> int:
        return math.prod(self.shape)

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw n real samples and their labels (long; zeros where the data has no classes)."""
        if self.pool is not None:
            idx = torch.randint(len(self.pool), (n,), generator=generator)
            labels = self.pool_labels[idx] if self.pool_labels is not None else _zeros(n)
            return self.pool[idx], labels
        if self.centres is not None:
            labels = torch.randint(len(self.centres), (n,), generator=generator)
            noise = torch.randn(n, 2, generator=generator) * self.mode_std
            return self.centres[labels] + noise, labels
        return _CURVES[self.curve](n, self.noise, generator)

    def draw_labels(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n labels for G to draw: classes uniformly (a cGAN is asked for each digit equally),
        clusters at their share of the training images (so the samples keep the data's mix).
        One randint either way, so a run's random stream does not depend on which."""
        if self.clustered:
            return self.pool_labels[torch.randint(len(self.pool), (n,), generator=generator)]
        return torch.randint(self.num_classes, (n,), generator=generator)

    @property
    def point_scale(self) -> float:
        """The largest |coordinate| of the points (mixture centres, else a fixed-seed sample).

        G and D work in units of this scale (see GANConfig.normalize): an MLP with Adam moves
        its output by roughly the same amount per step whatever the data's units, so data
        spread over [-4, 4] trains far slower than the same data in [-1, 1].
        """
        if self.kind != "points":
            return 1.0
        if self.centres is not None and not self.fitted:
            biggest = float(self.centres.abs().max())
        else:
            x, _ = self.sample(4096, torch.Generator().manual_seed(0))
            biggest = float(x.abs().max())
        return biggest if biggest > 0 else 1.0

    def to_export(self, x: torch.Tensor) -> torch.Tensor:
        """Internal units → user units: points unchanged, images from [-1, 1] to [0, 1]."""
        if self.kind == "images":
            return ((x + 1) / 2).clamp(0, 1)
        return x


def _zeros(n: int) -> torch.Tensor:
    return torch.zeros(n, dtype=torch.long)


def ring_centres(modes: int, radius: float) -> torch.Tensor:
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (torch.stack([torch.cos(angles), torch.sin(angles)], 1) * radius).float()


def grid_centres(side: int, spacing: float) -> torch.Tensor:
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], 1)


def _spiral(n: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.sqrt(torch.rand(n, generator=g)) * 3 * math.pi
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (3 * math.pi)
    return x + torch.randn(n, 2, generator=g) * noise, _zeros(n)


def _moons(n: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.randint(2, (n,), generator=g)
    t = torch.rand(n, generator=g) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    x = torch.where(labels[:, None] == 0, upper, lower) - torch.tensor([0.5, 0.25])
    return x + torch.randn(n, 2, generator=g) * noise, labels


def _circles(n: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    labels = torch.randint(2, (n,), generator=g)
    t = torch.rand(n, generator=g) * 2 * math.pi
    radius = torch.where(labels == 0, 1.0, 0.5)
    x = torch.stack([torch.cos(t), torch.sin(t)], 1) * radius[:, None]
    return x + torch.randn(n, 2, generator=g) * noise, labels


def _line(n: int, noise: float, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.rand(n, generator=g) * 2 - 1
    x = torch.stack([t, 0.5 * t], 1)
    return x + torch.randn(n, 2, generator=g) * noise, _zeros(n)


_CURVES = {"spiral": _spiral, "moons": _moons, "circles": _circles, "line": _line}


def build_dataset(config: GANConfig) -> Dataset:
    """The real distribution a config names (file datasets are read from disk here), with
    cluster ids in place of its labels when the config asks for self-conditioning."""
    if config.clusters:
        if config.dataset in PACKAGED_IMAGES:
            return _clustered_packaged(config.dataset, config.clusters)
        return clustered(_named_dataset(config), config.clusters)
    return _named_dataset(config)


def clustered(dataset: Dataset, k: int) -> Dataset:
    """The same images labelled by their k stroke-direction clusters (engine/clusters.py)."""
    from playground.engine.clusters import stroke_clusters

    ids = stroke_clusters(dataset.pool, k)
    return dataclasses.replace(dataset, pool_labels=ids, num_classes=k, clustered=True)


@functools.lru_cache(maxsize=4)
def _clustered_packaged(name: str, k: int) -> Dataset:
    """Clustered once per process (k-means takes seconds), shared as packaged_images is."""
    return clustered(packaged_images(name), k)


def _named_dataset(config: GANConfig) -> Dataset:
    name = config.dataset
    if name == "ring8":
        return _mixture(name, ring_centres(8, 1.0), 0.01)
    if name == "grid25":
        return _mixture(name, grid_centres(5, 2.0), 0.05)
    if name == "ring":
        return _mixture(name, ring_centres(config.modes, config.radius), config.std)
    if name == "grid":
        return _mixture(name, grid_centres(config.grid_side, config.grid_spacing), config.std)
    if name == "gaussians":
        g = torch.Generator().manual_seed(1000 + config.seed)
        centres = (torch.rand(config.modes, 2, generator=g) * 2 - 1) * config.radius
        return _mixture(name, centres, config.std)
    if name in _CURVES:
        classes = 2 if name in ("moons", "circles") else 0
        return Dataset(name, "points", (2,), classes, curve=name, noise=config.std)
    if name == "drawn":
        from playground.engine.drawing import decode, fit_modes

        points = decode(config.drawn)
        centres, std, labels = fit_modes(points, seed=config.seed)
        return Dataset(
            name,
            "points",
            (2,),
            len(centres) if len(centres) > 1 else 0,
            centres=torch.from_numpy(centres),
            mode_std=std,
            pool=torch.from_numpy(points),
            pool_labels=torch.from_numpy(labels),
            fitted=True,
        )
    if name in PACKAGED_IMAGES:
        return packaged_images(name)
    from playground.engine import loaders

    if name == "points-file":
        points, labels = loaders.load_points(config.data_path)
        classes = int(labels.max()) + 1 if labels is not None else 0
        return Dataset(
            name, "points", (2,), classes, pool=torch.from_numpy(points), pool_labels=_t(labels)
        )
    if name == "idx":
        images, labels = loaders.load_idx_images(config.data_path, config.labels_path or None)
    elif name == "npz":
        images, labels = loaders.load_npz_images(config.data_path)
    else:
        images, labels = loaders.load_png_folder(config.data_path)
    return image_dataset(name, images, labels)


def _mixture(name: str, centres: torch.Tensor, std: float) -> Dataset:
    return Dataset(name, "points", (2,), len(centres), centres=centres, mode_std=std)


def _t(labels: np.ndarray | None) -> torch.Tensor | None:
    return None if labels is None else torch.from_numpy(labels.astype(np.int64))


# packaged image sets: how many images of each class are held out of training, for metrics
PACKAGED_IMAGES = {"digits": 30, "mnist": 100}


@functools.lru_cache(maxsize=len(PACKAGED_IMAGES))
def packaged_images(name: str) -> Dataset:
    """A packaged image set, split once into a training pool and a held-out part that only
    the metrics read (their real-vs-real floor). Cached and shared: every run reads the same
    tensors and none writes to them, so 16 MNIST sessions hold one 12 MB pool, not 16."""
    from playground.engine import loaders

    images, labels = loaders.load_digits() if name == "digits" else loaders.load_mnist()
    held = held_out_rows(labels, PACKAGED_IMAGES[name])
    train = np.setdiff1d(np.arange(len(labels)), held)
    dataset = image_dataset(name, images[train], labels[train])
    dataset.held_out = torch.from_numpy(images[held]) * 2 - 1
    dataset.held_out_labels = torch.from_numpy(labels[held])
    return dataset


def held_out_rows(labels: np.ndarray, per_class: int) -> np.ndarray:
    """`per_class` rows of every class, drawn with a fixed seed (the same split everywhere)."""
    rng = np.random.default_rng(0)
    rows = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(rows))


def image_dataset(name: str, images: np.ndarray, labels: np.ndarray | None) -> Dataset:
    """Wrap (N, C, H, W) images in [0, 1] as a pool stored in [-1, 1]."""
    pool = torch.from_numpy(images.astype(np.float32)) * 2 - 1
    classes = int(labels.max()) + 1 if labels is not None else 0
    return Dataset(
        name, "images", tuple(pool.shape[1:]), classes, pool=pool, pool_labels=_t(labels)
    )
