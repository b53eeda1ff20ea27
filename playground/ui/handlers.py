"""What every button, slider and upload does. Each handler is a plain function of the
session (None before the tab's first event) and the inputs, and returns updates keyed by
component name (layout.py), with "state" for the session; app.py maps names to components.
They can be called without a browser or a server."""

from __future__ import annotations

import functools
import html
import json
import logging
import math
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from playground.engine import budget
from playground.engine.config import BOUNDS, GANConfig
from playground.engine.drawing import MAX_TEXT
from playground.engine.loaders import DataFormatError
from playground.io.presets import Preset, sampler_for
from playground.io import trained_starts
from playground.io.checkpoint import CheckpointError, unzip_checkpoint, zip_checkpoint
from playground.io.code_export import export_run
from playground.serving import play_worker
from playground.serving.served_files import resolve_data_name
from playground.teaching import lecture
from playground.teaching.compare import ComparisonSpec
from playground.teaching.tours import Tour
from playground.text import normalise_language, text
from playground.ui import live_feed, render, share
from playground.ui.i18n import label_text, relabel
from playground.ui.latent_space import INTERP_FRAMES
from playground.ui.layout import (
    CONTROL_FIELDS,
    CONTROL_NAMES,
    LANGUAGE_NAMES,
    TOOLBAR_BUTTONS,
    UPLOAD_KINDS,
    comparison_choices,
    tour_choices,
)
from playground.ui.player import AUTOPLAY_THREAD
from playground.ui.session import Session, budgeted_trainer, markdown_safe

Updates = dict[str, Any]
LOG = logging.getLogger(__name__)
SECONDARY_EVERY = 4


@dataclass
class Context:
    """What every handler may read: the shipped presets and tours, the preset a new tab
    starts on, the autoplay frame feed, and the components the language switch relabels."""

    default_preset: str
    presets: dict[str, Preset]
    tours: dict[str, Tour]
    comparisons: dict[str, ComparisonSpec] = field(default_factory=dict)
    feed: live_feed.FrameFeed | None = None
    steps: live_feed.FastSteps | None = None
    data_dir: Path | None = None  # the folder an operator serves (--data-dir), if any
    labelled: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    sessions: dict[str, Session] = field(default_factory=dict)  # browser session -> Session
    forget: Callable[[str], None] | None = None  # drops Gradio's own state of a closed tab

    def session(self, state: Session | None) -> Session:
        """This tab's session, built on its first event (or again, if it was freed when the
        tab's connection dropped while the page stayed open)."""
        if state is not None and state.trainer is not None:
            return state
        fresh = Session.from_preset(self.default_preset)
        if state is not None:
            fresh.language, fresh.owner = state.language, state.owner
            fresh.say("freed")
        return fresh

    def track(self, session: Session | None) -> None:
        """Remember which Session a browser tab holds, so closing the tab can free it."""
        if session is not None and session.owner:
            self.sessions[session.owner] = session

    def health(self) -> dict[str, int]:
        """Counts for an operator (and the tests): open tabs, playing tabs, autoplay threads,
        play worker processes alive and the runs they train."""
        threads = [t for t in threading.enumerate() if t.name == AUTOPLAY_THREAD]
        workers = play_worker.pool()
        alive = [w for w in workers.workers if w.alive] if workers is not None else []
        return {
            "sessions": len(self.sessions),
            "playing": sum(s.playing for s in list(self.sessions.values())),
            "autoplay_threads": len(threads),
            "play_workers": len(alive),
            "worker_runs": sum(len(w.runs) for w in alive),
        }


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn bad input into a gr.Error the user can act on; never a traceback. Messages can
    quote what a user typed, so they are escaped (Gradio renders them as HTML)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, DataFormatError, CheckpointError) as exc:
            raise gr.Error(html.escape(str(exc), quote=False)) from None
        except OverflowError:
            raise gr.Error("a number is too large for this field") from None
        except RecursionError:
            raise gr.Error("the input is nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 - never Gradio's generic text
            name = getattr(fn, "__name__", None) or getattr(fn, "func", fn).__name__  # partials
            LOG.exception("handler %s", name)
            what = name.strip("_").replace("_", " ")
            error = html.escape(f"{type(exc).__name__}: {exc}", quote=False)
            raise gr.Error(
                f"{what} failed: {error}. This tab's run is kept as it was; try again, or Reset."
            ) from None

    return wrapper


def whole(value: Any, name: str, low: int, high: int) -> int:
    """A whole number from a browser field, or ValueError naming the field and its range."""
    message = f"{name}: enter a whole number from {low} to {high}"
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, int):
        result = value
    else:
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise ValueError(message) from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise ValueError(message)
        result = int(as_float)
    if not low <= result <= high:
        raise ValueError(message)
    return result


