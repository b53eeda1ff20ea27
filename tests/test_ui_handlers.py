"""The UI's handlers and views without a browser: real sessions and trainers, the updates
each handler returns (keyed by component name), the model graph's lit path."""

from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import pytest
import torch

from playground.engine.trainer import Trainer
from playground.io.checkpoint import zip_checkpoint
from playground.io.presets import all_presets, load_preset
from playground.teaching.compare import comparison_names, load_comparison
from playground.teaching.tours import load_tour, tour_names
from playground.ui import handlers, handlers_files, handlers_lecture, handlers_live, render, share
from playground.ui.layout import CONTROL_NAMES
from playground.ui.player import AUTOPLAY_THREAD
from playground.ui.session import Session, markdown_safe


@pytest.fixture(scope="module")
def ctx() -> handlers.Context:
    presets = {p.name: p for p in all_presets()}
    tours = {name: load_tour(name) for name in tour_names()}
    comparisons = {name: load_comparison(name) for name in comparison_names()}
    return handlers.Context("classroom", presets, tours, comparisons)


def _graph(updates: dict) -> str:
    """The model graph an event showed: a step draws it through the live feed."""
    if "graph" in updates:
        return updates["graph"]
    return json.loads(updates["live"])["__html__"]["model-graph"]


def test_step_d_lights_the_d_path_and_step_g_locks_d(ctx: handlers.Context) -> None:
    out = handlers.step(ctx, "step_d", True, None)
    session = out["state"]
    graph = _graph(out)
    assert 'data-last="d"' in graph
    assert re.search(r'data-node="d\.D" data-lit="true"', graph)
    assert re.search(r'data-node="g\.G" data-lit="false"', graph)
    assert 'data-gradient="d"' in graph
    live = json.loads(out["live"])  # the visible figures for the page to draw in place
    assert {"view-data", "__html__"} <= set(live)
    assert {"model-graph", "view-batch", "view-sparkline"} <= set(live["__html__"])  # SVG views
    out = handlers.step(ctx, "step_g", True, session)
    graph = _graph(out)
    assert 'data-last="g"' in graph and 'data-gradient="g"' in graph
    assert re.search(r'data-node="g\.D" data-lit="true" data-locked="true"', graph)
    assert "‖Δθ_D‖ = 0<" in graph


def _lanes(graph: str) -> tuple[str, set[str], float]:
    """The graph's data-lanes, the lanes its nodes belong to, and its viewBox width."""
    nodes = {node.split(".")[0] for node in re.findall(r'data-node="([a-z.A-Z]+)"', graph)}
    width = float(re.search(r'viewBox="[-\d.]+ 0 ([\d.]+) ', graph)[1])
    return re.search(r'data-lanes="([a-z ]+)"', graph)[1], nodes, width


def test_presenter_view_draws_the_graph_lane_of_the_step_alone(ctx: handlers.Context) -> None:
    """One lane, so that the same column draws its text 1.5x as large: the D lane after Step D
    (and before any step), the G lane with D locked after Step G, the narrated lane in slow
    motion; presenter view off brings both lanes back."""
    session = handlers.step(ctx, "step_d", True, None)["state"]
    both = _lanes(session.graph_html())
    assert both[:2] == ("d g", {"d", "g"})
    handlers_lecture.set_presenter(ctx, session, True)
    lanes, nodes, width = _lanes(session.graph_html())
    assert (lanes, nodes) == ("d", {"d"}) and width <= both[2] / 1.8
    assert 'data-gradient="d"' in session.graph_html()
    graph = _graph(handlers.step(ctx, "step_g", True, session))
    assert _lanes(graph)[:2] == ("g", {"g"})
    assert re.search(r'data-node="g\.D" data-lit="true" data-locked="true"', graph)
    assert "‖Δθ_D‖ = 0<" in graph and 'data-gradient="g"' in graph
    handlers_lecture.explain(ctx, session, 0)  # slow motion: sub-step 1 is the D step's noise
    assert _lanes(session.graph_html())[:2] == ("d", {"d"})
    fresh = Session.from_preset("classroom")
    fresh.presenter = True
    assert _lanes(fresh.graph_html())[:2] == ("d", {"d"})  # before any step: the D lane
    # what presenter view hides is not built for it, and comes back when it is turned off
    session.tab = "loss"
    hidden = {"view-sparkline", "view-loss"}
    live = json.loads(handlers.step(ctx, "step", True, session)["live"])
    assert not hidden & (set(live) | set(live["__html__"]))
    back = handlers_lecture.set_presenter(ctx, session, False)
    assert {"sparkline", "loss_plot"} <= set(back)
    live = json.loads(handlers.step(ctx, "step", True, session)["live"])
    assert hidden <= set(live) | set(live["__html__"])
    assert _lanes(session.graph_html())[:2] == ("d g", {"d", "g"})


