"""Where the files the package ships live (presets, tours, texts, weights): one home for the
assets folder, whichever room reads from it."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
