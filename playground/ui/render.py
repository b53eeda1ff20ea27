"""What a session looks like on screen, as updates keyed by component name (see layout.py).
Only what can be seen is built: the main screen always, a secondary tab's plots only while it
is open (each Plotly repaint costs the browser tens of milliseconds). The stacked batch and
the sparkline are SVG markup (playground.views.svg_views), the other plots Plotly figures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import plotly.graph_objects as go

from playground.io.presets import Preset
from playground.teaching import lecture
from playground.text import text
from playground.ui import live_feed
from playground.ui.i18n import label_text
from playground.ui.layout import CONTROL_NAMES, CONTROLS, SLIDERS, VIEW_IDS, preset_choices
from playground.ui.session import Session
from playground.views.figures import DATA_LAYERS

Build = Callable[[Session], go.Figure | str]
MAIN_PLOTS: dict[str, Build] = {
    "sparkline": Session.sparkline_svg,
    "batch_plot": Session.batch_svg,
    "data_plot": Session.data_figure,
}
TAB_PLOTS: dict[str, dict[str, Build]] = {
    "g": {"g_plot": Session.g_figure},
    "scores": {"scores_plot": Session.scores_figure},
    "loss": {"loss_plot": Session.loss_figure},
    "latent": {
        "latent_plot": lambda s: s.latent_figure(label=s.latent_class),
        "interp_plot": lambda s: s.interpolation_figure(label=s.latent_class),
    },
    "compare": {
        "compare_a_data": Session.data_figure,
        "compare_a_batch": Session.batch_svg,
        "compare_b_data": lambda s: s.partner_figure(Session.data_figure),
        "compare_b_batch": lambda s: s.partner_figure(Session.batch_svg),
        "compare_loss": Session.compare_loss_figure,
    },
}
# what the named API step endpoints return, in this order (gradio_client users index it)
API_VIEWS = [
    "status",
    "batch_plot",
    "batch_table",
    "g_md",
    "g_plot",
    "scores_plot",
    "loss_plot",
    "data_plot",
    "metrics_md",
    "timeline",
    "summary",
]


def visible_plots(session: Session, secondary: bool = True) -> dict[str, Build]:
    """The main screen's plots, and the open secondary tab's unless `secondary` is False.
    Presenter view hides the sparkline and the secondary tabs (playground.css): nothing is
    built for them there, and turning it off (set_presenter) draws them afresh."""
    if session.presenter:
        return {name: build for name, build in MAIN_PLOTS.items() if name != "sparkline"}
    return {**MAIN_PLOTS, **(TAB_PLOTS.get(session.tab, {}) if secondary else {})}


def figures(session: Session, secondary: bool = True) -> dict[str, Any]:
    """The visible figures as Plotly JSON keyed by their plot's elem_id, and the SVG views
    with the model graph under HTML_KEY (for the live feed: drawn by the page straight into
    what is on screen)."""
    out: dict[str, Any] = {}
    html = {"model-graph": session.graph_html()}
    for name, build in visible_plots(session, secondary).items():
        view = build(session)
        if isinstance(view, str):
            html[VIEW_IDS[name]] = view
        else:  # stamped: the page drops a figure that a later Gradio event has overtaken
            out[VIEW_IDS[name]] = live_feed.figure_json(live_feed.stamped(view))
    out[live_feed.HTML_KEY] = html
    return out


def shown(view: go.Figure | str) -> Any:
    """A view as its component's new value, stamped so that it is drawn even when it equals
    the value the component last held (see live_feed.stamped)."""
    return live_feed.stamp_html(view) if isinstance(view, str) else live_feed.stamped(view)


def table(session: Session) -> Any:
    return gr.Dataframe(
        session.batch_table(),
        headers=session.table_headers(),
        label=label_text("batch_table", session.language),
    )


def timeline(session: Session) -> Any:
    snaps = session.trainer.snapshots
    top = max(max(snaps), session.trainer.iteration, min(snaps) + 1)
    return gr.Slider(
        minimum=min(snaps),
        maximum=top,
        value=session.trainer.iteration,
        label=label_text("timeline", session.language),
        info=label_text("timeline.info", session.language),
    )


# each secondary tab's text, by tab
TAB_TEXTS: dict[str, tuple[str, Callable[[Session], str]]] = {
    "g": ("g_md", Session.g_step_markdown),
    "metrics": ("metrics_md", Session.metrics_markdown),
    "compare": ("compare_md", Session.compare_markdown),
}


def status(session: Session) -> str:
    """The status line, stamped: a step drawn outside Gradio's events writes the status line
    in place (live_feed.FastSteps), so the value Gradio last set may no longer be on screen."""
    return live_feed.stamp_html(session.status_html())


def texts(session: Session, step: bool = False, status_line: bool = True) -> dict[str, Any]:
    """The status line, the summary, the graph and the tabs' texts. For a step in the browser
    (`step`) the graph travels in the live feed and only the open tab's text is built: each
    component Gradio updates costs the page time, and select_tab brings a tab's text up to
    date when it opens."""
    out: dict[str, Any] = {"summary": session.summary()}
    if status_line:
        out["status"] = status(session)
    if not step:
        out["graph"] = live_feed.stamp_html(session.graph_html())
    for tab, (name, build) in TAB_TEXTS.items():
        if not step or session.tab == tab:
            out[name] = build(session)
    return out


def step_texts(session: Session, status_line: bool = True) -> dict[str, Any]:
    """After a step in the browser: the texts, the timeline and (open) the batch table (all
    but the status line after a fast step, which drew it already)."""
    out = texts(session, step=True, status_line=status_line)
    out["caption"] = session.lecture_text()  # a step ends slow motion (not a tour)
    out["timeline"] = timeline(session)
    if session.tab == "table":
        out["batch_table"] = table(session)
    return out


def views(session: Session, live: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every view that shows the run. With `live` (a step), the figures and the graph go into
    it instead, for the page to draw straight into what is on screen (see live_feed)."""
    if live is not None:
        live.update(figures(session))
        return step_texts(session)
    out = texts(session)
    out["timeline"] = timeline(session)
    if session.tab == "table":
        out["batch_table"] = table(session)
    for name, build in visible_plots(session).items():
        out[name] = shown(build(session))
    return out


