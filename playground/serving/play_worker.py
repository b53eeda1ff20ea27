"""Autoplay's training in worker processes.

A tab that plays trains for as long as it plays. In the web server's process that training
shares one GIL with the server's event loop and every other playing tab: on the 2-core box
autoplay ran well below the rate of `Trainer.run` alone (bench/ui_speed.py), and on a
many-core classroom server all playing tabs together could not use more than about one core.
So a playing tab's run moves to a worker process for as long as it plays:

- Play ships the run's training state to a worker (`PlayPool.start`); the worker trains it in
  chunks at the requested rate, taking turns with the other runs it holds.
- The web server keeps a mirror: its Trainer takes on the worker's state (weights, optimiser
  moments, RNG, counters, new history and snapshots) whenever the page wants a frame, at
  least every few tenths of a second (`RemoteRun.sync`, `apply_progress`). The views, the
  clicks and the files are served from the mirror, as from any Trainer.
- Pause brings the final state home (`RemoteRun.finish`). A click that changes the mirror
  while the run plays (Step, rewind, a live setting) wins: the player sees the trainer's
  `revision` moved, drops the worker's newer state and ships the changed one.

The messages are pickles over the worker's stdin and stdout, between this process and the
child it started; nothing read from a user or a file is unpickled.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig
from playground.engine.rewind import RewindBuffer
from playground.engine.run_state import HISTORY_KEYS
from playground.engine.trainer import DivergenceError, Trainer
from playground.serving import heap

LOG = logging.getLogger(__name__)
CHUNK = 5  # iterations a worker trains before it looks at its messages and its other runs
REPLY_SECONDS = 10.0  # a worker that has not answered by then is taken for gone
ORPHAN_SECONDS = 30.0  # a worker drops a run the web server has not asked about for so long
BOOT_SECONDS = 120.0  # a worker that has not said "ready" by then is taken for gone
MAX_WORKERS = 8  # each holds its own torch (~300 MB)
_HEADER = struct.Struct(">I")


# ---------------------------------------------------------------- messages
class _Pickler(pickle.Pickler):
    """Tensors as NumPy arrays: pickle's own way of writing a tensor runs torch.save for each
    one (a zip archive per tensor), seconds for a run's state."""

    def reducer_override(self, obj: Any) -> Any:
        if (
            isinstance(obj, torch.Tensor)
            and obj.device.type == "cpu"
            and obj.layout == torch.strided
            and obj.dtype in _NUMPY_DTYPES
        ):
            kind = _parameter if isinstance(obj, torch.nn.Parameter) else _tensor
            return kind, (obj.detach().numpy(), obj.requires_grad)
        return NotImplemented


_NUMPY_DTYPES = {torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.bool}


def _tensor(array: Any, requires_grad: bool) -> torch.Tensor:
    tensor = torch.from_numpy(array if array.flags.writeable else array.copy())
    return tensor.requires_grad_(requires_grad) if requires_grad else tensor


def _parameter(array: Any, requires_grad: bool) -> torch.nn.Parameter:
    return torch.nn.Parameter(_tensor(array, False), requires_grad=requires_grad)


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _framed(message: Any) -> bytes:
    data = _dumps(message)
    return _HEADER.pack(len(data)) + data


