"""What a tour says about its run, as data, checked against what the run measured.

A tour step may carry `"expect": {"modes_covered": "<=3", "hq_percent": ">=60"}`; after the
step ran, `measure` reads the run (and the compared run, if the step opened a comparison) and
each claim holds or not. Captions quote the same numbers through placeholders such as
`{modes_covered}`, so the words cannot drift from the picture. The test suite walks every
tour on seeds 0–4 and fails on a claim that does not hold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.evaluation.metrics import mixture_metrics

RECENT = 20  # iterations averaged for the D-score and gradient measures
UNTIL_EVERY = 25  # iterations between two checks of a tour step's `until` claims
_CLAIM = re.compile(r"^\s*(<=|>=|==|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$")
_OPERATORS = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
}
MEASURES = (
    "modes_covered",
    "modes_total",
    "hq_percent",
    "reverse_kl",
    "modes_changed",
    "d_real",
    "d_fake",
    "grad_g",
    "grad_g_peak",
    "d_marks_g",
    "d_gap",
    "diverged",
    "iteration",
)


@dataclass(frozen=True)
class Claim:
    """`name` (a measure, `b.` + a measure of the compared run, or `x/y`, a ratio of two)
    compared with a number."""

    name: str
    operator: str
    value: float

    @classmethod
    def parse(cls, name: str, text: str, where: str) -> Claim:
        match = _CLAIM.match(str(text))
        if not match:
            raise ValueError(f"{where}: claim {name}: '{text}' is not like '<=3' or '>=0.99'")
        for part in name.split("/"):
            if part.removeprefix("b.") not in MEASURES:
                raise ValueError(
                    f"{where}: claim {name}: unknown measure '{part}'; "
                    f"use {', '.join(MEASURES)} (b.NAME for the compared run)"
                )
        return cls(name, match.group(1), float(match.group(2)))

    def measured(self, values: dict[str, float]) -> float:
        parts = [values.get(part, math.nan) for part in self.name.split("/")]
        if len(parts) == 1:
            return parts[0]
        return parts[0] / parts[1] if parts[1] else math.inf

    def holds(self, values: dict[str, float]) -> bool:
        got = self.measured(values)
        return not math.isnan(got) and _OPERATORS[self.operator](got, self.value)

    def __str__(self) -> str:
        return f"{self.name} {self.operator} {self.value:g}"


def measure(
    trainer: Any,
    diverged: bool = False,
    previous: dict[str, Any] | None = None,
    n: int = 4000,
    ema: bool = False,
) -> dict[str, Any]:
    """The numbers claims and captions may use, for a run as it stands now."""
    history = trainer.history
    values: dict[str, Any] = {
        "iteration": trainer.iteration,
        "diverged": 1.0 if diverged else 0.0,
        "d_real": recent_mean(history["d_real"]),
        "d_fake": recent_mean(history["d_fake"]),
        "grad_g": recent_mean(history["grad_g"]),
        "grad_g_peak": _peak(history["grad_g"]),
    }
    dataset = trainer.dataset
    if dataset.centres is not None and dataset.kind == "points":
        # the mixture measures only (evaluate's energy distance would cost 3x the 50
        # iterations between two checks of a step's `until`); the same samples as evaluate's
        x, _, _ = trainer.sample(n, ema=ema, seed=0)
        metrics = mixture_metrics(x.numpy(), dataset.centres.numpy(), dataset.mode_std)
        for key in ("modes_covered", "modes_total", "hq_percent", "reverse_kl"):
            values[key] = metrics[key]
        values["covered"] = metrics["covered_modes"]
        values.update(_d_at_modes(trainer, values["covered"]))
        if previous is not None and "covered" in previous:
            values["modes_changed"] = float(values["covered"] != previous["covered"])
    return values


def measure_runs(
    trainer: Any,
    diverged: bool = False,
    partner: Any = None,
    partner_diverged: bool = False,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One namespace for claims and captions: the run's measures, and while comparing the
    compared run's as `b.NAME`. `previous` is an earlier result of this function (for
    modes_changed, run by run)."""
    previous = previous or {}
    own = {k: v for k, v in previous.items() if not k.startswith("b.")}
    values = measure(trainer, diverged, own or None)
    if partner is not None:
        theirs = {k[2:]: v for k, v in previous.items() if k.startswith("b.")}
        b = measure(partner, partner_diverged, theirs or None)
        values.update({f"b.{k}": v for k, v in b.items()})
    return values


def run_until(
    run: Callable[[int], Any],
    values: Callable[[], dict[str, Any]],
    most: int,
    until: Sequence[Claim],
    every: int = UNTIL_EVERY,
) -> int:
    """Train `most` iterations, or stop at the first check (every `every` iterations) where
    all `until` claims hold or the run has diverged; returns how many were trained. A fast
    dynamic such as mode hopping is caught mid-jump at a fixed iteration on some seeds, so a
    tour step may stop when its picture is there instead (and say at which iteration)."""
    if not until:
        run(most)
        return most
    done = 0
    while done < most:
        n = min(every, most - done)
        run(n)
        done += n
        now = values()
        if now.get("diverged") or all(claim.holds(now) for claim in until):
            break
    return done


def caption_values(values: dict[str, Any]) -> dict[str, Any]:
    """What a caption can quote: numbers rounded for reading, covered modes as a list."""
    shown: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace(".", "_")  # b.grad_g → {b_grad_g} in a caption
        if isinstance(value, list):
            shown[name] = ", ".join(str(v + 1) for v in value) or "—"
        elif isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
            shown[name] = int(value)
        else:
            shown[name] = value
    return shown


def recent_mean(series: list[float]) -> float:
    """The mean of the last RECENT values (NaN skipped): what captions, claims and the A/B
    view quote for D's scores and G's gradient, so that they agree."""
    tail = [v for v in series[-RECENT:] if v == v]
    return float(np.mean(tail)) if tail else math.nan


def _peak(series: list[float]) -> float:
    """The largest `recent_mean` the run has had: what `grad_g` fell from, when it collapses."""
    values = np.nan_to_num(np.asarray(series, dtype=float), nan=0.0)
    if values.size == 0:
        return math.nan
    window = min(RECENT, values.size)
    return float(np.convolve(values, np.ones(window) / window, mode="valid").max())


def _d_at_modes(trainer: Any, covered: list[int]) -> dict[str, Any]:
    """Where D stands on the modes: `d_lowest` (1-based), the mode whose centre D scores
    lowest; `d_marks_g` 1 when that is one of the modes G covers (D has started to mark G's
    mode as fake: the heat-map, stretched to D's range, is palest around G's mode); `d_gap` the
    mean score on the modes G leaves empty minus the mean on G's."""
    from playground.evaluation.probes import class_mean_scores  # torch: only where D is measured

    scores = class_mean_scores(trainer, trainer.dataset.centres).numpy()
    lowest = int(np.argmin(scores))
    empty = [k for k in range(len(scores)) if k not in covered]
    gap = float(scores[empty].mean() - scores[covered].mean()) if covered and empty else math.nan
    return {
        "d_lowest": lowest + 1,
        "d_marks_g": 1.0 if lowest in covered else 0.0,
        "d_gap": gap,
    }
