"""Generator and discriminator networks: MLPs as in the original GAN paper, a small DCGAN-style
conv pair for images, each optionally conditional (label embedding) and, for D, packed
(PacGAN: D judges `pack` samples at once and returns one raw output per pack).

No batch-norm: running statistics would change a network during the other network's step.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _sn

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig

NOISE_START = 0.02  # g_noise: σ at initialisation, in data units

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


Device = torch.device | str | None

# A convolution with at most this many channels on its thin side (D's first layer reads the
# image and its label plane, G's last layer writes the image) runs on torch's im2col kernel
# on the CPU: oneDNN's kernel is 2-4x slower for so few channels, and an MNIST iteration costs
# 0.76-0.91 of what it costs on oneDNN alone (bench/conv_kernels.py). Same weights, same sums,
# in another order.
THIN_CHANNELS = 2


def is_thin(channels: int) -> bool:
    """Whether a layer with this many channels on its thin side runs on the im2col kernels on
    the CPU (the exported script asks the same)."""
    return channels <= THIN_CHANNELS


def d_input_channels(image_channels: int, labelled: bool, pack: int) -> int:
    """The channels D's first convolution reads: the image (plus a cGAN's label plane), for
    each of the pack's samples stacked on channels (the exported script asks the same)."""
    return (image_channels + (1 if labelled else 0)) * pack


def _on_im2col(layer: nn.Conv2d | nn.ConvTranspose2d, x: torch.Tensor, channels: int) -> bool:
    plain = layer.groups == 1 and layer.dilation == (1, 1) and layer.padding_mode == "zeros"
    return plain and x.device.type == "cpu" and is_thin(channels)


