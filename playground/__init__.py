"""GAN Playground: a GAN trained one D step / one G step at a time, with every value exposed.

The names below load on first use, so `python -m playground --help` and a bad option answer
without importing torch (0.2 s instead of ~2 s). Every module that computes with torch imports
playground.engine.torch_warmup first (see its docstring; tests/test_cli.py checks both)."""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

# MKL (torch's BLAS here) splits a matrix-vector product over its threads and adds the parts
# in an order that changed with what other threads were doing: a spectral-norm run (its power
# iteration is such a product) trained beside others differed from the same run alone in the
# last bit. One MKL thread makes every run bit-identical; torch's own intra-op threads and
# oneDNN's convolutions are unaffected. Set before torch loads MKL (any playground import
# comes first), at import time, never from a request; an operator's own setting wins.
os.environ.setdefault("MKL_NUM_THREADS", "1")

if TYPE_CHECKING:
    from playground.engine.config import GANConfig
    from playground.engine.data import Dataset, build_dataset
    from playground.engine.loaders import DataFormatError
    from playground.engine.records import DStepRecord, GStepRecord, IterationRecord
    from playground.engine.trainer import DivergenceError, Trainer

_HOMES = {
    "DStepRecord": "playground.engine.records",
    "DataFormatError": "playground.engine.loaders",
    "Dataset": "playground.engine.data",
    "DivergenceError": "playground.engine.trainer",
    "GANConfig": "playground.engine.config",
    "GStepRecord": "playground.engine.records",
    "IterationRecord": "playground.engine.records",
    "Trainer": "playground.engine.trainer",
    "build_dataset": "playground.engine.data",
}
__all__ = [
    "DStepRecord",
    "DataFormatError",
    "Dataset",
    "DivergenceError",
    "GANConfig",
    "GStepRecord",
    "IterationRecord",
    "Trainer",
    "build_dataset",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'playground' has no attribute '{name}'")
    return getattr(importlib.import_module(_HOMES[name]), name)
