"""Trial an image preset with changed fields: train one seed, and at each checkpoint print FD
against its real-vs-real floor, label agreement (a cGAN), within-class diversity and the
smallest class's share, with the training CPU seconds of one torch thread.

The quality bench (bench/quality.py) judges a preset as shipped; this script is how its
variants were compared (docs/quality.md): the preset's own training, `--set` changes, and
metrics on `--samples` samples of the EMA generator (the trained starts' sampler), drawn with
sampling seed = seed + 1. A trial's draw is not the bench's, so compare trials with trials.

Run: python bench/image_trials.py PRESET [--seed 1] [--checkpoints 5500 6500 7500]
                                         [--samples 10000] [--set FIELD=JSON ...]
e.g. python bench/image_trials.py mnist-cgan --seed 3 --set d_hidden=24 --checkpoints 7500
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground import GANConfig, Trainer  # noqa: E402
from playground.evaluation.metrics import evaluate  # noqa: E402
from playground.io.presets import load_preset  # noqa: E402


def checkpoint_metrics(trainer: Trainer, samples: int) -> dict:
    """The image metrics of `samples` EMA samples (playground.evaluation.metrics.evaluate,
    sampling seed = the run's seed + 1), rounded for a line of output."""
    m = evaluate(trainer, samples, ema=True, seed=trainer.config.seed + 1)
    row = {
        "fd": round(m["fd"], 2),
        "fd_ratio": round(m["fd"] / m["fd_floor"], 2),
        "diversity": round(m["diversity"], 3),
        "smallest_class_share": round(m["smallest_class_share"], 3),
    }
    if "label_agreement" in m:
        row["label_agreement"] = round(m["label_agreement"], 4)
    return row


def train_with_checkpoints(
    trainer: Trainer, checkpoints: list[int], samples: int, describe: dict
) -> None:
    """Train to each checkpoint in turn and print one JSON row of metrics there."""
    cpu, done = 0.0, 0
    for iteration in sorted(checkpoints):
        start = time.process_time()
        trainer.run(iteration - done)
        cpu += time.process_time() - start
        done = iteration
        metrics = checkpoint_metrics(trainer, samples)
        row = {**describe, "iterations": iteration, "train_cpu_s": round(cpu), **metrics}
        print(json.dumps(row), flush=True)


def parse_changes(pairs: list[str]) -> dict[str, object]:
    """FIELD=JSON pairs, e.g. ["d_hidden=24", "r1_gamma=0.5"]."""
    return {key: json.loads(value) for key, value in (p.split("=", 1) for p in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=None)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="FIELD=JSON", help="fields to change"
    )
    args = parser.parse_args()
    changes = parse_changes(args.set)
    preset = load_preset(args.preset)
    config = GANConfig.from_dict({**preset.config.to_dict(), "seed": args.seed, **changes})
    torch.set_num_threads(1)  # the quality targets are CPU seconds of one thread
    trainer = Trainer(config)  # builds its own dataset
    describe = {"preset": args.preset, "set": changes, "seed": args.seed}
    train_with_checkpoints(trainer, args.checkpoints or [preset.steps], args.samples, describe)


if __name__ == "__main__":
    main()
