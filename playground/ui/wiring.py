"""Which component triggers which handler, with which inputs and outputs, all by name:
the Wiring that hands a handler's keyed updates to Gradio, the output groups, and every
event of the page (stepping and setup, autoplay, the latent space, files, lecture mode, tours
and links, drawing)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import gradio as gr

from playground.ui import handlers as h
from playground.ui import handlers_files as files
from playground.ui import handlers_lecture as lecture
from playground.ui import handlers_live as live
from playground.ui import live_feed
from playground.ui.handlers import Context, friendly
from playground.ui.layout import CONTROLS, SECONDARY_TABS, SLIDERS, TOOLBAR_BUTTONS
from playground.ui.render import API_VIEWS
from playground.ui.session import Session

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


def wire_events(wire: Wiring, ui: dict[str, Any], ctx: Context, demo: gr.Blocks) -> None:
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
        handler(live.play, ctx),
        ["state", "per_tick", "redraw_every"],
        play_out,
        api_name="play",
    ).success(None, [ui["play_token"]], None, js=live_feed.PLAY_JS)
    wire(
        ui["timer"].tick,
        handler(live.tick, ctx),
        ["state", "per_tick", "redraw_every"],
        play_out,
        show_progress="hidden",
    )

    # ---------------------------------------------------------------- latent space
    wire(
        gr.on,
        handler(live.move_sliders, ctx),
        ["state", "class_pick", *SLIDERS],
        ["state", "latent_plot"],
        triggers=[ui[s].release for s in SLIDERS] + [ui["class_pick"].release],
        api_name="latent",
    )
    for which in ("A", "B"):
        wire(
            ui[f"rand_{which.lower()}"].click,
            handler(live.randomise, ctx, which),
            ["state", "class_pick"],
            ["state", *SLIDERS, "latent_plot"],
            api_name=f"randomise_{which.lower()}",
        )
    wire(
        ui["latent_axes"].input,
        handler(live.set_latent_axes, ctx),
        ["state", "latent_axes", "class_pick"],
        ["state", *SLIDERS, "latent_plot"],
        api_name="latent_axes",
    )
    wire(
        ui["interp_btn"].click,
        handler(live.interpolate, ctx),
        ["state", "frames", "method", "class_pick"],
        ["state", "interp_plot"],
        api_name="interpolate",
    )

    # ---------------------------------------------------------------- save / load
    for button, fn, api in (
        ("save_btn", files.save, "save"),
        ("samples_btn", files.sample, "sample"),
        ("export_btn", files.export, "export_config"),
    ):
        wire(ui[button].click, handler(fn, ctx), ["state"], ["state", "download"], api_name=api)
    wire(
        ui["export_code_btn"].click,
        handler(files.export_code, ctx),
        ["state", "export_weights"],
        ["state", "download"],
        api_name="export_script",
    )
    wire(
        ui["load_ckpt"].upload,
        handler(files.load, ctx),
        ["state", "load_ckpt"],
        ["state", *everything_after(*CONTROLS, *VIEWS)],
        api_name="load",
    )

    # ---------------------------------------------------------------- lecture mode
    lecture_out = ["state", *VIEWS, *LECTURE]
    wire(
        ui["explain_btn"].click,
        handler(lecture.explain, ctx),
        ["state", "auto_advance"],
        lecture_out,
        api_name="explain",
    )
    for button, delta, name in (("next_btn", 1, "next"), ("back_btn", -1, "back")):
        wire(
            ui[button].click,
            handler(lecture.move, ctx, delta),
            ["state", "auto_advance"],
            lecture_out,
            api_name=name,
        )
    wire(
        ui["lecture_timer"].tick,
        handler(lecture.move, ctx, 1),
        ["state", "auto_advance"],
        lecture_out,
        show_progress="hidden",
    )
    wire(
        ui["auto_advance"].change,
        handler(lecture.auto_advance, ctx),
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
        handler(lecture.set_language, ctx),
        ["state", "language"],
        language_out,
        api_name="language",
    )
    ui["presenter"].change(
        None, [ui["presenter"]], None, js="(on) => { window.playground.presenter(on); return []; }"
    )
    wire(
        ui["presenter"].input,
        handler(lecture.set_presenter, ctx),
        ["state", "presenter"],
        ["state", *VIEWS],
        show_progress="hidden",
        api_name="presenter",
    )

    # ---------------------------------------------------------------- tours, links, import
    wire(
        ui["tour_start"].click,
        handler(lecture.start_tour, ctx),
        ["state", "tour_pick"],
        ["state", *tour_outputs],
        api_name="start_tour",
    )
    wire(
        ui["compare_start"].click,
        handler(lecture.start_comparison, ctx),
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
            handler(lecture.compare_step, ctx, action),
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
        handler(lecture.train_on_drawing, ctx),
        ["state", "drawn_text"],
        ["state", *tour_outputs],
        api_name="train_on_drawing",
        js="(state, text) => [state, window.playground.drawing.text()]",
    )
    wire(
        ui["tour_next"].click,
        handler(lecture.next_tour_step, ctx),
        ["state"],
        ["state", *tour_outputs],
        api_name="next_tour_step",
    )
    wire(
        ui["share_btn"].click,
        with_request(lecture.link, ctx),
        ["state"],
        ["share_link"],
        api_name="link",
    )
    wire(
        ui["import_cfg"].upload,
        handler(lecture.import_config, ctx),
        ["state", "import_cfg"],
        ["state", *tour_outputs],
        api_name="import_config",
    )
    # first paint: every view shows something before the first click
    wire(
        demo.load,
        with_request(lecture.first_paint, ctx),
        ["state"],
        ["state", "language", *language_out[1:], *EVERYTHING, *TOOLBAR_BUTTONS, "page_token"],
    ).success(None, [ui["page_token"]], None, js=live_feed.PAGE_JS)
