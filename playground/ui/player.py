"""Autoplay for one tab: train at a rate until stopped, on a background thread here or in a
play worker process (mirrored here), and build the page's frames when it asks for them.

The player is handed what it needs as callables (train a chunk, say a status message, take
on a worker's state) and never imports the session, so it can be read, and tested, alone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from playground.engine.trainer import Trainer
from playground.serving import play_worker

AUTOPLAY_THREAD = "playground-autoplay"
FETCH_TIMEOUT = 10.0  # autoplay stops this long after the page's last frame request
MIRROR_SECONDS = 0.25  # a run playing in a worker is mirrored here at least this often
CHUNK = 5  # iterations per lock hold: a click waits at most one chunk (and a frame)
NOT_PLAYING = '{"playing": false}'
LOG = logging.getLogger(__name__)


class FairSlots:
    """A counting semaphore that serves waiters first come, first served. threading's own
    lets a thread that releases and re-acquires at once (an unthrottled autoplay loop) starve
    the others (the frames of the page that is watching it)."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._queue: deque[object] = deque()
        self._changed = threading.Condition()

    def __enter__(self) -> FairSlots:
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            self._changed.wait_for(lambda: self._queue[0] is ticket and self._free > 0)
            self._queue.popleft()
            self._free -= 1
            self._changed.notify_all()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify_all()


BACKGROUND_CORES = max(1, (os.cpu_count() or 2) - 1)  # autoplay's share: clicks keep a core
TRAINING_SLOTS = FairSlots(BACKGROUND_CORES)


def next_frame_due(due: float, now: float, gap: float) -> float:
    """When the frame after one due at `due` and built at `now` is due: one gap after the
    last was due, so that the time each takes to build does not add up, but not sooner than
    half a gap from now."""
    return max(due + gap, now + gap / 2)


