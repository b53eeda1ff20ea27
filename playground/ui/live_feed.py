"""The fast path for plots, around Gradio's component updates.

Two costs of the page made clicks slow and autoplay choppy on the 2-core machine:
- gr.Plot re-creates its Plotly chart from scratch for every new value (and draws it twice);
- every Gradio event makes the page refresh the loading state of every component any event
  has ever touched (60 to 100 here), ~40 ms a tick however few outputs the event has.

So the step buttons send the visible figures as one JSON string, which a few lines of
JavaScript hand to Plotly.react on the plots already on screen (only what changed is redrawn);
and while playing, the page fetches frames of the visible figures from a plain HTTP route
at FRAMES_PER_SECOND, outside Gradio's event machinery (the player thread builds them between
training chunks; the route only hands over the newest). A frame is served only to the tab that
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

import plotly.graph_objects as go
from fastapi import FastAPI
from fastapi.responses import Response
from plotly.io.json import to_json_plotly

FRAMES_PER_SECOND = 10
ROUTE = "/playground/frame/{token}"
FRAME_WAIT = 0.5  # a frame request waits this long for the player's next frame
EMPTY_FRAME = '{"playing": true, "figures": {}}'  # nothing new within FRAME_WAIT

# The page side lives in assets/js/playground.js; events call it by these one-liners.
DRAW_JS = "(feed) => { if (feed) window.playground.draw(JSON.parse(feed)); return []; }"
PLAY_JS = "(token) => { window.playground.play(token); return []; }"
STOP_JS = "() => { window.playground.stop(); return []; }"  # before the server hears of it
HTML_KEY = "__html__"  # in a feed: {elem_id: markup} for HTML views instead of plots

_paints = itertools.count()


def encode(figures: dict[str, Any]) -> str:
    """Figures (Plotly JSON dicts keyed by the plot's elem_id) as one string."""
    return to_json_plotly(figures) if figures else ""


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
