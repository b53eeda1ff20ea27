"""The networks as a threaded server builds them: weights drawn from a run's own generator
(never torch's global RNG) and work counted by hooks on the run's own layers (never
FlopCounterMode's process-wide ones) give exactly what torch's own ways give."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from playground.engine.budget import LayerFlops
from playground.engine.data import build_dataset
from playground.engine.models import build_models, build_seeded
from playground.io.presets import load_preset, preset_names

VARIANTS = list(itertools.product([False, True], [False, True], [1, 2]))  # sn, cGAN, pack


def _configs(name: str):  # noqa: ANN202
    config = load_preset(name).config
    data = build_dataset(config)
    models = ["mlp", "dcgan"] if data.kind != "points" else ["mlp"]
    for model, (sn, conditional, pack) in itertools.product(models, VARIANTS):
        if conditional and data.num_classes < 2:
            continue
        changes = {"spectral_norm": sn, "conditional": conditional, "pack": pack}
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
        labels = torch.zeros(b, dtype=torch.long, device="meta") if config.conditional else None
        z = torch.zeros(b, config.z_dim, device="meta")
        with FlopCounterMode(display=False) as counter:
            d(g(z, labels), labels)
        with LayerFlops(g, d) as flops:
            d(g(z, labels), labels)
        assert sum(flops) == counter.get_total_flops() > 0, f"{name}: {config}"
