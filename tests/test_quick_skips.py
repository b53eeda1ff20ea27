"""Outputs a handler leaves out are answered "no change" without Gradio building copies of
them; the outputs it returns are post-processed exactly as Gradio does."""

from __future__ import annotations

import asyncio

import gradio as gr
from gradio.state_holder import SessionState

from playground.ui.quick_skips import skip_untouched_outputs


def _blocks() -> tuple[gr.Blocks, dict]:
    with gr.Blocks(analytics_enabled=False) as demo:
        parts = {
            "state": gr.State(0),
            "md": gr.Markdown("a"),
            "plot": gr.Plot(),
            "html": gr.HTML("<b>b</b>"),
            "timer": gr.Timer(1.0, active=False),
            "json": gr.JSON({}),
        }
        button = gr.Button("go")
        button.click(lambda: None, None, list(parts.values()))
    return demo, parts


def _post(demo: gr.Blocks, updates: dict, state: SessionState) -> list:
    return asyncio.run(demo.postprocess_data(demo.fns[0], updates, state))


def _plain(value: object) -> object:
    """A JSON output's value (Gradio wraps it in a pydantic root model)."""
    return getattr(value, "root", value)


def _keyed(parts: dict, names: dict) -> dict:
    return {parts[name]: value for name, value in names.items()}


def test_returned_outputs_match_gradio_and_the_rest_are_unchanged() -> None:
    plain, plain_parts = _blocks()
    quick, quick_parts = _blocks()
    skip_untouched_outputs(quick)
    updates = {"md": "**new**", "timer": gr.Timer(active=True), "json": {"a": [1, 2]}}
    expected = _post(plain, _keyed(plain_parts, updates), SessionState(plain))
    state = SessionState(quick)
    got = _post(quick, _keyed(quick_parts, updates), state)
    names = list(plain_parts)
    assert len(got) == len(expected) == len(names)
    for name, want, have in zip(names, expected, got, strict=True):
        if name in updates:
            assert have == want, name
        else:  # Gradio's answer is "no change" too (an HTML's carries an empty props dict)
            assert have == (None if name == "state" else {"__type__": "update"}), name
            assert want is None or (want["__type__"] == "update" and "value" not in want)
    # no per-session copy was built for the outputs left alone
    for name in ("plot", "html"):
        assert state.blocks_config.blocks[quick_parts[name]._id] is quick_parts[name]


def test_a_returned_state_is_kept_and_a_single_output_is_not_wrapped_twice() -> None:
    demo, parts = _blocks()
    skip_untouched_outputs(demo)
    state = SessionState(demo)
    _post(demo, {parts["state"]: {"run": 7}}, state)
    assert state[parts["state"]._id] == {"run": 7}
    got = _post(demo, {parts["json"]: {"x": 1}}, state)
    assert _plain(got[-1]) == {"x": 1}
    assert state[parts["state"]._id] == {"run": 7}  # left out: keeps its value


def test_every_output_returned_goes_through_gradio_unchanged() -> None:
    demo, parts = _blocks()
    skip_untouched_outputs(demo)
    outputs = list(parts.values())
    values = [1, "m", None, "<i>h</i>", gr.Timer(active=True), {"k": 1}]
    got = _post(demo, dict(zip(outputs, values, strict=True)), SessionState(demo))
    assert got[1] == "m" and got[3] == "<i>h</i>" and _plain(got[5]) == {"k": 1}


def test_the_playground_uses_it() -> None:
    from playground.ui.app import build_app

    demo = build_app()
    widest = max(demo.fns.values(), key=lambda fn: len(fn.outputs))
    status = next(b for b in widest.outputs if getattr(b, "elem_id", None) == "status")
    state = SessionState(demo)
    got = asyncio.run(demo.postprocess_data(widest, {status: "<p>x</p>"}, state))
    assert len(got) == len(widest.outputs) > 100
    assert got.count({"__type__": "update"}) == len(widest.outputs) - 2  # all but state, status
    # Gradio's own path would have built a copy of each of the other 120-odd components
    copied = [b for b in widest.outputs if state.blocks_config.blocks.get(b._id) is not b]
    assert copied == []
