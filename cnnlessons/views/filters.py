"""What the first layer learns: its filters as an image grid, as in AlexNet's Figure 3."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from torch import Tensor, nn

from ..measure import check_model

__all__ = ["first_layer_filters", "plot_filters", "filter_mosaic"]


def first_layer_filters(model: nn.Module) -> Tensor:
    """The weights (out_channels, in_channels, k, k) of the model's first convolution (the first
    ``Conv2d`` it registers: the stem's), detached, on the CPU."""
    check_model(model)
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.weight.detach().float().cpu().clone()
    raise ValueError(f"model {type(model).__name__} has no Conv2d layer")


def plot_filters(weights: Tensor, ncols: int | None = None, title: str | None = None, size: float = 0.55):
    """Draw each filter of ``weights`` (N, 1 or 3, k, k) as a small image: RGB for three input
    channels, grey for one, each filter min-max scaled on its own (as in AlexNet's Figure 3).
    ``ncols`` defaults to a square grid; ``size`` is the side of one filter in inches.
    Returns the figure."""
    if not isinstance(weights, Tensor) or weights.dim() != 4:
        raise ValueError(
            f"weights must be a (N, C, k, k) tensor, got {getattr(weights, 'shape', type(weights))}"
        )
    n, c = weights.shape[:2]
    if c not in (1, 3):
        raise ValueError(
            f"weights must have 1 (grey) or 3 (RGB) input channels, got {c}; pick some, e.g. weights[:, :1]"
        )
    if ncols is None:
        ncols = math.ceil(math.sqrt(n))
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be an int >= 1, got {ncols!r}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    w = weights.detach().float().cpu()
    low = w.amin(dim=(1, 2, 3), keepdim=True)
    high = w.amax(dim=(1, 2, 3), keepdim=True)
    w = (w - low) / (high - low).clamp_min(1e-12)
    mosaic = filter_mosaic(w, ncols)
    kh, kw = weights.shape[2:]
    fig, ax = plt.subplots(figsize=(size * ncols + 0.2, size * nrows * kh / kw + (0.5 if title else 0.2)))
    if c == 1:
        ax.imshow(mosaic[0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(mosaic.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title or f"{n} filters of {kh}x{kw}x{c}", fontsize=10)
    fig.tight_layout()
    return fig


def filter_mosaic(weights: Tensor, ncols: int, gap: int = 1) -> Tensor:
    """The filters (N, C, k, k) laid out row by row in one (C, H, W) image, ``gap`` pixels of
    white (1.0) between them; empty cells stay white."""
    n, c, kh, kw = weights.shape
    nrows = math.ceil(n / ncols)
    mosaic = torch.ones(c, nrows * (kh + gap) - gap, ncols * (kw + gap) - gap)
    for i in range(n):
        r, col = divmod(i, ncols)
        mosaic[:, r * (kh + gap) : r * (kh + gap) + kh, col * (kw + gap) : col * (kw + gap) + kw] = weights[i]
    return mosaic
