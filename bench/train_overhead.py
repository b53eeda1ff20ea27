"""Trainer vs a bare PyTorch GAN loop: same networks, batch, loss and data, same process.

Prints per-iteration times, iterations/s and the ratio Trainer / bare (target ≤ 1.10 on the
CPU), for the 2D MLP (ring8) or the DCGAN on the 8x8 digits (--case digits-dcgan). The ratio is
the median over chunks of each Trainer chunk's time over the bare chunk timed beside it, so a
drift in the machine's speed during the run cancels out. On CUDA it also counts the host syncs
per iteration of each loop (torch's sync debug mode): each record the Trainer keeps pulls
tensors to the CPU, and this says what that costs.
Run: python bench/train_overhead.py [--chunk 200] [--chunks 25] [--device cpu|cuda]
                                    [--case ring8-mlp|digits-dcgan]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground import GANConfig, Trainer  # noqa: E402


def textbook_optimizers(
    trainer: Trainer, fused: bool | None = None
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """What a hand-written loop uses: torch.optim.Adam over each network's parameters, with
    its default implementation (fused=None) or the fused kernel the Trainer uses."""
    c = trainer.config
    return (
        torch.optim.Adam(trainer.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2), fused=fused),
        torch.optim.Adam(trainer.D.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2), fused=fused),
    )


def bare_loop(trainer: Trainer, iters: int, optimizers: tuple) -> float:
    """The textbook loop on a trainer's networks and data, with nothing recorded."""
    G, D, dataset, device = trainer.G, trainer.D, trainer.dataset, trainer.device
    opt_g, opt_d = optimizers
    rng, b, z_dim = trainer.rng, trainer.config.batch_size, trainer.config.z_dim
    y = torch.cat([torch.zeros(b), torch.ones(b)]).to(device)
    ones = torch.ones(b, device=device)
    start = time.perf_counter()
    for _ in range(iters):
        real, _ = dataset.sample(b, rng)
        real = real.to(device)
        z = torch.randn(b, z_dim, generator=rng).to(device)
        with torch.no_grad():
            fake = G(z)
        opt_d.zero_grad(set_to_none=True)
        loss_d = F.binary_cross_entropy_with_logits(D(torch.cat([fake, real])), y)
        loss_d.backward()
        opt_d.step()
        z = torch.randn(b, z_dim, generator=rng).to(device)
        opt_g.zero_grad(set_to_none=True)
        loss_g = F.binary_cross_entropy_with_logits(D(G(z)), ones)
        loss_g.backward()
        opt_g.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


def trainer_loop(trainer: Trainer, iters: int) -> float:
    start = time.perf_counter()
    trainer.run(iters)
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / iters


CASES = {
    "ring8-mlp": dict(dataset="ring8", loss="nonsat"),
    "digits-dcgan": dict(dataset="digits", model="dcgan", loss="nonsat"),
}


def syncs_per_iteration(loop, iters: int) -> float:
    """Host-device synchronisations per iteration of `loop` (CUDA only), counted by torch."""
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loop(iters)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=200, help="iterations per timed chunk")
    parser.add_argument("--chunks", type=int, default=25, help="timed chunks of each loop")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--case", choices=list(CASES), default="ring8-mlp")
    args = parser.parse_args()
    config = GANConfig(**CASES[args.case], device=args.device, batch_size=args.batch_size)
    default_trainer, fused_trainer, our_trainer = Trainer(config), Trainer(config), Trainer(config)
    default_opts = textbook_optimizers(default_trainer)
    fused_opts = textbook_optimizers(fused_trainer, fused=True)
    loops = {
        "bare loop, torch.optim.Adam defaults": lambda: bare_loop(
            default_trainer, args.chunk, default_opts
        ),
        "bare loop, fused torch.optim.Adam": lambda: bare_loop(
            fused_trainer, args.chunk, fused_opts
        ),
        "Trainer": lambda: trainer_loop(our_trainer, args.chunk),
    }
    times: dict[str, list[float]] = {name: [] for name in loops}
    for loop in loops.values():  # warm-up
        loop()
    for _ in range(args.chunks):  # interleaved, so drift in machine speed hits all alike
        for name, loop in loops.items():
            times[name].append(loop())
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"device: {our_trainer.device_label}; {args.case}, batch {args.batch_size}, nonsat")
    for name, value in medians.items():
        print(
            f"{name:40s}: {value * 1e3:.3f} ms/iteration, {1 / value:.0f} iterations/s "
            f"(median of {args.chunks} x {args.chunk})"
        )
    for name in list(medians)[:2]:  # each Trainer chunk against the floor chunk run beside it,
        ratios = sorted(  # so a drift in machine speed over the run cancels out
            ours / floor for ours, floor in zip(times["Trainer"], times[name], strict=True)
        )
        quartiles = statistics.quantiles(ratios, n=4)
        print(
            f"ratio Trainer / {name}: {statistics.median(ratios):.3f}  (target <= 1.10; "
            f"chunk pairs' quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f})"
        )
    if our_trainer.device.type == "cuda":
        bare = syncs_per_iteration(lambda n: bare_loop(fused_trainer, n, fused_opts), 20)
        ours_syncs = syncs_per_iteration(lambda n: trainer_loop(our_trainer, n), 20)
        print(f"host syncs per iteration: bare loop {bare:.1f}, Trainer {ours_syncs:.1f}")


if __name__ == "__main__":
    main()
