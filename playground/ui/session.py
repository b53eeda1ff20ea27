"""One browser session's playground: its own Trainer plus what the views need (fixed noise,
interpolation ends, the real points drawn for plots). No Gradio here, so it is testable alone.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
import torch

from playground import figures, probes
from playground.config import LIVE_FIELDS, GANConfig
from playground.lecture import Narration, text
from playground.losses import PROBABILITY_LOSSES
from playground.metrics import evaluate
from playground.presets import load_preset
from playground.tours import Tour
from playground.trainer import DivergenceError, Trainer

DEFAULT_PRESET = "classroom"
VIEW_POINTS = 512
SLIDER_DIMS = 16
LATENT_AXES = ("z", "pca")
PCA_SAMPLES = 2048  # samples of G(z) behind the principal directions


@dataclass
class StepOutcome:
    """What a click did, in words, for the status line."""

    text: str
    diverged: bool = False


@dataclass
class Session:
    trainer: Trainer
    preset: str = ""
    sampler: str = "G"
    lock: threading.Lock = field(default_factory=threading.Lock)
    message: str = ""
    diverged: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    z_a: torch.Tensor | None = None
    z_b: torch.Tensor | None = None
    playing: bool = False  # autoplay on/off for this tab
    frames: int = 0  # autoplay frames asked for since Play, for the redraw interval
    redraw_every: int = 1  # while playing, plots are redrawn every N-th frame
    live_token: str | None = None  # the token the page fetches autoplay frames with
    tab: int = 1  # the view tab the user is looking at (only its plots are redrawn)
    autoplay_rate: float = 320.0  # iterations per second while playing
    language: str = "en"  # "en" or "zh-CN": captions and lecture text
    owner: str | None = None  # the browser session that built it (page loads check it)
    tour: Tour | None = None  # the scenario tour being walked, if any
    tour_step: int = 0
    narration: Narration | None = None  # the iteration being explained in slow motion
    sub_step: int = 0  # which of its ten sub-steps is on screen
    latent_axes: str = "z"  # what the latent sliders move: "z" dimensions or "pca" directions
    latent_base: torch.Tensor | None = None  # with "pca": the z the sliders move away from
    _pca: tuple[Any, torch.Tensor, torch.Tensor] | None = None  # (for which G, dirs, shares)

    def __post_init__(self) -> None:
        view_rng = torch.Generator().manual_seed(1234)
        self.real_view = self.trainer.dataset.sample(VIEW_POINTS, view_rng)[0].numpy()
        z_dim = self.trainer.config.z_dim
        self.fixed_z = torch.randn(self._grid_count(), z_dim, generator=view_rng)
        self.view_z = torch.randn(VIEW_POINTS, z_dim, generator=view_rng)
        self.z_a = torch.randn(z_dim, generator=view_rng)
        self.z_b = torch.randn(z_dim, generator=view_rng)
        if self.trainer.dataset.kind == "points":
            lo, hi = self.real_view.min(0), self.real_view.max(0)
            pad = 0.25 * (hi - lo).max() + 0.1
            self.bounds = (lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_preset(cls, name: str = DEFAULT_PRESET, **overrides: Any) -> Session:
        preset = load_preset(name)
        config = preset.config.replace(**overrides) if overrides else preset.config
        return cls(Trainer(config), preset=name, sampler=preset.sampler)

    def reconfigure(self, config: GANConfig) -> Session:
        """Apply new settings: live ones in place; anything else rebuilds a fresh run. The
        returned session's status message says which happened."""
        old = self.trainer.config.to_dict()
        changed = {k: v for k, v in config.to_dict().items() if old[k] != v}
        fields = ", ".join(sorted(changed))
        if not changed:
            self.say("nothing_changed")
            return self
        if set(changed) <= LIVE_FIELDS:
            self.trainer.update(**changed)
            self.say("applied_live", fields=fields)
            return self
        rebuilt = self.fresh_run(config)
        rebuilt.say("rebuilt", fields=fields)
        return rebuilt

    def fresh_run(self, config: GANConfig, preset: str | None = None) -> Session:
        """This tab's next run: a new Trainer for `config`, keeping the tab's settings and the
        preset's sampler choice where the config still has an EMA generator."""
        sampler = self.sampler if config.ema_decay > 0 else "G"
        run = Session(
            Trainer(config), preset=self.preset if preset is None else preset, sampler=sampler
        )
        return self.successor(run)

    @property
    def use_ema(self) -> bool:
        """Sample from the EMA generator: the preset asks for it and the run has one."""
        return self.sampler == "ema" and self.trainer.G_ema is not None

    def lecture_text(self) -> str:
        """What the caption area shows: the tour step, the slow-motion sub-step, or the hint."""
        if self.tour is not None:
            return self.tour.caption(self.tour_step, self.language)
        if self.narration is not None:
            return self.narration.caption(self.sub_step, self.language)
        return text("start", self.language)

    def successor(self, other: Session) -> Session:
        """Hand this tab over to a new run (preset, reset, load, tour): the tab, language,
        owner and tour carry on; this run's autoplay stops."""
        self.stop_autoplay()
        other.tab, other.language, other.owner = self.tab, self.language, self.owner
        other.latent_axes = self.latent_axes
        other.tour, other.tour_step = self.tour, self.tour_step
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
        if step.preset:
            device = self.trainer.config.device
            session = self.successor(Session.from_preset(step.preset, device=device))
        session.tour_step = index
        if step.run:
            session.run(step.run)
        if step.evaluate:
            session.refresh_metrics()
        session.tab = step.view
        return session

    # ------------------------------------------------------------ stepping
    def say(self, key: str, **values: Any) -> str:
        """Set the status message, in this tab's language."""
        self.message = text(f"msg.{key}", self.language, **values)
        return self.message

    def _guarded(self, action: str, fn: Any, **values: Any) -> StepOutcome:
        try:
            fn()
        except DivergenceError as exc:
            self.diverged = True
            details = {"iteration": exc.iteration, "network": exc.network, "what": exc.what}
            return StepOutcome(self.say("diverged", **details), diverged=True)
        self.diverged = False
        return StepOutcome(self.say(action, **values))

    def step_d(self) -> StepOutcome:
        return self._guarded("ran_d", self.trainer.step_d)

    def step_g(self) -> StepOutcome:
        return self._guarded("ran_g", self.trainer.step_g)

    def step(self) -> StepOutcome:
        return self._guarded("ran_iteration", self.trainer.step)

    def run(self, n: int) -> StepOutcome:
        return self._guarded("ran_n", lambda: self.trainer.run(n), n=n)

    # ------------------------------------------------------------ autoplay
    def start_autoplay(self, iterations_per_second: float) -> None:
        """Train on a background thread at up to this rate until stop_autoplay(); the page's
        timer only repaints, so training speed does not wait for the browser."""
        self.stop_autoplay()
        self.autoplay_rate = max(1.0, float(iterations_per_second))
        self._stop = threading.Event()
        self.playing = True
        self.frames = 0
        self._player = threading.Thread(target=self._autoplay_loop, args=(self._stop,), daemon=True)
        self._player.start()

    def stop_autoplay(self) -> None:
        stop, player = getattr(self, "_stop", None), getattr(self, "_player", None)
        if stop is not None:
            stop.set()
        if player is not None and player is not threading.current_thread():
            player.join(timeout=5)
        self._player = None
        self.playing = False

    def _autoplay_loop(self, stop: threading.Event) -> None:
        chunk = 5  # iterations per lock hold: a click or repaint waits at most one chunk
        done, start = 0, time.perf_counter()
        while not stop.is_set():
            with self.lock:
                if stop.is_set():
                    break
                outcome = self._guarded("playing", lambda: self.trainer.run(chunk))
            if outcome.diverged:
                self.playing = False
                break
            done += chunk
            ahead = done / self.autoplay_rate - (time.perf_counter() - start)
            if ahead > 0:
                stop.wait(ahead)  # throttle to the requested rate

    def rewind(self, iteration: int) -> str:
        available = [s for s in self.trainer.snapshots if s <= iteration]
        if not available:
            raise ValueError(f"timeline: no snapshot at or before iteration {iteration}")
        target = available[-1]
        self.trainer.restore(target)
        self.diverged = False
        return self.say("rewound", iteration=target)

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
        }

    def status_markdown(self) -> str:
        s = self.summary()
        line = text(
            "status",
            self.language,
            iteration=s["iteration"],
            d=s["d_steps"],
            g=s["g_steps"],
            device=s["device"],
        )
        if s["loss_d"] is not None:
            line += f" · loss_D {s['loss_d']:.4f}"
        if s["loss_g"] is not None:
            line += f" · loss_G {s['loss_g']:.4f}"
        return f"{line}\n\n{self.message}" if self.message else line

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
        self.metrics = {k: v for k, v in result.items() if k != "class_counts"}
        return self.metrics

    def metrics_markdown(self) -> str:
        m, lang = self.metrics, self.language
        if not m:
            return text("metrics.none", lang)
        keys = (
            "modes_covered",
            "hq_percent",
            "reverse_kl",
            "kl",
            "js",
            "classes_covered",
            "confidence",
            "label_agreement",
        )
        rows = [
            f"| {text(f'metrics.{key}', lang)} | "
            + (f"{m[key]:.3f}" if isinstance(m[key], float) else f"{m[key]}")
            + " |"
            for key in keys
            if key in m
        ]
        head = text("metrics.head", lang, iteration=m.get("iteration"), n=m.get("n"))
        return f"{head}\n\n{text('metrics.columns', lang)}\n|---|---|\n" + "\n".join(rows)

    # ------------------------------------------------------------ figures
    def batch_figure(self) -> go.Figure:
        d = self.trainer.last_d
        if d is None:
            return figures.message_figure(text("fig.no_d", self.language))
        if d.x.dim() == 2:
            return figures.batch_points_figure(d, self.probability, self.language)
        return figures.batch_images_figure(d, self.probability, self.language)

    def g_figure(self) -> go.Figure:
        g = self.trainer.last_g
        if g is None:
            return figures.message_figure(text("fig.no_g", self.language))
        if g.fake.dim() == 2:
            return figures.g_step_points_figure(g, self.real_view, self.probability, self.language)
        return figures.g_step_images_figure(g, self.probability, self.language)

    def scores_figure(self) -> go.Figure:
        t = self.trainer
        return figures.scores_figure(t.last_d, t.history, self.probability, self.language)

    def loss_figure(self) -> go.Figure:
        return figures.loss_figure(self.trainer.history, self.language)

    def data_figure(self) -> go.Figure:
        t = self.trainer
        use_ema = self.use_ema
        if t.dataset.kind == "points":
            labels = self._labels_for(len(self.view_z))
            fake = t.generate(self.view_z, labels, ema=use_ema)
            xs, ys, field_ = probes.decision_field(t, self.bounds)
            pull = probes.generator_pull(t, fake[:128], None if labels is None else labels[:128])
            return figures.field_figure(
                xs, ys, field_, self.real_view, fake.numpy(), pull, self.probability, self.language
            )
        labels = self._grid_labels()
        images = t.dataset.to_export(t.generate(self.fixed_z, labels, ema=use_ema)).numpy()
        columns = 8 if labels is None else len(images) // t.num_classes
        return figures.sample_grid_figure(
            images, None if labels is None else labels.numpy(), columns, self.language
        )

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

    def latent_figure(self, values: list[float], label: int | None) -> go.Figure:
        t = self.trainer
        z = self.latent_vector(values, label)
        self.z_a = z  # the slider vector is end A of the interpolation
        labels = self._class_tensor(label, 1)
        out = t.generate(z[None], labels, ema=self.use_ema)
        if t.dataset.kind == "points":
            fake = t.generate(self.view_z[:256], self._labels_for(256))
            point = out[0].numpy()
            return figures.latent_point_figure(point, self.real_view, fake.numpy(), self.language)
        image = t.dataset.to_export(out).numpy()
        caption = [text("fig.class", self.language, k=label) if labels is not None else "G(z)"]
        title = text("fig.latent", self.language)
        return figures.thumbnails_figure(image, caption, title, columns=1)

    def interpolation_figure(self, frames: int, method: str, label: int | None) -> go.Figure:
        t = self.trainer
        if not 2 <= frames <= 32:
            raise ValueError(f"frames: choose 2–32 frames (got {frames})")
        zs = probes.interpolate(self.z_a, self.z_b, frames, method)
        out = t.generate(zs, self._class_tensor(label, frames), ema=self.use_ema)
        if t.dataset.kind == "points":
            return figures.interpolation_points_figure(out.numpy(), self.real_view, self.language)
        images = t.dataset.to_export(out).numpy()
        return figures.interpolation_images_figure(images, self.language)

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


def slider_values(z: torch.Tensor) -> list[float]:
    """The first SLIDER_DIMS entries of z, rounded for the sliders."""
    values = [round(float(v), 2) for v in z[:SLIDER_DIMS]]
    return values + [0.0] * (SLIDER_DIMS - len(values))
