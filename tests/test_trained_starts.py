"""Trained starts: the shipped weights load into their preset's run, reproduce the metrics
recorded beside them, meet the preset's quality targets, and fit the size budget."""

from __future__ import annotations

import pytest
import torch

from playground import Trainer
from playground.evaluation.image_metrics import missed_targets
from playground.evaluation.metrics import evaluate
from playground.io import trained_starts
from playground.io.presets import load_preset, preset_names
from playground.ui import share
from playground.ui.session import Session

SHIPPED = ["digits", "digits-cgan", "mnist", "mnist-cgan", "ring8"]
SIZE_BUDGET = 6 * 2**20  # all trained starts together
# the quality targets a shipped start (seed 0) does not reach in 5 minutes of CPU
# (docs/quality.md): the test fails if it misses more, and asks for this list to shrink when
# it reaches more (mnist's FD target was on it until mnist was self-conditioned)
KNOWN_MISSES: dict[str, list[str]] = {}


def test_the_image_presets_and_ring8_ship_trained_starts_within_6_mb() -> None:
    shipped = [name for name in preset_names() if trained_starts.available(name)]
    assert shipped == SHIPPED
    total = sum(trained_starts.path_of(name).stat().st_size for name in shipped)
    assert total <= SIZE_BUDGET, f"{total / 2**20:.1f} MiB"


@pytest.mark.parametrize("name", SHIPPED)
def test_a_trained_start_reproduces_its_recorded_metrics(name: str) -> None:
    preset, meta = load_preset(name), trained_starts.read_metadata(name)
    assert meta["command"] == f"python -m playground train-start {name}"
    assert meta["iteration"] == preset.steps
    trainer = Trainer(preset.config.replace(device="cpu"))
    assert trained_starts.load_into(trainer, name) == preset.steps
    assert trainer.iteration == preset.steps and trainer.snapshots == [preset.steps]
    measured = evaluate(trainer, n=trained_starts.EVAL_SAMPLES, ema=preset.sampler == "ema")
    recorded = meta["metrics"]
    assert set(measured) == set(recorded)
    for key, value in recorded.items():
        if isinstance(value, float):
            assert measured[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
        else:
            assert measured[key] == value, key
    if trainer.dataset.kind == "images":
        assert missed_targets(name, recorded) == KNOWN_MISSES.get(name, [])


def test_a_trained_start_refuses_other_networks_and_steps_on_from_itself() -> None:
    preset = load_preset("digits-cgan")
    wider = Trainer(preset.config.replace(g_hidden=128, device="cpu"))
    with pytest.raises(ValueError, match="trained start of 'digits-cgan'"):
        trained_starts.load_into(wider, "digits-cgan")
    with pytest.raises(ValueError, match="ships no trained start"):
        trained_starts.load_into(Trainer(load_preset("grid25").config), "grid25")
    session = Session.from_preset("digits-cgan", trained=True)
    fresh = Session.from_preset("digits-cgan")
    start = session.trainer.iteration
    trained_z = session.trainer.sample(8, label=3, ema=True)[0]
    assert not torch.allclose(trained_z, fresh.trainer.sample(8, label=3, ema=True)[0])
    session.run(3)  # training goes on from the trained weights
    assert session.trainer.iteration == start + 3


def test_a_link_asks_for_a_trained_start() -> None:
    setup = share.from_query({"preset": "mnist-cgan", "trained": "1"}, "classroom")
    assert setup is not None and setup.trained and setup.preset == "mnist-cgan"
    assert share.to_query("mnist-cgan", setup.config, trained=True) == "preset=mnist-cgan&trained=1"
    with pytest.raises(ValueError, match="trained must be 1 or 0"):
        share.from_query({"preset": "mnist-cgan", "trained": "yes"}, "classroom")
