"""UI speed in headless Chromium against a launched app (a 2D preset, classroom by default).

1. Click "Step" → the open tab's views (status line, D-batch plot and table) repainted, timed
   inside the page from the click to the first frame after the last change: p50 / p90 over N
   clicks.
2. Autoplay for a fixed time, on the loss tab and then on the data tab: training iterations
   per second and redraws per second (animation frames in which the drawn loss curve, or the
   first generated point, differs from the frame before).
Run: python bench/ui_speed.py [--clicks 30] [--play-seconds 10] [--per-tick 32] [--views loss]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
# Clicks "Step" from inside the page and resolves with the ms from the click to the animation
# frame after the last change to the status line, the D-batch plot or its table (the change
# that completes the picture), once the status shows the new iteration and three frames pass
# with no more changes. Mutation observers watch, so measuring costs the page next to nothing.
CLICK_TO_REPAINT = """([n]) => new Promise((resolve) => {
    const view = document.querySelector('#view-batch');
    const status = document.querySelector('#status');
    const start = performance.now();
    let plotChanged = false, dirty = false, last = start, quiet = 0;
    const plots = new MutationObserver(() => { plotChanged = true; dirty = true; });
    const texts = new MutationObserver(() => { dirty = true; });
    plots.observe(view, {subtree: true, childList: true, attributes: true, characterData: true});
    texts.observe(status, {subtree: true, childList: true, characterData: true});
    texts.observe(document.querySelector('#batch-table'),
                  {subtree: true, childList: true, characterData: true});
    const frame = () => {
        if (dirty) {
            dirty = false;
            last = performance.now();
            quiet = 0;
        } else if (plotChanged && status.textContent.includes('Iteration ' + n + ' ')) {
            quiet += 1;
            if (quiet >= 3) {
                plots.disconnect();
                texts.disconnect();
                resolve(last - start);
                return;
            }
        }
        requestAnimationFrame(frame);
    };
    document.querySelector('#btn-step').click();
    requestAnimationFrame(frame);
})"""
ITERATION = (
    "() => parseInt(/Iteration (\\d+)/.exec(document.querySelector('#status').innerText)[1])"
)
# Counts new pictures of a plot: animation frames in which one drawn element of it (the loss_D
# curve's SVG path; the first generated point's position) differs from the frame before.
# Reading one attribute per frame costs the page next to nothing; a redraw that spans two frames
# still counts once.
REDRAW_COUNTER = """([selector, attribute]) => {
    window.__redraws = 0;
    window.__counting = (window.__counting || 0) + 1;
    const run = window.__counting;
    let last = null;
    const frame = () => {
        if (run !== window.__counting) return;  // a newer counter took over
        const element = document.querySelector(selector);
        const now = element ? element.getAttribute(attribute) : null;
        if (now !== last) { window.__redraws += 1; last = now; }
        requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""
# (tab, what is watched, its selector, attribute)
WATCHED = {
    "loss": ("4 · losses", "loss plot", "#view-loss .scatterlayer path.js-line", "d"),
    "data": (
        "5 · data / samples",
        "data plot",
        "#view-data .scatterlayer .trace:nth-of-type(2) path.point",
        "transform",
    ),
}
PER_TICK_INPUT = "input[aria-label='number input for iterations per tick']"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def wait_for(url: str, proc: subprocess.Popen) -> None:
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("app exited") from None
            time.sleep(0.5)
    raise SystemExit("app did not start")


def autoplay(page, seconds: float) -> tuple[float, float]:
    """Play for `seconds` after 2 s to settle, then pause: (iterations/s, redraws/s)."""
    page.click("#btn-play")
    page.wait_for_timeout(2000)
    it0, r0, t0 = page.evaluate(ITERATION), page.evaluate("() => window.__redraws"), time.time()
    page.wait_for_timeout(seconds * 1000)
    it1, r1, t1 = page.evaluate(ITERATION), page.evaluate("() => window.__redraws"), time.time()
    page.click("#btn-play")
    page.wait_for_function("() => document.querySelector('#btn-play').innerText.includes('Play')")
    return (it1 - it0) / (t1 - t0), (r1 - r0) / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--play-seconds", type=float, default=10.0)
    parser.add_argument("--per-tick", type=int, default=32)
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--preset", default="classroom", help="the 2D preset the tab starts on")
    parser.add_argument(
        "--views", nargs="+", choices=list(WATCHED), default=list(WATCHED), help="tabs to play on"
    )
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}/"
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(args.port), "--preset", args.preset],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#view-batch .js-plotly-plot", timeout=60_000)
            latencies = []
            for i in range(args.clicks + 3):
                latency = page.evaluate(CLICK_TO_REPAINT, [i + 1])
                if i >= 3:  # the first clicks warm up
                    latencies.append(latency)
            latencies.sort()
            p50 = statistics.median(latencies)
            p90 = latencies[int(0.9 * (len(latencies) - 1))]
            print(
                f"Step click -> status + D-batch plot + table repainted: p50 {p50:.0f} ms, "
                f"p90 {p90:.0f} ms "
                f"over {len(latencies)} clicks (target p50 <= 150 ms)"
            )

            page.locator(PER_TICK_INPUT).fill(str(args.per_tick))
            page.keyboard.press("Enter")
            for view in args.views:
                tab, name, selector, attribute = WATCHED[view]
                page.get_by_role("tab", name=tab).click()
                page.wait_for_selector(selector, timeout=30_000)
                page.evaluate(REDRAW_COUNTER, [selector, attribute])
                its, redraws = autoplay(page, args.play_seconds)
                print(
                    f"autoplay on the {view} tab ({args.per_tick} iterations/tick, "
                    f"10 frames/s): {its:.0f} iterations/s (target >= 300), "
                    f"{name} showed {redraws:.1f} new pictures/s (target >= 8)"
                )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
