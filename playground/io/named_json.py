"""Folders of named JSON files (presets, tours): list them and read one by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def names_in(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def read_named(directory: Path, name: str, kind: str) -> dict[str, Any]:
    """The parsed `directory/name.json`; an unknown name lists the known ones."""
    known = names_in(directory)
    if name not in known:  # only shipped names: a name is never a path
        raise ValueError(f"{kind}: unknown {kind} '{name}'; choose one of {', '.join(known)}")
    path = directory / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{kind} {name}: not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from None
