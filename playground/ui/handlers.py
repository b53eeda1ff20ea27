"""What every button, slider and upload does. Each handler is a plain function of the
session (None before the tab's first event) and the inputs, and returns updates keyed by
component name (layout.py), with "state" for the session; app.py maps names to components.
They can be called without a browser or a server."""

from __future__ import annotations

import functools
import html
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from playground.engine import budget
from playground.engine.config import KIND_ONLY_FIELDS, GANConfig, kind_of
from playground.engine.loaders import DataFormatError
from playground.io import trained_starts
from playground.io.checkpoint import CheckpointError
from playground.io.presets import Preset
from playground.serving import play_worker
from playground.serving.served_files import resolve_data_name
from playground.teaching.compare import ComparisonSpec
from playground.teaching.tours import Tour
from playground.text import text
from playground.ui import live_feed, render
from playground.ui.i18n import label_text
from playground.ui.layout import (
    CONTROL_FIELDS,
    CONTROL_NAMES,
    UPLOAD_KINDS,
)
from playground.ui.player import AUTOPLAY_THREAD
from playground.ui.session import Session

Updates = dict[str, Any]
LOG = logging.getLogger(__name__)


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


def whole(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number from a browser field, or ValueError naming the field (and its range,
    where the caller checks one; a setup field's range is GANConfig's to check)."""
    bounded = low is not None and high is not None
    message = f"{name}: enter a whole number" + (f" from {low} to {high}" if bounded else "")
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
    if bounded and not low <= result <= high:
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
        if kind == "int":  # a whole number here; its bounds are GANConfig's to check
            data[name] = whole(value, name)
        elif kind == "float":
            data[name] = number(value, name, -1e300, 1e300)
        elif kind == "bool":
            data[name] = bool(value)
        elif not isinstance(value, str):
            raise ValueError(f"{name}: choose one of the listed values")
    name = data["data_path"].strip()
    own = base.data_path and name == Path(base.data_path).name
    data["data_path"] = base.data_path if own else data_file(name)
    merged = {**base.to_dict(), **data}
    kind = kind_of(merged["dataset"])
    for key, only in KIND_ONLY_FIELDS.items():
        # moving mnist's setup to ring8 should not fail on the clusters it kept from mnist
        if only != kind and merged[key] == getattr(base, key):
            merged[key] = getattr(GANConfig, key)
    return GANConfig.from_dict(merged)


def _data_file(ctx: Context, session: Session) -> Callable[[str], str]:
    return lambda name: resolve_data_name(name, session.uploads, ctx.data_dir)


# ---------------------------------------------------------------- stepping
def advance(session: Session, action: str, n: tuple[Any, ...]) -> None:
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
        advance(session, action, n)
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
        advance(session, action, ())
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
