"""The number format of a training step: ``Precision`` and the rule that picks one per device."""

from __future__ import annotations

import contextlib
import dataclasses

import torch

from .devices import pick_device

__all__ = ["Precision", "PRECISIONS", "choose_precision"]


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclasses.dataclass(frozen=True)
class Precision:
    """The number format of a training step: ``fp32``, or autocast to ``bf16`` or ``fp16``
    (``fp16`` with a gradient scaler, whose range is too small for small gradients)."""

    name: str
    device_type: str = "cpu"
    reason: str = ""

    @property
    def scaled(self) -> bool:
        """Whether the step needs a gradient scaler."""
        return self.name == "fp16"

    def autocast(self):
        if self.name == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=_DTYPES[self.name])

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        return torch.amp.GradScaler(self.device_type) if self.scaled else None

    def __str__(self) -> str:
        text = (
            "float32"
            if self.name == "fp32"
            else f"{self.name} autocast" + (" with a gradient scaler" if self.scaled else "")
        )
        return f"{text} ({self.reason})" if self.reason else text


def choose_precision(
    precision: str | Precision = "auto", device: str | torch.device | None = None
) -> Precision:
    """The precision of a training step on ``device``.

    ``"auto"``: bf16 autocast on CUDA devices of compute capability 8.0 and above (Ampere on),
    fp16 autocast with a gradient scaler below it (T4, V100, P100: cuDNN has no bf16 convolutions
    there, although ``torch.cuda.is_bf16_supported()`` answers True through emulation), float32 on
    the CPU. ``"fp32"``, ``"bf16"`` and ``"fp16"`` are taken as asked, on any device.
    """
    if isinstance(precision, Precision):
        return precision
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, got {precision!r}")
    device = pick_device(device)
    if precision != "auto":
        return Precision(precision, device.type, "chosen")
    if device.type == "mps":
        # fp16 autocast on Apple's GPU depends on the macOS and PyTorch versions (op coverage, the
        # gradient scaler); these models are small enough that float32 keeps it busy.
        return Precision("fp32", "mps", "auto on mps: float32, the one precision every Mac runs")
    if device.type != "cuda":
        return Precision("fp32", device.type, f"auto on {device.type}")
    major, minor = torch.cuda.get_device_capability(device)
    name = "bf16" if major >= 8 else "fp16"
    return Precision(name, "cuda", f"auto on compute capability {major}.{minor}")
