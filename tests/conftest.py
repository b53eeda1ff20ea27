"""Shared fixtures: small real configs, the app served on 127.0.0.1, a browser."""

from __future__ import annotations

import os

import pytest
from browsing import CHROMIUM, CHROMIUM_ARGS

from playground import GANConfig


def test_devices() -> list[str]:
    """Where the device-parametrised engine tests run: the CPU, plus CUDA when there is a GPU;
    PLAYGROUND_TEST_DEVICES=cpu,cuda names them explicitly (bench/device_check.sh)."""
    named = os.environ.get("PLAYGROUND_TEST_DEVICES")
    if named:
        return [d.strip() for d in named.split(",") if d.strip()]
    import torch

    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=test_devices())
def device(request: pytest.FixtureRequest) -> str:
    """A torch device name; every test that takes it (or small_config) runs on each device."""
    return request.param


@pytest.fixture
def small_config(device: str) -> GANConfig:
    return GANConfig(
        dataset="ring8", batch_size=32, g_hidden=32, d_hidden=32, seed=3, device=device
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the device-parametrised tests, so `pytest -m device` runs just those; move the
    tests that read the tour walks to the end, so the walks have the whole run to finish."""
    for item in items:
        if "device" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.device)
    items.sort(key=lambda item: "walks" in getattr(item, "fixturenames", ()))  # stable


def pytest_configure(config: pytest.Config) -> None:
    """One torch thread in the test process. With two, torch's OpenMP threads spin waiting
    for each other, and a test slowed 20× (test_drs: 5 s → 102 s) whenever something else
    held the other core: the app server, the browser, the tour walks below."""
    import torch

    torch.set_num_threads(1)


# ---------------------------------------------------------------- the tour walks, early
TOUR_WALKS = pytest.StashKey[dict]()
SEEDS = range(5)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the tour-claim walks (every claiming tour on seeds 0-4: ~300 CPU-seconds of
    training, tests/test_tour_claims.py) in one background process as soon as the tests are
    known. They use the CPU the other tests leave idle (the browser waiting on the app, the
    app on the browser) instead of holding both cores at the end: pytest took 457-533 s with
    the walks in a fixture of their own, 410-503 s with them here (and one torch thread, above)."""
    if not any("walks" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from playground.teaching.tour_check import claiming_tours, walk_named

    spawn = multiprocessing.get_context("spawn")  # not a fork of pytest's threads
    pool = ProcessPoolExecutor(max_workers=1, mp_context=spawn)
    jobs = [(name, seed) for name in claiming_tours() for seed in SEEDS]
    session.config.stash[TOUR_WALKS] = {job: pool.submit(walk_named, *job) for job in jobs}
    session.config.add_cleanup(lambda: pool.shutdown(cancel_futures=True))


# ---------------------------------------------------------------- a real app server
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


APP_LOGS: dict[str, Path] = {}  # each launched app's URL -> its log, for failure messages


def app_log_tail(url: str, characters: int = 3000) -> str:
    """The end of the log of the app served at `url` (what a failing browser test quotes)."""
    path = APP_LOGS.get(url)
    return path.read_text(errors="replace")[-characters:] if path else "(no log)"


def _launch(tmp_path_factory: pytest.TempPathFactory, *args: str) -> Iterator[str]:
    """`python app.py` exactly as a user starts it (plus `args`), on a free loopback port."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    log = log_path.open("w")
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    APP_LOGS[url] = log_path
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"app did not start; see {log.name}") from None
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _launch(tmp_path_factory)


@pytest.fixture(scope="session")
def served_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder an operator serves with --data-dir: a good CSV, a FIFO, a sub-folder and a
    link pointing out of it; next to it (not served) a secret file."""
    root = tmp_path_factory.mktemp("served")
    secret = root.parent / "secret.txt"
    secret.write_text("x,y\nAPI_KEY=do-not-show,1\n")
    data = root / "data"
    data.mkdir()
    rows = [f"{np.cos(a):.4f},{np.sin(a):.4f}" for a in np.linspace(0, 6.28, 200)]
    (data / "circle.csv").write_text("x,y\n" + "\n".join(rows) + "\n")
    os.mkfifo(data / "pipe.csv")
    (data / "folder.csv").mkdir()
    (data / "escape.csv").symlink_to(secret)
    return data


@pytest.fixture(scope="session")
def served_app_url(tmp_path_factory: pytest.TempPathFactory, served_data: Path) -> Iterator[str]:
    yield from _launch(tmp_path_factory, "--data-dir", str(served_data))


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright (browsing.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
