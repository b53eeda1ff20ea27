"""The first half of an exported script: settings, data, networks, loss, optimisers. Each
method returns one Section of plain PyTorch for the run's options only."""

from __future__ import annotations

import math

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.losses import MMD_KERNELS
from playground.engine.models import NOISE_START, d_input_channels, is_thin
from playground.io.export_plan import (
    ACTIVATION_CODE,
    DATA_FILE,
    MIXTURES,
    WEIGHTS_FILE,
    PlanFacts,
    Section,
)

# the playground's thin-channel layers (engine/models.py), so the script sums as it does
_THIN_CONV = '''

class ThinConv2d(nn.Conv2d):
    """«net.thin_conv»"""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu":
            return super().forward(x)
        w, b = self.weight, self.bias
        return torch.ops.aten.thnn_conv2d(x, w, self.kernel_size, b, self.stride, self.padding)
'''
_THIN_CONV_TRANSPOSE = '''

class ThinConvTranspose2d(nn.ConvTranspose2d):
    """«net.thin_conv_transpose»"""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu":
            return super().forward(x)
        return torch.ops.aten.slow_conv_transpose2d(
            x, self.weight, self.kernel_size, self.bias, self.stride, self.padding
        )
'''


class ModelCode(PlanFacts):
    """Writes the settings, the data, G and D, the loss and the optimisers."""

    def settings(self) -> Section:
        c = self.c
        rows = [
            f"SEED = {c.seed}",
            f"BATCH_SIZE = {c.batch_size}  # «settings.batch_size»",
            f"Z_DIM = {c.z_dim}  # «settings.z_dim»",
        ]
        if self.cond:
            key = "num_clusters" if self.clusters else "num_classes"
            rows.append(f"NUM_CLASSES = {self.dataset.num_classes}  # «settings.{key}»")
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
        rows += [
            f"ITERATIONS = {self.steps}  # «settings.iterations»",
            f"LOG_EVERY = {self.log_every}",
            "",
        ]
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
            common + script_tail + shared_tail,
            common + notebook_tail + shared_tail,
        )

    def data(self) -> Section:
        name = self.dataset.name
        if self.pool:
            code = self._pool_data()
        elif name in MIXTURES:
            code = self._mixture_data()
        else:
            code = self._curve_data()
        return Section("data", code)

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
        if self.clusters:
            code += 'POOL_LABELS = torch.from_numpy(data["labels"])  # «data.clusters»\n'
        elif self.cond:
            code += 'POOL_LABELS = torch.from_numpy(data["labels"])\n'
        code += self._sample_signature("«data.sample_pool»")
        code += "    index = torch.randint(len(POOL), (n,), generator=rng)\n"
        return code + self._returns("POOL[index]", "POOL_LABELS[index]")

    def networks(self) -> Section:
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
        act = ACTIVATION_CODE[self.c.activation]
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

    def _conv_networks(self) -> str:
        sn = self.c.spectral_norm

        def wrap(layer: str) -> str:
            return f"spectral_norm({layer})" if sn else layer

        channels, side = self.dataset.shape[0], self.dataset.shape[1]
        g_in = "Z_DIM + EMBED_DIM" if self.cond else "Z_DIM"
        d_channels = f"{channels} + 1" if self.cond else str(channels)
        if self.pack > 1:
            d_channels = f"({d_channels}) * PACK"
        thin_d = is_thin(d_input_channels(channels, self.cond, self.pack))
        thin_g = is_thin(channels)
        d_first = "ThinConv2d" if thin_d else "nn.Conv2d"
        g_last = "ThinConvTranspose2d" if thin_g else "nn.ConvTranspose2d"
        code = f"SIDE, START = {side}, {side // 4}  # «net.sides»\n"
        if self.cond:
            code += f"EMBED_DIM = {self.c.embed_dim}  # «settings.embed_dim»\n"
        if thin_d:
            code += _THIN_CONV
        if thin_g:
            code += _THIN_CONV_TRANSPOSE
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
            {g_last}(G_CHANNELS, {channels}, 4, 2, 1),
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
            {wrap(f"{d_first}({d_channels}, D_CHANNELS, 4, 2, 1)")},
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

    def loss(self) -> Section:
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
    (grad,) = torch.autograd.grad(D(between{self.labels_arg}).sum(), between, create_graph=True)
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
    (grad,) = torch.autograd.grad(D(real{self.labels_arg}).sum(), real, create_graph=True)
    return 0.5 * grad.flatten(1).pow(2).sum(1).mean()
'''
        return Section("loss", code)

    def optimisers(self) -> Section:
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
