"""One browser session's playground: its own Trainer plus what the views need (fixed noise,
interpolation ends, the real points drawn for plots). No Gradio here, so it is testable alone.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from playground.engine import budget
from playground.engine.config import LIVE_FIELDS, GANConfig
from playground.engine.data import PACKAGED_IMAGES, Dataset, build_dataset
from playground.engine.losses import PROBABILITY_LOSSES
from playground.engine.trainer import DivergenceError, Trainer
from playground.evaluation import drs, image_metrics
from playground.evaluation.metrics import evaluate, mixture_metrics
from playground.io import trained_starts
from playground.io.presets import load_preset, sampler_for
from playground.serving import play_worker
from playground.teaching.claims import measure_runs
from playground.teaching.compare import Comparison, ComparisonSpec
from playground.teaching.lecture import Narration
from playground.teaching.tour_check import play_step
from playground.teaching.tours import Tour
from playground.text import text
from playground.ui.latent_space import LatentSpace
from playground.ui.player import Player
from playground.ui.session_figures import VIEW_POINTS, SessionFigures
from playground.ui.session_words import SessionWords
from playground.views import figures

DEFAULT_PRESET = "classroom"
LOG = logging.getLogger(__name__)
# a tour step's view (1-6, as tour files number them) → the secondary tab it brings up; the
# batch (1) is always on the main screen, the data view (5) too, with its metrics in a tab
TOUR_VIEW_TABS = {2: "g", 3: "scores", 4: "loss", 5: "metrics", 6: "latent", 7: "compare"}
PROGRESS_EVERY = 25  # Run N tells the page its progress every this many iterations


@dataclass
class StepOutcome:
    """How a click ended (its words are the session's status message)."""

    diverged: bool = False
    failed: bool = False  # an unexpected error stopped it (said in words; the run is kept)


@dataclass
class Session(SessionWords, SessionFigures, LatentSpace):
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
    live_token: str | None = None  # the token the page fetches autoplay frames with
    tab: str = "scores"  # the secondary view tab open below the main screen
    language: str = "en"  # "en" or "zh-CN": captions and lecture text
    owner: str | None = None  # the browser session that built it (page loads check it)
    trained: bool = False  # the run started from its preset's shipped trained weights
    tour: Tour | None = None  # the scenario tour being walked, if any
    tour_step: int = 0
    tour_values: dict[str, Any] = field(default_factory=dict)  # what the tour step measured
    pair: Comparison[Session] | None = None  # an A/B comparison: this run (A) and run B
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
    _cost: tuple[GANConfig, budget.Estimate] | None = None  # run_limit's estimate, per config
    _said: tuple[str, dict[str, Any]] | None = None  # the status message's key and values
    _divergence: dict[str, Any] | None = None  # where this run diverged, while it stays so
    run_stop: threading.Event = field(default_factory=threading.Event)  # Stop, for Run N

    def __post_init__(self) -> None:
        self.player = Player(
            lambda: self.trainer, self.lock, self._train_chunk, self.say, self._take_on
        )
        # a tab's memory comes whole when it is built, not minutes later in a busy class:
        # its rewind block, and the shared metrics reference of a packaged image set
        self.trainer.set_aside_rewind()
        if self.trainer.dataset.name in PACKAGED_IMAGES:
            image_metrics.prepare(self.trainer.dataset.name)
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

    @property
    def partner(self) -> Session | None:
        """Run B, while this tab compares."""
        return self.pair.b if self.pair is not None else None

    # ------------------------------------------------------------ construction
    @classmethod
    def from_preset(
        cls, name: str = DEFAULT_PRESET, trained: bool = False, **overrides: Any
    ) -> Session:
        """A fresh run of a preset; `trained`: from its shipped trained weights instead of
        from scratch (playground.io.trained_starts)."""
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
        fields = ", ".join(sorted(changed))
        if not changed:
            self.say("nothing_changed")
            return self
        if set(changed) <= LIVE_FIELDS:  # bounds were checked making `config`; now its cost
            budget.check(config, self.trainer.dataset.shape, self.trainer.dataset.num_classes)
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
        run = Session(
            budgeted_trainer(config, self.trainer.dataset_for(config)),
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
        """Carry out tour step `index` as the tour test does (tour_check.play_step: load its
        preset or comparison, train), then evaluate, measure and point at its view; returns
        the session that holds the result (a new one when a preset was loaded)."""
        step = self.tour.steps[index]
        session, previous, done = play_step(step, self, self.tour_values)
        session.tour_step = index
        session.narration = None
        if step.run and not session.diverged:
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

    def tour_preset(self, name: str) -> Session:
        """A tour step's preset: a fresh run on this tab, the tour going on."""
        fresh = Session.from_preset(name, device=self.trainer.config.device)
        return self.successor(fresh, keep_tour=True)

    def tour_comparison(self, spec: ComparisonSpec) -> Session:
        """A tour step's comparison: both runs on this tab, the tour going on."""
        return self.open_comparison(spec, keep_tour=True)

    def measure(self, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """What a tour's claims and captions quote: this run's measures, and run B's as
        b.NAME while comparing (the same function the tour test checks the claims with)."""
        if self.pair is not None:
            return self.pair.measure(previous)
        return measure_runs(self.trainer, self.diverged, previous=previous)

    # ------------------------------------------------------------ A/B comparison
    def open_comparison(self, spec: ComparisonSpec, keep_tour: bool = False) -> Session:
        """A fresh pair of runs: A from the comparison's preset, B the same with spec.b
        changed, on the same data and seed; this tab shows both from now on."""
        device = self.trainer.config.device
        run_a = Session.from_preset(spec.preset, device=device)
        config_b = run_a.trainer.config.replace(**spec.b)
        budget.check(config_b, run_a.trainer.dataset.shape, run_a.trainer.dataset.num_classes)
        sampler = sampler_for(run_a.sampler, config_b)
        data = run_a.trainer.dataset_for(config_b)
        run_b = Session(budgeted_trainer(config_b, data), preset=spec.preset, sampler=sampler)
        session = self.successor(run_a, keep_tour=keep_tour)
        session.pair, session.comparison = Comparison(session, run_b), spec
        session.tab = "compare"
        return session

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
        """Run fn(trainer) on this run; while comparing, on both runs by the comparison's rule
        (compare.Comparison: a run that diverged stays put while the other goes on; each says
        its outcome on its own status line)."""
        if self.pair is None:
            return self._guarded_alone(action, fn, **values)
        outcomes: dict[int, StepOutcome] = {}
        self.pair.step(
            lambda run: outcomes.setdefault(id(run), run._guarded_alone(action, fn, **values))
        )
        if id(self) in outcomes:
            return outcomes[id(self)]
        if self._divergence is not None:  # A stays where its guard stopped it, and says so
            self.say("diverged", **self._divergence)
        return StepOutcome(diverged=True)

    def _guarded_alone(self, action: str, fn: Any, **values: Any) -> StepOutcome:
        """fn(trainer) on this run: a divergence or an unexpected error is said in words and
        the run kept at its last good state."""
        start = self.trainer.iteration
        try:
            fn(self.trainer)
        except DivergenceError as exc:
            self._diverge(exc.iteration, exc.network, exc.what)
            return StepOutcome(diverged=True)
        except Exception as exc:  # noqa: BLE001 - contained: said plainly, the run kept
            LOG.exception("%s failed at iteration %d", action, self.trainer.iteration + 1)
            self.trainer.roll_back_step()
            error = markdown_safe(f"{type(exc).__name__}: {exc}")
            done = self.trainer.iteration - start
            self.say("step_failed", iteration=self.trainer.iteration + 1, done=done, error=error)
            return StepOutcome(failed=True)
        self.diverged, self._divergence = False, None
        self.say(action, **values)
        return StepOutcome()

    def _diverge(self, iteration: int, network: str, what: str) -> None:
        self.diverged = True
        self._divergence = {"iteration": iteration, "network": network, "what": what}
        self.say("diverged", **self._divergence)

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
            self.say("stopped_run", done=done, n=n)
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
        """Play (playground.ui.player): in a worker process when this is a single run on the
        CPU and the app started workers, else on a thread here."""
        in_worker = self.partner is None and self.trainer.device.type == "cpu"
        self.player.start(iterations_per_second, frame, frames_per_second, in_worker)

    def stop_autoplay(self) -> None:
        self.player.stop()

    @property
    def playing(self) -> bool:
        return self.player.playing

    def _train_chunk(self, n: int) -> bool:
        """The player's training: n iterations, guarded as a click's are; False once the run
        diverged or failed (said in the status line)."""
        outcome = self._guarded("playing", lambda trainer: trainer.run(n))
        return not (outcome.diverged or outcome.failed)

    def _take_on(self, progress: play_worker.Progress) -> None:
        """A play worker's state becomes this run's (the caller holds the lock)."""
        play_worker.apply_progress(self.trainer, progress)
        if progress.diverged is not None:
            self._diverge(*progress.diverged)
        else:
            self.diverged, self._divergence = False, None

    def rewind(self, iteration: int) -> str:
        available = [s for s in self.trainer.snapshots if s <= iteration]
        if not available:
            raise ValueError(f"timeline: no snapshot at or before iteration {iteration}")
        target = available[-1]
        self.trainer.restore(target)
        self.diverged, self._divergence = False, None
        if self.partner is not None:  # run B goes back to its latest snapshot up to there
            self.partner.rewind(target)
        return self.say("rewound", iteration=target)

    def run_limit(self) -> int:
        """The most iterations one Run N may train in this tab (playground.engine.budget)."""
        t = self.trainer
        if self._cost is None or self._cost[0] != t.config:
            self._cost = (
                t.config,
                budget.estimate(t.config, t.dataset.shape, t.dataset.num_classes),
            )
        return min(100_000, self._cost[1].max_run())

    # ------------------------------------------------------------ metrics
    @property
    def probability(self) -> bool:
        return self.trainer.config.loss in PROBABILITY_LOSSES

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

    # ------------------------------------------------------------ views
    def set_layers(self, layers: list[str]) -> None:
        unknown = [layer for layer in layers if layer not in figures.DATA_LAYERS]
        if unknown:
            raise ValueError(f"layers: unknown layer '{unknown[0]}'")
        self.layers = tuple(layers)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>])")


def markdown_safe(value: str) -> str:
    """`value` shown as plain text inside Markdown: HTML escaped, Markdown punctuation too."""
    return _MARKDOWN.sub(r"\\\1", html.escape(value, quote=False)[:500])


def budgeted_trainer(config: GANConfig, dataset: Dataset | None = None) -> Trainer:
    """A Trainer for `config`, once its data is read (bounded; `dataset` reuses data already
    read) and its cost is known to fit a browser session's budget (playground.engine.budget);
    ValueError names what to change."""
    dataset = dataset or build_dataset(config)
    budget.check(config, dataset.shape, dataset.num_classes)
    return Trainer(config, dataset=dataset)
