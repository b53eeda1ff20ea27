"""Static UI labels served through Gradio's i18n (the browser's language picks one; the
language switch overrides it). The texts themselves live in playground.text, with every other
translated string."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from playground.text import table

EN, ZH = table("en"), table("zh-CN")


def _for_browser(entries: dict[str, str]) -> dict[str, str]:
    """The labels the page needs (the exported code's comments stay on the server)."""
    return {k: v for k, v in entries.items() if not k.startswith("code.")}


I18N = gr.I18n(en=_for_browser(EN), **{"zh-CN": _for_browser(ZH)})


def t(key: str) -> gr.i18n.I18nData:
    """A label that the browser shows in its language."""
    if key not in EN:
        raise KeyError(f"no translation key '{key}'")
    return I18N(key)


TRANSLATED_PROPS = ("label", "info", "value")


def labelled_blocks(blocks: Iterable[Any]) -> list[tuple[Any, dict[str, str]]]:
    """Components whose label/info/value is a translation key: (component, {prop: key})."""
    found = []
    for block in blocks:
        props = {}
        for prop in TRANSLATED_PROPS:
            key = _key_of(getattr(block, prop, None))
            if key is not None:
                props[prop] = key
        if props:
            found.append((block, props))
    return found


def _key_of(value: Any) -> str | None:
    """The translation key of a prop: an I18nData, or the serialised form Gradio keeps for
    values (`__i18n__{"key": …}`)."""
    if isinstance(value, I18nData):
        return value.key
    if isinstance(value, str) and value.startswith(_SERIALISED):
        return json.loads(value[len(_SERIALISED) :]).get("key")
    return None


_SERIALISED = "__i18n__"


def label_text(key: str, language: str) -> str:
    """The plain text of a label key in one language (for updates sent by the server)."""
    return (ZH if language == "zh-CN" else EN)[key]


def relabel(props: dict[str, str], language: str) -> dict[str, Any]:
    """An update that writes the texts of one language, overriding the browser's choice."""
    table = ZH if language == "zh-CN" else EN
    return gr.update(**{prop: table[key] for prop, key in props.items()})
