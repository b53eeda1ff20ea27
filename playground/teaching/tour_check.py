"""Walk a tour the way the playground does (load the preset, open the comparison, run,
measure) on any seed, and report which of its claims held: the test that keeps a tour's
words true to its pictures, and a tool for whoever writes a new tour."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Protocol

from playground.engine.trainer import Trainer
from playground.io.presets import load_preset
from playground.teaching.claims import Claim, measure_runs, run_until
from playground.teaching.compare import (
    Comparison,
    ComparisonSpec,
    TrainerRun,
    load_comparison,
    trainer_pair,
)
from playground.teaching.tours import Tour, TourStep


@dataclass
class StepResult:
    index: int
    values: dict[str, Any]  # measures of run A, and b.NAME of run B when comparing
    failed: list[tuple[Claim, float]] = field(default_factory=list)  # (claim, measured)


class TourRuns(Protocol):
    """What a tour step acts on: a playground tab (ui.Session) or bare Trainers (walk below).
    Each returns the runs that hold the result (new ones when a preset or comparison is
    loaded)."""

    def tour_preset(self, name: str) -> TourRuns: ...
    def tour_comparison(self, spec: ComparisonSpec) -> TourRuns: ...
    def run(self, n: int) -> Any: ...
    def measure(self, previous: dict[str, Any] | None = None) -> dict[str, Any]: ...


def play_step(
    step: TourStep, runs: TourRuns, previous: dict[str, Any] | None
) -> tuple[TourRuns, dict[str, Any] | None, int]:
    """One tour step as the playground and the tour test both carry it out: load its preset
    or open its comparison (fresh runs measure afresh), then train `run` iterations or until
    its `until` claims hold. Returns (the runs, the measures to compare with, iterations
    trained); the caller measures the result."""
    if step.compare:
        runs, previous = runs.tour_comparison(load_comparison(step.compare)), None
    elif step.preset:
        runs, previous = runs.tour_preset(step.preset), None
    done = 0
    if step.run:
        now = functools.partial(runs.measure, previous)
        done = run_until(runs.run, now, step.run, step.until)
    return runs, previous, done


@dataclass
class BareRuns:
    """A tour's runs as bare Trainers on one seed: one run, or a comparison's pair."""

    seed: int
    one: TrainerRun | None = None
    pair: Comparison[TrainerRun] | None = None

    def tour_preset(self, name: str) -> BareRuns:
        config = load_preset(name).config.replace(seed=self.seed)
        return BareRuns(self.seed, one=TrainerRun(Trainer(config)))

    def tour_comparison(self, spec: ComparisonSpec) -> BareRuns:
        return BareRuns(self.seed, pair=trainer_pair(*spec.configs(self.seed)))

    def run(self, n: int) -> None:
        if self.pair is not None:
            self.pair.step(lambda run: run.run(n))
        else:
            self.one.run(n)

    def measure(self, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.pair is not None:
            return self.pair.measure(previous)
        return measure_runs(self.one.trainer, self.one.diverged, previous=previous)


def walk(tour: Tour, seed: int) -> list[StepResult]:
    """Every step of `tour` on `seed`, with the claims that did not hold."""
    results: list[StepResult] = []
    runs: TourRuns = BareRuns(seed)
    values: dict[str, Any] | None = None
    for index, step in enumerate(tour.steps):
        runs, previous, _ = play_step(step, runs, values)
        values = runs.measure(previous)
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
