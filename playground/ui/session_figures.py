"""A session's pictures: the model graph, the batch strip, the data view with its layers,
G's step, D's scores, the losses and the sparkline, and run B's views beside A's. No Gradio
here: each returns a Plotly figure or SVG from the session's trainer records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
import torch

from playground.evaluation import drs, probes
from playground.teaching.lecture import SUB_STEPS
from playground.text import text
from playground.views import data_view, figures, model_graph, svg_views

if TYPE_CHECKING:
    pass

VIEW_POINTS = 300  # points per cloud in the data view: enough to see the modes, cheap to redraw
ARROWS = 80  # G's gradient arrows drawn on the first fakes
MODE_NUMBERS = 12  # the data view numbers a mixture's modes up to this many
PRESENTER_SCALE = 1.5
MANIFOLD_GRID = 15  # the manifold layer: a 15 × 15 grid in z mapped through G


class SessionFigures:
    """Mixed into Session: every plot and SVG the page shows of its run (and of run B)."""

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
        return svg_views.batch_svg(
            d, self.probability, self.language, stage, self.font_scale, self.trainer.labels_are
        )

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
            if build is SessionFigures.batch_svg:
                return svg_views.message_svg(note, scale=self.font_scale)
            return figures.message_figure(note)
        self.partner.language, self.partner.layers = self.language, self.layers
        self.partner.presenter = self.presenter
        self.partner.compared_with = self
        return build(self.partner)

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
            rows_by_class = labels is not None and not t.clustered
            columns = len(images) // t.num_classes if rows_by_class else 8
            fig = figures.sample_grid_figure(
                images.numpy(), labels.numpy() if rows_by_class else None, columns, lang
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
            fig = data_view.field_figure(
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
        fig = data_view.field_figure(
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
        norm = data_view.arrow_norm(pull)
        if other is None or other.trainer.dataset.kind != "points":
            return norm
        t = other.trainer
        labels = other._labels_for(len(other.view_z))
        fake = t.generate(other.view_z, labels, ema=other.use_ema, noise=other._view_noise())
        return max(norm, data_view.arrow_norm(other.gradient_pull(fake, labels)))

    def _numbered_modes(self) -> np.ndarray | None:
        """The centres the data view numbers with the real layer: a mixture's (or the fitted
        ones of a user's points), up to MODE_NUMBERS (25 numbers would hide a grid's modes)."""
        centres = self.trainer.dataset.centres
        if centres is None or len(centres) > MODE_NUMBERS:
            return None
        return centres.numpy()

    def _grid_count(self) -> int:
        t = self.trainer
        return 8 * t.num_classes if t.conditional and not t.clustered else 32

    def _grid_labels(self) -> torch.Tensor | None:
        t = self.trainer
        if not t.conditional:
            return None
        if t.clustered:  # a fixed draw at the clusters' shares: the grid shows the data's mix
            return t.dataset.draw_labels(len(self.fixed_z), torch.Generator().manual_seed(0))
        per_class = len(self.fixed_z) // t.num_classes
        return torch.arange(t.num_classes).repeat_interleave(per_class)

    def _labels_for(self, n: int) -> torch.Tensor | None:
        if not self.trainer.conditional:
            return None
        return torch.arange(n) % self.trainer.num_classes
