"""Autoplay in worker processes (playground.serving.play_worker): a run trained in a worker is
the run trained here, bit for bit; clicks while it plays count; a diverging run and a worker
that dies stop playing with a message and leave a usable run."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import time
from collections.abc import Iterator

import pytest
import torch

from playground.engine.trainer import Trainer
from playground.io.presets import load_preset
from playground.serving import play_worker
from playground.ui import handlers_live
from playground.ui.session import Session


def _ready(workers: play_worker.PlayPool, timeout: float = play_worker.BOOT_SECONDS) -> bool:
    """Every worker of the pool has started (within `timeout` seconds in all)."""
    deadline = time.monotonic() + timeout
    return all(w.ready.wait(max(0.0, deadline - time.monotonic())) for w in workers.workers)


@pytest.fixture(scope="module")
def pool() -> Iterator[play_worker.PlayPool]:
    torch.set_num_threads(1)
    workers = play_worker.start_pool(1)
    assert _ready(workers), "the play worker did not start"
    yield workers
    play_worker.stop_pool()


def _config(preset: str = "classroom"):
    return load_preset(preset).config.replace(device="cpu")


def _playing(preset: str, rate: float = 300) -> Session:
    """A tab of `preset` that plays, its run trained in the pool's worker."""
    session = Session.from_preset(preset)
    session.start_autoplay(rate, frame=functools.partial(handlers_live.build_frame, session))
    assert session.player.plays_in_worker
    return session


def _same_weights(a: Trainer, b: Trainer) -> bool:
    wa, wb = a.weights(), b.weights()
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_without_a_pool_a_tab_plays_in_this_process() -> None:
    assert play_worker.pool() is None  # the pool below has not started yet
    session = Session.from_preset("classroom")
    session.start_autoplay(300)
    assert session.playing and not session.player.plays_in_worker
    _wait_for(lambda: session.trainer.iteration > 10)
    session.stop_autoplay()


@pytest.mark.parametrize("preset", ["classroom", "digits-cgan", "ring8"])
def test_a_run_trained_in_a_worker_is_the_run_trained_here(
    pool: play_worker.PlayPool, preset: str
) -> None:
    played = Trainer(_config(preset))
    played.run(30)
    run = pool.start(played, 400.0)
    assert run is not None
    for _ in range(4):  # the mirror follows as the page's frames would
        time.sleep(0.15)
        play_worker.apply_progress(played, run.sync())
    play_worker.apply_progress(played, run.finish())
    assert run.run_id not in run.worker.runs  # the worker let it go
    n = played.iteration
    assert n > (100 if preset == "classroom" else 40)

    here = Trainer(_config(preset))
    here.run(n)
    assert _same_weights(played, here)
    assert played.history == here.history
    assert played.snapshots == here.snapshots  # the worker's snapshots came home
    assert (played.d_step_count, played.g_step_count) == (here.d_step_count, here.g_step_count)
    # a snapshot the worker took rewinds as one taken here does, and stepping on agrees
    back = [s for s in played.snapshots if s > 30][0]
    played.restore(back)
    here.restore(back)
    played.run(7)
    here.run(7)
    assert _same_weights(played, here) and played.history == here.history


def test_a_playing_tab_builds_frames_from_the_worker_and_a_click_counts(
    pool: play_worker.PlayPool,
) -> None:
    session = _playing("classroom")
    frames = []
    deadline = time.monotonic() + 10
    while len(frames) < 3 and time.monotonic() < deadline:
        frame = session.player.take_frame()
        if frame:
            frames.append(json.loads(frame))
        time.sleep(0.05)
    assert len(frames) == 3 and "view-data" in frames[-1]["figures"]
    shown = [int(re.search(r"Iteration\D*(\d+)", f["status"])[1]) for f in frames]
    assert shown == sorted(shown) and shown[-1] > 0  # each frame later in the run
    _wait_for(lambda: session.trainer.iteration > 100)
    with session.lock:  # a Step D click while the run plays in the worker
        session.step_d()
        clicked_at = session.trainer.iteration
    _wait_for(lambda: session.trainer.iteration > clicked_at + 50)
    session.stop_autoplay()
    assert not session.player.plays_in_worker and not session.playing
    t = session.trainer

    here = Trainer(t.config)
    here.run(clicked_at)
    here.step_d()
    here.run(t.iteration - clicked_at)
    assert _same_weights(t, here) and t.history == here.history
    assert t.d_step_count == t.g_step_count + 1


def test_a_run_that_diverges_in_a_worker_stops_with_the_guard_message(
    pool: play_worker.PlayPool,
) -> None:
    session = _playing("lr-too-high", 400)
    _wait_for(lambda: not session.playing, 30)
    assert session.diverged and "diverged at iteration" in session.message
    assert not session.player.plays_in_worker
    session.stop_autoplay()
    with session.lock:
        session.step()  # the rolled-back run is still usable
    assert session.trainer.iteration == len(session.trainer.history["iteration"])


def test_a_worker_that_dies_stops_playing_and_leaves_the_mirrored_run(
    pool: play_worker.PlayPool,
) -> None:
    session = _playing("classroom")
    _wait_for(lambda: session.trainer.iteration > 50)
    worker = session.player._remote.worker
    os.kill(worker.process.pid, signal.SIGKILL)
    _wait_for(lambda: not session.playing)
    assert "training process stopped" in session.message
    reached = session.trainer.iteration
    assert reached > 50 and len(session.trainer.history["iteration"]) == reached
    session.stop_autoplay()
    with session.lock:
        session.step()
    assert session.trainer.iteration == reached + 1
    # the next Play gets a fresh worker once it is up
    assert pool.start(session.trainer, 100.0) is None  # the replacement is still starting
    assert _ready(pool)
    session.start_autoplay(300, frame=functools.partial(handlers_live.build_frame, session))
    assert session.player.plays_in_worker
    _wait_for(lambda: session.trainer.iteration > reached + 20)
    session.stop_autoplay()
