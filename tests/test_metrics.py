from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground import GANConfig, Trainer, build_dataset
from playground.loaders import load_digits
from playground.metrics import (
    CLASSIFIER_FILE,
    DigitClassifier,
    cache_dir,
    evaluate,
    histogram_divergences,
    mixture_metrics,
)


def _ring8_samples(n: int, modes: list[int]) -> np.ndarray:
    ds = build_dataset(GANConfig(dataset="ring8"))
    g = torch.Generator().manual_seed(0)
    idx = torch.tensor(modes)[torch.randint(len(modes), (n,), generator=g)]
    return (ds.centres[idx] + torch.randn(n, 2, generator=g) * 0.01).numpy()


def test_perfect_samples_cover_all_modes_with_near_zero_kl() -> None:
    centres = build_dataset(GANConfig(dataset="ring8")).centres.numpy()
    result = mixture_metrics(_ring8_samples(10_000, list(range(8))), centres, 0.01)
    assert result["modes_covered"] == 8
    # a 2D Gaussian puts 1 - exp(-9/2) = 98.89 % of its mass within 3 sigma
    assert abs(result["hq_percent"] - 100 * (1 - math.exp(-4.5))) < 0.3
    assert result["reverse_kl"] < 0.01


def test_collapsed_samples_are_caught() -> None:
    centres = build_dataset(GANConfig(dataset="ring8")).centres.numpy()
    result = mixture_metrics(_ring8_samples(10_000, [3]), centres, 0.01)
    assert result["modes_covered"] == 1
    assert math.isclose(result["reverse_kl"], math.log(8), rel_tol=1e-9)
    blurred = _ring8_samples(10_000, list(range(8))) + 0.2
    assert mixture_metrics(blurred, centres, 0.01)["hq_percent"] < 1


def test_histogram_divergences_separate_same_from_different() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(10_000, 2)), rng.normal(size=(10_000, 2))
    far = rng.normal(size=(10_000, 2)) + 4
    same, different = histogram_divergences(a, b), histogram_divergences(a, far)
    assert same["js"] < 0.1 < different["js"] <= math.log(2) + 1e-9


def test_digit_classifier_is_trained_once_cached_and_accurate() -> None:
    classifier = DigitClassifier.load_or_train()
    path = cache_dir() / CLASSIFIER_FILE
    assert path.exists()
    mtime = path.stat().st_mtime_ns
    images, labels = load_digits()
    assert (classifier.predict(images) == labels).mean() > 0.97
    DigitClassifier.load_or_train()
    assert path.stat().st_mtime_ns == mtime  # read from the cache, not retrained


def test_evaluate_picks_the_metrics_for_the_data() -> None:
    ring = Trainer(GANConfig(dataset="ring8", batch_size=32))
    assert {"modes_covered", "hq_percent", "reverse_kl", "js"} <= set(evaluate(ring, n=500))
    digits = Trainer(GANConfig(dataset="digits", conditional=True, batch_size=32))
    result = evaluate(digits, n=200)
    assert {"classes_covered", "confidence", "label_agreement"} <= set(result)


def test_spread_of_exact_mixture_samples_is_0_97_and_of_mode_centres_is_0() -> None:
    for name in ("ring8", "grid25"):
        dataset = build_dataset(GANConfig(dataset=name))
        x, labels = dataset.sample(20_000, torch.Generator().manual_seed(3))
        centres, std = dataset.centres.numpy(), dataset.mode_std
        exact = mixture_metrics(x.numpy(), centres, std)
        assert exact["spread"] == pytest.approx(0.97, abs=0.03), name
        dots = mixture_metrics(centres[labels.numpy()], centres, std)  # every mode a dot
        assert dots["spread"] < 0.1 and dots["hq_percent"] == 100.0  # the blind spot it shows


def test_energy_distance_floor_is_below_an_untrained_g() -> None:
    metrics = evaluate(Trainer(GANConfig(dataset="moons", batch_size=32, seed=1)), n=2000)
    assert 0 <= metrics["energy_floor"] < metrics["energy_distance"]
    assert metrics["energy_floor"] < 0.01
    assert "spread" not in metrics  # moons has no modes to measure a spread around
