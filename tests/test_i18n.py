"""Every piece of UI text exists in English and Simplified Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from playground.ui.app import CONTROL_NAMES
from playground.ui.i18n import EN, FIELD_ZH, ZH

APP = Path(__file__).resolve().parents[1] / "playground" / "ui" / "app.py"


def test_every_label_key_has_both_languages() -> None:
    assert set(EN) == set(ZH)
    empty = [key for key in EN if not EN[key].strip() or not ZH[key].strip()]
    assert not empty, f"empty translations: {empty}"


def test_every_key_the_app_uses_is_translated() -> None:
    used = set(re.findall(r'\bt\("([^"]+)"\)', APP.read_text(encoding="utf-8")))
    assert used, "the app should label its components through t()"
    missing = sorted(used - set(EN))
    assert not missing, f"keys used in app.py without a translation: {missing}"


def test_every_setup_control_is_translated() -> None:
    missing = [name for name in CONTROL_NAMES if name not in FIELD_ZH]
    assert not missing, f"setup controls without Chinese text: {missing}"
    for name in CONTROL_NAMES:
        assert f"field.{name}" in ZH and f"field.{name}.info" in ZH
