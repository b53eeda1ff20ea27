"""Three replicas behind HAProxy (deploy/serve.py), and 30 browser-like sessions through it.

Each session is an HTTP client that keeps cookies the way a browser does: it loads the page,
then calls the app's named endpoints over Gradio's REST API (/gradio_api/call/<name>) with its
own session hash. The checks: every session's summaries are its own, the sessions are spread
over all three replicas, and when one replica is killed its sessions are told the server
restarted (and to reload) while the others train on untouched; a reload starts afresh."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from playground.io.presets import preset_names

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 30


def _free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1."""
    for base in range(23000, 60000, 97):
        sockets = []
        try:
            for port in range(base, base + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise AssertionError("no free ports")


class Tab:
    """One browser tab: a cookie jar, a session hash, and calls to named endpoints."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=180)
        self.load()

    def load(self) -> None:
        """Open (or reload) the page: the proxy's and the server's cookies come with it."""
        self.hash = uuid.uuid4().hex[:11]
        self.http.get("/").raise_for_status()

    @property
    def replica(self) -> str:
        return self.http.cookies.get("PLAYGROUND_REPLICA", "")

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A POST, sent again once if a kept-alive connection turns out closed before any
        answer, as a browser does."""
        try:
            return self.http.post(path, json=body)
        except httpx.RemoteProtocolError:
            return self.http.post(path, json=body)

    def call(self, api: str, *data: Any) -> dict[str, Any] | str:
        """The endpoint's summary, or the error message the user would read."""
        sent = self.post(f"/gradio_api/call/{api}", {"data": list(data), "session_hash": self.hash})
        if sent.status_code != 200:
            try:
                return str(sent.json().get("detail"))
            except ValueError:
                return f"{sent.status_code}: {sent.text[:200]}"
        answer = self.http.get(f"/gradio_api/call/{api}/{sent.json()['event_id']}")
        event, payload = None, None
        for line in answer.text.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("complete", "error"):
                payload = json.loads(line[6:])
        if event != "complete":
            return str(payload)
        return next(item for item in payload if isinstance(item, dict) and "iteration" in item)


def _start(port: int, first: int) -> tuple[subprocess.Popen, dict[str, int]]:
    """deploy/serve.py with 3 replicas; returns it and {replica name: pid} once it serves."""
    serve = subprocess.Popen(
        [sys.executable, "deploy/serve.py", "--replicas", "3", "--port", str(port),
         "--first-port", str(first)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    pids: dict[str, int] = {}
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        line = serve.stdout.readline()
        if not line:
            raise AssertionError(f"serve.py exited with code {serve.wait()}")
        if found := re.match(r"replica (r\d) at \S+ \(pid (\d+)\)", line):
            pids[found[1]] = int(found[2])
        if line.startswith("serving 3 replicas"):
            return serve, pids
    raise AssertionError("serve.py did not start within 400 s")


def test_three_replicas_keep_sessions_apart_and_a_dead_one_says_reload() -> None:
    port = _free_ports(4)  # the proxy, then the three replicas
    serve, pids = _start(port, port + 1)
    try:
        url = f"http://127.0.0.1:{port}"
        presets = [p for p in preset_names() if p != "lr-too-high"]  # it diverges at once
        tabs = [Tab(url) for _ in range(SESSIONS)]
        wanted = {i: (presets[i % len(presets)], 1 + i % 3) for i in range(SESSIONS)}

        def work(i: int) -> dict[str, Any] | str:
            preset, steps = wanted[i]
            loaded = tabs[i].call("preset", preset, False)  # name, trained start
            if isinstance(loaded, str):
                return loaded
            for _ in range(steps):
                summary = tabs[i].call("step")
                if isinstance(summary, str):
                    return summary
            return summary

        with ThreadPoolExecutor(10) as pool:
            summaries = list(pool.map(work, range(SESSIONS)))
        for i, summary in enumerate(summaries):
            assert isinstance(summary, dict), f"session {i}: {summary}"
            assert (summary["preset"], summary["iteration"]) == wanted[i], f"session {i}"
        replicas = {tab.replica for tab in tabs}
        assert replicas == {"r1", "r2", "r3"}, replicas
        spread = sorted(sum(tab.replica == r for tab in tabs) for r in replicas)
        assert spread[0] >= 5, f"sessions per replica: {spread}"

        before = [tab.replica for tab in tabs]
        os.kill(pids["r1"], signal.SIGKILL)
        # the health check marks it down within ~2 s; a click in that window can still get
        # HAProxy's 502 once (a request it had sent to the dying process), then this message
        time.sleep(3)
        with ThreadPoolExecutor(10) as pool:
            after = list(pool.map(lambda tab: tab.call("step"), tabs))
        for i, (replica, summary) in enumerate(zip(before, after, strict=True)):
            if replica == "r1":
                assert isinstance(summary, str) and "the server restarted" in summary, summary
                assert "reload the page" in summary
            else:  # the others go on where they were
                assert isinstance(summary, dict), f"session {i} on {replica}: {summary}"
                assert summary["preset"] == wanted[i][0]
                assert summary["iteration"] == wanted[i][1] + 1, f"session {i}: {summary}"
        lost = [tab for tab, replica in zip(tabs, before, strict=True) if replica == "r1"]
        for tab in lost[:3]:  # a reload: a fresh run on a replica that is alive
            tab.load()
            assert tab.replica in ("r2", "r3")
            summary = tab.call("step")
            assert isinstance(summary, dict) and summary["iteration"] == 1, summary
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