def test_slow_motion_builds_the_picture_sub_step_by_sub_step(ctx: handlers.Context) -> None:
    out = handlers_lecture.explain(ctx, None, 0)
    session = out["state"]
    stages = []
    for index in range(10):
        if index:
            out = handlers_lecture.move(ctx, 1, session, 0)
        stages.append((session.narrated_stage(), session.batch_svg(), _graph(out)))
    noise, generate, concat, score, loss = stages[:5]
    # the batch view: z only, then G(z), then the stacked batch with y, then scores, then loss
    assert ">z (2)<" in noise[1] and 'class="y-fake"' not in generate[1]
    assert 'data-row="64"' not in generate[1]  # the real half is not there yet
    assert 'class="y-fake"' in concat[1] and 'data-row="127"' in concat[1]
    assert "bars-d " not in concat[1] and "bars-d " in score[1] and "bars-loss" not in score[1]
    assert loss[1].count('class="bars-loss ') == 2  # one path per half
    assert 'data-node="d.z" data-lit="true"' in noise[2]
    assert 'data-node="d.loss" data-lit="false"' in noise[2]
    assert "loss_D = " not in noise[2]  # no number before it exists
    assert "loss_D = " in loss[2] and 'data-node="d.loss" data-lit="true"' in loss[2]
    assert 'data-gradient="d"' in stages[5][2]  # sub-step 6: gradients flow into D
    assert 'data-gradient="g"' in stages[8][2] and session.tab == "g"  # 9: D frozen
    # sub-step 3: the data view holds only this batch's fakes and reals, no heat-map yet
    session.sub_step = 2
    kinds = [trace.type for trace in session.data_figure().data]
    assert "heatmap" not in kinds and kinds.count("scatter") == 2


def _next_frame(session: Session) -> str:
    for _ in range(200):
        frame = session.player.take_frame()
        if frame is not None:
            return frame
        time.sleep(0.01)
    raise AssertionError("no autoplay frame within 2 s")


def test_autoplay_frames_come_from_the_player_thread_once_each(ctx: handlers.Context) -> None:
    session = handlers.step(ctx, "step", True, None)["state"]
    builders = []

    def spy() -> str | None:  # the player's frame builder, noting which thread runs it
        builders.append(threading.current_thread().name)
        return build()

    handlers_live.play(ctx, session, 20, 1)  # 200 iterations/s
    build = session.player._frame_builder
    session.player._frame_builder = spy
    frame = json.loads(_next_frame(session))
    assert frame["playing"] and "view-data" in frame["figures"]
    assert {"model-graph", "view-batch", "view-sparkline"} <= set(frame["figures"]["__html__"])
    first = frame["figures"]["__html__"]["view-sparkline"]
    later_frame = json.loads(_next_frame(session))
    later = later_frame["figures"]["__html__"]["view-sparkline"]
    assert later != first  # each frame is handed over once; the next one is newer
    # the status line comes with the frames (the play timer only ticks every 2 s)
    shown = [int(re.search(r"Iteration (\d+)", f["status"]).group(1)) for f in (frame, later_frame)]
    assert 1 < shown[0] < shown[1]
    assert set(builders) == {AUTOPLAY_THREAD}  # built between training chunks, not here
    handlers_live.play(ctx, session, 20, 1)  # Pause
    assert json.loads(handlers_live.live_frame(session)) == {"playing": False}


def test_auto_advance_changes_take_effect_mid_walk(ctx: handlers.Context) -> None:
    session = handlers_lecture.explain(ctx, None, 0)["state"]
    timer = handlers_lecture.auto_advance(ctx, session, 1.5)["lecture_timer"]
    assert timer.active and timer.value == 1.5
    assert not handlers_lecture.auto_advance(ctx, session, 0)["lecture_timer"].active


def test_every_view_is_current_after_run_and_after_a_preset_change(ctx: handlers.Context) -> None:
    session = handlers.step(ctx, "step", True, None)["state"]
    handlers.select_tab(ctx, "latent", session)
    out = handlers.step(ctx, "run", True, session, 40)
    live = json.loads(out["live"])
    title = live["view-latent"]["layout"]["title"]["text"]
    assert (
        "iteration 41" in title and "iteration 41" in live["view-interp"]["layout"]["title"]["text"]
    )
    out = handlers.choose_preset(ctx, session, "digits-cgan")
    new = out["state"]
    assert new.trainer.config.dataset == "digits"
    for name in ("data_plot", "latent_plot", "interp_plot"):
        figure = out[name]
        assert all(trace.type != "scatter" for trace in figure.data), name
    assert "data-x" not in out["batch_plot"]  # no point rows of the old dataset
    assert out["layers"]["visible"] is False  # point layers make no sense for images
    handlers.select_tab(ctx, "scores", new)
    hidden = handlers.choose_preset(ctx, new, "ring8")
    assert hidden["latent_plot"] is None  # a closed tab's old picture is cleared


