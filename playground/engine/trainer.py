"""The step-wise trainer: a GAN trained one D step / one G step at a time, exactly as taught.

D step: fake = G(z) without gradient; x = [fake; real], y = [0…0, 1…1]; loss of D(x) against
y; back-propagate and update D only. G step ("D_on_G"): z → G → D → score with target 1; D's
parameters are frozen for the step, so only G learns.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine import losses
from playground.engine.config import LIVE_FIELDS, GANConfig
from playground.engine.data import Dataset, build_dataset
from playground.engine.device import (
    describe_device,
    resolve_device,
    step_to_host,
    to_device,
)
from playground.engine.models import build_seeded
from playground.engine.records import DStepRecord, GStepRecord, IterationRecord
from playground.engine.rewind import RewindBuffer
from playground.engine.run_state import HISTORY_KEYS, RunState
from playground.engine.weight_vector import WeightVector


class DivergenceError(RuntimeError):
    """A step produced NaN/Inf; the step was rolled back and the trainer stays usable."""

    def __init__(self, iteration: int, network: str, what: str) -> None:
        self.iteration = iteration
        self.network = network
        self.what = what
        super().__init__(
            f"diverged at iteration {iteration} — lower the learning rate "
            f"({network}'s {what} became NaN/Inf; the step was rolled back)"
        )


class Trainer(RunState):
    """Owns G, D, their optimisers, the seeded RNG, history and the rewind buffer."""

    def __init__(self, config: GANConfig, dataset: Dataset | None = None) -> None:
        self.config = config  # valid: a GANConfig checks itself when made, and is frozen
        self.device = resolve_device(config.device)
        self.dataset = dataset if dataset is not None else build_dataset(config)
        self.rng = torch.Generator().manual_seed(config.seed)
        scale = self.dataset.point_scale if config.normalize else 1.0
        g, d = build_seeded(config, self.dataset.shape, self.dataset.num_classes, scale)
        self.G = g.to(self.device)
        self.D = d.to(self.device)
        self._zero = torch.zeros((), device=self.device)
        self._y = torch.zeros(0)
        self._weights = {"G": WeightVector(self.G), "D": WeightVector(self.D)}
        self._params = {name: weights.params for name, weights in self._weights.items()}
        self.G_ema: nn.Module | None = None
        self.opt_g = self._optimizer("G", config.lr_g)
        self.opt_d = self._optimizer("D", config.lr_d)
        self._sync_ema()
        self.iteration = 0
        self.d_step_count = 0
        self.g_step_count = 0
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self.metrics_history: list[dict[str, Any]] = []
        self.last_d: DStepRecord | None = None
        self.last_g: GStepRecord | None = None
        self.last_step: str | None = None  # "d" or "g": which of the two ran most recently
        self.revision = 0  # goes up whenever the training state changes (see play_worker)
        self._rewind = RewindBuffer(config.snapshot_capacity)
        self.snapshot()

    # ---------------------------------------------------------------- set-up helpers
    @property
    def device_label(self) -> str:
        return describe_device(self.device)

    @property
    def conditional(self) -> bool:
        """Whether G and D take a label per row: a class (cGAN) or a cluster id (clusters)."""
        return self.config.takes_labels

    @property
    def clustered(self) -> bool:
        """The labels are self-conditioning's clusters, not classes (config.clusters)."""
        return self.dataset.clustered

    @property
    def labels_are(self) -> str:
        """What a label is, as views and captions name it: "class", or "cluster"."""
        return "cluster" if self.clustered else "class"

    @property
    def num_classes(self) -> int:
        return self.dataset.num_classes

    def dataset_for(self, config: GANConfig) -> Dataset | None:
        """This run's dataset when a run of `config` would draw the same data (it then shares
        it, and the same stream of real batches), else None: that run builds its own."""
        return self.dataset if config.same_data(self.config) else None

    def _optimizer(self, network: str, lr: float) -> torch.optim.Optimizer:
        """Adam or SGD over the network's one flat weight vector (WeightVector): both update
        each weight on its own, so stepping one tensor gives the numbers stepping each layer
        gives (but for the last bit of a few weights, docs/benchmarks.md), in one kernel and
        without torch.optim's per-tensor bookkeeping. The fused kernels where the device has
        them."""
        c = self.config
        fused = self.device.type in ("cpu", "cuda")
        params = [self._weights[network].as_parameter()]
        if c.optimizer == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=c.momentum, fused=fused)
        return torch.optim.Adam(params, lr=lr, betas=(c.beta1, c.beta2), fused=fused)

    def _sync_ema(self) -> None:
        if self.config.ema_decay > 0 and self.G_ema is None:
            self.G_ema = copy.deepcopy(self.G).requires_grad_(False).eval()
        elif self.config.ema_decay == 0:
            self.G_ema = None

    def update(self, **changes: Any) -> list[str]:
        """Change live settings (loss, learning rates, steps…) without rebuilding; returns the
        names that changed. Architecture or data changes need a new Trainer."""
        rebuild = sorted(k for k in changes if k not in LIVE_FIELDS)
        if rebuild:
            raise ValueError(
                f"{rebuild[0]}: changing it rebuilds the networks; start a new run (Reset)"
            )
        new = self.config.replace(**changes)
        changed = [k for k in changes if getattr(new, k) != getattr(self.config, k)]
        self.config = new
        self._apply_lr_schedule()
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                if "betas" in group:
                    group["betas"] = (new.beta1, new.beta2)
                if "momentum" in group:
                    group["momentum"] = new.momentum
        self._sync_ema()
        self.revision += 1
        return changed

    def lr_factor(self) -> float:
        """Multiplier on the configured learning rates at this iteration (linear decay)."""
        c = self.config
        if not c.lr_decay_iters:
            return 1.0
        progress = min(1.0, self.iteration / c.lr_decay_iters)
        return 1.0 - (1.0 - c.lr_decay_to) * progress

    def _apply_lr_schedule(self) -> None:
        factor = self.lr_factor()
        for opt, lr in ((self.opt_g, self.config.lr_g), (self.opt_d, self.config.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * factor

    # ---------------------------------------------------------------- sampling helpers
    def _real_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, labels = self.dataset.sample(n, self.rng)
        return to_device(x, self.device), to_device(labels, self.device)

    def _labels_01(self, b: int) -> torch.Tensor:
        """y = [0…0, 1…1]: B fakes then B reals (cached per batch size)."""
        if len(self._y) != 2 * b:
            self._y = to_device(torch.cat([torch.zeros(b), torch.ones(b)]), self.device)
        return self._y

    def _noise(self, n: int) -> torch.Tensor:
        return to_device(torch.randn(n, self.config.z_dim, generator=self.rng), self.device)

    def _output_noise(self, n: int) -> torch.Tensor | None:
        """ε for a G with a noise output (g_noise), drawn from the run's RNG; else None."""
        if not self.G.noise_dim:
            return None
        return to_device(torch.randn(n, self.G.noise_dim, generator=self.rng), self.device)

    def _random_labels(self, n: int) -> torch.Tensor | None:
        if not self.conditional:
            return None
        return to_device(self.dataset.draw_labels(n, self.rng), self.device)

    # ---------------------------------------------------------------- the D step
    def step_d(self) -> DStepRecord:
        """One discriminator update on x = [fake; real] with y = [0…0, 1…1]."""
        c = self.config
        b = c.batch_size
        self.revision += 1
        real, real_labels = self._real_batch(b)
        z = self._noise(b)
        eps = self._output_noise(b)
        labels = real_labels if self.conditional else None
        with torch.no_grad():
            fake = self.G(z, labels, eps)  # no gradient flows into G
        x = torch.cat([fake, real])
        y = self._labels_01(b)
        both_labels = torch.cat([labels, labels]) if labels is not None else None

        self._weights["D"].zero_grad()
        out = self.D(x, both_labels)  # one output per pack of c.pack rows
        terms = losses.d_loss_terms(c.loss, out, y[:: c.pack])
        loss = terms.mean()
        penalty = self._zero
        if c.loss == "wgan-gp":
            penalty = c.gp_weight * losses.gradient_penalty(self.D, real, fake, labels, self.rng)
        if c.r1_gamma and self.d_step_count % c.r1_every == 0:  # lazy R1: every r1_every-th
            penalty = penalty + c.r1_gamma * c.r1_every * losses.r1_penalty(self.D, real, labels)
        if penalty is not self._zero:
            loss = loss + penalty
        loss.backward()
        grad_norm = self._weights["D"].grad_norm()
        self.opt_d.step()
        if c.loss == "wgan":  # weight clipping keeps the critic (roughly) Lipschitz
            with torch.no_grad():
                self._weights["D"].flat.clamp_(-c.clip_value, c.clip_value)
        delta_d = self._weights["D"].distance()
        delta_g = self._weights["G"].distance()
        score = losses.scores(c.loss, out.detach())
        fake_mean, real_mean = score.view(2, -1).mean(1).unbind()  # packs: fakes, then reals
        stats, (z, x, y, both_labels, out, score, terms) = step_to_host(  # one wait on a GPU
            [loss, grad_norm, delta_d, delta_g, real_mean, fake_mean, penalty],
            *(z, x, y, both_labels, out, score, terms),
        )
        self._guard(stats[:4], "D", self.opt_d)
        self.d_step_count += 1
        loss_value, grad_value, delta_d_value, delta_g_value, real_mean, fake_mean, gp = stats
        record = DStepRecord(
            iteration=self.iteration,
            z=z,
            x=x,
            y=y,
            labels=both_labels,
            out=_rows(out, c.pack),
            scores=_rows(score, c.pack),
            loss_terms=_rows(terms, c.pack),
            loss_d=loss_value,
            d_real_mean=real_mean,
            d_fake_mean=fake_mean,
            grad_norm_d=grad_value,
            delta_d=delta_d_value,
            delta_g=delta_g_value,
            penalty=gp,
        )
        self.last_d, self.last_step = record, "d"
        return record

    # ---------------------------------------------------------------- the G step
    def _g_update(self) -> GStepRecord:
        c = self.config
        b = c.batch_size
        self.revision += 1
        z = self._noise(b)
        labels = self._random_labels(b)
        eps = self._output_noise(b)
        mmd_real = self._real_batch(c.mmd_samples)[0] if self._mmd_due() else None
        d_params = self._params["D"]
        frozen = [p.requires_grad for p in d_params]
        for p in d_params:  # the teacher's marking scheme is fixed for this step
            p.requires_grad_(False)
        if self.config.spectral_norm:
            self.D.eval()  # keep its power-iteration vectors still too: D stays bit-identical
        try:
            self._weights["G"].zero_grad()
            fake = self.G(z, labels, eps)
            out = self.D(fake, labels)  # D_on_G
            terms = losses.g_loss_terms(c.loss, out)
            loss = terms.mean()
            penalty = self._zero
            if mmd_real is not None:  # a whole-batch term on top of the per-row ones
                penalty = c.mmd_weight * self._mmd(fake, eps, mmd_real)
                loss = loss + penalty
            loss.backward()
        finally:
            for p, flag in zip(d_params, frozen, strict=True):
                p.requires_grad_(flag)
            if self.config.spectral_norm:
                self.D.train()
        grad_norm = self._weights["G"].grad_norm()
        self.opt_g.step()
        delta_g = self._weights["G"].distance()
        delta_d = self._weights["D"].distance()
        score = losses.scores(c.loss, out.detach())
        stats, (z, labels, fake, out, score, terms, eps) = step_to_host(
            [loss, grad_norm, delta_g, delta_d, score.mean(), penalty],
            *(z, labels, fake, out, score, terms, eps),
        )
        self._guard(stats[:4], "G", self.opt_g)
        if self.G_ema is not None:
            with torch.no_grad():
                ema = list(self.G_ema.parameters())
                torch._foreach_lerp_(ema, self._params["G"], 1 - c.ema_decay)
        self.g_step_count += 1
        loss_value, grad_value, delta_g_value, delta_d_value, mean_score, mmd_value = stats
        record = GStepRecord(
            iteration=self.iteration,
            z=z,
            labels=labels,
            fake=fake,
            out=_rows(out, c.pack),
            scores=_rows(score, c.pack),
            loss_terms=_rows(terms, c.pack),
            loss_g=loss_value,
            d_on_g_mean=mean_score,
            grad_norm_g=grad_value,
            delta_g=delta_g_value,
            delta_d=delta_d_value,
            penalty=mmd_value,
            noise=eps,
        )
        self.last_g, self.last_step = record, "g"
        return record

    def _mmd_due(self) -> bool:
        c = self.config
        return c.mmd_weight > 0 and self.g_step_count % c.mmd_every == 0

    def _mmd(
        self, fake: torch.Tensor, eps: torch.Tensor | None, real: torch.Tensor
    ) -> torch.Tensor:
        """MMD² between the first mmd_samples fakes and as many fresh reals. With g_noise the
        fakes are μ(z) held fixed plus σ·ε: the term sets how wide G draws, never where."""
        k = len(real)
        sample = fake[:k]
        if eps is not None:
            noise = (self.G.sigma() * eps[:k]).view_as(sample)  # σ·ε
            sample = (sample - noise).detach() + noise  # μ(z) = fake − σ·ε, held fixed
        return losses.mmd(sample, real, self.config.mmd_bandwidth)

    def step_g(self) -> GStepRecord:
        """One generator update through D_on_G; it closes the current iteration."""
        record = self._g_update()
        self._finish_iteration()
        return record

    # ---------------------------------------------------------------- iterations
    def step(self) -> IterationRecord:
        """One iteration: d_steps D steps, then g_steps G steps."""
        for _ in range(self.config.d_steps):
            self.step_d()
        for _ in range(self.config.g_steps):
            self._g_update()
        return self._finish_iteration()

    def run(
        self, n: int, callback: Callable[[Trainer, IterationRecord], bool | None] | None = None
    ) -> IterationRecord | None:
        """n iterations; a callback returning False stops early."""
        record = None
        for _ in range(n):
            record = self.step()
            if callback is not None and callback(self, record) is False:
                break
        return record

    def _finish_iteration(self) -> IterationRecord:
        self.iteration += 1
        d, g = self.last_d, self.last_g
        nan = float("nan")  # a G step before any D step has no D values yet
        row = (
            self.iteration,
            d.loss_d if d else nan,
            g.loss_g,
            d.d_real_mean if d else nan,
            d.d_fake_mean if d else nan,
            d.grad_norm_d if d else nan,
            g.grad_norm_g,
        )
        for key, value in zip(HISTORY_KEYS, row, strict=True):
            self.history[key].append(value)
        if self.config.lr_decay_iters:
            self._apply_lr_schedule()
        every = self.config.snapshot_every
        if every and not self._rewind.reserved and self._stepped:
            self._rewind.reserve(self.capture()[0])  # the rewind memory, now rather than later
        if every and self.iteration % every == 0:
            self.snapshot()
        return IterationRecord(self.iteration, d, g)

    # ---------------------------------------------------------------- divergence guard
    def _commit_weights(self) -> None:
        """The weights as they are now are the reference (after init, rewind or load)."""
        for weights in self._weights.values():
            weights.commit()

    def roll_back_step(self) -> None:
        """After a step that raised part-way (not a divergence: an unexpected error), put the
        weights back where the last finished step left them and drop half-made gradients, so
        the run goes on from its last good state."""
        for weights in self._weights.values():
            weights.revert()
            weights.zero_grad()
        self.revision += 1

    def _guard(self, stats: list[float], network: str, opt: torch.optim.Optimizer) -> None:
        """stats = [loss, grad norm, Δθ of the trained net, Δθ of the other]. All finite: the
        step's weights become the reference. A NaN/Inf in any of them rolls the step back
        (weights restored, that optimiser's moments reset)."""
        other = "D" if network == "G" else "G"
        if all(_finite(v) for v in stats):
            self._weights[network].commit()
            if stats[3] != 0.0:  # the frozen network moved: keep the measure honest next step
                self._weights[other].commit()
            return
        what = (
            "loss" if not _finite(stats[0]) else "gradient" if not _finite(stats[1]) else "weights"
        )
        for weights in self._weights.values():
            weights.revert()
        self._weights[network].zero_grad()
        opt.state.clear()  # its moments saw the exploding step; start them afresh
        raise DivergenceError(self.iteration + 1, network, what)

    # ---------------------------------------------------------------- generation
    def generate(
        self,
        z: torch.Tensor,
        labels: torch.Tensor | None = None,
        ema: bool = False,
        noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """G(z) in internal units, on the CPU; `ema` uses the EMA copy of G when there is one.
        With g_noise, `noise` is the ε of each row (None: G's mean μ(z), as latent views show)."""
        net = self.G_ema if ema and self.G_ema is not None else self.G
        if self.conditional and labels is None:
            raise ValueError("label: this is a conditional GAN; choose a class to generate")
        z = z.to(self.device, torch.float32)
        if labels is not None:
            labels = labels.to(self.device, torch.long)
        if noise is not None:
            noise = noise.to(self.device, torch.float32)
        labels = labels if self.conditional else None
        was_training = net.training
        net.eval()
        with torch.no_grad():  # GENERATE_ROWS at a time: a conv G's activations for 2 000
            out = torch.cat(  # MNIST samples at once are 100 MB, and 16 tabs may ask at once
                [net(*rows).cpu() for rows in zip(*_row_chunks(z, labels, noise), strict=True)]
            )
        net.train(was_training)
        return out

    def sample(
        self, n: int, label: int | None = None, ema: bool = False, seed: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """n samples in user units (points as-is, images in [0, 1]) with their z and labels.
        Uses its own seeded generator, so sampling never changes the training run."""
        if label is not None and not self.conditional:
            raise ValueError("label: only a conditional GAN takes a class label")
        if label is not None and not 0 <= label < self.num_classes:
            raise ValueError(f"label: must be in 0..{self.num_classes - 1} (got {label})")
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.config.z_dim, generator=g)
        labels = None
        if self.conditional:
            labels = (
                torch.full((n,), label, dtype=torch.long)
                if label is not None
                else self.dataset.draw_labels(n, g)
            )
        noise = self.sample_noise(n, g)
        x = self.dataset.to_export(self.generate(z, labels, ema=ema, noise=noise))
        return x, z, labels

    def sample_noise(self, n: int, generator: torch.Generator) -> torch.Tensor | None:
        """ε for n samples of a G with a noise output (g_noise) from `generator`, times the
        config's sample_noise, else None: what `sample` and the views of G's samples pass to
        `generate`, so they show the spread G draws."""
        if not self.G.noise_dim:
            return None
        return torch.randn(n, self.G.noise_dim, generator=generator) * self.config.sample_noise

    def score(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's per-row score for arbitrary inputs (e.g. a heat-map grid), on the CPU."""
        pack = self.config.pack
        x = x.to(self.device, torch.float32)
        if pack > 1:  # judge each row as a pack of identical copies
            x = x.repeat_interleave(pack, 0)
            labels = None if labels is None else labels.repeat_interleave(pack, 0)
        with torch.no_grad():
            out = self.D(x, None if labels is None else labels.to(self.device))
        return losses.scores(self.config.loss, out).cpu()


GENERATE_ROWS = 250


def _row_chunks(*tensors: torch.Tensor | None) -> list[list[torch.Tensor | None]]:
    """Each tensor split into GENERATE_ROWS-row chunks (None: a None per chunk)."""
    chunks = max(1, math.ceil(len(tensors[0]) / GENERATE_ROWS))
    return [list(t.split(GENERATE_ROWS)) if t is not None else [None] * chunks for t in tensors]


def _rows(per_pack: torch.Tensor, pack: int) -> torch.Tensor:
    """Per-pack values repeated for each row of the pack."""
    return per_pack.repeat_interleave(pack) if pack > 1 else per_pack


_finite = math.isfinite
