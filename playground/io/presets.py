"""Shipped presets: JSON files under assets/presets/, each a named, described GANConfig plus
how long to train it and which generator to sample from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.engine.config import GANConfig
from playground.io.named_json import names_in, read_named
from playground.paths import ASSETS

PRESET_DIR = ASSETS / "presets"


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    config: GANConfig
    steps: int
    sampler: str  # "G" or "ema"
    fails_on_purpose: bool = False
    translations: tuple[tuple[str, str, str], ...] = ()  # (language, title, description)

    def title_in(self, language: str) -> str:
        return next((t for lang, t, _ in self.translations if lang == language), self.title)

    def description_in(self, language: str) -> str:
        return next((d for lang, _, d in self.translations if lang == language), self.description)


def sampler_for(wanted: str, config: GANConfig) -> str:
    """The generator a run samples from: `wanted` ("G" or "ema") where the config keeps an
    EMA copy of G (ema_decay > 0), else G itself."""
    return wanted if config.ema_decay > 0 else "G"


def preset_names(directory: Path = PRESET_DIR) -> list[str]:
    return names_in(directory)


def load_preset(name: str, directory: Path = PRESET_DIR) -> Preset:
    """Read and validate one preset; an unknown name lists the known ones."""
    data = read_named(directory, name, "preset")
    try:
        config = GANConfig.from_dict(data["config"])
    except ValueError as exc:
        raise ValueError(f"preset {name}: {exc}") from exc
    sampler = data.get("sampler", "G")
    if sampler not in ("G", "ema") or (sampler == "ema" and config.ema_decay == 0):
        raise ValueError(f"preset {name}: sampler must be 'G', or 'ema' with ema_decay > 0")
    return Preset(
        name=name,
        title=data.get("title", name),
        description=data["description"],
        config=config,
        steps=int(data["steps"]),
        sampler=sampler,
        fails_on_purpose=bool(data.get("fails_on_purpose", False)),
        translations=tuple(
            (lang, data[lang]["title"], data[lang]["description"])
            for lang in ("zh-CN",)
            if isinstance(data.get(lang), dict)
        ),
    )


def all_presets(directory: Path = PRESET_DIR) -> list[Preset]:
    return [load_preset(name, directory) for name in preset_names(directory)]
