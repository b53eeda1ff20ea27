"""The Gradio app: the layout (layout.py) wired to the handlers (handlers.py), and `launch`.

Every handler takes the per-session `gr.State` (a `Session`, built on first use) and returns
updates keyed by component name, so one browser tab never sees another's trainer and no
output is matched by position. Bad input becomes `gr.Error` with what to change.
"""

from __future__ import annotations

import atexit
import ctypes
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
from playground.serving import play_worker
from playground.teaching.compare import comparison_names, load_comparison
from playground.teaching.tours import load_tour, tour_names
from playground.ui import handlers as h
from playground.ui import live_feed
from playground.ui.handlers import Context, friendly
from playground.ui.i18n import I18N, labelled_blocks
from playground.ui.layout import CONTROLS, SECONDARY_TABS, SLIDERS, TOOLBAR_BUTTONS, build_layout
from playground.ui.player import BACKGROUND_CORES
from playground.ui.quick_skips import skip_untouched_outputs
from playground.ui.render import API_VIEWS
from playground.ui.server_identity import ServerIdentity
from playground.ui.session import DEFAULT_PRESET, Session
from playground.views import palette

ASSETS = ASSETS
SESSION_TTL_SECONDS = 2 * 3600
QUEUE_POLL_SECONDS = 0.005  # see calm_queue_polling
PROGRESS_POLL_SECONDS = 0.05
QUICK = "hidden"  # no per-output loading overlay for sub-second steps: it costs repaints

# output groups, by component name
# API_VIEWS first: gradio_client users index the outputs (the summary is the 11th)
COMPARE_VIEWS = ["compare_md", "compare_a_data", "compare_a_batch", "compare_b_data"]
COMPARE_VIEWS += ["compare_b_batch", "compare_loss"]
VIEWS = [*API_VIEWS, "graph", "sparkline", "latent_plot", "interp_plot", *COMPARE_VIEWS]
# what a step in the browser updates through Gradio (its figures travel in "live"): each
# output an event declares costs the page work on every click, set or not
STEP_TEXTS = ["status", "summary", "g_md", "metrics_md", "compare_md", "timeline", "batch_table"]
STEP_TEXTS += ["caption"]  # a step ends slow motion: its sub-step caption must not stay
LATENT = ["class_pick", *SLIDERS]
LECTURE = ["caption", "tour_next", "lecture_timer", "tabs"]
SETUP = ["preset", "preset_md", *CONTROLS]
EVERYTHING = [*SETUP, *LECTURE, *VIEWS, *LATENT, "layers", "trained"]


def everything_after(*first: str) -> list[str]:
    """EVERYTHING with `first` leading: an endpoint's outputs keep the order gradio_client
    users index (e.g. /load: the controls, then the views with the summary)."""
    return [*first, *[name for name in EVERYTHING if name not in first]]


class Wiring:
    """Connects a trigger to a handler by component names: the handler's keyed updates are
    handed to Gradio keyed by the components themselves."""

    def __init__(self, ui: dict[str, Any], ctx: Context) -> None:
        self.ui, self.ctx = ui, ctx

    def __call__(
        self,
        trigger: Callable[..., Any],
        fn: Callable[..., dict[str, Any]],
        inputs: list[str],
        outputs: list[str],
        **options: Any,
    ) -> Any:
        ui = self.ui
        allowed = set(outputs)
        if "api_name" not in options:  # an internal event: not in the API a script sees
            options.setdefault("api_visibility", "private")

        @functools.wraps(fn)
        def keyed(*args: Any, **kwargs: Any) -> dict[Any, Any]:
            updates = fn(*args, **kwargs)
            stray = set(updates) - allowed
            if stray:  # a wiring mistake, caught by the tests
                raise RuntimeError(f"{getattr(fn, '__name__', fn)} updated {sorted(stray)}")
            if not updates:  # Gradio reads an empty dict as one value, not as "no updates"
                return {ui[outputs[0]]: gr.skip()}
            self.ctx.track(updates.get("state"))
            return {ui[name]: value for name, value in updates.items()}

        return trigger(
            fn=keyed,
            inputs=[ui[n] for n in inputs],
            outputs=[ui[n] for n in dict.fromkeys(outputs)],
            **options,
        )


def handler(fn: Callable[..., Any], ctx: Context, *bound: Any) -> Callable[..., Any]:
    """`fn` with the context (and any fixed leading arguments) bound, errors made friendly."""
    return friendly(functools.partial(fn, ctx, *bound))


