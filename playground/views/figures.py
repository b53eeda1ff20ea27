"""Plotly figures for every view. Inputs are records, histories and NumPy arrays; figures are
kept small (≤ 512 points, log-spaced curves) because each one travels to the browser.

Traces and layouts are written as plain Plotly JSON dicts and wrapped without validation:
graph_objects' validation cost most of a click's budget (docs/benchmarks.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.engine.records import DStepRecord, GStepRecord
from playground.text import text
from playground.views import palette

# the one palette (playground/views/palette.py)
REAL_COLOUR, FAKE_COLOUR, GRADIENT_COLOUR = palette.REAL, palette.FAKE, palette.GRADIENT
SCORE_COLOURS, MANIFOLD_COLOUR = palette.SCORE_RAMP, palette.MANIFOLD
DATA_LAYERS = ("real", "fake", "heatmap", "stretch", "gradient", "manifold", "drs")
MAX_POINTS = 512
MAX_THUMBS = 32
_AXIS = dict(gridcolor="#e5e5e5", zerolinecolor="#cccccc")
_LAYOUT = dict(
    margin=dict(l=40, r=10, t=36, b=30),
    height=360,
    font=dict(size=12),
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


def new_figure(title: str, **layout: object) -> _Fig:
    return _Fig(title, **layout)


def message_figure(text: str, height: int = 260) -> go.Figure:
    """An empty plot that says what to do to fill it."""
    fig = new_figure("", height=height)
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


def score_range(scores: np.ndarray, probability: bool) -> tuple[float, float]:
    if probability:
        return 0.0, 1.0
    return float(scores.min()), float(scores.max()) + 1e-6


def legend_below(fig: _Fig, y: float = -0.12) -> None:
    fig.layout["legend"] = dict(orientation="h", y=y)


def _label(text: str, **where: object) -> dict:
    """An annotation readable on any background: 12 px, dark on white (every caption a figure
    puts over a plot or an image uses this)."""
    return {
        "text": text,
        "showarrow": False,
        "font": dict(size=12, color="#111111"),
        "bgcolor": "#FFFFFF",
        **where,
    }


def _equal_axes(fig: _Fig) -> None:
    """One unit as long on x as on y. The plot area shrinks to fit ("domain"), not the other
    axis's range: in a full-width tab the range grew instead, and the ring's -1..1 data sat in
    an x axis spanning -4..4."""
    fig.axis("xaxis", constrain="domain")
    fig.axis("yaxis", scaleanchor="x", constrain="domain")


def scatter(x: np.ndarray, y: np.ndarray, name: str, **props: object) -> dict:
    return dict(type="scatter", x=x, y=y, mode="markers", name=name, **props)


def real_cloud(real: np.ndarray, language: str, opacity: float = 0.3) -> dict:
    return scatter(
        real[:, 0],
        real[:, 1],
        text("fig.real", language),
        marker=dict(size=4, color=REAL_COLOUR, opacity=opacity),
        hoverinfo="skip",
    )


def thumbnails_figure(
    images: np.ndarray,
    captions: Sequence[str],
    title: str,
    columns: int = 8,
    height: int | None = None,
    row_labels: Sequence[str] | None = None,
) -> go.Figure:
    """Grayscale images in [0, 1] (N, 1, H, W) tiled on a grid with a caption under each
    (empty captions are left out) and, optionally, a label at the start of each row."""
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    side = images.shape[-1]
    pad = max(1, side // 4)
    # room under each image for its caption, if any has one: without, the images get it
    cell_h = side + 2 * pad + 2 if any(captions) else side + pad
    cell_w = side + pad
    canvas = np.ones((rows * cell_h, columns * cell_w), dtype=np.float32)
    annotations = []
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = r * cell_h, c * cell_w
        canvas[top : top + side, left : left + side] = 1 - images[i, 0]
        if captions[i]:  # on a white strip: readable with or without the label's own box
            canvas[top + side : top + cell_h, left : left + cell_w] = 0
            where = dict(x=left + side / 2, y=top + side + pad, xref="x", yref="y")
            annotations.append(_label(captions[i], **where))
    for r, row_label in enumerate(row_labels or ()):
        where = dict(x=-0.5, y=r * cell_h + side / 2, xref="x", yref="y", xanchor="right")
        annotations.append(_label(row_label, **where))
    height = height or min(140 + 70 * rows, 620)
    fig = new_figure(title, height=height, annotations=annotations)
    if row_labels:
        fig.layout["margin"] = {**fig.layout["margin"], "l": 70}
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


# ---------------------------------------------------------------- view 2: D_on_G
def g_step_points_figure(
    record: GStepRecord, real: np.ndarray, probability: bool, language: str = "en"
) -> go.Figure:
    fake, scores = record.fake.numpy()[:MAX_POINTS], record.scores.numpy()[:MAX_POINTS]
    lo, hi = score_range(scores, probability)
    fig = new_figure(text("fig.g_points", language))
    fig.data.append(real_cloud(real, language, 0.25))
    marker = dict(
        size=7,
        symbol="x",
        color=scores,
        cmin=lo,
        cmax=hi,
        colorscale=SCORE_COLOURS,
        showscale=True,
        colorbar=dict(title=dict(text="D(G(z))"), len=0.8),
        line=dict(width=1.5, color=FAKE_COLOUR),  # fake's colour around the score's grey
    )
    fig.data.append(
        scatter(
            fake[:, 0],
            fake[:, 1],
            "G(z)",
            marker=marker,
            hovertemplate="D(G(z)) = %{marker.color:.3f}<extra></extra>",
        )
    )
    legend_below(fig)
    _equal_axes(fig)
    return fig.figure()


def g_step_images_figure(record: GStepRecord, probability: bool, language: str = "en") -> go.Figure:
    images = ((record.fake.numpy()[:MAX_THUMBS] + 1) / 2).clip(0, 1)
    labels = record.labels
    fmt = "{:.2f}" if probability else "{:.1f}"
    captions = []
    for i, s in enumerate(record.scores.numpy()[: len(images)]):
        tag = f"c{int(labels[i])} " if labels is not None else ""
        captions.append(f"{tag}{fmt.format(float(s))}")  # the title says it is D(G(z))
    return thumbnails_figure(images, captions, text("fig.g_images", language))


# ---------------------------------------------------------------- view 3: D scores
def scores_figure(
    record: DStepRecord | None,
    history: dict[str, list[float]],
    probability: bool,
    language: str = "en",
) -> go.Figure:
    """Left: D(real) vs D(fake) histogram of the last D step. Right: the means over time."""
    fig = new_figure(text("fig.scores", language), barmode="overlay")
    fig.axis("xaxis", domain=[0, 0.45], title=dict(text="D(x)"))
    fig.axis(  # few ticks: the panel is 110 px wide on a phone, and rotated ones hid the title
        "xaxis2",
        domain=[0.55, 1],
        anchor="y2",
        title=dict(text=text("fig.iteration", language)),
        nticks=3,
    )
    fig.axis("yaxis2", anchor="x2")
    if record is not None:
        scores = record.scores.numpy()
        b = record.batch_size
        bins = dict(start=0, end=1, size=0.04) if probability else None
        for part, name, colour in (
            (scores[b:], text("fig.d_real", language), REAL_COLOUR),
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
        ("d_real", text("fig.mean_d_real", language), REAL_COLOUR),
        ("d_fake", text("fig.mean_d_fake", language), FAKE_COLOUR),
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
    legend_below(fig, -0.2)
    return fig.figure()


# ---------------------------------------------------------------- view 4: losses
def loss_figure(history: dict[str, list[float]], language: str = "en") -> go.Figure:
    """loss_D and loss_G (top) and gradient norms (bottom), log-spaced over iterations."""
    fig = new_figure(text("fig.loss", language), height=420)
    fig.axis("yaxis", domain=[0.55, 1], title=dict(text=text("fig.loss_axis", language)))
    fig.axis("yaxis2", domain=[0, 0.45], anchor="x", title=dict(text="‖∇‖"))
    fig.axis("xaxis", title=dict(text=text("fig.iteration", language)))
    idx = log_spaced(len(history["iteration"]))
    its = np.asarray(history["iteration"])[idx]
    for key, name, colour, axis in (
        ("loss_d", "loss_D", palette.LOSS_D, "y"),
        ("loss_g", "loss_G", palette.LOSS_G, "y"),
        ("grad_d", "‖∇D‖", palette.LOSS_D, "y2"),
        ("grad_g", "‖∇G‖", palette.LOSS_G, "y2"),
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
    legend_below(fig, -0.15)
    return fig.figure()


def compare_loss_figure(
    histories: dict[str, dict[str, list[float]]], language: str = "en"
) -> go.Figure:
    """loss_D and loss_G of two runs on one chart (A solid, B dashed), so where they part is
    where the one setting they do not share starts to matter."""
    fig = new_figure(text("fig.compare_loss", language), height=340)
    fig.axis("xaxis", title=dict(text=text("fig.iteration", language)))
    fig.axis("yaxis", title=dict(text=text("fig.loss_axis", language)))
    for run, history in histories.items():
        idx = log_spaced(len(history["iteration"]))
        its = np.asarray(history["iteration"])[idx]
        for key, name, colour in (
            ("loss_d", "loss_D", REAL_COLOUR),
            ("loss_g", "loss_G", FAKE_COLOUR),
        ):
            fig.add(
                "scatter",
                x=its,
                y=np.asarray(history[key])[idx],
                name=f"{name} · {run}",
                line=dict(color=colour, dash="solid" if run == "A" else "dash"),
            )
    legend_below(fig, -0.2)
    return fig.figure()


# ---------------------------------------------------------------- view 5: data and samples


def enlarge(figure: go.Figure, factor: float) -> go.Figure:
    """The same figure with every font `factor` times larger (presenter view). Works on the
    plain JSON, like the builders above: graph_objects' setters validate, slowly."""
    spec = figure.to_plotly_json()
    layout = spec["layout"]

    def grow(owner: dict, key: str = "font", default: int = 12) -> None:
        font = owner.setdefault(key, {})
        font["size"] = round((font.get("size") or default) * factor)

    grow(layout)
    if isinstance(layout.get("title"), dict):
        grow(layout["title"], default=14)
    for note in layout.get("annotations") or ():
        grow(note)
    if isinstance(layout.get("legend"), dict):
        grow(layout["legend"])
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            grow(axis, "tickfont")
            if isinstance(axis.get("title"), dict):
                grow(axis["title"])
    for trace in spec["data"]:
        if isinstance(trace.get("textfont"), dict) and trace["textfont"].get("size"):
            grow(trace, "textfont")
    return go.Figure(spec, _validate=False)


