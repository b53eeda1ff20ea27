"""Pick where tensors live: CUDA, then Apple MPS, then the CPU, and say which in words."""

from __future__ import annotations

import torch

import playground.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)


def resolve_device(requested: str = "auto") -> torch.device:
    """`auto` → the best available accelerator; an explicit device that is missing is an error."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: CUDA was requested but no CUDA GPU is available; use auto or cpu")
    if requested == "mps" and not _mps_available():
        raise ValueError("device: MPS was requested but is not available; use auto or cpu")
    return torch.device(requested)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def describe_device(device: torch.device) -> str:
    """A human label such as 'CUDA (NVIDIA H100)' or 'CPU (2 threads)'."""
    if device.type == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads > 1 else ''})"


def cpu_threads_for(model: str) -> int:
    """CPU threads for torch: 1 for the MLPs, torch's default for conv nets.

    An MLP's matrices here are small (batch 256 x 128 units): splitting each op across cores
    costs more in hand-offs than it gains (ring8 on 2 cores: 4.15 ms/it with 1 thread,
    4.90 ms/it with 2), and one thread leaves the other core to the UI or another session.
    """
    return 1 if model == "mlp" else torch.get_num_threads()
