"""What the browser tests share: where Debian's Chromium is, the flags it needs on a machine
with no network but loopback, and where screenshots go."""

from pathlib import Path

SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
