"""What every button, slider and upload does. Each handler is a plain function of the
session (None before the tab's first event) and the inputs, and returns updates keyed by
component name (layout.py), with "state" for the session; app.py maps names to components.
They can be called without a browser or a server."""

from __future__ import annotations

import functools
import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from playground import lecture
from playground.checkpoint import CheckpointError, unzip_checkpoint, zip_checkpoint
from playground.config import GANConfig
from playground.loaders import DataFormatError
from playground.presets import Preset
from playground.text import normalise_language, text
from playground.tours import Tour
from playground.trainer import Trainer
from playground.ui import live_feed, render, share
from playground.ui.i18n import label_text, relabel
from playground.ui.layout import (
    CONTROL_FIELDS,
    CONTROL_NAMES,
    LANGUAGE_NAMES,
    UPLOAD_KINDS,
    tour_choices,
)
from playground.ui.session import Session

Updates = dict[str, Any]
SECONDARY_EVERY = 4


@dataclass
class Context:
    """What every handler may read: the shipped presets and tours, the preset a new tab
    starts on, the autoplay frame feed, and the components the language switch relabels."""

    default_preset: str
    presets: dict[str, Preset]
    tours: dict[str, Tour]
    feed: live_feed.FrameFeed | None = None
    labelled: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def session(self, state: Session | None) -> Session:
        """This tab's session, built on its first event."""
        return state if state is not None else Session.from_preset(self.default_preset)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn bad input into a gr.Error the user can act on; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, DataFormatError, CheckpointError) as exc:
            raise gr.Error(str(exc)) from None

    return wrapper


def config_from_controls(values: list[Any], base: GANConfig) -> GANConfig:
    """The base config with the setup panel's values on top (fields without a control, such
    as a preset's ring std, are kept)."""
    data = dict(zip(CONTROL_NAMES, values, strict=True))
    for name, kind, _ in CONTROL_FIELDS:
        value = data[name]
        if kind == "text":
            data[name] = value or ""
            continue
        if value is None or value == "":
            raise ValueError(f"{name}: please enter a value")
        if kind == "int":
            data[name] = int(value)
        elif kind == "float":
            data[name] = float(value)
        elif kind == "bool":
            data[name] = bool(value)
    return GANConfig.from_dict({**base.to_dict(), **data})


# ---------------------------------------------------------------- stepping
def step(ctx: Context, action: str, in_browser: bool, state: Session | None, *n: Any) -> Updates:
    """Step D / Step G / Step / Run N. In the browser the figures travel as one JSON string
    for the page to draw in place ("live"); API clients get the figures themselves."""
    session = ctx.session(state)
    if action == "run" and (n[0] is None or not 1 <= int(n[0]) <= 100_000):
        raise ValueError("N: run between 1 and 100000 iterations")
    with session.lock:
        session.narration = None
        getattr(session, action)(*(int(v) for v in n))
        if not in_browser:
            return {"state": session, **render.api_views(session)}
        plots: dict[str, Any] = {}
        out = render.views(session, live=plots)
        return {"state": session, **out, "live": live_feed.encode(plots)}


def reset(ctx: Context, state: Session | None, *values: Any) -> Updates:
    old = ctx.session(state)
    config = config_from_controls(list(values), old.trainer.config)
    session = old.fresh_run(config)
    session.say("reset")
    return {
        "state": session,
        **render.views(session),
        **render.latent_views(session),
        **render.lecture_views(session),
        "timer": gr.Timer(active=False),
        "play_btn": label_text("play", session.language),
    }


def apply(ctx: Context, state: Session | None, *values: Any) -> Updates:
    current = ctx.session(state)
    config = config_from_controls(list(values), current.trainer.config)
    session = current.reconfigure(config)
    return {"state": session, **render.views(session), **render.latent_views(session)}


def choose_preset(ctx: Context, state: Session | None, name: str) -> Updates:
    if name not in ctx.presets:
        raise ValueError(f"preset: unknown preset '{name}'")
    old = ctx.session(state)
    session = old.successor(Session.from_preset(name, device=old.trainer.config.device))
    session.say("loaded_preset", name=name)
    return {"state": session, **render.everything(session, ctx.presets)}


