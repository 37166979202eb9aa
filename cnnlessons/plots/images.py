"""Image grids: images with their class names (or a model's predictions, right or wrong), and the
augmentation gallery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

RIGHT, WRONG = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion: right and wrong predictions


def show_images(
    images: torch.Tensor,
    labels: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    *,
    ncols: int = 8,
    title: str | None = None,
    size: float = 1.3,
    truth: Sequence[int] | torch.Tensor | None = None,
):
    """A grid of uint8 (or [0, 1] float) images N x C x H x W with their class names.

    With ``truth`` (the true labels), ``labels`` are a model's predictions: each title says
    whether the prediction is right (blue, a tick) or wrong (orange, a cross, and the truth)."""
    if images.dim() != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(images.shape)}")
    if truth is not None and (labels is None or len(truth) != len(labels)):
        raise ValueError(
            f"truth must give one label per prediction in labels ({0 if labels is None else len(labels)}), "
            f"got {len(truth)}"
        )
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, min(ncols, n), figsize=(size * min(ncols, n), size * nrows + 0.3), squeeze=False
    )
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
            name = classes[k] if classes else str(k)
            if truth is None:
                ax.set_title(name, fontsize=8)
            elif int(truth[i]) == k:
                ax.set_title(f"\u2713 {name}", fontsize=8, color=RIGHT)
            else:
                true_name = classes[int(truth[i])] if classes else str(int(truth[i]))
                ax.set_title(f"\u2717 {name}\n({true_name})", fontsize=8, color=WRONG)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


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
