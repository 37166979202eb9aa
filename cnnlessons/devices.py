"""The devices a run trains on: which one (``pick_device``), its name in words
(``device_description``, the one place the course names a device) and waiting for it."""

from __future__ import annotations

import functools
import math
import os
import platform
from copy import deepcopy

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "pick_device",
    "cpu_model",
    "device_description",
    "mps_available",
    "mps_self_test",
    "synchronize",
]


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given; else CUDA when present, else Apple's GPU (``mps``) when present and
    the course's training step passes a one-batch self-test on it, else the CPU (with one line
    saying why, the first time, where an Apple GPU was passed over)."""
    if device is not None:
        try:
            chosen = torch.device(device)
        except RuntimeError:
            raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}") from None
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} needs an NVIDIA GPU, and torch.cuda.is_available() is "
                "False here: use 'cpu' (or leave device unset)"
            )
        if chosen.type == "cuda" and chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA "
                f"device(s), numbered from 0"
            )
        if chosen.type == "mps" and not mps_available():
            raise ValueError(
                "device 'mps' needs Apple's GPU, and torch.backends.mps.is_available() "
                "is False here: use 'cpu' (or leave device unset)"
            )
        return chosen
    return _automatic_device()


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as lines:
            return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def device_description(device: torch.device, *, threads: bool = True) -> str:
    """The device in words, for records, keys and printouts: the GPU's name, or the CPU's model,
    its cores and (with ``threads``) the threads torch uses: a build time or a speed means little
    without them. The one place the course names a device."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple's GPU (mps)"
    cores = f"CPU ({cpu_model()}, {os.cpu_count()} cores"
    return f"{cores}, {torch.get_num_threads()} threads)" if threads else f"{cores})"


@functools.cache
def _automatic_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if mps_available():
        problem = mps_self_test()
        if problem is None:
            return torch.device("mps")
        print(
            f"Apple's GPU (mps) is here but failed the course's training step ({problem}): "
            "training on the CPU"
        )
    return torch.device("cpu")


def mps_available() -> bool:
    """Whether PyTorch can use Apple's GPU here (``torch.backends.mps.is_available()``)."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def mps_self_test() -> str | None:
    """One training step of a small CNN of the course's kind (convolution, batch norm, ReLU,
    pooling, a linear head, SGD) on Apple's GPU, against the same step on the CPU: None when the
    two agree, else what went wrong, in a few words."""
    try:
        with torch.random.fork_rng(devices=[]):  # the caller's random state stays as it was
            return _mps_step_differs()
    except Exception as error:  # any failure of the backend means: not usable for the course
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")


def _mps_step_differs() -> str | None:
    """The one-batch comparison of ``mps_self_test``: None when the two devices agree."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8) % 10
    results = []
    for device in ("cpu", "mps"):
        replica = deepcopy(model).to(device)
        opt = torch.optim.SGD(replica.parameters(), lr=0.1, momentum=0.9)
        loss = F.cross_entropy(replica(x.to(device)), y.to(device))
        loss.backward()
        opt.step()
        results.append((loss.item(), replica[0].weight.detach().cpu()))
    (cpu_loss, cpu_weight), (mps_loss, mps_weight) = results
    if not math.isfinite(mps_loss) or abs(mps_loss - cpu_loss) > 1e-3 * max(1.0, abs(cpu_loss)):
        return f"its loss {mps_loss:.4f} against the CPU's {cpu_loss:.4f}"
    if not torch.allclose(mps_weight, cpu_weight, rtol=1e-3, atol=1e-4):
        return "its weights after one step differ from the CPU's"
    return None


def synchronize(device: torch.device) -> None:
    """Wait for ``device``'s queued work (CUDA and Apple's GPU run asynchronously): before
    reading a clock."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
