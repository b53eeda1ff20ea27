"""Walk a tour the way the playground does (load the preset, open the comparison, run,
measure) on any seed, and report which of its claims held: the test that keeps a tour's
words true to its pictures, and a tool for whoever writes a new tour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.claims import Claim, measure, with_partner
from playground.compare import load_comparison
from playground.presets import load_preset
from playground.tours import Tour
from playground.trainer import DivergenceError, Trainer


@dataclass
class StepResult:
    index: int
    values: dict[str, Any]  # measures of run A, and b.NAME of run B when comparing
    failed: list[tuple[Claim, float]] = field(default_factory=list)  # (claim, measured)


def walk(tour: Tour, seed: int) -> list[StepResult]:
    """Every step of `tour` on `seed`, with the claims that did not hold."""
    results: list[StepResult] = []
    a: Trainer | None = None
    b: Trainer | None = None
    diverged = {"A": False, "B": False}
    previous: dict[str, Any] | None = None
    previous_b: dict[str, Any] | None = None
    for index, step in enumerate(tour.steps):
        if step.preset or step.compare:  # a comparison starts both of its runs afresh
            spec = load_comparison(step.compare) if step.compare else None
            config = load_preset(spec.preset if spec else step.preset).config.replace(seed=seed)
            a, b, previous, previous_b = Trainer(config), None, None, None
            if spec is not None:
                b = Trainer(config.replace(**spec.b), dataset=a.dataset)
            diverged = {"A": False, "B": False}
        for name, trainer in (("A", a), ("B", b)):
            if trainer is not None and step.run and not diverged[name]:
                try:
                    trainer.run(step.run)
                except DivergenceError:
                    diverged[name] = True
        values = measure(a, diverged["A"], previous)
        previous = values
        if b is not None:
            partner = measure(b, diverged["B"], previous_b)
            previous_b = partner
            values = with_partner(values, partner)
        failed = [(c, c.measured(values)) for c in step.expect if not c.holds(values)]
        results.append(StepResult(index, values, failed))
    return results
