"""The fast path for plots, around Gradio's component updates.

Two costs of the page made clicks slow and autoplay choppy on the 2-core machine:
- gr.Plot re-creates its Plotly chart from scratch for every new value (and draws it twice);
- every Gradio event makes the page refresh the loading state of every component any event
  has ever touched, however few outputs the event has (docs/benchmarks.md).

So the step buttons send the visible figures as one JSON string, which a few lines of
JavaScript hand to Plotly.react on the plots already on screen (only what changed is redrawn);
and while playing, the page fetches frames of the visible figures from a plain HTTP route
at FRAMES_PER_SECOND, outside Gradio's event machinery (the player thread builds them, from
the run or from its copy of a run that trains in a play worker; the route only hands over the
newest). A frame is served only to the tab that
holds its session's token (unguessable, dropped on pause). Every other event (tab switch,
reset, pause, gradio_client calls) still goes through gr.Plot.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import anyio
import numpy as np
import orjson
import plotly.graph_objects as go
from fastapi import FastAPI
from fastapi.responses import Response

FRAMES_PER_SECOND = 10
ROUTE = "/playground/frame/{token}"
STEP_ROUTE = "/playground/step/{token}/{action}"
STEP_ACTIONS = ("step_d", "step_g", "step")  # the page's one-click steps (Run N stays in Gradio)
STEP_THREADS = 8  # fast steps of all tabs running at once; more wait (as in Gradio's queue)
STEP_WAIT = 5.0  # a step waits this long for its tab's run to be free, then is refused
STEP_TOKENS = 10_000  # tokens kept (a tab whose close went unheard leaves one); oldest go first
FRAME_WAIT = 0.5  # a frame request waits this long for the player's next frame
EMPTY_FRAME = '{"playing": true, "figures": {}}'  # nothing new within FRAME_WAIT

# The page side lives in assets/js/playground.js; events call it by these one-liners.
DRAW_JS = "(feed) => { if (feed) window.playground.draw(JSON.parse(feed)); return []; }"
PLAY_JS = "(token) => { window.playground.play(token); return []; }"
PAGE_JS = "(token) => { window.playground.ready(token); return []; }"
STOP_JS = "() => { window.playground.stop(); return []; }"  # before the server hears of it
HTML_KEY = "__html__"  # in a feed: {elem_id: markup} for HTML views instead of plots

_paints = itertools.count()


def encode(figures: dict[str, Any]) -> str:
    """Figures (Plotly JSON dicts keyed by the plot's elem_id) as one string. orjson writes
    NumPy arrays itself (NaN, the gaps in a line trace, as null, which Plotly reads as a gap),
    several times faster than Plotly's own encoder, which spends its time converting arrays."""
    if not figures:
        return ""
    return orjson.dumps(figures, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain).decode()


def _plain(value: Any) -> Any:
    """What orjson cannot write by itself: sliced (non-contiguous) arrays and NumPy scalars."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__}")


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """The figure's traces and layout as it holds them, for `encode`: the figures are built
    from plain dicts without validation (figures.py), so this skips to_plotly_json's deep
    copy and its walk over every list. Reads plotly's own
    storage (`_data`, `_layout`), which plotly==7.1 (pinned) keeps as plain dicts."""
    return {"data": figure._data, "layout": figure._layout}


def stamp_html(markup: str) -> str:
    """HTML with a serial number, for the same reason as `stamped`."""
    return f'<div class="paint" data-paint="{next(_paints)}" hidden></div>{markup}'


def stamped(figure: go.Figure) -> go.Figure:
    """The figure with a serial number no other figure has. gr.Plot skips a value equal to the
    one it holds, and after fast-path drawings the one it holds is no longer what is on screen
    (step, then rewind to the state before it): the stamp makes it draw."""
    figure.layout.meta = {"paint": next(_paints)}
    return figure


class FrameFeed:
    """Autoplay frames over plain HTTP: which token belongs to which session, and the route.

    Sessions are held weakly: a closed tab's session goes away with Gradio's state."""

    def __init__(self, frame: Callable[[Any], str | None]) -> None:
        # session -> JSON of {"playing": bool, "figures": {elem_id: ...}}, or None: none new
        self._frame = frame
        self._sessions: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    def open(self, session: Any) -> str:
        """A new token that serves this session's frames."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._sessions[token] = session
        return token

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    async def respond(self, token: str) -> Response:
        """The newest frame the session's player thread built, as soon as there is one (up to
        FRAME_WAIT s). Waiting happens on the event loop, not in a worker thread: a class of
        playing tabs would otherwise hold most of the threads Gradio's events run in."""
        with self._lock:
            session = self._sessions.get(token)
        if session is None:
            return Response('{"playing": false}', status_code=404, media_type="application/json")
        deadline = time.monotonic() + FRAME_WAIT
        while (body := self._frame(session)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        headers = {"Cache-Control": "no-store"}
        return Response(body or EMPTY_FRAME, media_type="application/json", headers=headers)

    def mount(self, app: FastAPI) -> None:
        """Serve frames at ROUTE on the app Gradio launched."""
        app.add_api_route(ROUTE, self.respond, methods=["GET"], include_in_schema=False)


class FastSteps:
    """Step D / Step G / Step from the page over plain HTTP, outside Gradio's events: a Gradio
    event costs the page work before its request leaves and more refreshing the loading
    state of every component afterwards, most of a click's time (bench/ui_speed.py,
    docs/benchmarks.md). The
    page posts to STEP_ROUTE, draws the answer (the status line and the visible figures) in
    place, then fires a Gradio event that brings the rest (timeline, summary, the open tab's
    text) up to date. A token stands for one tab and is handed to that tab only (first
    paint); it reaches the tab's current run through `step`, so it survives preset changes."""

    def __init__(self, step: Callable[[str, str], str | None]) -> None:
        # step(owner, action) -> JSON for the page, or None: no such tab (any more)
        self._step = step
        self._owners: dict[str, str] = {}  # token -> the tab (Gradio's session hash)
        self._running: set[str] = set()  # tokens with a step under way
        self._lock = threading.Lock()
        self._limiter: anyio.CapacityLimiter | None = None  # made on the event loop

    def open(self, owner: str) -> str:
        """A new token for this tab (a reload is a new tab, with a token of its own)."""
        token = secrets.token_urlsafe(16)
        with self._lock:
            while len(self._owners) >= STEP_TOKENS:  # a dropped one's steps go through Gradio
                del self._owners[next(iter(self._owners))]
            self._owners[token] = owner
        return token

    def forget(self, owner: str) -> None:
        """The tab closed: its tokens serve nothing any more."""
        with self._lock:
            for token in [t for t, o in self._owners.items() if o == owner]:
                del self._owners[token]

    async def respond(self, token: str, action: str) -> Response:
        """Run the step in a worker thread (at most STEP_THREADS at once, one per tab, so that
        one tab's flood of requests cannot hold the threads) and answer with what the page
        draws; 404 for an unknown token or action, 409 while the tab's last step runs or its
        run stays busy (the page then clicks through Gradio, which queues it fairly and shows
        any error as usual)."""
        with self._lock:
            owner = self._owners.get(token) if action in STEP_ACTIONS else None
            busy = token in self._running
            if owner is not None and not busy:
                self._running.add(token)
        if owner is None:
            return Response('{"error": "unknown"}', status_code=404, media_type="application/json")
        if busy:
            return Response('{"error": "busy"}', status_code=409, media_type="application/json")
        try:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(STEP_THREADS)
            body = await anyio.to_thread.run_sync(self._step, owner, action, limiter=self._limiter)
        finally:
            self._done(token)
        if body is None:
            return Response('{"error": "busy"}', status_code=409, media_type="application/json")
        headers = {"Cache-Control": "no-store"}
        return Response(body, media_type="application/json", headers=headers)

    def _done(self, token: str) -> None:
        with self._lock:
            self._running.discard(token)

    def mount(self, app: FastAPI) -> None:
        """Serve steps at STEP_ROUTE (POST) on the app Gradio launched."""
        app.add_api_route(STEP_ROUTE, self.respond, methods=["POST"], include_in_schema=False)
