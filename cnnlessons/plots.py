"""Plot helpers: training curves of several runs on one figure, bar charts, image grids."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from .training import History

__all__ = ["plot_history", "plot_bars", "show_images", "reference_label", "plot_gradient_sizes",
           "show_gallery", "integer_epochs"]

_METRICS = {
    "train_loss": ("running training loss (augmented, dropout on)", False),
    "val_loss": ("validation loss", False),
    "train_acc": ("running training accuracy (augmented, dropout on)", True),
    "val_acc": ("validation accuracy", True),
    "train_error": ("running training error (augmented, dropout on)", True),
    "val_error": ("validation error", True),
    "train_eval_acc": ("training accuracy (eval mode)", True),
    "train_eval_error": ("training error (eval mode)", True),
}
"""Metric name -> (axis label, drawn in percent). ``train_*`` are running averages over the
epoch's augmented batches with dropout on; ``train_eval_*`` are measured in eval mode on a fixed
subset of the training split (``History.train_eval_acc``)."""


def integer_epochs(ax) -> None:
    """Ticks on whole epochs only (no 1.5 epochs) on the x axis of ``ax``."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _as_runs(runs) -> list[History]:
    if isinstance(runs, History):
        return [runs]
    if isinstance(runs, Mapping):
        return [History(**{**h.to_dict(), "label": h.label or str(k)}) for k, h in runs.items()]
    return list(runs)


def reference_label(run: History) -> str:
    """'label (reference: device, date)' for a curve from the reference results."""
    info = run.info or {}
    where = ", ".join(str(info[k]) for k in ("device", "date") if info.get(k))
    return f"{run.label} (reference: {where})" if where else f"{run.label} (reference)"


def _has(run: History, metric: str) -> bool:
    return len(getattr(run, metric)) == len(run.epoch) > 0


def plot_history(runs, metrics: Sequence[str] = ("train_error", "val_error"), *,
                 reference: Sequence[History] | None = None, title: str | None = None,
                 axes=None):
    """Draw ``metrics`` (one panel each) for one or several runs against epochs.

    ``reference`` runs (``cnnlessons.runs.results.reference_runs``) are drawn dashed, labelled with the device
    and date they were measured on. A run recorded without a metric (``train_eval_error`` in
    histories from before it was measured) is left out of that panel. Returns the figure.
    """
    unknown = [m for m in metrics if m not in _METRICS]
    if unknown:
        raise ValueError(f"metrics must be among {', '.join(_METRICS)}, got {unknown}")
    runs = _as_runs(runs)
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 3.6), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(axes)
        fig = axes[0].figure
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes, metrics):
        name, percent = _METRICS[metric]
        for i, run in enumerate(runs):
            if _has(run, metric):
                ax.plot(run.epoch, getattr(run, metric), marker="o", ms=3,
                        color=colors[i % len(colors)], label=run.label or f"run {i + 1}")
        for i, run in enumerate(reference or []):
            if _has(run, metric):
                ax.plot(run.epoch, getattr(run, metric), ls="--",
                        color=colors[(i + len(runs)) % len(colors)], label=reference_label(run))
        ax.set_xlabel("epoch")
        integer_epochs(ax)
        ax.set_ylabel(name)
        if percent:
            ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_bars(values: Mapping[str, float], *, ylabel: str, title: str | None = None,
              log: bool = False, ax=None, fmt: str = "{:,.0f}"):
    """A bar chart of named figures (e.g. parameters or FLOPs per model), each bar labelled."""
    if not values:
        raise ValueError("values must name at least one bar")
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(values) + 2), 3.4))
    names, heights = list(values), [float(v) for v in values.values()]
    bars = ax.bar(names, heights, color="tab:blue")
    for bar, h in zip(bars, heights):
        ax.annotate(fmt.format(h), (bar.get_x() + bar.get_width() / 2, h), ha="center",
                    va="bottom", fontsize=8)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.tick_params(axis="x", rotation=30 if len(values) > 4 else 0)
    ax.figure.tight_layout()
    return ax.figure


def show_images(images: torch.Tensor, labels: Sequence[int] | torch.Tensor | None = None,
                classes: Sequence[str] | None = None, *, ncols: int = 8, title: str | None = None,
                size: float = 1.3):
    """A grid of uint8 (or [0, 1] float) images N x C x H x W with their class names."""
    if images.dim() != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(images.shape)}")
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, min(ncols, n), figsize=(size * min(ncols, n), size * nrows + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i].detach().cpu()
        img = img.float() / 255 if img.dtype == torch.uint8 else img.float().clamp(0, 1)
        if img.shape[0] == 1:
            ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(img.permute(1, 2, 0).numpy())
        if labels is not None:
            k = int(labels[i])
            ax.set_title(classes[k] if classes else str(k), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_gradient_sizes(sizes: Mapping[str, Sequence[float]], *, ax=None, title: str | None = None,
                        highlight: str | None = None):
    """Gradient size per layer (log scale), one line per activation; returns the figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.6))
    colors = {"relu": "tab:blue", "tanh": "tab:orange", "sigmoid": "tab:green"}
    for name, values in sizes.items():
        layers = range(1, len(values) + 1)
        faint = highlight is not None and name != highlight
        ax.plot(layers, [max(v, 1e-45) for v in values], marker="o", ms=3, label=name,
                color=colors.get(name), alpha=0.35 if faint else 1.0, lw=1.0 if faint else 2.0)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("|d loss / d weight|")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax.figure


def show_gallery(gallery: Mapping[str, torch.Tensor], size: float = 1.1):
    """One row per augmentation, one column per image."""
    rows = list(gallery.items())
    n = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n + 1.6, size * len(rows)), squeeze=False)
    for r, (name, images) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            img = images[i].float() / 255
            if img.shape[0] == 1:
                ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(img.permute(1, 2, 0).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.tight_layout()
    return fig
