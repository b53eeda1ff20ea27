"""Folders of named JSON files (presets, tours): list them and read one by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def names_in(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def read_named(directory: Path, name: str, kind: str) -> dict[str, Any]:
    """The parsed `directory/name.json`; an unknown name lists the known ones."""
    path = directory / f"{name}.json"
    if not path.is_file():
        known = ", ".join(names_in(directory))
        raise ValueError(f"{kind}: unknown {kind} '{name}'; choose one of {known}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{kind} {name}: not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from None