def number(value: Any, name: str, low: float, high: float) -> float:
    """A finite number from a browser field, or ValueError naming the field and its range."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: enter a number from {low:g} to {high:g}") from None
    if not math.isfinite(result) or not low <= result <= high:
        raise ValueError(f"{name}: enter a number from {low:g} to {high:g}")
    return result


def config_from_controls(
    values: list[Any], base: GANConfig, data_file: Callable[[str], str]
) -> GANConfig:
    """The base config with the setup panel's values on top (fields without a control, such
    as a preset's ring std, are kept). The data file is a *name* the browser sent, turned into
    a server path by `data_file` (this tab's uploads or the served folder); the name of the
    run's own file keeps it."""
    data = dict(zip(CONTROL_NAMES, values, strict=True))
    for name, kind, _ in CONTROL_FIELDS:
        value = data[name]
        if kind == "text":
            data[name] = value if isinstance(value, str) else ""
            continue
        if value is None or value == "":
            raise ValueError(f"{name}: please enter a value")
        low, high = BOUNDS.get(name, (-(2**63), 2**63 - 1))
        if kind == "int":
            data[name] = whole(value, name, int(low), int(high))
        elif kind == "float":
            data[name] = number(value, name, -1e300, 1e300)
        elif kind == "bool":
            data[name] = bool(value)
        elif not isinstance(value, str):
            raise ValueError(f"{name}: choose one of the listed values")
    name = data["data_path"].strip()
    own = base.data_path and name == Path(base.data_path).name
    data["data_path"] = base.data_path if own else data_file(name)
    return GANConfig.from_dict({**base.to_dict(), **data})


def _data_file(ctx: Context, session: Session) -> Callable[[str], str]:
    return lambda name: resolve_data_name(name, session.uploads, ctx.data_dir)


# ---------------------------------------------------------------- stepping
def _advance(session: Session, action: str, n: tuple[Any, ...]) -> None:
    """Carry out Step D / Step G / Step / Run N (N checked against this setup's limit); the
    caller holds the session's lock."""
    if action == "run":
        n = (whole_n(session, n[0]),)
    session.narration = None
    getattr(session, action)(*(int(v) for v in n))


def whole_n(session: Session, value: Any) -> int:
    """Run N's N: a whole number within this setup's limit, or ValueError saying the range."""
    limit = session.run_limit()
    try:
        float(value)
    except (TypeError, ValueError):
        raise ValueError("N: enter a number") from None
    try:
        return whole(value, "N", 1, limit)
    except ValueError:
        raise ValueError(
            f"N: run between 1 and {limit} iterations (this setup's limit: about "
            f"{budget.RUN_SECONDS:.0f} s of training; Play runs longer)"
        ) from None


def step(ctx: Context, action: str, in_browser: bool, state: Session | None, *n: Any) -> Updates:
    """Step D / Step G / Step / Run N. In the browser the figures travel as one JSON string
    for the page to draw in place ("live"); API clients get the figures themselves."""
    session = ctx.session(state)
    with session.lock:
        _advance(session, action, n)
        if not in_browser:
            return {"state": session, **render.api_views(session)}
        plots: dict[str, Any] = {}
        out = render.views(session, live=plots)
        return {"state": session, **out, "live": live_feed.encode(plots)}


def run_n(
    ctx: Context,
    state: Session | None,
    n: Any,
    progress: Any = gr.Progress(),  # noqa: B008
) -> Updates:
    """Run N in the browser: a progress bar while it trains, and Stop (stop_run) ends it
    after the iteration under way, keeping what ran."""
    session = ctx.session(state)
    with session.lock:
        n = (whole_n(session, n),)
        session.narration = None
        total = n[0]
        lang = session.language

        def tell(done: int) -> None:
            progress((done, total), desc=text("progress.run", lang, done=done, n=total))

        session.run(total, tell)
        plots: dict[str, Any] = {}
        out = render.views(session, live=plots)
        return {"state": session, **out, "live": live_feed.encode(plots)}


def stop_run(ctx: Context, state: Session | None) -> Updates:
    """Stop: ends a Run N under way (it holds the session's lock, so this does not wait)."""
    if state is not None:
        state.stop_run()
    return {}


def fast_step(ctx: Context, owner: str, action: str) -> str | None:
    """A step the page asked for over live_feed.FastSteps: the status line and the visible
    figures as JSON, or None when the tab has no run or its run stays busy (the page then
    clicks through Gradio). after_fast_step brings the rest up to date."""
    session = ctx.sessions.get(owner)
    if session is None or session.trainer is None or action not in live_feed.STEP_ACTIONS:
        return None
    if not session.lock.acquire(timeout=live_feed.STEP_WAIT):
        return None
    try:
        _advance(session, action, ())
        feed = {"status": session.status_html(), "figures": render.figures(session)}
        return live_feed.encode(feed)
    finally:
        session.lock.release()


def after_fast_step(ctx: Context, state: Session | None) -> Updates:
    """What a fast step leaves to Gradio: the timeline, the summary, the open tab's text."""
    session = ctx.session(state)
    with session.lock:
        return {"state": session, **render.step_texts(session, status_line=False)}


def reset(ctx: Context, state: Session | None, *values: Any) -> Updates:
    old = ctx.session(state)
    config = config_from_controls(list(values), old.trainer.config, _data_file(ctx, old))
    session = old.fresh_run(config)
    session.tour = None
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
    config = config_from_controls(list(values), current.trainer.config, _data_file(ctx, current))
    session = current.reconfigure(config)
    return {"state": session, **render.views(session), **render.latent_views(session)}


def choose_preset(ctx: Context, state: Session | None, name: str, trained: bool = False) -> Updates:
    """A fresh run of preset `name`; `trained`: from its shipped trained weights, where it
    has them (the status line says when it has none)."""
    if name not in ctx.presets:
        raise ValueError(f"preset: unknown preset '{name}'")
    old = ctx.session(state)
    ships_start = trained and trained_starts.available(name)
    fresh = Session.from_preset(name, trained=ships_start, device=old.trainer.config.device)
    session = old.successor(fresh)
    if fresh.trained:
        session.say("loaded_trained", name=name, iteration=fresh.trainer.iteration)
    elif trained:
        session.say("no_trained_start", name=name)
    else:
        session.say("loaded_preset", name=name)
    return {"state": session, **render.everything(session, ctx.presets)}


def uploaded(ctx: Context, state: Session | None, path: str | None) -> Updates:
    """Remember the upload in this tab under its file name; the setup panel shows the name,
    never the server path, and only this tab can train on it."""
    if not path:
        return {}
    name = Path(path).name
    kind = UPLOAD_KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise ValueError(f"upload: {name} is not a .csv, .npy, .npz or .idx file")
    session = ctx.session(state)
    session.uploads[name] = Path(path)
    return {"state": session, "ctl.dataset": kind, "ctl.data_path": name}


def rewind(ctx: Context, state: Session | None, iteration: Any) -> Updates:
    session = ctx.session(state)
    if iteration is None:
        raise ValueError("timeline: choose an iteration")
    with session.lock:
        session.rewind(whole(iteration, "timeline", 0, 2**63 - 1))
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
def build_frame(session: Session) -> str | None:
    """One autoplay frame of the visible figures, every redraw_every-th time it is due (the
    player thread calls this between training chunks, or after it took on the play worker's
    state, holding the session's lock)."""
    player = session.player
    player.frames += 1
    if player.frames % player.redraw_every:
        return None
    # the main screen every frame; a secondary tab (below the fold at 1280×720) every
    # SECONDARY_EVERY-th, so the plots in view keep their frame rate
    secondary = player.frames % (SECONDARY_EVERY * player.redraw_every) == 0
    figures = render.figures(session, secondary)
    return live_feed.encode({"playing": True, "status": session.status_html(), "figures": figures})


def live_frame(session: Session) -> str | None:
    """The page's frame request: the newest frame the player built (see Player.take_frame)."""
    return session.player.take_frame()


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
    session.player.redraw_every = whole(every or 1, "redraw every", 1, 20)
    per_tick = whole(n or 1, "iterations per tick", 1, 200)
    session.start_autoplay(
        per_tick * live_feed.FRAMES_PER_SECOND,
        frame=functools.partial(build_frame, session),
        frames_per_second=live_feed.FRAMES_PER_SECOND,
    )
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
    """While playing, every 2 s (the timer): the status line (frames bring it more often), the
    open batch table; the controls' values reach the player. Once the run has stopped (the
    guard caught a diverging run): autoplay off."""
    session = ctx.session(state)
    if not session.playing:
        return {"state": session, **stop(ctx, session, paused=False)}
    try:
        session.player.rate = whole(n, "", 1, 200) * live_feed.FRAMES_PER_SECOND
        session.player.redraw_every = whole(every, "", 1, 20)
    except ValueError:
        pass  # a half-typed value: keep playing at the last good one
    with session.lock:
        out = {"state": session, "status": render.status(session)}
        if session.tab == "table":
            out["batch_table"] = render.table(session)
        return out


# ---------------------------------------------------------------- latent space
def move_sliders(ctx: Context, state: Session | None, label: Any, *values: Any) -> Updates:
    session = ctx.session(state)
    z = [number(v, "latent sliders", -3, 3) for v in values]
    with session.lock:
        _pick_class(session, label)
        figure = session.latent_figure(z, _class(session))
        return {"state": session, "latent_plot": live_feed.stamped(figure)}


def randomise(ctx: Context, which: str, state: Session | None, label: Any) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.randomise_end(which, int(np.random.default_rng().integers(2**31 - 1)))
        return {"state": session, **_sliders_anew(session)}


def set_latent_axes(ctx: Context, state: Session | None, axes: str, label: Any) -> Updates:
    session = ctx.session(state)
    with session.lock:
        session.set_latent_axes(axes)
        return {"state": session, **_sliders_anew(session)}


def _sliders_anew(session: Session) -> Updates:
    """The sliders reset to the session's new end A or axes, and G(z) for them."""
    session.latent_values = None
    out = render.latent_views(session)
    out.pop("class_pick")
    out["latent_plot"] = live_feed.stamped(session.latent_figure(label=_class(session)))
    return out


def interpolate(ctx: Context, state: Session | None, n: Any, how: str, label: Any) -> Updates:
    session = ctx.session(state)
    frames = whole(n, "frames", *INTERP_FRAMES)
    if how not in ("lerp", "slerp"):
        raise ValueError("path: choose lerp or slerp")
    with session.lock:
        _pick_class(session, label or 0)
        figure = session.interpolation_figure(frames, how, _class(session))
        return {"state": session, "interp_plot": live_feed.stamped(figure)}


def _pick_class(session: Session, label: Any) -> None:
    """The class picker's value, checked against the run's classes."""
    top = max(session.trainer.num_classes - 1, 0)
    session.latent_class = whole(label, "class", 0, top)


def _class(session: Session) -> int | None:
    return session.latent_class if session.trainer.conditional else None


# ---------------------------------------------------------------- save / load
def session_folder(session: Session) -> Path:
    """This tab's folder for downloads: one per session, removed when the session is freed
    (a new download replaces the last of its kind)."""
    if session.workdir is None or not session.workdir.is_dir():
        session.workdir = Path(tempfile.mkdtemp(prefix="gan-session-"))
    return session.workdir


def tab_closed(ctx: Context, request: gr.Request) -> None:
    """demo.unload: the page is gone; free its session now rather than at the state's TTL."""
    owner = getattr(request, "session_hash", None)
    free(ctx.sessions.pop(owner, None) if owner else None)
    if owner and ctx.steps is not None:
        ctx.steps.forget(owner)
    if owner and ctx.forget is not None:
        ctx.forget(owner)


def free(session: Session | None) -> None:
    """A closed or expired tab: autoplay stopped, the trainer dropped, its files removed."""
    if session is None:
        return
    session.stop_autoplay()
    session.trainer = None  # type: ignore[assignment]
    if session.workdir is not None:
        shutil.rmtree(session.workdir, ignore_errors=True)
        session.workdir = None


def save(ctx: Context, state: Session | None) -> Updates:
    session = ctx.session(state)
    with session.lock:
        path = session_folder(session) / f"gan-playground-it{session.trainer.iteration}.zip"
        zip_checkpoint(session.trainer, path, sampler=session.sampler, preset=session.preset)
    return {"state": session, "download": str(path)}


def sample(ctx: Context, state: Session | None, n: Any = 1000) -> Updates:
    session = ctx.session(state)
    n = whole(n, "n", 1, 100_000)
    with session.lock:
        x, z, labels = session.trainer.sample(n, ema=session.use_ema)
    path = session_folder(session) / "samples.npz"
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
    path = session_folder(session) / "gan-playground-config.json"
    path.write_text(json.dumps(setup_of(ctx, session), indent=2))
    return {"state": session, "download": str(path)}


def export_code(ctx: Context, state: Session | None, with_weights: Any = False) -> Updates:
    """This run as a PyTorch script and notebook (plus its data file, and its weights when
    asked), zipped for download; comments in the tab's language."""
    session = ctx.session(state)
    preset = ctx.presets.get(session.preset)
    with session.lock:
        trainer = session.trainer
        exported = export_run(
            trainer.config,
            trainer.dataset,
            steps=preset.steps if preset else max(trainer.iteration, 2000),
            sampler=session.sampler,
            title=preset.title_in(session.language) if preset else trainer.config.dataset,
            language=session.language,
            weights=trainer.weights() if with_weights is True else None,
            from_iteration=trainer.iteration if with_weights is True else 0,
        )
    path = session_folder(session) / f"{exported.name}.zip"
    path.write_bytes(exported.zip_bytes())
    return {"state": session, "download": str(path)}


def load(ctx: Context, state: Session | None, path: str | None) -> Updates:
    if not path:
        return {}
    old = ctx.session(state)
    trainer, info = unzip_checkpoint(path, device=old.trainer.config.device, read_data_files=False)
    preset = info.get("preset") if info.get("preset") in ctx.presets else ""
    loaded = Session(trainer, preset=preset, sampler=info.get("sampler", "G"))
    session = old.successor(loaded)
    session.say("loaded_ckpt", iteration=trainer.iteration)
    return {"state": session, **render.everything(session, ctx.presets)}


# ---------------------------------------------------------------- lecture mode
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
        _advance(session, action, n)
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