def sample_grid_figure(
    images: np.ndarray, labels: np.ndarray | None, columns: int, language: str = "en"
) -> go.Figure:
    """Fixed-noise samples; for a cGAN one row per class, named once at the row's start."""
    blank = [""] * len(images)
    if labels is None:
        return thumbnails_figure(images, blank, text("fig.samples", language), columns, 430)
    row_labels = [
        text("fig.class", language, k=int(labels[r * columns]))
        for r in range(len(images) // columns)
    ]
    title = text("fig.samples_cgan", language)
    return thumbnails_figure(images, blank, title, columns, 430, row_labels)


# ---------------------------------------------------------------- view 6: latent space
def interpolation_points_figure(
    path: np.ndarray, real: np.ndarray, language: str = "en", title: str | None = None
) -> go.Figure:
    fig = new_figure(title or text("fig.interp", language))
    fig.data.append(real_cloud(real, language))
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


def interpolation_images_figure(
    images: np.ndarray, language: str = "en", title: str | None = None
) -> go.Figure:
    n = len(images)
    captions = ["A" if i == 0 else "B" if i == n - 1 else f"t={i / (n - 1):.2f}" for i in range(n)]
    return thumbnails_figure(images, captions, title or text("fig.interp", language), columns=n)


def latent_point_figure(
    point: np.ndarray,
    real: np.ndarray,
    fake: np.ndarray,
    language: str = "en",
    title: str | None = None,
) -> go.Figure:
    fig = new_figure(title or text("fig.latent", language))
    fig.data.append(real_cloud(real, language))
    fig.data.append(
        scatter(
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
        name=text("fig.slider_z", language),
        marker=dict(size=16, symbol="star", color="#000000", line=dict(width=1, color="#FFF")),
    )
    _equal_axes(fig)
    return fig.figure()
