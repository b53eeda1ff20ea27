"""Export a run as one readable PyTorch script (and the same code as a notebook).

A student who followed the D step and the G step in the playground takes *this* run home as
plain code: the data, G and D as `nn.Module`s, the chosen loss, `d_step()`, `g_step()` through
D_on_G with D frozen, the loop with the run's hyper-parameters, samples and a picture. Only the
options the run uses are written (no branches for other losses). Every random draw happens in
the playground's order, so with the same seed on the CPU the script's losses are the
Trainer's, iteration for iteration.

Templates are Python with two kinds of holes: `$NAME` (string.Template) for values and
`«key»` for a comment in the reader's language (`code.key` in assets/text/*.json).
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig
from playground.engine.data import Dataset
from playground.engine.losses import MMD_KERNELS
from playground.engine.models import NOISE_START
from playground.text import table, text

SCRIPT_NAME = "train_gan"
DATA_FILE = "data.npz"
WEIGHTS_FILE = "weights.safetensors"
MIXTURES = ("ring8", "grid25", "ring", "grid", "gaussians")
CURVES = ("spiral", "moons", "circles", "line")
_ACTIVATION_CODE = {
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
    plan = _Plan(config, dataset, steps, sampler, title or config.dataset, weights is not None)
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
def _script(plan: _Plan, sections: list[Section], name: str, language: str) -> str:
    body = "\n\n\n".join(
        f"# {'-' * 16} {_say(f'{s.key}.title', language)}\n{s.code.strip()}" for s in sections
    )
    docstring = plan.header(f"{name}.py", language)
    return f'"""{docstring}"""\n\n{_imports(body)}\n\n{_localise(body, language)}\n'


def _notebook(plan: _Plan, sections: list[Section], language: str) -> str:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    intro = plan.header("", language, notebook=True)
    cells = [new_markdown_cell(intro)]
    codes = [s.notebook_code if s.notebook_code is not None else s.code for s in sections]
    cells.append(new_code_cell(_imports("\n".join(codes))))
    for section, code in zip(sections, codes, strict=True):
        heading = _say(f"{section.key}.title", language)
        cells.append(new_markdown_cell(f"## {heading}\n\n{_say(f'{section.key}.md', language)}"))
        cells.append(new_code_cell(_localise(code.strip(), language)))
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nbformat.writes(notebook)


def _say(key: str, language: str, **values: Any) -> str:
    return text(f"code.{key}", language, **values)


def _localise(code: str, language: str) -> str:
    """Fill every «key» with its comment, unformatted: a comment may hold an f-string's {…}."""
    comments = table(language)
    filled = re.sub(r"«([\w.]+)»", lambda m: comments[f"code.{m.group(1)}"], code)
    return "\n".join(_fit(line) for line in filled.split("\n"))


def _fit(line: str, limit: int = 99) -> str:
    """A trailing comment that makes its line too long moves onto its own line above."""
    code, sep, comment = line.partition("  # ")
    if not sep or _width(line) <= limit or not code.strip() or '"' in comment:
        return line
    indent = code[: len(code) - len(code.lstrip())]
    return f"{indent}# {comment}\n{code}"


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"  # CJK characters and punctuation


