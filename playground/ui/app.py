"""The Gradio Blocks app: controls, step buttons, autoplay, the six views, save/load.

Every handler takes the per-session `gr.State` (a `Session`, built on first use) and returns it,
so one browser tab never sees another's trainer. Bad input becomes `gr.Error` with what to change.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import torch

from playground import lecture
from playground.checkpoint import CheckpointError, unzip_checkpoint, zip_checkpoint
from playground.config import (
    ACTIVATIONS,
    DATASETS,
    LOSSES,
    MODELS,
    OPTIMIZERS,
    GANConfig,
)
from playground.loaders import DataFormatError
from playground.presets import all_presets
from playground.tours import load_tour, tour_names
from playground.trainer import Trainer
from playground.ui import live_feed, share
from playground.ui.i18n import I18N, label_text, labelled_blocks, relabel, t
from playground.ui.session import DEFAULT_PRESET, Session, slider_values

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SESSION_TTL_SECONDS = 2 * 3600
LANGUAGE_NAMES = {"English": "en", "简体中文": "zh-CN"}
TEXT_TICKS_PER_SECOND = 2  # autoplay's text refreshes; its plots come as live_feed frames
QUICK = "hidden"  # no per-output loading overlay for sub-second steps: it costs repaints
UPLOAD_KINDS = {
    ".csv": "points-file",
    ".npy": "points-file",
    ".npz": "npz",
    ".idx": "idx",
    ".ubyte": "idx",
}

# (field, kind, extra) for every setup control; order = the order of handler arguments
CONTROL_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("dataset", "dropdown", {"choices": list(DATASETS)}),
    ("data_path", "text", {}),
    ("model", "dropdown", {"choices": list(MODELS)}),
    ("g_hidden", "int", {}),
    ("g_layers", "int", {}),
    ("d_hidden", "int", {}),
    ("d_layers", "int", {}),
    ("activation", "dropdown", {"choices": list(ACTIVATIONS)}),
    ("loss", "dropdown", {"choices": list(LOSSES)}),
    ("optimizer", "dropdown", {"choices": list(OPTIMIZERS)}),
    ("lr_g", "float", {}),
    ("lr_d", "float", {}),
    ("beta1", "float", {}),
    ("batch_size", "int", {}),
    ("z_dim", "int", {}),
    ("d_steps", "int", {}),
    ("g_steps", "int", {}),
    ("conditional", "bool", {}),
    ("pack", "int", {}),
    ("spectral_norm", "bool", {}),
    ("normalize", "bool", {}),
    ("ema_decay", "float", {}),
    ("seed", "int", {}),
    ("device", "dropdown", {}),
]
CONTROL_NAMES = [name for name, _, _ in CONTROL_FIELDS]


def device_choices() -> list[str]:
    choices = ["auto", "cpu"]
    if torch.cuda.is_available():
        choices.append("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        choices.append("mps")
    return choices


def _control(name: str, kind: str, extra: dict[str, Any], value: Any) -> gr.components.Component:
    label, info = t(f"field.{name}"), t(f"field.{name}.info")
    if kind == "dropdown":
        choices = extra.get("choices") or device_choices()
        return gr.Dropdown(
            choices=choices, value=value, label=label, info=info, elem_id=f"ctl-{name}"
        )
    if kind == "bool":
        return gr.Checkbox(value=value, label=label, info=info, elem_id=f"ctl-{name}")
    if kind == "text":
        return gr.Textbox(value=value, label=label, info=info, elem_id=f"ctl-{name}")
    precision = 0 if kind == "int" else None
    return gr.Number(
        value=value, label=label, info=info, precision=precision, elem_id=f"ctl-{name}"
    )


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn bad input into a gr.Error the user can act on; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, DataFormatError, CheckpointError) as exc:
            raise gr.Error(str(exc)) from None

    return wrapper


def _free(session: Session | None) -> None:
    """delete_callback: drop the trainer as soon as the tab is closed or has expired."""
    if session is not None:
        session.stop_autoplay()
        session.trainer = None  # type: ignore[assignment]


def config_from_controls(values: list[Any], base: GANConfig) -> GANConfig:
    """The base config with the setup panel's values on top (fields without a control, such
    as a preset's ring std, are kept)."""
    data = dict(zip(CONTROL_NAMES, values, strict=True))
    for name, kind, _ in CONTROL_FIELDS:
        value = data[name]
        if kind == "text":
            data[name] = value or ""
            continue
        if value is None or value == "":
            raise ValueError(f"{name}: please enter a value")
        if kind == "int":
            data[name] = int(value)
        elif kind == "float":
            data[name] = float(value)
        elif kind == "bool":
            data[name] = bool(value)
    return GANConfig.from_dict({**base.to_dict(), **data})


