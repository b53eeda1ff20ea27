"""How a serving process's heap gives memory back: glibc's malloc settings and trimming.

A class of 16 tabs allocates and frees tensors of many sizes in many threads. With glibc's
defaults the server's RSS kept climbing for minutes after the class had settled, although its
live tensors and Python objects had stopped growing (docs/serving.md has the figures). The
cause is glibc's dynamic mmap threshold: once a large block is freed, blocks up to that size
come from the heap instead of their own mapping, and a freed block between two live ones stays
held. A fixed threshold keeps every block of 4 MiB or more (an Evaluate's samples and
features, a figure's points) in a mapping of its own, handed back whole when freed. Smaller
blocks come from the heap as before: a training step's activations are reused from one step to
the next (a lower threshold mapped each of them afresh, and MNIST steps slowed), and the heap is
kept for them rather than trimmed after each step; `trim_heap_every` hands back what stays
free. None of this touches torch state.
"""

from __future__ import annotations

import ctypes
import functools
import threading
import time

MALLOC_ARENAS = 2  # glibc's default is 8 per core, each keeping what it once held
MMAP_THRESHOLD_BYTES = 4 * 2**20  # fixed: glibc's dynamic one fragments the heap (above)
TRIM_THRESHOLD_BYTES = 64 * 2**20  # what glibc's dynamic scheme ends at: steps keep their heap
TRIM_SECONDS = 20.0  # how often freed heap memory goes back to the system

_M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return None


def tune_malloc() -> None:
    """Two heap arenas, a fixed mmap threshold and the trim threshold glibc's dynamic scheme
    would reach (setting one fixes both). Call before the process's threads start."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return
    libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)


def trim_heap() -> None:
    """glibc keeps freed heap memory in its arenas; malloc_trim returns it (no-op elsewhere)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def trim_heap_every(seconds: float = TRIM_SECONDS) -> None:
    """Hand freed heap memory back every `seconds`, on a daemon thread of its own: a class's
    requests free figures and batches in many threads' arenas, and glibc returns those pages
    only when asked."""

    def loop() -> None:
        while True:
            time.sleep(seconds)
            trim_heap()

    threading.Thread(target=loop, daemon=True, name="playground-heap-trim").start()
