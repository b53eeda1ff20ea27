from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load, save_file

from playground import GANConfig, Trainer
from playground.io.checkpoint import (
    FORMAT,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    unzip_checkpoint,
    zip_checkpoint,
)

SPREAD = {"g_noise": True, "mmd_weight": 1.0, "mmd_samples": 8, "mmd_every": 2}


@pytest.mark.parametrize("extra", [{}, SPREAD], ids=["plain", "g_noise-mmd"])
def test_checkpoint_resumes_the_exact_run(
    tmp_path: Path, small_config: GANConfig, extra: dict
) -> None:
    config = small_config.replace(ema_decay=0.9, lr_decay_iters=30, lr_decay_to=0.2, **extra)
    original = Trainer(config)
    original.run(12)
    save_checkpoint(original, tmp_path / "ck")
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == [
        "config.json",
        "model.safetensors",
        "state.json",
    ]
    loaded, state = load_checkpoint(tmp_path / "ck")
    assert state["iteration"] == 12 and loaded.iteration == 12
    assert loaded.opt_d.param_groups[0]["lr"] == original.opt_d.param_groups[0]["lr"]
    assert loaded.history == original.history
    original.run(8)
    loaded.run(8)
    assert loaded.history == original.history  # weights, Adam moments and RNG all restored
    z = torch.randn(4, config.z_dim)
    assert torch.equal(loaded.generate(z, ema=True), original.generate(z, ema=True))


def test_user_file_data_travels_inside_the_checkpoint(tmp_path: Path) -> None:
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(40, 2)))
    trainer = Trainer(
        GANConfig(dataset="points-file", data_path=str(tmp_path / "pts.npy"), batch_size=8)
    )
    trainer.run(3)
    zip_checkpoint(trainer, tmp_path / "run.zip")
    (tmp_path / "pts.npy").unlink()  # the original file is gone; the zip still works
    loaded, _ = unzip_checkpoint(tmp_path / "run.zip")
    assert torch.equal(loaded.dataset.pool, trainer.dataset.pool)
    loaded.run(2)


def test_damaged_or_foreign_checkpoints_are_refused(
    tmp_path: Path, small_config: GANConfig
) -> None:
    with pytest.raises(CheckpointError, match="lacks config.json, model.safetensors, state.json"):
        load_checkpoint(tmp_path)
    trainer = Trainer(small_config)
    save_checkpoint(trainer, tmp_path / "ck")
    (tmp_path / "ck" / "model.safetensors").write_bytes(b"\x80\x04pickle-ish garbage")
    with pytest.raises(CheckpointError, match="model.safetensors is unreadable"):
        load_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "state.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CheckpointError, match="not a GAN Playground checkpoint"):
        load_checkpoint(tmp_path / "ck")
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(CheckpointError, match="not a zip file"):
        unzip_checkpoint(tmp_path / "x.zip")
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as z:
        z.writestr("config.json", "{}")
    with pytest.raises(CheckpointError, match="the zip lacks model.safetensors, state.json"):
        unzip_checkpoint(tmp_path / "y.zip")


def test_weights_that_do_not_fit_the_config_are_reported(
    tmp_path: Path, small_config: GANConfig
) -> None:
    save_checkpoint(Trainer(small_config), tmp_path / "ck")
    config = json.loads((tmp_path / "ck" / "config.json").read_text())
    config["g_hidden"] = 64
    (tmp_path / "ck" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="weights do not match config.json"):
        load_checkpoint(tmp_path / "ck")


def test_checkpoint_from_before_normalize_loads_unnormalised(tmp_path: Path) -> None:
    trainer = Trainer(GANConfig(dataset="grid25", normalize=False, batch_size=16))
    trainer.run(2)
    save_checkpoint(trainer, tmp_path / "ck")
    config_file = tmp_path / "ck" / "config.json"
    data = json.loads(config_file.read_text())
    del data["normalize"]  # as written by a version without the option
    config_file.write_text(json.dumps(data))
    loaded, _ = load_checkpoint(tmp_path / "ck")
    assert loaded.config.normalize is False and loaded.G.scale == 1.0
    z = torch.randn(4, trainer.config.z_dim)
    assert torch.equal(loaded.generate(z), trainer.generate(z))


def test_checkpoint_with_each_layers_moments_apiece_loads_into_the_flat_optimiser(
    tmp_path: Path, small_config: GANConfig
) -> None:
    """Checkpoints written before the optimisers stepped one flat vector per network hold
    Adam's moments layer by layer (opt_g.0.exp_avg, opt_g.1.exp_avg, ...): they still resume
    the exact run."""
    original = Trainer(small_config)
    original.run(5)
    save_checkpoint(original, tmp_path / "ck")
    model = tmp_path / "ck" / "model.safetensors"
    tensors = load(model.read_bytes())
    for prefix, net in (("opt_g", original.G), ("opt_d", original.D)):
        sizes = [p.numel() for p in net.parameters()]
        flat = {name: tensors.pop(f"{prefix}.0.{name}") for name in ("exp_avg", "exp_avg_sq")}
        step = tensors.pop(f"{prefix}.0.step")
        for index in range(len(sizes)):
            tensors[f"{prefix}.{index}.step"] = step.clone()
            for name, vector in flat.items():
                tensors[f"{prefix}.{index}.{name}"] = vector.split(sizes)[index].clone()
    save_file(tensors, str(model), metadata={"format": FORMAT})
    loaded, _ = load_checkpoint(tmp_path / "ck")
    original.run(6)
    loaded.run(6)
    assert loaded.history == original.history


def test_a_checkpoint_saved_on_any_device_loads_on_the_cpu(tmp_path: Path, device: str) -> None:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=16, seed=2, device=device))
    trainer.run(3)
    zip_checkpoint(trainer, tmp_path / "run.zip")
    loaded, _ = unzip_checkpoint(tmp_path / "run.zip", device="cpu")
    assert loaded.device.type == "cpu" and loaded.iteration == 3
    for name, value in trainer.G.state_dict().items():
        assert torch.equal(value.cpu(), loaded.G.state_dict()[name]), name


@pytest.mark.parametrize("preset", ["mnist-cgan", "mnist"])
def test_an_mnist_run_from_its_trained_start_saves_and_resumes(tmp_path: Path, preset: str) -> None:
    """A conditional DCGAN on MNIST (classes, or mnist's stroke clusters), started from the
    shipped weights: the checkpoint holds the run (not the packaged data or its clusters, which
    every install computes alike) and resumes it exactly."""
    from playground.io import trained_starts
    from playground.io.presets import load_preset

    original = Trainer(load_preset(preset).config.replace(device="cpu"))
    start = trained_starts.load_into(original, preset)
    original.run(3)
    zip_checkpoint(original, tmp_path / "run.zip", sampler="ema", preset=preset)
    assert zipfile.ZipFile(tmp_path / "run.zip").getinfo("model.safetensors").file_size < 8e6
    loaded, _ = unzip_checkpoint(tmp_path / "run.zip", device="cpu")
    assert loaded.iteration == start + 3 and loaded.dataset.pool is original.dataset.pool
    original.run(2)
    loaded.run(2)
    assert loaded.history == original.history
    labels = torch.arange(4)
    z = torch.randn(4, original.config.z_dim)
    assert torch.equal(loaded.generate(z, labels, ema=True), original.generate(z, labels, ema=True))
