"""The judge of image metrics: a small classifier per packaged image set, trained on that
set's training split only, whose penultimate layer is the feature space of the Fréchet
distance (as Inception's is for FID, scaled down to 8×8 and 28×28 digits).

Its weights ship in assets/classifiers/<dataset>.safetensors, with the held-out accuracy
and the command that reproduces them in the file's metadata:

    python -m playground train-classifier mnist

Training draws every random number from its own generator (a server may call it beside
running sessions), so the same command gives the same weights on the same machine.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
from torch import nn

import playground.engine.torch_warmup  # noqa: F401  (before any tensor op: see its docstring)
from playground.engine.data import PACKAGED_IMAGES, Dataset, packaged_images
from playground.engine.models import initialise
from playground.paths import ASSETS

CLASSIFIER_DIR = ASSETS / "classifiers"
FEATURES = 64  # size of the feature space the Fréchet distance is measured in
EPOCHS = {"digits": 60, "mnist": 12}
JITTER = {"digits": False, "mnist": True}  # an 8×8 digit shifted a pixel is another digit
TRAIN_SEED = 0


class DigitJudge(nn.Module):
    """Images in [-1, 1] → `FEATURES` features (ReLU) → 10 class logits."""

    def __init__(self, side: int, device: str | torch.device | None = None) -> None:
        super().__init__()
        if side == 8:  # 64 pixels: an MLP is enough
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 128, device=device), nn.ReLU())
            flat = 128
        else:
            self.body = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1, device=device),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1, device=device),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Flatten(),
            )
            flat = 32 * (side // 4) ** 2
        self.features = nn.Sequential(nn.Linear(flat, FEATURES, device=device), nn.ReLU())
        self.head = nn.Linear(FEATURES, 10, device=device)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


class Judge:
    """A trained DigitJudge in evaluation mode, with what it scored on the held-out split."""

    def __init__(self, net: DigitJudge, held_out_accuracy: float) -> None:
        self.net = net.eval()
        self.held_out_accuracy = held_out_accuracy

    @torch.no_grad()
    def features_and_classes(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, FEATURES) float64 features and (N,) predicted classes of images in [0, 1]
        (user units, as Trainer.sample returns them). 250 images at a time: the first layer's
        output for 1 000 MNIST images is 100 MB, and 16 tabs may evaluate at once."""
        feats, classes = [], []
        for chunk in images.float().cpu().split(250):
            h = self.net.embed(chunk * 2 - 1)
            feats.append(h.double())
            classes.append(self.net.head(h).argmax(1))
        return torch.cat(feats), torch.cat(classes)


def train_judge(name: str, seed: int = TRAIN_SEED) -> tuple[dict[str, torch.Tensor], float]:
    """Train the judge of a packaged image set on its training split (Adam, seeded); return
    its weights and its accuracy on the held-out split."""
    data = packaged_images(name)
    generator = torch.Generator().manual_seed(seed)
    net = initialise(DigitJudge(data.shape[-1], device="meta").to_empty(device="cpu"), generator)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    x, y = data.pool, data.pool_labels
    for _ in range(EPOCHS[name]):
        order = torch.randperm(len(x), generator=generator)
        for rows in order.split(64):
            batch = x[rows]
            if JITTER[name]:  # shift by up to a pixel: 4 000 digits, seen 12 times
                shift = torch.randint(-1, 2, (2,), generator=generator).tolist()
                batch = torch.roll(batch, shifts=shift, dims=(2, 3))
            loss = nn.functional.cross_entropy(net(batch), y[rows])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
    judge = Judge(net, 0.0)
    judge.held_out_accuracy = _accuracy(judge, data)
    return net.state_dict(), judge.held_out_accuracy


def _accuracy(judge: Judge, data: Dataset) -> float:
    _, predicted = judge.features_and_classes(data.to_export(data.held_out))
    return float((predicted == data.held_out_labels).double().mean())


def save_judge(name: str, directory: Path = CLASSIFIER_DIR) -> tuple[Path, float]:
    """Train and write assets/classifiers/<name>.safetensors (what the command runs)."""
    from safetensors.torch import save_file

    weights, accuracy = train_judge(name)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.safetensors"
    meta = {
        "held_out_accuracy": f"{accuracy:.4f}",
        "command": f"python -m playground train-classifier {name}",
        "train_seed": str(TRAIN_SEED),
        "epochs": str(EPOCHS[name]),
    }
    save_file({k: v.contiguous() for k, v in weights.items()}, str(path), metadata=meta)
    return path, accuracy


@functools.lru_cache(maxsize=len(PACKAGED_IMAGES))
def load_judge(name: str, directory: Path = CLASSIFIER_DIR) -> Judge:
    """The shipped judge of a packaged image set (safetensors: loading runs no code)."""
    from safetensors.torch import load_file

    path = directory / f"{name}.safetensors"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.name}: the {name} classifier is missing; "
            f"`python -m playground train-classifier {name}` rebuilds it"
        )
    meta = judge_metadata(name, directory)
    # built on the meta device, then given the weights: no draw from torch's global RNG in
    # the request thread that first evaluates
    net = DigitJudge(packaged_images(name).shape[-1], device="meta")
    net.load_state_dict(load_file(str(path)), assign=True)
    return Judge(net, float(meta.get("held_out_accuracy", "nan")))


def judge_metadata(name: str, directory: Path = CLASSIFIER_DIR) -> dict[str, str]:
    """The metadata written beside a shipped judge's weights (accuracy, command, seed)."""
    from safetensors import safe_open

    with safe_open(str(directory / f"{name}.safetensors"), "pt") as handle:
        return dict(handle.metadata() or {})
