"""Outputs a handler leaves alone, skipped without Gradio's per-output cost.

Handlers return updates keyed by component, and an event's outputs are every component it
may update; Gradio fills each one a handler leaves out with `gr.skip()`, and for each skip it
builds a fresh copy of the component and its config (a pydantic JSON schema included), on
the web server's event loop, holding the GIL that the autoplay threads need too; an event
with many outputs and one returned paid for all of them (docs/benchmarks.md, "Measurements
behind the code").

`skip_untouched_outputs(demo)` makes the app's Blocks post-process only the outputs a handler
returned, and answer the rest as Gradio would for a bare skip: "no change" ({"__type__":
"update"}; None for a gr.State, which keeps its value)."""

from __future__ import annotations

import copy
from typing import Any

import gradio as gr
from gradio.blocks import Block, BlockFunction

UNCHANGED = {"__type__": "update"}


def skip_untouched_outputs(demo: gr.Blocks) -> gr.Blocks:
    """Give `demo` (only this Blocks) the cheaper post-processing; returns it."""
    original = demo.postprocess_data

    async def postprocess_data(block_fn: BlockFunction, predictions: Any, state: Any) -> list:
        outputs = list(block_fn.outputs)
        touched = _touched(outputs, predictions)
        if touched is None:  # not a dict keyed by component, or every output is set
            return await original(block_fn, predictions, state)
        narrow = copy.copy(block_fn)
        narrow.outputs = [outputs[i] for i in touched]
        by_id = {key._id: value for key, value in predictions.items()}
        values = [by_id[outputs[i]._id] for i in touched]
        done = await original(narrow, values[0] if len(values) == 1 else values, state)
        result = [None if block.stateful else dict(UNCHANGED) for block in outputs]
        for i, value in zip(touched, done, strict=True):
            result[i] = value
        return result

    demo.postprocess_data = postprocess_data  # this instance only; Gradio calls it on self
    return demo


def _touched(outputs: list[Block], predictions: Any) -> list[int] | None:
    """Indexes of the outputs a dict of updates sets, or None where Gradio's own path fits."""
    if not isinstance(predictions, dict) or not predictions:
        return None
    if not all(isinstance(key, Block) for key in predictions):
        return None
    returned = {key._id for key in predictions}
    if not returned <= {block._id for block in outputs}:
        return None  # a stale or foreign component: Gradio matches it by key
    touched = [i for i, block in enumerate(outputs) if block._id in returned]
    return touched if len(touched) < len(outputs) else None
