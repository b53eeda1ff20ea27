"""`python -m playground`: train, sample and list presets without a browser.

Bad options exit with code 2 and one line on stderr; a run that diverges exits with 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from playground.engine.config import _TYPES, GANConfig

PROG = "python -m playground"
# each command's module and function, imported when it runs (so --help does not load torch)
COMMANDS = {
    "train": ("training", "train"),
    "train-classifier": ("training", "train_classifier"),
    "train-start": ("training", "train_start"),
    "sample": ("files", "sample"),
    "export": ("files", "export"),
    "compare": ("comparing", "compare"),
    "presets": ("comparing", "presets"),
}


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
        module, name = COMMANDS[args.command]
        command = getattr(importlib.import_module(f"playground.cli.{module}"), name)
        return command(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


def read_json_object(path: Path, option: str) -> dict[str, Any]:
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