def uploaded(path: str | None) -> Updates:
    if not path:
        return {}
    kind = UPLOAD_KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise ValueError(f"upload: {Path(path).name} is not a .csv, .npy, .npz or .idx file")
    return {"ctl.dataset": kind, "ctl.data_path": path}


def rewind(ctx: Context, state: Session | None, iteration: Any) -> Updates:
    session = ctx.session(state)
    if iteration is None:
        raise ValueError("timeline: choose an iteration")
    with session.lock:
        session.rewind(int(iteration))
        return {"state": session, **render.views(session)}


def evaluate(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.refresh_metrics()
        return {"state": session, "metrics_md": session.metrics_markdown()}


def select_tab(ctx: Context, name: str, state: Session | None) -> Updates:
    if state is None:
        # Gradio selects the first tab as the page loads, alongside first paint: a session
        # built here would race first paint's and could replace it
        return {}
    with state.lock:
        state.tab = name
        return {"state": state, **render.views(state)}


def set_layers(ctx: Context, state: Session | None, layers: list[str]) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.set_layers(list(layers or []))
        return {"state": session, "data_plot": live_feed.stamped(session.data_figure())}


# ---------------------------------------------------------------- autoplay
def live_frame(session: Session) -> dict[str, Any]:
    """One autoplay frame for the page: the visible figures, every N-th frame."""
    if not session.playing:
        return {"playing": False}
    session.frames += 1
    if session.frames % session.redraw_every:
        return {"playing": True, "figures": {}}
    with session.lock:
        # the main screen every frame; a secondary tab (below the fold at 1280×720) every
        # SECONDARY_EVERY-th, so the plots in view keep their frame rate
        secondary = session.frames % (SECONDARY_EVERY * session.redraw_every) == 0
        return {"playing": True, "figures": render.figures(session, secondary)}


def stop(ctx: Context, session: Session, paused: bool) -> Updates:
    """Autoplay off: the timer, the button, the frame token, and all views repainted."""
    session.stop_autoplay()
    if ctx.feed is not None:
        ctx.feed.close(session.live_token)
    session.live_token = None
    with session.lock:
        if paused:
            session.say("paused", iteration=session.trainer.iteration)
        return {
            "timer": gr.Timer(active=False),
            "play_btn": label_text("play", session.language),
            "play_token": "",
            **render.views(session),
        }


def play(ctx: Context, state: Session | None, n: Any, every: Any) -> Updates:
    session = ctx.session(state)
    if session.playing:
        return {"state": session, **stop(ctx, session, paused=True)}
    session.narration = None
    session.redraw_every = max(1, int(every or 1))
    session.start_autoplay(max(1, int(n or 1)) * live_feed.FRAMES_PER_SECOND)
    if ctx.feed is not None:
        ctx.feed.close(session.live_token)  # a run the guard stopped left its token
        session.live_token = ctx.feed.open(session)
    else:
        session.live_token = secrets.token_urlsafe(16)
    return {
        "state": session,
        "timer": gr.Timer(active=True),
        "play_btn": label_text("pause", session.language),
        "play_token": session.live_token,
    }


def tick(ctx: Context, state: Session | None, n: Any, every: Any) -> Updates:
    """While playing: the status line and texts; the controls' values reach the player. Once
    the run has stopped (the guard caught a diverging run): autoplay off."""
    session = ctx.session(state)
    if not session.playing:
        return {"state": session, **stop(ctx, session, paused=False)}
    session.autoplay_rate = max(1, int(n or 1)) * live_feed.FRAMES_PER_SECOND
    session.redraw_every = max(1, int(every or 1))
    with session.lock:
        out = {"state": session, "status": session.status_markdown()}
        if session.tab == "table":
            out["batch_table"] = render.table(session)
        return out


# ---------------------------------------------------------------- latent space
def move_sliders(ctx: Context, state: Session | None, label: Any, *values: Any) -> Updates:
    session = ctx.session(state)
    if any(v is None for v in values) or label is None:
        raise ValueError("latent sliders: enter a number between -3 and 3")
    with session.lock:
        session.latent_class = int(label)
        cls = session.latent_class if session.trainer.conditional else None
        figure = session.latent_figure([float(v) for v in values], cls)
        return {"state": session, "latent_plot": live_feed.stamped(figure)}


def randomise(ctx: Context, which: str, state: Session | None, label: Any) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.randomise_end(which, int(np.random.default_rng().integers(2**31 - 1)))
        session.latent_values = None
        out = render.latent_views(session)
        out.pop("class_pick")
        out["latent_plot"] = live_feed.stamped(session.latent_figure(label=_class(session)))
        return {"state": session, **out}


def set_latent_axes(ctx: Context, state: Session | None, axes: str, label: Any) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.set_latent_axes(axes)
        session.latent_values = None
        out = render.latent_views(session)
        out.pop("class_pick")
        out["latent_plot"] = live_feed.stamped(session.latent_figure(label=_class(session)))
        return {"state": session, **out}


def interpolate(ctx: Context, state: Session | None, n: Any, how: str, label: Any) -> Updates:
    session = ctx.session(state)
    if n is None:
        raise ValueError("frames: choose 2–32 frames")
    with session.lock:
        session.latent_class = int(label or 0)
        figure = session.interpolation_figure(int(n), how, _class(session))
        return {"state": session, "interp_plot": live_feed.stamped(figure)}


def _class(session: Session) -> int | None:
    return session.latent_class if session.trainer.conditional else None


# ---------------------------------------------------------------- save / load
def save(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    with session.lock:
        folder = Path(tempfile.mkdtemp(prefix="gan-ckpt-"))
        path = folder / f"gan-playground-it{session.trainer.iteration}.zip"
        zip_checkpoint(session.trainer, path, sampler=session.sampler, preset=session.preset)
    return {"state": session, "download": str(path)}


def sample(ctx: Context, state: Session | None, n: Any = 1000) -> Updates:
    session = ctx.session(state)
    if n is None or not 1 <= int(n) <= 100_000:
        raise ValueError("n: between 1 and 100000 samples")
    with session.lock:
        x, z, labels = session.trainer.sample(int(n), ema=session.use_ema)
    path = Path(tempfile.mkdtemp(prefix="gan-samples-")) / "samples.npz"
    arrays = {"x": x.numpy().astype(np.float32), "z": z.numpy().astype(np.float32)}
    if labels is not None:
        arrays["y"] = labels.numpy()
    np.savez(path, **arrays)
    return {"state": session, "download": str(path)}


def setup_of(ctx: Context, session: Session) -> dict[str, Any]:
    """What is on screen now, as a setup: the config, the preset it is measured against
    (the run's own, or the default for a run whose preset is unknown), the tour position
    only while a tour is being walked."""
    preset = session.preset if session.preset in ctx.presets else ctx.default_preset
    setup: dict[str, Any] = {"config": session.trainer.config.to_dict(), "preset": preset}
    if session.tour is not None:
        setup.update(tour=session.tour.name, tour_step=session.tour_step)
    return setup


def export(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    path = Path(tempfile.mkdtemp(prefix="gan-config-")) / "gan-playground-config.json"
    path.write_text(json.dumps(setup_of(ctx, session), indent=2))
    return {"state": session, "download": str(path)}


def load(ctx: Context, state: Session | None, path: str | None) -> Updates:
    if not path:
        return {}
    old = ctx.session(state)
    trainer, info = unzip_checkpoint(path, device=old.trainer.config.device)
    preset = info.get("preset") if info.get("preset") in ctx.presets else ""
    loaded = Session(trainer, preset=preset, sampler=info.get("sampler", "G"))
    session = old.successor(loaded)
    session.say("loaded_ckpt", iteration=trainer.iteration)
    return {"state": session, **render.everything(session, ctx.presets)}


# ---------------------------------------------------------------- lecture mode
def _narrate(session: Session) -> None:
    """Bring up the view the current sub-step talks about."""
    view = session.narration.view(session.sub_step)
    if view == "g":
        session.tab = "g"


def explain(ctx: Context, state: Session | None, seconds: Any) -> Updates:
    session = ctx.session(state)
    session.stop_autoplay()
    with session.lock:
        session.tour = None
        session.narration = lecture.narrate_iteration(session.trainer)
        session.sub_step = 0
        _narrate(session)
        session.say("explained", iteration=session.trainer.iteration)
        return {
            "state": session,
            **render.views(session),
            **render.lecture_views(session, float(seconds or 0)),
        }


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
        _narrate(session)
        return {
            "state": session,
            **render.views(session),
            **render.lecture_views(session, float(seconds or 0)),
        }


def auto_advance(ctx: Context, state: Session | None, seconds: Any) -> Updates:
    """A new auto-advance interval takes effect at once, also in the middle of a walk."""
    if state is None:
        return {}
    return {"lecture_timer": render.lecture_views(state, float(seconds or 0))["lecture_timer"]}


def set_language(ctx: Context, state: Session | None, name: str) -> Updates:
    session = ctx.session(state)
    session.language = LANGUAGE_NAMES.get(name, "en")
    with session.lock:
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
            "caption": session.lecture_text(),
            "layers": render.layers(session),
            "latent_axes": gr.update(
                choices=[(label_text("axes.z", lang), "z"), (label_text("axes.pca", lang), "pca")]
            ),
            "play_btn": label_text("pause" if session.playing else "play", lang),
        },
    )


def set_presenter(ctx: Context, state: Session | None, on: bool) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.presenter = bool(on)
        return {"state": session, **render.views(session)}


# ---------------------------------------------------------------- tours, links, config import
def start_tour(ctx: Context, state: Session | None, name: str) -> Updates:
    if name not in ctx.tours:
        raise ValueError(f"tour: unknown tour '{name}'")
    old = ctx.session(state)
    old.tour, old.narration = ctx.tours[name], None
    session = old.play_tour_step(0)
    return {"state": session, **render.everything(session, ctx.presets)}


def next_tour_step(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    if session.tour is None:
        raise ValueError("tour: pick a tour and click Start tour first")
    if session.tour_step + 1 >= len(session.tour.steps):
        done = "✅ " + text("tour.end", session.language)
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
    )
    origin = (
        request.headers.get("origin") or f"http://{request.headers.get('host', '127.0.0.1:7860')}"
    )
    return {"share_link": f"{origin}/?{query}"}


def import_config(ctx: Context, state: Session | None, path: str | None) -> Updates:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"config file: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("config file: expected a JSON object")
    config = GANConfig.from_dict(data.get("config", data))
    old = ctx.session(state)
    name = data.get("preset") if data.get("preset") in ctx.presets else old.preset
    session = old.fresh_run(config, preset=name)
    session.tour = None
    if data.get("tour") in ctx.tours:
        session = session.start_tour_at(ctx.tours[data["tour"]], int(data.get("tour_step", 0)))
    session.say("imported")
    return {"state": session, **render.everything(session, ctx.presets)}


def from_link(ctx: Context, request: gr.Request, language: str) -> Session | None:
    """The session a page URL asks for (?preset=…&seed=…&tour=…&step=…), if any."""
    setup = share.from_query(dict(request.query_params), ctx.default_preset)
    if setup is None:
        return None
    sampler = ctx.presets[setup.preset].sampler if setup.config.ema_decay > 0 else "G"
    session = Session(Trainer(setup.config), preset=setup.preset, sampler=sampler)
    session.language = language
    if setup.tour:
        if setup.tour not in ctx.tours:
            raise ValueError(f"link: unknown tour '{setup.tour}'")
        session = session.start_tour_at(ctx.tours[setup.tour], setup.step)
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
            session.say("bad_link", error=str(exc))
    session.owner = owner
    name = next(k for k, v in LANGUAGE_NAMES.items() if v == session.language)
    return {
        "state": session,
        "language": name,
        **render.merged(render.everything(session, ctx.presets), language_views(ctx, session)),
    }
