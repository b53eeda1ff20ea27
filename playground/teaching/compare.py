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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.engine.config import GANConfig
from playground.engine.trainer import DivergenceError, Trainer
from playground.io.named_json import names_in, read_named
from playground.io.presets import load_preset, preset_names
from playground.paths import ASSETS
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


class Comparison:
    """Two Trainers that step together. A run that diverges stays where its guard rolled it
    back (and says so in `diverged`) while the other goes on."""

    def __init__(self, a: GANConfig, b: GANConfig) -> None:
        self.a = Trainer(a)
        self.same_data = a.same_data(b)
        self.b = Trainer(b, dataset=self.a.dataset if self.same_data else None)
        self.diverged = {"A": False, "B": False}

    @property
    def runs(self) -> dict[str, Trainer]:
        return {"A": self.a, "B": self.b}

    def differences(self) -> list[tuple[str, Any, Any]]:
        return differences(self.a.config, self.b.config)

    def run(self, n: int) -> None:
        """n iterations of each run (a diverged run is not stepped again)."""
        for name, trainer in self.runs.items():
            if self.diverged[name]:
                continue
            try:
                trainer.run(n)
            except DivergenceError:
                self.diverged[name] = True
