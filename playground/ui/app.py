"""The Gradio app: the layout (layout.py) wired to the handlers (handlers.py), and `launch`.

Every handler takes the per-session `gr.State` (a `Session`, built on first use) and returns
updates keyed by component name, so one browser tab never sees another's trainer and no
output is matched by position. Bad input becomes `gr.Error` with what to change.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import torch
from starlette.middleware import Middleware

from playground.io.presets import all_presets
from playground.paths import ASSETS
from playground.serving import heap, play_worker
from playground.teaching.compare import comparison_names, load_comparison
from playground.teaching.tours import load_tour, tour_names
from playground.ui import handlers as h
from playground.ui import handlers_files as files
from playground.ui import handlers_live as live
from playground.ui import live_feed
from playground.ui.handlers import Context
from playground.ui.i18n import I18N, labelled_blocks
from playground.ui.layout import build_layout
from playground.ui.player import BACKGROUND_CORES
from playground.ui.quick_skips import skip_untouched_outputs
from playground.ui.server_identity import ServerIdentity
from playground.ui.session import DEFAULT_PRESET, Session
from playground.ui.wiring import VIEWS, Wiring, wire_events, with_request
from playground.views import palette

SESSION_TTL_SECONDS = 2 * 3600
QUEUE_POLL_SECONDS = 0.005  # see calm_queue_polling
PROGRESS_POLL_SECONDS = 0.05


def _forget_closed_tab(demo: gr.Blocks, session_hash: str, delay: float = 5.0) -> None:
    """Gradio keeps a closed tab's per-session copy of every component's config for an hour
    (for a reopened tab, which here starts a fresh run anyway): drop it once the unload event
    is done, and hand the freed memory back to the system."""

    def drop() -> None:
        holder = getattr(demo, "state_holder", None)
        if holder is not None:
            with holder.lock:
                holder.session_data.pop(session_hash, None)
                holder.time_last_used.pop(session_hash, None)
        gc.collect()
        heap.trim_heap()

    timer = threading.Timer(delay, drop)
    timer.daemon = True
    timer.start()


def _cluster_presets_early() -> None:
    """A self-conditioned preset clusters its images once per process (k-means, seconds):
    started at launch, so the first tab that opens one does not wait for it."""
    from playground.engine.data import build_dataset

    configs = [p.config for p in all_presets() if p.config.clusters]
    threading.Thread(
        target=lambda: [build_dataset(c) for c in configs], name="cluster-presets", daemon=True
    ).start()


def _skip_event_analytics() -> None:
    """Gradio summarises every event it has recorded (up to 10 000) in a pandas DataFrame after
    each event, for its monitoring page, which this app does not open: a cost per click that
    grows with the events a class has made, holding the interpreter the training threads
    need. Read when the queue is made; an operator's own setting wins."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**31))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")


def build_app(default_preset: str = DEFAULT_PRESET, data_dir: Path | None = None) -> gr.Blocks:
    """The whole playground; a new tab starts on `default_preset`; `data_dir` is a folder
    whose files browser users may train on by name (none by default)."""
    presets = {p.name: p for p in all_presets()}
    if default_preset not in presets:
        raise ValueError(
            f"preset: unknown preset '{default_preset}'; choose one of {', '.join(presets)}"
        )
    tours = {name: load_tour(name) for name in tour_names()}
    comparisons = {name: load_comparison(name) for name in comparison_names()}
    ctx = Context(default_preset, presets, tours, comparisons, data_dir=data_dir)
    default = Session.from_preset(default_preset)

    with gr.Blocks(title="GAN Playground", analytics_enabled=False) as demo:
        ui = build_layout(default, presets, tours, comparisons)
        name_unlabelled(ui)
        state = ui["state"]
        state.time_to_live, state.delete_callback = SESSION_TTL_SECONDS, files.free
        names = {id(component): name for name, component in ui.items()}
        ctx.labelled = [
            (names[id(block)], props)
            for block, props in labelled_blocks(demo.blocks.values())
            if id(block) in names and names[id(block)] not in VIEWS  # views relabel themselves
        ]
        ctx.feed = live_feed.FrameFeed(live.live_frame)
        ctx.steps = live_feed.FastSteps(functools.partial(h.fast_step, ctx))
        demo.frame_feed = ctx.feed  # launch() mounts its route on the server
        wire_events(Wiring(ui, ctx), ui, ctx, demo)
        demo.unload(with_request(files.tab_closed, ctx, takes_state=False))
        ctx.forget = functools.partial(_forget_closed_tab, demo)
        demo.playground = ctx  # launch() mounts the frame and health routes on the server
    return skip_untouched_outputs(demo)


