"""Pick where tensors live: CUDA, then Apple MPS, then the CPU, and say which in words."""

from __future__ import annotations

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)


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
    costs more in hand-offs than it gains (docs/benchmarks.md), and one thread leaves the
    other core to the UI or another session.
    """
    return 1 if model == "mlp" else torch.get_num_threads()


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """`tensor` (on the CPU) on `device` without making the host wait. On CUDA a plain copy
    waits for all queued GPU work to finish first; staged through pinned memory it is queued
    like a kernel (torch keeps the pinned block until the copy is done)."""
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor if device.type == "cpu" else tensor.to(device)


def to_host(*tensors: torch.Tensor | None) -> list[torch.Tensor | None]:
    """Detached CPU copies of `tensors` (None stays None), all in one device-to-host copy.
    Each copy to the host waits for the GPU to finish its queue, and a training step records a
    dozen tensors: one copy instead of a dozen took the host syncs of a CUDA iteration from 17
    to 2. On the CPU the tensors themselves come back, detached, not copied."""
    present = [t.detach() if t.requires_grad else t for t in tensors if t is not None]
    if present and present[0].device.type != "cpu":
        present = packed_copy(present, torch.device("cpu"))
    kept = iter(present)
    return [None if t is None else next(kept) for t in tensors]


def step_to_host(
    scalars: list[torch.Tensor], *tensors: torch.Tensor | None
) -> tuple[list[float], list[torch.Tensor | None]]:
    """A step's 0-d measures as Python floats and its tensors as `to_host` gives them. On a GPU
    the measures ride in the same single copy (one wait); on the CPU each is read directly,
    which costs less than stacking them."""
    if scalars[0].device.type == "cpu":
        return [s.item() for s in scalars], to_host(*tensors)
    stacked, *rest = to_host(torch.stack([s.detach() for s in scalars]), *tensors)
    return stacked.tolist(), rest


def packed_copy(tensors: list[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    """`tensors` on `device` through one float32 buffer, each back in its shape and dtype
    (integers such as class labels are exact in float32 up to 2**24)."""
    flat = torch.cat([t.reshape(-1).float() for t in tensors]).to(device)
    parts = flat.split([t.numel() for t in tensors])
    return [part.view(t.shape).to(t.dtype) for part, t in zip(parts, tensors, strict=True)]
