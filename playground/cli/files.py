"""`sample` and `export`: samples of a saved run, and a run or preset as a PyTorch script."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.cli import UsageError, read_json_object
from playground.engine.config import GANConfig


def sample(args: argparse.Namespace) -> int:
    import numpy as np

    from playground.io.checkpoint import load_checkpoint

    if args.n < 1:
        raise UsageError("--n: must be at least 1")
    if args.out.suffix != ".npz":
        raise UsageError(f"--out: must end in .npz (got {args.out.name})")
    try:
        trainer, state = load_checkpoint(args.directory, device=args.device)
        use_ema = args.ema or (not args.raw and state.get("sampler") == "ema")
        if args.ema and trainer.G_ema is None:
            raise ValueError(
                "--ema: this run has no EMA generator (it was trained with ema_decay 0)"
            )
        x, z, labels = trainer.sample(args.n, label=args.label, ema=use_ema, seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    arrays = {"x": x.numpy().astype(np.float32), "z": z.numpy().astype(np.float32)}
    if labels is not None:
        arrays["y"] = labels.numpy()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **arrays)
    print(f"wrote {args.out}: x {arrays['x'].shape} from {'the EMA generator' if use_ema else 'G'}")
    return 0


def export(args: argparse.Namespace) -> int:
    from playground.io.code_export import export_run

    if args.out.suffix != ".py":
        raise UsageError(f"--out: must end in .py (got {args.out.name})")
    if args.notebook is not None and args.notebook.suffix != ".ipynb":
        raise UsageError(f"--notebook: must end in .ipynb (got {args.notebook.name})")
    if args.steps is not None and args.steps < 1:
        raise UsageError("--steps: must be at least 1")
    try:
        source = _export_source(args.source)
        trainer = source.trainer if args.weights else None
        if args.weights and trainer is None:
            raise ValueError(
                "--weights: SOURCE must be a run folder or a checkpoint .zip (a config or a "
                "preset has no weights)"
            )
        exported = export_run(
            source.config,
            source.dataset,
            steps=args.steps or source.steps,
            sampler=source.sampler,
            title=source.title,
            language=args.language,
            weights=trainer.weights() if trainer is not None else None,
            from_iteration=trainer.iteration if trainer is not None else 0,
            name=args.out.stem,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    written = exported.write(args.out.parent, notebook=False)
    if args.notebook is not None:
        args.notebook.parent.mkdir(parents=True, exist_ok=True)
        args.notebook.write_text(exported.notebook, encoding="utf-8")
        written.append(args.notebook)
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


@dataclass
class _ExportSource:
    config: GANConfig
    dataset: Any
    steps: int
    sampler: str
    title: str
    trainer: Any = None


def _export_source(source: str) -> _ExportSource:
    """What `export` reads: a run folder or checkpoint zip (with weights), a config JSON file,
    or a preset name."""
    from playground.engine.data import build_dataset
    from playground.io.checkpoint import load_checkpoint, unzip_checkpoint
    from playground.io.presets import load_preset, preset_names

    path = Path(source)
    if path.is_dir() or (path.is_file() and path.suffix == ".zip"):
        loader = load_checkpoint if path.is_dir() else unzip_checkpoint
        trainer, state = loader(path, device="cpu")
        steps = max(trainer.iteration, 1)
        title = state.get("preset") or path.stem
        return _ExportSource(
            trainer.config, trainer.dataset, steps, state.get("sampler", "G"), title, trainer
        )
    if path.suffix == ".json":
        data = read_json_object(path, "SOURCE")
        config = GANConfig.from_dict(data.get("config", data))
        preset = data.get("preset")
        steps = load_preset(preset).steps if preset in preset_names() else 2000
        return _ExportSource(config, build_dataset(config), steps, "G", path.stem)
    if source in preset_names():
        preset = load_preset(source)
        config = preset.config
        return _ExportSource(
            config, build_dataset(config), preset.steps, preset.sampler, preset.title
        )
    raise ValueError(
        f"SOURCE: {source} is not a run folder, a checkpoint .zip, a config .json or a preset "
        f"({', '.join(preset_names())})"
    )