def name_unlabelled(ui: dict[str, Any]) -> None:
    """Give every component that shows no label its name as one, unseen on the page, so the
    API listing (gradio_client's view_api) calls each parameter and return by what it is,
    not `value_<id>`."""
    for name, component in ui.items():
        if isinstance(component, gr.Timer):  # no label of its own: name it in its config
            config = component.get_config
            component.get_config = functools.partial(_labelled_config, config, name)
        elif getattr(component, "label", None) is None:
            component.label, component.show_label = name, False


def _labelled_config(config: Callable[[], dict[str, Any]], label: str) -> dict[str, Any]:
    return {**config(), "label": label}


MAX_UPLOAD = "64mb"  # Gradio refuses larger uploads before they reach a handler


def calm_queue_polling(demo: gr.Blocks) -> None:
    """Gradio's queue looks for new events every 1 ms and for progress to send every 10 ms
    when idle (on Linux): a thousand wake-ups a second of the event loop, each taking the GIL
    from the training threads, with one tab open and nothing running. Every
    QUEUE_POLL_SECONDS and PROGRESS_POLL_SECONDS instead (docs/benchmarks.md has the CPU it
    saves): an event starts at most QUEUE_POLL_SECONDS later, and Run N's progress reaches
    the page 1 / PROGRESS_POLL_SECONDS times a second."""
    queue = demo._queue  # set by demo.queue(); Gradio has no public setting for these
    queue.sleep_when_free = QUEUE_POLL_SECONDS
    queue.progress_update_sleep_when_free = PROGRESS_POLL_SECONDS


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    preset: str = DEFAULT_PRESET,
    data_dir: Path | None = None,
    **kwargs: Any,
) -> gr.Blocks:
    # one thread per op: the small MLPs run faster that way, and sessions, autoplay threads
    # and the web server then share the cores instead of fighting over them
    torch.set_num_threads(1)
    heap.tune_malloc()
    heap.trim_heap_every()
    # playing tabs train in worker processes (playground.serving.play_worker), as many as the cores
    # TRAINING_SLOTS counts; they start now, ready by the first Play
    play_worker.start_pool(BACKGROUND_CORES)
    atexit.register(play_worker.stop_pool)
    _cluster_presets_early()
    demo = build_app(preset, data_dir)
    _skip_event_analytics()
    demo.queue(default_concurrency_limit=16)
    calm_queue_polling(demo)
    css = (ASSETS / "styles" / "playground.css").read_text(encoding="utf-8")
    script = "\n".join(
        [f"window.playground = {{framesPerSecond: {live_feed.FRAMES_PER_SECOND}}};"]
        + [
            (ASSETS / "js" / name).read_text(encoding="utf-8")
            for name in ("playground.js", "dots.js", "drawing.js")
        ]
    )
    demo.launch(
        prevent_thread_lock=True,  # to add the autoplay frame route before serving for good
        server_name=host,
        server_port=port,
        share=share,
        ssr_mode=False,
        css=css,
        theme=gr.themes.Default(primary_hue=palette.BUTTON_HUE),  # no control in fake orange
        head=f"<script>{script}</script>",
        i18n=I18N,
        # Gradio's run history copies every event's outputs (whole figures) into the browser's
        # storage: main-thread work on every step, and a playground has no use for it
        run_history=False,
        max_file_size=MAX_UPLOAD,
        # a page loaded from another process (a restart, a dead replica) is told to reload
        app_kwargs={"middleware": [Middleware(ServerIdentity)]},
        **kwargs,
    )
    demo.frame_feed.mount(demo.app)
    demo.playground.steps.mount(demo.app)
    demo.app.add_api_route(
        "/playground/health", demo.playground.health, methods=["GET"], include_in_schema=False
    )
    demo.block_thread()
    return demo
