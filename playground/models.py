"""Generator and discriminator networks: MLPs as in the original GAN paper, a small DCGAN-style
conv pair for images, each optionally conditional (label embedding) and, for D, packed
(PacGAN: D judges `pack` samples at once and returns one raw output per pack).

No batch-norm: running statistics would change a network during the other network's step.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

import playground.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.config import GANConfig

NOISE_START = 0.02  # g_noise: σ at initialisation, in data units

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


def _mlp(sizes: list[int], activation: str, sn: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(a, b)
        layers.append(_sn(linear) if sn else linear)
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class _Conditioned(nn.Module):
    """Holds the optional label embedding shared by the conditional variants."""

    def __init__(self, num_classes: int, embed_dim: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None

    def _with_label(self, h: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.embed is None:
            return h
        if labels is None:
            raise ValueError("this network is conditional: pass a class label for every row")
        return torch.cat([h, self.embed(labels)], 1)


class MLPGenerator(_Conditioned):
    def __init__(
        self,
        z_dim: int,
        out_shape: tuple[int, ...],
        hidden: int,
        layers: int,
        activation: str,
        num_classes: int = 0,
        embed_dim: int = 8,
        images: bool = False,
        scale: float = 1.0,
        noise: bool = False,
    ) -> None:
        super().__init__(num_classes, embed_dim)
        self.out_shape = out_shape
        self.images = images
        self.scale = scale  # the net works in units of the data's scale; outputs are in data units
        in_dim = z_dim + (embed_dim if num_classes else 0)
        self.net = _mlp([in_dim] + [hidden] * layers + [math.prod(out_shape)], activation)
        self.log_sigma: nn.Parameter | None = None
        if noise:  # one learned width per output coordinate, starting at 0.02 data units
            start = math.log(NOISE_START / scale)
            self.log_sigma = nn.Parameter(torch.full((math.prod(out_shape),), start))

    @property
    def noise_dim(self) -> int:
        """Size of the noise ε a forward pass takes (0: G has no noise output)."""
        return 0 if self.log_sigma is None else len(self.log_sigma)

    def sigma(self) -> torch.Tensor:
        """σ in data units, one per output coordinate (in the graph: the MMD term trains it)."""
        assert self.log_sigma is not None, "sigma: this G has no noise output (g_noise off)"
        return torch.exp(self.log_sigma) * self.scale

    def forward(
        self,
        z: torch.Tensor,
        labels: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """G(z); with g_noise, μ(z) + σ·ε for the noise ε given (none given: the mean μ(z))."""
        out = self.net(self._with_label(z, labels))
        if noise is not None and self.log_sigma is not None:
            out = out + torch.exp(self.log_sigma) * noise
        if self.images:
            out = torch.tanh(out)
        elif self.scale != 1.0:
            out = out * self.scale
        return out.view(len(z), *self.out_shape)


class MLPDiscriminator(_Conditioned):
    def __init__(
        self,
        in_shape: tuple[int, ...],
        hidden: int,
        layers: int,
        activation: str,
        num_classes: int = 0,
        embed_dim: int = 8,
        pack: int = 1,
        spectral_norm: bool = False,
        scale: float = 1.0,
    ) -> None:
        super().__init__(num_classes, embed_dim)
        self.pack = pack
        self.scale = scale  # inputs arrive in data units and are divided by it
        per_sample = math.prod(in_shape) + (embed_dim if num_classes else 0)
        self.net = _mlp([per_sample * pack] + [hidden] * layers + [1], activation, spectral_norm)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = x.flatten(1)
        if self.scale != 1.0:
            x = x / self.scale
        h = self._with_label(x, labels)
        return self.net(h.reshape(len(x) // self.pack, -1)).squeeze(1)


class ConvGenerator(_Conditioned):
    """z → linear → (2c, s/4, s/4) → up ×2 → up ×2 → tanh image."""

    def __init__(
        self,
        z_dim: int,
        out_shape: tuple[int, ...],
        channels: int,
        num_classes: int = 0,
        embed_dim: int = 8,
    ) -> None:
        super().__init__(num_classes, embed_dim)
        c, side, _ = out_shape
        self.start = side // 4
        self.channels = channels
        in_dim = z_dim + (embed_dim if num_classes else 0)
        self.project = nn.Sequential(nn.Linear(in_dim, 2 * channels * self.start**2), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * channels, channels, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, c, 4, 2, 1),
            nn.Tanh(),
        )

    noise_dim = 0  # no noise output (g_noise is for points)

    def forward(
        self,
        z: torch.Tensor,
        labels: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        h = self.project(self._with_label(z, labels))
        return self.up(h.view(len(z), 2 * self.channels, self.start, self.start))


class ConvDiscriminator(_Conditioned):
    """image (+ a label plane) → down ×2 → down ×2 → linear; packs stack on channels."""

    def __init__(
        self,
        in_shape: tuple[int, ...],
        channels: int,
        num_classes: int = 0,
        embed_dim: int = 8,
        pack: int = 1,
        spectral_norm: bool = False,
    ) -> None:
        c, side, _ = in_shape
        super().__init__(num_classes, side * side if num_classes else 0)
        self.pack = pack
        self.side = side
        in_channels = (c + (1 if num_classes else 0)) * pack

        def wrap(layer: nn.Module) -> nn.Module:
            return _sn(layer) if spectral_norm else layer

        self.features = nn.Sequential(
            wrap(nn.Conv2d(in_channels, channels, 4, 2, 1)),
            nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(channels, 2 * channels, 4, 2, 1)),
            nn.LeakyReLU(0.2),
        )
        self.head = wrap(nn.Linear(2 * channels * (side // 4) ** 2, 1))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this network is conditional: pass a class label for every row")
            plane = self.embed(labels).view(len(x), 1, self.side, self.side)
            x = torch.cat([x, plane], 1)
        x = x.reshape(len(x) // self.pack, -1, self.side, self.side)
        return self.head(self.features(x).flatten(1)).squeeze(1)


def build_models(
    config: GANConfig, shape: tuple[int, ...], num_classes: int, scale: float = 1.0
) -> tuple[nn.Module, nn.Module]:
    """G and D for a config and data shape; weights come from torch's current RNG state.

    `scale` (points only): the unit G and D work in, see Dataset.point_scale."""
    classes = num_classes if config.conditional else 0
    if config.conditional and num_classes < 2:
        raise ValueError(
            f"conditional: dataset '{config.dataset}' has no class labels; "
            "pick a labelled dataset (ring8, grid25, ring, grid, gaussians, moons, circles, "
            "digits, or a file with labels) or turn conditional off"
        )
    images = len(shape) == 3
    if config.model == "dcgan":
        side = shape[1]
        if side % 4 or shape[1] != shape[2]:
            raise ValueError(
                f"model: dcgan needs square images with a side divisible by 4, got {shape}"
            )
        g = ConvGenerator(config.z_dim, shape, config.g_hidden, classes, config.embed_dim)
        d = ConvDiscriminator(
            shape, config.d_hidden, classes, config.embed_dim, config.pack, config.spectral_norm
        )
        return g, d
    g = MLPGenerator(
        config.z_dim,
        shape,
        config.g_hidden,
        config.g_layers,
        config.activation,
        classes,
        config.embed_dim,
        images,
        scale,
        config.g_noise,
    )
    d = MLPDiscriminator(
        shape,
        config.d_hidden,
        config.d_layers,
        config.activation,
        classes,
        config.embed_dim,
        config.pack,
        config.spectral_norm,
        scale,
    )
    return g, d
