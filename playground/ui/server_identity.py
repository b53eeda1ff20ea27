"""Which server process a page was loaded from, so a page that outlived its server says so.

A tab's run lives in the memory of the process that served its page. When that process
restarts, or a replica behind a load balancer dies and the balancer sends the tab elsewhere,
the tab's next click reaches a process that has never seen it. Without a word, it would get
a fresh run at iteration 0 and the lecture's run would be gone unexplained.

Each process draws a random identity at start. Loading the page (and gradio_client's first
request, /config) sets it as a cookie; an event (a Gradio event, the REST API, the page's fast
step) from a page that carries another process's identity is answered with 410 and "the
server restarted: reload the page", which Gradio's page shows as an error and gradio_client
raises. Pages and clients without the cookie (a fresh script) are served as before.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from playground.text import normalise_language, text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BOOT = secrets.token_hex(8)  # this process's identity
COOKIE_PREFIX = "playground_server_"
EVENT_PATHS = ("/queue/join", "/call/", "/playground/step/")  # POSTs that act on a tab's run


def cookie_name(headers: Any) -> str:
    """One cookie per address the browser sees (host:port): cookies ignore ports, and two
    playgrounds on one host must not read each other's identity."""
    host = headers.get("host", "")
    port = host.rsplit(":", 1)[1] if ":" in host.split("]")[-1] else "default"
    return COOKIE_PREFIX + "".join(c for c in port if c.isalnum())


def restarted_message(headers: Any) -> str:
    language = normalise_language(headers.get("accept-language", "").split(",")[0].strip())
    return text("msg.server_restarted", language)


class ServerIdentity:
    """ASGI middleware: sets the identity cookie on the page and on /config; refuses events
    from a page another process served."""

    def __init__(self, app: ASGIApp, boot: str = BOOT) -> None:
        self.app, self.boot = app, boot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        name = cookie_name(request.headers)
        path = scope.get("path", "")
        if scope["method"] == "POST" and any(part in path for part in EVENT_PATHS):
            seen = request.cookies.get(name)
            if seen and seen != self.boot:
                message = restarted_message(request.headers)
                refused = JSONResponse({"detail": message, "error": message}, status_code=410)
                await refused(scope, receive, send)
                return
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        is_config = path.rstrip("/").endswith("/config")
        cookie = f"{name}={self.boot}; Path=/; SameSite=Lax; HttpOnly".encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = dict(headers).get(b"content-type", b"")
                if is_config or kind.startswith(b"text/html"):
                    headers.append((b"set-cookie", cookie))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)
