"""The main screen's stacked batch and loss sparkline as SVG strings.

A Plotly chart costs the page a fixed price a repaint whatever it holds (its per-plot and
per-axis work), and the main screen repaints up to 10 times a second while playing. These two
views are plain markup the page swaps in, far cheaper, like the model graph
(docs/benchmarks.md). Both scale with
their column (viewBox), and `scale` enlarges every font for presenter view."""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
from PIL import Image

from playground.engine.records import DStepRecord
from playground.text import text
from playground.views import palette
from playground.views.figures import FAKE_COLOUR, REAL_COLOUR, log_spaced

BATCH_STAGES = ("noise", "generate", "concat", "score", "loss", "full")
MAX_BATCH_ROWS = 256  # point rows drawn (evenly thinned within each half beyond this)
IMAGE_ROWS_PER_HALF = 8
BATCH_WIDTH, BATCH_HEIGHT = 360, 430  # drawn 1:1 in the batch column at 1280 px
SPARK_WIDTH, SPARK_HEIGHT = 390, 150
SPARK_TEXT = 12  # the sparkline is drawn ~1:1 in its 1280x720 column: 12 px names and numbers
CELL_LEVELS = 12  # grey levels of the x and z cells (one path per level keeps the markup small)
VALUE_ROWS = 40  # rows drawn with their numbers written next to the bars up to this many
# the batch column draws its 360 units in ~349 px at 1280x720: 13 units keep every number and
# label >= 12 px on a projector
BATCH_TEXT = 13
TEXT = "#111111"


