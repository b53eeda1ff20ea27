"""`python app.py` launches GAN Playground in the browser (http://127.0.0.1:7860 by default)."""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description="GAN Playground: train a GAN one step at a time.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also make a public share link")
    parser.add_argument("--preset", help="preset a new tab starts on (default: classroom)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="a folder whose files browser users may train on by name (default: none; "
        "users can always upload their own)",
    )
    args = parser.parse_args()
    if args.data_dir is not None and not args.data_dir.is_dir():
        parser.error(f"--data-dir: {args.data_dir} is not a folder")

    from playground.io.presets import preset_names
    from playground.ui.app import launch
    from playground.ui.session import DEFAULT_PRESET

    preset = args.preset or DEFAULT_PRESET
    if preset not in preset_names():
        parser.error(
            f"--preset: unknown preset '{preset}'; choose one of {', '.join(preset_names())}"
        )
    launch(host=args.host, port=args.port, share=args.share, preset=preset, data_dir=args.data_dir)


if __name__ == "__main__":
    main()
