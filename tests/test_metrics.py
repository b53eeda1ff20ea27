from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground import GANConfig, Trainer, build_dataset
from playground.engine.data import packaged_images
from playground.evaluation.classifier import judge_metadata, load_judge, train_judge
from playground.evaluation.image_metrics import image_metrics
from playground.evaluation.metrics import evaluate, histogram_divergences, mixture_metrics


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


def test_the_shipped_judges_are_accurate_and_rebuilt_by_their_command() -> None:
    for name, least in (("digits", 0.95), ("mnist", 0.96)):
        judge, meta = load_judge(name), judge_metadata(name)
        assert judge.held_out_accuracy == float(meta["held_out_accuracy"]) >= least, name
        assert meta["command"] == f"python -m playground train-classifier {name}"
    weights, accuracy = train_judge("digits")  # 4 s; MNIST's takes 10 s and is alike
    assert f"{accuracy:.4f}" == judge_metadata("digits")["held_out_accuracy"]
    shipped = load_judge("digits").net.state_dict()
    assert all(torch.allclose(weights[k], shipped[k], atol=1e-5) for k in shipped)


def _exported(images: torch.Tensor) -> torch.Tensor:
    return ((images + 1) / 2).clamp(0, 1)  # [-1, 1] → user units, as Trainer.sample gives


@pytest.mark.parametrize("name", ["digits", "mnist"])
def test_image_metrics_see_the_distribution_not_only_the_class(name: str) -> None:
    data = packaged_images(name)
    # real digits G never saw score the floor itself
    held = image_metrics(name, _exported(data.held_out), data.held_out_labels)
    assert held["fd"] == pytest.approx(held["fd_floor"])
    assert held["diversity"] == pytest.approx(held["diversity_floor"])
    assert 0.95 < held["diversity"] < 1.05 and held["near_copies"] <= 0.01
    # a cGAN that ignores z: one image per class, with a little noise, agrees perfectly …
    g = torch.Generator().manual_seed(0)
    one = torch.stack([data.pool[data.pool_labels == c][0] for c in range(10)])
    labels = torch.arange(10).repeat(100)
    noise = 0.05 * torch.randn(1000, *data.shape, generator=g)
    ignores_z = image_metrics(name, _exported(one[labels] + noise), labels)
    assert ignores_z["classes_covered"] == 10 and ignores_z["label_agreement"] > 0.9
    # … and the distribution metrics catch it
    assert ignores_z["diversity"] < 0.2
    assert ignores_z["fd"] > 10 * ignores_z["fd_floor"]
    # a G that memorised its training images: all near-copies
    rows = torch.randint(len(data.pool), (1000,), generator=g)
    copies = image_metrics(name, _exported(data.pool[rows]), data.pool_labels[rows])
    assert copies["near_copies"] == 1.0


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


def test_a_prepared_reference_is_built_once_in_the_background_and_shared() -> None:
    """A tab on a packaged image set starts building its metrics reference at once
    (image_metrics.prepare, in a thread); Evaluate then gets that very object, and asking
    again starts nothing new."""
    import threading

    from playground.evaluation import image_metrics as im

    before = threading.active_count()
    im.prepare("digits")
    im.prepare("digits")
    assert threading.active_count() <= before + 1
    reference = im.reference_for("digits")  # waits for the background build if it runs
    assert im.reference_for("digits") is reference
    assert "digits" in im._PREPARED
