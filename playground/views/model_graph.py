"""The model-overview graph: the D step and the G step as two lanes of boxes and arrows, drawn
as SVG text (no raster, no browser code), with the path of the last step lit and the
direction gradients flow.

    D step:  z → G → G(z) ┐                    G step:  z → G → G(z)
                   real x ┴→ x = [fake; real], y         (fakes only, target y = 1)
                             → D → D(x) → loss_D                → D (frozen) → D_on_G → loss_G

Every node carries `data-node`, `data-lit` and (for D in the G step) `data-locked`, and the
<svg> carries `data-last` ("d", "g" or "none") and `data-lanes` ("d g", or in presenter view
the one lane drawn), so tests and scripts can read what is lit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from playground.text import text
from playground.views import palette

REAL_COLOUR, FAKE_COLOUR, GRADIENT_COLOUR = palette.REAL, palette.FAKE, palette.GRADIENT
LIT_FILL = "#FFF4D6"
WIDTH, ROW, TOP = 480, 52, 30
# the graph is drawn at ~0.81 of these units in its 1280x720 column: ≥ 12 px on screen
TITLE_SIZE, VALUE_SIZE = 16, 15
LANE_X = {"d": 4, "g": 244}
LANE_W = 210
GRADIENT_X = 12  # the gradient path runs this far right of its lane

# (node id, row, column within the lane: (left, width) as fractions of the lane)
D_LANE: tuple[tuple[str, int, tuple[float, float]], ...] = (
    ("d.z", 0, (0, 1)),
    ("d.G", 1, (0, 1)),
    ("d.fake", 2, (0, 0.48)),
    ("d.real", 2, (0.52, 0.48)),
    ("d.x", 3, (0, 1)),
    ("d.D", 4, (0, 1)),
    ("d.score", 5, (0, 1)),
    ("d.loss", 6, (0, 1)),
)
G_LANE: tuple[tuple[str, int, tuple[float, float]], ...] = (
    ("g.z", 0, (0, 1)),
    ("g.G", 1, (0, 1)),
    ("g.fake", 2, (0, 1)),
    ("g.target", 3, (0, 1)),
    ("g.D", 4, (0, 1)),
    ("g.score", 5, (0, 1)),
    ("g.loss", 6, (0, 1)),
)
EDGES = (
    ("d.z", "d.G"),
    ("d.G", "d.fake"),
    ("d.fake", "d.x"),
    ("d.real", "d.x"),
    ("d.x", "d.D"),
    ("d.D", "d.score"),
    ("d.score", "d.loss"),
    ("g.z", "g.G"),
    ("g.G", "g.fake"),
    ("g.fake", "g.target"),
    ("g.target", "g.D"),
    ("g.D", "g.score"),
    ("g.score", "g.loss"),
)
# gradients run back along these nodes: into D only in a D step; through frozen D into G in a G
# step
GRADIENT_PATH = {
    "d": ("d.loss", "d.score", "d.D"),
    "g": ("g.loss", "g.score", "g.D", "g.target", "g.fake", "g.G"),
}
LANES = {"d": tuple(n for n, _, _ in D_LANE), "g": tuple(n for n, _, _ in G_LANE)}
# what each slow-motion sub-step lights, and whether gradients are drawn (lecture.SUB_STEPS)
SUB_STEP_PARTS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "noise": (("d.z",), None),
    "generate": (("d.z", "d.G", "d.fake"), None),
    "concat": (("d.fake", "d.real", "d.x"), None),
    "score": (("d.x", "d.D", "d.score"), None),
    "loss": (("d.score", "d.loss"), None),
    "gradients": (("d.loss", "d.score", "d.D"), "d"),
    "d_update": (("d.D",), "d"),
    "g_step": (LANES["g"], None),
    "frozen": (("g.D",), "g"),
    "g_update": (("g.G", "g.fake"), "g"),
}
ORDER = tuple(SUB_STEP_PARTS)
# a node's number that an update makes is shown from the sub-step that makes it, not from the
# one that first lights the node: D's ‖Δθ_D‖ when D updates, G's when G updates
VALUE_FROM = {"d.D": "d_update", "g.D": "frozen", "g.G": "g_update"}


@dataclass
class GraphState:
    """What the graph shows: numbers for the nodes (absent = not known yet), which nodes are
    lit, and which step's gradients are drawn."""

    language: str = "en"
    last: str = "none"  # "d", "g" or "none": the step whose path is lit
    lit: tuple[str, ...] = ()
    gradient: str | None = None  # "d" or "g"
    values: dict[str, str] = field(default_factory=dict)  # node id -> second line


def state_after_step(
    last: str,
    values: dict[str, str],
    language: str,
) -> GraphState:
    """The graph after a D step ("d"), a G step ("g") or before any ("none")."""
    lit = LANES.get(last, ())
    return GraphState(language, last, lit, last if last in LANES else None, values)


def state_for_sub_step(key: str, values: dict[str, str], language: str) -> GraphState:
    """The graph at one slow-motion sub-step: only its part lit, only numbers known by then."""
    lit, gradient = SUB_STEP_PARTS[key]
    known_until = ORDER.index(key)
    known = set()
    for earlier in ORDER[: known_until + 1]:
        known.update(SUB_STEP_PARTS[earlier][0])
    if known_until >= ORDER.index("g_step"):
        known.update(LANES["d"])
    shown = {
        node: value
        for node, value in values.items()
        if node in known and ORDER.index(VALUE_FROM.get(node, key)) <= known_until
    }
    last = "g" if lit and lit[0].startswith("g.") else "d"
    return GraphState(language, last, lit, gradient, shown)


