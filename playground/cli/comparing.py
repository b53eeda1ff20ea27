"""`compare` (two settings side by side, a table of their measures) and `presets`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from playground.cli import UsageError

COMPARED = ("modes_covered", "hq_percent", "reverse_kl", "d_real", "d_fake", "grad_g")


def compare(args: argparse.Namespace) -> int:
    import torch

    from playground.io.presets import load_preset, preset_names
    from playground.teaching.claims import measure
    from playground.teaching.compare import comparison_names, load_comparison, trainer_pair

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
        pair = trainer_pair(config_a, config_b)
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
        pair.step(lambda run, n=chunk: run.run(n))
        done += chunk
        rows = {name: measure(run.trainer, run.diverged) for name, run in pair.runs.items()}
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


def presets(_args: argparse.Namespace) -> int:
    from playground.io.presets import all_presets

    for preset in all_presets():
        tag = "  [fails on purpose]" if preset.fails_on_purpose else ""
        print(f"{preset.name:18s} {preset.steps:>6d} its  {preset.title}{tag}")
        print(f"{'':18s} {preset.description}")
    return 0
