"""Every piece of UI text exists in English and Simplified Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from playground.ui.i18n import EN, ZH
from playground.ui.layout import CONTROL_NAMES

UI = Path(__file__).resolve().parents[1] / "playground" / "ui"


def test_every_label_key_has_both_languages() -> None:
    assert set(EN) == set(ZH)
    empty = [key for key in EN if not EN[key].strip() or not ZH[key].strip()]
    assert not empty, f"empty translations: {empty}"


def test_every_key_the_app_uses_is_translated() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in UI.glob("*.py"))
    used = set(re.findall(r'\b(?:t|label_text)\("([^"]+)"', source))
    assert len(used) > 40, "the UI should label its components through t()"
    missing = sorted(used - set(EN))
    assert not missing, f"keys used in the UI without a translation: {missing}"


def test_every_setup_control_is_translated() -> None:
    for name in CONTROL_NAMES:
        assert f"field.{name}" in ZH and f"field.{name}.info" in ZH
