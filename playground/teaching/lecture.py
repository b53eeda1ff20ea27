"""Narrated slow motion: one real iteration (one D step, one G step) told as ten sub-steps, each
caption naming this step's actual numbers, in English or Simplified Chinese.

Captions are data (assets/text/*.json) so a translator edits text, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.records import DStepRecord, GStepRecord
from playground.engine.trainer import Trainer
from playground.text import text

# sub-step key → the part of the screen that shows it (see playground.ui.render)
SUB_STEPS: tuple[tuple[str, str], ...] = (
    ("noise", "batch"),
    ("generate", "batch"),
    ("concat", "batch"),
    ("score", "batch"),
    ("loss", "batch"),
    ("gradients", "graph"),
    ("d_update", "graph"),
    ("g_step", "g"),
    ("frozen", "g"),
    ("g_update", "data"),
)


@dataclass
class Narration:
    """One narrated iteration: its records and the numbers each caption quotes."""

    d: DStepRecord
    g: GStepRecord
    after_mean: float  # mean D(G(z)) for the G step's z, after G's update
    iteration: int

    def values(self) -> dict[str, Any]:
        d, g = self.d, self.g
        b = d.batch_size
        fake0 = d.x[0]
        where = (
            f"({float(fake0[0]):.2f}, {float(fake0[1]):.2f})"
            if fake0.numel() == 2
            else f"{tuple(fake0.shape)}"
        )
        return {
            "iteration": self.iteration,
            "b": b,
            "rows": 2 * b,
            "z_dim": d.z.shape[1],
            "z0": ", ".join(f"{float(v):.2f}" for v in d.z[0, :3]),
            "fake0": where,
            "fake_score": float(d.scores[0]),
            "real_score": float(d.scores[b]),
            "d_real": d.d_real_mean,
            "d_fake": d.d_fake_mean,
            "loss_d": d.loss_d,
            "mean_d": float(d.loss_terms.mean()),
            "penalty_d": d.penalty,
            "term0": float(d.loss_terms[0]),
            "term_real": float(d.loss_terms[b]),
            "grad_d": d.grad_norm_d,
            "delta_d": d.delta_d,
            "delta_g_in_d": f"{d.delta_g:g}",
            "d_on_g": g.d_on_g_mean,
            "loss_g": g.loss_g,
            "mean_g": float(g.loss_terms.mean()),
            "penalty_g": g.penalty,
            "grad_g": g.grad_norm_g,
            "delta_d_in_g": f"{g.delta_d:g}",
            "delta_g": g.delta_g,
            "after": self.after_mean,
        }

    def caption(self, index: int, language: str) -> str:
        key, _ = SUB_STEPS[index]
        body = key  # a step whose loss has a penalty on top of the rows' mean says so
        if key == "loss" and self.d.penalty:
            body = "loss_penalty"
        elif key == "g_step" and self.g.penalty:
            body = "g_step_mmd"
        head = text(
            "header",
            language,
            n=index + 1,
            total=len(SUB_STEPS),
            title=text(f"{key}.title", language),
        )
        return f"{head}\n\n{text(body, language, **self.values())}"

    @staticmethod
    def view(index: int) -> str:
        return SUB_STEPS[index][1]


def narrate_iteration(trainer: Trainer) -> Narration:
    """Run one D step and one G step for real and keep what the captions need."""
    trainer.step_d()
    g = trainer.step_g()
    d = trainer.last_d
    with torch.no_grad():
        after = trainer.score(trainer.generate(g.z, g.labels, noise=g.noise), g.labels).mean()
    return Narration(d=d, g=g, after_mean=float(after), iteration=trainer.iteration)
