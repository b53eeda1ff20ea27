"""What a run will cost before it is built: parameters, memory (networks, optimiser, rewind
buffer) and work per iteration, counted on torch's meta device (no memory, no arithmetic).
The work is counted layer by layer from the shapes that flow through the built networks,
through hooks on those networks alone: torch's FlopCounterMode would install process-wide
module hooks that every other session's training would run through (the server's threads).

A front end that serves many people (the browser UI) refuses a config over its budget with a
message that names the field to change, so no accepted config can hold a session's step for
more than a few seconds or its memory beyond SESSION_BYTES.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig
from playground.engine.models import build_models

MiB = 2**20
SESSION_BYTES = 256 * MiB  # networks, gradients, optimiser moments, EMA
REWIND_BYTES = 64 * MiB  # the rewind buffer (snapshot_capacity snapshots)
STEP_SECONDS = 2.0  # the slowest one iteration may be
RUN_SECONDS = 30.0  # the longest one Run N may train
# floating-point operations per second of one CPU thread, a little under what the ring8 preset
# reaches on one thread of the 2-core CI machine (docs/benchmarks.md, "Measurements behind
# the code")
CPU_FLOPS = 3e10
ITERATION_OVERHEAD = 1.5e-3  # seconds an iteration costs however small the networks
# tighter than GANConfig's own bounds: what one browser session may ask for
UI_LIMITS: dict[str, int] = {
    "batch_size": 2048,
    "d_steps": 20,
    "g_steps": 20,
    "g_layers": 8,
    "d_layers": 8,
    "g_hidden": 2048,
    "d_hidden": 2048,
    "z_dim": 512,
    "embed_dim": 128,
    "pack": 32,
    "modes": 1000,
    "grid_side": 30,
    "snapshot_capacity": 500,
    "mmd_samples": 256,  # its kernel matrix is (2·mmd_samples)² × 3 numbers
}


@dataclass(frozen=True)
class Estimate:
    """What one run of a config costs."""

    parameters: int  # G and D (and G's EMA copy)
    network_bytes: int  # weights, gradients, Adam moments
    snapshot_bytes: int  # one rewind snapshot
    flops_per_iteration: float

    @property
    def seconds_per_iteration(self) -> float:
        return ITERATION_OVERHEAD + self.flops_per_iteration / CPU_FLOPS

    def max_run(self) -> int:
        """The most iterations one Run N may train within RUN_SECONDS."""
        return max(1, int(RUN_SECONDS / self.seconds_per_iteration))


def estimate(config: GANConfig, shape: tuple[int, ...], num_classes: int) -> Estimate:
    """Count parameters and the work of one iteration (d_steps D steps, g_steps G steps) by
    building the networks and running them once on the meta device."""
    g, d = build_models(config, shape, num_classes, device="meta")
    b = config.batch_size
    labels = torch.zeros(b, dtype=torch.long, device="meta") if config.takes_labels else None
    with LayerFlops(g, d) as forward_flops:
        fake = g(torch.zeros(b, config.z_dim, device="meta"), labels)
        d(fake, labels)
    forward = sum(forward_flops)
    p_g = sum(p.numel() for p in g.parameters())
    p_d = sum(p.numel() for p in d.parameters())
    # a D step: G forward on B, D forward+backward on 2B; a G step: G and D forward+backward
    d_step, g_step = forward + 2 * 3 * forward, 3 * forward
    ema = p_g if config.ema_decay > 0 else 0
    return Estimate(
        parameters=p_g + p_d + ema,
        network_bytes=4 * (4 * (p_g + p_d) + ema),
        snapshot_bytes=4 * (3 * (p_g + p_d) + ema),
        flops_per_iteration=float(config.d_steps * d_step + config.g_steps * g_step),
    )


class LayerFlops:
    """Within `with LayerFlops(*networks) as flops:`, each matrix product or convolution
    that a Linear, Conv2d or ConvTranspose2d layer of these networks runs appends its
    multiply-add count ×2 to `flops` (torch's flop_counter counts the same: bias and
    activations are free). Hooks on these networks' own layers, removed on exit."""

    def __init__(self, *networks: nn.Module) -> None:
        self.layers = [
            m
            for network in networks
            for m in network.modules()
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))
        ]
        self.flops: list[int] = []
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def __enter__(self) -> list[int]:
        self._handles = [m.register_forward_hook(self._count) for m in self.layers]
        return self.flops

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()

    def _count(self, layer: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        weight = math.prod(layer.weight.shape)
        if isinstance(layer, nn.Linear):
            rows = inputs[0].numel() // layer.in_features
            self.flops.append(2 * rows * weight)
            return
        x = inputs[0]  # a convolution: one filter application per output (input) position
        positions = x.shape[2:] if isinstance(layer, nn.ConvTranspose2d) else out.shape[2:]
        self.flops.append(2 * x.shape[0] * weight * math.prod(positions))


def check(config: GANConfig, shape: tuple[int, ...], num_classes: int) -> Estimate:
    """The estimate, or ValueError naming what to change when the config is over budget."""
    for name, high in UI_LIMITS.items():
        if getattr(config, name) > high:
            raise ValueError(
                f"{name}: at most {high} here (got {getattr(config, name)}); "
                "larger runs belong to the command line"
            )
    cost = estimate(config, shape, num_classes)
    if cost.network_bytes > SESSION_BYTES:
        raise ValueError(
            f"g_hidden / d_hidden: the networks would need {cost.network_bytes / MiB:.0f} MiB "
            f"(with gradients and optimiser state), over this session's "
            f"{SESSION_BYTES // MiB} MiB; make them narrower or shallower"
        )
    if cost.seconds_per_iteration > STEP_SECONDS:
        raise ValueError(
            f"batch_size / widths: one iteration would take about "
            f"{cost.seconds_per_iteration:.0f} s here (limit {STEP_SECONDS:.0f} s); use a "
            "smaller batch, narrower networks or fewer D/G steps"
        )
    rewind = config.snapshot_capacity * cost.snapshot_bytes if config.snapshot_every else 0
    if rewind > REWIND_BYTES:
        fits = max(1, REWIND_BYTES // cost.snapshot_bytes)
        raise ValueError(
            f"snapshot_capacity: {config.snapshot_capacity} snapshots of "
            f"{cost.snapshot_bytes / MiB:.1f} MiB need {rewind / MiB:.0f} MiB; at most {fits} "
            f"fit this session's {REWIND_BYTES // MiB} MiB rewind budget"
        )
    return cost
