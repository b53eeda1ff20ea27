"""`train`, `train-classifier` and `train-start`: training runs, the image judge and the
trained starts from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

from playground.cli import PROG, UsageError, read_json_object
from playground.engine.config import GANConfig


def train(args: argparse.Namespace) -> int:
    from playground.io.presets import load_preset

    overrides = {
        f.name: getattr(args, f.name)
        for f in fields(GANConfig)
        if getattr(args, f.name, None) is not None
    }
    for name in ("seed", "device"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    try:
        if args.preset:
            preset = load_preset(args.preset)
            base, steps, sampler, name = (
                preset.config.to_dict(),
                preset.steps,
                preset.sampler,
                preset.name,
            )
        elif args.config:
            base, steps, sampler, name = _read_config_file(args.config), 2000, "G", args.config.stem
        else:
            base, steps, sampler, name = (
                GANConfig().to_dict(),
                2000,
                "G",
                overrides.get("dataset", "ring8"),
            )
        config = GANConfig.from_dict({**base, **overrides})
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    steps = args.steps if args.steps is not None else steps
    if steps < 1:
        raise UsageError("--steps: must be at least 1")
    if args.eval_samples < 100:
        raise UsageError("--eval-samples: must be at least 100")
    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads: must be at least 1")
    eval_every = args.eval_every or max(1, steps // 10)
    out = args.out or Path("runs") / f"{name}-seed{config.seed}"

    from playground.engine.device import cpu_threads_for

    if args.trained and not args.preset:
        raise UsageError("--trained: needs --preset (a trained start belongs to a preset)")
    threads = args.threads or cpu_threads_for(config.model)
    start = args.preset if args.trained else None
    return _run_training(
        config, steps, eval_every, args.eval_samples, out, sampler, args.quiet, threads, start
    )


def _read_config_file(path: Path) -> dict[str, Any]:
    data = read_json_object(path, "--config")
    return GANConfig.from_dict(data.get("config", data)).to_dict()


def _run_training(
    config: GANConfig,
    steps: int,
    eval_every: int,
    eval_samples: int,
    out: Path,
    sampler: str,
    quiet: bool,
    threads: int,
    trained_start: str | None = None,
) -> int:
    """Train `steps` iterations on `threads` torch threads (after the preset's trained start,
    if one is named). The thread count, process-wide, is set once the run is built: a bad
    data file or start is refused before this process's torch is touched."""
    import torch
    from tqdm import tqdm

    from playground.engine.trainer import DivergenceError, Trainer
    from playground.evaluation.metrics import evaluate
    from playground.io import trained_starts
    from playground.io.checkpoint import save_checkpoint

    try:
        trainer = Trainer(config)
        if trained_start:
            trained_starts.load_into(trainer, trained_start)
    except ValueError as exc:  # bad data files, missing device, unlabeled cGAN data …
        raise UsageError(str(exc)) from exc
    torch.set_num_threads(threads)
    until = trainer.iteration + steps
    use_ema = sampler == "ema"
    bar = tqdm(
        total=steps,
        disable=quiet or not sys.stderr.isatty(),
        unit="it",
        desc=f"{config.dataset} on {trainer.device_label}",
    )
    start = time.perf_counter()
    train_seconds = 0.0
    train_cpu_seconds = 0.0  # this process's CPU time: steadier than wall time on a busy box
    status = 0
    try:
        while trainer.iteration < until:
            chunk = min(eval_every - trainer.iteration % eval_every, until - trainer.iteration)
            t0, c0 = time.perf_counter(), time.process_time()
            trainer.run(chunk)
            train_seconds += time.perf_counter() - t0
            train_cpu_seconds += time.process_time() - c0
            bar.update(chunk)
            metrics = evaluate(trainer, n=eval_samples, ema=use_ema)
            metrics["train_seconds"] = round(train_seconds, 3)
            trainer.metrics_history.append(metrics)
            bar.set_postfix(_short(metrics))
    except DivergenceError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        status = 1
    finally:
        bar.close()
    save_checkpoint(trainer, out, sampler=sampler)
    summary = {
        "config": config.to_dict(),
        "steps": trainer.iteration,
        "train_seconds": round(train_seconds, 3),
        "train_cpu_seconds": round(train_cpu_seconds, 3),
        "wall_seconds": round(time.perf_counter() - start, 3),
        "device": trainer.device_label,
        "sampler": sampler,
        "history": trainer.metrics_history,
    }
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    final = trainer.metrics_history[-1] if trainer.metrics_history else {}
    done = f"wrote {out}/ after {trainer.iteration} iterations in {train_seconds:.1f} s"
    print(f"{done}: {json.dumps(_short(final))}")
    return status


def _short(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "modes_covered",
        "hq_percent",
        "reverse_kl",
        "js",
        "fd",
        "fd_floor",
        "diversity",
        "classes_covered",
        "label_agreement",
        "near_copies",
    )
    return {
        k: round(metrics[k], 3) if isinstance(metrics[k], float) else metrics[k]
        for k in keys
        if k in metrics
    }


def train_classifier(args: argparse.Namespace) -> int:
    from playground.evaluation.classifier import save_judge

    path, accuracy = save_judge(args.name)
    print(f"wrote {path} (held-out accuracy {100 * accuracy:.1f} %)")
    return 0


def train_start(args: argparse.Namespace) -> int:
    import torch

    from playground.io import trained_starts
    from playground.io.presets import preset_names

    preset = args.preset
    if preset not in preset_names():
        raise UsageError(f"unknown preset '{preset}'; see `{PROG} presets`")
    torch.set_num_threads(1)  # this process only: the same float sums on every run
    path = trained_starts.write(preset)
    meta = trained_starts.read_metadata(preset)
    print(
        f"wrote {path} ({meta['iteration']} iterations, {meta['train_cpu_seconds']} s CPU): "
        f"{json.dumps(_short(meta['metrics']))}"
    )
    return 0