def test_data_view_layers_and_the_manifold(ctx: handlers.Context) -> None:
    session = handlers.step(ctx, "step", True, None)["state"]
    out = handlers.set_layers(ctx, session, ["heatmap", "manifold"])
    figure = out["data_plot"]
    names = [trace.type for trace in figure.data]
    assert names == ["heatmap", "scatter"]  # the heat-map and the warped z grid only
    mesh = figure.data[1]
    assert mesh.mode == "lines" and len(mesh.x) == 2 * 15 * 16
    full = handlers.set_layers(ctx, session, ["real", "fake", "heatmap", "gradient"])["data_plot"]
    arrows = full.data[-1]
    assert arrows.mode == "lines" and len(arrows.x) == 7 * 80  # shaft, gap, head, gap each
    xy = np.column_stack([arrows.x, arrows.y])[:7]
    base, tip, wings = xy[0], xy[1], xy[[3, 5]]
    assert np.array_equal(xy[4], tip) and np.isnan(xy[2]).all()
    for wing in wings:  # both strokes of the head point back along the shaft from the tip
        assert np.dot(wing - tip, tip - base) < 0
    assert np.linalg.norm(wings[0] - tip) == pytest.approx(np.linalg.norm(wings[1] - tip))
    heat = full.data[0]
    x_range = full.layout.xaxis.range
    assert x_range[0] < heat.x[0] and x_range[1] > heat.x[-1]  # the heat-map fills the plot
    with pytest.raises(ValueError, match="layers: unknown layer"):
        handlers.set_layers(ctx, session, ["sparkles"])


def test_language_switch_relabels_and_keeps_values(ctx: handlers.Context) -> None:
    session = Session.from_preset("ring8")
    ctx.labelled = [("ctl.seed", {"label": "field.seed", "info": "field.seed.info"})]
    out = handlers_lecture.set_language(ctx, session, "简体中文")
    seed = out["ctl.seed"]
    assert seed["label"] == "随机种子" and seed["value"] == session.trainer.config.seed
    assert "第 0 轮迭代" in out["status"]
    assert "CPU（" in out["status"]  # the device words too
    assert "噪声" in out["graph"]


def test_share_link_and_export_after_a_tour_and_a_checkpoint_load(
    ctx: handlers.Context, tmp_path
) -> None:
    config = load_preset("ring8").config.replace(seed=11, lr_d=0.0003, device="cpu")
    trainer = Trainer(config)
    trainer.run(5)
    path = zip_checkpoint(trainer, tmp_path / "run.zip", preset="ring8")
    session = handlers_lecture.start_tour(ctx, None, "lr-too-high")["state"]
    assert session.tour is not None
    loaded = handlers_files.load(ctx, session, str(path))["state"]
    assert loaded.tour is None and loaded.preset == "ring8"  # the tour ended with the load
    setup = handlers_files.setup_of(ctx, loaded)
    assert setup["preset"] == "ring8" and "tour" not in setup
    query = share.to_query(setup["preset"], loaded.trainer.config)
    params = dict(pair.split("=") for pair in query.split("&"))
    restored = share.from_query(params, "classroom")
    assert restored.config == loaded.trainer.config
    exported = json.loads(open(handlers_files.export(ctx, loaded)["download"]).read())
    assert exported["preset"] == "ring8" and "tour" not in exported


def test_a_page_load_selecting_a_tab_builds_no_session(ctx: handlers.Context) -> None:
    assert handlers.select_tab(ctx, "scores", None) == {}


def test_bad_values_name_their_field(ctx: handlers.Context) -> None:
    session = Session.from_preset("classroom")
    values = [getattr(session.trainer.config, name) for name in CONTROL_NAMES]
    values[CONTROL_NAMES.index("batch_size")] = None
    with pytest.raises(ValueError, match="batch_size: please enter a value"):
        handlers.apply(ctx, session, *values)
    with pytest.raises(ValueError, match=r"N: run between 1 and \d+ iterations"):
        handlers.step(ctx, "run", True, session, 0)
    with pytest.raises(ValueError, match="preset: unknown preset"):
        handlers.choose_preset(ctx, session, "<b>nope</b>")
    with pytest.raises(ValueError, match="tour: unknown tour"):
        handlers_lecture.start_tour(ctx, session, "../../etc/passwd")


def test_render_merges_a_relabel_with_a_new_value() -> None:
    import gradio as gr

    merged = render.merged({"a": gr.update(label="L")}, {"a": 3, "b": 4})
    assert merged["a"]["label"] == "L" and merged["a"]["value"] == 3 and merged["b"] == 4


