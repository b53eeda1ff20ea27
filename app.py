"""`python app.py` launches GAN Playground in the browser (http://127.0.0.1:7860 by default)."""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description="GAN Playground: train a GAN one step at a time.")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--share", action="store_true", help="also create a public Gradio share link"
    )
    args = parser.parse_args()

    from playground.ui.app import launch

    launch(host=args.host, port=args.port, share=args.share)


if __name__ == "__main__":
    main()
