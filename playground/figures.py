"""Plotly figures for every view. Inputs are records, histories and NumPy arrays; figures are
kept small (≤ 512 points, log-spaced curves) because each one travels to the browser.

Traces and layouts are written as plain Plotly JSON dicts and wrapped without validation:
graph_objects' validation cost ~15 ms a figure here, most of a click's budget."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.records import DStepRecord, GStepRecord
from playground.text import text

# One palette for every view (Okabe-Ito, colour-blind safe): real and fake are two categorical
# colours; D's score is a grey ramp, so neither category colour can be read as a score.
REAL_COLOUR = "#0072B2"
FAKE_COLOUR = "#E69F00"
SCORE_COLOURS = [[0.0, "#FFFFFF"], [1.0, "#3A3A3A"]]  # D(x) = low → white, high → dark grey
GRADIENT_COLOUR = "#D55E00"
MANIFOLD_COLOUR = "#CC79A7"
DATA_LAYERS = ("real", "fake", "heatmap", "gradient", "manifold", "drs")
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


def _figure(title: str, **layout: object) -> _Fig:
    return _Fig(title, **layout)


def message_figure(text: str, height: int = 260) -> go.Figure:
    """An empty plot that says what to do to fill it."""
    fig = _figure("", height=height)
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


def _label(text: str, **where: object) -> dict:
    """An annotation readable on any background: 11 px, dark on white (every caption a figure
    puts over a plot or an image uses this)."""
    return {
        "text": text,
        "showarrow": False,
        "font": dict(size=11, color="#111111"),
        "bgcolor": "#FFFFFF",
        **where,
    }


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


# ---------------------------------------------------------------- the D-step batch, as a batch
BATCH_STAGES = ("noise", "generate", "concat", "score", "loss", "full")
MAX_BATCH_ROWS = 256  # point rows drawn (evenly thinned within each half beyond this)
IMAGE_ROWS_PER_HALF = 8
_BATCH_HOVER = (
    "row %{customdata[0]:.0f} · y = %{customdata[1]:.0f}<br>x = (%{customdata[4]:.3f}, "
    "%{customdata[5]:.3f})<br>D(x) = %{customdata[2]:.3f} · loss term = %{customdata[3]:.3f}"
    "<extra></extra>"
)


def _batch_rows(batch: int, images: bool) -> np.ndarray:
    """Which rows of x = [fake; real] are drawn: all of them for points (thinned evenly within
    each half past MAX_BATCH_ROWS), the first few of each half for images."""
    per_half = min(batch, IMAGE_ROWS_PER_HALF if images else MAX_BATCH_ROWS // 2)
    half = np.unique(np.linspace(0, batch - 1, per_half).round().astype(int))
    if images:
        half = np.arange(per_half)
    return np.r_[half, batch + half]


def batch_figure(
    record: DStepRecord,
    probability: bool,
    language: str = "en",
    stage: str = "full",
    height: int = 430,
) -> go.Figure:
    """x = [fake; real] drawn as the stacked batch it is: one row per sample, the fake half on
    top and the real half below, with columns x (the sample: two cells for a point, a
    thumbnail for an image), y (0/1), D(x) as a bar and each row's loss term as a bar. In slow
    motion (`stage`) only the columns that exist by that sub-step are filled."""
    level = BATCH_STAGES.index(stage)
    images = record.x.dim() > 2
    b = record.batch_size
    rows = _batch_rows(b, images)
    n = len(rows)
    pos = np.arange(n, dtype=float)  # drawing position, top to bottom
    y_lab = record.y.numpy()[rows]
    scores, terms = record.scores.numpy()[rows], record.loss_terms.numpy()[rows]
    fake_rows = int((y_lab == 0).sum())
    conditional = record.labels is not None
    title = text(
        "fig.batch_stack" if n == 2 * b else "fig.batch_stack_some",
        language,
        rows=2 * b,
        shown=n,
        half=fake_rows,
    )
    fig = _figure(title, height=height, showlegend=False, bargap=0.15 if images else 0.0)
    fig.layout["margin"] = dict(l=8, r=8, t=70, b=8)
    fig.layout["title"].update(y=0.985, yanchor="top", x=0.01, xanchor="left")
    # columns: (axis suffix, domain, header)
    x_width = 0.1 if images else 0.24  # a thumbnail column about as wide as a row is high
    columns = [("", [0.0, x_width], "x"), ("2", [x_width + 0.02, x_width + 0.1], "y")]
    left = x_width + 0.13
    if conditional:
        columns.append(("5", [left, left + 0.08], text("fig.class_short", language)))
        left += 0.1
    d_width = (0.95 - left) * 0.42
    columns += [
        ("3", [left, left + d_width], "D(x)"),
        ("4", [left + d_width + 0.1, 0.95], text("fig.loss_term", language)),
    ]
    annotations = []
    for suffix, domain, header in columns:
        fig.axis(
            f"xaxis{suffix}",
            domain=domain,
            anchor=f"y{suffix}",
            showticklabels=suffix in ("3", "4"),
            side="top",
            tickfont=dict(size=10),
            zeroline=False,
            fixedrange=True,
        )
        fig.axis(
            f"yaxis{suffix}",
            range=[n - 0.5, -0.5],
            anchor=f"x{suffix}",
            visible=False,
            fixedrange=True,
        )
        annotations.append(
            dict(
                text=f"<b>{header}</b>",
                x=(domain[0] + domain[1]) / 2,
                y=1.0,
                yshift=24,
                xref="paper",
                yref="paper",
                showarrow=False,
                font=dict(size=12),
            )
        )
    # the boundary between the halves, and each half named
    fig.layout["shapes"] = [
        dict(
            type="line",
            xref="paper",
            x0=0,
            x1=1,
            yref="y",
            y0=fake_rows - 0.5,
            y1=fake_rows - 0.5,
            line=dict(color="#111", width=2),
        )
    ]
    custom_x = record.x.numpy()[rows].reshape(n, -1)[:, :2] if not images else np.zeros((n, 2))
    custom = np.column_stack([rows, y_lab, scores, terms, custom_x])
    if level == 0:  # only the noise exists: the z of the fake half
        z = record.z.numpy()[rows[:fake_rows]]
        fig.add(
            "heatmap",
            z=z,
            y=pos[:fake_rows],
            colorscale="Greys",
            showscale=False,
            xaxis="x",
            yaxis="y",
            hovertemplate="z[%{x}] = %{z:.2f}<extra></extra>",
        )
        columns[0] = ("", columns[0][1], "z")
        annotations[0]["text"] = f"<b>z ({z.shape[1]})</b>"
    else:
        shown = n if level >= 2 else fake_rows
        _batch_samples(fig, record, rows[:shown], pos[:shown], images, custom[:shown])
    if level >= 2:
        colours = [[0, FAKE_COLOUR], [0.5, FAKE_COLOUR], [0.5, REAL_COLOUR], [1, REAL_COLOUR]]
        fig.add(
            "heatmap",
            z=y_lab[:, None].astype(float),
            y=pos,
            x=[0],
            zmin=0,
            zmax=1,
            colorscale=colours,
            showscale=False,
            xaxis="x2",
            yaxis="y2",
            customdata=custom[:, None, :],
            hovertemplate=_BATCH_HOVER,
        )
        fig.axis("xaxis2", range=[-0.5, 0.5], showgrid=False)
        big = n <= 40
        for label, first, last in ((0, 0, fake_rows - 1), (1, fake_rows, n - 1)):
            if big:
                spots = range(first, last + 1)
            else:
                spots = [(first + last) / 2]
            for spot in spots:
                annotations.append(
                    dict(
                        text=f"<b>{label}</b>",
                        x=0,
                        y=spot,
                        xref="x2",
                        yref="y2",
                        showarrow=False,
                        font=dict(size=12 if big else 16, color="#FFFFFF"),
                    )
                )
            name = text("fig.fake_half" if label == 0 else "fig.real_half", language)
            annotations.append(
                _label(
                    name,
                    x=0.02,
                    y=(first + last) / 2,
                    xref="paper",
                    yref="y",
                    xanchor="left",
                    bgcolor="rgba(255,255,255,0.85)",
                    visible=not images,
                )
            )
        if conditional:
            classes = record.labels.numpy()[rows]
            fig.add(
                "heatmap",
                z=np.zeros((n, 1)),
                y=pos,
                x=[0],
                colorscale=[[0, "#F2F2F2"], [1, "#F2F2F2"]],
                showscale=False,
                xaxis="x5",
                yaxis="y5",
                hoverinfo="skip",
            )
            fig.axis("xaxis5", range=[-0.5, 0.5], showgrid=False)
            annotations += [
                dict(
                    text=str(int(c)),
                    x=0,
                    y=i,
                    xref="x5",
                    yref="y5",
                    showarrow=False,
                    font=dict(size=12, color="#111"),
                )
                for i, c in enumerate(classes)
            ]
    lo, hi = _score_range(record.scores.numpy(), probability)
    row_px = (height - 78) / n  # the plot area's height shared by the rows
    bars = (("3", scores, 3, lo, hi, "D(x)"), ("4", terms, 4, None, None, "loss term"))
    for suffix, values, min_level, a, z, name in bars:
        if level < min_level:
            continue
        # each half's bars as one path of thick horizontal strokes (one SVG element, not one
        # per row: a frame of 256 bar elements cost the page ~30 ms to redraw)
        for label, colour in ((0, FAKE_COLOUR), (1, REAL_COLOUR)):
            rows = np.flatnonzero(y_lab == label)
            gap = np.full(len(rows), np.nan)
            fig.add(
                "scatter",
                mode="lines",
                name=name,
                x=np.stack([np.zeros(len(rows)), values[rows], gap], 1).ravel(),
                y=np.stack([pos[rows], pos[rows], gap], 1).ravel(),
                line=dict(color=colour, width=max(1.0, row_px * 0.85)),
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                hoverinfo="skip",
            )
        if n <= 40:
            fig.add(
                "scatter",
                mode="text",
                x=values,
                y=pos,
                text=[f"{v:.2f}" for v in values],
                textposition="middle right",
                textfont=dict(size=11, color="#111"),
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                hoverinfo="skip",
                cliponaxis=False,
            )
        if suffix == "3" and a is not None:
            fig.axis("xaxis3", range=[a, z], nticks=3)
        if suffix == "4":
            top = float(values.max()) * (1.35 if n <= 40 else 1.05) + 1e-6
            fig.axis("xaxis4", nticks=4, range=[min(0.0, float(values.min())), top])
    if probability and level >= 3:
        fig.layout["shapes"].append(
            dict(
                type="line",
                xref="x3",
                yref="paper",
                x0=0.5,
                x1=0.5,
                y0=0,
                y1=1,
                line=dict(color="#888", width=1, dash="dot"),
            )
        )
    fig.layout["annotations"] = annotations
    return fig.figure()


def _batch_samples(
    fig: _Fig,
    record: DStepRecord,
    rows: np.ndarray,
    pos: np.ndarray,
    images: bool,
    custom: np.ndarray,
) -> None:
    """The x column: each point as two grey cells (x₁, x₂), or each image as a thumbnail."""
    x = record.x.numpy()[rows]
    if not images:
        span = float(np.abs(record.x.numpy()).max()) or 1.0
        fig.add(
            "heatmap",
            z=x[:, :2],
            y=pos,
            x=[0, 1],
            zmin=-span,
            zmax=span,
            colorscale=[[0, "#F7F7F7"], [1, "#4D4D4D"]],
            showscale=False,
            xaxis="x",
            yaxis="y",
            customdata=np.repeat(custom[:, None, :], 2, 1),
            hovertemplate=_BATCH_HOVER,
        )
        fig.axis("xaxis", range=[-0.5, 1.5], showgrid=False)
        return
    side = x.shape[-1]
    cell = side + 2  # one pixel of white above and below each thumbnail
    canvas = np.ones((len(rows) * cell, side), dtype=np.float32)
    for i, image in enumerate(((x[:, 0] + 1) / 2).clip(0, 1)):
        canvas[i * cell + 1 : i * cell + 1 + side] = 1 - image
    fig.add(
        "heatmap",
        z=canvas,
        x0=-0.5,
        dx=1 / side,
        y0=pos[0] - 0.5 + 0.5 / cell,
        dy=1 / cell,
        colorscale="Greys",
        reversescale=True,
        zmin=0,
        zmax=1,
        showscale=False,
        xaxis="x",
        yaxis="y",
        hoverinfo="skip",
    )
    fig.axis("xaxis", range=[-0.5, 0.5], showgrid=False, scaleanchor=None)


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
    cell_h, cell_w = side + 2 * pad + 2, side + pad
    canvas = np.ones((rows * cell_h, columns * cell_w), dtype=np.float32)
    annotations = []
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = r * cell_h, c * cell_w
        canvas[top : top + side, left : left + side] = 1 - images[i, 0]
        if captions[i]:
            where = dict(x=left + side / 2, y=top + side + pad, xref="x", yref="y")
            annotations.append(_label(captions[i], **where))
    for r, row_label in enumerate(row_labels or ()):
        where = dict(x=-0.5, y=r * cell_h + side / 2, xref="x", yref="y", xanchor="right")
        annotations.append(_label(row_label, **where))
    height = height or min(140 + 70 * rows, 620)
    fig = _figure(title, height=height, annotations=annotations)
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
    lo, hi = _score_range(scores, probability)
    fig = _figure(text("fig.g_points", language))
    fig.data.append(_real_cloud(real, language, 0.25))
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
    _legend_below(fig, -0.2)
    return fig.figure()


# ---------------------------------------------------------------- view 4: losses
def loss_figure(history: dict[str, list[float]], language: str = "en") -> go.Figure:
    """loss_D and loss_G (top) and gradient norms (bottom), log-spaced over iterations."""
    fig = _figure(text("fig.loss", language), height=420)
    fig.axis("yaxis", domain=[0.55, 1], title=dict(text=text("fig.loss_axis", language)))
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


def compare_loss_figure(
    histories: dict[str, dict[str, list[float]]], language: str = "en"
) -> go.Figure:
    """loss_D and loss_G of two runs on one chart (A solid, B dashed), so where they part is
    where the one setting they do not share starts to matter."""
    fig = _figure(text("fig.compare_loss", language), height=340)
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
    _legend_below(fig, -0.2)
    return fig.figure()


# ---------------------------------------------------------------- view 5: data and samples
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
) -> go.Figure:
    """The data view's layers, each optional: D's decision heat-map over the whole plotted
    region, real points, G(z), G's gradient as arrows with heads, and the manifold (a grid in
    z mapped through G: (rows, cols, 2), drawn as a warped mesh). `kept` (a mask over the
    fakes): D's filter is on; kept fakes are drawn as usual, rejected ones as grey rings."""
    fig = _figure(title or text("fig.field", language), height=height)
    fig.layout["margin"] = dict(l=30, r=8, t=36, b=24)
    dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    x_range = [float(xs[0]) - dx / 2, float(xs[-1]) + dx / 2]
    y_range = [float(ys[0]) - dy / 2, float(ys[-1]) + dy / 2]
    if field is not None:
        lo, hi = _score_range(field, probability)
        fig.add(
            "heatmap",
            x=xs,
            y=ys,
            z=field,
            zmin=lo,
            zmax=hi,
            colorscale=SCORE_COLOURS,
            opacity=0.8,
            colorbar=dict(title=dict(text="D(x)"), len=0.6, thickness=10, x=1.0),
            hovertemplate="D = %{z:.2f}<extra></extra>",
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
        fig.data.append(_real_cloud(real, language, 0.9))
    if fake is not None and kept is not None:
        rejected = fake[~kept]
        fig.data.append(
            _scatter(
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
            _scatter(
                fake[:, 0],
                fake[:, 1],
                "G(z)" if kept is None else text("fig.kept", language),
                marker=dict(size=5, color=FAKE_COLOUR, line=dict(width=0.5, color="#5A3E00")),
                hoverinfo="skip",
                cliponaxis=True,
            )
        )
    if pull is not None and fake is not None and len(pull):
        span = max(x_range[1] - x_range[0], y_range[1] - y_range[0])
        norms = np.linalg.norm(pull, axis=1)
        scale = 0.07 * span / (np.percentile(norms, 90) + 1e-12)
        base = fake[: len(pull)]
        tips = base + pull * scale
        gap = np.full(len(pull), np.nan)
        sizes = np.stack([np.zeros(len(pull)), np.full(len(pull), 9.0), gap], 1).ravel()
        fig.add(
            "scatter",
            mode="lines+markers",
            name=text("fig.gradient", language),
            hoverinfo="skip",
            x=np.stack([base[:, 0], tips[:, 0], gap], 1).ravel(),
            y=np.stack([base[:, 1], tips[:, 1], gap], 1).ravel(),
            line=dict(color=GRADIENT_COLOUR, width=1.2),
            cliponaxis=True,
            marker=dict(
                symbol="arrow",
                angleref="previous",
                size=np.nan_to_num(sizes),
                color=GRADIENT_COLOUR,
            ),
        )
    _legend_below(fig, -0.06)
    fig.layout["legend"].update(font=dict(size=11), x=0, xanchor="left")
    fig.axis("xaxis", range=x_range, constrain="domain", showgrid=False)
    fig.axis("yaxis", range=y_range, scaleanchor="x", constrain="domain", showgrid=False)
    return fig.figure()


def sparkline_figure(history: dict[str, list[float]], language: str = "en") -> go.Figure:
    """A small strip of loss_D, loss_G and mean D(real) / D(G(z)) over iterations, for the
    one-screen view (the full curves are in the losses tab)."""
    fig = _figure("", height=150, showlegend=True)
    fig.layout["margin"] = dict(l=34, r=6, t=6, b=20)
    fig.layout["legend"] = dict(orientation="h", y=1.02, yanchor="bottom", x=0, font=dict(size=11))
    small = dict(nticks=3, tickfont=dict(size=10), tickformat=".2~f")
    fig.axis("yaxis", domain=[0.0, 0.44], title=dict(text="D", font=dict(size=11)), **small)
    fig.axis(
        "yaxis2",
        domain=[0.56, 1.0],
        anchor="x",
        title=dict(text=text("fig.loss_axis", language), font=dict(size=11)),
        **small,
    )
    fig.axis("xaxis", tickfont=dict(size=10))
    idx = log_spaced(len(history["iteration"]), 150)
    its = np.asarray(history["iteration"])[idx]
    for key, name, colour, axis, dash in (
        ("loss_d", "loss_D", "#000000", "y2", "solid"),
        ("loss_g", "loss_G", GRADIENT_COLOUR, "y2", "solid"),
        ("d_real", text("fig.d_real", language), REAL_COLOUR, "y", "dot"),
        ("d_fake", "D(G(z))", FAKE_COLOUR, "y", "dot"),
    ):
        fig.add(
            "scatter",
            x=its,
            y=np.asarray(history[key])[idx],
            name=name,
            mode="lines",
            line=dict(color=colour, width=1.5, dash=dash),
            xaxis="x",
            yaxis=axis,
        )
    return fig.figure()


def enlarge(figure: go.Figure, factor: float) -> go.Figure:
    """The same figure with every font `factor` times larger (presenter view). Works on the
    plain JSON, like the builders above: graph_objects' setters validate, ~80 ms a figure."""
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
    fig = _figure(title or text("fig.interp", language))
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
    fig = _figure(title or text("fig.latent", language))
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
        name=text("fig.slider_z", language),
        marker=dict(size=16, symbol="star", color="#000000", line=dict(width=1, color="#FFF")),
    )
    _equal_axes(fig)
    return fig.figure()
