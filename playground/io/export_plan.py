"""What an exported script is made of: the facts about a run that decide which code is
written (PlanFacts), the sections it is written in, and the text helpers its comments and
docstring share. The code itself is written by export_model (settings, data, networks, loss,
optimisers) and export_loop (the D step, the G step, the loop, the outputs); code_export
assembles the file."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig
from playground.engine.data import Dataset
from playground.text import text

SCRIPT_NAME = "train_gan"
DATA_FILE = "data.npz"
WEIGHTS_FILE = "weights.safetensors"
MIXTURES = ("ring8", "grid25", "ring", "grid", "gaussians")
CURVES = ("spiral", "moons", "circles", "line")
ACTIVATION_CODE = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.2)",
    "tanh": "nn.Tanh()",
    "elu": "nn.ELU()",
}


@dataclass(frozen=True)
class Section:
    """One part of the script in reading order; `key` names its heading and notebook text."""

    key: str
    code: str
    notebook_code: str | None = None  # where a notebook needs other code (no argparse there)


def say(key: str, language: str, **values: Any) -> str:
    return text(f"code.{key}", language, **values)


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"  # CJK characters and punctuation


def wrap(paragraph: str, limit: int = 99) -> str:
    """Break a docstring paragraph into lines of at most `limit` columns, between words or
    between CJK characters."""
    out: list[str] = []
    for line in paragraph.split("\n"):
        tokens = re.findall(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+", line)
        current = ""
        for token in tokens:
            if current and width(current + token.rstrip()) > limit:
                out.append(current.rstrip())
                current = token.lstrip()
            else:
                current += token
        out.append(current.rstrip())
    return "\n".join(out)


def width(line: str) -> int:
    """Columns a line takes, counting CJK characters as two (as ruff's line-length does)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


class PlanFacts:
    """The facts about a run that decide which code is written."""

    def __init__(
        self,
        config: GANConfig,
        dataset: Dataset,
        steps: int,
        sampler: str,
        title: str,
        with_weights: bool,
    ) -> None:
        self.c = config
        self.dataset = dataset
        self.steps = steps
        self.title = title
        self.with_weights = with_weights
        self.from_iteration = 0
        self.cond = config.takes_labels
        self.clusters = dataset.clustered  # the labels are self-conditioning's clusters
        self.images = dataset.kind == "images"
        self.conv = config.model == "dcgan"
        self.pool = dataset.pool is not None
        self.pack = config.pack
        scale = dataset.point_scale if config.normalize and not self.images else 1.0
        self.scale = scale if scale != 1.0 else None
        self.ema = config.ema_decay > 0
        self.sample_ema = sampler == "ema" and self.ema
        self.labels = "labels" if self.cond else None
        self.noise = config.g_noise
        self.mmd = config.mmd_weight > 0

    # the holes the sections' f-strings share: what a call passes for the run's options
    @property
    def log_every(self) -> int:
        return max(1, min(500, self.steps // 20))

    @property
    def labels_arg(self) -> str:
        return ", labels" if self.cond else ""

    @property
    def both_arg(self) -> str:
        return ", both" if self.cond else ""

    @property
    def eps_arg(self) -> str:
        return ", eps" if self.noise else ""

    @property
    def d_targets(self) -> str:
        return "Y[::PACK]" if self.pack > 1 else "Y"

    @property
    def eps_line(self) -> str:
        if not self.noise:
            return ""
        return (
            "    eps = torch.randn(BATCH_SIZE, math.prod(DATA_SHAPE), generator=rng)"
            ".to(DEVICE)  # «d.eps»\n"
        )

    def header(self, file: str, language: str, notebook: bool = False) -> str:
        lines = [
            f"{self.title} — {say('header.exported', language)}",
            "",
            say("header.what", language),
            "",
        ]
        if not notebook:
            lines += [
                say("header.run", language),
                f"    python {file} [--iterations N] [--log-every K] [--device cpu|cuda]",
                "",
            ]
        needs = "torch, numpy" + (", safetensors" if self.with_weights else "")
        lines.append(say("header.needs", language, needs=needs))
        if self.pool:
            lines.append(say("header.data_file", language, file=DATA_FILE))
        if self.with_weights:
            lines.append(
                say("header.weights", language, file=WEIGHTS_FILE, iteration=self.from_iteration)
            )
        else:
            lines.append(say("header.same", language))
        lines.append(say("header.guard", language))
        return "\n".join(wrap(line) for line in lines) + "\n"

    def _shape_lines(self) -> str:
        """DATA_SHAPE (and SCALE) ahead of sample_real, so the function is the last thing."""
        code = f"DATA_SHAPE = {tuple(self.dataset.shape)!r}  # «data.shape»\n"
        if self.scale is not None:
            code += f"SCALE = {self.scale!r}  # «data.scale»\n"
        return code

    def _returns(self, x: str, labels: str) -> str:
        if self.cond:
            return f"    return {x}.to(DEVICE), {labels}.to(DEVICE)\n"
        return f"    return {x}.to(DEVICE)\n"

    def _sample_signature(self, doc: str) -> str:
        kind = "tuple[torch.Tensor, torch.Tensor]" if self.cond else "torch.Tensor"
        return self._shape_lines() + f'\n\ndef sample_real(n: int) -> {kind}:\n    """{doc}"""\n'

    def _label_param(self) -> str:
        return ", labels: torch.Tensor" if self.cond else ""
