"""Serve a class from several GAN Playground processes behind HAProxy, on one machine:

    python deploy/serve.py --replicas 3 --port 8080

starts 3 replicas (`app.py` on ports 7861-7863, 127.0.0.1 only) and HAProxy on port 8080 with
deploy/haproxy.cfg, which keeps each tab on the replica that served its page (a cookie).
With --servers, it starts no replicas and proxies to ones already running elsewhere:

    python deploy/serve.py --servers 10.0.0.11:7860,10.0.0.12:7860 --port 8080 --host 0.0.0.0

Ctrl-C (or SIGTERM) stops everything it started. A replica that dies is not restarted here
(systemd or Kubernetes does that); HAProxy stops sending new tabs to it, and its tabs are told
that the server restarted and to reload.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).resolve().with_name("haproxy.cfg")
READY_SECONDS = 300  # a replica imports torch and Gradio and builds its first run


def haproxy_config(servers: list[str]) -> str:
    """deploy/haproxy.cfg with one `server` line per replica; each one's cookie is its name."""
    lines = [f"    server r{i} {address} cookie r{i}" for i, address in enumerate(servers, 1)]
    return CONFIG.read_text(encoding="utf-8") + "\n".join(lines) + "\n"


def wait_ready(address: str, process: subprocess.Popen | None, seconds: float) -> None:
    """Until the replica answers its health route (or SystemExit if it died or took too long)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"replica at {address} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://{address}/playground/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"replica at {address} did not answer within {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3, help="processes to start (default 3)")
    parser.add_argument("--port", type=int, default=8080, help="the port the class opens")
    parser.add_argument("--host", default="127.0.0.1", help="where HAProxy listens")
    parser.add_argument("--first-port", type=int, default=7861, help="the first replica's port")
    parser.add_argument("--servers", help="host:port,... of running replicas (none started)")
    parser.add_argument("--preset", help="the preset a new tab starts on")
    args = parser.parse_args(argv)
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        parser.exit(2, "serve.py: haproxy is not installed (Debian: apt-get install haproxy)\n")
    if args.servers is None and not 1 <= args.replicas <= 64:
        parser.exit(2, "serve.py: --replicas: choose 1 to 64\n")

    replicas: list[subprocess.Popen] = []
    if args.servers:
        servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    else:
        servers = [f"127.0.0.1:{args.first_port + i}" for i in range(args.replicas)]
        extra = ["--preset", args.preset] if args.preset else []
        for address in servers:
            port = address.rsplit(":", 1)[1]
            command = [sys.executable, str(ROOT / "app.py"), "--port", port, *extra]
            replicas.append(subprocess.Popen(command, cwd=ROOT))
    processes = list(replicas)

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        for i, address in enumerate(servers):
            wait_ready(address, replicas[i] if replicas else None, READY_SECONDS)
            pid = f" (pid {replicas[i].pid})" if replicas else ""
            print(f"replica r{i + 1} at {address}{pid}", flush=True)
        folder = Path(tempfile.mkdtemp(prefix="playground-haproxy-"))
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(servers), encoding="utf-8")
        env = {**os.environ, "PLAYGROUND_BIND": f"{args.host}:{args.port}"}
        proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], env=env)
        processes.append(proxy)
        wait_ready(f"{'127.0.0.1' if args.host == '0.0.0.0' else args.host}:{args.port}", proxy, 60)
        print(f"serving {len(servers)} replicas at http://{args.host}:{args.port}", flush=True)
        proxy.wait()
        print(f"haproxy exited with code {proxy.returncode}", flush=True)
        stop()
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
