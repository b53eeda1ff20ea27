"""The fast path for plots, around Gradio's component updates.

Two costs of the page made clicks slow and autoplay choppy on the 2-core machine:
- gr.Plot re-creates its Plotly chart from scratch for every new value (and draws it twice);
- every Gradio event makes the page refresh the loading state of every component any event
  has ever touched (60 to 100 here), ~40 ms a tick however few outputs the event has.

So the step buttons send the open tab's figures as one JSON string, which a few lines of
JavaScript hand to Plotly.react on the plots already on screen (only what changed is redrawn);
and while playing, the page fetches frames of the open tab's figures from a plain HTTP route
at FRAMES_PER_SECOND, outside Gradio's event machinery. A frame is served only to the tab that
holds its session's token (unguessable, dropped on pause). Every other event (tab switch,
reset, pause, gradio_client calls) still goes through gr.Plot.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import weakref
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
from fastapi import FastAPI
from fastapi.responses import Response
from plotly.io.json import to_json_plotly

FRAMES_PER_SECOND = 10
ROUTE = "/playground/frame/{token}"

# Draws {elem_id: figure} into the plots on screen. window.Plotly is the copy Gradio's Plot
# component loaded for the first plot on the page. Each plot is drawn at its current width (no
# measuring pass); the width is then dropped from its layout so that resizing the window
# still resizes the plot.
_DRAW = """
const draw = (figures) => {
    if (!figures || !window.Plotly) return;
    for (const [id, fig] of Object.entries(figures)) {
        const plot = document.querySelector('#' + id + ' .js-plotly-plot');
        if (!plot || !plot._fullLayout) continue;
        const layout = {...fig.layout, width: plot._fullLayout.width, autosize: true};
        window.Plotly.react(plot, fig.data, layout).then(() => { delete plot.layout.width; });
    }
};"""

# After a step button's event: draw the figures it sent.
DRAW_JS = "(feed) => {" + _DRAW + "\n    if (feed) draw(JSON.parse(feed));\n    return [];\n}"

# After Play: fetch and draw frames until the token changes (Pause) or the server says the run
# stopped. A request goes out every 1/FRAMES_PER_SECOND s while fewer than two are on their
# way, so the server builds the next frame while the page draws this one; a frame that arrives
# after a newer one is dropped. Twenty failed requests in a row (server gone) end the loop.
PLAY_JS = (
    "(token) => {"
    + _DRAW
    + """
    if (!token) return [];
    window.__playgroundFeed = token;
    const url = new URL('playground/frame/' + token, document.baseURI);
    let sent = 0, drawn = 0, travelling = 0, failures = 0;
    const live = () => window.__playgroundFeed === token;
    const ask = () => {
        const seq = ++sent;
        travelling += 1;
        fetch(url, {cache: 'no-store'})
            .then((response) => response.json())
            .then((frame) => {
                travelling -= 1;
                failures = 0;
                if (!live()) return;  // paused while the frame travelled
                if (!frame.playing) {
                    window.__playgroundFeed = null;
                } else if (seq > drawn) {
                    drawn = seq;
                    draw(frame.figures);
                }
            })
            .catch(() => {
                travelling -= 1;
                failures += 1;
            });
    };
    const clock = () => {
        if (!live() || failures >= 20) return;
        if (travelling < 2) ask();
        setTimeout(clock, 1000 / FRAMES_PER_SECOND);
    };
    clock();
    return [];
}"""
).replace("FRAMES_PER_SECOND", str(FRAMES_PER_SECOND))

# On every Play/Pause click, before the server hears of it: no frame is drawn after this.
STOP_JS = "() => { window.__playgroundFeed = null; return []; }"

_paints = itertools.count()


def encode(figures: dict[str, dict[str, Any]]) -> str:
    """Figures (Plotly JSON dicts keyed by the plot's elem_id) as one string."""
    return to_json_plotly(figures) if figures else ""


def stamped(figure: go.Figure) -> go.Figure:
    """The figure with a serial number no other figure has. gr.Plot skips a value equal to the
    one it holds, and after fast-path drawings the one it holds is no longer what is on screen
    (step, then rewind to the state before it): the stamp makes it draw."""
    figure.layout.meta = {"paint": next(_paints)}
    return figure


class FrameFeed:
    """Autoplay frames over plain HTTP: which token belongs to which session, and the route.

    Sessions are held weakly: a closed tab's session goes away with Gradio's state."""

    def __init__(self, frame: Callable[[Any], dict[str, Any]]) -> None:
        self._frame = frame  # session -> {"playing": bool, "figures": {elem_id: figure}}
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

    def respond(self, token: str) -> Response:
        with self._lock:
            session = self._sessions.get(token)
        if session is None:
            return Response('{"playing": false}', status_code=404, media_type="application/json")
        body = to_json_plotly(self._frame(session))
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    def mount(self, app: FastAPI) -> None:
        """Serve frames at ROUTE on the app Gradio launched."""
        app.add_api_route(ROUTE, self.respond, methods=["GET"], include_in_schema=False)
