"""UI speed of the one-screen layout in headless Chromium, as ratios against floors measured
in the same run (absolute times differ a lot between machines).

Floors:
- a trivial Gradio event (button -> Markdown) in the same browser: click to text change;
- Trainer.run alone in this process (same preset, one torch thread, as the app uses).
Figures:
1. Click "Step" -> every visible view repainted (status line, model graph, sparkline, batch
   view, data view), timed inside the page from the click to the frame after the last
   change: p50 / p90 over N clicks, and p50 / floor p50 (target <= 4).
2. Play for a fixed time: training iterations/s vs Trainer.run alone (target >= 0.75), and new
   pictures/s of each visible plot (target >= 8 each).
3. Play again with the frames fetched by this process instead of drawn by the page (as a
   student's browser on another machine would): iterations/s vs Trainer.run alone, frames/s.
Run: python bench/ui_speed.py [--clicks 30] [--play-seconds 10] [--busy]
(--busy keeps one core busy with another process throughout, as a second user would.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VISIBLE = ("#status", "#model-graph", "#view-sparkline", "#view-batch", "#view-data")
# Clicks `button` from inside the page and resolves with the ms from the click to the animation
# frame after the last change to any of `watched`, once every one of them has changed and three
# frames pass with no more changes. Mutation observers watch, so measuring costs next to nothing.
CLICK_TO_REPAINT = """([button, watched]) => new Promise((resolve) => {
    const start = performance.now();
    const changed = new Set();
    let dirty = false, last = start, quiet = 0;
    const observers = watched.map((selector) => {
        const observer = new MutationObserver(() => { changed.add(selector); dirty = true; });
        observer.observe(document.querySelector(selector),
                         {subtree: true, childList: true, attributes: true, characterData: true});
        return observer;
    });
    const frame = () => {
        if (dirty) {
            dirty = false;
            last = performance.now();
            quiet = 0;
        } else if (changed.size === watched.length && ++quiet >= 3) {
            observers.forEach((o) => o.disconnect());
            resolve(last - start);
            return;
        }
        requestAnimationFrame(frame);
    };
    document.querySelector(button).click();
    requestAnimationFrame(frame);
})"""
ITERATION = (
    "() => parseInt(/Iteration (\\d+)/.exec(document.querySelector('#status').innerText)[1])"
)
# Counts new pictures of each plot: changes of one drawn element of it (one attribute, of the
# last element the selector matches), read when a MutationObserver on the plot's host reports
# a change. An observer costs the page nothing between frames; an earlier version polled every
# plot on every animation frame (60 a second, 600 points of the data view each time), which
# took CPU from the very core the training thread shares with the browser.
REDRAW_COUNTER = """(watched) => {
    window.__redraws = Object.fromEntries(Object.keys(watched).map((k) => [k, 0]));
    for (const [name, [selector, attribute]] of Object.entries(watched)) {
        const read = () => {
            const all = document.querySelectorAll(selector);  // the last one: see WATCHED
            const element = all.length ? all[all.length - 1] : null;
            return !element ? null
                : attribute === 'text' ? element.textContent : element.getAttribute(attribute);
        };
        let last = read();
        const host = document.querySelector(selector.split(' ')[0]);
        new MutationObserver(() => {
            const now = read();
            if (now !== last) { window.__redraws[name] += 1; last = now; }
        }).observe(host, {subtree: true, childList: true, attributes: true, characterData: true});
    }
}"""
WATCHED = {
    "batch view": ["#view-batch path.bars-d.bars-fake", "d"],
    # the page draws the points on a canvas over the plot (assets/js/dots.js), numbered
    "data view": ["#view-data canvas.pg-dots", "data-frame"],
    "sparkline": ["#view-sparkline polyline.loss_d", "points"],
    "model graph": ['#model-graph [data-node="d.loss"] .node-value', "text"],
}
PER_TICK_INPUT = "input[aria-label='number input for iterations per tick']"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TRIVIAL_APP = """
import gradio as gr
with gr.Blocks() as demo:
    button = gr.Button("go", elem_id="go")
    out = gr.Markdown("0", elem_id="out")
    button.click(lambda: str(__import__("time").time()), None, out, show_progress="hidden")
