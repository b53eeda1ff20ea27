"""What moves while the user watches: autoplay (Play, its frames, Pause) and the latent
space (sliders, principal directions, interpolation)."""

from __future__ import annotations

import functools
import secrets
from typing import Any

import gradio as gr
import numpy as np

from playground.ui import live_feed, render
from playground.ui.handlers import Context, Updates, number, whole
from playground.ui.i18n import label_text
from playground.ui.latent_space import INTERP_FRAMES
from playground.ui.session import Session

SECONDARY_EVERY = 4


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
