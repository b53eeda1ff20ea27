"""One throwaway vectorised op when the playground is imported.

Measured with torch 2.13 on a 2-core CPU: in a fresh process with two intra-op threads, the
first elementwise op (sqrt, cos, tanh…) returned values off by up to 2e-4 in 3–6 of 16 runs;
every later call was exact, and with one thread every call was. A data set's normalisation
scale is such a first op, so the same seed did not always give the same run in a new process.
One small op before any real one makes them exact (36 of 36 fresh processes).
"""

from __future__ import annotations

import torch


def warm_up() -> None:
    torch.linspace(0.1, 1.0, 4096).sqrt()


warm_up()
