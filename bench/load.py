"""A classroom's load on one launched app (loopback only; every loop bounded in count and time).

1. Fairness: S sessions play (gradio_client /play, each fetching its autoplay frames 10×/s as
   a page does); another user clicks Step C times. Prints that user's click latency p50/p95,
   against the same clicks with nobody playing (the floor, same run).
2. Soak: U sessions step, run and move sliders for a fixed time. Prints errors, cross-session
   mix-ups (each session's iteration count must be exactly what it asked for) and the server's
   RSS minute by minute.
3. Tabs: T browser tabs (headless Chromium) each load, step and close, after 10 warm-up tabs.
   Prints the server's RSS before, right after and 60 s after, and the sessions/threads the
   health route reports.
Run: python bench/load.py [--players 15] [--clicks 40] [--users 16] [--soak-seconds 120]
                          [--tabs 150] [--busy] [--mix] [--skip-fairness]
--mix: each soak user on its own preset (all shipped presets in turn, images included), with
random Step / Step D / Step G / Run N / Evaluate

Capacity: python bench/load.py --capacity [--replicas 3] [--think 1.0] [--busy]
  how many users clicking Step (--think seconds between an answer and the next click) the app
  holds with a click p95 <= 0.5 s: 1, 2, 4, 8, 12, 16, 24 ... users for 20 s each, through
  deploy/serve.py's HAProxy when --replicas > 1. Each user is what a page sends (PageUser: the
  page load with its cookies, first paint, then per click the fast Step route and the
  after-step event); the latency is the fast route's answer, what the page draws. One user
  alone is the floor.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = 10
ITERATIONS = [0]  # iterations all players' runs trained (from their frames' status lines)
REACHED: dict[str, int] = {}  # player token -> the iteration its last frame showed
REACHED_LOCK = threading.Lock()


def workers_rss_mib(pid: int) -> float:
    """RSS of the app's child processes (its play workers, started from any of its threads)."""
    children = [
        int(child)
        for listing in Path(f"/proc/{pid}/task").glob("*/children")
        for child in listing.read_text().split()
    ]
    return sum(rss_mib(child) for child in children)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def health(url: str) -> dict:
    return json.load(urllib.request.urlopen(url + "playground/health", timeout=10))


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def clicks(url: str, n: int) -> list[float]:
    client = Client(url, verbose=False)
    client.predict(api_name="/step")  # warm up
    times = []
    for _ in range(n):
        start = time.perf_counter()
        client.predict(api_name="/step")
        times.append(time.perf_counter() - start)
    return times


def player(url: str, stop: threading.Event, errors: list[str]) -> None:
    """One playing tab: Play, then fetch frames 10×/s (one at a time) until told to stop."""
    try:
        client = Client(url, verbose=False)
        out = client.predict(32, 1, api_name="/play")
        token = next(v for v in out if isinstance(v, str) and len(v) >= 20 and " " not in v)
        frame = url + f"playground/frame/{token}"
        while not stop.is_set():
            status = json.loads(urllib.request.urlopen(frame, timeout=30).read()).get("status")
            if status:  # the iteration this player's run has reached, for the total trained
                reached = int(re.search(r"Iteration\D*(\d+)", status)[1])
                with REACHED_LOCK:
                    ITERATIONS[0] += reached - REACHED.get(token, reached)
                    REACHED[token] = reached
            stop.wait(0.1)
        client.predict(32, 1, api_name="/play")  # pause
    except Exception as exc:  # a bench reports failures, it does not stop on them
        errors.append(f"player: {exc}")


def soak_user(url: str, seconds: float, report: list, errors: list[str]) -> None:
    """One user stepping for `seconds`: its iteration count must be exactly its own."""
    try:
        client = Client(url, verbose=False)
        expected, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            got = client.predict(api_name="/step")[SUMMARY]["iteration"]
            expected += 1
            if got != expected:
                errors.append(f"mix-up: expected iteration {expected}, got {got}")
                expected = got
            got = client.predict(20, api_name="/run")[SUMMARY]["iteration"]
            expected += 20
            if got != expected:
                errors.append(f"mix-up: expected iteration {expected}, got {got}")
                expected = got
        report.append(expected)
    except Exception as exc:
        errors.append(f"user: {exc}")


