"""Walk a tour the way the playground does (load the preset, open the comparison, run,
measure) on any seed, and report which of its claims held: the test that keeps a tour's
words true to its pictures, and a tool for whoever writes a new tour."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from playground.engine.trainer import DivergenceError, Trainer
from playground.io.presets import load_preset
from playground.teaching.claims import Claim, measure_runs, run_until
from playground.teaching.compare import Comparison, load_comparison
from playground.teaching.tours import Tour


@dataclass
class StepResult:
    index: int
    values: dict[str, Any]  # measures of run A, and b.NAME of run B when comparing
    failed: list[tuple[Claim, float]] = field(default_factory=list)  # (claim, measured)


def walk(tour: Tour, seed: int) -> list[StepResult]:
    """Every step of `tour` on `seed`, with the claims that did not hold."""
    results: list[StepResult] = []
    run: Trainer | None = None  # the run, when not comparing
    pair: Comparison | None = None  # the two runs, when comparing
    diverged = False
    values: dict[str, Any] | None = None
    for index, step in enumerate(tour.steps):
        if step.compare:  # a comparison starts both of its runs afresh
            pair, values = Comparison(*load_comparison(step.compare).configs(seed)), None
        elif step.preset:
            pair, diverged, values = None, False, None
            run = Trainer(load_preset(step.preset).config.replace(seed=seed))
        if pair is not None:
            pair.run(step.run)
            a, b = pair.runs["A"], pair.runs["B"]
            values = measure_runs(a, pair.diverged["A"], b, pair.diverged["B"], values)
        else:
            if step.run and not diverged:
                now = functools.partial(measure_runs, run, previous=values)
                try:
                    run_until(run.run, now, step.run, step.until)
                except DivergenceError:
                    diverged = True
            values = measure_runs(run, diverged, previous=values)
        failed = [(c, c.measured(values)) for c in step.expect if not c.holds(values)]
        results.append(StepResult(index, values, failed))
    return results


def claiming_tours() -> list[str]:
    """The shipped tours that state claims (`expect`): what the test suite walks."""
    from playground.teaching.tours import load_tour, tour_names

    return [name for name in tour_names() if any(s.expect for s in load_tour(name).steps)]


def walk_named(name: str, seed: int) -> list[StepResult]:
    """`walk` of a shipped tour on one torch thread: for a pool of worker processes."""
    import torch

    from playground.teaching.tours import load_tour

    torch.set_num_threads(1)
    return walk(load_tour(name), seed)
