"""A drawn distribution: its encoding, its fitted modes, and the trips it must survive (link,
config file, checkpoint, exported script)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground import GANConfig, Trainer
from playground.engine.drawing import decode, encode, fit_modes
from playground.evaluation.metrics import evaluate
from playground.io.checkpoint import unzip_checkpoint, zip_checkpoint
from playground.ui import share

CENTRES = np.array([[-1.5, -1.0], [1.2, 1.3], [0.0, 0.0], [1.5, -1.2], [-1.0, 1.4]])


def _drawing(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return CENTRES[rng.integers(0, len(CENTRES), n)] + rng.normal(0, 0.08, (n, 2))


def test_the_encoding_keeps_every_point_to_within_half_a_grid_step() -> None:
    points = _drawing()
    text = encode(points)
    assert len(text) == 1067 and set(text) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    back = decode(text)
    assert back.shape == (400, 2) and np.abs(back - points).max() <= 2 / 255 + 1e-6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "draw some points first"),
        ("<script>", "not a drawing"),
        (encode(_drawing(4)), "needs 10-2000 points"),
        ("AAAA", "an odd number of coordinates"),
    ],
)
def test_a_bad_drawing_is_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GANConfig(dataset="drawn", drawn=text)


def test_fitted_modes_recover_a_five_cluster_drawing() -> None:
    centres, std, labels = fit_modes(decode(encode(_drawing())))
    assert len(centres) == 5 and 0.05 < std < 0.12
    distance = np.linalg.norm(CENTRES[:, None] - centres[None], axis=2).min(1)
    assert distance.max() < 0.05
    assert len(np.unique(labels)) == 5


def test_a_drawn_run_is_measured_against_fitted_modes() -> None:
    trainer = Trainer(GANConfig(dataset="drawn", drawn=encode(_drawing()), batch_size=64))
    assert trainer.dataset.fitted and trainer.num_classes == 5
    trainer.run(100)
    metrics = evaluate(trainer, n=2000)
    assert metrics["modes_fitted"] == 5 and metrics["modes_total"] == 5
    assert {"modes_covered", "hq_percent", "spread", "energy_distance"} <= set(metrics)


def test_a_drawing_survives_link_config_and_checkpoint(tmp_path) -> None:
    drawn = encode(_drawing())
    config = GANConfig(dataset="drawn", drawn=drawn, batch_size=32, seed=4)
    query = share.to_query("classroom", config)
    restored = share.from_query(dict(p.split("=", 1) for p in query.split("&")), "classroom")
    assert restored.config.drawn == drawn and restored.config.dataset == "drawn"
    assert GANConfig.from_dict(json.loads(config.to_json())) == config
    trainer = Trainer(config)
    trainer.run(5)
    path = zip_checkpoint(trainer, tmp_path / "drawn.zip")
    loaded, _ = unzip_checkpoint(path, read_data_files=False)
    assert loaded.config.drawn == drawn and loaded.iteration == 5
    assert torch.equal(loaded.dataset.pool, trainer.dataset.pool)
