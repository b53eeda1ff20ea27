"""`python -m playground`: train, sample and list presets without a browser.

Bad options exit with code 2 and one line on stderr; a run that diverges exits with 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from playground.engine.config import _TYPES, GANConfig

PROG = "python -m playground"


class UsageError(Exception):
    """Bad command-line input: reported on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not the usage block
        raise UsageError(message)


def _config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dataset / model / loss options (override the preset)")
    for f in fields(GANConfig):
        if f.name in ("seed", "device"):
            continue
        flag = "--" + f.name.replace("_", "-")
        kind = _TYPES[f.name]
        if kind is bool:
            group.add_argument(
                flag,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=GANConfig.help(f.name),
            )
        else:
            group.add_argument(
                flag,
                dest=f.name,
                type=kind,
                default=None,
                metavar=kind.__name__.upper(),
                help=f"{GANConfig.help(f.name)} (default {f.default})",
            )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="GAN Playground: a GAN trained one D step / one G step at a time."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser(
        "train",
        help="train a preset or a custom configuration",
        description="Train and write DIR/ with the checkpoint and metrics.json.",
    )
    source = train.add_mutually_exclusive_group()
    source.add_argument("--preset", help="a shipped preset (see `presets`)")
    source.add_argument(
        "--config", type=Path, help="a config JSON file (e.g. exported from the UI)"
    )
    train.add_argument(
        "--steps", type=int, help="iterations to train (default: the preset's, else 2000)"
    )
    train.add_argument("--seed", type=int, help="seed for weights, data and noise (default 0)")
    train.add_argument(
        "--device", choices=("auto", "cpu", "cuda", "mps"), help="where to train (default auto)"
    )
    train.add_argument("--out", type=Path, help="output folder (default runs/NAME-seedS)")
    train.add_argument(
        "--eval-every", type=int, help="iterations between metric evaluations (default steps/10)"
    )
    train.add_argument(
        "--eval-samples", type=int, default=10_000, help="samples per evaluation (default 10000)"
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--trained",
        action="store_true",
        help="start from the preset's shipped trained weights (then --steps more iterations)",
    )
    train.add_argument(
        "--threads",
        type=int,
        help="CPU threads for torch (default: 1 for mlp models, where more threads are slower; "
        "all cores for dcgan)",
    )
    _config_options(train)

    sample = commands.add_parser(
        "sample",
        help="draw samples from a trained run",
        description="Write FILE.npz with x (samples in data units), z and, for a cGAN, y.",
    )
    sample.add_argument("directory", type=Path, help="a folder written by `train`")
    sample.add_argument("--n", type=int, default=1000, help="how many samples (default 1000)")
    sample.add_argument("--out", type=Path, required=True, help="the .npz to write")
    sample.add_argument("--label", type=int, help="class to generate (conditional runs)")
    which = sample.add_mutually_exclusive_group()
    which.add_argument("--ema", action="store_true", help="sample from the EMA generator")
    which.add_argument("--raw", action="store_true", help="sample from G itself, not the EMA copy")
    sample.add_argument("--seed", type=int, default=0, help="seed for z (default 0)")
    sample.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="cpu")

    export = commands.add_parser(
        "export",
        help="write a run as a readable PyTorch script (and notebook)",
        description="Write SOURCE as one PyTorch script that needs only torch and numpy: the "
        "data, G and D, the loss, the D step, the G step through D_on_G, the loop. With the same "
        "seed on the CPU its losses match the playground's. Side files (data.npz for file or "
        "digits data, weights.safetensors with --weights) go next to the script.",
    )
    export.add_argument(
        "source",
        help="a preset name, a config JSON (e.g. exported from the UI), a folder written by "
        "`train`, or a checkpoint .zip downloaded from the UI",
    )
    export.add_argument("--out", type=Path, required=True, help="the .py to write")
    export.add_argument("--notebook", type=Path, help="also write the code as this .ipynb")
    export.add_argument(
        "--weights",
        action="store_true",
        help="start from the run's weights (SOURCE must be a run folder or checkpoint .zip)",
    )
    export.add_argument(
        "--steps", type=int, help="ITERATIONS in the script (default: the preset's or the run's)"
    )
    export.add_argument(
        "--language", choices=("en", "zh-CN"), default="en", help="language of the comments"
    )

    compare = commands.add_parser(
        "compare",
        help="train two setups side by side and print their metrics",
        description="Train run A and run B on the same data with the same seed, stepping "
        "together, and print both runs' metrics side by side every --every iterations. "
        "Either two presets (--preset A --preset B) or a shipped comparison (--comparison).",
    )
    which = compare.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--preset", action="append", metavar="NAME", help="a preset; give it twice (A, then B)"
    )
    which.add_argument("--comparison", metavar="NAME", help="a shipped comparison")
    compare.add_argument(
        "--steps", type=int, help="iterations (default: the comparison's, or 2000)"
    )
    compare.add_argument("--every", type=int, help="iterations between rows (default steps/5)")
    compare.add_argument("--seed", type=int, default=0, help="seed of both runs (default 0)")
    compare.add_argument("--json", action="store_true", help="print JSON lines instead")

    judge = commands.add_parser(
        "train-classifier",
        help="rebuild the shipped classifier that image metrics use",
        description="Train the judge of a packaged image set on its training split (seeded) and "
        "write assets/classifiers/NAME.safetensors; prints its held-out accuracy.",
    )
    judge.add_argument("name", choices=("digits", "mnist"), help="the image set")

    start = commands.add_parser(
        "train-start",
        help="rebuild a preset's shipped trained start",
        description="Train PRESET for its steps on seed 0 (CPU, one thread) and write "
        "assets/trained/PRESET.safetensors: G, D and EMA weights in float16, with the metrics "
        "of those weights recorded in the file.",
    )
    start.add_argument("preset", help="a shipped preset (see `presets`)")

    commands.add_parser(
        "presets",
        help="list the shipped presets",
        description="List the presets under assets/presets/.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "train":
            return _train(args)
        if args.command == "sample":
            return _sample(args)
        if args.command == "export":
            return _export(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "train-classifier":
            return _train_classifier(args.name)
        if args.command == "train-start":
            return _train_start(args.preset)
        return _presets()
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
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
    import torch

    from playground.engine.device import cpu_threads_for

    if args.trained and not args.preset:
        raise UsageError("--trained: needs --preset (a trained start belongs to a preset)")
    torch.set_num_threads(args.threads or cpu_threads_for(config.model))
    start = args.preset if args.trained else None
    return _run_training(
        config, steps, eval_every, args.eval_samples, out, sampler, args.quiet, start
    )


def _read_config_file(path: Path) -> dict[str, Any]:
    data = _read_json_object(path, "--config")
    return GANConfig.from_dict(data.get("config", data)).to_dict()


def _run_training(
    config: GANConfig,
    steps: int,
    eval_every: int,
    eval_samples: int,
    out: Path,
    sampler: str,
    quiet: bool,
    trained_start: str | None = None,
) -> int:
    """Train `steps` iterations (after the preset's trained start, if one is named)."""
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


def _sample(args: argparse.Namespace) -> int:
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


def _export(args: argparse.Namespace) -> int:
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
    from playground.io.presets import load_preset, preset_names
    from playground.io.checkpoint import load_checkpoint, unzip_checkpoint

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
        data = _read_json_object(path, "SOURCE")
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


def _read_json_object(path: Path, option: str) -> dict[str, Any]:
    """A JSON object from a file the user named; every failure is one line naming `option`."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"{option}: cannot read {path} ({exc.strerror})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"{option}: {path} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{option}: {path} must hold a JSON object")
    return data


COMPARED = ("modes_covered", "hq_percent", "reverse_kl", "d_real", "d_fake", "grad_g")


def _compare(args: argparse.Namespace) -> int:
    import torch

    from playground.io.presets import load_preset, preset_names
    from playground.teaching.claims import measure
    from playground.teaching.compare import Comparison, comparison_names, load_comparison

    try:
        if args.comparison:
            if args.comparison not in comparison_names():
                raise ValueError(
                    f"--comparison: unknown comparison '{args.comparison}'; choose one of "
                    + ", ".join(comparison_names())
                )
            spec = load_comparison(args.comparison)
            config_a, config_b = spec.configs(args.seed)
            steps = args.steps or spec.steps
        else:
            if len(args.preset) != 2:
                raise ValueError("--preset: give exactly two presets, A then B")
            for name in args.preset:
                if name not in preset_names():
                    raise ValueError(f"--preset: unknown preset '{name}'")
            config_a, config_b = (
                load_preset(name).config.replace(seed=args.seed) for name in args.preset
            )
            steps = args.steps or 2000
        if steps < 1 or (args.every is not None and args.every < 1):
            raise ValueError("--steps/--every: must be at least 1")
        torch.set_num_threads(1)
        pair = Comparison(config_a, config_b)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    every = args.every or max(1, steps // 5)
    if not args.json:
        for name, a, b in pair.differences():
            print(f"differs: {name}: A = {a}, B = {b}")
        if not pair.same_data:
            print("note: A and B train on different data; only the seed is shared")
        print(f"{'iteration':>9}  {'measure':<14}{'A':>12}{'B':>12}")
    done = 0
    while done < steps:
        chunk = min(every, steps - done)
        pair.run(chunk)
        done += chunk
        rows = {name: measure(trainer, pair.diverged[name]) for name, trainer in pair.runs.items()}
        if args.json:
            print(json.dumps({"iteration": done, **rows}, default=str))
            continue
        for key in (*COMPARED, "diverged"):
            if key in rows["A"] or key in rows["B"]:
                cells = [_cell(rows[name].get(key)) for name in ("A", "B")]
                print(f"{done:>9}  {key:<14}{cells[0]:>12}{cells[1]:>12}")
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _train_classifier(name: str) -> int:
    from playground.evaluation.classifier import save_judge

    path, accuracy = save_judge(name)
    print(f"wrote {path} (held-out accuracy {100 * accuracy:.1f} %)")
    return 0


def _train_start(preset: str) -> int:
    import torch

    from playground.io.presets import preset_names
    from playground.io import trained_starts

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


def _presets() -> int:
    from playground.io.presets import all_presets

    for preset in all_presets():
        tag = "  [fails on purpose]" if preset.fails_on_purpose else ""
        print(f"{preset.name:18s} {preset.steps:>6d} its  {preset.title}{tag}")
        print(f"{'':18s} {preset.description}")
    return 0
