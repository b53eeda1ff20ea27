"""The latent space of a session's G: sliders on z or on G's principal directions, the
picture they move, and the interpolation between two ends. No Gradio here."""

from __future__ import annotations

import plotly.graph_objects as go
import torch

from playground.evaluation import probes
from playground.text import text
from playground.views import figures

SLIDER_DIMS = 16
INTERP_FRAMES = (2, 16)  # the latent interpolation's fewest and most frames
LATENT_AXES = ("z", "pca")
PCA_SAMPLES = 2048  # samples of G(z) behind the principal directions


class LatentSpace:
    """Mixed into Session: the latent tab's state lives in the session's fields (z_a, z_b,
    latent_axes, latent_base, latent_values, interp_frames, interp_method)."""

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
        named = f"fig.{t.labels_are}"
        caption = [text(named, self.language, k=label) if labels is not None else "G(z)"]
        return self._finish(figures.thumbnails_figure(image, caption, title, columns=1))

    def interpolation_figure(
        self, frames: int | None = None, method: str | None = None, label: int | None = None
    ) -> go.Figure:
        """G along the path from end A to end B, from the current G (frames/method None: as
        last asked)."""
        t = self.trainer
        frames = self.interp_frames if frames is None else frames
        method = self.interp_method if method is None else method
        fewest, most = INTERP_FRAMES
        if not fewest <= frames <= most:
            raise ValueError(f"frames: choose {fewest}–{most} frames (got {frames})")
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


def slider_values(z: torch.Tensor) -> list[float]:
    """The first SLIDER_DIMS entries of z, rounded for the sliders."""
    values = [round(float(v), 2) for v in z[:SLIDER_DIMS]]
    return values + [0.0] * (SLIDER_DIMS - len(values))
