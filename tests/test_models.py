"""The networks as a threaded server builds them: weights drawn from a run's own generator
(never torch's global RNG) and work counted by hooks on the run's own layers (never
FlopCounterMode's process-wide ones) give exactly what torch's own ways give, and the layers
that run on torch's im2col kernels compute what torch's own layers compute."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from playground.engine.budget import LayerFlops
from playground.engine.data import build_dataset
from playground.engine.models import Conv2d, ConvTranspose2d, build_models, build_seeded
from playground.io.presets import load_preset, preset_names

VARIANTS = list(itertools.product([False, True], [False, True], [1, 2]))  # sn, cGAN, pack


def _configs(name: str):  # noqa: ANN202
    config = load_preset(name).config
    data = build_dataset(config)
    models = ["mlp", "dcgan"] if data.kind != "points" else ["mlp"]
    for model, (sn, conditional, pack) in itertools.product(models, VARIANTS):
        if conditional and data.num_classes < 2:
            continue
        changes = {"spectral_norm": sn, "pack": pack}
        if config.clusters:  # a self-conditioned preset: labelled by its clusters, or by none
            changes["clusters"] = config.clusters if conditional else 0
        else:
            changes["conditional"] = conditional
        if model == "dcgan":
            changes.update(model="dcgan", g_hidden=32, d_hidden=32)
        yield config.replace(**changes), data


@pytest.mark.parametrize("name", preset_names())
def test_build_seeded_draws_what_the_global_rng_draws(name: str) -> None:
    for config, data in _configs(name):
        torch.manual_seed(config.seed)  # the old way, in this test's own thread only
        expected = build_models(config, data.shape, data.num_classes, data.point_scale)
        built = build_seeded(config, data.shape, data.num_classes, data.point_scale)
        for want, net in zip(expected, built, strict=True):
            got = net.state_dict()
            for key, value in want.state_dict().items():
                assert torch.equal(got[key], value), f"{name} {config.model}: {key}"


@pytest.mark.parametrize("name", preset_names())
def test_layer_flops_count_what_flop_counter_counts(name: str) -> None:
    for config, data in _configs(name):
        g, d = build_models(config, data.shape, data.num_classes, device="meta")
        b = config.batch_size
        labels = torch.zeros(b, dtype=torch.long, device="meta") if config.takes_labels else None
        z = torch.zeros(b, config.z_dim, device="meta")
        with FlopCounterMode(display=False) as counter:
            d(g(z, labels), labels)
        with LayerFlops(g, d) as flops:
            d(g(z, labels), labels)
        assert sum(flops) == counter.get_total_flops() > 0, f"{name}: {config}"


THIN_LAYERS = [  # (layer, input shape, the autograd node of torch's im2col kernels)
    (lambda: Conv2d(1, 8, 4, 2, 1), (3, 1, 12, 12), "SlowConv2DBackward0"),  # D reads an image
    (lambda: Conv2d(2, 8, 4, 2, 1), (3, 2, 12, 12), "SlowConv2DBackward0"),  # …and its label plane
    (lambda: ConvTranspose2d(8, 1, 4, 2, 1), (3, 8, 6, 6), "SlowConvTranspose2DBackward0"),
    (lambda: Conv2d(8, 16, 4, 2, 1), (3, 8, 12, 12), "ConvolutionBackward0"),  # wide: oneDNN
]


@pytest.mark.parametrize(("make", "shape", "node"), THIN_LAYERS)
def test_thin_channel_layers_compute_what_torchs_layers_compute(make, shape, node) -> None:  # noqa: ANN001
    """Layers with ≤ THIN_CHANNELS channels on one side run on torch's im2col kernels on the
    CPU (2-4× faster there): the same outputs, gradients and second derivatives (R1 needs
    them) as torch's own layers, in float64 to the last few bits."""
    layer = make().double()
    x = torch.randn(shape, dtype=torch.double, requires_grad=True)
    out = layer(x)
    assert out.grad_fn.name() == node
    plain = torch.nn.Conv2d if isinstance(layer, Conv2d) else torch.nn.ConvTranspose2d
    reference = plain.forward(layer, x)  # torch's own kernel on the same weights
    assert torch.allclose(out, reference, rtol=0, atol=1e-12)
    grads = torch.autograd.grad(out.pow(2).sum(), [x, layer.weight, layer.bias])
    expected = torch.autograd.grad(reference.pow(2).sum(), [x, layer.weight, layer.bias])
    for got, want in zip(grads, expected, strict=True):
        assert torch.allclose(got, want, rtol=0, atol=1e-10)
    small = torch.randn(1, *shape[1:], dtype=torch.double, requires_grad=True)
    weight = layer.weight.detach().clone().requires_grad_()

    def run(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(layer, {"weight": w, "bias": layer.bias}, (x,))

    assert torch.autograd.gradgradcheck(run, (small, weight))
