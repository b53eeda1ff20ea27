"""D's filter (discriminator rejection sampling): a view of what a trained D knows."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground import GANConfig, Trainer
from playground.evaluation.drs import acceptance, filter_samples
from playground.evaluation.metrics import mixture_metrics


def test_acceptance_keeps_the_most_real_looking_sample_and_scales_the_rest() -> None:
    p = acceptance(np.array([0.0, 1.0, math.log(0.5) + 1.0]))
    assert p.tolist() == pytest.approx([math.exp(-1), 1.0, 0.5])


def test_a_trained_d_keeps_more_real_like_than_off_mode_samples() -> None:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=64, seed=0))
    trainer.run(1500)
    x, _, _ = trainer.sample(4000)
    kept = filter_samples(trainer, x)
    centres, std = trainer.dataset.centres.numpy(), trainer.dataset.mode_std
    dist = np.linalg.norm(x.numpy()[:, None] - centres[None], axis=2).min(1)
    on_mode, off_mode = dist <= 3 * std, dist > 30 * std
    assert on_mode.sum() > 50 and off_mode.sum() > 50
    assert kept[on_mode].mean() > 2 * kept[off_mode].mean(), (
        kept[on_mode].mean(),
        kept[off_mode].mean(),
    )
    before = mixture_metrics(x.numpy(), centres, std)["hq_percent"]
    after = mixture_metrics(x.numpy()[kept], centres, std)["hq_percent"]
    assert after > before  # what D keeps is closer to the data than what G makes


def test_the_filter_needs_a_probability_d() -> None:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=16, loss="wgan"))
    with pytest.raises(ValueError, match="needs the minimax or nonsat loss"):
        filter_samples(trainer, torch.zeros(4, 2))


def test_gradient_arrows_start_at_their_own_fakes_when_d_filters_most_of_them() -> None:
    from playground.views.data_view import field_figure

    rng = np.random.default_rng(0)
    fake = rng.normal(size=(300, 2)).astype(np.float32)
    pull = rng.normal(size=(80, 2)).astype(np.float32)
    kept = np.zeros(300, dtype=bool)
    kept[::10] = True  # D keeps 30 of 300: fewer than there are arrows
    xs = ys = np.linspace(-3, 3, 40, dtype=np.float32)
    figure = field_figure(xs, ys, None, None, fake, pull, True, kept=kept)
    arrows = figure.data[-1]
    bases = np.column_stack([arrows.x, arrows.y])[::7]  # each arrow: base, tip, gap, head…
    assert len(bases) == 80
    np.testing.assert_allclose(bases, fake[:80], rtol=1e-6)