def test_a_comparison_steps_both_runs_and_shows_them_side_by_side(ctx: handlers.Context) -> None:
    out = handlers_lecture.start_comparison(ctx, None, "minimax-vs-nonsat")
    session = out["state"]
    assert session.tab == "compare" and session.partner is not None
    a, b = session.trainer, session.partner.trainer
    assert (a.config.loss, b.config.loss) == ("minimax", "nonsat")
    assert a.dataset is b.dataset and a.config.seed == b.config.seed
    assert "`loss`: A = minimax · B = nonsat" in out["compare_md"]
    for action, n in (("step_d", ()), ("step_g", ()), ("step", ()), ("run", (30,))):
        out = handlers.step(ctx, action, True, session, *n)
    assert a.iteration == b.iteration == 32 and a.d_step_count == b.d_step_count == 156
    live = json.loads(out["live"])  # the open comparison tab: both runs' views, one loss chart
    for run in ("a", "b"):
        assert f"view-compare-{run}-data" in live
        assert "all 256 rows" in live["__html__"][f"view-compare-{run}-batch"]
    names = [trace["name"] for trace in live["view-compare-loss"]["data"]]
    assert names == ["loss_D · A", "loss_G · A", "loss_D · B", "loss_G · B"]
    summary = out["summary"]["comparison"]
    assert summary["A"]["iteration"] == summary["B"]["iteration"] == 32
    assert summary["differences"] == [["loss", "minimax", "nonsat"]]
    assert "**B** · iteration 32" in out["compare_md"]
    handlers.rewind(ctx, session, 0)
    assert a.iteration == b.iteration == 0
    out = handlers.choose_preset(ctx, session, "ring8")  # a new run ends the comparison
    assert out["state"].partner is None and out["state"].tab == "scores"
    assert "No comparison running" in out["compare_md"]


def test_a_tour_step_opens_a_comparison_and_quotes_both_runs(ctx: handlers.Context) -> None:
    out = handlers_lecture.start_tour(ctx, None, "lr-too-high")
    out = handlers_lecture.next_tour_step(ctx, out["state"])
    out = handlers_lecture.next_tour_step(ctx, out["state"])
    session = out["state"]
    assert session.partner is not None and session.comparison.name == "lr-too-high-vs-sane"
    assert session.diverged and not session.partner.diverged
    caption = out["caption"]
    assert "the guard stops the run after iteration 1" in caption
    assert f"(iteration {session.partner.trainer.iteration}" in caption
    assert "?" not in caption.split("Question:")[0]
    # one rule for both runs (compare.Comparison, as in the tour test): A stays where its
    # guard stopped it, B goes on, and A's status line still says why
    a_at, b_at = session.trainer.iteration, session.partner.trainer.iteration
    out = handlers.step(ctx, "run", True, session, 20)
    assert session.trainer.iteration == a_at and session.partner.trainer.iteration == b_at + 20
    assert "diverged at iteration" in out["status"]


def test_d_filter_layer_shows_kept_and_rejected_samples_and_their_metrics(
    ctx: handlers.Context,
) -> None:
    session = handlers.step(ctx, "run", False, None, 300)["state"]
    handlers.set_layers(ctx, session, ["real", "heatmap", "drs"])
    names = [t.name for t in session.data_figure().data]
    assert "G(z) D keeps" in names and "G(z) D rejects" in names
    assert "D keeps" in session.data_figure().layout.title.text
    md = handlers.evaluate(ctx, session)["metrics_md"]
    assert "D's filter: samples kept %" in md and "D's filter: high-quality %" in md
    assert "spread of HQ samples" in md and "energy distance, real vs real" in md


def test_the_data_view_numbers_the_modes_captions_name(ctx: handlers.Context) -> None:
    """A tour says "G sits on mode 7": the data view writes 1…8 beside the ring's centres (in
    the metrics' order, just outside each), and leaves a 25-mode grid unnumbered."""
    import numpy as np

    from playground.ui.session import Session

    session = Session.from_preset("mode-hopping", device="cpu")
    numbers = next(t for t in session.data_figure().data if t.name == "modes")
    assert numbers.mode == "text" and list(numbers.text) == [str(i) for i in range(1, 9)]
    centres = session.trainer.dataset.centres.numpy()
    at = np.column_stack([numbers.x, numbers.y])
    assert np.all(np.linalg.norm(at, axis=1) > np.linalg.norm(centres, axis=1))  # outside
    nearest = np.argmin(np.linalg.norm(at[:, None] - centres[None], axis=2), axis=1)
    assert list(nearest) == list(range(8))  # each number beside its own mode
    grid = Session.from_preset("grid25", device="cpu")
    assert "modes" not in [t.name for t in grid.data_figure().data]


