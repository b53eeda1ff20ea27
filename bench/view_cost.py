"""Which view costs the browser what while playing: the classroom tab plays for a fixed time
with everything shown, then with one view hidden (display: none) or some data-view layers
unticked at a time; each line prints the training rate and the cores the server, the play
worker and the browser used. The difference from the "all" lines is that view's share.

Run: python bench/view_cost.py [--play-seconds 8] [VARIANT ...]
A variant is "all", a CSS selector to hide ("#view-data") or "layers:NAME,NAME" (the data
view's layer toggles by their English label, e.g. "layers:D heat-map,real").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ui_speed  # noqa: E402  (its browser flags, page set-up and /proc reader)

DEFAULT = ["all", "#view-batch", "#view-data", "#model-graph", "#view-sparkline", "all"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=DEFAULT)
    parser.add_argument("--play-seconds", type=float, default=8.0)
    parser.add_argument("--port", type=int, default=7887)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}/"
    app = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(args.port), "--preset", "classroom"],
        cwd=ui_speed.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ui_speed.wait_for(url, app)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=ui_speed.ARGS
            )
            for variant in args.variants:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                ui_speed.open_app(page, url)
                ui_speed.unthrottle(page)
                if variant.startswith("layers:"):
                    for name in variant.removeprefix("layers:").split(","):
                        page.locator("label", has_text=name).first.click()
                        page.wait_for_timeout(1500)
                elif variant != "all":
                    page.add_style_tag(content=f"{variant} {{ display: none !important; }}")
                page.wait_for_timeout(500)
                page.click("#btn-play")
                page.wait_for_timeout(2000)
                it0, t0 = page.evaluate(ui_speed.ITERATION), time.time()
                c0 = ui_speed.cpu_seconds(app.pid)
                page.wait_for_timeout(args.play_seconds * 1000)
                it1, t1 = page.evaluate(ui_speed.ITERATION), time.time()
                c1 = ui_speed.cpu_seconds(app.pid)
                page.click("#btn-play")
                page.wait_for_timeout(1500)
                rate = (it1 - it0) / (t1 - t0)
                cores = ui_speed.cores(c0, c1, t1 - t0)
                print(f"{variant:36s} {rate:5.0f} iterations/s  cores: {cores}", flush=True)
                page.close()
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=20)


if __name__ == "__main__":
    main()
