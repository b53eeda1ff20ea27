"""The data view as a Plotly figure: D's decision field as a heat-map, the real and fake
clouds, G's gradient arrows, the manifold mesh, D's filter and the numbered modes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.text import text
from playground.views.figures import (
    FAKE_COLOUR,
    GRADIENT_COLOUR,
    MANIFOLD_COLOUR,
    SCORE_COLOURS,
    legend_below,
    new_figure,
    real_cloud,
    scatter,
    score_range,
)


def arrow_paths(base: np.ndarray, tips: np.ndarray, head: float) -> np.ndarray:
    """Arrows from base to tips (n, 2) as one polyline with NaN breaks: the shaft, then a
    two-stroke head at the tip (at most `head` long, a third of a short shaft). Plain line
    segments: Plotly's arrow markers cost the page a repaint's worth of time for 80 arrows."""
    vec = tips - base
    length = np.linalg.norm(vec, axis=1, keepdims=True)
    unit = vec / np.maximum(length, 1e-12)
    size = np.minimum(head, length / 3)
    cos, sin = np.cos(np.radians(28)), np.sin(np.radians(28))
    left = np.stack([unit[:, 0] * cos - unit[:, 1] * sin, unit[:, 0] * sin + unit[:, 1] * cos], 1)
    right = np.stack([unit[:, 0] * cos + unit[:, 1] * sin, -unit[:, 0] * sin + unit[:, 1] * cos], 1)
    gap = np.full_like(base, np.nan)
    parts = [base, tips, gap, tips - size * left, tips, tips - size * right, gap]
    return np.stack(parts, 1).reshape(-1, 2)


def arrow_norm(pull: np.ndarray) -> float:
    """The gradient size drawn as an arrow 7 % of the plot wide: the 90th percentile of the
    arrows' lengths. Two runs compared side by side share the larger of their two, so that
    the run whose gradient vanishes draws the shorter arrows."""
    return float(np.percentile(np.linalg.norm(pull, axis=1), 90)) if len(pull) else 0.0


def field_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    field: np.ndarray | None,
    real: np.ndarray | None,
    fake: np.ndarray | None,
    pull: np.ndarray | None,
    probability: bool,
    language: str = "en",
    manifold: np.ndarray | None = None,
    title: str | None = None,
    height: int = 430,
    kept: np.ndarray | None = None,
    modes: np.ndarray | None = None,
    stretch: bool = False,
    pull_norm: float | None = None,
) -> go.Figure:
    """The data view's layers, each optional: D's decision heat-map over the whole plotted
    region, real points, G(z), G's gradient as arrows with heads, and the manifold (a grid in
    z mapped through G: (rows, cols, 2), drawn as a warped mesh). `kept` (a mask over the
    fakes): D's filter is on; kept fakes are drawn as usual, rejected ones as grey rings.
    `modes` (k, 2): the mixture's centres, numbered 1…k beside them, as captions and metrics
    name them ("G sits on mode 7"). `stretch`: the heat-map's colours span D's own range
    instead of 0-1 (a slow D that scores 0.49-0.52 everywhere is an even grey on 0-1; stretched,
    its palest spot (low D is white) shows which region it has begun to mark as fake).
    `pull_norm`: the gradient size an arrow 7 % of the plot wide stands for (arrow_norm)."""
    fig = new_figure(title or text("fig.field", language), height=height)
    fig.layout["margin"] = dict(l=30, r=8, t=36, b=24)
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    x_range = [float(xs[0]) - dx / 2, float(xs[-1]) + dx / 2]
    y_range = [float(ys[0]) - dy / 2, float(ys[-1]) + dy / 2]
    span = max(x_range[1] - x_range[0], y_range[1] - y_range[0])
    if field is not None:
        lo, hi = score_range(field, probability and not stretch)
        bar = text("fig.d_stretched", language) if stretch else "D(x)"
        fig.add(
            "heatmap",
            x=xs,
            y=ys,
            z=field,
            zmin=lo,
            zmax=hi,
            colorscale=SCORE_COLOURS,
            opacity=0.8,
            # the title beside the bar, not on it: above, the "1" at the bar's top end ran
            # into it
            colorbar=dict(title=dict(text=bar, side="right"), len=0.6, thickness=10, x=1.0),
            hovertemplate="D = %{z:" + (".3f" if stretch else ".2f") + "}<extra></extra>",
        )
    if manifold is not None:
        gap = np.full((manifold.shape[0], 1, 2), np.nan)
        along_rows = np.concatenate([manifold, gap], 1).reshape(-1, 2)
        gap_t = np.full((manifold.shape[1], 1, 2), np.nan)
        along_cols = np.concatenate([manifold.transpose(1, 0, 2), gap_t], 1).reshape(-1, 2)
        mesh = np.concatenate([along_rows, along_cols])
        fig.add(
            "scatter",
            mode="lines",
            x=mesh[:, 0],
            y=mesh[:, 1],
            name=text("fig.manifold", language),
            line=dict(color=MANIFOLD_COLOUR, width=1),
            hoverinfo="skip",
        )
    if real is not None:
        fig.data.append(real_cloud(real, language, 0.9))
    if modes is not None and len(modes):
        fig.data.append(_mode_numbers(modes, span))
    arrows_from = fake  # G's gradient is drawn on the first fakes, kept by D's filter or not
    if fake is not None and kept is not None:
        rejected = fake[~kept]
        fig.data.append(
            scatter(
                rejected[:, 0],
                rejected[:, 1],
                text("fig.rejected", language),
                marker=dict(size=6, color="rgba(0,0,0,0)", line=dict(width=1, color="#8a8a8a")),
                hoverinfo="skip",
                cliponaxis=True,
            )
        )
        fake = fake[kept]
    if fake is not None:
        fig.data.append(
            scatter(
                fake[:, 0],
                fake[:, 1],
                "G(z)" if kept is None else text("fig.kept", language),
                marker=dict(size=5, color=FAKE_COLOUR, line=dict(width=0.5, color="#5A3E00")),
                hoverinfo="skip",
                cliponaxis=True,
            )
        )
    if pull is not None and arrows_from is not None and len(pull):
        if pull_norm is None:
            pull_norm = arrow_norm(pull)
        scale = 0.07 * span / (pull_norm + 1e-12)
        base = arrows_from[: len(pull)]
        shaft = arrow_paths(base, base + pull * scale, head=0.025 * span)
        fig.add(
            "scatter",
            mode="lines",
            name=text("fig.gradient", language),
            hoverinfo="skip",
            x=shaft[:, 0],
            y=shaft[:, 1],
            line=dict(color=GRADIENT_COLOUR, width=1.2),
            cliponaxis=True,
        )
    legend_below(fig, -0.06)
    fig.layout["legend"].update(font=dict(size=12), x=0, xanchor="left")
    fig.axis("xaxis", range=x_range, constrain="domain", showgrid=False)
    fig.axis("yaxis", range=y_range, scaleanchor="x", constrain="domain", showgrid=False)
    return fig.figure()


def _mode_numbers(centres: np.ndarray, span: float) -> dict:
    """Each centre's number, set outward from the middle of the mixture so the cluster stays
    visible (up from a centre in the middle)."""
    away = centres - centres.mean(axis=0)
    length = np.linalg.norm(away, axis=1, keepdims=True)
    away = np.where(length > 1e-9, away / np.maximum(length, 1e-9), [0.0, 1.0])
    at = centres + away * 0.07 * span
    return dict(
        type="scatter",
        x=at[:, 0],
        y=at[:, 1],
        name="modes",
        mode="text",
        text=[str(i + 1) for i in range(len(centres))],
        textfont=dict(size=12, color="#222222", weight="bold", shadow="1px 1px 2px white"),
        hoverinfo="skip",
        showlegend=False,
        cliponaxis=True,
    )
