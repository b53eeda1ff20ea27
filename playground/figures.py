"""Plotly figures for every view. Inputs are records, histories and NumPy arrays; figures are
kept small (≤ 512 points, log-spaced curves) because each one travels to the browser.

Traces and layouts are written as plain Plotly JSON dicts and wrapped without validation:
graph_objects' validation cost ~15 ms a figure here, most of a click's budget."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.lecture import text
from playground.records import DStepRecord, GStepRecord

FAKE_COLOUR = "#d62728"
REAL_COLOUR = "#1f77b4"
MAX_POINTS = 512
MAX_THUMBS = 32
_AXIS = dict(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
_LAYOUT = dict(
    margin=dict(l=40, r=10, t=40, b=35),
    height=360,
    plot_bgcolor="white",
    paper_bgcolor="white",
    xaxis=_AXIS,
    yaxis=_AXIS,
)


class _Fig:
    """A figure under construction: a list of trace dicts and a layout dict."""

    def __init__(self, title: str, **layout: object) -> None:
        self.data: list[dict] = []
        self.layout: dict = {**_LAYOUT, "title": dict(text=title, font=dict(size=14)), **layout}

    def add(self, kind: str, **trace: object) -> _Fig:
        self.data.append({"type": kind, **trace})
        return self

    def axis(self, name: str, **props: object) -> _Fig:
        self.layout[name] = {**_AXIS, **self.layout.get(name, {}), **props}
        return self

    def figure(self) -> go.Figure:
        return go.Figure({"data": self.data, "layout": self.layout}, _validate=False)


def _figure(title: str, **layout: object) -> _Fig:
    return _Fig(title, **layout)


def message_figure(text: str) -> go.Figure:
    """An empty plot that says what to do to fill it."""
    fig = _figure("", height=260)
    fig.layout["annotations"] = [
        dict(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    ]
    return fig.axis("xaxis", visible=False).axis("yaxis", visible=False).figure()


def log_spaced(n: int, k: int = 300) -> np.ndarray:
    """Indices 0..n-1 thinned to ≈ k, dense near the end and log-spaced back to the start, so a
    long run's curves stay light but recent steps stay sharp."""
    if n <= k:
        return np.arange(n)
    back = np.unique(np.round(np.geomspace(1, n, k)).astype(int))
    return np.unique(n - back)


def _score_range(scores: np.ndarray, probability: bool) -> tuple[float, float]:
    if probability:
        return 0.0, 1.0
    return float(scores.min()), float(scores.max()) + 1e-6


def _legend_below(fig: _Fig, y: float = -0.12) -> None:
    fig.layout["legend"] = dict(orientation="h", y=y)


def _equal_axes(fig: _Fig) -> None:
    fig.axis("yaxis", scaleanchor="x")


def _scatter(x: np.ndarray, y: np.ndarray, name: str, **props: object) -> dict:
    return dict(type="scatter", x=x, y=y, mode="markers", name=name, **props)


def _real_cloud(real: np.ndarray, language: str, opacity: float = 0.3) -> dict:
    return _scatter(
        real[:, 0],
        real[:, 1],
        text("fig.real", language),
        marker=dict(size=4, color=REAL_COLOUR, opacity=opacity),
        hoverinfo="skip",
    )


# ---------------------------------------------------------------- view 1: the D-step batch
_BATCH_HOVER = (
    "row %{customdata[0]:.0f}<br>y = %{customdata[1]:.0f}<br>D(x) = %{customdata[2]:.3f}"
    "<br>loss term = %{customdata[3]:.3f}<extra></extra>"
)


