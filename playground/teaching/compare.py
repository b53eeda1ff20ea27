"""A/B runs: two configurations trained side by side on the same data with the same seed,
stepping together, so a failure can be shown next to its fix.

Both runs start from the same seed: the same data stream, the same noise and (when the
networks have the same shape) the same initial weights. Where a setting changes how much a
step draws (batch size, d_steps, pack…), the two random streams part ways from the first
step; everything else is identical, so what differs is what the listed settings do.

Shipped comparisons live in assets/comparisons/NAME.json: a preset (run A) and the settings
run B changes, with a two-language title; they are picked by name only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from playground.engine.config import GANConfig
from playground.engine.trainer import DivergenceError, Trainer
from playground.io.named_json import names_in, read_named
from playground.io.presets import load_preset, preset_names
from playground.paths import ASSETS
from playground.teaching.claims import measure_runs
from playground.text import LANGUAGES, normalise_language

COMPARISON_DIR = ASSETS / "comparisons"


@dataclass(frozen=True)
class ComparisonSpec:
    """Run A is `preset`; run B is the same preset with the settings in `b` changed."""

    name: str
    title: dict[str, str]
    preset: str
    b: dict[str, Any]
    steps: int

    def configs(self, seed: int | None = None) -> tuple[GANConfig, GANConfig]:
        a = load_preset(self.preset).config
        if seed is not None:
            a = a.replace(seed=seed)
        return a, a.replace(**self.b)

    def title_in(self, language: str) -> str:
        return self.title[normalise_language(language)]


def comparison_names(directory: Path = COMPARISON_DIR) -> list[str]:
    return names_in(directory)


def load_comparison(name: str, directory: Path = COMPARISON_DIR) -> ComparisonSpec:
    """Read and check one shipped comparison; a mistake names it and the field."""
    data = read_named(directory, name, "comparison")
    where = f"comparison {name}"
    title = data.get("title")
    if not isinstance(title, dict) or any(not title.get(lang) for lang in LANGUAGES):
        raise ValueError(f"{where}: title needs a text for each of {', '.join(LANGUAGES)}")
    preset = data.get("preset")
    if preset not in preset_names():
        raise ValueError(f"{where}: unknown preset '{preset}'")
    b = data.get("b")
    if not isinstance(b, dict) or not b:
        raise ValueError(f"{where}: b must name at least one setting that run B changes")
    spec = ComparisonSpec(name, dict(title), preset, dict(b), int(data.get("steps", 1000)))
    try:
        spec.configs()
    except ValueError as exc:
        raise ValueError(f"{where}: b: {exc}") from None
    return spec


def differences(a: GANConfig, b: GANConfig) -> list[tuple[str, Any, Any]]:
    """(setting, value in A, value in B) for every setting the two runs do not share."""
    da, db = a.to_dict(), b.to_dict()
    return [(name, da[name], db[name]) for name in da if da[name] != db[name]]


class Run(Protocol):
    """One run of a comparison: a playground tab (ui.Session) or a bare Trainer (TrainerRun)."""

    trainer: Trainer
    diverged: bool


R = TypeVar("R", bound=Run)


class Comparison(Generic[R]):
    """Two runs that step together, the one rule for the playground's tab, the tour test and
    the CLI: each action goes to both runs, B then A; a run that diverged stays where its
    guard rolled it back and is not stepped again (until rewound), while the other goes on."""

    def __init__(self, a: R, b: R) -> None:
        self.a, self.b = a, b

    @property
    def runs(self) -> dict[str, R]:
        return {"A": self.a, "B": self.b}

    @property
    def same_data(self) -> bool:
        return self.a.trainer.dataset is self.b.trainer.dataset

    def differences(self) -> list[tuple[str, Any, Any]]:
        return differences(self.a.trainer.config, self.b.trainer.config)

    def step(self, action: Callable[[R], Any]) -> None:
        """`action(run)` on each run that has not diverged."""
        for run in (self.b, self.a):
            if not run.diverged:
                action(run)

    def measure(self, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """A's measures, and B's as b.NAME (what tours' claims and captions quote)."""
        a, b = self.a, self.b
        return measure_runs(a.trainer, a.diverged, b.trainer, b.diverged, previous)


@dataclass
class TrainerRun:
    """A bare Trainer as a run (the CLI, the tour test): a divergence is noted, not raised."""

    trainer: Trainer
    diverged: bool = False

    def run(self, n: int) -> None:
        try:
            self.trainer.run(n)
        except DivergenceError:
            self.diverged = True


def trainer_pair(a: GANConfig, b: GANConfig) -> Comparison[TrainerRun]:
    """Runs A and B as bare Trainers, B on A's data when it draws the same."""
    run_a = Trainer(a)
    return Comparison(TrainerRun(run_a), TrainerRun(Trainer(b, dataset=run_a.dataset_for(b))))
