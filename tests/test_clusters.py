"""Self-conditioning: cluster ids in place of class labels, found without the labels."""

from __future__ import annotations

import pytest
import torch

from playground import GANConfig, Trainer, build_dataset
from playground.engine.clusters import stroke_clusters
from playground.evaluation.metrics import evaluate

MNIST = {"dataset": "mnist", "model": "dcgan", "g_hidden": 8, "d_hidden": 8, "batch_size": 16}


def test_stroke_clusters_group_the_digits_without_their_labels() -> None:
    clustered = build_dataset(GANConfig(**MNIST, clusters=30))
    digits = build_dataset(GANConfig(**MNIST)).pool_labels
    ids = clustered.pool_labels
    assert clustered.clustered and clustered.num_classes == 30
    assert torch.equal(clustered.pool, build_dataset(GANConfig(**MNIST)).pool)  # same images
    counts = torch.bincount(ids, minlength=30)
    assert len(counts) == 30 and counts.min() > 0
    # most images share their cluster with digits of their own class (10 % if it were chance)
    purity = sum(int(torch.bincount(digits[ids == c]).max()) for c in range(30)) / len(ids)
    assert purity > 0.8
    assert torch.equal(stroke_clusters(clustered.pool, 30), ids)  # the same pool, the same ids


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dataset": "ring8", "model": "mlp"}, "clusters: works on image datasets only"),
        ({"conditional": True}, "clusters: a self-conditioned G takes cluster ids"),
        ({"clusters": 1}, r"clusters: 0 \(off\) or at least 2 \(got 1\)"),
        ({"clusters": 101}, "clusters: must be between 0 and 100"),
    ],
)
def test_bad_cluster_settings_are_named(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GANConfig(**{**MNIST, "clusters": 30, **changes})


def test_more_clusters_than_images_is_a_clear_error(tmp_path) -> None:
    import numpy as np

    path = tmp_path / "few.npz"
    np.savez(path, x=np.random.default_rng(0).random((5, 1, 8, 8)).astype(np.float32))
    with pytest.raises(ValueError, match=r"clusters: at most the number of training images \(5\)"):
        build_dataset(GANConfig(dataset="npz", data_path=str(path), clusters=6))


def test_a_self_conditioned_run_is_steered_by_clusters_and_judged_as_unconditional() -> None:
    trainer = Trainer(GANConfig(**MNIST, clusters=30))
    d = trainer.step_d()
    fakes, reals = d.labels.chunk(2)
    assert torch.equal(fakes, reals)  # each fake is drawn for its real row's cluster
    assert int(d.labels.max()) < 30 and trainer.conditional and trainer.clustered
    g = trainer.step_g()
    assert g.labels is not None and int(g.labels.max()) < 30
    # G is asked for each cluster at its share of the training images, not uniformly
    shares = torch.bincount(trainer.dataset.pool_labels, minlength=30).double() / 4000
    drawn = trainer.dataset.draw_labels(60_000, torch.Generator().manual_seed(1))
    assert torch.allclose(torch.bincount(drawn, minlength=30).double() / 60_000, shares, atol=0.005)
    _, _, labels = trainer.sample(8, seed=3)
    assert labels is not None and len(labels) == 8
    metrics = evaluate(trainer, n=1000)
    assert "label_agreement" not in metrics  # clusters are not the judge's classes
    assert metrics["classes_covered"] >= 1 and metrics["fd"] > metrics["fd_floor"]
