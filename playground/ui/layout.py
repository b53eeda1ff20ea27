"""Where every component sits. One screen at 1280×720 holds the step controls, the status and
caption, the model graph with a loss sparkline, the stacked batch and the data view; setup,
save/load, tours, sharing and playback live in a side drawer that does not push the picture
down; secondary views are tabs under the main screen.

`build_layout` returns every component by name; handlers speak those names (see handlers.py).
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import torch

from playground.engine.config import ACTIVATIONS, DATASETS, LOSSES, MODELS, OPTIMIZERS
from playground.io.presets import Preset
from playground.teaching.compare import ComparisonSpec
from playground.teaching.tours import Tour
from playground.ui.i18n import t
from playground.ui.latent_space import INTERP_FRAMES, SLIDER_DIMS, slider_values
from playground.ui.session import Session
from playground.views.figures import DATA_LAYERS

# each view's element id: the page's JavaScript draws frames and fast steps into these
VIEW_IDS = {
    "sparkline": "view-sparkline",
    "batch_plot": "view-batch",
    "data_plot": "view-data",
    "g_plot": "view-g",
    "scores_plot": "view-scores",
    "loss_plot": "view-loss",
    "latent_plot": "view-latent",
    "interp_plot": "view-interp",
    "compare_a_data": "view-compare-a-data",
    "compare_a_batch": "view-compare-a-batch",
    "compare_b_data": "view-compare-b-data",
    "compare_b_batch": "view-compare-b-batch",
    "compare_loss": "view-compare-loss",
}
LANGUAGE_NAMES = {"English": "en", "简体中文": "zh-CN"}
SECONDARY_TABS = ("g", "scores", "loss", "latent", "metrics", "table", "compare")
UPLOAD_KINDS = {
    ".csv": "points-file",
    ".npy": "points-file",
    ".npz": "npz",
    ".idx": "idx",
    ".ubyte": "idx",
}

# (field, kind, extra) for every setup control; order = the order of /reset and /apply inputs
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
    ("clusters", "int", {}),
    ("pack", "int", {}),
    ("spectral_norm", "bool", {}),
    ("normalize", "bool", {}),
    ("ema_decay", "float", {}),
    ("seed", "int", {}),
    ("device", "dropdown", {}),
]
CONTROL_NAMES = [name for name, _, _ in CONTROL_FIELDS]
CONTROLS = [f"ctl.{name}" for name in CONTROL_NAMES]
SLIDERS = [f"z.{i}" for i in range(SLIDER_DIMS)]


def checked(box: gr.Number, name: str) -> gr.Number:
    """The number box, with a bad value (text, null, out of float range) sent by a script or a
    hand-made request turned into a message naming the field instead of Gradio's generic one.
    (Wrapped on the instance: a subclass would make Gradio look for a custom component.)"""
    preprocess = box.preprocess

    def named(payload: Any) -> Any:
        try:
            return preprocess(payload)
        except (TypeError, ValueError, OverflowError):
            raise gr.Error(f"{name}: enter a number") from None

    box.preprocess = named  # type: ignore[method-assign]
    return box


def device_choices() -> list[str]:
    choices = ["auto", "cpu"]
    if torch.cuda.is_available():
        choices.append("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        choices.append("mps")
    return choices


def _control(name: str, kind: str, extra: dict[str, Any], value: Any) -> gr.components.Component:
    label, info = t(f"field.{name}"), t(f"field.{name}.info")
    common = dict(label=label, info=info, elem_id=f"ctl-{name}")
    if kind == "dropdown":
        return gr.Dropdown(choices=extra.get("choices") or device_choices(), value=value, **common)
    if kind == "bool":
        return gr.Checkbox(value=value, **common)
    if kind == "text":
        return gr.Textbox(value=value, **common)
    return checked(gr.Number(value=value, precision=0 if kind == "int" else None, **common), name)


def preset_choices(presets: dict[str, Preset], language: str) -> list[tuple[str, str]]:
    return [(p.title_in(language), p.name) for p in presets.values()]


def tour_choices(tours: dict[str, Tour], language: str) -> list[tuple[str, str]]:
    return [(tour.title[language], tour.name) for tour in tours.values()]


def comparison_choices(
    comparisons: dict[str, ComparisonSpec], language: str
) -> list[tuple[str, str]]:
    return [(spec.title_in(language), spec.name) for spec in comparisons.values()]


def build_layout(
    default: Session,
    presets: dict[str, Preset],
    tours: dict[str, Tour],
    comparisons: dict[str, ComparisonSpec],
) -> dict:
    """Every component, by name. Call inside a gr.Blocks context."""
    ui: dict[str, Any] = {}
    ui["state"] = gr.State(None)
    with gr.Sidebar(open=False, width=360, elem_id="drawer", label=t("drawer")):
        _drawer(ui, default, presets, tours, comparisons)
    with gr.Column(elem_id="main-screen"):
        _toolbar(ui)
        with gr.Row(elem_id="status-row", equal_height=False):
            ui["status"] = gr.HTML(default.status_html(), elem_id="status", padding=False)
            with gr.Column(scale=3, min_width=300, elem_id="caption-box"):
                ui["caption"] = gr.Markdown(default.lecture_text(), elem_id="lecture-caption")
            ui["tour_next"] = gr.Button(
                t("tour_next"),
                size="sm",
                visible=False,
                scale=0,
                min_width=150,
                elem_id="btn-tour-next",
            )
        with gr.Row(elem_id="picture", equal_height=False):
            with gr.Column(scale=10, min_width=300, elem_id="graph-column"):
                ui["graph"] = gr.HTML(default.graph_html(), elem_id="model-graph")
                ui["sparkline"] = gr.HTML(
                    default.sparkline_svg(), elem_id=VIEW_IDS["sparkline"], elem_classes="svg-view"
                )
            with gr.Column(scale=9, min_width=300):
                ui["batch_plot"] = gr.HTML(
                    default.batch_svg(), elem_id=VIEW_IDS["batch_plot"], elem_classes="svg-view"
                )
            with gr.Column(scale=10, min_width=300):
                ui["data_plot"] = gr.Plot(elem_id=VIEW_IDS["data_plot"], show_label=False)
                ui["layers"] = gr.CheckboxGroup(
                    [(layer, layer) for layer in DATA_LAYERS],
                    value=list(default.layers),
                    show_label=False,
                    container=False,
                    elem_id="data-layers",
                )
                _drawing(ui)
        _secondary_tabs(ui, default)
    ui["summary"] = gr.JSON(visible=False, elem_id="summary")
    ui["live"] = gr.Textbox(visible=False, elem_id="live-feed")
    ui["play_token"] = gr.Textbox(visible=False, elem_id="play-token")
    ui["page_token"] = gr.Textbox(visible=False)  # the tab's fast-step token (first paint)
    # clicked by the page's script after a fast step (live_feed.FastSteps); never shown
    ui["after_step"] = gr.Button("", elem_id="btn-after-step", elem_classes=["script-only"])
    # while playing: frames bring the pictures and the status line; this timer brings the
    # controls' values to the player and notices a stopped run. Each tick is a Gradio event
    # on the server: at 2 ticks a second autoplay trained at 0.54-0.59x Trainer.run, with
    # the timer off at 0.67-0.75x (two probe runs each, frames fetched without a page)
    ui["timer"] = gr.Timer(2.0, active=False)
    ui["lecture_timer"] = gr.Timer(2.0, active=False)
    return ui


# the toolbar's buttons start disabled and first paint enables them: a click before the tab's
# session exists would be overwritten by first paint's fresh run
TOOLBAR_BUTTONS = [
    "step_d_btn",
    "step_g_btn",
    "step_btn",
    "run_btn",
    "play_btn",
    "reset_btn",
    "explain_btn",
    "back_btn",
    "next_btn",
]


def _toolbar(ui: dict[str, Any]) -> None:
    with gr.Row(elem_id="toolbar", equal_height=True):
        for name, key, variant in (
            ("step_d", "step_d", "secondary"),
            ("step_g", "step_g", "secondary"),
            ("step", "step", "primary"),
        ):
            ui[f"{name}_btn"] = gr.Button(
                t(key),
                variant=variant,
                size="sm",
                elem_id=f"btn-{name.replace('_', '-')}",
                min_width=70,
            )
        ui["run_n"] = gr.Number(
            value=100,
            precision=None,  # 2.5 reaches the handler, which says N must be whole (not 2)
            label="N",
            min_width=70,
            elem_id="run-n",
            container=False,
            scale=0,
        )
        checked(ui["run_n"], "N")
        ui["run_btn"] = gr.Button(t("run_n"), size="sm", elem_id="btn-run", min_width=70)
        ui["stop_btn"] = gr.Button(t("stop_run"), size="sm", elem_id="btn-stop", min_width=50)
        ui["play_btn"] = gr.Button(t("play"), size="sm", elem_id="btn-play", min_width=70)
        ui["reset_btn"] = gr.Button(
            t("reset"), variant="stop", size="sm", elem_id="btn-reset", min_width=60
        )
        ui["explain_btn"] = gr.Button(
            t("button.start"), variant="primary", size="sm", elem_id="btn-explain", min_width=90
        )
        ui["back_btn"] = gr.Button(t("button.back"), size="sm", elem_id="btn-back", min_width=60)
        ui["next_btn"] = gr.Button(t("button.next"), size="sm", elem_id="btn-next", min_width=60)
    for name in TOOLBAR_BUTTONS:
        ui[name].interactive = False


def _drawer(
    ui: dict[str, Any],
    default: Session,
    presets: dict[str, Preset],
    tours: dict[str, Tour],
    comparisons: dict[str, ComparisonSpec],
) -> None:
    config = default.trainer.config
    ui["language"] = gr.Radio(
        list(LANGUAGE_NAMES),
        value="English",
        label="language / 语言",
        info=t("language.info"),
        elem_id="language",
    )
    ui["presenter"] = gr.Checkbox(
        label=t("presenter"), info=t("presenter.info"), elem_id="presenter"
    )
    ui["preset"] = gr.Dropdown(
        choices=preset_choices(presets, "en"),
        value=default.preset,
        label=t("preset"),
        info=t("preset.info"),
        elem_id="ctl-preset",
    )
    ui["trained"] = gr.Checkbox(label=t("trained"), info=t("trained.info"), elem_id="trained-start")
    ui["preset_md"] = gr.Markdown(presets[default.preset].description, elem_id="preset-md")
    with gr.Accordion(t("setup"), open=False, elem_id="setup-panel") as ui["setup_panel"]:
        for (name, kind, extra), key in zip(CONTROL_FIELDS, CONTROLS, strict=True):
            ui[key] = _control(name, kind, extra, getattr(config, name))
        ui["upload"] = gr.File(
            label=t("upload"), file_types=list(UPLOAD_KINDS), elem_id="upload-data"
        )
        ui["apply_btn"] = gr.Button(t("apply"), elem_id="btn-apply")
    with gr.Accordion(t("lecture"), open=True, elem_id="lecture") as ui["lecture_panel"]:
        ui["auto_advance"] = gr.Slider(
            0, 10, value=0, step=0.5, label=t("auto_advance"), elem_id="auto-advance"
        )
        ui["tour_pick"] = gr.Dropdown(
            tour_choices(tours, "en"), value=next(iter(tours)), label=t("tour"), elem_id="tour-pick"
        )
        ui["tour_start"] = gr.Button(t("tour_start"), elem_id="btn-tour-start")
        ui["compare_pick"] = gr.Dropdown(
            comparison_choices(comparisons, "en"),
            value=next(iter(comparisons)),
            label=t("compare_pick"),
            info=t("compare_pick.info"),
            elem_id="compare-pick",
        )
        ui["compare_start"] = gr.Button(t("compare_btn"), elem_id="btn-compare-start")
        ui["share_btn"] = gr.Button(t("share"), elem_id="btn-share")
        ui["share_link"] = gr.Textbox(
            label=t("share_link"), elem_id="share-link", interactive=False
        )
    with gr.Accordion(t("playback"), open=False, elem_id="playback") as ui["playback_panel"]:
        ui["per_tick"] = gr.Slider(
            1, 200, value=32, step=1, label=t("per_tick"), info=t("per_tick.info")
        )
        ui["redraw_every"] = gr.Slider(
            1, 20, value=1, step=1, label=t("redraw"), info=t("redraw.info")
        )
        ui["timeline"] = gr.Slider(
            0, 1, value=0, step=1, label=t("timeline"), info=t("timeline.info"), elem_id="timeline"
        )
    with gr.Accordion(t("save_load"), open=False, elem_id="save-load") as ui["save_load_panel"]:
        ui["save_btn"] = gr.Button(t("save"), elem_id="btn-save")
        ui["samples_btn"] = gr.Button(t("samples"), elem_id="btn-samples")
        ui["export_btn"] = gr.Button(t("export"), elem_id="btn-export")
        ui["export_code_btn"] = gr.Button(t("export_code"), elem_id="btn-export-code")
        ui["export_weights"] = gr.Checkbox(
            False,
            label=t("export_weights"),
            info=t("export_weights.info"),
            elem_id="export-weights",
        )
        ui["download"] = gr.File(label=t("download"), interactive=False, elem_id="download")
        ui["load_ckpt"] = gr.File(label=t("load_ckpt"), file_types=[".zip"], elem_id="load-ckpt")
        ui["import_cfg"] = gr.File(
            label=t("import_cfg"), file_types=[".json"], elem_id="import-config"
        )
    ui["title_md"] = gr.Markdown(t("title"), elem_id="about")


def _drawing(ui: dict[str, Any]) -> None:
    """Painting a distribution on the data view (assets/js/drawing.js holds the points)."""
    with gr.Accordion(t("draw"), open=False, elem_id="drawing") as ui["drawing_panel"]:
        with gr.Row():
            ui["draw_on"] = gr.Checkbox(False, label=t("draw_on"), elem_id="draw-on")
            ui["draw_erase"] = gr.Checkbox(False, label=t("draw_erase"), elem_id="draw-erase")
        with gr.Row():
            ui["brush"] = gr.Slider(0.03, 0.6, value=0.15, step=0.01, label=t("brush"))
            ui["density"] = gr.Slider(1, 20, value=6, step=1, label=t("density"))
        with gr.Row():
            ui["draw_clear"] = gr.Button(t("draw_clear"), elem_id="btn-draw-clear")
            ui["draw_train"] = gr.Button(t("draw_train"), elem_id="btn-draw-train")
        ui["drawn_text"] = gr.Textbox(visible=False)  # filled from the page on Train


def _secondary_tabs(ui: dict[str, Any], default: Session) -> None:
    config = default.trainer.config
    with gr.Tabs(selected="scores", elem_id="secondary") as tabs:
        ui["tabs"] = tabs
        with gr.Tab(t("tab.g"), id="g", elem_id="tab-g") as tab:
            ui["tab.g"] = tab
            ui["g_md"] = gr.Markdown(elem_id="g-step-md")
            ui["g_plot"] = gr.Plot(elem_id=VIEW_IDS["g_plot"], show_label=False)
        with gr.Tab(t("tab.scores"), id="scores", elem_id="tab-scores") as tab:
            ui["tab.scores"] = tab
            ui["scores_plot"] = gr.Plot(elem_id=VIEW_IDS["scores_plot"], show_label=False)
        with gr.Tab(t("tab.loss"), id="loss", elem_id="tab-loss") as tab:
            ui["tab.loss"] = tab
            ui["loss_plot"] = gr.Plot(elem_id=VIEW_IDS["loss_plot"], show_label=False)
        with gr.Tab(t("tab.latent"), id="latent", elem_id="tab-latent") as tab:
            ui["tab.latent"] = tab
            with gr.Row():
                with gr.Column(scale=1, min_width=260):
                    ui["class_pick"] = gr.Slider(
                        0,
                        9,
                        value=0,
                        step=1,
                        label=t("class"),
                        visible=default.trainer.conditional,
                        elem_id="class-pick",
                    )
                    ui["latent_axes"] = gr.Radio(
                        [(t("axes.z"), "z"), (t("axes.pca"), "pca")],
                        value="z",
                        label=t("latent_axes"),
                        info=t("latent_axes.info"),
                        elem_id="latent-axes",
                    )
                    for i, (key, value) in enumerate(
                        zip(SLIDERS, slider_values(default.z_a), strict=True)
                    ):
                        ui[key] = gr.Slider(
                            -3,
                            3,
                            value=value,
                            step=0.05,
                            label=f"z[{i}]",
                            visible=i < config.z_dim,
                            elem_id=f"z-slider-{i}",
                        )
                with gr.Column(scale=2, min_width=300):
                    ui["latent_plot"] = gr.Plot(elem_id=VIEW_IDS["latent_plot"], show_label=False)
                    with gr.Row():
                        ui["rand_a"] = gr.Button(t("rand_a"), elem_id="btn-rand-a")
                        ui["rand_b"] = gr.Button(t("rand_b"), elem_id="btn-rand-b")
                        ui["method"] = gr.Radio(["lerp", "slerp"], value="slerp", label=t("path"))
                        ui["frames"] = gr.Slider(*INTERP_FRAMES, value=8, step=1, label=t("frames"))
                        ui["interp_btn"] = gr.Button(t("interpolate"), elem_id="btn-interp")
                    ui["interp_plot"] = gr.Plot(elem_id=VIEW_IDS["interp_plot"], show_label=False)
        with gr.Tab(t("tab.metrics"), id="metrics", elem_id="tab-metrics") as tab:
            ui["tab.metrics"] = tab
            ui["eval_btn"] = gr.Button(t("evaluate"), elem_id="btn-eval")
            ui["metrics_md"] = gr.Markdown(elem_id="metrics-md")
        with gr.Tab(t("tab.compare"), id="compare", elem_id="tab-compare") as tab:
            ui["tab.compare"] = tab
            ui["compare_md"] = gr.Markdown(elem_id="compare-md")
            ui["compare_summary"] = gr.JSON(visible=False)  # for API clients
            ui["compare_step_btn"] = gr.Button(visible=False)  # API-only triggers
            ui["compare_run_btn"] = gr.Button(visible=False)
            ui["compare_n"] = gr.Number(100, visible=False, precision=0)
            with gr.Row():
                for run in ("a", "b"):
                    with gr.Column(min_width=300):
                        ui[f"compare_{run}_md"] = gr.Markdown(t(f"compare.run_{run}"))
                        ui[f"compare_{run}_data"] = gr.Plot(
                            elem_id=VIEW_IDS[f"compare_{run}_data"], show_label=False
                        )
                        ui[f"compare_{run}_batch"] = gr.HTML(
                            elem_id=VIEW_IDS[f"compare_{run}_batch"], elem_classes="svg-view"
                        )
            ui["compare_loss"] = gr.Plot(elem_id=VIEW_IDS["compare_loss"], show_label=False)
        with gr.Tab(t("tab.table"), id="table", elem_id="tab-table") as tab:
            ui["tab.table"] = tab
            ui["batch_table"] = gr.Dataframe(
                headers=default.table_headers(),
                interactive=False,
                label=t("batch_table"),
                elem_id="batch-table",
            )