demo.launch(server_port=PORT, ssr_mode=False, prevent_thread_lock=False)
"""


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


def open_app(page, url: str) -> None:
    """Load the app and wait until its first picture is drawn."""
    page.goto(url)
    page.wait_for_selector("#view-data .js-plotly-plot", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('Iteration 0')"
    )


def unthrottle(page) -> None:
    """Set 200 iterations per tick in the drawer: up to 2000 iterations/s, i.e. no limit."""
    page.click("#drawer .toggle-button")
    page.click("#playback")
    page.locator(PER_TICK_INPUT).fill("200")
    page.keyboard.press("Enter")
    page.click("#drawer .toggle-button")


def percentiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[int(0.9 * (len(values) - 1))]


def clicks(page, button: str, watched: list[str], n: int) -> list[float]:
    times = [page.evaluate(CLICK_TO_REPAINT, [button, watched]) for _ in range(n + 3)]
    return times[3:]  # the first clicks warm up


def trainer_rate(preset: str, seconds: float) -> float:
    """Iterations/s of Trainer.run alone, one torch thread (what the app uses)."""
    import torch

    from playground.engine.trainer import Trainer
    from playground.io.presets import load_preset

    torch.set_num_threads(1)
    trainer = Trainer(load_preset(preset).config.replace(device="cpu"))
    trainer.run(50)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.run(50)
        done += 50
    return done / (time.perf_counter() - start)


def remote_page(page, url: str, seconds: float) -> tuple[float, float, float]:
    """Play again, but the frames go to this process instead of the page (which still shows
    the status line): what the server sustains when the drawing happens on another machine.
    Returns (iterations/s, frames/s, seconds played); frames are fetched one at a time, as
    the page does."""
    page.evaluate("() => { window.playground.play = (token) => { window.__token = token; }; }")
    # the pause before this must be done: Gradio drops a click on a button whose event runs
    page.wait_for_function("() => document.querySelector('#btn-play').innerText.includes('Play')")
    page.wait_for_timeout(500)
    page.click("#btn-play")
    token = page.wait_for_function("() => window.__token").json_value()
    counts = {"frames": 0, "iteration": 0}
    stop = threading.Event()

    def fetch() -> None:
        while not stop.is_set():
            with urllib.request.urlopen(f"{url}playground/frame/{token}", timeout=5) as answer:
                frame = json.loads(answer.read())
            if frame.get("figures"):
                counts["frames"] += 1
                # the iteration the frame shows (the page's own status line only changes with
                # the 2-s timer here, too seldom to time 10 s by)
                counts["iteration"] = int(re.search(r"Iteration (\d+)", frame["status"])[1])

    fetcher = threading.Thread(target=fetch, daemon=True)
    fetcher.start()
    page.wait_for_timeout(2000)
    it0, f0, t0 = counts["iteration"], counts["frames"], time.time()
    page.wait_for_timeout(seconds * 1000)
    it1, f1, t1 = counts["iteration"], counts["frames"], time.time()
    stop.set()
    page.click("#btn-play")
    fetcher.join(timeout=10)
    return (it1 - it0) / (t1 - t0), (f1 - f0) / (t1 - t0), seconds + 2


def cpu_seconds(server: int) -> dict[str, float]:
    """CPU seconds used so far by the web server, its play workers (its children) and the
    browser (every Chromium process), from /proc: where a playing tab's time goes."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"server": 0.0, "play worker": 0.0, "browser": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, fields = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1].split()
        pid, parent = int(stat.parent.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if pid == server:
            used["server"] += seconds
        elif parent == server:
            used["play worker"] += seconds
        elif "chrom" in name:
            used["browser"] += seconds
    return used


def cores(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    return ", ".join(f"{k} {(after[k] - before[k]) / seconds:.2f}" for k in before)


def busy(stop: multiprocessing.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--play-seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=7871)
    parser.add_argument("--preset", default="classroom", help="the 2D preset the tab starts on")
    parser.add_argument("--busy", action="store_true", help="keep one core busy throughout")
    args = parser.parse_args()
    stop = multiprocessing.Event()
    hog = multiprocessing.Process(target=busy, args=(stop,), daemon=True)
    if args.busy:
        hog.start()
    url, floor_url = f"http://127.0.0.1:{args.port}/", f"http://127.0.0.1:{args.port + 1}/"
    app = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(args.port), "--preset", args.preset],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trivial = subprocess.Popen(
        [sys.executable, "-c", TRIVIAL_APP.replace("PORT", str(args.port + 1))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(url, app)
        wait_for(floor_url, trivial)
        alone = trainer_rate(args.preset, 5.0)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(floor_url)
            page.wait_for_selector("#go")
            floor50, _ = percentiles(clicks(page, "#go", ["#out"], args.clicks))

            open_app(page, url)
            page.wait_for_timeout(1000)
            step50, step90 = percentiles(clicks(page, "#btn-step", list(VISIBLE), args.clicks))
            print(
                f"trivial Gradio event (floor): click -> text p50 {floor50:.0f} ms\n"
                f"Step -> {len(VISIBLE)} visible views repainted: p50 {step50:.0f} ms, "
                f"p90 {step90:.0f} ms over {args.clicks} clicks = {step50 / floor50:.1f}x the "
                f"floor (target <= 4x)"
            )

            unthrottle(page)
            page.evaluate(REDRAW_COUNTER, WATCHED)
            page.click("#btn-play")
            page.wait_for_timeout(2000)
            it0, r0, t0 = page.evaluate(ITERATION), page.evaluate("() => window.__redraws"), 0.0
            t0, c0 = time.time(), cpu_seconds(app.pid)
            page.wait_for_timeout(args.play_seconds * 1000)
            it1, r1, t1 = page.evaluate(ITERATION), page.evaluate("() => window.__redraws"), 0.0
            t1, c1 = time.time(), cpu_seconds(app.pid)
            page.click("#btn-play")
            rate = (it1 - it0) / (t1 - t0)
            print(
                f"Trainer.run alone: {alone:.0f} iterations/s; autoplay: {rate:.0f} iterations/s"
                f" = {rate / alone:.2f}x (target >= 0.75x)"
            )
            for name in WATCHED:
                shown = (r1[name] - r0[name]) / (t1 - t0)
                print(f"  {name}: {shown:.1f} new pictures/s (target >= 8)")
            print(f"  cores used: {cores(c0, c1, t1 - t0)}")
            c0 = cpu_seconds(app.pid)
            remote_rate, frames, seconds = remote_page(page, url, args.play_seconds)
            print(
                f"autoplay with the page drawn elsewhere (frames fetched by this process, as a "
                f"student's browser would from the class's server): {remote_rate:.0f} "
                f"iterations/s = {remote_rate / alone:.2f}x, {frames:.1f} frames/s\n"
                f"  cores used over the whole Play (2 s more): "
                f"{cores(c0, cpu_seconds(app.pid), seconds)}"
            )
            browser.close()
    finally:
        for proc in (app, trivial):
            proc.terminate()
            proc.wait(timeout=20)
        stop.set()


if __name__ == "__main__":
    main()