def _send(stream: BinaryIO, message: Any) -> None:
    stream.write(_framed(message))
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    """The next message, or EOFError when the other side has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


@dataclass
class Progress:
    """What a run gained in the worker since its last Progress."""

    tensors: dict[str, torch.Tensor]  # Trainer.capture(): weights, optimiser moments
    meta: dict[str, Any]  # Trainer.capture(): RNG, counters, last records
    history: dict[str, list[float]]  # HISTORY_KEYS → the values of the new iterations
    snapshots: list[tuple[int, dict[str, Any], dict[str, Any], bool]]  # RewindBuffer.put's args
    diverged: tuple[int, str, str] | None = None  # DivergenceError's (iteration, network, what)


# ---------------------------------------------------------------- the worker process
@dataclass
class _Run:
    """One run a worker trains: at `rate` iterations/s at most, in chunks."""

    trainer: Trainer
    rate: float
    history_offset: int  # the run's history length in the web server when it was shipped
    metrics_len: int
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    sent: int = 0  # history entries already reported
    sent_iteration: int = 0  # snapshots up to this iteration already reported
    diverged: tuple[int, str, str] | None = None
    heard: float = field(default_factory=time.monotonic)  # the web server's last word on it

    def __post_init__(self) -> None:
        self.sent_iteration = self.trainer.iteration

    def wait(self) -> float:
        """Seconds until this run may train its next chunk (inf once it diverged)."""
        if self.diverged is not None:
            return float("inf")
        return self.done / self.rate - (time.perf_counter() - self.started)

    def set_rate(self, rate: float) -> None:
        self.rate, self.started, self.done = rate, time.perf_counter(), 0

    def train(self) -> None:
        try:
            self.trainer.run(CHUNK)
        except DivergenceError as exc:
            self.diverged = (exc.iteration, exc.network, exc.what)
        self.done += CHUNK

    def progress(self) -> Progress:
        t = self.trainer
        tensors, meta = t.capture()
        history = {key: t.history[key][self.sent :] for key in HISTORY_KEYS}
        self.sent = len(t.history["iteration"])
        snapshots = []
        for iteration, snap_tensors, snap_meta, shared in t._rewind.entries_after(
            self.sent_iteration
        ):
            snap_meta = {
                **snap_meta,
                "history_len": snap_meta["history_len"] + self.history_offset,
                "metrics_len": self.metrics_len,
            }
            snapshots.append((iteration, snap_tensors, snap_meta, shared))
        self.sent_iteration = t.iteration
        # pickled at once (_framed), so the live tensors are copied as they are now
        return Progress(tensors, meta, history, snapshots, self.diverged)


def serve(inbox_stream: BinaryIO, outbox_stream: BinaryIO) -> None:
    """The worker's loop: answer the web server's messages, and train the runs it holds in
    turn, each at its own rate. Returns when the web server closes the pipe."""
    torch.set_num_threads(1)  # as in the web server: the small MLPs run faster so
    inbox: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        while True:
            try:
                inbox.put(_receive(inbox_stream))
            except (EOFError, OSError):
                inbox.put(None)
                return

    threading.Thread(target=read, daemon=True, name="play-worker-inbox").start()
    # answers are written by a thread of their own: a write blocks while the web server has
    # not read the one before (a pipe holds 64 KB), and training should not wait for that
    outbox: queue.Queue[bytes | None] = queue.Queue()

    def write() -> None:
        while (data := outbox.get()) is not None:
            try:
                outbox_stream.write(data)
                outbox_stream.flush()
            except OSError:
                return

    threading.Thread(target=write, daemon=True, name="play-worker-outbox").start()
    runs: dict[int, _Run] = {}
    turns: deque[int] = deque()  # run ids, the next to train first
    _warm_up()
    outbox.put(_framed(("ready", os.getpid())))
    while True:
        wait = min((run.wait() for run in runs.values()), default=float("inf"))
        if runs:
            wait = min(wait, ORPHAN_SECONDS)
        message = _next_message(inbox, wait)
        while message != ():  # every message waiting, before the next chunk
            if message is None:
                outbox.put(None)
                return
            _handle(message, runs, turns, outbox)
            message = _next_message(inbox, 0)
        for run_id in [
            i for i, run in runs.items() if time.monotonic() - run.heard > ORPHAN_SECONDS
        ]:
            _drop(run_id, runs, turns)  # its player is gone without a word
        for _ in range(len(turns)):  # the next run whose turn it is and that may train
            run_id = turns[0]
            turns.rotate(-1)
            if runs[run_id].wait() <= 0:
                runs[run_id].train()
                break


def _next_message(inbox: queue.Queue[Any], wait: float) -> Any:
    """The next message, waiting up to `wait` seconds (inf: until one comes); () if none."""
    try:
        if wait <= 0:
            return inbox.get_nowait()
        return inbox.get(timeout=None if wait == float("inf") else wait)
    except queue.Empty:
        return ()


def _warm_up() -> None:
    """A few steps of a small run before saying "ready": a new process's first steps take
    ~0.9 s (torch sets up its kernels), which the first Play would otherwise wait for."""
    from playground.io.presets import load_preset

    Trainer(load_preset("classroom").config.replace(device="cpu")).run(3)


def _handle(
    message: tuple, runs: dict[int, _Run], turns: deque[int], out: queue.Queue[bytes | None]
) -> None:
    kind, run_id, *args = message
    if kind == "start":
        blob, rate, history_offset, metrics_len = args
        runs[run_id] = _Run(_rebuilt(blob), rate, history_offset, metrics_len)
        turns.append(run_id)
    elif kind in ("sync", "finish"):
        run = runs.get(run_id)
        if run is not None:
            run.heard = time.monotonic()
        out.put(_framed(("progress", run_id, run.progress() if run is not None else None)))
        if kind == "finish":
            _drop(run_id, runs, turns)
    elif kind == "rate" and run_id in runs:
        runs[run_id].set_rate(args[0])
        runs[run_id].heard = time.monotonic()
    elif kind == "drop":
        _drop(run_id, runs, turns)


def _drop(run_id: int, runs: dict[int, _Run], turns: deque[int]) -> None:
    if runs.pop(run_id, None) is not None:
        turns.remove(run_id)


# ---------------------------------------------------------------- the web server's side
def portable(trainer: Trainer) -> bytes:
    """The run as a worker needs it: its data and its captured state (weights, optimiser
    moments, RNG, counters), not its history and snapshots, which stay in the web server
    (the worker reports the new ones). Tensors and JSON-like values only: a network with
    spectral norm cannot be pickled as a module (torch refuses parametrized modules)."""
    tensors, meta = trainer.capture()
    return _dumps((trainer.dataset, tensors, meta))


def _rebuilt(blob: bytes) -> Trainer:
    """The worker's copy of a shipped run: the same networks built afresh, then given the
    run's state, with an empty history and rewind buffer."""
    dataset, tensors, meta = pickle.loads(blob)
    trainer = Trainer(GANConfig.from_dict(meta["config"]), dataset=dataset)
    trainer.load_captured(tensors, meta)
    trainer._rewind = RewindBuffer(trainer.config.snapshot_capacity)
    return trainer