def test_a_fast_step_answers_with_the_status_line_and_the_visible_views(
    ctx: handlers.Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's Step over live_feed.FastSteps: the tab's current run steps, the answer is
    what the page draws (the status line as HTML, the figures and the graph), and the Gradio
    event after it brings the rest without the status line (already drawn)."""
    session = Session.from_preset("classroom")
    session.owner = "tab-a"
    ctx.track(session)
    answer = json.loads(handlers.fast_step(ctx, "tab-a", "step"))
    assert session.trainer.iteration == 1
    assert "<strong>Iteration 1</strong>" in answer["status"]
    assert answer["status"].startswith('<div class="status-line">')
    assert {"view-data", "__html__"} <= set(answer["figures"])
    assert 'data-last="g"' in answer["figures"]["__html__"]["model-graph"]
    after = handlers.after_fast_step(ctx, session)
    assert "status" not in after and after["timeline"].value == 1
    # no such tab, an action the route does not take, a run that stays busy: no step
    assert handlers.fast_step(ctx, "tab-b", "step") is None
    assert handlers.fast_step(ctx, "tab-a", "run") is None
    monkeypatch.setattr(handlers.live_feed, "STEP_WAIT", 0.05)
    held, release = threading.Event(), threading.Event()

    def busy() -> None:  # another request holds the run (the lock is re-entrant per thread)
        with session.lock:
            held.set()
            release.wait(5)

    holder = threading.Thread(target=busy)
    holder.start()
    held.wait(5)
    assert handlers.fast_step(ctx, "tab-a", "step_d") is None
    release.set()
    holder.join()
    assert session.trainer.iteration == 1 and session.trainer.d_step_count == 1
    ctx.sessions.pop("tab-a")


def test_the_status_line_escapes_what_a_user_typed() -> None:
    session = Session.from_preset("classroom")
    session.say("bad_link", error=markdown_safe("**x** <img src=x> [a](http://e.com)"))
    line = session.status_html()
    assert "<img" not in line and "<a " not in line and "<strong>x</strong>" not in line
    assert "&lt;img src=x&gt;" in line and "**x**" in line


def test_gradio_does_not_summarise_every_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """launch() turns off the pandas summary Gradio makes of all recorded events after each
    event (for a monitoring page this app does not open): 2-7 ms a click otherwise."""
    import gradio as gr

    from playground.ui import app as ui_app

    for name in ("GRADIO_ANALYTICS_CACHE_FREQUENCY", "GRADIO_ANALYTICS_MAX_EVENTS"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    ui_app._skip_event_analytics()
    with gr.Blocks() as demo:
        gr.Markdown("x")
    demo.queue()
    records = [{"function": "step", "status": "success", "process_time": 0.01}] * 50
    demo._queue.events_recorded = 50
    assert demo._queue.compute_analytics_summary(records) == {"functions": {}}


def test_the_fast_step_route_runs_one_step_per_tab_at_a_time() -> None:
    """A tab that floods the route gets 409 for every step while its last one runs (the page
    then goes through Gradio's queue), so it cannot hold the route's threads; other tabs'
    steps still run; unknown tokens and actions get 404."""
    import anyio

    from playground.ui import live_feed

    release = threading.Event()
    ran: list[tuple[str, str]] = []

    def step(owner: str, action: str) -> str:
        ran.append((owner, action))
        if owner == "slow":
            release.wait(5)
        return '{"status": "", "figures": {}}'

    feed = live_feed.FastSteps(step)
    slow, other = feed.open("slow"), feed.open("other")

    async def scenario() -> list[int]:
        codes: list[int] = []
        async with anyio.create_task_group() as group:

            async def first() -> None:
                codes.append((await feed.respond(slow, "step")).status_code)

            group.start_soon(first)
            await anyio.sleep(0.2)  # the slow tab's step is running now
            for _ in range(20):
                codes.append((await feed.respond(slow, "step")).status_code)
            codes.append((await feed.respond(other, "step_d")).status_code)
            codes.append((await feed.respond("nobody", "step")).status_code)
            codes.append((await feed.respond(other, "run")).status_code)
            release.set()
        codes.append((await feed.respond(slow, "step_g")).status_code)
        return codes

    codes = anyio.run(scenario)
    assert codes[:20] == [409] * 20
    assert codes[20:23] == [200, 404, 404] and codes[23:] == [200, 200]
    assert ran == [("slow", "step"), ("other", "step_d"), ("slow", "step_g")]
    feed.forget("slow")
    assert anyio.run(feed.respond, slow, "step").status_code == 404


def test_the_fast_step_route_keeps_a_bounded_number_of_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tabs whose close the server never heard of leave tokens behind: the oldest go first."""
    import anyio

    from playground.ui import live_feed

    monkeypatch.setattr(live_feed, "STEP_TOKENS", 3)
    feed = live_feed.FastSteps(lambda owner, action: "{}")
    tokens = [feed.open(f"tab-{i}") for i in range(5)]
    codes = [anyio.run(feed.respond, token, "step").status_code for token in tokens]
    assert codes == [404, 404, 200, 200, 200]


def test_stretched_heat_map_spans_ds_own_range(ctx: handlers.Context) -> None:
    """A slow D scores 0.49-0.52 everywhere: on 0-1 colours an even grey; the "stretch D's
    colours" layer maps D's own lowest score to white and its highest to the darkest grey,
    and says so on the colour bar."""
    from playground.evaluation.probes import decision_field

    session = handlers.step(ctx, "run", False, None, 20)["state"]
    handlers.set_layers(ctx, session, ["real", "fake", "heatmap"])
    plain = next(t for t in session.data_figure().data if t.type == "heatmap")
    assert (plain.zmin, plain.zmax) == (0.0, 1.0)
    handlers.set_layers(ctx, session, ["real", "fake", "heatmap", "stretch"])
    stretched = next(t for t in session.data_figure().data if t.type == "heatmap")
    field = decision_field(session.trainer, session.bounds)[2]
    assert stretched.zmin == pytest.approx(float(field.min()))
    assert stretched.zmax == pytest.approx(float(field.max()), abs=1e-5)
    assert stretched.colorbar.title.text == "D(x), stretched"
    session.language = "zh-CN"
    chinese = next(t for t in session.data_figure().data if t.type == "heatmap")
    assert chinese.colorbar.title.text == "D(x)（拉伸）"


def test_a_tour_step_sets_the_data_view_layers(
    ctx: handlers.Context, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mode-hopping stop where D has begun to mark G's mode turns the stretched heat-map
    on, and the layer toggles show it; a step without `layers` keeps what the user chose."""
    from playground.teaching.tours import load_tour

    tour = load_tour("mode-collapse")
    marks = next(i for i, s in enumerate(tour.steps) if s.layers)
    assert "stretch" in tour.steps[marks].layers
    assert any(str(c) == "d_marks_g == 1" for c in tour.steps[marks].until)
    caption = {"en": "a", "zh-CN": "甲"}
    steps = [
        {"preset": "ring8", "caption": caption},
        {"run": 10, "layers": ["real", "heatmap", "stretch"], "caption": caption},
        {"run": 10, "caption": caption},
    ]
    (tmp_path / "layered.json").write_text(
        json.dumps({"title": caption, "steps": steps}, ensure_ascii=False)
    )
    monkeypatch.setitem(ctx.tours, "layered", load_tour("layered", tmp_path))  # this test's
    out = handlers_lecture.start_tour(ctx, None, "layered")
    assert out["layers"]["value"] == ["real", "fake", "heatmap", "gradient"]
    out = handlers_lecture.next_tour_step(ctx, out["state"])
    assert out["state"].layers == ("real", "heatmap", "stretch")
    assert out["layers"]["value"] == ["real", "heatmap", "stretch"]
    out = handlers_lecture.next_tour_step(ctx, out["state"])
    assert out["layers"]["value"] == ["real", "heatmap", "stretch"]
    # a preset chosen after the tour ends it, and its layers: the user's come back
    out = handlers.choose_preset(ctx, out["state"], "grid25")
    assert out["state"].tour is None
    assert out["state"].layers == ("real", "fake", "heatmap", "gradient")


def test_the_ring8_views_show_the_spread_g_draws_and_its_mmd_term() -> None:
    session = Session.from_preset("ring8")
    t = session.trainer
    assert t.config.g_noise and t.config.mmd_weight > 0
    t.step_d()
    record = t.step_g()  # the first G step of a run carries the MMD term
    assert record.penalty > 0
    assert f"(+MMD {record.penalty:.2g})" in session.graph_html()
    t.step_g()  # the next (mmd_every 4) does not: the graph says loss_G alone
    assert t.last_g.penalty == 0 and "MMD" not in session.graph_html()
    # the data view's fakes are μ(z) + σ·ε at the preset's sample_noise, not μ(z) alone
    mean = t.generate(session.view_z, ema=session.use_ema)
    shown = t.generate(session.view_z, ema=session.use_ema, noise=session._view_noise())
    sigma = (t.G_ema.sigma() if session.use_ema else t.G.sigma()).detach()
    expected = session.view_eps * t.config.sample_noise * sigma
    assert torch.allclose(shown - mean, expected, atol=1e-5)


def test_an_unexpected_error_mid_run_is_said_and_the_run_kept(
    ctx: handlers.Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Run N whose 4th R1 penalty raises (as the threaded FLOP counter once made it):
    the user reads what failed and where, the summary counts the iterations that ran, the
    weights are the last finished step's, and the next click trains on."""
    from playground.engine import losses

    session = handlers.choose_preset(ctx, None, "ring8")["state"]
    calls, real_r1 = [0], losses.r1_penalty

    def r1_that_fails_once(*args: object, **kwargs: object) -> torch.Tensor:
        calls[0] += 1
        if calls[0] == 4:
            raise RuntimeError("injected failure")
        return real_r1(*args, **kwargs)

    monkeypatch.setattr(losses, "r1_penalty", r1_that_fails_once)
    out = handlers.step(ctx, "run", False, session, 20)
    summary = out["summary"]
    # lazy R1 runs on D steps 0, 4, 8, 12: the 4th is iteration 13's D step
    assert summary["iteration"] == 12 == session.trainer.iteration
    assert "stopped at iteration 13" in summary["message"]
    assert "RuntimeError: injected failure" in summary["message"]
    assert "12 iterations of this click ran and are kept" in summary["message"]
    weights = session.trainer.weights()
    assert all(torch.isfinite(w).all() for w in weights.values())
    out = handlers.step(ctx, "run", False, session, 5)
    assert out["summary"]["iteration"] == 17
    assert out["summary"]["message"] == "ran 5 iterations"


def test_slow_motion_then_a_step_leaves_no_stale_caption_or_number(
    ctx: handlers.Context,
) -> None:
    """The graph quotes an update's ‖Δθ‖ only from the sub-step that makes it, and a Step
    in the middle of slow motion ends it: the caption no longer quotes the narrated
    iteration's numbers beside a graph that shows the new step's."""
    out = handlers_lecture.explain(ctx, None, 0)
    session = out["state"]
    graphs = [_graph(out)]
    for _ in range(9):
        graphs.append(_graph(handlers_lecture.move(ctx, 1, session, 0)))
    delta_d = re.compile(r'data-node="d\.D"[^>]*>.*?‖Δθ_D‖ = ', re.S)
    first_d = next(i for i, graph in enumerate(graphs) if "‖Δθ_D‖ = 0.0" in graph)
    assert first_d == 6, "D's ‖Δθ_D‖ before sub-step 7 (D updates)"
    first_g = next(i for i, graph in enumerate(graphs) if "‖Δθ_G‖ = " in graph)
    assert first_g == 9, "G's ‖Δθ_G‖ before sub-step 10 (G updates)"
    assert delta_d.search(graphs[6])
    session.sub_step = 6
    assert "Sub-step 7 / 10" in session.lecture_text()
    for action, in_browser in (("step", True), ("step_d", False)):
        out = handlers.step(ctx, action, in_browser, session)
        assert "caption" not in out or out["caption"] == session.lecture_text()
        assert session.narration is None
        assert "Sub-step" not in session.lecture_text()
    after_fast = handlers.after_fast_step(ctx, session)
    assert after_fast["caption"] == session.lecture_text()


def test_texts_beside_the_views_speak_the_tabs_language_and_plain_numbers(
    ctx: handlers.Context,
) -> None:
    out = handlers.step(ctx, "run", False, None, 30)
    session = out["state"]
    assert session.message == "ran 30 iterations"
    out = handlers_lecture.set_language(ctx, session, "简体中文")
    assert "30" in session.message and "ran" not in session.message
    handlers_lecture.set_language(ctx, session, "English")
    # the empty A/B view is a picture, not Markdown: no raw *emphasis*
    note = session.partner_figure(Session.data_figure).layout.annotations[0].text
    assert "*" not in note and "A/B comparison" in note
    session.refresh_metrics(n=500)
    table = session.metrics_markdown()
    hq = re.search(r"high-quality[^|]*\| ([0-9.]+) \|", table)
    assert hq and re.fullmatch(r"\d+\.\d", hq[1]), table
    with pytest.raises(ValueError, match="N: run between 1 and"):
        handlers.step(ctx, "run", False, session, 2.5)
    assert session.trainer.iteration == 30


def _shafts(figure: object) -> np.ndarray:
    """The lengths of G's gradient arrows in a data view (data_view.arrow_paths: 7 points each)."""
    trace = next(t for t in figure.data if t.name == "G's gradient")
    points = np.stack([np.asarray(trace.x, float), np.asarray(trace.y, float)], 1)
    arrows = points.reshape(-1, 7, 2)
    return np.linalg.norm(arrows[:, 1] - arrows[:, 0], axis=1)


def test_a_comparisons_caption_and_its_tab_quote_one_measure_at_one_scale(
    ctx: handlers.Context,
) -> None:
    """The saturating-loss tour's comparison: the numbers its caption quotes are the ones
    the A/B tab prints (both means of the last iterations: the tab printed the last value,
    6.11 beside the caption's 3.51), and the two data views draw G's gradient at one scale
    (each drew its own, so the run whose gradient vanishes drew the longest arrows)."""
    out = handlers_lecture.start_tour(ctx, None, "saturating-loss")
    out = handlers_lecture.next_tour_step(ctx, out["state"])
    session, caption = out["state"], out["caption"]
    tab = session.compare_markdown()
    number = r"([0-9]+\.[0-9]+)"
    quoted = re.search(rf"D\(G\(z\)\) = {number}.*?‖∇G‖ = {number}.*?‖∇G‖ = {number}", caption)
    a_line, b_line = (line for line in tab.splitlines() if line.startswith(("**A**", "**B**")))
    for value, line, pattern in (
        (quoted[1], a_line, r"D\(G\(z\)\) ([0-9.e-]+)"),
        (quoted[2], a_line, r"‖∇G‖ ([0-9.e-]+)"),
        (quoted[3], b_line, r"‖∇G‖ ([0-9.e-]+)"),
    ):
        shown = float(re.search(pattern, line)[1])
        digits = len(value.split(".")[1])
        assert round(shown, digits) == pytest.approx(float(value)), (caption, tab)
    session.layers = ("real", "fake", "gradient")
    a_arrows = _shafts(session.data_figure())
    b_arrows = _shafts(session.partner_figure(Session.data_figure))
    # A (minimax) has the vanishing gradient: its arrows are the shorter ones
    assert np.percentile(a_arrows, 90) < 0.5 * np.percentile(b_arrows, 90)


def test_run_n_reports_progress_and_stop_keeps_what_ran(ctx: handlers.Context) -> None:
    session = handlers.choose_preset(ctx, None, "grid25")["state"]
    limit = session.run_limit()
    told: list[tuple[int, int]] = []
    stopped = threading.Event()

    def progress(fraction: tuple[int, int], desc: str = "") -> None:
        told.append(fraction)
        if fraction[0] >= 50 and not stopped.is_set():
            stopped.set()
            threading.Thread(target=handlers.stop_run, args=(ctx, session)).start()

    out = handlers.run_n(ctx, session, limit, progress)
    done = session.trainer.iteration
    assert 50 <= done < limit
    assert told[:3] == [(25, limit), (50, limit), (75, limit)][: len(told[:3])]
    assert out["summary"]["message"] == f"stopped Run N after {done} of {limit} iterations (Stop)"
    out = handlers.run_n(ctx, session, 10, lambda *a, **k: None)  # Stop is not remembered
    assert session.trainer.iteration == done + 10


def test_a_rebuild_says_which_run_it_replaced(ctx: handlers.Context) -> None:
    session = handlers.step(ctx, "run", False, None, 40)["state"]
    rebuilt = session.reconfigure(session.trainer.config.replace(g_hidden=48))
    assert rebuilt.trainer.iteration == 0
    assert "replaced the run at iteration 40" in rebuilt.message
    assert "g_hidden" in rebuilt.message


def test_an_unexpected_error_in_any_handler_names_the_action(ctx: handlers.Context) -> None:
    import functools

    import gradio as gr

    def export_samples(ctx: handlers.Context, state: object) -> dict:
        raise KeyError("G_ema")

    wrapped = handlers.friendly(functools.partial(export_samples, ctx))
    with pytest.raises(gr.Error, match=r"export samples failed: KeyError: 'G_ema'\. This tab"):
        wrapped(None)


def test_a_preset_starts_trained_when_asked_and_says_so(ctx: handlers.Context) -> None:
    out = handlers.choose_preset(ctx, None, "digits-cgan", True)
    session = out["state"]
    assert session.trained and out["trained"] is True
    assert session.trainer.iteration == ctx.presets["digits-cgan"].steps
    assert "trained start" in session.message and "Reset" in session.message
    # Reset trains from scratch; a preset without a trained start says it has none
    assert not handlers.choose_preset(ctx, session, "digits-cgan")["state"].trained
    plain = handlers.choose_preset(ctx, session, "grid25", True)
    assert plain["state"].trainer.iteration == 0 and plain["trained"] is False
    assert "ships no trained start" in plain["state"].message


def test_the_self_conditioned_mnist_preset_names_its_clusters(ctx: handlers.Context) -> None:
    """mnist is steered by 30 stroke clusters: the picker, the batch column and the grid say
    "cluster" (not "class"), the grid shows 32 samples at the clusters' shares, and moving
    the setup to 2-D points drops the clusters instead of failing on them."""
    out = handlers.choose_preset(ctx, None, "mnist")
    session = out["state"]
    assert session.trainer.clustered and session.trainer.num_classes == 30
    pick = out["class_pick"]
    assert pick["visible"] is True and pick["maximum"] == 29 and pick["label"].startswith("cluster")
    session.language = "zh-CN"
    assert render.latent_views(session)["class_pick"]["label"] == "聚类（自条件）"
    session.language = "en"
    handlers.step(ctx, "step", True, session)
    batch = session.batch_svg()
    assert ">cluster<" in batch and ">class<" not in batch
    grid = session.data_figure()
    assert len(session.fixed_z) == 32 and "one row per class" not in grid.layout.title.text
    values = [getattr(session.trainer.config, name) for name in CONTROL_NAMES]
    values[CONTROL_NAMES.index("dataset")] = "ring8"
    values[CONTROL_NAMES.index("model")] = "mlp"
    moved = handlers.apply(ctx, session, *values)["state"]
    assert moved.trainer.config.dataset == "ring8" and moved.trainer.config.clusters == 0
    values = [getattr(moved.trainer.config, name) for name in CONTROL_NAMES]
    values[CONTROL_NAMES.index("dataset")] = "mnist"
    values[CONTROL_NAMES.index("model")] = "dcgan"
    values[CONTROL_NAMES.index("clusters")] = 1
    with pytest.raises(ValueError, match=r"clusters: 0 \(off\) or at least 2"):
        handlers.apply(ctx, moved, *values)