def api_views(session: Session) -> dict[str, Any]:
    """For gradio_client: every view of API_VIEWS, whatever tab the page would show."""
    out = texts(session)
    out["timeline"] = timeline(session)
    out["batch_table"] = table(session)
    plots = {**MAIN_PLOTS, **{name: b for tab in TAB_PLOTS.values() for name, b in tab.items()}}
    out.update({name: plots[name](session) for name in API_VIEWS if name in plots})
    return {name: out[name] for name in API_VIEWS}


def class_pick_label(session: Session) -> str:
    """The latent tab's label picker is named for what steers G: a class, or a cluster."""
    return label_text(session.trainer.labels_are, session.language)


def latent_views(session: Session) -> dict[str, Any]:
    """The class picker and the sliders (captions and values for the run's slider axes), and
    G(z) for them when the latent tab is open."""
    t = session.trainer
    cls = session.latent_class if t.conditional else None
    setup = session.slider_setup(cls)
    out: dict[str, Any] = {
        "class_pick": gr.update(
            maximum=max(t.num_classes - 1, 1),
            value=cls or 0,
            visible=t.conditional,
            label=class_pick_label(session),
        )
    }
    for key, (caption, value, shown) in zip(SLIDERS, setup, strict=True):
        out[key] = gr.update(value=value, label=caption, visible=shown)
    session.latent_values = [value for _, value, _ in setup]
    return out


def setup_views(session: Session, presets: dict[str, Preset]) -> dict[str, Any]:
    """The drawer's preset, its description and every setup control, for this run."""
    out: dict[str, Any] = {
        key: getattr(session.trainer.config, name)
        for key, name in zip(CONTROLS, CONTROL_NAMES, strict=True)
    }
    out["ctl.data_path"] = Path(session.trainer.config.data_path).name  # a name, not a path
    out["trained"] = session.trained
    if session.preset in presets:
        out["preset"] = gr.update(
            choices=preset_choices(presets, session.language), value=session.preset
        )
        out["preset_md"] = presets[session.preset].description_in(session.language)
    else:
        out["preset_md"] = text("preset.loaded", session.language)
    return out


def lecture_views(session: Session, seconds: float = 0.0) -> dict[str, Any]:
    """The caption, the tour's next button, the auto-advance timer and the tab a sub-step or
    tour step brings up."""
    narrating = session.narrated_stage() is not None
    more = narrating and session.sub_step < len(lecture.SUB_STEPS) - 1
    return {
        "caption": session.lecture_text(),
        "tour_next": gr.update(visible=session.tour is not None),
        "lecture_timer": gr.Timer(value=max(seconds, 0.5), active=bool(seconds) and more),
        "tabs": gr.Tabs(selected=session.tab),
    }


def everything(session: Session, presets: dict[str, Preset]) -> dict[str, Any]:
    """All a new run changes: drawer, caption, views, latent controls. The plots of closed
    tabs are cleared (drawn when opened), so no view of a previous run or dataset remains."""
    hidden = {
        name: None for tab, plots in TAB_PLOTS.items() if tab != session.tab for name in plots
    }
    return {
        **setup_views(session, presets),
        **lecture_views(session),
        **hidden,
        **views(session),
        **latent_views(session),
        "layers": layers(session),
    }


def layers(session: Session) -> Any:
    """The data view's layer toggles, named in the session's language."""
    return gr.update(
        choices=[(text(f"layer.{layer}", session.language), layer) for layer in DATA_LAYERS],
        value=list(session.layers),
        visible=session.trainer.dataset.kind == "points",
    )


def merged(*parts: dict[str, Any]) -> dict[str, Any]:
    """Updates of several sources in one: where two touch the same component, the later
    one's properties win and the earlier one's other properties are kept (a relabel and a
    new value of the same slider both arrive)."""
    out: dict[str, Any] = {}
    for part in parts:
        for name, update in part.items():
            if name in out and (_is_update(out[name]) or _is_update(update)):
                out[name] = {**_as_update(out[name]), **_as_update(update)}
            else:
                out[name] = update
    return out


def _is_update(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update"


def _as_update(value: Any) -> dict[str, Any]:
    return value if _is_update(value) else gr.update(value=value)