def apply_progress(trainer: Trainer, progress: Progress) -> None:
    """Bring the web server's Trainer up to the worker's state."""
    trainer.load_captured(progress.tensors, progress.meta)
    for key in HISTORY_KEYS:
        trainer.history[key].extend(progress.history[key])
    for iteration, tensors, meta, shared in progress.snapshots:
        trainer._rewind.put(iteration, tensors, meta, shared)


class Worker:
    """One worker process and the thread that reads its answers."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])
        env = {**os.environ, "PYTHONPATH": path}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from playground.serving.play_worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.ready = threading.Event()
        self.alive = True
        self.runs: dict[int, RemoteRun] = {}
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True, name="play-worker-replies").start()

    def send(self, message: tuple) -> bool:
        with self._send_lock:
            try:
                _send(self.process.stdin, message)
                return True
            except (OSError, ValueError):  # the worker is gone
                self.alive = False
                return False

    def _read(self) -> None:
        while True:
            try:
                message = _receive(self.process.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                break
            if message[0] == "ready":
                self.ready.set()
            elif message[0] == "progress" and message[1] in self.runs:
                self.runs[message[1]].replies.put(message[2])
        if self.alive:
            LOG.warning("play worker %s stopped (exit %s)", self.process.pid, self.process.poll())
        self.alive = False
        for run in list(self.runs.values()):
            run.replies.put(None)

    def close(self) -> None:
        self.alive = False
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class RemoteRun:
    """A run that trains in a worker: the web server's handle on it."""

    def __init__(self, worker: Worker, run_id: int) -> None:
        self.worker, self.run_id = worker, run_id
        self.replies: queue.Queue[Progress | None] = queue.Queue()

    def sync(self) -> Progress | None:
        """The run's state now (the worker keeps training), or None: the worker is gone."""
        return self._ask("sync")

    def finish(self) -> Progress | None:
        """The run's final state; the worker stops training it."""
        progress = self._ask("finish")
        self.worker.runs.pop(self.run_id, None)
        return progress

    def set_rate(self, rate: float) -> None:
        self.worker.send(("rate", self.run_id, rate))

    def drop(self) -> None:
        """Stop training it, without its state (the web server's changed since)."""
        self.worker.send(("drop", self.run_id))
        self.worker.runs.pop(self.run_id, None)

    def _ask(self, kind: str) -> Progress | None:
        if not self.worker.alive or not self.worker.send((kind, self.run_id)):
            return None
        try:
            return self.replies.get(timeout=REPLY_SECONDS)
        except queue.Empty:
            LOG.warning("play worker %s did not answer", self.worker.process.pid)
            return None


class PlayPool:
    """Up to `size` worker processes; a new run goes to the one holding the fewest."""

    def __init__(self, size: int) -> None:
        self.size = max(1, min(size, MAX_WORKERS))
        self._lock = threading.Lock()
        self._ids = iter(range(1, 2**62))
        self.workers = [Worker() for _ in range(self.size)]

    def start(self, trainer: Trainer, rate: float) -> RemoteRun | None:
        """Ship `trainer` to a worker and start training it there; None when no worker is
        ready (the caller then trains in its own process). A worker that died is replaced,
        ready for a later run."""
        with self._lock:
            self.workers = [w if w.alive else Worker() for w in self.workers]
            ready = [w for w in self.workers if w.ready.is_set() and w.alive]
            if not ready:
                return None
            worker = min(ready, key=lambda w: len(w.runs))
            run = RemoteRun(worker, next(self._ids))
            worker.runs[run.run_id] = run
        offsets = (len(trainer.history["iteration"]), len(trainer.metrics_history))
        if not worker.send(("start", run.run_id, portable(trainer), rate, *offsets)):
            worker.runs.pop(run.run_id, None)
            return None
        return run

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


_POOL: PlayPool | None = None


def start_pool(size: int) -> PlayPool:
    """The process's pool of play workers (started once)."""
    global _POOL
    if _POOL is None:
        _POOL = PlayPool(size)
    return _POOL


def pool() -> PlayPool | None:
    """The pool, if the app started one (the handler tests play in-process without)."""
    return _POOL


def stop_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.close()
        _POOL = None


def main() -> None:
    """A worker process's entry point (Worker starts it)."""
    # stdout carries the messages: anything printed goes to stderr instead
    channel = open(sys.stdout.fileno(), "wb", closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr
    heap.tune_malloc()  # as in the web server: its runs free tensors of many sizes too
    serve(open(sys.stdin.fileno(), "rb", closefd=False), channel)  # noqa: SIM115