def controls_from_config(config: GANConfig) -> list[Any]:
    return [getattr(config, name) for name in CONTROL_NAMES]


def build_app(default_preset: str = DEFAULT_PRESET) -> gr.Blocks:
    """The whole playground; a new tab starts on `default_preset`."""
    presets = {p.name: p for p in all_presets()}
    tours = {name: load_tour(name) for name in tour_names()}
    if default_preset not in presets:
        raise ValueError(
            f"preset: unknown preset '{default_preset}'; choose one of {', '.join(presets)}"
        )
    default = Session.from_preset(default_preset)

    def _session(state: Session | None) -> Session:
        """This tab's session, built on its first event."""
        return state if state is not None else Session.from_preset(default_preset)

    def preset_text(session: Session) -> Any:
        """The description of the session's preset in its language (none for a loaded run)."""
        if session.preset not in presets:
            return gr.skip()
        return presets[session.preset].description_in(session.language)

    default_config = default.trainer.config

    with gr.Blocks(title="GAN Playground") as demo:
        state = gr.State(None, time_to_live=SESSION_TTL_SECONDS, delete_callback=_free)
        gr.Markdown(t("title"))
        with gr.Row():
            status = gr.Markdown(default.status_markdown(), elem_id="status")
            language = gr.Radio(
                list(LANGUAGE_NAMES),
                value="English",
                label="language / 语言",
                info=t("language.info"),
                elem_id="language",
                scale=0,
                min_width=220,
            )
        with gr.Row():
            with gr.Column(scale=1, min_width=300, elem_id="setup-panel"):
                preset = gr.Dropdown(
                    choices=[
                        (f"{p.title} · {p.title_in('zh-CN')}", p.name) for p in presets.values()
                    ],
                    value=default.preset,
                    label=t("preset"),
                    info=t("preset.info"),
                    elem_id="ctl-preset",
                )
                preset_md = gr.Markdown(presets[default.preset].description)
                with gr.Accordion(t("setup"), open=False):
                    controls = [
                        _control(name, kind, extra, getattr(default_config, name))
                        for name, kind, extra in CONTROL_FIELDS
                    ]
                    upload = gr.File(
                        label=t("upload"),
                        file_types=list(UPLOAD_KINDS),
                        elem_id="upload-data",
                    )
                    apply_btn = gr.Button(t("apply"), elem_id="btn-apply")
                with gr.Accordion(t("save_load"), open=False):
                    save_btn = gr.Button(t("save"), elem_id="btn-save")
                    samples_btn = gr.Button(t("samples"), elem_id="btn-samples")
                    export_btn = gr.Button(t("export"), elem_id="btn-export")
                    download = gr.File(label=t("download"), interactive=False, elem_id="download")
                    load_ckpt = gr.File(
                        label=t("load_ckpt"), file_types=[".zip"], elem_id="load-ckpt"
                    )
                    import_cfg = gr.File(
                        label=t("import_cfg"),
                        file_types=[".json"],
                        elem_id="import-config",
                    )
            with gr.Column(scale=3):
                with gr.Row():
                    step_d_btn = gr.Button(t("step_d"), variant="secondary", elem_id="btn-step-d")
                    step_g_btn = gr.Button(t("step_g"), variant="secondary", elem_id="btn-step-g")
                    step_btn = gr.Button(t("step"), variant="primary", elem_id="btn-step")
                    run_n = gr.Number(
                        value=100, precision=0, label="N", min_width=80, elem_id="run-n"
                    )
                    run_btn = gr.Button(t("run_n"), elem_id="btn-run")
                    play_btn = gr.Button(t("play"), elem_id="btn-play")
                    reset_btn = gr.Button(t("reset"), variant="stop", elem_id="btn-reset")
                with gr.Row():
                    per_tick = gr.Slider(
                        1,
                        200,
                        value=32,
                        step=1,
                        label=t("per_tick"),
                        info=t("per_tick.info"),
                    )
                    redraw_every = gr.Slider(
                        1,
                        20,
                        value=1,
                        step=1,
                        label=t("redraw"),
                        info=t("redraw.info"),
                    )
                    timeline = gr.Slider(
                        0,
                        1,
                        value=0,
                        step=1,
                        label=t("timeline"),
                        info=t("timeline.info"),
                        elem_id="timeline",
                    )
                with gr.Accordion(t("lecture"), open=True, elem_id="lecture"):
                    with gr.Row():
                        explain_btn = gr.Button(
                            lecture.text("button.start", "en"),
                            variant="primary",
                            elem_id="btn-explain",
                        )
                        back_btn = gr.Button(lecture.text("button.back", "en"), elem_id="btn-back")
                        next_btn = gr.Button(lecture.text("button.next", "en"), elem_id="btn-next")
                        auto_advance = gr.Slider(
                            0,
                            10,
                            value=0,
                            step=0.5,
                            label=t("auto_advance"),
                            elem_id="auto-advance",
                        )
                    with gr.Row():
                        tour_pick = gr.Dropdown(
                            [
                                (f"{t.title['en']} · {t.title['zh-CN']}", t.name)
                                for t in tours.values()
                            ],
                            value=next(iter(tours)),
                            label=t("tour"),
                            elem_id="tour-pick",
                        )
                        tour_start = gr.Button(t("tour_start"), elem_id="btn-tour-start")
                        tour_next = gr.Button(t("tour_next"), elem_id="btn-tour-next")
                        presenter = gr.Checkbox(
                            label=t("presenter"),
                            info=t("presenter.info"),
                            elem_id="presenter",
                        )
                        share_btn = gr.Button(t("share"), elem_id="btn-share")
                    share_link = gr.Textbox(
                        label=t("share_link"),
                        elem_id="share-link",
                        interactive=False,
                    )
                    caption = gr.Markdown(lecture.text("start", "en"), elem_id="lecture-caption")
                with gr.Tabs(selected=1) as tabs:
                    with gr.Tab(t("tab1"), id=1, elem_id="tab-1") as tab1:
                        batch_plot = gr.Plot(elem_id="view-batch", show_label=False)
                        batch_table = gr.Dataframe(
                            headers=["row", "part", "x", "label y", "D(x)", "loss term"],
                            interactive=False,
                            label=t("batch_table"),
                            elem_id="batch-table",
                        )
                    with gr.Tab(t("tab2"), id=2, elem_id="tab-2") as tab2:
                        g_md = gr.Markdown(elem_id="g-step-md")
                        g_plot = gr.Plot(elem_id="view-g", show_label=False)
                    with gr.Tab(t("tab3"), id=3, elem_id="tab-3") as tab3:
                        scores_plot = gr.Plot(elem_id="view-scores", show_label=False)
                    with gr.Tab(t("tab4"), id=4, elem_id="tab-4") as tab4:
                        loss_plot = gr.Plot(elem_id="view-loss", show_label=False)
                    with gr.Tab(t("tab5"), id=5, elem_id="tab-5") as tab5:
                        with gr.Row():
                            data_plot = gr.Plot(elem_id="view-data", show_label=False, scale=3)
                            with gr.Column(scale=1):
                                eval_btn = gr.Button(t("evaluate"), elem_id="btn-eval")
                                metrics_md = gr.Markdown(elem_id="metrics-md")
                    with gr.Tab(t("tab6"), id=6, elem_id="tab-6") as tab6:
                        with gr.Row():
                            with gr.Column(scale=1):
                                class_pick = gr.Slider(
                                    0,
                                    9,
                                    value=0,
                                    step=1,
                                    label=t("class"),
                                    visible=default.trainer.conditional,
                                    elem_id="class-pick",
                                )
                                latent_axes = gr.Radio(
                                    [
                                        ("z[0], z[1], … · z 的各维", "z"),
                                        ("PCA directions of G · G 的主成分方向", "pca"),
                                    ],
                                    value="z",
                                    label=t("latent_axes"),
                                    info=t("latent_axes.info"),
                                    elem_id="latent-axes",
                                )
                                sliders = [
                                    gr.Slider(
                                        -3,
                                        3,
                                        value=v,
                                        step=0.05,
                                        label=f"z[{i}]",
                                        visible=i < default_config.z_dim,
                                        elem_id=f"z-slider-{i}",
                                    )
                                    for i, v in enumerate(slider_values(default.z_a))
                                ]
                            with gr.Column(scale=2):
                                latent_plot = gr.Plot(elem_id="view-latent", show_label=False)
                                with gr.Row():
                                    rand_a = gr.Button(t("rand_a"), elem_id="btn-rand-a")
                                    rand_b = gr.Button(t("rand_b"), elem_id="btn-rand-b")
                                    method = gr.Radio(
                                        ["lerp", "slerp"], value="slerp", label=t("path")
                                    )
                                    frames = gr.Slider(2, 16, value=8, step=1, label=t("frames"))
                                    interp_btn = gr.Button(t("interpolate"), elem_id="btn-interp")
                                interp_plot = gr.Plot(elem_id="view-interp", show_label=False)
                summary = gr.JSON(visible=False, elem_id="summary")
                live = gr.Textbox(visible=False, elem_id="live-feed")
                play_token = gr.Textbox(visible=False, elem_id="play-token")
        timer = gr.Timer(1 / TEXT_TICKS_PER_SECOND, active=False)
        lecture_timer = gr.Timer(2.0, active=False)

        views = [
            status,
            batch_plot,
            batch_table,
            g_md,
            g_plot,
            scores_plot,
            loss_plot,
            data_plot,
            metrics_md,
            timeline,
            summary,
        ]
        latent_outputs = [class_pick, *sliders, latent_plot]
        # what the language switch rewrites (views relabel themselves in render())
        labelled = [
            (block, props)
            for block, props in labelled_blocks(demo.blocks.values())
            if block not in views
        ]

        plot_views: dict[Any, tuple[int, Callable[[Session], Any]]] = {
            batch_plot: (1, Session.batch_figure),
            g_plot: (2, Session.g_figure),
            scores_plot: (3, Session.scores_figure),
            loss_plot: (4, Session.loss_figure),
            data_plot: (5, Session.data_figure),
        }

        def open_tab_figures(session: Session) -> dict[str, Any]:
            """The open tab's figures as Plotly JSON, keyed by their plot's elem_id."""
            return {
                view.elem_id: build(session).to_plotly_json()
                for view, (tab, build) in plot_views.items()
                if tab == session.tab
            }

        def table_update(session: Session) -> Any:
            return gr.Dataframe(
                session.batch_table(),
                headers=session.table_headers(),
                label=label_text("batch_table", session.language),
            )

        def render(session: Session, live: dict[str, Any] | None = None) -> list[Any]:
            """All views; the plots of tabs the user is not looking at are skipped (each Plotly
            repaint costs the browser tens of ms) and drawn when their tab is opened. With
            `live` (a dict), the open tab's figures go into it instead, for the browser to draw
            straight into the plots on screen (see live_feed)."""
            snaps = session.trainer.snapshots

            def plot(view: Any) -> Any:
                tab, build = plot_views[view]
                if session.tab != tab:
                    return gr.skip()
                if live is not None:
                    live[view.elem_id] = build(session).to_plotly_json()
                    return gr.skip()
                return live_feed.stamped(build(session))

            def timeline_update() -> Any:
                top = max(max(snaps), session.trainer.iteration, min(snaps) + 1)
                return gr.Slider(
                    minimum=min(snaps),
                    maximum=top,
                    value=session.trainer.iteration,
                    label=label_text("timeline", session.language),
                    info=label_text("timeline.info", session.language),
                )

            return [
                session.status_markdown(),
                plot(batch_plot),
                table_update(session) if session.tab == 1 else gr.skip(),
                session.g_step_markdown(),
                plot(g_plot),
                plot(scores_plot),
                plot(loss_plot),
                plot(data_plot),
                session.metrics_markdown(),
                timeline_update(),
                session.summary(),
            ]

        def latent_render(session: Session, label: float | None = None) -> list[Any]:
            """The class picker, the sliders (captions and values for the run's slider axes)
            and G(z) for them."""
            t = session.trainer
            cls = (0 if label is None else int(label)) if t.conditional else None
            setup = session.slider_setup(cls)
            updates: list[Any] = [
                gr.Slider(maximum=max(t.num_classes - 1, 1), value=cls or 0, visible=t.conditional)
            ]
            updates += [
                gr.Slider(value=value, label=caption, visible=shown)
                for caption, value, shown in setup
            ]
            updates.append(session.latent_figure([value for _, value, _ in setup], cls))
            return updates

        # ---------------------------------------------------------------- stepping
        def stepper(action: str, in_browser: bool) -> Callable[..., Any]:
            """Step D / Step G / Step / Run N. The browser's buttons get their plots through
            the live feed (drawn into the plots on screen, half the repaint time); the named
            API endpoints return the figures themselves."""

            @_friendly
            def handler(state: Session | None, *n: float) -> list[Any]:
                session = _session(state)
                if action == "run" and (n[0] is None or not 1 <= int(n[0]) <= 100_000):
                    raise ValueError("N: run between 1 and 100000 iterations")
                with session.lock:
                    getattr(session, action)(*(int(v) for v in n))
                    if not in_browser:
                        return [session, *render(session)]
                    plots: dict[str, Any] = {}
                    return [session, *render(session, live=plots), live_feed.encode(plots)]

            handler.__name__ = action
            return handler

        for button, action, extra in (
            (step_d_btn, "step_d", []),
            (step_g_btn, "step_g", []),
            (step_btn, "step", []),
            (run_btn, "run", [run_n]),
        ):
            button.click(
                stepper(action, in_browser=True),
                [state, *extra],
                [state, *views, live],
                api_name=f"{action}_in_browser",
                api_visibility="private",
                show_progress=QUICK if action != "run" else "full",
            ).success(None, [live], None, js=live_feed.DRAW_JS)
            # the same action for gradio_client, on a trigger nobody sees
            gr.Button(visible=False).click(
                stepper(action, in_browser=False),
                [state, *extra],
                [state, *views],
                api_name=action,
            )

        @_friendly
        def reset(state: Session | None, *values: Any) -> list[Any]:
            old = _session(state)
            config = config_from_controls(list(values), old.trainer.config)
            session = old.fresh_run(config)
            session.say("reset")
            return [
                session,
                *render(session),
                *latent_render(session),
                gr.Timer(active=False),
                t("play"),
            ]

        reset_btn.click(
            reset,
            [state, *controls],
            [state, *views, *latent_outputs, timer, play_btn],
            api_name="reset",
        )

        @_friendly
        def apply(state: Session | None, *values: Any) -> list[Any]:
            current = _session(state)
            config = config_from_controls(list(values), current.trainer.config)
            session = current.reconfigure(config)
            return [session, *render(session), *latent_render(session)]

        apply_btn.click(
            apply, [state, *controls], [state, *views, *latent_outputs], api_name="apply"
        )

        @_friendly
        def choose_preset(state: Session | None, name: str) -> list[Any]:
            old = _session(state)
            session = old.successor(Session.from_preset(name, device=old.trainer.config.device))
            session.say("loaded_preset", name=name)
            return [
                session,
                preset_text(session),
                *controls_from_config(session.trainer.config),
                *render(session),
                *latent_render(session),
            ]

        preset.input(
            choose_preset,
            [state, preset],
            [state, preset_md, *controls, *views, *latent_outputs],
            api_name="preset",
        )

        @_friendly
        def uploaded(path: str | None) -> list[Any]:
            if not path:
                return [gr.skip(), gr.skip()]
            kind = UPLOAD_KINDS.get(Path(path).suffix.lower())
            if kind is None:
                raise ValueError(
                    f"upload: {Path(path).name} is not a .csv, .npy, .npz or .idx file"
                )
            return [kind, path]

        upload.upload(
            uploaded,
            [upload],
            [controls[CONTROL_NAMES.index("dataset")], controls[CONTROL_NAMES.index("data_path")]],
        )

        @_friendly
        def rewind(state: Session | None, iteration: float) -> list[Any]:
            session = _session(state)
            with session.lock:
                session.rewind(int(iteration))
                return [session, *render(session)]

        timeline.release(rewind, [state, timeline], [state, *views], api_name="rewind")

        @_friendly
        def evaluate_now(state: Session | None) -> list[Any]:
            session = _session(state)
            with session.lock:
                session.refresh_metrics()
                return [session, session.metrics_markdown()]

        eval_btn.click(evaluate_now, [state], [state, metrics_md], api_name="evaluate")

        # ---------------------------------------------------------------- autoplay
        # While playing, a thread trains; the page fetches the open tab's plots as frames
        # (live_feed, FRAMES_PER_SECOND) and the timer refreshes the texts, which change less
        # visibly, TEXT_TICKS_PER_SECOND times a second.
        def live_frame(session: Session) -> dict[str, Any]:
            """One autoplay frame for the page: the open tab's figures, every N-th frame."""
            if not session.playing:
                return {"playing": False}
            session.frames += 1
            if session.frames % session.redraw_every:
                return {"playing": True, "figures": {}}
            with session.lock:
                return {"playing": True, "figures": open_tab_figures(session)}

        frame_feed = live_feed.FrameFeed(live_frame)
        demo.frame_feed = frame_feed  # launch() mounts its route on the server

        def stop(session: Session, paused: bool) -> list[Any]:
            """Autoplay off: the timer, the button, the frame token, and all views repainted."""
            session.stop_autoplay()
            frame_feed.close(session.live_token)
            session.live_token = None
            with session.lock:
                if paused:
                    session.say("paused", iteration=session.trainer.iteration)
                return [gr.Timer(active=False), t("play"), "", *render(session)]

        def play(state: Session | None, n: float, every: float) -> list[Any]:
            session = _session(state)
            if session.playing:
                return [session, *stop(session, paused=True)]
            session.redraw_every = max(1, int(every))
            session.start_autoplay(max(1, int(n)) * live_feed.FRAMES_PER_SECOND)
            frame_feed.close(session.live_token)  # a run the guard stopped left its token
            session.live_token = frame_feed.open(session)
            started = [gr.Timer(active=True), t("pause"), session.live_token]
            return [session, *started, *[gr.skip()] * len(views)]

        play_btn.click(None, None, None, js=live_feed.STOP_JS)
        play_btn.click(
            play,
            [state, per_tick, redraw_every],
            [state, timer, play_btn, play_token, *views],
            api_name="play",
        ).success(None, [play_token], None, js=live_feed.PLAY_JS)

        def tick(state: Session | None, n: float, every: float) -> list[Any]:
            """While playing: the status line and the open tab's texts; the controls' values
            reach the player. Once the run has stopped: autoplay off."""
            session = _session(state)
            if not session.playing:  # the guard stopped a diverging run, or a new run began
                return [session, *stop(session, paused=False)]
            session.autoplay_rate = max(1, int(n)) * live_feed.FRAMES_PER_SECOND
            session.redraw_every = max(1, int(every))
            with session.lock:
                texts = {
                    status: session.status_markdown(),
                    batch_table: table_update(session) if session.tab == 1 else gr.skip(),
                    g_md: session.g_step_markdown() if session.tab == 2 else gr.skip(),
                }
            keep = [gr.skip()] * 3
            return [session, *keep, *[texts.get(view, gr.skip()) for view in views]]

        timer.tick(
            tick,
            [state, per_tick, redraw_every],
            [state, timer, play_btn, play_token, *views],
            show_progress="hidden",
        )

        # ---------------------------------------------------------------- latent space
        @_friendly
        def move_sliders(state: Session | None, label: float, *values: float) -> list[Any]:
            session = _session(state)
            with session.lock:
                cls = int(label) if session.trainer.conditional else None
                return [session, session.latent_figure(list(values), cls)]

        gr.on(
            [s.release for s in sliders] + [class_pick.release],
            move_sliders,
            [state, class_pick, *sliders],
            [state, latent_plot],
            api_name="latent",
        )

        @_friendly
        def randomise(which: str, state: Session | None, label: float) -> list[Any]:
            session = _session(state)
            with session.lock:
                session.randomise_end(which, int(np.random.default_rng().integers(2**31 - 1)))
                return [session, *latent_render(session, label)[1:]]

        rand_a.click(
            functools.partial(randomise, "A"), [state, class_pick], [state, *sliders, latent_plot]
        )
        rand_b.click(
            functools.partial(randomise, "B"), [state, class_pick], [state, *sliders, latent_plot]
        )

        @_friendly
        def set_latent_axes(state: Session | None, axes: str, label: float) -> list[Any]:
            session = _session(state)
            with session.lock:
                session.set_latent_axes(axes)
                return [session, *latent_render(session, label)[1:]]

        latent_axes.input(
            set_latent_axes,
            [state, latent_axes, class_pick],
            [state, *sliders, latent_plot],
            api_name="latent_axes",
        )

        @_friendly
        def interpolate(state: Session | None, n: float, how: str, label: float) -> list[Any]:
            session = _session(state)
            with session.lock:
                cls = int(label) if session.trainer.conditional else None
                return [session, session.interpolation_figure(int(n), how, cls)]

        interp_btn.click(
            interpolate,
            [state, frames, method, class_pick],
            [state, interp_plot],
            api_name="interpolate",
        )

        # ---------------------------------------------------------------- save / load
        @_friendly
        def save(state: Session | None) -> list[Any]:
            session = _session(state)
            with session.lock:
                path = (
                    Path(tempfile.mkdtemp(prefix="gan-ckpt-"))
                    / f"gan-playground-it{session.trainer.iteration}.zip"
                )
                zip_checkpoint(session.trainer, path, sampler=session.sampler)
            return [session, str(path)]

        save_btn.click(save, [state], [state, download], api_name="save")

        @_friendly
        def sample(state: Session | None, n: float = 1000) -> list[Any]:
            session = _session(state)
            if n is None or not 1 <= int(n) <= 100_000:
                raise ValueError("n: between 1 and 100000 samples")
            with session.lock:
                x, z, labels = session.trainer.sample(int(n), ema=session.use_ema)
            path = Path(tempfile.mkdtemp(prefix="gan-samples-")) / "samples.npz"
            arrays = {"x": x.numpy().astype(np.float32), "z": z.numpy().astype(np.float32)}
            if labels is not None:
                arrays["y"] = labels.numpy()
            np.savez(path, **arrays)
            return [session, str(path)]

        samples_btn.click(sample, [state], [state, download], api_name="sample")

        def export(state: Session | None) -> list[Any]:
            session = _session(state)
            path = Path(tempfile.mkdtemp(prefix="gan-config-")) / "gan-playground-config.json"
            setup = {"config": session.trainer.config.to_dict(), "preset": session.preset}
            if session.tour is not None:  # the tour position travels with the setup
                setup.update(tour=session.tour.name, tour_step=session.tour_step)
            path.write_text(json.dumps(setup, indent=2))
            return [session, str(path)]

        export_btn.click(export, [state], [state, download], api_name="export_config")

        @_friendly
        def load(state: Session | None, path: str | None) -> list[Any]:
            if not path:
                return [state, *[gr.skip()] * (len(views) + len(latent_outputs) + len(controls))]
            old = _session(state)
            trainer, info = unzip_checkpoint(path, device=old.trainer.config.device)
            session = old.successor(Session(trainer, preset="", sampler=info.get("sampler", "G")))
            session.say("loaded_ckpt", iteration=trainer.iteration)
            return [
                session,
                *controls_from_config(trainer.config),
                *render(session),
                *latent_render(session),
            ]

        load_ckpt.upload(
            load, [state, load_ckpt], [state, *controls, *views, *latent_outputs], api_name="load"
        )

        def select_tab(index: int, state: Session | None) -> list[Any]:
            session = _session(state)
            with session.lock:
                session.tab = index
                return [session, *render(session)]

        for index, tab in enumerate((tab1, tab2, tab3, tab4, tab5, tab6), start=1):
            tab.select(
                functools.partial(select_tab, index),
                [state],
                [state, *views],
                show_progress="hidden",
            )

        # ---------------------------------------------------------------- lecture mode
        lecture_outputs = [caption, tabs, lecture_timer]

        def narrate(session: Session, seconds: float) -> list[Any]:
            """The current sub-step's caption, its view selected, auto-advance timer set."""
            session.tab = session.narration.view(session.sub_step)
            more = session.sub_step < len(lecture.SUB_STEPS) - 1
            timer_update = gr.Timer(value=max(seconds, 0.5), active=bool(seconds) and more)
            text_ = session.narration.caption(session.sub_step, session.language)
            return [text_, gr.Tabs(selected=session.tab), timer_update]

        @_friendly
        def explain(state: Session | None, seconds: float) -> list[Any]:
            session = _session(state)
            session.stop_autoplay()
            with session.lock:
                session.narration = lecture.narrate_iteration(session.trainer)
                session.sub_step = 0
                session.say("explained", iteration=session.trainer.iteration)
                return [session, *narrate(session, seconds), *render(session)]

        explain_btn.click(
            explain, [state, auto_advance], [state, *lecture_outputs, *views], api_name="explain"
        )

        def move(delta: int, state: Session | None, seconds: float) -> list[Any]:
            session = _session(state)
            with session.lock:
                if session.narration is None:
                    return [
                        session,
                        lecture.text("start", session.language),
                        gr.skip(),
                        gr.Timer(active=False),
                        *[gr.skip()] * len(views),
                    ]
                last = len(lecture.SUB_STEPS) - 1
                session.sub_step = min(max(session.sub_step + delta, 0), last)
                return [session, *narrate(session, seconds), *render(session)]

        next_btn.click(
            functools.partial(move, 1),
            [state, auto_advance],
            [state, *lecture_outputs, *views],
            api_name="next",
        )
        back_btn.click(
            functools.partial(move, -1),
            [state, auto_advance],
            [state, *lecture_outputs, *views],
            api_name="back",
        )
        lecture_timer.tick(
            functools.partial(move, 1),
            [state, auto_advance],
            [state, *lecture_outputs, *views],
            show_progress="hidden",
        )

        def language_buttons(session: Session) -> list[Any]:
            lang = session.language
            return [gr.Button(lecture.text(f"button.{k}", lang)) for k in ("start", "back", "next")]

        def set_language(state: Session | None, name: str) -> list[Any]:
            session = _session(state)
            session.language = LANGUAGE_NAMES.get(name, "en")
            with session.lock:
                labels = [relabel(props, session.language) for _, props in labelled]
                return [
                    session,
                    session.lecture_text(),
                    *language_buttons(session),
                    preset_text(session),
                    *render(session),
                    *labels,
                ]

        language.input(
            set_language,
            [state, language],
            [
                state,
                caption,
                explain_btn,
                back_btn,
                next_btn,
                preset_md,
                *views,
                *[block for block, _ in labelled],
            ],
            api_name="language",
        )

        # ---------------------------------------------------------------- tours, links, presenter
        full_outputs = [preset, preset_md, *controls, caption, tabs, *views, *latent_outputs]

        def full_render(session: Session, text_: str) -> list[Any]:
            """Everything a new run changes: setup panel, caption, view tab, views, latent."""
            name = session.preset if session.preset in presets else gr.skip()
            return [
                name,
                preset_text(session),
                *controls_from_config(session.trainer.config),
                text_,
                gr.Tabs(selected=session.tab),
                *render(session),
                *latent_render(session),
            ]

        @_friendly
        def start_tour(state: Session | None, name: str) -> list[Any]:
            old = _session(state)
            old.tour = load_tour(name)
            session = old.play_tour_step(0)
            return [session, *full_render(session, session.tour.caption(0, session.language))]

        tour_start.click(
            start_tour, [state, tour_pick], [state, *full_outputs], api_name="start_tour"
        )

        @_friendly
        def next_tour_step(state: Session | None) -> list[Any]:
            session = _session(state)
            if session.tour is None:
                raise ValueError("tour: pick a tour and click Start tour first")
            if session.tour_step + 1 >= len(session.tour.steps):
                done = "✅ " + lecture.text("tour.end", session.language)
                text_ = session.tour.caption(session.tour_step, session.language) + "\n\n" + done
                return [
                    session,
                    *[gr.skip()] * 2,
                    *[gr.skip()] * len(controls),
                    text_,
                    *[gr.skip()] * (1 + len(views) + len(latent_outputs)),
                ]
            with session.lock:
                session = session.play_tour_step(session.tour_step + 1)
            return [
                session,
                *full_render(session, session.tour.caption(session.tour_step, session.language)),
            ]

        tour_next.click(next_tour_step, [state], [state, *full_outputs], api_name="next_tour_step")

        presenter.change(
            None,
            [presenter],
            None,
            js="(on) => { document.body.classList.toggle('presenter', on); return []; }",
        )

        def link(state: Session | None, request: gr.Request) -> str:
            session = _session(state)
            query = share.to_query(
                session.preset if session.preset in presets else "",
                session.trainer.config,
                session.tour.name if session.tour else None,
                session.tour_step,
            )
            origin = (
                request.headers.get("origin")
                or f"http://{request.headers.get('host', '127.0.0.1:7860')}"
            )
            return f"{origin}/?{query}"

        share_btn.click(link, [state], [share_link], api_name="link")

        @_friendly
        def import_config(state: Session | None, path: str | None) -> list[Any]:
            if not path:
                return [state, *[gr.skip()] * len(full_outputs)]
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"config file: not valid JSON ({exc})") from None
            if not isinstance(data, dict):
                raise ValueError("config file: expected a JSON object")
            config = GANConfig.from_dict(data.get("config", data))
            old = _session(state)
            name = data.get("preset") if data.get("preset") in presets else old.preset
            session = old.fresh_run(config, preset=name)
            session.tour = None
            text_: Any = gr.skip()
            if data.get("tour") in tours:
                step = int(data.get("tour_step", 0))
                session = session.start_tour_at(tours[data["tour"]], step)
                text_ = session.tour.caption(session.tour_step, session.language)
            session.say("imported")
            return [session, *full_render(session, text_)]

        import_cfg.upload(
            import_config, [state, import_cfg], [state, *full_outputs], api_name="import_config"
        )

        def from_link(request: gr.Request, language: str) -> Session | None:
            """The session a page URL asks for (?preset=…&seed=…&tour=…&step=…), if any."""
            setup = share.from_query(dict(request.query_params), default_preset)
            if setup is None:
                return None
            session = Session(
                Trainer(setup.config), preset=setup.preset, sampler=presets[setup.preset].sampler
            )
            session.language = language
            if setup.tour:
                session = session.start_tour_at(load_tour(setup.tour), setup.step)
            session.say("restored")
            return session

        # first paint: every tab shows something before the first click, in the browser's language
        def first_paint(state: Session | None, request: gr.Request) -> list[Any]:
            owner = request.session_hash if request is not None else None
            header = request.headers.get("accept-language", "") if request is not None else ""
            language = lecture.normalise_language(header.split(",")[0].strip())
            session = _session(state)
            if state is None or session.owner != owner:
                # a page load is a new tab: its own fresh run. The state seen here can be a copy
                # of another tab's early state (seen with Gradio 6.31), so only a state this
                # browser session built itself is kept.
                try:
                    link_session = from_link(request, language) if request is not None else None
                    session = link_session or Session.from_preset(default_preset)
                    session.language = language
                except ValueError as exc:
                    session = Session.from_preset(default_preset)
                    session.language = language
                    session.say("bad_link", error=str(exc))
            session.owner = owner
            name = next(k for k, v in LANGUAGE_NAMES.items() if v == session.language)
            text_ = session.lecture_text()
            return [session, name, *language_buttons(session), *full_render(session, text_)]

        demo.load(
            first_paint,
            [state],
            [state, language, explain_btn, back_btn, next_btn, *full_outputs],
        )
    return demo


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    preset: str = DEFAULT_PRESET,
    **kwargs: Any,
) -> gr.Blocks:
    # one thread per op: the small MLPs run faster that way, and sessions, autoplay threads
    # and the web server then share the cores instead of fighting over them
    torch.set_num_threads(1)
    demo = build_app(preset)
    demo.queue(default_concurrency_limit=16)
    css = (ASSETS / "styles" / "playground.css").read_text(encoding="utf-8")
    demo.launch(
        prevent_thread_lock=True,  # to add the autoplay frame route before serving for good
        server_name=host,
        server_port=port,
        share=share,
        ssr_mode=False,
        css=css,
        i18n=I18N,
        # Gradio's run history copies every event's outputs (whole figures) into the browser's
        # storage: ~20 ms of main-thread work per step here, and a playground has no use for it
        run_history=False,
        **kwargs,
    )
    demo.frame_feed.mount(demo.app)
    demo.block_thread()
    return demo