def mixed_user(
    url: str, preset: str, seconds: float, seed: int, report: list, errors: list[str]
) -> None:
    """One user of a mixed class (--mix): its own preset, then random Step, Step D, Step G,
    Run N (20-100) and Evaluate for `seconds`; Step and Run N must add exactly their
    iterations to what this user's run had (a failed call or another user's run would not)."""
    import random

    rng = random.Random(seed)
    try:
        client = Client(url, verbose=False)
        client.predict(preset, api_name="/preset")
        iteration, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            action = rng.choice(("step", "step", "step_d", "step_g", "run", "evaluate"))
            if action == "evaluate":
                client.predict(api_name="/evaluate")
                continue
            n = rng.randint(20, 100) if action == "run" else 1
            args = (n,) if action == "run" else ()
            summary = client.predict(*args, api_name=f"/{action}")[SUMMARY]
            got = summary["iteration"]
            want = iteration + (n if action in ("step", "run") else 0)
            if summary["diverged"]:  # a run that diverges stops where it diverged, as taught
                want = got if iteration <= got <= want else want
            if action == "step_g":  # a G step finishes an iteration
                want = got if got in (iteration, iteration + 1) else want
            if got != want:
                errors.append(f"{preset}: {action} reached iteration {got}, expected {want}")
            iteration = got
        report.append(iteration)
    except Exception as exc:
        errors.append(f"{preset}: {exc}")


def tabs(url: str, n: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        for _ in range(n):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            page = context.new_page()
            page.goto(url)
            expect(page.locator("#status")).to_contain_text("Iteration 0", timeout=60_000)
            page.click("#btn-step")
            expect(page.locator("#status")).to_contain_text("Iteration 1", timeout=60_000)
            context.close()
        browser.close()


class PageUser:
    """What a browser tab sends, without a browser: it loads the page (cookies kept, so the
    proxy's affinity holds), runs first paint through Gradio's queue to get the tab's step
    token, then clicks Step as the page does: the fast route, then the hidden after-step
    event through the queue."""

    def __init__(self, url: str) -> None:
        import uuid

        import httpx

        self.http = httpx.Client(base_url=url, timeout=120)
        self.http.get("/").raise_for_status()
        self.hash = uuid.uuid4().hex[:11]
        config = self.http.get("/config").json()
        ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
        events = {
            (event, ids.get(block)): dependency["id"]
            for dependency in config["dependencies"]
            for block, event in dependency["targets"]
        }
        self.after_step = events[("click", "btn-after-step")]
        self.token = self.event(events[("load", None)])[-1]  # first paint's last output

    def event(self, fn_index: int) -> list:
        """One Gradio event (inputs: the tab's state only), as the page sends it."""
        body = {"data": [None], "fn_index": fn_index, "session_hash": self.hash}
        joined = self.http.post("/gradio_api/queue/join", json=body)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        url = f"/gradio_api/queue/data?session_hash={self.hash}"
        with self.http.stream("GET", url) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data: "):
                    continue
                message = json.loads(line[6:])
                if (
                    message.get("msg") == "process_completed"
                    and message.get("event_id") == event_id
                ):
                    if not message.get("success", True):
                        raise RuntimeError(str(message.get("output"))[:200])
                    return message["output"]["data"]
        raise RuntimeError("the event's stream ended without an answer")

    def step(self) -> float:
        """One Step click: the seconds until the page could draw it."""
        start = time.perf_counter()
        self.http.post(f"/playground/step/{self.token}/step").raise_for_status()
        seen = time.perf_counter() - start
        self.event(self.after_step)
        return seen


def stepping_user(
    user: PageUser, end: float, think: float, times: list[float], errors: list[str]
) -> None:
    """A student clicking Step in a browser tab, `think` seconds between the answer and the
    next click, until `end`; each click's latency into `times`."""
    try:
        while time.monotonic() < end:
            times.append(user.step())
            time.sleep(think)
    except Exception as exc:
        errors.append(f"stepping user: {exc!r}")


def open_tab(url: str, errors: list[str]) -> PageUser | None:
    """A page user that has made its first click, or None (an error) if it could not."""
    try:
        tab = PageUser(url)
        tab.step()
        return tab
    except Exception as exc:  # a bench reports failures, it does not stop on them
        errors.append(f"opening a tab: {exc!r}")
        return None


CAPACITY_LEVELS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64)