def with_request(
    fn: Callable[..., Any], ctx: Context, takes_state: bool = True
) -> Callable[..., Any]:
    """A handler that also reads the HTTP request (Gradio passes it by the annotation)."""
    if not takes_state:

        def bare(request: gr.Request) -> None:
            fn(ctx, request)

        return bare

    @friendly
    def run(state: Session | None, request: gr.Request) -> dict[str, Any]:
        return fn(ctx, state, request)

    run.__name__ = fn.__name__
    return run


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
        _trim_heap()

    timer = threading.Timer(delay, drop)
    timer.daemon = True
    timer.start()


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own heap arena (up to 8 per core), and each
    keeps the memory it once held: with Gradio's worker threads RSS crept up by 7 % a minute
    under 16 users (bench/load.py), 3 % with two arenas. Call before the threads start."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8: M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _skip_event_analytics() -> None:
    """Gradio summarises every event it has recorded (up to 10 000) in a pandas DataFrame after
    each event, for its monitoring page, which this app does not open: 2 ms a click at first,
    7 ms once a class has made 10 000 events, holding the interpreter the training threads
    need. Read when the queue is made; an operator's own setting wins."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**31))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")


def _trim_heap() -> None:
    """glibc keeps freed memory in its arenas; malloc_trim returns it (no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


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
        state.time_to_live, state.delete_callback = SESSION_TTL_SECONDS, h.free
        names = {id(component): name for name, component in ui.items()}
        ctx.labelled = [
            (names[id(block)], props)
            for block, props in labelled_blocks(demo.blocks.values())
            if id(block) in names and names[id(block)] not in VIEWS  # views relabel themselves
        ]
        ctx.feed = live_feed.FrameFeed(h.live_frame)
        ctx.steps = live_feed.FastSteps(functools.partial(h.fast_step, ctx))
        demo.frame_feed = ctx.feed  # launch() mounts its route on the server
        _wire(Wiring(ui, ctx), ui, ctx, demo)
        demo.unload(with_request(h.tab_closed, ctx, takes_state=False))
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


def _wire(wire: Wiring, ui: dict[str, Any], ctx: Context, demo: gr.Blocks) -> None:
    tour_outputs = everything_after("preset", "preset_md", *CONTROLS, "caption", "tabs", *VIEWS)
    # ---------------------------------------------------------------- stepping
    for action, extra in (("step_d", []), ("step_g", []), ("step", []), ("run", ["run_n"])):
        in_browser = (
            handler(h.run_n, ctx) if action == "run" else handler(h.step, ctx, action, True)
        )
        wire(
            ui[f"{action}_btn"].click,
            in_browser,
            ["state", *extra],
            ["state", *STEP_TEXTS, "live"],
            api_name=f"{action}_in_browser",
            api_visibility="private",
            show_progress=QUICK if action != "run" else "full",
        ).success(None, [ui["live"]], None, js=live_feed.DRAW_JS)
        # (the page sends these clicks to live_feed.FastSteps when it can; this is the way
        # when it cannot) — and the same action for gradio_client, on a trigger nobody sees
        wire(
            gr.Button(visible=False).click,
            handler(h.step, ctx, action, False),
            ["state", *extra],
            ["state", *API_VIEWS],
            api_name=action,
        )
    wire(ui["stop_btn"].click, handler(h.stop_run, ctx), ["state"], ["state"], api_name="stop")
    controls = ["state", *CONTROLS]
    reset_out = ["state", *VIEWS, *LATENT, *LECTURE, "timer", "play_btn"]
    wire(ui["reset_btn"].click, handler(h.reset, ctx), controls, reset_out, api_name="reset")
    wire(
        ui["apply_btn"].click,
        handler(h.apply, ctx),
        controls,
        ["state", *VIEWS, *LATENT],
        api_name="apply",
    )
    wire(
        ui["preset"].input,
        handler(h.choose_preset, ctx),
        ["state", "preset", "trained"],
        ["state", *everything_after("preset_md", *CONTROLS, *VIEWS)],
        api_name="preset",
    )
    wire(  # ticking "start from a trained model" reloads the preset on screen that way
        ui["trained"].input,
        handler(h.choose_preset, ctx),
        ["state", "preset", "trained"],
        ["state", *everything_after("preset_md", *CONTROLS, *VIEWS)],
    )
    wire(
        ui["upload"].upload,
        handler(h.uploaded, ctx),
        ["state", "upload"],
        ["state", "ctl.dataset", "ctl.data_path"],
        api_name="upload_data",
    )
    wire(
        ui["timeline"].release,
        handler(h.rewind, ctx),
        ["state", "timeline"],
        ["state", *VIEWS],
        api_name="rewind",
    )
    wire(
        ui["eval_btn"].click,
        handler(h.evaluate, ctx),
        ["state"],
        ["state", "metrics_md"],
        api_name="evaluate",
    )
    wire(
        ui["layers"].input,
        handler(h.set_layers, ctx),
        ["state", "layers"],
        ["state", "data_plot"],
        api_name="layers",
    )
    for name in SECONDARY_TABS:
        wire(
            ui[f"tab.{name}"].select,
            handler(h.select_tab, ctx, name),
            ["state"],
            ["state", *VIEWS],
            show_progress="hidden",
        )

    wire(
        ui["after_step"].click,
        handler(h.after_fast_step, ctx),
        ["state"],
        ["state", *[name for name in STEP_TEXTS if name != "status"]],
        api_visibility="private",
        show_progress="hidden",
    )

    # ---------------------------------------------------------------- autoplay
    # While playing, a thread trains; the page fetches the visible plots and the status line
    # as frames (live_feed), and the timer (every 2 s) hands the controls to the player.
    ui["play_btn"].click(None, None, None, js=live_feed.STOP_JS)
    play_out = ["state", "timer", "play_btn", "play_token", *VIEWS]
    wire(
        ui["play_btn"].click,
        handler(h.play, ctx),
        ["state", "per_tick", "redraw_every"],
        play_out,
        api_name="play",
    ).success(None, [ui["play_token"]], None, js=live_feed.PLAY_JS)
    wire(
        ui["timer"].tick,
        handler(h.tick, ctx),
        ["state", "per_tick", "redraw_every"],
        play_out,
        show_progress="hidden",
    )

    # ---------------------------------------------------------------- latent space
    wire(
        gr.on,
        handler(h.move_sliders, ctx),
        ["state", "class_pick", *SLIDERS],
        ["state", "latent_plot"],
        triggers=[ui[s].release for s in SLIDERS] + [ui["class_pick"].release],
        api_name="latent",
    )
    for which in ("A", "B"):
        wire(
            ui[f"rand_{which.lower()}"].click,
            handler(h.randomise, ctx, which),
            ["state", "class_pick"],
            ["state", *SLIDERS, "latent_plot"],
            api_name=f"randomise_{which.lower()}",
        )
    wire(
        ui["latent_axes"].input,
        handler(h.set_latent_axes, ctx),
        ["state", "latent_axes", "class_pick"],
        ["state", *SLIDERS, "latent_plot"],
        api_name="latent_axes",
    )
    wire(
        ui["interp_btn"].click,
        handler(h.interpolate, ctx),
        ["state", "frames", "method", "class_pick"],
        ["state", "interp_plot"],
        api_name="interpolate",
    )

    # ---------------------------------------------------------------- save / load
    for button, fn, api in (
        ("save_btn", h.save, "save"),
        ("samples_btn", h.sample, "sample"),
        ("export_btn", h.export, "export_config"),
    ):
        wire(ui[button].click, handler(fn, ctx), ["state"], ["state", "download"], api_name=api)
    wire(
        ui["export_code_btn"].click,
        handler(h.export_code, ctx),
        ["state", "export_weights"],
        ["state", "download"],
        api_name="export_script",
    )
    wire(
        ui["load_ckpt"].upload,
        handler(h.load, ctx),
        ["state", "load_ckpt"],
        ["state", *everything_after(*CONTROLS, *VIEWS)],
        api_name="load",
    )

    # ---------------------------------------------------------------- lecture mode
    lecture_out = ["state", *VIEWS, *LECTURE]
    wire(
        ui["explain_btn"].click,
        handler(h.explain, ctx),
        ["state", "auto_advance"],
        lecture_out,
        api_name="explain",
    )
    for button, delta, name in (("next_btn", 1, "next"), ("back_btn", -1, "back")):
        wire(
            ui[button].click,
            handler(h.move, ctx, delta),
            ["state", "auto_advance"],
            lecture_out,
            api_name=name,
        )
    wire(
        ui["lecture_timer"].tick,
        handler(h.move, ctx, 1),
        ["state", "auto_advance"],
        lecture_out,
        show_progress="hidden",
    )
    wire(
        ui["auto_advance"].change,
        handler(h.auto_advance, ctx),
        ["state", "auto_advance"],
        ["lecture_timer"],
    )
    language_out = [
        "state",
        *[name for name, _ in ctx.labelled],
        *SETUP,
        "tour_pick",
        "compare_pick",
        "caption",
    ]
    language_out += ["layers", "latent_axes", "play_btn", *VIEWS]
    wire(
        ui["language"].input,
        handler(h.set_language, ctx),
        ["state", "language"],
        language_out,
        api_name="language",
    )
    ui["presenter"].change(
        None, [ui["presenter"]], None, js="(on) => { window.playground.presenter(on); return []; }"
    )
    wire(
        ui["presenter"].input,
        handler(h.set_presenter, ctx),
        ["state", "presenter"],
        ["state", *VIEWS],
        show_progress="hidden",
        api_name="presenter",
    )

    # ---------------------------------------------------------------- tours, links, import
    wire(
        ui["tour_start"].click,
        handler(h.start_tour, ctx),
        ["state", "tour_pick"],
        ["state", *tour_outputs],
        api_name="start_tour",
    )
    wire(
        ui["compare_start"].click,
        handler(h.start_comparison, ctx),
        ["state", "compare_pick"],
        ["state", *tour_outputs],
        api_name="compare_start",
    )
    for button, action, inputs, api in (
        ("compare_step_btn", "step", ["state"], "compare_step"),
        ("compare_run_btn", "run", ["state", "compare_n"], "compare_run"),
    ):
        wire(
            ui[button].click,
            handler(h.compare_step, ctx, action),
            inputs,
            ["state", "compare_summary"],
            api_name=api,
        )
    # ---------------------------------------------------------------- drawing
    brush = [ui[name] for name in ("draw_on", "draw_erase", "brush", "density")]
    for control in brush:
        control.change(
            None,
            brush,
            None,
            js="(on, erase, brush, density) => "
            "{ window.playground.drawing.set(on, erase, brush, density); return []; }",
        )
    ui["draw_clear"].click(None, None, None, js="() => { window.playground.drawing.clear(); }")
    wire(
        ui["draw_train"].click,
        handler(h.train_on_drawing, ctx),
        ["state", "drawn_text"],
        ["state", *tour_outputs],
        api_name="train_on_drawing",
        js="(state, text) => [state, window.playground.drawing.text()]",
    )
    wire(
        ui["tour_next"].click,
        handler(h.next_tour_step, ctx),
        ["state"],
        ["state", *tour_outputs],
        api_name="next_tour_step",
    )
    wire(
        ui["share_btn"].click, with_request(h.link, ctx), ["state"], ["share_link"], api_name="link"
    )
    wire(
        ui["import_cfg"].upload,
        handler(h.import_config, ctx),
        ["state", "import_cfg"],
        ["state", *tour_outputs],
        api_name="import_config",
    )
    # first paint: every view shows something before the first click
    wire(
        demo.load,
        with_request(h.first_paint, ctx),
        ["state"],
        ["state", "language", *language_out[1:], *EVERYTHING, *TOOLBAR_BUTTONS, "page_token"],
    ).success(None, [ui["page_token"]], None, js=live_feed.PAGE_JS)


MAX_UPLOAD = "64mb"  # Gradio refuses larger uploads before they reach a handler


def calm_queue_polling(demo: gr.Blocks) -> None:
    """Gradio's queue looks for new events every 1 ms and for progress to send every 10 ms
    when idle (on Linux; 50 and 100 ms on Windows): 1 100 wake-ups a second of the event loop,
    8.4 % of a core with one tab open and nothing running, each taking the GIL from the
    training threads. Every QUEUE_POLL_SECONDS and PROGRESS_POLL_SECONDS instead: 4.8 % (the
    rest: other timers, uvicorn's tick among them), an event starts at most 5 ms later, and
    Run N's progress reaches the page 20 times a second."""
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
    _limit_malloc_arenas()
    # playing tabs train in worker processes (playground.serving.play_worker), as many as the cores
    # TRAINING_SLOTS counts; they start now, ready by the first Play
    play_worker.start_pool(BACKGROUND_CORES)
    atexit.register(play_worker.stop_pool)
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
        # storage: ~20 ms of main-thread work per step here, and a playground has no use for it
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
