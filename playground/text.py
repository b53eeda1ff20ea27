"""Every piece of text a learner reads, in one file per language (assets/text/en.json and
assets/text/zh-CN.json), so a translator edits data, not code. Lecture captions, status
messages, plot titles and UI labels all come from here; nothing else holds translations
(presets and tours carry their own two-language titles in their JSON).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from playground.paths import ASSETS

TEXT_DIR = ASSETS / "text"
LANGUAGES = ("en", "zh-CN")


def normalise_language(code: str | None) -> str:
    """Browser codes such as 'zh', 'zh-Hans-CN' or 'en-GB' → 'zh-CN' or 'en'."""
    return "zh-CN" if code and code.lower().startswith("zh") else "en"


@lru_cache(maxsize=len(LANGUAGES))
def table(language: str) -> dict[str, str]:
    """{key: template} for one language, read once. English setup-field labels and help are
    come from GANConfig's own field help, so they cannot drift from the config."""
    from playground.engine.config import LIVE_FIELDS, GANConfig

    language = normalise_language(language)
    entries = json.loads((TEXT_DIR / f"{language}.json").read_text(encoding="utf-8"))
    for key in [k for k in entries if k.startswith("field.") and not k.endswith(".info")]:
        name = key[len("field.") :]
        applies = entries["live" if name in LIVE_FIELDS else "rebuilds"]
        if language == "en":
            entries[f"{key}.info"] = f"{GANConfig.help(name)} ({applies})"
        else:
            entries[f"{key}.info"] += f"（{applies}）"
    return entries


def text(key: str, language: str, **values: Any) -> str:
    """The text for `key` in `language`, with `values` filled in."""
    return table(language)[key].format(**values)
