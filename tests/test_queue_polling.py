"""Gradio's queue polls for events less often in the playground (see calm_queue_polling)."""

from __future__ import annotations

import gradio as gr

from playground.ui.app import PROGRESS_POLL_SECONDS, QUEUE_POLL_SECONDS, calm_queue_polling


def test_the_queue_polls_at_the_playgrounds_interval() -> None:
    with gr.Blocks(analytics_enabled=False) as demo:
        gr.Button("go").click(lambda: None)
    demo.queue()
    queue = demo._queue
    # Gradio's own attributes, read by its polling loops: a rename would leave ours unread
    assert {"sleep_when_free", "progress_update_sleep_when_free"} <= vars(queue).keys()
    calm_queue_polling(demo)
    assert queue.sleep_when_free == QUEUE_POLL_SECONDS == 0.005
    assert queue.progress_update_sleep_when_free == PROGRESS_POLL_SECONDS