def capacity(url: str, seconds: float, think: float, target: float = 0.5) -> None:
    """Users stepping at once, more at each level while their click p95 stays within
    `target`."""
    held = 0
    for users in CAPACITY_LEVELS:
        times: list[float] = []
        errors: list[str] = []
        with ThreadPoolExecutor(8) as pool:  # the tabs open before the clock starts
            opened = list(pool.map(open_tab, [url] * users, [errors] * users))
        tabs = [tab for tab in opened if tab is not None]
        end = time.monotonic() + seconds
        threads = [
            threading.Thread(target=stepping_user, args=(tab, end, think, times, errors))
            for tab in tabs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not times:
            print(f"capacity: {users} users: no click answered; errors {errors[:2]}")
            break
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(
            f"capacity: {users:2d} users stepping: {len(times) / seconds:5.1f} clicks/s, click "
            f"p50 {p50 * 1e3:4.0f} ms, p95 {p95 * 1e3:5.0f} ms, errors {len(errors)} {errors[:2]}",
            flush=True,
        )
        if p95 > target or errors:
            break
        held = users
    print(f"capacity: held {held} stepping users at click p95 <= {target * 1e3:.0f} ms")


def start_server(port: int, replicas: int) -> tuple[subprocess.Popen, int]:
    """app.py, or deploy/serve.py with `replicas` behind HAProxy; (process, pid to watch)."""
    if replicas == 1:
        app = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return app, app.pid
    serve = subprocess.Popen(
        [sys.executable, "deploy/serve.py", "--replicas", str(replicas), "--port", str(port),
         "--first-port", str(port + 1)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )  # fmt: skip
    for line in serve.stdout:
        if line.startswith("serving"):
            break
    return serve, serve.pid


def busy(stop: multiprocessing.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7881)
    parser.add_argument("--players", type=int, default=15)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--soak-seconds", type=float, default=120)
    parser.add_argument("--tabs", type=int, default=150)
    parser.add_argument("--busy", action="store_true", help="keep one core busy throughout")
    parser.add_argument(
        "--mix", action="store_true", help="soak users on every preset (images too), mixed actions"
    )
    parser.add_argument("--skip-fairness", action="store_true", help="start with the soak")
    parser.add_argument("--capacity", action="store_true", help="only the capacity ramp")
    parser.add_argument("--replicas", type=int, default=1, help="behind HAProxy when > 1")
    parser.add_argument("--think", type=float, default=1.0, help="capacity: s between clicks")
    args = parser.parse_args()
    if args.replicas > 1 and not args.capacity:
        parser.error("--replicas: the RSS figures read one process; use it with --capacity")
    stop_busy = multiprocessing.Event()
    if args.busy:
        multiprocessing.Process(target=busy, args=(stop_busy,), daemon=True).start()
    url = f"http://127.0.0.1:{args.port}/"
    app, pid = start_server(args.port, args.replicas)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        if args.capacity:
            print(
                f"capacity: {args.replicas} replica(s), {args.think:g} s between a user's "
                f"clicks, busy core: {args.busy}"
            )
            capacity(url, 20.0, args.think)
            return
        if args.skip_fairness:
            args.players = 0
        floor = clicks(url, args.clicks)
        stop, errors = threading.Event(), []
        players = [
            threading.Thread(target=player, args=(url, stop, errors), daemon=True)
            for _ in range(args.players)
        ]
        for thread in players:
            thread.start()
        time.sleep(5)
        playing = health(url)["autoplay_threads"]
        iterations_before, clicked = ITERATIONS[0], time.monotonic()
        loaded = clicks(url, args.clicks)
        trained, clicked = ITERATIONS[0] - iterations_before, time.monotonic() - clicked
        stop.set()
        for thread in players:
            thread.join(timeout=60)
        p50, p95 = statistics.median(loaded) * 1e3, percentile(loaded, 0.95) * 1e3
        f50, f95 = statistics.median(floor) * 1e3, percentile(floor, 0.95) * 1e3
        print(
            f"fairness: {playing} sessions playing; another user's Step click p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms (target p95 <= 500 ms); nobody playing: p50 {f50:.0f} ms, "
            f"p95 {f95:.0f} ms; player errors: {len(errors)}; {trained} iterations trained "
            f"in all while the clicks ran ({trained / clicked:.0f}/s)"
        )

        errors, report = [], []
        presets = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
        names = presets["named_endpoints"]["/preset"]["parameters"][0]["type"]["enum"]
        users = [
            threading.Thread(
                target=mixed_user,
                args=(url, names[i % len(names)], args.soak_seconds, 1000 + i, report, errors),
            )
            if args.mix
            else threading.Thread(target=soak_user, args=(url, args.soak_seconds, report, errors))
            for i in range(args.users)
        ]
        samples = [(0.0, rss_mib(pid))]
        start = time.monotonic()
        for thread in users:
            thread.start()
        while any(thread.is_alive() for thread in users):
            time.sleep(5)
            samples.append((time.monotonic() - start, rss_mib(pid)))
        # growth while the class works: from minute one to the last sample before the users
        # stop (a sample after they stopped reads memory already handed back)
        minute = [rss for t, rss in samples if 60 <= t <= args.soak_seconds]
        growth = (minute[-1] / minute[0] - 1) * 100 if len(minute) > 1 else float("nan")
        # one 5-s sample also holds what the requests under way hold (16 at once: an
        # Evaluate's samples, a Run's activations); the median of each half of the time
        # after minute one says whether memory stays, not whether a sample caught a request
        half = len(minute) // 2
        settled = (
            (statistics.median(minute[half:]) / statistics.median(minute[:half]) - 1) * 100
            if half
            else float("nan")
        )
        print(
            f"soak: {args.users} users x {args.soak_seconds:.0f} s, {sum(report)} iterations, "
            f"{len(errors)} errors/mix-ups {errors[:3]}; RSS "
            + ", ".join(f"{rss:.0f}" for _, rss in samples[::6])
            + f" MiB (every 30 s); growth after the first minute {growth:+.1f} % from one "
            f"sample to the last, {settled:+.1f} % between the medians of its two halves "
            "(target < 5 %)"
        )

        if not args.tabs:
            return
        tabs(url, 10)  # warm-up: first-use caches of the page's code paths are not per tab
        time.sleep(10)
        before = rss_mib(pid)
        tabs(url, args.tabs)
        after = rss_mib(pid)
        time.sleep(60)
        settled = rss_mib(pid)
        print(
            f"tabs: {args.tabs} tabs loaded, stepped and closed; RSS {before:.0f} -> {after:.0f}"
            f" -> {settled:.0f} MiB 60 s later ({(settled / before - 1) * 100:+.1f} %, target "
            f"within 10 %); play workers {workers_rss_mib(pid):.0f} MiB; health now "
            f"{health(url)}"
        )
    finally:
        if args.replicas > 1:
            os.killpg(app.pid, signal.SIGTERM)
        else:
            app.terminate()
        app.wait(timeout=30)
        stop_busy.set()


if __name__ == "__main__":
    main()
