"""The whole setup in a page URL: `?preset=ring8&seed=3&lr_d=0.0004&tour=mode-collapse&step=2`,
an A/B comparison: `?compare=minimax-vs-nonsat`, or a trained start:
`?preset=mnist-cgan&trained=1`. Only fields that differ from the preset are
written, so links stay short and readable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from playground.engine.config import _TYPES, GANConfig
from playground.engine.drawing import MAX_TEXT
from playground.io.presets import load_preset, preset_names

SETUP_KEYS = ("preset", "tour", "step", "compare", "trained")
PRIVATE_KEYS = ("data_path", "labels_path", "device")  # never in a link: server-side things


@dataclass
class Setup:
    preset: str
    config: GANConfig
    tour: str | None = None
    step: int = 0
    compare: str | None = None  # a shipped comparison to open (its runs start afresh)
    trained: bool = False  # start from the preset's shipped trained weights


def to_query(
    preset: str,
    config: GANConfig,
    tour: str | None = None,
    step: int = 0,
    compare: str | None = None,
    trained: bool = False,
) -> str:
    base = load_preset(preset).config.to_dict() if preset else GANConfig().to_dict()
    params: dict[str, str] = {"preset": preset} if preset else {}
    for key, value in config.to_dict().items():
        if value != base[key] and key not in PRIVATE_KEYS:
            params[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if trained:
        params["trained"] = "1"
    if tour:
        params["tour"] = tour
        params["step"] = str(step)
    elif compare:
        params["compare"] = compare
    return urlencode(params)


def from_query(params: Mapping[str, str], default_preset: str) -> Setup | None:
    """The setup a URL asks for, or None when it names none; bad values raise ValueError."""
    if not any(key in params for key in (*SETUP_KEYS, *_TYPES)):
        return None
    preset = params.get("preset", default_preset)
    if preset not in preset_names():
        raise ValueError("link: unknown preset")
    data = load_preset(preset).config.to_dict()
    for key, raw in params.items():
        if key in SETUP_KEYS:
            continue
        if key in PRIVATE_KEYS:
            raise ValueError(f"link: {key} cannot be set from a link")
        if key not in _TYPES:
            raise ValueError("link: unknown setting")
        if len(raw) > (MAX_TEXT if key == "drawn" else 64):
            raise ValueError(f"link: the value of {key} is too long")
        data[key] = _parse(key, raw)
    step = params.get("step", "0")
    if not step.isdigit() or len(step) > 4:
        raise ValueError("link: step must be a small whole number")
    compare = params.get("compare") or None
    trained = params.get("trained", "0")
    if trained not in ("0", "1", "true", "false"):
        raise ValueError("link: trained must be 1 or 0")
    return Setup(
        preset,
        GANConfig.from_dict(data),
        params.get("tour") or None,
        int(step),
        compare,
        trained in ("1", "true"),
    )


def _parse(key: str, raw: str) -> object:
    kind = _TYPES[key]
    try:
        if kind is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return raw.lower() in ("true", "1")
        return kind(raw)
    except ValueError:
        raise ValueError(f"link: {key} must be a {kind.__name__}") from None
