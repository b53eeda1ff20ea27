"""Scenario tours: short scripts (load a preset → run N → point at a view → caption → question)
stored as JSON under assets/tours/, so a lecturer adds a tour without writing code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.io.named_json import names_in, read_named
from playground.io.presets import preset_names
from playground.paths import ASSETS
from playground.teaching.claims import Claim, caption_values
from playground.text import LANGUAGES, normalise_language, text

TOUR_DIR = ASSETS / "tours"
VIEWS = range(1, 8)  # 1-6 the view tabs, 7 the comparison


@dataclass(frozen=True)
class TourStep:
    caption: dict[str, str]
    question: dict[str, str]
    preset: str | None = None  # load this preset first (a fresh run)
    run: int = 0  # then train this many iterations
    view: int = 1  # then bring up this view tab (1-6, 7: the comparison)
    evaluate: bool = False  # and refresh the metrics
    compare: str | None = None  # start this shipped comparison afresh (runs A and B)
    expect: tuple[Claim, ...] = ()  # what the caption claims, checked against the run
    until: tuple[Claim, ...] = ()  # stop the run early once these hold (checked every 25)
    layers: tuple[str, ...] | None = None  # then show these data-view layers (None: keep)


@dataclass(frozen=True)
class Tour:
    name: str
    title: dict[str, str]
    steps: tuple[TourStep, ...]

    def caption(self, index: int, language: str, values: dict[str, Any] | None = None) -> str:
        """The step's caption with the numbers the run measured filled in (`{modes_covered}`,
        `{b_grad_g:.1f}`…); "?" where a number is not known."""
        lang = normalise_language(language)
        step = self.steps[index]
        head = f"**{self.title[lang]} · {index + 1} / {len(self.steps)}**"
        asked = step.question.get(lang)
        # a word, not an emoji: "❓" drew as an empty box where no emoji font is installed
        question = f"\n\n**{text('tour.question', lang)}** {asked}" if asked else ""
        body = step.caption[lang].format_map(_Known(caption_values(values or {})))
        return f"{head}\n\n{body}{question}"


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
            raise ValueError(f"{where}: view must be 1-7")
        compare = raw.get("compare")
        if compare is not None:
            from playground.teaching.compare import comparison_names

            if compare not in comparison_names():
                raise ValueError(f"{where}: unknown comparison '{compare}'")
        expect, until = raw.get("expect", {}), raw.get("until", {})
        for key, claims in (("expect", expect), ("until", until)):
            if not isinstance(claims, dict):
                raise ValueError(f"{where}: {key} must map measures to claims such as '<=3'")
        if until and (not run or compare is not None):
            raise ValueError(f"{where}: until needs a run of its own (not a comparison's)")
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
                compare=compare,
                expect=tuple(Claim.parse(k, v, where) for k, v in expect.items()),
                until=tuple(Claim.parse(k, v, where) for k, v in until.items()),
                layers=_layers(raw.get("layers"), where),
            )
        )
    if not steps:
        raise ValueError(f"tour {name}: has no steps")
    if steps[0].preset is None and steps[0].compare is None:
        raise ValueError(f"tour {name}: the first step must load a preset or a comparison")
    return Tour(name=name, title=title, steps=tuple(steps))


def _layers(value: object, where: str) -> tuple[str, ...] | None:
    """A step's data-view layers: a list of the layer names the data view offers."""
    from playground.views.figures import DATA_LAYERS

    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: layers must be a list of layer names")
    unknown = [v for v in value if v not in DATA_LAYERS]
    if unknown:
        raise ValueError(f"{where}: unknown layer '{unknown[0]}'; use {', '.join(DATA_LAYERS)}")
    return tuple(value)


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


class _Known(dict):
    """Caption values; a placeholder with no measured value reads "?" (format_map calls
    __missing__), and a format spec on it is dropped."""

    def __missing__(self, key: str) -> Any:
        return _Unknown()


class _Unknown:
    def __format__(self, spec: str) -> str:
        return "?"