class Player:
    """One tab's autoplay. `trainer()` is the tab's run (asked for each time, so a freed tab
    drops it); `train(n)` trains n iterations under the caller's rules and says whether the
    run may go on (False: it diverged or failed, and said so); `say(key)` sets the tab's
    status message; `take_on(progress)` makes a worker's state the tab's run. All three are
    called holding `lock`, the session's lock."""

    def __init__(
        self,
        trainer: Callable[[], Trainer],
        lock: threading.RLock,
        train: Callable[[int], bool],
        say: Callable[[str], Any],
        take_on: Callable[[play_worker.Progress], None],
    ) -> None:
        self._trainer, self.lock = trainer, lock
        self._train, self._say, self._take_on = train, say, take_on
        self.playing = False
        self.rate = 320.0  # iterations per second
        self.frames = 0  # frames due since Play, for the redraw interval
        self.redraw_every = 1  # plots are redrawn every N-th frame
        self.last_fetch = 0.0  # when the page last fetched a frame (monotonic s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._remote: play_worker.RemoteRun | None = None
        self._remote_revision = 0
        self._frame_builder: Callable[[], str | None] | None = None
        self._frame_gap = 0.1
        self._frame: str | None = None
        self._frame_wanted = False  # the page asked for a frame not built yet

    def start(
        self,
        iterations_per_second: float,
        frame: Callable[[], str | None] | None = None,
        frames_per_second: float = 10.0,
        in_worker: bool = False,
    ) -> None:
        """Train at up to this rate until stop(): in a play worker process when `in_worker`
        and the app started workers (a thread here then mirrors it), else on a thread here.
        The page's timer only repaints, so training speed does not wait for the browser.
        `frame` builds the page's next picture (encoded, or None for none this time): the
        player calls it when the page has asked for one, at most frames_per_second times a
        second, and take_frame hands it over. A page that draws slowly asks less often, so
        no frame is built that it would not draw."""
        self.stop()
        self._frame_wanted = False
        self.rate = max(1.0, float(iterations_per_second))
        self._stop, self._wake = threading.Event(), threading.Event()
        self._frame_builder, self._frame_gap = frame, 1.0 / frames_per_second
        self._frame = None
        self.playing, self.frames = True, 0
        loop = self._play_here
        workers = play_worker.pool() if in_worker else None
        if workers is not None:
            with self.lock:
                self._remote = workers.start(self._trainer(), self.rate)
                self._remote_revision = self._trainer().revision
            if self._remote is not None:
                loop = self._play_in_worker
        self._thread = threading.Thread(
            target=loop, args=(self._stop,), daemon=True, name=AUTOPLAY_THREAD
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop playing; a run that trains in a worker comes home first."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._bring_home()
        self._thread = None
        self.playing = False
        self._frame = None

    @property
    def plays_in_worker(self) -> bool:
        return self._remote is not None

    def take_frame(self) -> str | None:
        """For the page's frame request: the newest picture built, once (None when there is
        none new yet), or word that playing has stopped. Either way the player builds the
        next one now (at most frames_per_second): while the page draws this one, so that its
        next request finds it ready."""
        self.last_fetch = time.monotonic()  # the page is watching: keep playing
        if not self.playing:
            return NOT_PLAYING
        # no lock: a frame the player stores between these two steps is dropped, and the
        # page's next request asks for another
        frame, self._frame = self._frame, None
        self._frame_wanted = True
        self._wake.set()
        return frame

    # ------------------------------------------------------------ here
    def _play_here(self, stop: threading.Event) -> None:
        """Train in chunks while the page keeps asking for frames, and build its frames in
        between, when the page has asked (here rather than in the web server's threads, which
        spares each frame a hand-over of the training slot and the lock). Background training
        shares TRAINING_SLOTS (one core fewer than the machine has) with every other playing
        tab, so clicks, which do not wait for a slot, are not queued behind it; a tab that
        stops fetching frames (closed, asleep, gone) stops after FETCH_TIMEOUT seconds."""
        done, start = 0, time.perf_counter()
        next_frame = start
        self.last_fetch = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - self.last_fetch > FETCH_TIMEOUT:
                self._say("paused_unwatched")
                self.playing = False
                break
            with TRAINING_SLOTS, self.lock:
                if stop.is_set():
                    break
                going = self._train(CHUNK)
                if going:
                    next_frame = self._frame_if_due(next_frame)
            if not going:
                self.playing = False
                break
            done += CHUNK
            ahead = done / self.rate - (time.perf_counter() - start)
            if ahead > 0:
                stop.wait(ahead)  # throttle to the requested rate

    # ------------------------------------------------------------ in a worker
    def _play_in_worker(self, stop: threading.Event) -> None:
        """Mirror the run that trains in a worker process until stopped; if the loop ends any
        other way, the run comes home (a run left in a worker would train on unseen; the
        worker also drops a run it has not heard of in a while)."""
        try:
            self._mirror(stop)
        except Exception:
            LOG.exception("autoplay in a worker")
        finally:
            if not stop.is_set():
                self._bring_home()
                self.playing = False

    def _mirror(self, stop: threading.Event) -> None:
        """Whenever the page wants a frame, and at least every MIRROR_SECONDS, take on the
        worker's state and build the frame from it. Clicks meanwhile work on the mirror as on
        any run; when one changed it (Step, rewind, a live setting), the worker's newer state
        is dropped and the changed one shipped instead. Stops, as playing here does, when the
        page stops fetching frames, when the run diverges, or when the worker is gone."""
        next_frame = time.perf_counter()
        rate = self.rate
        self.last_fetch = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - self.last_fetch > FETCH_TIMEOUT:
                self._bring_home()
                self._say("paused_unwatched")
                return
            now = time.perf_counter()
            wanted = self._frame_wanted and self._frame_builder is not None
            if wanted and now < next_frame:
                stop.wait(next_frame - now)
                continue
            if not wanted:  # mirror every MIRROR_SECONDS, sooner when a frame is wanted
                self._wake.clear()
                if self._frame_wanted or self._wake.wait(MIRROR_SECONDS):
                    continue
            run = self._remote
            if run is None:
                return
            if self.rate != rate:
                rate = self.rate
                run.set_rate(rate)
            progress = run.sync()
            # the mirror's work shares TRAINING_SLOTS with players here: with a class
            # playing, frames are built one core fewer than the machine has at a time, and
            # clicks keep a core
            with TRAINING_SLOTS, self.lock:
                if stop.is_set() or self._remote is not run:
                    return
                if progress is None:  # the worker is gone: the mirror is what is left
                    self._remote = None
                    self._say("worker_gone")
                    return
                if self._trainer().revision != self._remote_revision:
                    # a click changed the run: train on from what it made
                    run.drop()
                    workers = play_worker.pool()
                    self._remote = workers and workers.start(self._trainer(), rate)
                    self._remote_revision = self._trainer().revision
                    if self._remote is None:
                        return
                    continue
                self._adopt(progress)
                if progress.diverged is not None:
                    run.drop()
                    self._remote = None
                    return
                self._say("playing")
                next_frame = self._frame_if_due(next_frame)

    def _adopt(self, progress: play_worker.Progress) -> None:
        """The mirror takes on the worker's state (the caller holds the lock)."""
        self._take_on(progress)
        self._remote_revision = self._trainer().revision

    def _bring_home(self) -> None:
        """A run that trains in a worker comes back with its final state (unless a click
        changed the mirror since its last state: the click's run stays)."""
        with self.lock:
            run, self._remote = self._remote, None
            if run is None:
                return
            progress = run.finish()
            if progress is not None and self._trainer().revision == self._remote_revision:
                self._adopt(progress)

    # ------------------------------------------------------------ frames
    def _frame_if_due(self, next_frame: float) -> float:
        """Build the page's next frame if it asked for one and one is due at `next_frame` (the
        caller holds the lock); returns when the frame after is due."""
        now = time.perf_counter()
        if not (self._frame_wanted and now >= next_frame and self._frame_builder is not None):
            return next_frame
        self._frame_wanted = False
        self._frame = self._build_frame() or self._frame
        return next_frame_due(next_frame, now, self._frame_gap)

    def _build_frame(self) -> str | None:
        try:
            return self._frame_builder()
        except Exception:  # a picture that fails must not stop the run; the log says why
            LOG.exception("autoplay frame")
            return None
