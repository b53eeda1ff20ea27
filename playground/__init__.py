"""GAN Playground: a GAN trained one D step / one G step at a time, with every value exposed."""

import playground.torch_warmup  # noqa: F401  (first: see its docstring)
from playground.config import GANConfig
from playground.data import Dataset, build_dataset
from playground.loaders import DataFormatError
from playground.records import DStepRecord, GStepRecord, IterationRecord
from playground.trainer import DivergenceError, Trainer

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
