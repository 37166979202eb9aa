"""Lesson 04 (ResNet): the degradation experiment, gradient sizes at initialisation, shortcuts
and the bottleneck's cost.

The degradation experiment trains the paper's CIFAR-10 networks (``SmallResNet``: a 3x3 stem and
three stages of 3x3 blocks, 6n+2 layers) at a shallow and a deep depth, each once as a plain
network (``shortcut="none"``) and once as a residual network (``shortcut="identity"``, the paper's
option A for CIFAR-10), all under the same budget. ``degradation_setup(profile)`` chooses the
depths and width the profile can afford: 20 and 56 layers at width 16 (the paper's Figure 6) on a
GPU, fewer and thinner layers on a CPU.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from torch import nn

from ...data import CourseData
from ...history import History
from ...measure import count_parameters, flops_per_image, gradient_norms
from ...models import Bottleneck, ResidualBlock, SmallResNet
from ...plots.history import reference_label
from ...profiles import Profile
from ...training import set_seed
from . import recipes
from .recipes import resnet_label, resnet_run

__all__ = [
    "DegradationSetup",
    "SHORTCUT_CHOICES",
    "BlockCost",
    "ShortcutComparison",
    "degradation_setup",
    "run_label",
    "train_resnet",
    "gradient_sizes_by_shortcut",
    "gradient_spread",
    "compare_shortcuts",
    "bottleneck_costs",
    "draw_references",
]

SHORTCUT_CHOICES = ("none", "identity", "projection")
"""What the explorer offers: the plain network, option A (identity, zero-padded where the shape
changes) and option C (a 1x1 projection in every block)."""

run_label = resnet_label
"""``plain-20``, ``ResNet-20`` (identity shortcut) or ``ResNet-20 (projection)``."""


@dataclasses.dataclass(frozen=True)
class DegradationSetup:
    """Depths, width and budget of the degradation experiment in one profile."""

    depths: tuple[int, int]
    """(shallow, deep), each 6n+2."""
    width: int
    """Channels of the first stage (the paper: 16; then 32 and 64)."""
    epochs: int
    max_depth: int = 56
    """The deepest network the explorer offers in this profile."""

    @property
    def lr(self) -> float:
        """The recipe's learning rate (the paper's for its CIFAR-10 ResNets, SGD with momentum)."""
        return recipes.DEGRADATION.training.lr

    @property
    def shallow(self) -> int:
        return self.depths[0]

    @property
    def deep(self) -> int:
        return self.depths[1]

    def __str__(self) -> str:
        return (
            f"depths {self.shallow} and {self.deep}, width {self.width}/{2 * self.width}/"
            f"{4 * self.width}, {self.epochs} epochs, SGD lr {self.lr}"
        )


def degradation_setup(profile: Profile | str | None = None) -> DegradationSetup:
    """What the profile can afford, from the recipe ``04_resnet/degradation``: the paper's 20
    against 56 layers at width 16 on a GPU; on a CPU 8 against 20 layers at half the width; in
    ``smoke`` 8 against 20 layers at width 4."""
    recipe = recipes.DEGRADATION
    settings = recipe.settings_for(profile)
    return DegradationSetup(
        depths=tuple(settings["depths"]),
        width=settings["width"],
        epochs=recipe.epochs_for(profile),
        max_depth=settings["max_depth"],
    )


def train_resnet(
    data: CourseData,
    depth: int,
    shortcut: str,
    *,
    width: int,
    epochs: int,
    seed: int = 0,
    profile: Profile | str | None = None,
    show: str | Callable[[History], None] | None = None,
) -> History:
    """Train ``SmallResNet(depth=depth, shortcut=shortcut)`` from seed ``seed`` with the degradation
    experiment's recipe."""
    if shortcut not in SHORTCUT_CHOICES:
        raise ValueError(f"shortcut must be one of {SHORTCUT_CHOICES}, got {shortcut!r}")
    recipe = recipes.DEGRADATION
    return recipe.fit_run(
        resnet_run(depth, shortcut, width), data, profile, epochs=epochs, seed=seed, show=show
    )[1]


# -- gradients at initialisation ----------------------------------------------------------------


def gradient_sizes_by_shortcut(
    depth: int,
    shortcut: str,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    width: int = 16,
    num_classes: int = 10,
    seed: int = 0,
) -> list[tuple[str, float]]:
    """Gradient norm of every conv and linear layer's weight, input to output, of a freshly
    initialised ``SmallResNet(depth=depth, shortcut=shortcut)`` on the batch ``(x, y)`` (BN in training
    mode, as in the first training step)."""
    set_seed(seed)
    model = SmallResNet(
        depth=depth, num_classes=num_classes, shortcut=shortcut, in_channels=x.shape[1], width=width
    )
    model.train()
    norms = gradient_norms(model, x, y)
    # the projection shortcuts are not on the path through the residual branches: leave them out
    return [(name, g) for name, g in norms if "shortcut" not in name]