class Conv2d(nn.Conv2d):
    """nn.Conv2d, run by torch's im2col kernel when its input has few channels (on the CPU)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _on_im2col(self, x, self.in_channels):
            return super().forward(x)
        return torch.ops.aten.thnn_conv2d(
            x, self.weight, self.kernel_size, self.bias, self.stride, self.padding
        )


class ConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d, run by torch's col2im kernel when it writes few channels (CPU)."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if output_size is not None or not _on_im2col(self, x, self.out_channels):
            return super().forward(x, output_size)
        return torch.ops.aten.slow_conv_transpose2d(
            x,
            self.weight,
            self.kernel_size,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
        )


def _mlp(
    sizes: list[int], activation: str, sn: bool = False, device: Device = None
) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        linear = nn.Linear(a, b, device=device)
        layers.append(_sn(linear) if sn else linear)
        if i < len(sizes) - 2:
            layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class _Conditioned(nn.Module):
    """Holds the optional label embedding shared by the conditional variants."""

    def __init__(self, num_classes: int, embed_dim: int, device: Device = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, embed_dim, device=device) if num_classes else None

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
        device: Device = None,
    ) -> None:
        super().__init__(num_classes, embed_dim, device)
        self.out_shape = out_shape
        self.images = images
        self.scale = scale  # the net works in units of the data's scale; outputs are in data units
        in_dim = z_dim + (embed_dim if num_classes else 0)
        sizes = [in_dim] + [hidden] * layers + [math.prod(out_shape)]
        self.net = _mlp(sizes, activation, device=device)
        self.log_sigma: nn.Parameter | None = None
        self.log_sigma_start = math.log(NOISE_START / scale)
        if noise:  # one learned width per output coordinate, starting at 0.02 data units
            size = (math.prod(out_shape),)
            self.log_sigma = nn.Parameter(torch.full(size, self.log_sigma_start, device=device))

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
        device: Device = None,
    ) -> None:
        super().__init__(num_classes, embed_dim, device)
        self.pack = pack
        self.scale = scale  # inputs arrive in data units and are divided by it
        per_sample = math.prod(in_shape) + (embed_dim if num_classes else 0)
        sizes = [per_sample * pack] + [hidden] * layers + [1]
        self.net = _mlp(sizes, activation, spectral_norm, device)

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
        device: Device = None,
    ) -> None:
        super().__init__(num_classes, embed_dim, device)
        c, side, _ = out_shape
        self.start = side // 4
        self.channels = channels
        in_dim = z_dim + (embed_dim if num_classes else 0)
        self.project = nn.Sequential(
            nn.Linear(in_dim, 2 * channels * self.start**2, device=device), nn.ReLU()
        )
        self.up = nn.Sequential(
            ConvTranspose2d(2 * channels, channels, 4, 2, 1, device=device),
            nn.ReLU(),
            ConvTranspose2d(channels, c, 4, 2, 1, device=device),
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
        device: Device = None,
    ) -> None:
        c, side, _ = in_shape
        super().__init__(num_classes, side * side if num_classes else 0, device)
        self.pack = pack
        self.side = side
        in_channels = d_input_channels(c, bool(num_classes), pack)

        def wrap(layer: nn.Module) -> nn.Module:
            return _sn(layer) if spectral_norm else layer

        self.features = nn.Sequential(
            wrap(Conv2d(in_channels, channels, 4, 2, 1, device=device)),
            nn.LeakyReLU(0.2),
            wrap(Conv2d(channels, 2 * channels, 4, 2, 1, device=device)),
            nn.LeakyReLU(0.2),
        )
        self.head = wrap(nn.Linear(2 * channels * (side // 4) ** 2, 1, device=device))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if labels is None:
                raise ValueError("this network is conditional: pass a class label for every row")
            plane = self.embed(labels).view(len(x), 1, self.side, self.side)
            x = torch.cat([x, plane], 1)
        x = x.reshape(len(x) // self.pack, -1, self.side, self.side)
        return self.head(self.features(x).flatten(1)).squeeze(1)


def build_models(
    config: GANConfig,
    shape: tuple[int, ...],
    num_classes: int,
    scale: float = 1.0,
    device: Device = None,
) -> tuple[nn.Module, nn.Module]:
    """G and D for a config and data shape, their weights drawn from torch's global RNG as
    torch's layers do. In a server, build them on `device="meta"` and fill them with
    `initialise`, which draws the same numbers from a generator of the caller's own.

    `scale` (points only): the unit G and D work in, see Dataset.point_scale."""
    classes = num_classes if config.takes_labels else 0
    if config.conditional and num_classes < 2:
        raise ValueError(
            f"conditional: dataset '{config.dataset}' has no class labels; "
            "pick a labelled dataset (ring8, grid25, ring, grid, gaussians, moons, circles, "
            "digits, mnist, or a file with labels) or turn conditional off"
        )
    images = len(shape) == 3
    if config.model == "dcgan":
        side = shape[1]
        if side % 4 or shape[1] != shape[2]:
            raise ValueError(
                f"model: dcgan needs square images with a side divisible by 4, got {shape}"
            )
        g = ConvGenerator(config.z_dim, shape, config.g_hidden, classes, config.embed_dim, device)
        d = ConvDiscriminator(
            shape,
            config.d_hidden,
            classes,
            config.embed_dim,
            config.pack,
            config.spectral_norm,
            device,
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
        device,
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
        device,
    )
    return g, d


def build_seeded(
    config: GANConfig, shape: tuple[int, ...], num_classes: int, scale: float = 1.0
) -> tuple[nn.Module, nn.Module]:
    """G and D on the CPU, their weights drawn from a generator seeded with config.seed and
    never from torch's global RNG: a server builds runs in many threads at once. The same
    numbers as build_models after torch.manual_seed(config.seed)."""
    generator = torch.Generator().manual_seed(config.seed)
    g, d = build_models(config, shape, num_classes, scale, device="meta")
    return (
        initialise(g.to_empty(device="cpu"), generator),
        initialise(d.to_empty(device="cpu"), generator),
    )


def initialise(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Fill a network's weights as torch's layers fill them when built, but drawing from
    `generator` instead of torch's global RNG, in the same order, so that the numbers are the
    ones the global RNG seeded alike gives (tests/test_models.py). A server builds one
    network per request thread: seeding the global RNG would hand one tab's weights to
    another."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, MLPGenerator) and m.log_sigma is not None:
                m.log_sigma.fill_(m.log_sigma_start)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, generator=generator)
            elif isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                _initialise_layer(m, generator)
    return module


def _initialise_layer(layer: nn.Module, generator: torch.Generator) -> None:
    """nn.Linear's and _ConvNd's reset_parameters with a generator, then a spectral norm's
    power-iteration vectors, as spectral_norm() makes them when it wraps the layer."""
    spectral = parametrize.is_parametrized(layer, "weight")
    weight = layer.parametrizations.weight.original if spectral else layer.weight
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        fan_in, _ = nn.init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    if not spectral:
        return
    for norm in layer.parametrizations.weight:
        matrix = norm._reshape_weight_to_matrix(weight)
        h, w = matrix.shape
        u = torch.empty(h, device=weight.device).normal_(0, 1, generator=generator)
        v = torch.empty(w, device=weight.device).normal_(0, 1, generator=generator)
        norm._u.copy_(nn.functional.normalize(u, dim=0, eps=norm.eps))
        norm._v.copy_(nn.functional.normalize(v, dim=0, eps=norm.eps))
        norm._power_method(matrix, 15)  # as _SpectralNorm.__init__ does
        norm._power_method(matrix, 1)  # register_parametrization's check calls forward once
