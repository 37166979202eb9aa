"""What a recipe measures besides the curves (``Recipe.measure``): the names in ``MEASUREMENTS``,
taken before, during and after a run and kept in its history's ``info``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from ..data import CourseData
from ..training import evaluate

__all__ = ["MEASUREMENTS", "measuring", "clean_accuracy"]

MEASUREMENTS = {
    "flops": "FLOPs per image at the data's size (info['flops'])",
    "peak_memory": "peak device memory of the run where the device reports it (info['peak_bytes'])",
    "saved_memory": "bytes per image of the tensors a training step saves for backward, on any "
    "device (info['saved_bytes_per_image'])",
    "clean_train_acc": "accuracy on the un-augmented training images in eval mode, after training",
}


@contextlib.contextmanager
def measuring(
    names: Sequence[str], model: nn.Module, data: CourseData, device: torch.device
) -> Iterator[dict[str, Any]]:
    """Around a run of ``model`` on ``data``: the figures of ``names`` (``MEASUREMENTS``), filled
    in the dict it yields, the last ones when the run is over."""
    from ..measure import flops_per_image, track_peak_memory, training_memory_per_image

    figures: dict[str, Any] = {}
    if "flops" in names:
        figures["flops"] = flops_per_image(model, data.input_size)
    if "saved_memory" in names:
        figures["saved_bytes_per_image"] = training_memory_per_image(model, data.input_size)
    tracker: contextlib.AbstractContextManager[Any] = (
        track_peak_memory(device) if "peak_memory" in names else contextlib.nullcontext()
    )
    with tracker as memory:
        yield figures
    if memory is not None:
        figures["peak_bytes"] = memory.peak_bytes
    if "clean_train_acc" in names:
        figures["clean_train_acc"] = clean_accuracy(model, data)


def clean_accuracy(model: nn.Module, data: CourseData) -> float:
    """Accuracy on the training images themselves, un-augmented, in eval mode (dropout off)."""
    from ..tensordata import TensorLoader

    device = next(model.parameters()).device
    batches = TensorLoader(
        data.train_images, data.train_labels, batch_size=256, mean=data.mean, std=data.std, device=device
    )
    return evaluate(model, batches, device)[1]