def gradient_spread(norms: Sequence[tuple[str, float]]) -> float:
    """Largest over smallest gradient norm among the layers, in orders of magnitude (log10)."""
    values = [g for _, g in norms if g > 0]
    if not values:
        raise ValueError("norms must hold at least one nonzero gradient")
    return math.log10(max(values) / min(values))


# -- shortcuts and bottlenecks --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ShortcutComparison:
    """One block at a stride-2 stage with a given shortcut."""

    shortcut: str
    block_params: int
    shortcut_params: int
    residual_shape: tuple[int, ...]
    shortcut_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


def compare_shortcuts(
    in_channels: int = 16,
    out_channels: int = 32,
    stride: int = 2,
    size: int = 32,
    shortcuts: Sequence[str] = ("identity", "projection"),
    seed: int = 0,
) -> list[ShortcutComparison]:
    """Build ``ResidualBlock(in, out, stride, shortcut=...)`` for each shortcut, run one batch
    through its two paths, and report the parameters and shapes."""
    torch.manual_seed(seed)
    x = torch.randn(2, in_channels, size, size)
    rows = []
    for shortcut in shortcuts:
        block = ResidualBlock(in_channels, out_channels, stride, shortcut=shortcut).eval()
        with torch.no_grad():
            f = block.residual(x)
            s = block.shortcut(x)
            out = block(x)
        rows.append(
            ShortcutComparison(
                shortcut=shortcut,
                block_params=count_parameters(block),
                shortcut_params=count_parameters(block.shortcut),
                residual_shape=tuple(f.shape),
                shortcut_shape=tuple(s.shape),
                output_shape=tuple(out.shape),
            )
        )
    return rows


@dataclasses.dataclass(frozen=True)
class BlockCost:
    """Parameters (conv weights alone and all) and FLOPs of one block."""

    name: str
    conv_weights: int
    params: int
    flops: int
    in_channels: int
    out_channels: int


def _conv_weights(module: nn.Module) -> int:
    return sum(m.weight.numel() for m in module.residual.modules() if isinstance(m, nn.Conv2d))


def bottleneck_costs(channels: int = 256, size: int = 56) -> list[BlockCost]:
    """The bottleneck at ``channels`` (1x1 down to channels/4, 3x3, 1x1 up) against two 3x3 layers
    at ``channels``, and against two 3x3 layers at channels/4 (the paper's Figure 5 pair), on a
    ``size`` x ``size`` map. Counts the residual branch (the shortcut is the identity in all three)."""
    mid = channels // 4
    with torch.device("meta"):  # counted, never computed: no memory, no arithmetic
        blocks = [
            (f"bottleneck {channels}->{mid}->{mid}->{channels}", Bottleneck(channels, mid), channels),
            (f"two 3x3 at {channels}", ResidualBlock(channels, channels), channels),
            (f"two 3x3 at {mid}", ResidualBlock(mid, mid), mid),
        ]
    rows = []
    for name, block, c in blocks:
        rows.append(
            BlockCost(
                name=name,
                conv_weights=_conv_weights(block),
                params=count_parameters(block.residual),
                flops=flops_per_image(block.residual, (c, size, size)),
                in_channels=c,
                out_channels=c,
            )
        )
        del block
    return rows


# -- runs trained to the end, beside the learner's ------------------------------------------------


def draw_references(fig, reference: Sequence[History], metrics: Sequence[str]) -> int:
    """Draw the ``reference`` runs (``runs.reference.end_histories``: trained to the end) dashed on
    ``fig``, a figure of one panel per metric of ``metrics`` in order (as ``plots.plot_seeds`` and
    ``plots.plot_history`` draw them), each in a colour of its own after the panel's curves, and
    redraw each panel's legend with them (``plots.legible`` keeps them dashed). A run without a
    metric is left out of that panel. Returns the number of curves drawn."""
    axes = fig.axes[: len(metrics)]
    if len(axes) != len(metrics):
        raise ValueError(f"fig has {len(fig.axes)} panels; expected one per metric ({', '.join(metrics)})")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    drawn = 0
    for ax, metric in zip(axes, metrics, strict=True):
        taken = {line.get_color() for line in ax.get_lines() if not str(line.get_label()).startswith("_")}
        for i, run in enumerate(reference):
            values = getattr(run, metric)
            if not run.epoch or len(values) != len(run.epoch):
                continue
            ax.plot(
                run.epoch,
                values,
                ls="--",
                lw=1.2,
                color=colors[(len(taken) + i) % len(colors)],
                label=reference_label(run),
            )
            drawn += 1
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return drawn
