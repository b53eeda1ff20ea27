"""A run's whole state, taken and given back: the weights, a capture of everything a step
changes (weights, optimiser moments, RNG, counters, last records), and the rewind timeline
built from captures. Mixed into the Trainer; the D and G steps stay in trainer.py."""

from __future__ import annotations

import copy
from typing import Any

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.config import GANConfig

HISTORY_KEYS = ("iteration", "loss_d", "loss_g", "d_real", "d_fake", "grad_d", "grad_g")


def strip_prefix(mapping: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The entries whose key starts with `prefix`, keyed without it ("G.net.0.weight" with
    "G." → "net.0.weight")."""
    return {k[len(prefix) :]: v for k, v in mapping.items() if k.startswith(prefix)}


def _groups_copy(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of an optimiser's param_groups that the optimiser's later changes (lr, betas)
    cannot reach: their values are scalars and tuples, except the list of parameter ids."""
    return [dict(group, params=list(group["params"])) for group in groups]


class RunState:
    """Mixed into Trainer: weights(), capture() and load_captured(), snapshots and restore()."""

    # ---------------------------------------------------------------- rewind
    def weights(self) -> dict[str, torch.Tensor]:
        """G.*, D.* and (with EMA) G_ema.* state-dict entries, as checkpoints, snapshots and
        exported scripts store them (the tensors themselves, not copies)."""
        tensors: dict[str, torch.Tensor] = {}
        for prefix, module in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            if module is not None:
                for key, value in module.state_dict().items():
                    tensors[f"{prefix}.{key}"] = value
        return tensors

    def capture(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The whole training state as (tensors, metadata): weights, optimiser moments, RNG,
        counters, the last records. The tensors are the live ones, not copies."""
        tensors = self.weights()
        optimizers = {}
        for prefix, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            state = opt.state_dict()
            skeleton: dict[str, Any] = {"state": {}, "param_groups": state["param_groups"]}
            for index, entry in state["state"].items():
                skeleton["state"][index] = {}
                for name, value in entry.items():
                    if torch.is_tensor(value):
                        tensors[f"{prefix}.{index}.{name}"] = value
                        value = None  # filled from the tensors on restore
                    skeleton["state"][index][name] = value
            skeleton["param_groups"] = _groups_copy(state["param_groups"])
            optimizers[prefix] = skeleton
        meta = {
            "optimizers": optimizers,
            "ema": self.G_ema is not None,
            "rng": self.rng.get_state(),
            "config": self.config.to_dict(),
            "history_len": len(self.history["iteration"]),
            "metrics_len": len(self.metrics_history),
            "counts": (self.d_step_count, self.g_step_count),
            "last": (self.last_d, self.last_g, self.last_step),
            "iteration": self.iteration,
        }
        return tensors, meta

    def set_aside_rewind(self) -> None:
        """Take the rewind memory now rather than after the first iteration (a server's tab
        does, so its memory is whole from the moment it is built): room for the weights and
        the optimiser state as Adam keeps it, two moments and a step count for each network's
        one weight vector, the most any optimiser here keeps. Plain SGD keeps no state, and
        its snapshots no block (see rewind.py): nothing to set aside."""
        c = self.config
        if not c.snapshot_every or (c.optimizer == "sgd" and not c.momentum):
            return
        stepped = [weights.flat for weights in self._weights.values()]  # what the optimisers step
        numel = sum(t.numel() for t in self.weights().values())
        numel += sum(2 * t.numel() + 1 for t in stepped)
        self._rewind.set_aside(numel, stepped[0].device)

    @property
    def _stepped(self) -> bool:
        """Both optimisers hold state: the run's tensors have their steady layout."""
        return bool(self.opt_g.state) and bool(self.opt_d.state)

    def snapshot(self) -> int:
        """Store the whole training state in the rewind buffer; returns its iteration."""
        tensors, meta = self.capture()
        self._rewind.put(self.iteration, tensors, meta, shared=self._stepped)
        return self.iteration

    def reset_rewind(self) -> None:
        """Forget all snapshots and start the rewind buffer at the current state (after the
        weights were replaced wholesale, e.g. by loading a checkpoint)."""
        self.revision += 1
        self._commit_weights()
        self._rewind.clear()
        self.snapshot()

    @property
    def snapshots(self) -> list[int]:
        """Iterations that can be restored, oldest first."""
        return self._rewind.iterations

    def restore(self, iteration: int) -> None:
        """Rewind to the snapshot taken at `iteration`; stepping on reproduces the original run.
        Later snapshots are dropped: the timeline branches from here."""
        found = self._rewind.get(iteration)
        if found is None:
            raise ValueError(
                f"snapshot: no snapshot at iteration {iteration}; available: {self.snapshots}"
            )
        tensors, meta = found
        self.load_captured(tensors, meta)
        for key in HISTORY_KEYS:
            del self.history[key][meta["history_len"] :]
        del self.metrics_history[meta["metrics_len"] :]
        self._rewind.keep_until(iteration)

    def load_captured(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Take on a state `capture` made (of this run or a copy of it): weights, optimiser
        moments, RNG, counters, the last records. History and snapshots stay as they are."""
        self.config = GANConfig.from_dict(meta["config"])
        self.G.load_state_dict(strip_prefix(tensors, "G."))
        self.D.load_state_dict(strip_prefix(tensors, "D."))
        if not meta["ema"]:
            self.G_ema = None
        else:
            if self.G_ema is None:
                self.G_ema = copy.deepcopy(self.G).requires_grad_(False).eval()
            self.G_ema.load_state_dict(strip_prefix(tensors, "G_ema."))
        for prefix, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            skeleton = meta["optimizers"][prefix]
            state = {
                "state": {
                    index: {
                        name: tensors[f"{prefix}.{index}.{name}"].clone() if v is None else v
                        for name, v in entry.items()
                    }
                    for index, entry in skeleton["state"].items()
                },
                "param_groups": _groups_copy(skeleton["param_groups"]),
            }
            opt.load_state_dict(state)
        self.rng.set_state(meta["rng"])
        self.d_step_count, self.g_step_count = meta["counts"]
        self.last_d, self.last_g, self.last_step = meta["last"]
        self.iteration = meta["iteration"]
        self._commit_weights()
        self.revision += 1