def _wrap(paragraph: str, limit: int = 99) -> str:
    """Break a docstring paragraph into lines of at most `limit` columns, between words or
    between CJK characters."""
    out: list[str] = []
    for line in paragraph.split("\n"):
        tokens = re.findall(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+", line)
        current = ""
        for token in tokens:
            if current and _width(current + token.rstrip()) > limit:
                out.append(current.rstrip())
                current = token.lstrip()
            else:
                current += token
        out.append(current.rstrip())
    return "\n".join(out)


def _width(line: str) -> int:
    """Columns a line takes, counting CJK characters as two (as ruff's line-length does)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


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


# ---------------------------------------------------------------- what the run uses
class _Plan:
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
        self.cond = config.conditional
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

    def values(self) -> dict[str, str]:
        c = self.c
        return {
            "SEED": str(c.seed),
            "B": str(c.batch_size),
            "Z": str(c.z_dim),
            "ITER": str(self.steps),
            "LOG": str(max(1, min(500, self.steps // 20))),
            "LABELS_ARG": ", labels" if self.cond else "",
            "BOTH_ARG": ", both" if self.cond else "",
            "Y": "Y[::PACK]" if self.pack > 1 else "Y",
            "EPS_LINE": (
                "    eps = torch.randn(BATCH_SIZE, math.prod(DATA_SHAPE), generator=rng)"
                ".to(DEVICE)  # «d.eps»\n"
                if self.noise
                else ""
            ),
            "EPS_ARG": ", eps" if self.noise else "",
        }

    def sub(self, template: str, **extra: str) -> str:
        return Template(template).substitute(self.values(), **extra)

    def sections(self) -> list[Section]:
        return [
            self._settings(),
            self._data(),
            self._networks(),
            self._loss(),
            self._optimisers(),
            self._d_step(),
            self._g_step(),
            self._loop(),
            self._outputs(),
        ]

    # ------------------------------------------------------------ header
    def header(self, file: str, language: str, notebook: bool = False) -> str:
        lines = [
            f"{self.title} — {_say('header.exported', language)}",
            "",
            _say("header.what", language),
            "",
        ]
        if not notebook:
            lines += [
                _say("header.run", language),
                f"    python {file} [--iterations N] [--log-every K] [--device cpu|cuda]",
                "",
            ]
        needs = "torch, numpy" + (", safetensors" if self.with_weights else "")
        lines.append(_say("header.needs", language, needs=needs))
        if self.pool:
            lines.append(_say("header.data_file", language, file=DATA_FILE))
        if self.with_weights:
            lines.append(
                _say("header.weights", language, file=WEIGHTS_FILE, iteration=self.from_iteration)
            )
        else:
            lines.append(_say("header.same", language))
        lines.append(_say("header.guard", language))
        return "\n".join(_wrap(line) for line in lines) + "\n"

    # ------------------------------------------------------------ settings
    def _settings(self) -> Section:
        c = self.c
        rows = [
            "SEED = $SEED",
            "BATCH_SIZE = $B  # «settings.batch_size»",
            "Z_DIM = $Z  # «settings.z_dim»",
        ]
        if self.cond:
            rows.append(f"NUM_CLASSES = {self.dataset.num_classes}  # «settings.num_classes»")
            if not self.conv:
                rows.append(f"EMBED_DIM = {c.embed_dim}  # «settings.embed_dim»")
        if self.conv:
            rows.append(f"G_CHANNELS, D_CHANNELS = {c.g_hidden}, {c.d_hidden}  # «settings.conv»")
        else:
            rows.append(f"G_HIDDEN, G_LAYERS = {c.g_hidden}, {c.g_layers}  # «settings.g_size»")
            rows.append(f"D_HIDDEN, D_LAYERS = {c.d_hidden}, {c.d_layers}  # «settings.d_size»")
        if self.pack > 1:
            rows.append(f"PACK = {self.pack}  # «settings.pack»")
        rows.append(f"LR_G, LR_D = {c.lr_g!r}, {c.lr_d!r}  # «settings.lr»")
        if c.optimizer == "adam":
            rows.append(f"BETAS = ({c.beta1!r}, {c.beta2!r})  # «settings.betas»")
        else:
            rows.append(f"MOMENTUM = {c.momentum!r}  # «settings.momentum»")
        rows.append(f"D_STEPS, G_STEPS = {c.d_steps}, {c.g_steps}  # «settings.steps»")
        if c.loss == "wgan":
            rows.append(f"CLIP = {c.clip_value!r}  # «settings.clip»")
        if c.loss == "wgan-gp":
            rows.append(f"GP_WEIGHT = {c.gp_weight!r}  # «settings.gp»")
        if c.r1_gamma and c.r1_every > 1:
            rows.append(f"R1_GAMMA, R1_EVERY = {c.r1_gamma!r}, {c.r1_every}  # «settings.r1_lazy»")
        elif c.r1_gamma:
            rows.append(f"R1_GAMMA = {c.r1_gamma!r}  # «settings.r1»")
        if self.mmd:
            rows.append(
                f"MMD_WEIGHT, MMD_BANDWIDTH = {c.mmd_weight!r}, {c.mmd_bandwidth!r}"
                "  # «settings.mmd»"
            )
            rows.append(
                f"MMD_SAMPLES, MMD_EVERY = {c.mmd_samples}, {c.mmd_every}  # «settings.mmd_every»"
            )
        if self.noise and c.sample_noise != 1:
            rows.append(f"SAMPLE_NOISE = {c.sample_noise!r}  # «settings.sample_noise»")
        if self.ema:
            rows.append(f"EMA_DECAY = {c.ema_decay!r}  # «settings.ema»")
        if c.lr_decay_iters:
            rows.append(
                f"LR_DECAY_ITERS, LR_DECAY_TO = {c.lr_decay_iters}, {c.lr_decay_to!r}"
                "  # «settings.decay»"
            )
        rows += ["ITERATIONS = $ITER  # «settings.iterations»", "LOG_EVERY = $LOG", ""]
        common = "\n".join(rows)
        script_tail = """
parser = argparse.ArgumentParser(description="«settings.cli»")
parser.add_argument("--iterations", type=int, default=ITERATIONS)
parser.add_argument("--log-every", type=int, default=LOG_EVERY)
parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
args = parser.parse_args()
ITERATIONS, LOG_EVERY = args.iterations, args.log_every
DEVICE = torch.device(args.device)
"""
        notebook_tail = """
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
"""
        shared_tail = "torch.linspace(0.1, 1.0, 4096).sqrt()  # «settings.warmup»\n"
        if not self.conv:
            shared_tail += "torch.set_num_threads(1)  # «settings.threads»\n"
        shared_tail += "rng = torch.Generator().manual_seed(SEED)  # «settings.rng»\n"
        if self.pool or self.with_weights:
            script_tail += "HERE = Path(__file__).resolve().parent  # «settings.here»\n"
            notebook_tail += "HERE = Path.cwd()  # «settings.here_nb»\n"
        return Section(
            "settings",
            self.sub(common + script_tail + shared_tail),
            self.sub(common + notebook_tail + shared_tail),
        )

    # ------------------------------------------------------------ data
    def _data(self) -> Section:
        name = self.dataset.name
        if self.pool:
            code = self._pool_data()
        elif name in MIXTURES:
            code = self._mixture_data()
        else:
            code = self._curve_data()
        return Section("data", code)

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

    def _mixture_data(self) -> str:
        c, name = self.c, self.dataset.name
        if name in ("ring8", "ring"):
            modes, radius, std = (8, 1.0, 0.01) if name == "ring8" else (c.modes, c.radius, c.std)
            code = f"""# «data.ring»
MODES, RADIUS, STD = {modes}, {radius!r}, {std!r}
angles = torch.arange(MODES, dtype=torch.float64) * (2 * math.pi / MODES)
CENTRES = (torch.stack([torch.cos(angles), torch.sin(angles)], 1) * RADIUS).float()
"""
        elif name in ("grid25", "grid"):
            side, spacing, std = (
                (5, 2.0, 0.05) if name == "grid25" else (c.grid_side, c.grid_spacing, c.std)
            )
            code = f"""# «data.grid»
SIDE, SPACING, STD = {side}, {spacing!r}, {std!r}
ticks = (torch.arange(SIDE, dtype=torch.float32) - (SIDE - 1) / 2) * SPACING
gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
CENTRES = torch.stack([gx.flatten(), gy.flatten()], 1)
"""
        else:
            code = f"""# «data.gaussians»
MODES, RADIUS, STD = {c.modes}, {c.radius!r}, {c.std!r}
centre_rng = torch.Generator().manual_seed(1000 + SEED)
CENTRES = (torch.rand(MODES, 2, generator=centre_rng) * 2 - 1) * RADIUS
"""
        code += self._sample_signature("«data.sample_mixture»")
        code += """    mode = torch.randint(len(CENTRES), (n,), generator=rng)  # «data.pick_mode»
    noise = torch.randn(n, 2, generator=rng) * STD
"""
        return code + self._returns("(CENTRES[mode] + noise)", "mode")

    def _curve_data(self) -> str:
        name = self.dataset.name
        code = f"NOISE = {self.dataset.noise!r}  # «data.noise»\n"
        code += self._sample_signature(f"«data.{name}»")
        if name == "spiral":
            code += """    t = torch.sqrt(torch.rand(n, generator=rng)) * 3 * math.pi
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (3 * math.pi)
"""
        elif name == "moons":
            code += """    labels = torch.randint(2, (n,), generator=rng)
    t = torch.rand(n, generator=rng) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    x = torch.where(labels[:, None] == 0, upper, lower) - torch.tensor([0.5, 0.25])
"""
        elif name == "circles":
            code += """    labels = torch.randint(2, (n,), generator=rng)
    t = torch.rand(n, generator=rng) * 2 * math.pi
    radius = torch.where(labels == 0, 1.0, 0.5)
    x = torch.stack([torch.cos(t), torch.sin(t)], 1) * radius[:, None]
"""
        else:
            code += """    t = torch.rand(n, generator=rng) * 2 - 1
    x = torch.stack([t, 0.5 * t], 1)
"""
        code += "    x = x + torch.randn(n, 2, generator=rng) * NOISE\n"
        return code + self._returns("x", "labels")

    def _pool_data(self) -> str:
        rows = len(self.dataset.pool)
        shape = " × ".join(str(n) for n in (rows, *self.dataset.shape))
        code = f"""# «data.pool»
data = np.load(HERE / "{DATA_FILE}")
POOL = torch.from_numpy(data["x"])  # {shape}
"""
        if self.cond:
            code += 'POOL_LABELS = torch.from_numpy(data["labels"])\n'
        code += self._sample_signature("«data.sample_pool»")
        code += "    index = torch.randint(len(POOL), (n,), generator=rng)\n"
        return code + self._returns("POOL[index]", "POOL_LABELS[index]")

    # ------------------------------------------------------------ networks
    def _networks(self) -> Section:
        code = self._conv_networks() if self.conv else self._mlp_networks()
        code += """

torch.manual_seed(SEED)  # «net.seed»
G = Generator().to(DEVICE)
D = Discriminator().to(DEVICE)
"""
        if self.with_weights:
            code += f"""weights = load_file(HERE / "{WEIGHTS_FILE}")  # «net.weights»
G.load_state_dict({{k[2:]: v for k, v in weights.items() if k.startswith("G.")}})
D.load_state_dict({{k[2:]: v for k, v in weights.items() if k.startswith("D.")}})
"""
        return Section("networks", code)

    def _mlp_networks(self) -> str:
        sn = self.c.spectral_norm
        act = _ACTIVATION_CODE[self.c.activation]
        signature = "sizes: list[int], spectral: bool = False" if sn else "sizes: list[int]"
        wrap = "spectral_norm(linear) if spectral else linear" if sn else "linear"
        embed = "EMBED_DIM" if self.cond else None
        g_in = "Z_DIM + EMBED_DIM" if self.cond else "Z_DIM"
        d_in = "math.prod(DATA_SHAPE)" + (" + EMBED_DIM" if self.cond else "")
        if self.pack > 1:
            d_in = f"({d_in}) * PACK" if self.cond else f"{d_in} * PACK"
        code = f'''def mlp({signature}) -> nn.Sequential:
    """«net.mlp»"""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        linear = nn.Linear(a, b)
        layers.append({wrap})
        if i < len(sizes) - 2:
            layers.append({act})
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """«net.g_mlp»"""

    def __init__(self) -> None:
        super().__init__()
'''
        if embed:
            code += "        self.embed = nn.Embedding(NUM_CLASSES, EMBED_DIM)  # «net.embed»\n"
        g_sizes = f"[{g_in}] + [G_HIDDEN] * G_LAYERS + [math.prod(DATA_SHAPE)]"
        code += f"        self.net = mlp({g_sizes})\n"
        noise_param = ""
        if self.noise:
            start = math.log(NOISE_START / (self.scale or 1.0))
            code += f"""        start = torch.full((math.prod(DATA_SHAPE),), {start!r})  \
# «net.sigma_start»
        self.log_sigma = nn.Parameter(start)  # «net.log_sigma»

    def sigma(self) -> torch.Tensor:
        \"\"\"«net.sigma»\"\"\"
        return torch.exp(self.log_sigma){" * SCALE" if self.scale is not None else ""}
"""
            noise_param = ", noise: torch.Tensor | None = None"
        signature = f"self, z: torch.Tensor{self._label_param()}{noise_param}"
        if len(f"    def forward({signature}) -> torch.Tensor:") > 99:
            code += f"\n    def forward(\n        {signature}\n    ) -> torch.Tensor:\n"
        else:
            code += f"\n    def forward({signature}) -> torch.Tensor:\n"
        if self.cond:
            code += "        z = torch.cat([z, self.embed(labels)], 1)  # «net.with_label»\n"
        code += "        out = self.net(z)\n"
        if self.noise:
            code += "        if noise is not None:  # «net.noise»\n"
            code += "            out = out + torch.exp(self.log_sigma) * noise\n"
        if self.images:
            code += "        out = torch.tanh(out)  # «net.tanh»\n"
        elif self.scale is not None:
            code += "        out = out * SCALE  # «net.g_scale»\n"
        code += '''        return out.view(len(z), *DATA_SHAPE)


class Discriminator(nn.Module):
    """«net.d_mlp»"""

    def __init__(self) -> None:
        super().__init__()
'''
        if embed:
            code += "        self.embed = nn.Embedding(NUM_CLASSES, EMBED_DIM)\n"
        spectral = ", spectral=True" if sn else ""
        code += f"""        sizes = [{d_in}] + [D_HIDDEN] * D_LAYERS + [1]
        self.net = mlp(sizes{spectral})

    def forward(self, x: torch.Tensor{self._label_param()}) -> torch.Tensor:
        x = x.flatten(1)
"""
        if self.scale is not None:
            code += "        x = x / SCALE  # «net.d_scale»\n"
        if self.cond:
            code += "        x = torch.cat([x, self.embed(labels)], 1)\n"
        if self.pack > 1:
            code += "        x = x.reshape(len(x) // PACK, -1)  # «net.pack»\n"
        code += "        return self.net(x).squeeze(1)  # «net.d_out»\n"
        return code

    def _label_param(self) -> str:
        return ", labels: torch.Tensor" if self.cond else ""

    def _conv_networks(self) -> str:
        sn = self.c.spectral_norm

        def wrap(layer: str) -> str:
            return f"spectral_norm({layer})" if sn else layer

        channels, side = self.dataset.shape[0], self.dataset.shape[1]
        g_in = "Z_DIM + EMBED_DIM" if self.cond else "Z_DIM"
        d_channels = f"{channels} + 1" if self.cond else str(channels)
        if self.pack > 1:
            d_channels = f"({d_channels}) * PACK"
        code = f"SIDE, START = {side}, {side // 4}  # «net.sides»\n"
        if self.cond:
            code += f"EMBED_DIM = {self.c.embed_dim}  # «settings.embed_dim»\n"
        code += '''

class Generator(nn.Module):
    """«net.g_conv»"""

    def __init__(self) -> None:
        super().__init__()
'''
        if self.cond:
            code += "        self.embed = nn.Embedding(NUM_CLASSES, EMBED_DIM)  # «net.embed»\n"
        project = f"nn.Linear({g_in}, 2 * G_CHANNELS * START**2), nn.ReLU()"
        one_line = f"        self.project = nn.Sequential({project})\n"
        code += (
            one_line
            if len(one_line) <= 101
            else (f"        self.project = nn.Sequential(\n            {project}\n        )\n")
        )
        code += f"""        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * G_CHANNELS, G_CHANNELS, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(G_CHANNELS, {channels}, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor{self._label_param()}) -> torch.Tensor:
"""
        if self.cond:
            code += "        z = torch.cat([z, self.embed(labels)], 1)  # «net.with_label»\n"
        code += '''        h = self.project(z)
        return self.up(h.view(len(z), 2 * G_CHANNELS, START, START))


class Discriminator(nn.Module):
    """«net.d_conv»"""

    def __init__(self) -> None:
        super().__init__()
'''
        if self.cond:
            code += "        self.embed = nn.Embedding(NUM_CLASSES, SIDE * SIDE)  # «net.plane»\n"
        code += f"""        self.features = nn.Sequential(
            {wrap(f"nn.Conv2d({d_channels}, D_CHANNELS, 4, 2, 1)")},
            nn.LeakyReLU(0.2),
            {wrap("nn.Conv2d(D_CHANNELS, 2 * D_CHANNELS, 4, 2, 1)")},
            nn.LeakyReLU(0.2),
        )
        self.head = {wrap("nn.Linear(2 * D_CHANNELS * START**2, 1)")}

    def forward(self, x: torch.Tensor{self._label_param()}) -> torch.Tensor:
"""
        if self.cond:
            code += "        plane = self.embed(labels).view(len(x), 1, SIDE, SIDE)\n"
            code += "        x = torch.cat([x, plane], 1)\n"
        if self.pack > 1:
            code += "        x = x.reshape(len(x) // PACK, -1, SIDE, SIDE)  # «net.pack_conv»\n"
        code += "        return self.head(self.features(x).flatten(1)).squeeze(1)  # «net.d_out»\n"
        return code

    # ------------------------------------------------------------ loss
    def _loss(self) -> Section:
        loss = self.c.loss
        d_body = {
            "minimax": 'return F.binary_cross_entropy_with_logits(out, y, reduction="none")',
            "nonsat": 'return F.binary_cross_entropy_with_logits(out, y, reduction="none")',
            "lsgan": "return 0.5 * (out - y) ** 2",
            "wgan": "sign = 2 * y - 1  # «loss.sign»\n    return -sign * out",
            "wgan-gp": "sign = 2 * y - 1  # «loss.sign»\n    return -sign * out",
            "hinge": "sign = 2 * y - 1  # «loss.sign»\n    return F.relu(1 - sign * out)",
        }[loss]
        g_body = {
            "minimax": "return -F.softplus(out)  # «loss.minimax_g»",
            "nonsat": "return F.softplus(-out)  # «loss.nonsat_g»",
            "lsgan": "return 0.5 * (out - 1) ** 2",
            "wgan": "return -out",
            "wgan-gp": "return -out",
            "hinge": "return -out",
        }[loss]
        key = loss.replace("-", "_")
        code = f'''def d_loss_terms(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """«loss.d_{key}»"""
    {d_body}


def g_loss_terms(out: torch.Tensor) -> torch.Tensor:
    """«loss.g_{key}»"""
    {g_body}
'''
        label = ", labels: torch.Tensor" if self.cond else ""
        if loss == "wgan-gp":
            shape = "(len(real),) + (1,) * (real.dim() - 1)"
            code += f'''

def gradient_penalty(real: torch.Tensor, fake: torch.Tensor{label}) -> torch.Tensor:
    """«loss.gp»"""
    alpha = torch.rand({shape}, generator=rng).to(DEVICE)
    between = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(between$LABELS_ARG).sum(), between, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
'''
        if self.mmd:
            widths = ", ".join(repr(w) for w in MMD_KERNELS)
            code += f'''

def mmd(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """«loss.mmd»"""
    x = torch.cat([fake.flatten(1), real.flatten(1)])
    d2 = (x[:, None] - x[None]).square().sum(-1)  # «loss.mmd_d2»
    widths = torch.tensor(({widths}), device=x.device) * MMD_BANDWIDTH
    k = torch.exp((d2 * (-0.5 / widths.square())[:, None, None]).clamp(min=-80)).sum(0)
    n, m = len(fake), len(real)
    v = torch.cat([x.new_full((n,), 1 / n), x.new_full((m,), -1 / m)])  # «loss.mmd_v»
    return v @ k @ v
'''
        if self.c.r1_gamma:
            code += f'''

def r1_penalty(real: torch.Tensor{label}) -> torch.Tensor:
    """«loss.r1»"""
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(real$LABELS_ARG).sum(), real, create_graph=True)
    return 0.5 * grad.flatten(1).pow(2).sum(1).mean()
'''
        return Section("loss", self.sub(code))

    # ------------------------------------------------------------ optimisers
    def _optimisers(self) -> Section:
        c = self.c
        if c.optimizer == "adam":
            make = "torch.optim.Adam({net}.parameters(), lr={lr}, betas=BETAS, fused=fused)"
        else:
            make = "torch.optim.SGD({net}.parameters(), lr={lr}, momentum=MOMENTUM, fused=fused)"
        code = f"""fused = DEVICE.type in ("cpu", "cuda")  # «opt.fused»
opt_g = {make.format(net="G", lr="LR_G")}
opt_d = {make.format(net="D", lr="LR_D")}
"""
        if self.ema:
            code += "G_ema = copy.deepcopy(G).requires_grad_(False).eval()  # «opt.ema»\n"
            if self.with_weights:
                code += (
                    "G_ema.load_state_dict("
                    '{k[6:]: v for k, v in weights.items() if k.startswith("G_ema.")})\n'
                )
        return Section("optimisers", code)

    # ------------------------------------------------------------ the D step
    def _d_step(self) -> Section:
        c = self.c
        real = "real, labels" if self.cond else "real"
        y = "torch.cat([torch.zeros(BATCH_SIZE), torch.ones(BATCH_SIZE)]).to(DEVICE)"
        lazy = bool(c.r1_gamma) and c.r1_every > 1
        code = f"Y = {y}  # «d.y»\n"
        if lazy:
            code += f"d_steps_done = {self.from_iteration * c.d_steps}  # «d.count»\n"
        code += '''

def d_step() -> float:
    """«d.doc»"""
'''
        if lazy:
            code += "    global d_steps_done\n"
        code += f"""    {real} = sample_real(BATCH_SIZE)
    z = torch.randn(BATCH_SIZE, Z_DIM, generator=rng).to(DEVICE)  # «d.z»
$EPS_LINE    with torch.no_grad():  # «d.no_grad»
        fake = G(z$LABELS_ARG$EPS_ARG)
    x = torch.cat([fake, real])  # «d.x»
"""
        if self.cond:
            code += "    both = torch.cat([labels, labels])  # «d.both»\n"
        pack_note = "  # «d.out_pack»" if self.pack > 1 else "  # «d.out»"
        code += f"""
    opt_d.zero_grad(set_to_none=True)
    out = D(x$BOTH_ARG){pack_note}
    loss = d_loss_terms(out, $Y).mean()
"""
        penalties = []
        if c.loss == "wgan-gp":
            penalties.append("GP_WEIGHT * gradient_penalty(real, fake$LABELS_ARG)")
        if c.r1_gamma and not lazy:
            penalties.append("R1_GAMMA * r1_penalty(real$LABELS_ARG)")
        if len(penalties) == 2:
            code += f"    penalty = {penalties[0]}\n    penalty = penalty + {penalties[1]}\n"
            code += "    loss = loss + penalty  # «d.penalty»\n"
        elif penalties:
            code += f"    loss = loss + {penalties[0]}  # «d.penalty»\n"
        if lazy:
            code += "    if d_steps_done % R1_EVERY == 0:  # «d.lazy_r1»\n"
            code += "        loss = loss + R1_GAMMA * R1_EVERY * r1_penalty(real$LABELS_ARG)\n"
        code += """    loss.backward()  # «d.backward»
    opt_d.step()
"""
        if c.loss == "wgan":
            code += """    with torch.no_grad():  # «d.clip»
        for p in D.parameters():
            p.clamp_(-CLIP, CLIP)
"""
        if lazy:
            code += "    d_steps_done += 1\n"
        code += "    return loss.item()\n"
        return Section("d_step", self.sub(code))

    # ------------------------------------------------------------ the G step
    def _g_step(self) -> Section:
        code = ""
        if self.mmd:
            done = self.from_iteration * self.c.g_steps
            code += f"g_steps_done = {done}  # «g.count»\n\n\n"
        code += '''def g_step() -> float:
    """«g.doc»"""
'''
        if self.mmd:
            code += "    global g_steps_done\n"
        code += "    z = torch.randn(BATCH_SIZE, Z_DIM, generator=rng).to(DEVICE)\n"
        if self.cond:
            code += (
                "    labels = torch.randint(NUM_CLASSES, (BATCH_SIZE,), generator=rng).to(DEVICE)"
                "  # «g.labels»\n"
            )
        code += "$EPS_LINE"  # as in the D step
        if self.mmd:
            real = "sample_real(MMD_SAMPLES)" + ("[0]" if self.cond else "")
            code += f"    mmd_real = {real} if g_steps_done % MMD_EVERY == 0 else None\n"
        code += "    D.requires_grad_(False)  # «g.freeze»\n"
        if self.c.spectral_norm:
            code += "    D.eval()  # «g.sn_eval»\n"
        code += "    opt_g.zero_grad(set_to_none=True)\n"
        if self.mmd:
            code += """    fake = G(z$LABELS_ARG$EPS_ARG)
    out = D(fake$LABELS_ARG)  # «g.d_on_g»
    loss = g_loss_terms(out).mean()
    if mmd_real is not None:  # «g.mmd»
"""
            if self.noise:
                code += """        sample = fake[:MMD_SAMPLES]
        noise = (G.sigma() * eps[:MMD_SAMPLES]).view_as(sample)  # σ·ε
        sample = (sample - noise).detach() + noise  # «g.centre»
        loss = loss + MMD_WEIGHT * mmd(sample, mmd_real)
"""
            else:
                code += "        loss = loss + MMD_WEIGHT * mmd(fake[:MMD_SAMPLES], mmd_real)\n"
        else:
            code += """    out = D(G(z$LABELS_ARG$EPS_ARG)$LABELS_ARG)  # «g.d_on_g»
    loss = g_loss_terms(out).mean()
"""
        code += """    loss.backward()  # «g.backward»
    D.requires_grad_(True)
"""
        if self.c.spectral_norm:
            code += "    D.train()\n"
        code += "    opt_g.step()\n"
        if self.ema:
            code += """    with torch.no_grad():  # «g.ema»
        for slow, fast in zip(G_ema.parameters(), G.parameters(), strict=True):
            slow.lerp_(fast, 1 - EMA_DECAY)
"""
        if self.mmd:
            code += "    g_steps_done += 1\n"
        code += "    return loss.item()\n"
        return Section("g_step", self.sub(code))

    # ------------------------------------------------------------ the loop
    def _loop(self) -> Section:
        start = self.from_iteration
        first = f"{start} + 1" if start else "1"
        last = f"{start} + ITERATIONS + 1" if start else "ITERATIONS + 1"
        code = f'''class Diverged(Exception):
    """«loop.diverged»"""


def check(iteration: int, loss: float) -> float:
    """«loop.check»"""
    weights = torch.cat([p.detach().flatten() for p in (*G.parameters(), *D.parameters())])
    if not (math.isfinite(loss) and bool(torch.isfinite(weights).all())):
        raise Diverged(f"«loop.diverged_at»")
    return loss


history: list[tuple[int, float, float]] = []  # (iteration, loss_D, loss_G)
try:
    for iteration in range({first}, {last}):
        for _ in range(D_STEPS):
            loss_d = check(iteration, d_step())
        for _ in range(G_STEPS):
            loss_g = check(iteration, g_step())
'''
        if self.c.lr_decay_iters:
            factor = "1 - (1 - LR_DECAY_TO) * min(1, iteration / LR_DECAY_ITERS)"
            code += f"""        factor = {factor}  # «loop.decay»
        for opt, lr in ((opt_g, LR_G), (opt_d, LR_D)):
            for group in opt.param_groups:
                group["lr"] = lr * factor
"""
        code += """        history.append((iteration, loss_d, loss_g))
        if iteration % LOG_EVERY == 0 or iteration == 1:
            print(f"iteration {iteration:6d}  loss_D {loss_d:.6f}  loss_G {loss_g:.6f}")
except Diverged as stop:
    print(stop)
"""
        return Section("loop", code)

    # ------------------------------------------------------------ samples and a picture
    def _outputs(self) -> Section:
        net = "G_ema" if self.sample_ema else "G"
        here = self.pool or self.with_weights
        out_dir = 'HERE / "gan_output"' if here else 'Path("gan_output")'
        code = f"""OUT = {out_dir}  # «out.folder»
OUT.mkdir(exist_ok=True)
with open(OUT / "losses.csv", "w") as losses_file:
    losses_file.write("iteration,loss_D,loss_G\\n")
    losses_file.writelines(f"{{i}},{{d!r}},{{g!r}}\\n" for i, d, g in history)

"""
        n = 100 if self.images else 1000
        labels = ""
        if self.cond:
            code += f"labels = (torch.arange({n}) % NUM_CLASSES).to(DEVICE)  # «out.labels»\n"
            labels = ", labels"
        fixed = "torch.Generator().manual_seed(0)"
        if self.noise:
            scale = " * SAMPLE_NOISE" if self.c.sample_noise != 1 else ""
            code += f"""fixed = {fixed}
z = torch.randn({n}, Z_DIM, generator=fixed).to(DEVICE)
eps = torch.randn({n}, math.prod(DATA_SHAPE), generator=fixed).to(DEVICE){scale}  # «out.eps»
{net}.eval()
with torch.no_grad():
    samples = {net}(z{labels}, eps).cpu()  # «out.samples»
"""
        else:
            code += f"""z = torch.randn({n}, Z_DIM, generator={fixed}).to(DEVICE)
{net}.eval()
with torch.no_grad():
    samples = {net}(z{labels}).cpu()  # «out.samples»
"""
        if self.images:
            code += '''

def save_png(path: Path, images: torch.Tensor, per_row: int, zoom: int = 4) -> None:
    """«out.png»"""
    n, channels, h, w = images.shape
    rows = -(-n // per_row)
    grid = torch.zeros(rows * (h + 1), per_row * (w + 1), channels)
    for i, image in enumerate(images.permute(0, 2, 3, 1)):
        r, c = divmod(i, per_row)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = image
    grid = grid.repeat_interleave(zoom, 0).repeat_interleave(zoom, 1)
    pixels = ((grid + 1) / 2).clamp(0, 1).mul(255).to(torch.uint8).numpy()
    height, width = pixels.shape[:2]
    raw = b"".join(b"\\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    colour = 0 if channels == 1 else 2  # grey or RGB
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    png = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + png)


'''
            per_row = "NUM_CLASSES" if self.cond else "10"
            code += f'save_png(OUT / "samples.png", samples, per_row={per_row})\n'
            code += 'print(f"«out.wrote_png»")\n'
            return Section("outputs", code)
        code += 'np.savetxt(OUT / "samples.csv", samples.numpy(), delimiter=","'
        code += ''', header="x,y", comments="")


def save_scatter(path: Path, real: torch.Tensor, fake: torch.Tensor, size: int = 480) -> None:
    """«out.svg»"""
    both = torch.cat([real, fake])
    low, span = both.min(0).values, (both.max(0).values - both.min(0).values).clamp(min=1e-9)

    def dots(points: torch.Tensor, colour: str) -> str:
        xy = (points - low) / span * (size - 20) + 10
        return "".join(
            f'<circle cx="{x:.1f}" cy="{size - y:.1f}" r="2" fill="{colour}" opacity="0.6"/>'
            for x, y in xy.tolist()
        )

    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">'
    path.write_text(svg + dots(real, "#0072B2") + dots(fake, "#E69F00") + "</svg>")


'''
        real = "sample_real(1000)[0]" if self.cond else "sample_real(1000)"
        code += f'save_scatter(OUT / "samples.svg", {real}.cpu(), samples)  # «out.colours»\n'
        code += 'print(f"«out.wrote_svg»")\n'
        return Section("outputs", code)
