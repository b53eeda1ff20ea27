"""One browser session's playground: its own Trainer plus what the views need (fixed noise,
interpolation ends, the real points drawn for plots). No Gradio here, so it is testable alone.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch
from markdown_it import MarkdownIt

from playground import (
    budget,
    drs,
    figures,
    model_graph,
    play_worker,
    probes,
    svg_views,
    trained_starts,
)
from playground.claims import RECENT, measure_runs, recent_mean, run_until
from playground.compare import ComparisonSpec, differences, load_comparison
from playground.config import LIVE_FIELDS, GANConfig
from playground.data import Dataset, build_dataset
from playground.lecture import SUB_STEPS, Narration
from playground.losses import PROBABILITY_LOSSES
from playground.metrics import evaluate, mixture_metrics
from playground.presets import load_preset, sampler_for
from playground.text import text
from playground.tours import Tour
from playground.trainer import DivergenceError, Trainer

DEFAULT_PRESET = "classroom"
AUTOPLAY_THREAD = "playground-autoplay"
FETCH_TIMEOUT = 10.0  # autoplay stops this long after the page's last frame request
MIRROR_SECONDS = 0.25  # a run playing in a worker is mirrored here at least this often


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
LOG = logging.getLogger(__name__)
NOT_PLAYING = '{"playing": false}'
# a tour step's view (1-6, as tour files number them) → the secondary tab it brings up; the
# batch (1) is always on the main screen, the data view (5) too, with its metrics in a tab
TOUR_VIEW_TABS = {2: "g", 3: "scores", 4: "loss", 5: "metrics", 6: "latent", 7: "compare"}
VIEW_POINTS = 300  # points per cloud in the data view: enough to see the modes, cheap to redraw
ARROWS = 80  # G's gradient arrows drawn on the first fakes
MODE_NUMBERS = 12  # the data view numbers a mixture's modes up to this many
PRESENTER_SCALE = 1.5
MANIFOLD_GRID = 15  # the manifold layer: a 15 × 15 grid in z mapped through G
SLIDER_DIMS = 16
INTERP_FRAMES = (2, 16)  # the latent interpolation's fewest and most frames
LATENT_AXES = ("z", "pca")
PCA_SAMPLES = 2048  # samples of G(z) behind the principal directions
PROGRESS_EVERY = 25  # Run N tells the page its progress every this many iterations


@dataclass
class StepOutcome:
    """What a click did, in words, for the status line."""

    text: str
    diverged: bool = False
    failed: bool = False  # an unexpected error stopped it (said in text; the run is kept)


@dataclass
class Session:
    trainer: Trainer
    preset: str = ""
    sampler: str = "G"
    # re-entrant: stop_autoplay brings a remote run home under it, and some callers hold it
    lock: threading.RLock = field(default_factory=threading.RLock)
    message: str = ""
    diverged: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    z_a: torch.Tensor | None = None
    z_b: torch.Tensor | None = None
    playing: bool = False  # autoplay on/off for this tab
    frames: int = 0  # autoplay frames due since Play, for the redraw interval
    redraw_every: int = 1  # while playing, plots are redrawn every N-th frame
    live_token: str | None = None  # the token the page fetches autoplay frames with
    tab: str = "scores"  # the secondary view tab open below the main screen
    autoplay_rate: float = 320.0  # iterations per second while playing
    language: str = "en"  # "en" or "zh-CN": captions and lecture text
    owner: str | None = None  # the browser session that built it (page loads check it)
    trained: bool = False  # the run started from its preset's shipped trained weights
    tour: Tour | None = None  # the scenario tour being walked, if any
    tour_step: int = 0
    tour_values: dict[str, Any] = field(default_factory=dict)  # what the tour step measured
    partner: Session | None = None  # run B of an A/B comparison; steps whenever this run does
    compared_with: Session | None = None  # on run B: run A, whose views share B's scales
    comparison: ComparisonSpec | None = None  # the shipped comparison being shown, if any
    narration: Narration | None = None  # the iteration being explained in slow motion
    sub_step: int = 0  # which of its ten sub-steps is on screen
    latent_axes: str = "z"  # what the latent sliders move: "z" dimensions or "pca" directions
    latent_base: torch.Tensor | None = None  # with "pca": the z the sliders move away from
    _pca: tuple[Any, torch.Tensor, torch.Tensor] | None = None  # (for which G, dirs, shares)
    layers: tuple[str, ...] = ("real", "fake", "heatmap", "gradient")  # data view layers shown
    layers_before_tour: tuple[str, ...] | None = None  # the user's layers, while a tour sets them
    presenter: bool = False  # presenter view: every plot font ×PRESENTER_SCALE
    latent_values: list[float] | None = None  # the latent sliders' values (None: from z_a)
    interp_frames: int = 8  # the interpolation view's settings, to redraw it for a new G
    interp_method: str = "slerp"
    latent_class: int = 0  # the class the latent views generate (cGAN)
    uploads: dict[str, Path] = field(default_factory=dict)  # file name -> this tab's upload
    workdir: Path | None = None  # this tab's folder for downloads, removed with the session
    last_fetch: float = 0.0  # when the page last fetched an autoplay frame (monotonic s)
    _cost: tuple[GANConfig, budget.Estimate] | None = None  # run_limit's estimate, per config
    # autoplay: what builds the page's next frame, and the newest frame not yet fetched
    _frame_builder: Callable[[], str | None] | None = None
    _frame: str | None = None
    _frame_wanted: bool = False  # the page has asked for a frame the player has not built yet
    _said: tuple[str, dict[str, Any]] | None = None  # the status message's key and values
    run_stop: threading.Event = field(default_factory=threading.Event)  # Stop, for Run N

    def __post_init__(self) -> None:
        view_rng = torch.Generator().manual_seed(1234)
        self.real_view = self.trainer.dataset.sample(VIEW_POINTS, view_rng)[0].numpy()
        z_dim = self.trainer.config.z_dim
        self.fixed_z = torch.randn(self._grid_count(), z_dim, generator=view_rng)
        self.view_z = torch.randn(VIEW_POINTS, z_dim, generator=view_rng)
        self.z_a = torch.randn(z_dim, generator=view_rng)
        self.z_b = torch.randn(z_dim, generator=view_rng)
        # G's output noise ε for the cloud of fakes (g_noise), so the view shows G's spread
        self.view_eps = torch.randn(VIEW_POINTS, self.trainer.G.noise_dim, generator=view_rng)
        if self.trainer.dataset.kind == "points":
            # a square region around the data: the heat-map then fills the equal-axes plot
            lo, hi = self.real_view.min(0), self.real_view.max(0)
            centre, half = (lo + hi) / 2, 0.5 * (hi - lo).max() * 1.25 + 0.1
            self.bounds = (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_preset(
        cls, name: str = DEFAULT_PRESET, trained: bool = False, **overrides: Any
    ) -> Session:
        """A fresh run of a preset; `trained`: from its shipped trained weights instead of
        from scratch (playground.trained_starts)."""
        preset = load_preset(name)
        config = preset.config.replace(**overrides) if overrides else preset.config
        session = cls(budgeted_trainer(config), preset=name, sampler=preset.sampler)
        if trained:
            session.start_trained()
        return session

    def start_trained(self) -> None:
        """Load the preset's trained start into this fresh run (ValueError if it has none,
        or if this run's networks differ from the preset's)."""
        trained_starts.load_into(self.trainer, self.preset)
        self.trained = True

    def reconfigure(self, config: GANConfig) -> Session:
        """Apply new settings: live ones in place; anything else rebuilds a fresh run. The
        returned session's status message says which happened."""
        old = self.trainer.config.to_dict()
        changed = {k: v for k, v in config.to_dict().items() if old[k] != v}
        budget.check(config, self.trainer.dataset.shape, self.trainer.dataset.num_classes)
        fields = ", ".join(sorted(changed))
        if not changed:
            self.say("nothing_changed")
            return self
        if set(changed) <= LIVE_FIELDS:
            self.trainer.update(**changed)
            self.say("applied_live", fields=fields)
            return self
        rebuilt = self.fresh_run(config)
        if self.trainer.iteration:  # say what was dropped, and that playing stopped
            rebuilt.say("rebuilt_dropped", fields=fields, iteration=self.trainer.iteration)
        else:
            rebuilt.say("rebuilt", fields=fields)
        return rebuilt

    def fresh_run(self, config: GANConfig, preset: str | None = None) -> Session:
        """This tab's next run: a new Trainer for `config`, keeping the tab's settings and the
        preset's sampler choice where the config still has an EMA generator."""
        sampler = sampler_for(self.sampler, config)
        old = self.trainer.config
        run = Session(
            budgeted_trainer(config, self.trainer.dataset if config.same_data(old) else None),
            preset=self.preset if preset is None else preset,
            sampler=sampler,
        )
        return self.successor(run)

    @property
    def use_ema(self) -> bool:
        """Sample from the EMA generator: the preset asks for it and the run has one."""
        return self.sampler == "ema" and self.trainer.G_ema is not None

    def lecture_text(self) -> str:
        """What the caption area shows: the tour step, the slow-motion sub-step, or the hint."""
        if self.tour is not None:
            return self.tour.caption(self.tour_step, self.language, self.tour_values)
        if self.narration is not None:
            return self.narration.caption(self.sub_step, self.language)
        return text("start", self.language)

    def successor(self, other: Session, keep_tour: bool = False) -> Session:
        """Hand this tab over to a new run (preset, reset, load, tour): the tab's view
        settings, language and owner carry on; the tour only when the tour itself moves on
        (anything else ends it); this run's autoplay stops."""
        self.stop_autoplay()
        other.tab, other.language, other.owner = self.tab, self.language, self.owner
        if other.tab == "compare" and other.partner is None:  # a new run ends a comparison
            other.tab = "scores"
        other.latent_axes, other.layers, other.presenter = (
            self.latent_axes,
            self.layers,
            self.presenter,
        )
        other.interp_frames, other.interp_method = self.interp_frames, self.interp_method
        other.uploads, other.workdir = self.uploads, self.workdir
        if keep_tour:
            other.tour, other.tour_step = self.tour, self.tour_step
            other.layers_before_tour = self.layers_before_tour
        elif self.layers_before_tour is not None:  # the tour's layers end with the tour
            other.layers = self.layers_before_tour
        return other

    def start_tour_at(self, tour: Tour, step: int) -> Session:
        """Walk `tour` from its first step up to `step` (as a link or a config file asks)."""
        self.tour = tour
        session = self
        for index in range(min(step, len(tour.steps) - 1) + 1):
            session = session.play_tour_step(index)
        return session

    def play_tour_step(self, index: int) -> Session:
        """Carry out tour step `index` (load its preset, run, evaluate, point at its view);
        returns the session that holds the result (a new one when a preset was loaded)."""
        step = self.tour.steps[index]
        session = self
        previous = self.tour_values
        if step.compare:
            session = self.open_comparison(load_comparison(step.compare), keep_tour=True)
        elif step.preset:
            device = self.trainer.config.device
            fresh = Session.from_preset(step.preset, device=device)
            session = self.successor(fresh, keep_tour=True)
        if session is not self:
            previous = {}
        session.tour_step = index
        session.narration = None
        if step.run:
            now = functools.partial(session.measure, previous)
            done = run_until(session.run, now, step.run, step.until)
            if not session.diverged:
                session.say("ran_n", n=done)
        if step.evaluate:
            session.refresh_metrics()
        session.tour_values = session.measure(previous)
        session.tab = TOUR_VIEW_TABS.get(step.view, session.tab)
        if step.layers is not None:
            if session.layers_before_tour is None:
                session.layers_before_tour = session.layers
            session.layers = step.layers
        return session

    def measure(self, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """What a tour's claims and captions quote: this run's measures, and run B's as
        b.NAME while comparing (the same function the tour test checks the claims with)."""
        partner = self.partner
        return measure_runs(
            self.trainer,
            self.diverged,
            partner.trainer if partner else None,
            partner.diverged if partner else False,
            previous,
        )

    # ------------------------------------------------------------ A/B comparison
    def open_comparison(self, spec: ComparisonSpec, keep_tour: bool = False) -> Session:
        """A fresh pair of runs: A from the comparison's preset, B the same with spec.b
        changed, on the same data and seed; this tab shows both from now on."""
        device = self.trainer.config.device
        run_a = Session.from_preset(spec.preset, device=device)
        config_b = run_a.trainer.config.replace(**spec.b)
        budget.check(config_b, run_a.trainer.dataset.shape, run_a.trainer.dataset.num_classes)
        sampler = sampler_for(run_a.sampler, config_b)
        data = run_a.trainer.dataset if config_b.same_data(run_a.trainer.config) else None
        run_b = Session(budgeted_trainer(config_b, data), preset=spec.preset, sampler=sampler)
        session = self.successor(run_a, keep_tour=keep_tour)
        session.partner, session.comparison = run_b, spec
        session.tab = "compare"
        return session

    def compare_markdown(self) -> str:
        """The comparison's title, the settings the runs do not share, one line per run."""
        lang = self.language
        if self.partner is None or self.comparison is None:
            return text("compare.none", lang)
        rows = [f"**{self.comparison.title_in(lang)}**", "", text("compare.differs", lang)]
        for name, a, b in differences(self.trainer.config, self.partner.trainer.config):
            rows.append(f"- `{name}`: A = {a} · B = {b}")
        rows += ["", self._run_line("A", self), "", self._run_line("B", self.partner)]
        rows += ["", text("compare.recent", lang, n=RECENT)]
        return "\n".join(rows)

    def _run_line(self, name: str, run: Session) -> str:
        h, lang = run.trainer.history, self.language
        if not h["iteration"]:
            return text("compare.line_none", lang, run=name)
        line = text(
            "compare.line",
            lang,
            run=name,
            iteration=run.trainer.iteration,
            **{k: recent_mean(h[k]) for k in ("loss_d", "loss_g", "d_real", "d_fake", "grad_g")},
        )
        return line + (" · ⚠️ " + text("compare.diverged", lang) if run.diverged else "")

    def compare_loss_figure(self) -> go.Figure:
        histories = {"A": self.trainer.history}
        if self.partner is not None:
            histories["B"] = self.partner.trainer.history
        return self._finish(figures.compare_loss_figure(histories, self.language))

    def partner_figure(self, build: Any) -> Any:
        """One of run B's views (an empty note when there is no comparison, of the same kind:
        SVG for the batch, else a figure), drawn with this tab's language, layers and
        presenter setting."""
        if self.partner is None:
            note = text("compare.none", self.language).replace("*", "")  # not Markdown here
            if build is Session.batch_svg:
                return svg_views.message_svg(note, scale=self.font_scale)
            return figures.message_figure(note)
        self.partner.language, self.partner.layers = self.language, self.layers
        self.partner.presenter = self.presenter
        self.partner.compared_with = self
        return build(self.partner)

    # ------------------------------------------------------------ stepping
    def say(self, key: str, **values: Any) -> str:
        """Set the status message, in this tab's language. The status line is Markdown: a
        value that may come from a URL or a file must pass through markdown_safe first."""
        self.message = text(f"msg.{key}", self.language, **values)
        self._said = (key, values)
        return self.message

    def say_again(self) -> None:
        """The status message in the tab's language, after a language switch."""
        if self._said is not None:
            self.say(self._said[0], **self._said[1])

    def _guarded(self, action: str, fn: Any, **values: Any) -> StepOutcome:
        """Run fn(trainer) on this run, and on run B when comparing (B's divergence is
        reported on its own line and does not stop A)."""
        if self.partner is not None and not self.partner.diverged:
            self.partner._guarded(action, fn, **values)
        start = self.trainer.iteration
        try:
            fn(self.trainer)
        except DivergenceError as exc:
            self.diverged = True
            details = {"iteration": exc.iteration, "network": exc.network, "what": exc.what}
            return StepOutcome(self.say("diverged", **details), diverged=True)
        except Exception as exc:  # noqa: BLE001 - contained: said plainly, the run kept
            LOG.exception("%s failed at iteration %d", action, self.trainer.iteration + 1)
            self.trainer.roll_back_step()
            error = markdown_safe(f"{type(exc).__name__}: {exc}")
            done = self.trainer.iteration - start
            return StepOutcome(
                self.say(
                    "step_failed", iteration=self.trainer.iteration + 1, done=done, error=error
                ),
                failed=True,
            )
        self.diverged = False
        return StepOutcome(self.say(action, **values))

    def step_d(self) -> StepOutcome:
        return self._guarded("ran_d", Trainer.step_d)

    def step_g(self) -> StepOutcome:
        return self._guarded("ran_g", Trainer.step_g)

    def step(self) -> StepOutcome:
        return self._guarded("ran_iteration", Trainer.step)

    def run(self, n: int, progress: Callable[[int], None] | None = None) -> StepOutcome:
        """Run N: n iterations, or fewer if Stop is pressed (stop_run); `progress(done)` is
        told every PROGRESS_EVERY iterations, for the page's progress bar."""
        self.run_stop.clear()
        start = self.trainer.iteration

        def each(trainer: Trainer, _record: Any) -> bool:
            done = trainer.iteration - start
            # run B of a comparison trains with this callback too: only A's run reports
            if progress is not None and trainer is self.trainer and done % PROGRESS_EVERY == 0:
                progress(done)
            return not self.run_stop.is_set()

        outcome = self._guarded("ran_n", lambda trainer: trainer.run(n, each), n=n)
        done = self.trainer.iteration - start
        if done < n and not (outcome.diverged or outcome.failed):
            outcome = StepOutcome(self.say("stopped_run", done=done, n=n))
        return outcome

    def stop_run(self) -> None:
        """Stop a Run N under way after its current iteration (called without the lock,
        which the run holds)."""
        self.run_stop.set()

    # ------------------------------------------------------------ autoplay
    def start_autoplay(
        self,
        iterations_per_second: float,
        frame: Callable[[], str | None] | None = None,
        frames_per_second: float = 10.0,
    ) -> None:
        """Train at up to this rate until stop_autoplay(): in a play worker process when the
        app started them and the run is a single run on the CPU (the player thread here then
        mirrors it, _remote_loop), else on a background thread here (_autoplay_loop). The
        page's timer only repaints, so training speed does not wait for the browser. `frame`
        builds the page's next picture (encoded, or None for none this time): the player calls
        it when the page has asked for one, at most frames_per_second times a second, and
        take_frame hands it over. A page that draws slowly asks less often, so no frame is
        built that it would not draw."""
        self.stop_autoplay()
        self._frame_wanted = False
        self.autoplay_rate = max(1.0, float(iterations_per_second))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._frame_builder, self._frame_gap = frame, 1.0 / frames_per_second
        self._frame = None
        self.playing = True
        self.frames = 0
        loop = self._autoplay_loop
        workers = play_worker.pool()
        if workers is not None and self.partner is None and self.trainer.device.type == "cpu":
            with self.lock:
                self._remote = workers.start(self.trainer, self.autoplay_rate)
                self._remote_revision = self.trainer.revision
            if self._remote is not None:
                loop = self._remote_loop
        self._player = threading.Thread(
            target=loop, args=(self._stop,), daemon=True, name=AUTOPLAY_THREAD
        )
        self._player.start()

    def stop_autoplay(self) -> None:
        stop, player = getattr(self, "_stop", None), getattr(self, "_player", None)
        if stop is not None:
            stop.set()
            self._wake.set()
        if player is not None and player is not threading.current_thread():
            player.join(timeout=5)
        self._bring_home()
        self._player = None
        self.playing = False
        self._frame = None

    @property
    def plays_remotely(self) -> bool:
        """Autoplay trains this run in a worker process (play_worker) right now."""
        return getattr(self, "_remote", None) is not None

    def take_frame(self) -> str | None:
        """For the page's frame request: the newest picture the player built, once (None when
        there is none new yet), or word that playing has stopped. Either way the player
        builds the next one now (at most frames_per_second): while the page draws this one,
        so that its next request finds it ready."""
        self.last_fetch = time.monotonic()  # the page is watching: keep playing
        if not self.playing:
            return NOT_PLAYING
        # no lock: a frame the player stores between these two steps is dropped, and the
        # page's next request asks for another
        frame, self._frame = self._frame, None
        self._frame_wanted = True
        self._wake.set()
        return frame

    def _autoplay_loop(self, stop: threading.Event) -> None:
        """Train in chunks while the page keeps asking for frames, and build its frames in
        between, when the page has asked. Building them here rather than in the web server's
        threads spares each frame a hand-over of the training slot and the session lock
        (another user's click while 15 tabs play: p50 113 → 80 ms in bench/load.py; the
        training rate while playing did not change measurably). Background training shares
        TRAINING_SLOTS (one core fewer than the machine has) with every other playing tab, so
        clicks, which do not wait for a slot, are not queued behind it; a tab that stops
        fetching frames (closed, asleep, gone) stops playing after FETCH_TIMEOUT seconds."""
        chunk = 5  # iterations per lock hold: a click waits at most one chunk (and a frame)
        done, start = 0, time.perf_counter()
        next_frame = start
        self.last_fetch = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - self.last_fetch > FETCH_TIMEOUT:
                self.say("paused_unwatched")
                self.playing = False
                break
            with TRAINING_SLOTS, self.lock:
                if stop.is_set():
                    break
                outcome = self._guarded("playing", lambda trainer: trainer.run(chunk))
                if not (outcome.diverged or outcome.failed):
                    next_frame = self._frame_if_due(next_frame)
            if outcome.diverged or outcome.failed:
                self.playing = False
                break
            done += chunk
            ahead = done / self.autoplay_rate - (time.perf_counter() - start)
            if ahead > 0:
                stop.wait(ahead)  # throttle to the requested rate

    def _remote_loop(self, stop: threading.Event) -> None:
        """Mirror the run that trains in a worker process (play_worker) until stopped; if
        the loop ends any other way, the run comes home (a run left in a worker would train
        on unseen; the worker also drops a run it has not heard of in a while)."""
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
        is dropped and the changed one shipped instead. Stops, as the in-process player does,
        when the page stops fetching frames, when the run diverges, or when the worker is
        gone."""
        next_frame = time.perf_counter()
        rate = self.autoplay_rate
        self.last_fetch = time.monotonic()
        while not stop.is_set():
            if time.monotonic() - self.last_fetch > FETCH_TIMEOUT:
                self._bring_home()
                self.say("paused_unwatched")
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
            if self.autoplay_rate != rate:
                rate = self.autoplay_rate
                run.set_rate(rate)
            progress = run.sync()
            # the mirror's work shares TRAINING_SLOTS with in-process players: with a class
            # playing, frames are built one core fewer than the machine has at a time, and
            # clicks keep a core (15 tabs playing: a click's p95 2.3 s without, bench/load.py)
            with TRAINING_SLOTS, self.lock:
                if stop.is_set() or self._remote is not run:
                    return
                if progress is None:  # the worker is gone: the mirror is what is left
                    self._remote = None
                    self.say("worker_gone")
                    return
                if self.trainer.revision != self._remote_revision:
                    # a click changed the run: train on from what it made
                    run.drop()
                    workers = play_worker.pool()
                    self._remote = workers and workers.start(self.trainer, rate)
                    self._remote_revision = self.trainer.revision
                    if self._remote is None:
                        return
                    continue
                self._take_on(progress)
                if progress.diverged is not None:
                    run.drop()
                    self._remote = None
                    return
                self.say("playing")
                next_frame = self._frame_if_due(next_frame)

    def _take_on(self, progress: play_worker.Progress) -> None:
        """The mirror takes on the worker's state (the caller holds the lock)."""
        play_worker.apply_progress(self.trainer, progress)
        self._remote_revision = self.trainer.revision
        if progress.diverged is not None:
            iteration, network, what = progress.diverged
            self.diverged = True
            self.say("diverged", iteration=iteration, network=network, what=what)
        else:
            self.diverged = False

    def _bring_home(self) -> None:
        """Autoplay stops: a run that trains in a worker comes back with its final state
        (unless a click changed the mirror since its last state: the click's run stays)."""
        with self.lock:
            run, self._remote = getattr(self, "_remote", None), None
            if run is None:
                return
            progress = run.finish()
            if progress is not None and self.trainer.revision == self._remote_revision:
                self._take_on(progress)

    def _frame_if_due(self, next_frame: float) -> float:
        """Build the page's next frame if it asked for one and one is due at `next_frame` (the
        caller holds the lock); returns when the frame after is due."""
        now = time.perf_counter()
        if not (self._frame_wanted and now >= next_frame and self._frame_builder is not None):
            return next_frame
        self._frame_wanted = False
        self._frame = self._build_frame() or self._frame
        return _next_frame(next_frame, now, self._frame_gap)

    def _build_frame(self) -> str | None:
        try:
            return self._frame_builder()
        except Exception:  # a picture that fails must not stop the run; the log says why
            LOG.exception("autoplay frame")
            return None

    def rewind(self, iteration: int) -> str:
        available = [s for s in self.trainer.snapshots if s <= iteration]
        if not available:
            raise ValueError(f"timeline: no snapshot at or before iteration {iteration}")
        target = available[-1]
        self.trainer.restore(target)
        self.diverged = False
        if self.partner is not None:  # run B goes back to its latest snapshot up to there
            self.partner.rewind(target)
        return self.say("rewound", iteration=target)

    def run_limit(self) -> int:
        """The most iterations one Run N may train in this tab (playground.budget)."""
        t = self.trainer
        if self._cost is None or self._cost[0] != t.config:
            self._cost = (
                t.config,
                budget.estimate(t.config, t.dataset.shape, t.dataset.num_classes),
            )
        return min(100_000, self._cost[1].max_run())

    # ------------------------------------------------------------ summaries
    @property
    def probability(self) -> bool:
        return self.trainer.config.loss in PROBABILITY_LOSSES

    def summary(self) -> dict[str, Any]:
        """Numbers for the status line and for API clients."""
        t = self.trainer
        d, g = t.last_d, t.last_g
        return {
            "iteration": t.iteration,
            "d_steps": t.d_step_count,
            "g_steps": t.g_step_count,
            "device": t.device_label,
            "preset": self.preset,
            "dataset": t.config.dataset,
            "loss": t.config.loss,
            "loss_d": d.loss_d if d else None,
            "loss_g": g.loss_g if g else None,
            "d_real_mean": d.d_real_mean if d else None,
            "d_fake_mean": d.d_fake_mean if d else None,
            "d_step_delta_d": d.delta_d if d else None,
            "d_step_delta_g": d.delta_g if d else None,
            "g_step_delta_g": g.delta_g if g else None,
            "g_step_delta_d": g.delta_d if g else None,
            "snapshots": t.snapshots,
            "diverged": self.diverged,
            "message": self.message,
            "metrics": self.metrics,
            "comparison": self.comparison_summary(),
        }

    def comparison_summary(self) -> dict[str, Any] | None:
        """Both runs of a comparison, for API clients (None when not comparing)."""
        if self.partner is None or self.comparison is None:
            return None
        runs = {"A": self, "B": self.partner}
        return {
            "name": self.comparison.name,
            "differences": [
                list(row) for row in differences(self.trainer.config, self.partner.trainer.config)
            ],
            **{
                name: {
                    "iteration": run.trainer.iteration,
                    "loss_d": _last(run.trainer.history["loss_d"]),
                    "loss_g": _last(run.trainer.history["loss_g"]),
                    "d_real_mean": _last(run.trainer.history["d_real"]),
                    "d_fake_mean": _last(run.trainer.history["d_fake"]),
                    "grad_g": _last(run.trainer.history["grad_g"]),
                    "diverged": run.diverged,
                    "config": run.trainer.config.to_dict(),
                }
                for name, run in runs.items()
            },
        }

    def status_markdown(self) -> str:
        s = self.summary()
        line = text(
            "status",
            self.language,
            iteration=s["iteration"],
            d=s["d_steps"],
            g=s["g_steps"],
            device=self.device_words(),
        )
        # a no-break space keeps each loss with its value when the line wraps
        if s["loss_d"] is not None:
            line += f" · loss_D\u00a0{s['loss_d']:.4f}"
        if s["loss_g"] is not None:
            line += f" · loss_G\u00a0{s['loss_g']:.4f}"
        return f"{line}\n\n{self.message}" if self.message else line

    def status_html(self) -> str:
        """The status line as the page shows it. It is HTML made here, not Markdown rendered by
        Gradio, so that a step drawn outside Gradio's events (live_feed.FastSteps) can write
        it in place: the same markup either way."""
        return f'<div class="status-line">{_STATUS_MARKDOWN.render(self.status_markdown())}</div>'

    def device_words(self) -> str:
        """Where the run trains, in the tab's language ('CPU (1 thread)', 'CPU（1 个线程）')."""
        device = self.trainer.device
        if device.type == "cpu":
            n = torch.get_num_threads()
            words = text("device.cpu", self.language, n=n)
            return words.replace("thread)", "threads)") if n > 1 else words
        return self.trainer.device_label

    def g_step_markdown(self) -> str:
        g = self.trainer.last_g
        if g is None:
            return text("g_md.none", self.language)
        return text(
            "g_md",
            self.language,
            mean=g.d_on_g_mean,
            loss_g=g.loss_g,
            grad=g.grad_norm_g,
            dd=f"{g.delta_d:g}",
            dg=g.delta_g,
        )

    def table_headers(self) -> list[str]:
        return text("table.headers", self.language).split("|")

    def batch_table(self, per_half: int = 8) -> list[list[Any]]:
        d = self.trainer.last_d
        if d is None:
            return []
        b = d.batch_size
        rows = list(range(min(per_half, b))) + list(range(b, b + min(per_half, b)))
        table = []
        for i in rows:
            value = d.x[i]
            shown = (
                f"({value[0]:.3f}, {value[1]:.3f})"
                if value.numel() == 2
                else text("table.image", self.language, shape=tuple(value.shape))
            )
            part = text("table.fake" if i < b else "table.real", self.language)
            table.append(
                [
                    i,
                    part,
                    shown,
                    int(d.y[i]),
                    round(float(d.scores[i]), 4),
                    round(float(d.loss_terms[i]), 4),
                ]
            )
        return table

    def refresh_metrics(self, n: int = 2000) -> dict[str, Any]:
        result = evaluate(self.trainer, n=n, ema=self.use_ema)
        self.metrics = {
            k: v for k, v in result.items() if k not in ("class_counts", "covered_modes")
        }
        t = self.trainer
        if "drs" in self.layers and drs.supported(t.config.loss) and t.dataset.centres is not None:
            # D's filter on: the same measures for the samples D keeps
            x, z, labels = t.sample(n, ema=self.use_ema)
            kept = drs.filter_samples(t, x, labels)
            ds = t.dataset
            filtered = mixture_metrics(x.numpy()[kept], ds.centres.numpy(), ds.mode_std)
            self.metrics["drs_kept_percent"] = 100 * float(kept.mean())
            for key in ("modes_covered", "hq_percent", "spread"):
                self.metrics[f"drs_{key}"] = filtered[key]
        return self.metrics

    def metrics_markdown(self) -> str:
        m, lang = self.metrics, self.language
        if not m:
            return text("metrics.none", lang)
        keys = (
            "modes_covered",
            "hq_percent",
            "reverse_kl",
            "spread",
            "kl",
            "js",
            "energy_distance",
            "energy_floor",
            "drs_kept_percent",
            "drs_modes_covered",
            "drs_hq_percent",
            "drs_spread",
            "fd",
            "diversity",
            "classes_covered",
            "smallest_class_share",
            "label_agreement",
            "near_copies",
        )
        rows = [
            f"| {text(f'metrics.{key}', lang)} | {_metric(key, m[key], m.get(key + '_floor'))} |"
            for key in keys
            if key in m
        ]
        head = text("metrics.head", lang, iteration=m.get("iteration"), n=m.get("n"))
        if m.get("modes_fitted"):
            head += "\n\n" + text("metrics.fitted", lang, k=m["modes_fitted"])
        if "fd_floor" in m:
            head += "\n\n" + text("metrics.real_beside", lang)
        return f"{head}\n\n{text('metrics.columns', lang)}\n|---|---|\n" + "\n".join(rows)

    # ------------------------------------------------------------ figures
    def _finish(self, figure: go.Figure) -> go.Figure:
        return figures.enlarge(figure, PRESENTER_SCALE) if self.presenter else figure

    def narrated_stage(self) -> str | None:
        """The slow-motion sub-step on screen, if a walk through an iteration is under way."""
        if self.narration is None or self.tour is not None:
            return None
        return SUB_STEPS[self.sub_step][0]

    def graph_html(self) -> str:
        """The model-overview graph: the last step's path lit (or the sub-step's part), with
        this run's numbers on its nodes."""
        t, lang = self.trainer, self.language
        d, g = t.last_d, t.last_g
        values: dict[str, str] = {}
        b, z_dim = t.config.batch_size, t.config.z_dim
        values["d.z"] = values["g.z"] = f"{b} × {z_dim}"
        if d is not None:
            values.update(
                {
                    "d.G": text("graph.v.no_grad", lang),
                    "d.fake": text("graph.v.rows", lang, n=d.batch_size),
                    "d.real": text("graph.v.rows", lang, n=d.batch_size),
                    "d.x": text("graph.v.stack", lang, n=2 * d.batch_size),
                    "d.D": f"‖Δθ_D‖ = {d.delta_d:.3g}",
                    "d.score": text("graph.v.scores", lang, real=d.d_real_mean, fake=d.d_fake_mean),
                    "d.loss": f"loss_D = {d.loss_d:.4f}",
                }
            )
        sides = self._conv_sides()  # a DCGAN's layers: the image sides they work at
        if sides and d is not None:
            values["d.G"] = text("graph.v.no_grad_conv", lang, path="→".join(sides))
        if g is not None:
            values.update(
                {
                    "g.G": f"‖Δθ_G‖ = {g.delta_g:.3g}",
                    "g.fake": text("graph.v.rows", lang, n=len(g.scores)),
                    "g.target": text("graph.v.target", lang),
                    "g.D": f"‖Δθ_D‖ = {g.delta_d:g}",
                    "g.score": text("graph.v.mean", lang, mean=g.d_on_g_mean),
                    "g.loss": (
                        text("graph.v.loss_mmd", lang, loss=g.loss_g, mmd=g.penalty)
                        if g.penalty
                        else f"loss_G = {g.loss_g:.4f}"
                    ),
                }
            )
        stage = self.narrated_stage()
        if stage is not None:
            state = model_graph.state_for_sub_step(stage, values, lang)
        else:
            state = model_graph.state_after_step(t.last_step or "none", values, lang)
        return model_graph.render_svg(state, presenter=self.presenter)

    def _conv_sides(self) -> list[str]:
        """A DCGAN's image sides from G's first layer to its output ("7²", "14²", "28²"),
        for the graph's G node (D walks them back). Empty for an MLP."""
        t = self.trainer
        if t.config.model != "dcgan":
            return []
        side = t.dataset.shape[-1]
        return [f"{s}²" for s in (side // 4, side // 2, side)]

    @property
    def font_scale(self) -> float:
        return PRESENTER_SCALE if self.presenter else 1.0

    def batch_svg(self) -> str:
        """The D step's batch, stacked as it is; in slow motion, only what exists so far."""
        d = self.trainer.last_d
        if d is None:
            return svg_views.message_svg(text("fig.no_d", self.language), scale=self.font_scale)
        stage = self.narrated_stage()
        if stage not in svg_views.BATCH_STAGES:
            stage = "full"
        return svg_views.batch_svg(d, self.probability, self.language, stage, self.font_scale)

    def g_figure(self) -> go.Figure:
        g = self.trainer.last_g
        if g is None:
            return self._finish(figures.message_figure(text("fig.no_g", self.language)))
        if g.fake.dim() == 2:
            fig = figures.g_step_points_figure(g, self.real_view, self.probability, self.language)
        else:
            fig = figures.g_step_images_figure(g, self.probability, self.language)
        return self._finish(fig)

    def scores_figure(self) -> go.Figure:
        t = self.trainer
        fig = figures.scores_figure(t.last_d, t.history, self.probability, self.language)
        return self._finish(fig)

    def loss_figure(self) -> go.Figure:
        return self._finish(figures.loss_figure(self.trainer.history, self.language))

    def sparkline_svg(self) -> str:
        return svg_views.sparkline_svg(self.trainer.history, self.language, self.font_scale)

    def set_layers(self, layers: list[str]) -> None:
        unknown = [layer for layer in layers if layer not in figures.DATA_LAYERS]
        if unknown:
            raise ValueError(f"layers: unknown layer '{unknown[0]}'")
        self.layers = tuple(layers)

    def _view_noise(self, n: int = VIEW_POINTS) -> torch.Tensor | None:
        """ε for the first n fakes of the data view at the run's sample_noise (None: G has no
        noise output)."""
        if not self.trainer.G.noise_dim:
            return None
        return self.view_eps[:n] * self.trainer.config.sample_noise

    def manifold(self) -> Any:
        """G applied to a MANIFOLD_GRID² grid over z's first two dimensions (the others 0):
        (rows, cols, 2) points, the warped mesh of the data view's manifold layer."""
        t = self.trainer
        axis = torch.linspace(-2.5, 2.5, MANIFOLD_GRID)
        gz0, gz1 = torch.meshgrid(axis, axis, indexing="ij")
        z = torch.zeros(MANIFOLD_GRID * MANIFOLD_GRID, t.config.z_dim)
        z[:, 0] = gz0.reshape(-1)
        if t.config.z_dim > 1:
            z[:, 1] = gz1.reshape(-1)
        out = t.generate(z, self._labels_for(len(z)), ema=self.use_ema)
        return out.numpy().reshape(MANIFOLD_GRID, MANIFOLD_GRID, -1)[..., :2]

    def data_figure(self) -> go.Figure:
        t, lang = self.trainer, self.language
        stage = self.narrated_stage()
        if t.dataset.kind != "points":
            labels = self._grid_labels()
            images = t.dataset.to_export(t.generate(self.fixed_z, labels, ema=self.use_ema))
            columns = 8 if labels is None else len(images) // t.num_classes
            fig = figures.sample_grid_figure(
                images.numpy(), None if labels is None else labels.numpy(), columns, lang
            )
            return self._finish(fig)
        xs = np.linspace(self.bounds[0], self.bounds[1], 40, dtype=np.float32)
        ys = np.linspace(self.bounds[2], self.bounds[3], 40, dtype=np.float32)
        if stage is not None and stage != "g_update" and t.last_d is not None:
            # slow motion: the narrated batch's own points, as far as they exist yet
            d = t.last_d
            stages = svg_views.BATCH_STAGES
            level = stages.index(stage) if stage in stages else len(stages)
            b = d.batch_size
            fake = d.x[:b].numpy() if level >= 1 else None
            real = d.x[b:].numpy() if level >= 2 else None
            fig = figures.field_figure(
                xs,
                ys,
                None,
                real,
                fake,
                None,
                self.probability,
                lang,
                title=text("fig.field_batch", lang),
            )
            return self._finish(fig)
        layers = set(self.layers)
        labels = self._labels_for(len(self.view_z))
        fake_t = t.generate(self.view_z, labels, ema=self.use_ema, noise=self._view_noise())
        field_ = probes.decision_field(t, self.bounds)[2] if "heatmap" in layers else None
        pull = self.gradient_pull(fake_t, labels) if "gradient" in layers else None
        kept, title = None, text("fig.field_at", lang, iteration=t.iteration)
        if "drs" in layers and drs.supported(t.config.loss):
            kept = drs.filter_samples(t, fake_t, labels)
            title = text("fig.field_drs", lang, iteration=t.iteration, kept=100 * kept.mean())
        fig = figures.field_figure(
            xs,
            ys,
            field_,
            self.real_view if "real" in layers else None,
            fake_t.numpy() if layers & {"fake", "gradient", "drs"} else None,
            pull,
            self.probability,
            lang,
            manifold=self.manifold() if "manifold" in layers else None,
            title=title,
            kept=kept,
            modes=self._numbered_modes() if "real" in layers else None,
            stretch="stretch" in layers,
            pull_norm=None if pull is None else self._shared_arrow_norm(pull),
        )
        return self._finish(fig)

    def gradient_pull(self, fake: torch.Tensor, labels: torch.Tensor | None) -> np.ndarray:
        """G's gradient at the data view's first ARROWS fakes (probes.generator_pull)."""
        return probes.generator_pull(
            self.trainer, fake[:ARROWS], None if labels is None else labels[:ARROWS]
        )

    def _shared_arrow_norm(self, pull: np.ndarray) -> float:
        """The arrow scale of this run's data view: its own, or while two runs are compared,
        the larger of the two, so that A and B draw one gradient size at one length."""
        other = self.partner or self.compared_with
        norm = figures.arrow_norm(pull)
        if other is None or other.trainer.dataset.kind != "points":
            return norm
        t = other.trainer
        labels = other._labels_for(len(other.view_z))
        fake = t.generate(other.view_z, labels, ema=other.use_ema, noise=other._view_noise())
        return max(norm, figures.arrow_norm(other.gradient_pull(fake, labels)))

    def _numbered_modes(self) -> np.ndarray | None:
        """The centres the data view numbers with the real layer: a mixture's (or the fitted
        ones of a user's points), up to MODE_NUMBERS (25 numbers would hide a grid's modes)."""
        centres = self.trainer.dataset.centres
        if centres is None or len(centres) > MODE_NUMBERS:
            return None
        return centres.numpy()

    def _grid_count(self) -> int:
        t = self.trainer
        return 8 * t.num_classes if t.conditional else 32

    def _grid_labels(self) -> torch.Tensor | None:
        t = self.trainer
        if not t.conditional:
            return None
        per_class = len(self.fixed_z) // t.num_classes
        return torch.arange(t.num_classes).repeat_interleave(per_class)

    def _labels_for(self, n: int) -> torch.Tensor | None:
        if not self.trainer.conditional:
            return None
        return torch.arange(n) % self.trainer.num_classes

    # ------------------------------------------------------------ latent space
    def set_latent_axes(self, axes: str) -> None:
        """Sliders on z's first dimensions ("z") or on G's principal directions ("pca"), which
        then start at 0 around the current end A."""
        if axes not in LATENT_AXES:
            raise ValueError(f"slider axes: '{axes}' is not one of {', '.join(LATENT_AXES)}")
        self.latent_axes = axes
        self.latent_base = self.z_a.clone()

    def latent_directions(self, label: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        """G's principal directions in z and their shares of variance, recomputed once G has
        trained since (or the class or sampler changed)."""
        t = self.trainer
        key = (t.iteration, t.g_step_count, self.use_ema, label)
        if self._pca is None or self._pca[0] != key:
            labels = self._class_tensor(label, PCA_SAMPLES)
            dirs, shares = probes.pca_directions(
                lambda z: t.generate(z, labels, ema=self.use_ema),
                t.config.z_dim,
                SLIDER_DIMS,
                n=PCA_SAMPLES,
            )
            self._pca = (key, dirs, shares)
        return self._pca[1], self._pca[2]

    def slider_setup(self, label: int | None) -> list[tuple[str, float, bool]]:
        """(caption, value, shown) for each latent slider: z[i] and its value, or PCi with its
        share of G(z)'s variance and 0."""
        z_dim = self.trainer.config.z_dim
        if self.latent_axes == "z":
            values = slider_values(self.z_a)
            return [(f"z[{i}]", v, i < z_dim) for i, v in enumerate(values)]
        _, shares = self.latent_directions(label)
        captions = [f"PC{i + 1} · {float(share):.0%}" for i, share in enumerate(shares)]
        return [
            (captions[i] if i < len(captions) else f"PC{i + 1}", 0.0, i < len(captions))
            for i in range(SLIDER_DIMS)
        ]

    def latent_vector(self, values: list[float], label: int | None) -> torch.Tensor:
        """The z the sliders show: z's first dimensions replaced, or the base moved along the
        principal directions by the slider values."""
        if self.latent_axes == "pca":
            dirs, _ = self.latent_directions(label)
            if self.latent_base is None:  # a new run that kept the tab's slider axes
                self.latent_base = self.z_a.clone()
            base = self.latent_base
            coefficients = torch.tensor(values[: len(dirs)], dtype=torch.float32)
            return base + coefficients @ dirs
        z = self.z_a.clone()
        k = min(SLIDER_DIMS, self.trainer.config.z_dim)
        z[:k] = torch.tensor(values[:k], dtype=torch.float32)
        return z

    def latent_figure(
        self, values: list[float] | None = None, label: int | None = None
    ) -> go.Figure:
        """G(z) for the sliders' vector, from the current G (values None: the sliders as they
        were last set)."""
        t = self.trainer
        if values is None:
            values = self.latent_values or [v for _, v, _ in self.slider_setup(label)]
        self.latent_values = list(values)
        z = self.latent_vector(values, label)
        self.z_a = z  # the slider vector is end A of the interpolation
        labels = self._class_tensor(label, 1)
        out = t.generate(z[None], labels, ema=self.use_ema)
        title = text("fig.latent_at", self.language, iteration=t.iteration)
        if t.dataset.kind == "points":
            noise = self._view_noise(256)
            fake = t.generate(self.view_z[:256], self._labels_for(256), noise=noise)
            point = out[0].numpy()
            fig = figures.latent_point_figure(
                point, self.real_view, fake.numpy(), self.language, title
            )
            return self._finish(fig)
        image = t.dataset.to_export(out).numpy()
        caption = [text("fig.class", self.language, k=label) if labels is not None else "G(z)"]
        return self._finish(figures.thumbnails_figure(image, caption, title, columns=1))

    def interpolation_figure(
        self, frames: int | None = None, method: str | None = None, label: int | None = None
    ) -> go.Figure:
        """G along the path from end A to end B, from the current G (frames/method None: as
        last asked)."""
        t = self.trainer
        frames = self.interp_frames if frames is None else frames
        method = self.interp_method if method is None else method
        if not 2 <= frames <= 32:
            raise ValueError(f"frames: choose 2–32 frames (got {frames})")
        zs = probes.interpolate(self.z_a, self.z_b, frames, method)
        self.interp_frames, self.interp_method = frames, method
        out = t.generate(zs, self._class_tensor(label, frames), ema=self.use_ema)
        title = text("fig.interp_at", self.language, iteration=t.iteration)
        if t.dataset.kind == "points":
            fig = figures.interpolation_points_figure(
                out.numpy(), self.real_view, self.language, title
            )
        else:
            images = t.dataset.to_export(out).numpy()
            fig = figures.interpolation_images_figure(images, self.language, title)
        return self._finish(fig)

    def randomise_end(self, which: str, seed: int) -> torch.Tensor:
        z = torch.randn(self.trainer.config.z_dim, generator=torch.Generator().manual_seed(seed))
        if which == "A":
            self.z_a = z
            self.latent_base = z.clone()
        else:
            self.z_b = z
        return z

    def _class_tensor(self, label: int | None, n: int) -> torch.Tensor | None:
        t = self.trainer
        if not t.conditional:
            return None
        k = 0 if label is None else int(label)
        if not 0 <= k < t.num_classes:
            raise ValueError(f"class: choose 0–{t.num_classes - 1} (got {k})")
        return torch.full((n,), k, dtype=torch.long)


# Markdown for the status line: bold, italics, code; raw HTML escaped, no links or images
_STATUS_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(
    ["link", "image", "autolink", "html_inline", "html_block"]
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>])")


def _next_frame(due: float, now: float, gap: float) -> float:
    """When the frame after one due at `due` and built at `now` is due: one gap after the
    last was due, so that the time each takes to build does not add up (7.5 frames/s instead
    of 10 with a 35-ms build), but not sooner than half a gap from now."""
    return max(due + gap, now + gap / 2)


def markdown_safe(value: str) -> str:
    """`value` shown as plain text inside Markdown: HTML escaped, Markdown punctuation too."""
    return _MARKDOWN.sub(r"\\\1", html.escape(value, quote=False)[:500])


def budgeted_trainer(config: GANConfig, dataset: Dataset | None = None) -> Trainer:
    """A Trainer for `config`, once its data is read (bounded; `dataset` reuses data already
    read) and its cost is known to fit a browser session's budget (playground.budget);
    ValueError names what to change."""
    dataset = dataset or build_dataset(config)
    budget.check(config, dataset.shape, dataset.num_classes)
    return Trainer(config, dataset=dataset)


def slider_values(z: torch.Tensor) -> list[float]:
    """The first SLIDER_DIMS entries of z, rounded for the sliders."""
    values = [round(float(v), 2) for v in z[:SLIDER_DIMS]]
    return values + [0.0] * (SLIDER_DIMS - len(values))


def _metric(key: str, value: Any, floor: float | None = None) -> str:
    """A metric as the metrics tab prints it: shares in % to one decimal, counts whole, and
    beside it what real images score (the real-vs-real floor), where there is one."""
    if not isinstance(value, float):
        return f"{value}"
    if key in PERCENT_METRICS:
        shown = f"{100 * value:.1f} %"
        return shown if floor is None else f"{shown} ({100 * floor:.1f} %)"
    shown = f"{value:.1f}" if "percent" in key else f"{value:.3f}"
    return shown if floor is None else f"{shown} ({floor:.3f})"


# image metrics that are shares in [0, 1], printed as percentages
PERCENT_METRICS = ("smallest_class_share", "label_agreement", "near_copies")


def _last(series: list[float]) -> float | None:
    return series[-1] if series and series[-1] == series[-1] else None
