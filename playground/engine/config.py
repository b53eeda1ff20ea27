"""One validated configuration object for a GAN run.

Every front end (Python, CLI, UI, presets) speaks this dataclass, so a value is checked
in one place and a bad one is reported by its field name.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from typing import Any

POINT_DATASETS = (
    "ring8",
    "grid25",
    "ring",
    "grid",
    "gaussians",
    "spiral",
    "moons",
    "circles",
    "line",
    "points-file",
    "drawn",
)
IMAGE_DATASETS = ("digits", "mnist", "idx", "npz", "png-folder")
FILE_DATASETS = ("points-file", "idx", "npz", "png-folder")
DATASETS = POINT_DATASETS + IMAGE_DATASETS
MODELS = ("mlp", "dcgan")
LOSSES = ("minimax", "nonsat", "lsgan", "wgan", "wgan-gp", "hinge")
OPTIMIZERS = ("adam", "sgd")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
DEVICES = ("auto", "cpu", "cuda", "mps")

# Fields the trainer can change on a live run without rebuilding the networks.
LIVE_FIELDS = frozenset(
    {
        "loss",
        "lr_g",
        "lr_d",
        "beta1",
        "beta2",
        "momentum",
        "d_steps",
        "g_steps",
        "clip_value",
        "gp_weight",
        "r1_gamma",
        "r1_every",
        "mmd_weight",
        "mmd_bandwidth",
        "mmd_samples",
        "mmd_every",
        "sample_noise",
        "ema_decay",
        "lr_decay_iters",
        "lr_decay_to",
        "batch_size",
        "snapshot_every",
    }
)


def kind_of(dataset: str) -> str:
    """'images' for an image dataset, else 'points' (2D data)."""
    return "images" if dataset in IMAGE_DATASETS else "points"


# fields that work on one kind of data only: a setup moved to the other kind drops them
KIND_ONLY_FIELDS = {"clusters": "images", "g_noise": "points", "mmd_weight": "points"}

# the fields a run's data depends on: a new run with the same ones reuses the data already read
DATA_FIELDS = (
    "dataset",
    "data_path",
    "labels_path",
    "modes",
    "radius",
    "std",
    "grid_side",
    "grid_spacing",
    "drawn",
    "clusters",
    "seed",
)

# (lowest, highest) for every number: no accepted config can ask for unbounded work or memory
# (front ends with a budget, such as the browser UI, check tighter limits on top: budget.py)
BOUNDS: dict[str, tuple[float, float]] = {
    "modes": (1, 10_000),
    "radius": (0, 1e6),
    "std": (0, 1e6),
    "grid_side": (1, 100),
    "grid_spacing": (0, 1e6),
    "g_hidden": (1, 8192),
    "g_layers": (1, 32),
    "d_hidden": (1, 8192),
    "d_layers": (1, 32),
    "z_dim": (1, 1024),
    "embed_dim": (1, 1024),
    "clusters": (0, 100),
    "pack": (1, 256),
    "lr_g": (0, 100),
    "lr_d": (0, 100),
    "beta1": (0, 1),
    "beta2": (0, 1),
    "momentum": (0, 1),
    "clip_value": (0, 1e6),
    "gp_weight": (0, 1e6),
    "r1_gamma": (0, 1e6),
    "r1_every": (1, 1000),
    "mmd_weight": (0, 1e6),
    "mmd_bandwidth": (0, 1e6),
    "mmd_samples": (2, 4096),
    "mmd_every": (1, 1000),
    "sample_noise": (0, 1),
    "batch_size": (1, 65_536),
    "d_steps": (1, 1000),
    "g_steps": (1, 1000),
    "ema_decay": (0, 1),
    "lr_decay_iters": (0, 10**9),
    "lr_decay_to": (0, 1),
    "seed": (0, 2**63 - 1),
    "snapshot_every": (0, 10**9),
    "snapshot_capacity": (1, 10_000),
}

_HELP = {
    "dataset": "what to learn: " + ", ".join(DATASETS),
    "data_path": "file or folder for points-file / idx / npz / png-folder",
    "labels_path": "optional IDX labels file for the idx dataset",
    "drawn": "the points of a drawn distribution (dataset drawn), as the data view encodes them",
    "modes": "number of Gaussians for ring / gaussians",
    "radius": "ring radius, or half-width of the box for gaussians",
    "std": "noise standard deviation of each mode (or of spiral/moons/circles/line)",
    "grid_side": "grid: modes per side",
    "grid_spacing": "grid: distance between neighbouring modes",
    "model": "network family: mlp (original GAN paper) or dcgan (conv, images only)",
    "g_hidden": "generator width (units per layer; base channels for dcgan)",
    "g_layers": "generator hidden layers (mlp)",
    "d_hidden": "discriminator width (units per layer; base channels for dcgan)",
    "d_layers": "discriminator hidden layers (mlp)",
    "activation": "hidden activation: " + ", ".join(ACTIVATIONS),
    "spectral_norm": "spectral normalisation on D's layers",
    "normalize": "points: G and D work in units of the data's largest coordinate, so a grid "
    "spread over [-4, 4] trains as fast as one in [-1, 1] (turn off to see the difference)",
    "z_dim": "size of the noise vector z",
    "conditional": "cGAN: a class label steers G and D",
    "embed_dim": "size of the label embedding (cGAN, or clusters)",
    "clusters": "self-conditioning for images without class labels: group the training images "
    "into this many k-means clusters of their stroke directions, and steer G and D with the "
    "cluster id as a cGAN is steered with the class (0 = off)",
    "pack": "PacGAN packing: D judges this many samples at once",
    "loss": "GAN loss: " + ", ".join(LOSSES),
    "optimizer": "adam or sgd (both networks)",
    "lr_g": "generator learning rate",
    "lr_d": "discriminator learning rate",
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "momentum": "SGD momentum",
    "clip_value": "wgan: clip D's weights to [-c, c]",
    "gp_weight": "wgan-gp: gradient-penalty weight",
    "r1_gamma": "R1 penalty (gamma/2)·E‖∇D(real)‖² on any loss (0 = off): sharper, steadier",
    "r1_every": "lazy R1: the penalty on every N-th D step only, weighted N times (StyleGAN2): "
    "the same pull for a fraction of its cost",
    "g_noise": "points (mlp): G outputs μ(z) + σ·ε, fresh noise ε scaled by one learned width σ "
    "per coordinate, so how wide G's clusters are is learned apart from where they sit",
    "mmd_weight": "weight of a maximum mean discrepancy (MMD²) term in G's loss, G's samples "
    "against fresh real ones (0 = off); with g_noise it sees μ(z) held fixed, so it sets σ only",
    "mmd_bandwidth": "MMD kernel width in data units: Gaussian kernels of 1, 2 and 5 times it",
    "mmd_samples": "how many of G's samples (and as many fresh reals) the MMD term compares",
    "mmd_every": "add the MMD term on every N-th G step (it sets few numbers, so it can be sparse)",
    "sample_noise": "g_noise: G's σ is multiplied by this when drawing samples to show or "
    "measure (not in training); below 1 trades spread for fewer samples in a mode's tails, "
    "like BigGAN's truncation trick",
    "batch_size": "real samples per D step (the D batch is twice this: fakes + reals)",
    "d_steps": "D steps per iteration",
    "g_steps": "G steps per iteration",
    "ema_decay": "EMA of G's weights for sampling (0 = off, e.g. 0.999)",
    "lr_decay_iters": "decay both learning rates linearly over this many iterations (0 = constant)",
    "lr_decay_to": "learning-rate fraction reached at the end of the decay",
    "seed": "seed for weights, data and noise: same seed, same run",
    "device": "auto (CUDA, then MPS, then CPU), cpu, cuda or mps",
    "snapshot_every": "keep a rewind snapshot every N iterations (0 = only manual)",
    "snapshot_capacity": "how many snapshots the rewind buffer holds",
}


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines a run: data, networks, loss, optimiser, schedule, seed."""

    dataset: str = "ring8"
    data_path: str = ""
    labels_path: str = ""
    drawn: str = ""  # dataset "drawn": the painted points (playground.engine.drawing)
    modes: int = 8
    radius: float = 1.0
    std: float = 0.02
    grid_side: int = 5
    grid_spacing: float = 2.0
    model: str = "mlp"
    g_hidden: int = 128
    g_layers: int = 2
    d_hidden: int = 128
    d_layers: int = 2
    activation: str = "relu"
    spectral_norm: bool = False
    normalize: bool = True
    z_dim: int = 8
    conditional: bool = False
    clusters: int = 0
    embed_dim: int = 8
    pack: int = 1
    loss: str = "nonsat"
    optimizer: str = "adam"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.0
    clip_value: float = 0.01
    gp_weight: float = 10.0
    r1_gamma: float = 0.0
    r1_every: int = 1
    g_noise: bool = False
    mmd_weight: float = 0.0
    mmd_bandwidth: float = 0.01
    mmd_samples: int = 32
    mmd_every: int = 4
    sample_noise: float = 1.0
    batch_size: int = 128
    d_steps: int = 1
    g_steps: int = 1
    ema_decay: float = 0.0
    lr_decay_iters: int = 0
    lr_decay_to: float = 0.1
    seed: int = 0
    device: str = "auto"
    snapshot_every: int = 50
    snapshot_capacity: int = 20

    def __post_init__(self) -> None:
        self.validate()

    @property
    def kind(self) -> str:
        """'points' for 2D data, 'images' for image data."""
        return kind_of(self.dataset)

    @property
    def takes_labels(self) -> bool:
        """Whether G and D take a label per row: a class (conditional) or a cluster id."""
        return self.conditional or self.clusters > 0

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        self._check_types()
        _choice("dataset", self.dataset, DATASETS)
        _choice("model", self.model, MODELS)
        _choice("loss", self.loss, LOSSES)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("device", self.device, DEVICES)
        if self.dataset in FILE_DATASETS and not self.data_path:
            raise ValueError(f"data_path: dataset '{self.dataset}' needs a file or folder path")
        if self.dataset == "drawn" or self.drawn:
            from playground.engine.drawing import decode

            decode(self.drawn)  # raises naming the field
        if self.model == "dcgan" and self.kind != "images":
            raise ValueError("model: dcgan works on image datasets; use mlp for 2D points")
        if (self.g_noise or self.mmd_weight) and (self.kind != "points" or self.model != "mlp"):
            name = "g_noise" if self.g_noise else "mmd_weight"
            raise ValueError(f"{name}: works on 2D point data with the mlp model only")
        if self.clusters:
            if self.kind != "images":
                raise ValueError("clusters: works on image datasets only (0 = off)")
            if self.conditional:
                raise ValueError(
                    "clusters: a self-conditioned G takes cluster ids in place of class labels; "
                    "turn conditional off or set clusters to 0"
                )
            if self.clusters < 2:
                raise ValueError(f"clusters: 0 (off) or at least 2 (got {self.clusters})")
        if self.mmd_weight and self.mmd_samples > self.batch_size:
            raise ValueError(
                f"mmd_samples: at most batch_size ({self.batch_size}), got {self.mmd_samples}"
            )
        for name in ("radius", "grid_spacing", "lr_g", "lr_d", "mmd_bandwidth"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be positive (got {getattr(self, name)})")
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if not low <= value <= high:  # also False for NaN
                raise ValueError(f"{name}: must be between {low:g} and {high:g} (got {value})")
        for name in ("beta1", "beta2", "ema_decay"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"{name}: must be in [0, 1) (got {value})")
        if self.batch_size % self.pack:
            raise ValueError(
                f"pack: batch_size {self.batch_size} must be a multiple of pack {self.pack}"
            )

    def _check_types(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = _TYPES[f.name]
            if expected is bool:
                ok = isinstance(value, bool)
            elif expected is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif expected is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                if ok:
                    object.__setattr__(self, f.name, float(value))
            else:
                ok = isinstance(value, str)
            if not ok:
                raise ValueError(
                    f"{f.name}: expected {expected.__name__}, got {type(value).__name__} {value!r}"
                )

    def to_dict(self) -> dict[str, Any]:
        """Every field by name; the values are plain scalars, so no deep copy is needed (a
        snapshot takes one every snapshot_every iterations)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GANConfig:
        """Build from a dict (e.g. parsed JSON); unknown keys are an error, not ignored."""
        if not isinstance(data, dict):
            raise ValueError(f"config: expected a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown config field")
        return cls(**data)

    def same_data(self, other: GANConfig) -> bool:
        """Whether a run with `other` trains on exactly this config's data (so it can reuse
        the data already read or fitted)."""
        return all(getattr(self, k) == getattr(other, k) for k in DATA_FIELDS)

    def replace(self, **changes: Any) -> GANConfig:
        """A validated copy with some fields changed."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown config field")
        return dataclasses.replace(self, **changes)

    @staticmethod
    def help(name: str) -> str:
        return _HELP[name]


_TYPES: dict[str, type] = {
    f.name: {"str": str, "int": int, "float": float, "bool": bool}[str(f.type)]
    for f in fields(GANConfig)
}


def _choice(name: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"{name}: '{value}' is not one of {', '.join(options)}")