def _box(node: str) -> tuple[float, float, float, float]:
    lane = node.split(".")[0]
    rows = D_LANE if lane == "d" else G_LANE
    _, row, (left, width) = next(entry for entry in rows if entry[0] == node)
    x = LANE_X[lane] + left * LANE_W
    return x, TOP + row * ROW, width * LANE_W, ROW - 14


def _title(node: str, language: str) -> str:
    return text(f"graph.{node}", language)


def focus_lane(state: GraphState) -> str:
    """The lane the picture is about: the last step's, or in slow motion the narrated one."""
    if state.last in LANES:
        return state.last
    lit = [node.split(".")[0] for node in state.lit]
    return lit[0] if lit else "d"


def render_svg(state: GraphState, presenter: bool = False) -> str:
    """The graph as one <svg> element. `presenter`: only the focus lane, so that in a column
    of the same width its text is drawn 1.5× as large (the other lane comes back with its
    step: Step G shows the G lane, Step D or slow motion's D sub-steps the D lane)."""
    lang = state.language
    height = TOP + 7 * ROW + 12
    lanes = (focus_lane(state),) if presenter else ("d", "g")
    left, width = 0, WIDTH
    if presenter:  # the lane, with room for its gradient path on the right
        left, width = LANE_X[lanes[0]] - 4, LANE_W + GRADIENT_X + 16
    parts = [
        f'<svg class="model-graph" data-last="{state.last}" '
        f'data-lanes="{" ".join(lanes)}" viewBox="{left} 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(text("graph.label", lang))}">',
        "<defs>"
        '<marker id="mg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker>'
        '<marker id="mg-grad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{GRADIENT_COLOUR}"/></marker></defs>',
    ]
    for lane in lanes:
        active = state.last == lane
        weight = "700" if active else "400"
        colour = "#111" if active else "#777"
        parts.append(
            f'<text class="lane-title" data-lane="{lane}" data-active="{str(active).lower()}" '
            f'x="{LANE_X[lane] + LANE_W / 2}" y="18" text-anchor="middle" font-size="16" '
            f'font-weight="{weight}" fill="{colour}">{escape(text(f"graph.{lane}", lang))}</text>'
        )
    for a, b in EDGES:
        if a.split(".")[0] not in lanes:
            continue
        ax, ay, aw, ah = _box(a)
        bx, by, bw, _ = _box(b)
        x1, x2 = ax + aw / 2, bx + bw / 2
        parts.append(
            f'<path d="M{x1:.0f},{ay + ah:.0f} L{x2:.0f},{by - 1:.0f}" stroke="#777" '
            f'stroke-width="1.3" fill="none" marker-end="url(#mg-arrow)"/>'
        )
    if state.gradient in GRADIENT_PATH and state.gradient in lanes:
        path = GRADIENT_PATH[state.gradient]
        gx = LANE_X[state.gradient] + LANE_W + GRADIENT_X
        x0, y0, w0, h0 = _box(path[0])
        x1, y1, w1, h1 = _box(path[-1])
        start, end = y0 + h0 / 2, y1 + h1 / 2
        d = (
            f"M{x0 + w0:.0f},{start:.0f} L{gx:.0f},{start:.0f} L{gx:.0f},{end:.0f} "
            f"L{x1 + w1 + 2:.0f},{end:.0f}"
        )
        parts.append(
            f'<path class="gradient-path" data-gradient="{state.gradient}" d="{d}" '
            f'stroke="{GRADIENT_COLOUR}" stroke-width="2.5" stroke-dasharray="6 4" fill="none" '
            f'marker-end="url(#mg-grad)"/>'
        )
        parts.append(
            f'<text class="gradient-label" x="{LANE_X[state.gradient] + LANE_W / 2:.0f}" '
            f'y="{TOP + 7 * ROW + 4:.0f}" font-size="15" text-anchor="middle" '
            f'fill="{GRADIENT_COLOUR}" font-weight="700">'
            f"⇠ {escape(text(f'graph.gradient.{state.gradient}', lang))}</text>"
        )
    for lane in lanes:
        for node in LANES[lane]:
            parts.append(_node_svg(node, state))
    parts.append("</svg>")
    return "".join(parts)


def _node_svg(node: str, state: GraphState) -> str:
    x, y, w, h = _box(node)
    lit = node in state.lit
    locked = node == "g.D"
    stroke = {"d.real": REAL_COLOUR, "d.fake": FAKE_COLOUR, "g.fake": FAKE_COLOUR}.get(node, "#444")
    fill = LIT_FILL if lit else ("#EEEEEE" if locked else "#FFFFFF")
    width = 2.6 if lit else 1.1
    title = _title(node, state.language)
    value = state.values.get(node, "")
    lines = (
        f'<text x="{x + w / 2:.0f}" y="{y + (15 if value else h / 2 + 5):.0f}" '
        f'text-anchor="middle" font-size="{TITLE_SIZE}" font-weight="600" fill="#111">'
        f"{escape(title)}</text>"
    )
    if value:
        lines += (
            f'<text class="node-value" x="{x + w / 2:.0f}" y="{y + h - 6:.0f}" '
            f'text-anchor="middle" font-size="{VALUE_SIZE}" fill="#333">{escape(value)}</text>'
        )
    if locked:  # a padlock: D's parameters cannot change in the G step
        lx, ly = x + 14, y + 8
        lines += (
            f'<g class="lock"><path d="M{lx + 2},{ly + 9} v-4 a5,5 0 0 1 10,0 v4" '
            f'stroke="#333" stroke-width="2" fill="none"/><rect x="{lx}" y="{ly + 9}" '
            f'width="14" height="11" rx="2" fill="#333"/></g>'
        )
    return (
        f'<g class="node" data-node="{node}" data-lit="{str(lit).lower()}"'
        + (' data-locked="true"' if locked else "")
        + f'><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>{lines}</g>'
    )
