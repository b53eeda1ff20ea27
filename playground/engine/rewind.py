"""The rewind buffer: up to `capacity` snapshots of a run's tensors, oldest first.

Snapshots taken once both optimisers hold state (every one after the first steps) share one
float32 block of `capacity` rows, allocated in full by `reserve` after the run's first
iteration (or by the first such snapshot), or carved from memory set aside earlier by
`set_aside` (a server's session does that when it is built, with an upper bound: the layout
is known only once the optimisers have stepped). So a session's memory reaches its bound at once,
instead of creeping up over the first capacity × snapshot_every iterations or growing when a
slow run (an image preset in a busy class) reaches its first snapshot minutes in (and one
allocation replaces dozens of small ones per snapshot). A snapshot with another layout
(iteration 0, before any optimiser step; a layout change while the block is in use) keeps
private copies of its tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)

Layout = tuple[tuple[str, tuple[int, ...]], ...]  # (name, shape) of each tensor, in order


@dataclass
class _Entry:
    iteration: int
    meta: dict[str, Any]
    slot: int | None = None  # row of the shared block, or
    copies: dict[str, torch.Tensor] | None = None  # private copies


class RewindBuffer:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: list[_Entry] = []
        self._block: torch.Tensor | None = None
        self._layout: Layout = ()
        self.reserved = False  # reserve() was called (it allocates at most once)
        self._spare: torch.Tensor | None = None  # set_aside's memory, until the block takes it

    @property
    def iterations(self) -> list[int]:
        return [e.iteration for e in self._entries]

    def put(
        self, iteration: int, tensors: dict[str, torch.Tensor], meta: dict[str, Any], shared: bool
    ) -> None:
        """Store a snapshot (replacing one at the same iteration; the oldest leaves when the
        buffer is full). `shared`: the tensors have the run's steady layout."""
        self._entries = [e for e in self._entries if e.iteration != iteration]
        while len(self._entries) >= self.capacity:
            self._entries.pop(0)
        entry = _Entry(iteration, meta)
        if shared and self._ready_for(tensors):
            entry.slot = self._free_slot()
            row = self._block[entry.slot]
            torch.cat([t.detach().reshape(-1) for t in tensors.values()], out=row)
        else:
            entry.copies = {name: t.detach().clone() for name, t in tensors.items()}
        self._entries.append(entry)

    def reserve(self, tensors: dict[str, torch.Tensor]) -> None:
        """Allocate the shared block for the layout of `tensors` now (once), before the
        first snapshot that will use it."""
        self.reserved = True
        if self._block is None:
            self._ready_for(tensors)

    def set_aside(self, numel: int, device: torch.device) -> None:
        """Take memory for `capacity` snapshots of up to `numel` float32 values each now; the
        block is carved from it once the layout is known (if it fits, else allocated anew)."""
        if self._block is None:
            self._spare = torch.zeros(self.capacity * numel, device=device)

    def get(self, iteration: int) -> tuple[dict[str, torch.Tensor], dict[str, Any]] | None:
        """The tensors (views into the block: copy them before the next put) and the metadata
        of the snapshot at `iteration`, or None."""
        entry = next((e for e in self._entries if e.iteration == iteration), None)
        if entry is None:
            return None
        if entry.copies is not None:
            return entry.copies, entry.meta
        row = self._block[entry.slot]
        sizes = [math.prod(shape) for _, shape in self._layout]
        views = row.split(sizes)
        tensors = {
            name: view.view(shape) for (name, shape), view in zip(self._layout, views, strict=True)
        }
        return tensors, entry.meta

    def entries_after(
        self, iteration: int
    ) -> list[tuple[int, dict[str, torch.Tensor], dict[str, Any], bool]]:
        """The snapshots taken after `iteration` as (iteration, tensors, meta, shared), `put`'s
        arguments, oldest first: what another buffer needs to hold them too."""
        found = []
        for entry in self._entries:
            if entry.iteration > iteration:
                tensors, meta = self.get(entry.iteration)
                found.append((entry.iteration, tensors, meta, entry.slot is not None))
        return found

    def keep_until(self, iteration: int) -> None:
        """Drop the snapshots after `iteration` (the timeline branches there)."""
        self._entries = [e for e in self._entries if e.iteration <= iteration]

    def clear(self) -> None:
        self._entries.clear()

    def _ready_for(self, tensors: dict[str, torch.Tensor]) -> bool:
        """True when the block holds the layout of `tensors` (float32 only), allocating it if
        none is in use."""
        if not all(t.dtype == torch.float32 for t in tensors.values()):
            return False
        layout = tuple((name, tuple(t.shape)) for name, t in tensors.items())
        if self._block is not None and layout == self._layout:
            return True
        if any(e.slot is not None for e in self._entries):
            return False  # the block holds other snapshots: this one keeps copies
        device = next(iter(tensors.values())).device
        numel = sum(math.prod(shape) for _, shape in layout)
        self._block = None  # let the old block go before the new one is allocated
        spare, self._spare = self._spare, None
        if spare is not None and spare.device == device and spare.numel() >= self.capacity * numel:
            self._block = spare[: self.capacity * numel].view(self.capacity, numel)
        else:
            del spare
            self._block = torch.zeros(self.capacity, numel, device=device)
        self._layout = layout
        return True

    def _free_slot(self) -> int:
        used = {e.slot for e in self._entries}
        return next(slot for slot in range(self.capacity) if slot not in used)
