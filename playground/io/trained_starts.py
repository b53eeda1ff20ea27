"""Trained starts: a preset's G, D and EMA weights after its full training on seed 0, shipped
so that a lecture opens on a G worth sliding through (latent sliders, PCA directions,
interpolation) instead of noise. Reset still trains from scratch.

assets/trained/<preset>.safetensors holds the weights in float16 (all of them fit in a few
MB) and, in its metadata, the config, the iteration, the command that rebuilt it and the
metrics of these very weights, which tests/test_trained_starts.py checks:

    python -m playground train-start mnist-cgan

Loading reads tensors and JSON only (safetensors: no code runs).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig
from playground.engine.run_state import strip_prefix
from playground.engine.trainer import Trainer
from playground.io.presets import load_preset
from playground.paths import ASSETS

TRAINED_DIR = ASSETS / "trained"
START_SEED = 0
EVAL_SAMPLES = 10_000  # the recorded metrics: this many samples (FD_SETS sets of MNIST's 1 000)


def path_of(preset: str, directory: Path = TRAINED_DIR) -> Path:
    return directory / f"{preset}.safetensors"


def available(preset: str, directory: Path = TRAINED_DIR) -> bool:
    """Whether a preset ships a trained start."""
    return path_of(preset, directory).is_file()


def read_metadata(preset: str, directory: Path = TRAINED_DIR) -> dict[str, Any]:
    """The config, iteration, command, seconds and recorded metrics of a trained start."""
    from safetensors import safe_open

    with safe_open(str(path_of(preset, directory)), "pt") as handle:
        raw = handle.metadata() or {}
    return {key: json.loads(value) for key, value in raw.items()}


def load_into(trainer: Trainer, preset: str, directory: Path = TRAINED_DIR) -> int:
    """Put a preset's trained weights into `trainer` (built from that preset's config); the
    optimisers start afresh and the rewind buffer starts here. Returns the iteration the
    weights were trained for, which the trainer then reports."""
    from safetensors.torch import load_file

    if not available(preset, directory):
        raise ValueError(f"trained: preset '{preset}' ships no trained start")
    meta = read_metadata(preset, directory)
    shipped = GANConfig.from_dict(meta["config"])
    if _networks(shipped) != _networks(trainer.config):
        raise ValueError(
            f"trained: the trained start of '{preset}' was trained with the preset's own "
            "settings; choose the preset again, then change settings after it has loaded"
        )
    _put_weights(trainer, load_file(str(path_of(preset, directory))))
    trainer.iteration = int(meta["iteration"])
    trainer.reset_rewind()
    return trainer.iteration


def _put_weights(trainer: Trainer, tensors: dict[str, torch.Tensor]) -> None:
    """G.*, D.*, G_ema.* (float16 as shipped) into the trainer's networks, as float32."""
    with torch.no_grad():
        for prefix, module in (("G.", trainer.G), ("D.", trainer.D), ("G_ema.", trainer.G_ema)):
            if module is not None:
                module.load_state_dict(
                    {k: v.float() for k, v in strip_prefix(tensors, prefix).items()}
                )


def _networks(config: GANConfig) -> GANConfig:
    """The settings that decide what the weights mean (not the seed, not where it runs)."""
    return config.replace(seed=0, device="auto")


def write(preset: str, directory: Path = TRAINED_DIR, seed: int = START_SEED) -> Path:
    """Train `preset` for its steps on `seed` (CPU) and write its trained start, with the
    metrics of the float16 weights as shipped (what `python -m playground train-start` runs;
    run it with one torch thread, as the CLI does, for the same file on every run)."""
    from safetensors.torch import save_file

    from playground.evaluation.metrics import evaluate

    spec = load_preset(preset)
    config = spec.config.replace(seed=seed, device="cpu")
    trainer = Trainer(config)
    started = time.process_time()
    trainer.run(spec.steps)
    seconds = time.process_time() - started
    weights = {k: v.detach().half().contiguous() for k, v in trainer.weights().items()}
    _put_weights(trainer, weights)  # measure what ships: the float16 weights, read back
    metrics = evaluate(trainer, n=EVAL_SAMPLES, ema=spec.sampler == "ema", seed=0)
    meta = {
        "config": config.to_dict(),
        "iteration": trainer.iteration,
        "command": f"python -m playground train-start {preset}",
        "train_cpu_seconds": round(seconds, 1),
        "metrics": metrics,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = path_of(preset, directory)
    save_file(weights, str(path), metadata={k: json.dumps(v) for k, v in meta.items()})
    return path
