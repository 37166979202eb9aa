"""What batch normalisation does: the mean and spread of each layer's output with and without it.

For each convolution, in forward order, the statistics of what the next nonlinearity receives:
the conv's output, or its BN's output where a ``BatchNorm2d`` directly normalises it. With BN
they stay near mean 0 and std 1 (times BN's learned scale) at every depth; without it they
drift from layer to layer, the more the deeper (Ioffe and Szegedy 2015).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from ..measure import check_model
from .stages import as_batch

__all__ = ["LayerStats", "activation_stats", "plot_activation_stats"]

_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


class LayerStats(NamedTuple):
    """One conv layer: its module name, the mean and std of its (normalised) output over a batch."""

    layer: str
    mean: float
    std: float
    batch_norm: bool
    """Whether a BN normalised the conv's output before these statistics were taken."""


@contextlib.contextmanager
def _batch_statistics(model: nn.Module) -> Iterator[None]:
    """BN normalises with the batch's own statistics (as in training) without updating its
    running statistics; dropout is off; every module's mode is restored afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    saved = {
        m: (m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
        for m in model.modules()
        if isinstance(m, _BN) and m.track_running_stats and m.running_mean is not None
    }
    model.eval()
    for m in model.modules():
        if isinstance(m, _BN):
            m.train()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode
        with torch.no_grad():
            for m, (mean, var, count) in saved.items():
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)


def activation_stats(model: nn.Module, images: Tensor, mode: str = "batch") -> list[LayerStats]:
    """Mean and std of each conv layer's output (after its BN, where it has one) over a batch of
    normalised ``images`` (N, C, H, W), in forward order.

    ``mode="batch"`` (default): BN normalises with the batch's statistics, as in training (its
    running statistics are left as they were; dropout is off); ``"eval"``: the model in eval
    mode, BN with its running statistics.
    """
    check_model(model)
    if mode not in ("batch", "eval"):
        raise ValueError(f"mode must be 'batch' or 'eval', got {mode!r}")
    x = as_batch(images, model)
    if x.shape[0] < 2 and mode == "batch":
        raise ValueError("images must hold at least 2 images for batch statistics")
    names = {m: name for name, m in model.named_modules()}
    rows: list[list] = []  # [name, mean, std, batch_norm]
    pending: list = [None]  # the last conv's output, until a BN normalises it

    def on_conv(module: nn.Module, args, output: Tensor) -> None:
        pending[0] = output
        rows.append([names[module], float(output.mean()), float(output.std()), False])

    def on_bn(module: nn.Module, args, output: Tensor) -> None:
        if pending[0] is not None and args[0] is pending[0]:
            rows[-1][1:] = [float(output.mean()), float(output.std()), True]
        pending[0] = None

    handles = [m.register_forward_hook(on_conv) for m in model.modules() if isinstance(m, nn.Conv2d)]
    handles += [m.register_forward_hook(on_bn) for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    context = _batch_statistics(model) if mode == "batch" else _eval(model)
    try:
        with context, torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    if not rows:
        raise ValueError(f"model {type(model).__name__} ran no Conv2d layer")
    return [LayerStats(*row) for row in rows]


@contextlib.contextmanager
def _eval(model: nn.Module) -> Iterator[None]:
    from ..measure import eval_mode

    with eval_mode(model):
        yield


def plot_activation_stats(stats: Mapping[str, Sequence[LayerStats]], title: str | None = None):
    """The mean and the std of each conv layer's output against its depth, one line per model
    (``{label: activation_stats(...)}``). Returns the figure."""
    if not isinstance(stats, Mapping) or not stats:
        raise ValueError("stats must be a non-empty {label: activation_stats(...)} mapping")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for label, rows in stats.items():
        depth = range(1, len(rows) + 1)
        axes[0].plot(depth, [r.mean for r in rows], marker="o", ms=3, label=label)
        axes[1].plot(depth, [r.std for r in rows], marker="o", ms=3, label=label)
    axes[0].axhline(0, color="grey", lw=0.8, ls=":")
    axes[1].axhline(1, color="grey", lw=0.8, ls=":")
    axes[1].set_yscale("log")
    for ax, what in zip(axes, ("mean", "std (log scale)"), strict=False):
        ax.set_xlabel("conv layer (input to output)")
        ax.set_ylabel(f"{what} of its output")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