def batch_points_figure(record: DStepRecord, probability: bool, language: str = "en") -> go.Figure:
    """x = [fake; real] as a scatter: symbol = label, colour = D's score, hover = loss term."""
    x, y = record.x.numpy(), record.y.numpy()
    scores, terms = record.scores.numpy(), record.loss_terms.numpy()
    lo, hi = _score_range(scores, probability)
    fig = _figure(text("fig.batch", language, rows=len(x)))
    rows_by_label = (
        (0, text("fig.fake_row", language), "x"),
        (1, text("fig.real_row", language), "circle"),
    )
    for label, name, symbol in rows_by_label:
        rows = np.flatnonzero(y == label)[: MAX_POINTS // 2]
        marker = dict(
            symbol=symbol,
            size=7,
            color=scores[rows],
            cmin=lo,
            cmax=hi,
            colorscale="RdBu",
            showscale=label == 1,
            colorbar=dict(title=dict(text="D(x)"), len=0.8),
            line=dict(width=0.5, color="#333"),
        )
        custom = np.stack([rows, np.full(len(rows), label), scores[rows], terms[rows]], 1)
        fig.data.append(
            _scatter(
                x[rows, 0],
                x[rows, 1],
                name,
                marker=marker,
                customdata=custom,
                hovertemplate=_BATCH_HOVER,
            )
        )
    _legend_below(fig)
    _equal_axes(fig)
    return fig.figure()


def thumbnails_figure(
    images: np.ndarray, captions: Sequence[str], title: str, columns: int = 8
) -> go.Figure:
    """Grayscale images in [0, 1] (N, 1, H, W) tiled on a grid with a caption under each."""
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    side = images.shape[-1]
    pad = max(1, side // 4)
    cell_h, cell_w = side + 2 * pad + 2, side + pad
    canvas = np.ones((rows * cell_h, columns * cell_w), dtype=np.float32)
    annotations = []
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = r * cell_h, c * cell_w
        canvas[top : top + side, left : left + side] = 1 - images[i, 0]
        annotations.append(
            dict(
                x=left + side / 2,
                y=top + side + pad,
                text=captions[i],
                showarrow=False,
                font=dict(size=9),
                xref="x",
                yref="y",
            )
        )
    fig = _figure(title, height=min(140 + 70 * rows, 620), annotations=annotations)
    fig.add(
        "heatmap",
        z=canvas,
        colorscale="Greys",
        reversescale=True,
        showscale=False,
        zmin=0,
        zmax=1,
        hoverinfo="skip",
    )
    fig.axis("xaxis", visible=False)
    fig.axis("yaxis", visible=False, autorange="reversed", scaleanchor="x")
    return fig.figure()


def batch_images_figure(record: DStepRecord, probability: bool, language: str = "en") -> go.Figure:
    b = record.batch_size
    half = min(MAX_THUMBS // 2, b)
    rows = np.r_[np.arange(half), b + np.arange(half)]
    images = ((record.x.numpy()[rows] + 1) / 2).clip(0, 1)
    fmt = "{:.2f}" if probability else "{:.1f}"
    captions = [f"y={int(record.y[i])} D={fmt.format(float(record.scores[i]))}" for i in rows]
    title = text("fig.batch_images", language, half=half)
    return thumbnails_figure(images, captions, title)


# ---------------------------------------------------------------- view 2: D_on_G
def g_step_points_figure(
    record: GStepRecord, real: np.ndarray, probability: bool, language: str = "en"
) -> go.Figure:
    fake, scores = record.fake.numpy()[:MAX_POINTS], record.scores.numpy()[:MAX_POINTS]
    lo, hi = _score_range(scores, probability)
    fig = _figure(text("fig.g_points", language))
    fig.data.append(_real_cloud(real, language, 0.25))
    marker = dict(
        size=7,
        symbol="x",
        color=scores,
        cmin=lo,
        cmax=hi,
        colorscale="RdBu",
        showscale=True,
        colorbar=dict(title=dict(text="D(G(z))"), len=0.8),
    )
    fig.data.append(
        _scatter(
            fake[:, 0],
            fake[:, 1],
            "G(z)",
            marker=marker,
            hovertemplate="D(G(z)) = %{marker.color:.3f}<extra></extra>",
        )
    )
    _legend_below(fig)
    _equal_axes(fig)
    return fig.figure()


def g_step_images_figure(record: GStepRecord, probability: bool, language: str = "en") -> go.Figure:
    images = ((record.fake.numpy()[:MAX_THUMBS] + 1) / 2).clip(0, 1)
    labels = record.labels
    fmt = "{:.2f}" if probability else "{:.1f}"
    captions = []
    for i, s in enumerate(record.scores.numpy()[: len(images)]):
        tag = f"c{int(labels[i])} " if labels is not None else ""
        captions.append(f"{tag}D={fmt.format(float(s))}")
    return thumbnails_figure(images, captions, text("fig.g_images", language))


# ---------------------------------------------------------------- view 3: D scores
def scores_figure(
    record: DStepRecord | None,
    history: dict[str, list[float]],
    probability: bool,
    language: str = "en",
) -> go.Figure:
    """Left: D(real) vs D(fake) histogram of the last D step. Right: the means over time."""
    fig = _figure(text("fig.scores", language), barmode="overlay")
    fig.axis("xaxis", domain=[0, 0.45], title=dict(text="D(x)"))
    fig.axis(
        "xaxis2", domain=[0.55, 1], anchor="y2", title=dict(text=text("fig.iteration", language))
    )
    fig.axis("yaxis2", anchor="x2")
    if record is not None:
        scores = record.scores.numpy()
        b = record.batch_size
        bins = dict(start=0, end=1, size=0.04) if probability else None
        for part, name, colour in (
            (scores[b:], "D(real)", REAL_COLOUR),
            (scores[:b], "D(G(z))", FAKE_COLOUR),
        ):
            fig.add(
                "histogram",
                x=part,
                name=name,
                marker=dict(color=colour),
                opacity=0.6,
                xbins=bins,
                xaxis="x",
                yaxis="y",
            )
    idx = log_spaced(len(history["iteration"]))
    its = np.asarray(history["iteration"])[idx]
    for key, name, colour in (
        ("d_real", "mean D(x)", REAL_COLOUR),
        ("d_fake", "mean D(G(z))", FAKE_COLOUR),
    ):
        fig.add(
            "scatter",
            x=its,
            y=np.asarray(history[key])[idx],
            name=name,
            line=dict(color=colour),
            xaxis="x2",
            yaxis="y2",
        )
    _legend_below(fig, -0.2)
    return fig.figure()


# ---------------------------------------------------------------- view 4: losses
def loss_figure(history: dict[str, list[float]], language: str = "en") -> go.Figure:
    """loss_D and loss_G (top) and gradient norms (bottom), log-spaced over iterations."""
    fig = _figure(text("fig.loss", language), height=420)
    fig.axis("yaxis", domain=[0.55, 1], title=dict(text="loss"))
    fig.axis("yaxis2", domain=[0, 0.45], anchor="x", title=dict(text="‖∇‖"))
    fig.axis("xaxis", title=dict(text=text("fig.iteration", language)))
    idx = log_spaced(len(history["iteration"]))
    its = np.asarray(history["iteration"])[idx]
    for key, name, colour, axis in (
        ("loss_d", "loss_D", REAL_COLOUR, "y"),
        ("loss_g", "loss_G", FAKE_COLOUR, "y"),
        ("grad_d", "‖∇D‖", REAL_COLOUR, "y2"),
        ("grad_g", "‖∇G‖", FAKE_COLOUR, "y2"),
    ):
        line = dict(color=colour, dash="dot" if axis == "y2" else "solid")
        fig.add(
            "scatter",
            x=its,
            y=np.asarray(history[key])[idx],
            name=name,
            line=line,
            xaxis="x",
            yaxis=axis,
        )
    _legend_below(fig, -0.15)
    return fig.figure()


# ---------------------------------------------------------------- view 5: data and samples
def field_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    field: np.ndarray,
    real: np.ndarray,
    fake: np.ndarray,
    pull: np.ndarray | None,
    probability: bool,
    language: str = "en",
) -> go.Figure:
    """Real vs generated points over D's decision heat-map, with G's gradient arrows."""
    fig = _figure(text("fig.field", language), height=420)
    lo, hi = _score_range(field, probability)
    fig.add(
        "heatmap",
        x=xs,
        y=ys,
        z=field,
        zmin=lo,
        zmax=hi,
        colorscale="RdBu",
        opacity=0.55,
        colorbar=dict(title=dict(text="D(x)"), len=0.8),
        hovertemplate="D = %{z:.2f}<extra></extra>",
    )
    fig.data.append(_real_cloud(real, language, 1.0))
    fig.data.append(
        _scatter(fake[:, 0], fake[:, 1], "G(z)", marker=dict(size=4, color=FAKE_COLOUR))
    )
    if pull is not None and len(pull):
        span = max(xs[-1] - xs[0], ys[-1] - ys[0])
        norms = np.linalg.norm(pull, axis=1)
        scale = 0.06 * span / (np.percentile(norms, 90) + 1e-12)
        base = fake[: len(pull)]
        tips = base + pull * scale
        gap = np.full(len(pull), np.nan)
        fig.add(
            "scatter",
            mode="lines",
            name=text("fig.gradient", language),
            hoverinfo="skip",
            x=np.stack([base[:, 0], tips[:, 0], gap], 1).ravel(),
            y=np.stack([base[:, 1], tips[:, 1], gap], 1).ravel(),
            line=dict(color="#444", width=1),
        )
    _legend_below(fig, -0.1)
    fig.axis("xaxis", range=[float(xs[0]), float(xs[-1])])
    fig.axis("yaxis", range=[float(ys[0]), float(ys[-1])], scaleanchor="x")
    return fig.figure()


def sample_grid_figure(
    images: np.ndarray, labels: np.ndarray | None, columns: int, language: str = "en"
) -> go.Figure:
    if labels is None:
        title = text("fig.samples", language)
        return thumbnails_figure(images, [""] * len(images), title, columns)
    captions = [text("fig.class", language, k=int(c)) for c in labels]
    return thumbnails_figure(images, captions, text("fig.samples_cgan", language), columns)


# ---------------------------------------------------------------- view 6: latent space
def interpolation_points_figure(
    path: np.ndarray, real: np.ndarray, language: str = "en"
) -> go.Figure:
    fig = _figure(text("fig.interp", language))
    fig.data.append(_real_cloud(real, language))
    fig.add(
        "scatter",
        x=path[:, 0],
        y=path[:, 1],
        mode="lines+markers",
        name="G(z_t)",
        marker=dict(size=8, color=np.linspace(0, 1, len(path)), colorscale="Viridis"),
        line=dict(color="#666"),
    )
    fig.layout["annotations"] = [
        dict(x=float(path[i, 0]), y=float(path[i, 1]), text=t, showarrow=False, yshift=12)
        for i, t in ((0, "A"), (-1, "B"))
    ]
    _equal_axes(fig)
    return fig.figure()


def interpolation_images_figure(images: np.ndarray, language: str = "en") -> go.Figure:
    n = len(images)
    captions = ["A" if i == 0 else "B" if i == n - 1 else f"t={i / (n - 1):.2f}" for i in range(n)]
    return thumbnails_figure(images, captions, text("fig.interp", language), columns=n)


def latent_point_figure(
    point: np.ndarray, real: np.ndarray, fake: np.ndarray, language: str = "en"
) -> go.Figure:
    fig = _figure(text("fig.latent", language))
    fig.data.append(_real_cloud(real, language))
    fig.data.append(
        _scatter(
            fake[:, 0],
            fake[:, 1],
            text("fig.random_z", language),
            hoverinfo="skip",
            marker=dict(size=4, color=FAKE_COLOUR, opacity=0.3),
        )
    )
    fig.add(
        "scatter",
        x=[float(point[0])],
        y=[float(point[1])],
        mode="markers",
        name="G(slider z)",
        marker=dict(size=16, symbol="star", color="#ff7f0e", line=dict(width=1, color="#000")),
    )
    _equal_axes(fig)
    return fig.figure()