def batch_rows(batch: int, images: bool) -> np.ndarray:
    """Which rows of x = [fake; real] are drawn: all of them for points (thinned evenly within
    each half past MAX_BATCH_ROWS), the first few of each half for images."""
    if images:
        half = np.arange(min(batch, IMAGE_ROWS_PER_HALF))
    else:
        per_half = min(batch, MAX_BATCH_ROWS // 2)
        half = np.unique(np.linspace(0, batch - 1, per_half).round().astype(int))
    return np.r_[half, batch + half]


def message_svg(message: str, height: int = BATCH_HEIGHT, scale: float = 1.0) -> str:
    """An empty view that says what to do to fill it."""
    return (
        f"{_open('message', BATCH_WIDTH, height)}"
        f'<text x="{BATCH_WIDTH / 2}" y="{height / 2}" text-anchor="middle" '
        f'font-size="{13 * scale:.0f}" fill="{TEXT}">{escape(message)}</text></svg>'
    )


def batch_svg(
    record: DStepRecord,
    probability: bool,
    language: str = "en",
    stage: str = "full",
    scale: float = 1.0,
    labels_are: str = "class",
) -> str:
    """x = [fake; real] drawn as the stacked batch it is: one row per sample, the fake half on
    top and the real half below, with columns x (two grey cells for a point, a thumbnail for an
    image), y (0/1), the class for a cGAN, D(x) as a bar and each row's loss term as a bar. In
    slow motion (`stage`) only the columns that exist by that sub-step are filled. Hovering a
    row shows its numbers (and the page marks a point row in the data view). `labels_are`
    names the label column: "class", or "cluster" for a self-conditioned run."""
    level = BATCH_STAGES.index(stage)
    images = record.x.dim() > 2
    b = record.batch_size
    rows = batch_rows(b, images)
    n = len(rows)
    y_lab = record.y.numpy()[rows]
    # a diverging run's numbers can be inf or NaN: drawn as 0 (the status line says why)
    scores = np.nan_to_num(record.scores.numpy()[rows], nan=0.0, posinf=0.0, neginf=0.0)
    terms = np.nan_to_num(record.loss_terms.numpy()[rows], nan=0.0, posinf=0.0, neginf=0.0)
    fake_rows = int((y_lab == 0).sum())
    conditional = record.labels is not None
    title = text(
        "fig.batch_stack" if n == 2 * b else "fig.batch_stack_some",
        language,
        rows=2 * b,
        shown=n,
        half=fake_rows,
    )
    header_y = 40 * scale
    top = header_y + 22 * scale
    row_h = (BATCH_HEIGHT - 8 - top) / n
    row_y = top + np.arange(n) * row_h
    # columns, left to right: name -> (left, right) in viewBox units
    width = BATCH_WIDTH - 16
    x_width = 0.1 if images else 0.24
    spans = {"x": (0.0, x_width), "y": (x_width + 0.02, x_width + 0.1)}
    left = x_width + 0.13
    if conditional:
        spans["class"] = (left, left + 0.08)
        left += 0.1
    d_width = (0.95 - left) * 0.42
    spans["d"] = (left, left + d_width)
    spans["loss"] = (left + d_width + 0.1, 0.95)
    cols = {name: (8 + a * width, 8 + c * width) for name, (a, c) in spans.items()}
    headers = {
        "x": "x",
        "y": "y",
        "class": text(f"fig.{labels_are}_short", language),
        "d": "D(x)",
        "loss": text("fig.loss_term", language),
    }
    parts = [
        _open("batch", BATCH_WIDTH, BATCH_HEIGHT, f' data-stage="{stage}" data-rows="{n}"'),
        _text(8, 18 * scale, title, 14 * scale, weight=600, css="title"),
    ]
    x0, x1 = cols["x"]
    if level == 0:  # only the noise exists: the z of the fake half
        z = record.z.numpy()[rows[:fake_rows]]
        headers["x"] = f"z ({z.shape[1]})"
        parts.append(_cells(z, x0, x1, row_y[:fake_rows], row_h, "#FFFFFF", "#222222"))
    else:
        shown = n if level >= 2 else fake_rows
        x = record.x.numpy()[rows[:shown]]
        if images:
            parts.append(_thumbnails(x, x0, x1, top, row_h))
        else:
            span = float(np.nan_to_num(np.abs(record.x.numpy())).max()) or 1.0
            parts.append(_cells(x[:, :2], x0, x1, row_y[:shown], row_h, "#F7F7F7", "#4D4D4D", span))
    for name, (a, c) in cols.items():
        if name == "class" and not conditional:
            continue
        parts.append(_text((a + c) / 2, header_y, headers[name], 13 * scale, "middle", 700))
    if level >= 2:
        parts.append(_y_column(cols["y"], row_y, row_h, fake_rows, n, scale))
        if conditional:
            parts.append(_classes(record.labels.numpy()[rows], cols["class"], row_y, row_h))
        for label, first, last in ((0, 0, fake_rows - 1), (1, fake_rows, n - 1)):
            if images:
                continue
            name = text("fig.fake_half" if label == 0 else "fig.real_half", language)
            middle = (row_y[first] + row_y[last] + row_h) / 2
            parts.append(_boxed_text(x0 + 4, middle, name, BATCH_TEXT * scale, x1 - x0 - 8))
    lo, hi = (0.0, 1.0) if probability else (float(scores.min()), float(scores.max()) + 1e-6)
    bar_specs = (
        ("d", scores, 3, (lo, hi)),
        ("loss", terms, 4, (min(0.0, float(terms.min())), _loss_top(terms, n))),
    )
    for name, values, min_level, (a, c) in bar_specs:
        if level < min_level:
            continue
        parts.append(_bars(name, values, y_lab, cols[name], (a, c), row_y, row_h, scale))
        parts.append(_ticks(cols[name], (a, c), header_y + 14 * scale, BATCH_TEXT * scale))
        if probability and name == "d":
            mid = cols["d"][0] + 0.5 * (cols["d"][1] - cols["d"][0])
            parts.append(
                f'<line x1="{mid:.1f}" x2="{mid:.1f}" y1="{top:.1f}" y2="{BATCH_HEIGHT - 8}" '
                'stroke="#888" stroke-width="1" stroke-dasharray="2 3"/>'
            )
    # the boundary between the halves
    rule = top + fake_rows * row_h
    parts.append(
        f'<line x1="4" x2="{BATCH_WIDTH - 4}" y1="{rule:.1f}" y2="{rule:.1f}" stroke="#111" '
        'stroke-width="2"/>'
    )
    parts.append(_hit_rows(record, rows, y_lab, scores, terms, level, row_y, row_h, language))
    parts.append("</svg>")
    return "".join(parts)


def sparkline_svg(history: dict[str, list[float]], language: str = "en", scale: float = 1.0) -> str:
    """A small strip of loss_D and loss_G (top) and mean D(real) / D(G(z)) (bottom) over the
    iterations, for the one-screen view (the full curves are in the losses tab)."""
    lines = (
        ("loss_d", "loss_D", palette.LOSS_D, "loss", ""),
        ("loss_g", "loss_G", palette.LOSS_G, "loss", ""),
        ("d_real", text("fig.d_real", language), REAL_COLOUR, "d", "3 2"),
        ("d_fake", "D(G(z))", FAKE_COLOUR, "d", "3 2"),
    )
    # the legend: one row, or two when the names do not fit across (presenter view)
    size = SPARK_TEXT * scale
    widths = [(26 * scale + 0.62 * size * len(name)) for _, name, _, _, _ in lines]
    rows = 1 if sum(widths) <= SPARK_WIDTH - 8 else 2
    legend_h = 18 * scale * rows
    height = SPARK_HEIGHT + 30 * (rows - 1)  # the panels keep their height under two rows
    left, right, bottom = 48 * scale, SPARK_WIDTH - 6, height - 16 * scale
    gap = 8 * scale
    panel_h = (bottom - legend_h - gap) / 2
    panels = {"loss": (legend_h, legend_h + panel_h), "d": (bottom - panel_h, bottom)}
    parts = [_open("sparkline", SPARK_WIDTH, height)]
    x, row = 4.0, 0
    for i, (_, name, colour, _, dash) in enumerate(lines):
        if rows == 2 and i == len(lines) // 2:
            x, row = 4.0, 1
        y = (9 + 18 * row) * scale
        parts.append(
            f'<line x1="{x:.1f}" x2="{x + 16 * scale:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="2"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + "/>"
        )
        parts.append(_text(x + 19 * scale, y + 4 * scale, name, size))
        x += widths[i]
    its = np.asarray(history["iteration"], dtype=float)
    idx = log_spaced(len(its), 150)
    first, last = (float(its[idx[0]]), float(its[idx[-1]])) if len(idx) else (0.0, 1.0)
    span_x = max(last - first, 1.0)
    for panel, (y0, y1) in panels.items():
        values = [np.asarray(history[k], dtype=float)[idx] for k, _, _, p, _ in lines if p == panel]
        finite = np.concatenate(values + [np.array([0.0, 1.0 if panel == "d" else 0.0])])
        finite = finite[np.isfinite(finite)]
        lo, hi = float(finite.min()), float(finite.max())
        if hi - lo < 1e-9:
            hi = lo + 1.0
        parts.append(
            f'<rect x="{left:.1f}" y="{y0:.1f}" width="{right - left:.1f}" '
            f'height="{y1 - y0:.1f}" fill="none" stroke="#D9D9D9"/>'
        )
        axis = "D" if panel == "d" else text("fig.loss_axis", language)
        middle = (y0 + y1) / 2
        parts.append(
            f'<text x="{10 * scale:.1f}" y="{middle:.1f}" font-size="{size:.1f}" '
            f'text-anchor="middle" fill="{TEXT}" transform="rotate(-90 {10 * scale:.1f} '
            f'{middle:.1f})">{escape(axis)}</text>'
        )
        for value, y in ((hi, y0 + 9 * scale), (lo, y1 - 1)):
            parts.append(_text(left - 3, y, f"{value:.2f}", size, "end"))
        for key, _, colour, p, dash in lines:
            if p != panel or not len(idx):
                continue
            series = np.asarray(history[key], dtype=float)[idx]
            xs = left + (its[idx] - first) / span_x * (right - left)
            ys = y1 - (series - lo) / (hi - lo) * (y1 - y0)
            ok = np.isfinite(ys)
            points = " ".join(f"{a:.1f},{c:.1f}" for a, c in zip(xs[ok], ys[ok], strict=True))
            parts.append(
                f'<polyline class="{key}" points="{points}" fill="none" stroke="{colour}" '
                'stroke-width="1.5"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>"
            )
    if len(idx):
        tick_y = height - 3
        parts.append(_text(left, tick_y, f"{first:.0f}", size))
        parts.append(_text(right, tick_y, f"{last:.0f}", size, "end"))
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- pieces
def _open(kind: str, width: float, height: float, extra: str = "") -> str:
    return (
        f'<svg class="live-view {kind}-view" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif"{extra}>'
        f'<rect width="{width}" height="{height}" fill="#FFFFFF"/>'
    )


def _text(
    x: float,
    y: float,
    words: str,
    size: float,
    anchor: str = "start",
    weight: int = 400,
    fill: str = TEXT,
    css: str = "",
) -> str:
    cls = f' class="{css}"' if css else ""
    return (
        f'<text{cls} x="{x:.1f}" y="{y:.1f}" font-size="{size:.1f}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(words)}</text>'
    )


def _boxed_text(x: float, y: float, words: str, size: float, room: float) -> str:
    """Text on a white box, readable over the grey cells, its size cut to fit `room`."""
    ems = sum(1.0 if ord(ch) > 0x2E80 else 0.62 for ch in words)
    size = min(size, (room - 6) / ems)
    width = size * ems + 6
    return (
        f'<rect x="{x:.1f}" y="{y - size * 0.75:.1f}" width="{width:.1f}" '
        f'height="{size * 1.3:.1f}" fill="#FFFFFF" fill-opacity="0.88" rx="2"/>'
        + _text(x + 3, y + size * 0.35, words, size)
    )


def _grey(level: float, light: str, dark: str) -> str:
    a = np.array([int(light[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    c = np.array([int(dark[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)
    r, g, b = (a + (c - a) * level).round().astype(int)
    return f"#{r:02X}{g:02X}{b:02X}"


def _cells(
    values: np.ndarray,
    x0: float,
    x1: float,
    row_y: np.ndarray,
    row_h: float,
    light: str,
    dark: str,
    span: float | None = None,
) -> str:
    """A grid of grey cells (rows × columns), light = -span and dark = +span, drawn as one
    path per grey level."""
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    span = span if span and np.isfinite(span) else float(np.abs(values).max()) or 1.0
    levels = np.clip(((values / span + 1) / 2 * (CELL_LEVELS - 1)).round(), 0, CELL_LEVELS - 1)
    cell_w = (x1 - x0) / values.shape[1]
    out = []
    for level in np.unique(levels):
        r, c = np.nonzero(levels == level)
        d = "".join(
            f"M{x0 + j * cell_w:.1f},{row_y[i]:.2f}h{cell_w:.1f}v{row_h:.2f}h{-cell_w:.1f}z"
            for i, j in zip(r, c, strict=True)
        )
        colour = _grey(level / (CELL_LEVELS - 1), light, dark)
        out.append(f'<path d="{d}" fill="{colour}"/>')
    return f'<g class="cells">{"".join(out)}</g>'


def _thumbnails(x: np.ndarray, x0: float, x1: float, top: float, row_h: float) -> str:
    """The images of the drawn rows stacked into one picture, dark on white, a white line
    between neighbours."""
    side = x.shape[-1]
    cell = side + 2
    canvas = np.full((len(x) * cell, side), 255, dtype=np.uint8)
    for i, image in enumerate(np.nan_to_num((x[:, 0] + 1) / 2).clip(0, 1)):
        canvas[i * cell + 1 : i * cell + 1 + side] = (255 * (1 - image)).round()
    png = io.BytesIO()
    Image.fromarray(canvas, "L").save(png, "PNG")
    data = base64.b64encode(png.getvalue()).decode()
    width = min(x1 - x0, row_h * side / cell)
    return (
        f'<image class="thumbnails" x="{x0:.1f}" y="{top:.1f}" width="{width:.1f}" '
        f'height="{row_h * len(x):.1f}" preserveAspectRatio="none" '
        f'style="image-rendering: pixelated" href="data:image/png;base64,{data}"/>'
    )


def _y_column(
    span: tuple[float, float], row_y: np.ndarray, row_h: float, fake: int, n: int, scale: float
) -> str:
    """y: one block per half in that half's colour, its label on every row when the rows are
    tall enough, else once in the middle."""
    a, c = span
    top, bottom = row_y[0], row_y[-1] + row_h
    split = top + fake * row_h
    out = [
        f'<rect class="y-fake" x="{a:.1f}" y="{top:.1f}" width="{c - a:.1f}" '
        f'height="{split - top:.1f}" fill="{FAKE_COLOUR}"/>',
        f'<rect class="y-real" x="{a:.1f}" y="{split:.1f}" width="{c - a:.1f}" '
        f'height="{bottom - split:.1f}" fill="{REAL_COLOUR}"/>',
    ]
    few = n <= VALUE_ROWS
    for label, first, last in ((0, 0, fake - 1), (1, fake, n - 1)):
        spots = [row_y[i] + row_h / 2 for i in range(first, last + 1)] if few else []
        spots = spots or [(row_y[first] + row_y[last] + row_h) / 2]
        size = (BATCH_TEXT if few else 16) * scale
        for y in spots:
            out.append(
                _text((a + c) / 2, y + size * 0.35, str(label), size, "middle", 700, "#FFFFFF")
            )
    return "".join(out)


def _classes(labels: np.ndarray, span: tuple[float, float], row_y: np.ndarray, row_h: float) -> str:
    """The class of each row: written when the rows are tall enough to read it, else as grey
    cells (the row's hover text says the class)."""
    a, c = span
    if row_h * 0.9 >= BATCH_TEXT:
        size = BATCH_TEXT
        return "".join(
            _text(
                (a + c) / 2, y + row_h / 2 + size * 0.35, str(int(k)), size, "middle", css="class"
            )
            for k, y in zip(labels, row_y, strict=True)
        )
    top = max(int(labels.max()), 1)
    return _cells(labels[:, None] / top * 2 - 1, a, c, row_y, row_h, "#F2F2F2", "#7F7F7F", 1.0)


def _loss_top(terms: np.ndarray, n: int) -> float:
    return float(terms.max()) * (1.35 if n <= VALUE_ROWS else 1.05) + 1e-6


def _bars(
    name: str,
    values: np.ndarray,
    y_lab: np.ndarray,
    span: tuple[float, float],
    limits: tuple[float, float],
    row_y: np.ndarray,
    row_h: float,
    scale: float,
) -> str:
    """One horizontal bar per row from 0 (or the axis start) to its value, each half's bars as
    one path in its colour; the values written next to them when the rows are few."""
    a, c = span
    lo, hi = limits

    def at(v: np.ndarray | float) -> np.ndarray:
        return a + (np.clip(v, lo, hi) - lo) / (hi - lo) * (c - a)

    start = float(at(max(lo, min(0.0, hi))))
    ends = at(values)
    h = max(row_h * 0.85, 0.6)
    out = []
    for label, colour in ((0, FAKE_COLOUR), (1, REAL_COLOUR)):
        d = "".join(
            f"M{start:.1f},{row_y[i] + (row_h - h) / 2:.2f}H{ends[i]:.1f}v{h:.2f}H{start:.1f}z"
            for i in np.flatnonzero(y_lab == label)
        )
        half = "fake" if label == 0 else "real"
        out.append(f'<path class="bars-{name} bars-{half}" d="{d}" fill="{colour}"/>')
    if len(values) <= VALUE_ROWS:
        size = BATCH_TEXT * scale
        for v, end, y in zip(values, ends, row_y, strict=True):
            out.append(_text(end + 3, y + row_h / 2 + size * 0.35, f"{v:.2f}", size, css="value"))
    return f'<g class="bars" data-column="{name}">{"".join(out)}</g>'


def _ticks(span: tuple[float, float], limits: tuple[float, float], y: float, size: float) -> str:
    a, c = span
    lo, hi = limits
    return _text(a, y, f"{lo:.2g}", size) + _text(c, y, f"{hi:.2g}", size, "end")


def _hit_rows(
    record: DStepRecord,
    rows: np.ndarray,
    y_lab: np.ndarray,
    scores: np.ndarray,
    terms: np.ndarray,
    level: int,
    row_y: np.ndarray,
    row_h: float,
    language: str,
) -> str:
    """An invisible strip over each row that exists by this sub-step, holding its numbers for
    the hover text and, for a point, where it lies (data-x, data-y) for the data view."""
    points = record.x.dim() == 2
    xy = record.x.numpy()[rows].reshape(len(rows), -1) if points else None
    shown = len(rows) if level >= 2 else int((y_lab == 0).sum())
    out = ['<g class="hit-rows" fill="transparent">']
    for i in range(shown):
        words = text("fig.row_tip", language, row=int(rows[i]))
        if level >= 2:
            words += f" · y = {int(y_lab[i])}"
        where = ""
        if xy is not None and level >= 1:
            words += f" · x = ({xy[i, 0]:.3f}, {xy[i, 1]:.3f})"
            where = f' data-x="{xy[i, 0]:.4g}" data-y="{xy[i, 1]:.4g}"'
        if level >= 3:
            words += f" · D(x) = {scores[i]:.3f}"
        if level >= 4:
            words += f" · {text('fig.loss_term', language)} = {terms[i]:.3f}"
        out.append(
            f'<rect data-row="{int(rows[i])}"{where} x="0" y="{row_y[i]:.2f}" '
            f'width="{BATCH_WIDTH}" height="{row_h:.2f}"><title>{escape(words)}</title></rect>'
        )
    out.append("</g>")
    return "".join(out)
