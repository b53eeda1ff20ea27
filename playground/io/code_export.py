"""Export a run as one readable PyTorch script (and the same code as a notebook).

A student who followed the D step and the G step in the playground takes *this* run home as
plain code: the data, G and D as `nn.Module`s, the chosen loss, `d_step()`, `g_step()` through
D_on_G with D frozen, the loop with the run's hyper-parameters, samples and a picture. Only the
options the run uses are written (no branches for other losses). Every random draw happens in
the playground's order, so with the same seed on the CPU the script's losses are the
Trainer's, iteration for iteration.

The code is written by f-strings, their holes filled from the run's facts (export_plan), with
one other kind of mark: `«key»` for a comment in the reader's language (`code.key` in
assets/text/*.json), filled when the file is assembled here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig
from playground.engine.data import Dataset
from playground.io.export_loop import LoopCode
from playground.io.export_model import ModelCode
from playground.io.export_plan import (
    DATA_FILE,
    SCRIPT_NAME,
    WEIGHTS_FILE,
    Section,
    say,
    width,
)
from playground.text import table


@dataclass
class ExportedRun:
    """The script, the notebook and the files they read (data, optional weights)."""

    name: str
    script: str
    notebook: str
    files: dict[str, bytes] = field(default_factory=dict)

    def write(self, folder: str | Path, notebook: bool = True) -> list[Path]:
        """Write NAME.py (and NAME.ipynb) with their side files into `folder`."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / f"{self.name}.py"]
        written[0].write_text(self.script, encoding="utf-8")
        if notebook:
            written.append(out / f"{self.name}.ipynb")
            written[-1].write_text(self.notebook, encoding="utf-8")
        for name, payload in self.files.items():
            written.append(out / name)
            written[-1].write_bytes(payload)
        return written

    def zip_bytes(self) -> bytes:
        """Everything in one .zip, for a browser download."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.name}.py", self.script)
            archive.writestr(f"{self.name}.ipynb", self.notebook)
            for name, payload in self.files.items():
                archive.writestr(name, payload)
        return buffer.getvalue()


class Plan(ModelCode, LoopCode):
    """A run's script, section by section, in reading order."""

    def sections(self) -> list[Section]:
        return [
            self.settings(),
            self.data(),
            self.networks(),
            self.loss(),
            self.optimisers(),
            self.d_step(),
            self.g_step(),
            self.loop(),
            self.outputs(),
        ]


def export_run(
    config: GANConfig,
    dataset: Dataset,
    *,
    steps: int = 2000,
    sampler: str = "G",
    title: str = "",
    language: str = "en",
    weights: dict[str, torch.Tensor] | None = None,
    from_iteration: int = 0,
    name: str = SCRIPT_NAME,
) -> ExportedRun:
    """The run defined by `config` on `dataset` as a script and a notebook.

    `weights` (G.*, D.*, G_ema.* state-dict entries, e.g. `Trainer.weights()`) makes the
    script start from them instead of from a fresh initialisation."""
    plan = Plan(config, dataset, steps, sampler, title or config.dataset, weights is not None)
    plan.from_iteration = from_iteration
    sections = plan.sections()
    files: dict[str, bytes] = {}
    if plan.pool:
        files[DATA_FILE] = _data_file(dataset)
    if weights is not None:
        from safetensors.torch import save

        files[WEIGHTS_FILE] = save(
            {k: v.detach().cpu().contiguous().clone() for k, v in weights.items()}
        )
    script = _script(plan, sections, name, language)
    notebook = _notebook(plan, sections, language)
    return ExportedRun(name, script, notebook, files)


# ---------------------------------------------------------------- assembling the file
def _script(plan: Plan, sections: list[Section], name: str, language: str) -> str:
    body = "\n\n\n".join(
        f"# {'-' * 16} {say(f'{s.key}.title', language)}\n{s.code.strip()}" for s in sections
    )
    docstring = plan.header(f"{name}.py", language)
    return f'"""{docstring}"""\n\n{_imports(body)}\n\n{_localise(body, language)}\n'


def _notebook(plan: Plan, sections: list[Section], language: str) -> str:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    intro = plan.header("", language, notebook=True)
    cells = [new_markdown_cell(intro)]
    codes = [s.notebook_code if s.notebook_code is not None else s.code for s in sections]
    cells.append(new_code_cell(_imports("\n".join(codes))))
    for section, code in zip(sections, codes, strict=True):
        heading = say(f"{section.key}.title", language)
        cells.append(new_markdown_cell(f"## {heading}\n\n{say(f'{section.key}.md', language)}"))
        cells.append(new_code_cell(_localise(code.strip(), language)))
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nbformat.writes(notebook)


def _localise(code: str, language: str) -> str:
    """Fill every «key» with its comment, unformatted: a comment may hold an f-string's {…}."""
    comments = table(language)
    filled = re.sub(r"«([\w.]+)»", lambda m: comments[f"code.{m.group(1)}"], code)
    return "\n".join(_fit(line) for line in filled.split("\n"))


def _fit(line: str, limit: int = 99) -> str:
    """A trailing comment that makes its line too long moves onto its own line above."""
    code, sep, comment = line.partition("  # ")
    if not sep or width(line) <= limit or not code.strip() or '"' in comment:
        return line
    indent = code[: len(code) - len(code.lstrip())]
    return f"{indent}# {comment}\n{code}"


_IMPORTS = (  # (import line, a use that needs it), in the order ruff's isort keeps them
    ("import argparse", "argparse."),
    ("import copy", "copy."),
    ("import math", "math."),
    ("import struct", "struct."),
    ("import zlib", "zlib."),
    ("from itertools import pairwise", "pairwise("),
    ("from pathlib import Path", "Path"),
    ("", ""),
    ("import numpy as np", "np."),
    ("import torch", "torch"),
    ("import torch.nn.functional as F", "F."),
    ("from safetensors.torch import load_file", "load_file("),
    ("from torch import nn", "nn."),
    ("from torch.nn.utils.parametrizations import spectral_norm", "spectral_norm("),
)


def _imports(body: str) -> str:
    """Only the imports the code uses (so the file passes `ruff check`)."""
    lines = [line for line, use in _IMPORTS if not use or use in body]
    block = "\n".join(lines).strip("\n")
    return re.sub(r"\n\n+", "\n\n", block)


def _data_file(dataset: Dataset) -> bytes:
    """The real data as the networks see it (images in [-1, 1]) with its labels, if any."""
    arrays = {"x": dataset.pool.numpy().astype(np.float32)}
    if dataset.pool_labels is not None:
        arrays["labels"] = dataset.pool_labels.numpy().astype(np.int64)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
