"""Teaching and sharing: slow motion, the language, presenter view, tours, A/B comparisons,
training on a drawing, links and config files, and the first paint of a page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr

from playground.engine.config import GANConfig
from playground.engine.drawing import MAX_TEXT
from playground.io.presets import sampler_for
from playground.serving.served_files import resolve_data_name
from playground.teaching import lecture
from playground.text import normalise_language, text
from playground.ui import render, share
from playground.ui.handlers import Context, Updates, advance, whole
from playground.ui.handlers_files import setup_of
from playground.ui.i18n import label_text, relabel
from playground.ui.layout import (
    LANGUAGE_NAMES,
    TOOLBAR_BUTTONS,
    comparison_choices,
    tour_choices,
)
from playground.ui.session import Session, budgeted_trainer, markdown_safe


def _narrated(session: Session, seconds: Any) -> Updates:
    """The current sub-step on screen: its view brought up, the picture as far as it goes,
    the caption and the auto-advance timer."""
    if session.narration.view(session.sub_step) == "g":
        session.tab = "g"
    return {
        "state": session,
        **render.views(session),
        **render.lecture_views(session, float(seconds or 0)),
    }


def explain(ctx: Context, state: Session | None, seconds: Any) -> Updates:
    session = ctx.session(state)
    session.stop_autoplay()
    with session.lock:
        session.tour = None
        session.narration = lecture.narrate_iteration(session.trainer)
        session.sub_step = 0
        session.say("explained", iteration=session.trainer.iteration)
        return _narrated(session, seconds)


def move(ctx: Context, delta: int, state: Session | None, seconds: Any) -> Updates:
    session = ctx.session(state)
    with session.lock:
        if session.narration is None:
            return {
                "state": session,
                "caption": session.lecture_text(),
                "lecture_timer": gr.Timer(active=False),
            }
        last = len(lecture.SUB_STEPS) - 1
        session.sub_step = min(max(session.sub_step + delta, 0), last)
        return _narrated(session, seconds)


def auto_advance(ctx: Context, state: Session | None, seconds: Any) -> Updates:
    """A new auto-advance interval takes effect at once, also in the middle of a walk."""
    if state is None:
        return {}
    return {"lecture_timer": render.lecture_views(state, float(seconds or 0))["lecture_timer"]}


def set_language(ctx: Context, state: Session | None, name: str) -> Updates:
    session = ctx.session(state)
    session.language = LANGUAGE_NAMES.get(name, "en")
    with session.lock:
        session.say_again()
        updates = render.merged(
            language_views(ctx, session),
            render.setup_views(session, ctx.presets),
            render.views(session),
        )
        return {"state": session, **updates}


def language_views(ctx: Context, session: Session) -> Updates:
    """Every label in the session's language (overriding the browser's), and the texts."""
    lang = session.language
    return render.merged(
        {name: relabel(props, lang) for name, props in ctx.labelled},
        {
            "tour_pick": gr.update(choices=tour_choices(ctx.tours, lang)),
            "compare_pick": gr.update(choices=comparison_choices(ctx.comparisons, lang)),
            "caption": session.lecture_text(),
            "layers": render.layers(session),
            "latent_axes": gr.update(
                choices=[(label_text("axes.z", lang), "z"), (label_text("axes.pca", lang), "pca")]
            ),
            "play_btn": label_text("pause" if session.playing else "play", lang),
            "class_pick": gr.update(label=render.class_pick_label(session)),
        },
    )


def set_presenter(ctx: Context, state: Session | None, on: bool) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.presenter = bool(on)
        return {"state": session, **render.views(session)}


def start_tour(ctx: Context, state: Session | None, name: str) -> Updates:
    if name not in ctx.tours:
        raise ValueError(f"tour: unknown tour '{name}'")
    old = ctx.session(state)
    old.tour, old.narration = ctx.tours[name], None
    session = old.play_tour_step(0)
    return {"state": session, **render.everything(session, ctx.presets)}


def start_comparison(ctx: Context, state: Session | None, name: str) -> Updates:
    """Two fresh runs side by side (A: the comparison's preset, B: with its settings
    changed); Step, Run N and Play now drive both, and the comparison tab shows them."""
    if name not in ctx.comparisons:
        raise ValueError(f"comparison: unknown comparison '{markdown_safe(str(name))}'")
    old = ctx.session(state)
    old.tour, old.narration = None, None
    with old.lock:
        session = old.open_comparison(ctx.comparisons[name])
    session.say("compared", title=ctx.comparisons[name].title_in(session.language))
    return {"state": session, **render.everything(session, ctx.presets)}


def compare_step(ctx: Context, action: str, state: Session | None, *n: Any) -> Updates:
    """For API clients: Step / Run N on both runs of the comparison, answered with both runs'
    summaries (what the page shows in the comparison tab)."""
    session = ctx.session(state)
    if session.partner is None:
        raise ValueError("comparison: start one first (/compare_start with its name)")
    with session.lock:
        advance(session, action, n)
        return {"state": session, "compare_summary": session.comparison_summary()}


def train_on_drawing(ctx: Context, state: Session | None, drawn: Any) -> Updates:
    """A fresh run on the painted points (the current settings kept where they fit 2D
    points); its modes are fitted, and the drawing travels in the link, config and
    checkpoint."""
    if not isinstance(drawn, str) or len(drawn) > MAX_TEXT:
        raise ValueError("drawn: not a drawing")
    old = ctx.session(state)
    base = old.trainer.config
    if base.kind != "points":  # from image data: the default preset's networks and settings
        base = ctx.presets[ctx.default_preset].config
    config = base.replace(dataset="drawn", drawn=drawn, data_path="")
    session = old.fresh_run(config, preset=old.preset)
    session.tour = None
    dataset = session.trainer.dataset
    session.say("drawn", n=len(dataset.pool), k=len(dataset.centres))
    return {"state": session, **render.everything(session, ctx.presets)}


def next_tour_step(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    if session.tour is None:
        raise ValueError("tour: pick a tour and click Start tour first")
    if session.tour_step + 1 >= len(session.tour.steps):
        # ✓, not the emoji ✅: an empty box where no emoji font is installed
        done = "✓ " + text("tour.end", session.language)
        return {"state": session, "caption": session.lecture_text() + "\n\n" + done}
    with session.lock:
        session = session.play_tour_step(session.tour_step + 1)
    return {"state": session, **render.everything(session, ctx.presets)}


def link(ctx: Context, state: Session | None, request: gr.Request) -> Updates:
    session = ctx.session(state)
    setup = setup_of(ctx, session)
    query = share.to_query(
        setup["preset"],
        session.trainer.config,
        setup.get("tour"),
        setup.get("tour_step", 0),
        session.comparison.name if session.comparison is not None else None,
        session.trained,
    )
    origin = (
        request.headers.get("origin") or f"http://{request.headers.get('host', '127.0.0.1:7860')}"
    )
    return {"share_link": f"{origin}/?{query}"}


MAX_CONFIG_BYTES = 2**20


def import_config(ctx: Context, state: Session | None, path: str | None) -> Updates:
    if not path:
        return {}
    file = Path(path)
    if file.stat().st_size > MAX_CONFIG_BYTES:
        raise ValueError("config file: over 1 MiB; a config is a few hundred bytes")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"config file: not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError("config file: nested too deeply to be a config") from None
    if not isinstance(data, dict):
        raise ValueError("config file: expected a JSON object")
    fields = data.get("config", data)
    if not isinstance(fields, dict):
        raise ValueError("config file: 'config' must be a JSON object")
    old = ctx.session(state)
    names = {key: fields.get(key) or "" for key in ("data_path", "labels_path")}
    for key, name in names.items():
        if not isinstance(name, str):
            raise ValueError(f"{key}: must be a file name")
        fields = {**fields, key: resolve_data_name(name, old.uploads, ctx.data_dir)}
    config = GANConfig.from_dict(fields)
    name = data.get("preset") if data.get("preset") in ctx.presets else old.preset
    session = old.fresh_run(config, preset=name)
    session.tour = None
    if data.get("tour") in ctx.tours:
        step = whole(data.get("tour_step", 0), "tour_step", 0, 100)
        session = session.start_tour_at(ctx.tours[data["tour"]], step)
    session.say("imported")
    return {"state": session, **render.everything(session, ctx.presets)}


def from_link(ctx: Context, request: gr.Request, language: str) -> Session | None:
    """The session a page URL asks for (?preset=…&seed=…&tour=…&step=…), if any."""
    setup = share.from_query(dict(request.query_params), ctx.default_preset)
    if setup is None:
        return None
    sampler = sampler_for(ctx.presets[setup.preset].sampler, setup.config)
    session = Session(budgeted_trainer(setup.config), preset=setup.preset, sampler=sampler)
    session.language = language
    if setup.trained:
        session.start_trained()
    if setup.tour:
        if setup.tour not in ctx.tours:
            raise ValueError(f"link: unknown tour '{setup.tour}'")
        session = session.start_tour_at(ctx.tours[setup.tour], setup.step)
    elif setup.compare:
        if setup.compare not in ctx.comparisons:
            raise ValueError("link: unknown comparison")
        session = session.open_comparison(ctx.comparisons[setup.compare])
    if session.trained and session.tour is None:
        session.say("loaded_trained", name=setup.preset, iteration=session.trainer.iteration)
    else:
        session.say("restored")
    return session


def first_paint(ctx: Context, state: Session | None, request: gr.Request) -> Updates:
    """Every view shows something before the first click, in the browser's language."""
    owner = request.session_hash if request is not None else None
    header = request.headers.get("accept-language", "") if request is not None else ""
    language = normalise_language(header.split(",")[0].strip())
    session = ctx.session(state)
    if state is None or session.owner != owner:
        # a page load is a new tab: its own fresh run. The state seen here can be a copy of
        # another tab's early state (seen with Gradio 6.31), so only a state this browser
        # session built itself is kept.
        try:
            linked = from_link(ctx, request, language) if request is not None else None
            session = linked or Session.from_preset(ctx.default_preset)
            session.language = language
        except ValueError as exc:
            session = Session.from_preset(ctx.default_preset)
            session.language = language
            session.say("bad_link", error=markdown_safe(str(exc)))
    session.owner = owner
    name = next(k for k, v in LANGUAGE_NAMES.items() if v == session.language)
    page_token = ctx.steps.open(owner) if ctx.steps is not None and owner else ""
    updates = render.merged(
        render.everything(session, ctx.presets),
        language_views(ctx, session),
        {button: gr.update(interactive=True) for button in TOOLBAR_BUTTONS},
    )
    # the switch shows the page's language (its relabelling alone left it on English)
    updates["language"] = {**updates.get("language", gr.update()), "value": name}
    return {"state": session, "page_token": page_token, **updates}
