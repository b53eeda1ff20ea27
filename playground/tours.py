"""Scenario tours: short scripts (load a preset → run N → point at a view → caption → question)
stored as JSON under assets/tours/, so a lecturer adds a tour without writing code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.named_json import names_in, read_named
from playground.presets import preset_names
from playground.text import LANGUAGES, normalise_language

TOUR_DIR = Path(__file__).resolve().parent.parent / "assets" / "tours"
VIEWS = range(1, 7)


@dataclass(frozen=True)
class TourStep:
    caption: dict[str, str]
    question: dict[str, str]
    preset: str | None = None  # load this preset first (a fresh run)
    run: int = 0  # then train this many iterations
    view: int = 1  # then bring up this view tab (1-6)
    evaluate: bool = False  # and refresh the metrics


@dataclass(frozen=True)
class Tour:
    name: str
    title: dict[str, str]
    steps: tuple[TourStep, ...]

    def caption(self, index: int, language: str) -> str:
        lang = normalise_language(language)
        step = self.steps[index]
        head = f"**{self.title[lang]} · {index + 1} / {len(self.steps)}**"
        question = f"\n\n❓ {step.question[lang]}" if step.question.get(lang) else ""
        return f"{head}\n\n{step.caption[lang]}{question}"


def tour_names(directory: Path = TOUR_DIR) -> list[str]:
    return names_in(directory)


def load_tour(name: str, directory: Path = TOUR_DIR) -> Tour:
    """Read and check one tour; a mistake names the tour, the step and what is wrong."""
    data = read_named(directory, name, "tour")
    title = _bilingual(data.get("title"), f"tour {name}: title")
    steps = []
    for i, raw in enumerate(data.get("steps", []), start=1):
        where = f"tour {name}, step {i}"
        preset = raw.get("preset")
        if preset is not None and preset not in preset_names():
            raise ValueError(f"{where}: unknown preset '{preset}'")
        run, view = int(raw.get("run", 0)), int(raw.get("view", 1))
        if not 0 <= run <= 100_000:
            raise ValueError(f"{where}: run must be 0-100000 iterations")
        if view not in VIEWS:
            raise ValueError(f"{where}: view must be 1-6")
        steps.append(
            TourStep(
                caption=_bilingual(raw.get("caption"), f"{where}: caption"),
                question=_bilingual(
                    raw.get("question", dict.fromkeys(LANGUAGES, "")),
                    f"{where}: question",
                    allow_empty=True,
                ),
                preset=preset,
                run=run,
                view=view,
                evaluate=bool(raw.get("evaluate", False)),
            )
        )
    if not steps:
        raise ValueError(f"tour {name}: has no steps")
    if steps[0].preset is None:
        raise ValueError(f"tour {name}: the first step must load a preset")
    return Tour(name=name, title=title, steps=tuple(steps))


def _bilingual(value: object, where: str, allow_empty: bool = False) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: needs a text for each of {', '.join(LANGUAGES)}")
    missing = [
        lang
        for lang in LANGUAGES
        if not isinstance(value.get(lang), str) or (not allow_empty and not value[lang].strip())
    ]
    if missing:
        raise ValueError(f"{where}: missing the {', '.join(missing)} text")
    return {lang: value[lang] for lang in LANGUAGES}
