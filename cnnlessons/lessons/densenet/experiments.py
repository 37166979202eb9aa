"""Lesson 05 (DenseNet): measuring channel growth and layer cost, stage shapes, and the
DenseNet-BC against ResNet experiment.

Every figure is measured on the course's own modules (``cnnlessons.models.densenet``): the channel
counts from the shapes a forward pass really sees, parameters with ``count_parameters`` and FLOPs
with ``flops_per_image`` (a multiply-add counts as 2 FLOPs). Architecture-only measurements run on
the ``meta`` device, so they allocate no weights and cost next to nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
from torch import nn

from ...data import CourseData
from ...history import History
from ...measure import count_parameters, flops_per_image
from ...models import build_model
from ...models.densenet import DENSENET_BC, DenseBlock, DenseNet, SmallDenseNet
from ...profiles import Profile
from . import recipes

__all__ = [
    "DENSENET_BC",
    "LayerCost",
    "dense_layer_costs",
    "growth_table",
    "plot_channel_growth",
    "stage_shapes",
    "build_densenet_bc",
    "densenet_vs_resnet",
    "comparison_table",
    "plot_params_accuracy",
    "REFERENCE_HATCH",
]

"""The experiment key of the DenseNet-BC against ResNet runs (for ``reference_runs``)."""


@dataclasses.dataclass(frozen=True)
class LayerCost:
    """One dense layer: what it reads, the concatenation after it, and what it costs."""

    block: int
    """Which dense block (1-based)."""
    layer: int
    """Which layer of that block (1-based)."""
    index: int
    """Which dense layer of the whole network (1-based)."""
    in_channels: int
    """Channels the layer reads: the block's input plus all earlier layers' outputs."""
    out_channels: int
    """Channels of the concatenation after the layer: ``in_channels + growth_rate``."""
    resolution: int
    """Height (= width) of the feature map the layer works on."""
    params: int
    flops: int
    """FLOPs of the layer on one image (multiply-add = 2)."""


def _meta(builder, *args, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return builder(*args, **kwargs)


def dense_layer_costs(model: nn.Module, input_size: Sequence[int]) -> list[LayerCost]:
    """The channels, resolution, parameters and FLOPs of every dense layer in ``model`` (a
    ``DenseBlock`` or a ``DenseNet``), measured in one forward pass on an input of ``input_size``
    (C, H, W). Works on a model built on the ``meta`` device."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    blocks = [m for m in model.modules() if isinstance(m, DenseBlock)]
    if not blocks:
        raise ValueError(f"model must contain a DenseBlock, got a {type(model).__name__} without one")
    seen: dict[int, tuple[int, ...]] = {}

    def record(module: nn.Module, args: tuple) -> None:
        seen.setdefault(id(module), tuple(args[0].shape))

    handles = [layer.register_forward_pre_hook(record) for block in blocks for layer in block.layers]
    device = next(iter(model.parameters())).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros((1, *input_size), device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    costs, index = [], 0
    for b, block in enumerate(blocks, start=1):
        for number, layer in enumerate(block.layers, start=1):
            index += 1
            shape = seen[id(layer)]
            costs.append(
                LayerCost(
                    block=b,
                    layer=number,
                    index=index,
                    in_channels=shape[1],
                    out_channels=shape[1] + layer.growth_rate,
                    resolution=shape[2],
                    params=count_parameters(layer),
                    flops=flops_per_image(layer, shape[1:]),
                )
            )
    return costs


def growth_table(
    in_channels: int = 16,
    num_layers: int = 12,
    growth_rates: Sequence[int] = (4, 12, 24, 32),
    image_size: int = 32,
) -> dict[int, list[LayerCost]]:
    """Per growth rate k: the cost of each layer of one dense block (``num_layers`` plain
    BN-ReLU-3x3 layers on ``in_channels`` channels at ``image_size`` x ``image_size``)."""
    return {
        k: dense_layer_costs(
            _meta(DenseBlock, num_layers, in_channels, k), (in_channels, image_size, image_size)
        )
        for k in growth_rates
    }


def plot_channel_growth(table: dict[int, list[LayerCost]], *, doubling: bool = True):
    """Three panels against the layer number l: the channel count after layer l (with the
    curve "doubling every layer" for contrast), the parameters and the FLOPs of layer l."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.8))
    top = 0
    for k, costs in table.items():
        c0 = costs[0].in_channels
        ls = [0] + [c.layer for c in costs]
        channels = [c0] + [c.out_channels for c in costs]
        top = max(top, channels[-1])
        axes[0].plot(ls, channels, marker="o", ms=3, label=f"k = {k}")
        axes[1].plot([c.layer for c in costs], [c.params for c in costs], marker="o", ms=3, label=f"k = {k}")
        axes[2].plot(
            [c.layer for c in costs], [c.flops / 1e6 for c in costs], marker="o", ms=3, label=f"k = {k}"
        )
    if doubling and table:
        costs = next(iter(table.values()))
        c0 = costs[0].in_channels
        ls = [0] + [c.layer for c in costs]
        axes[0].plot(ls, [c0 * 2**n for n in ls], ls="--", color="gray", label="doubling (exponential)")
        axes[0].set_ylim(0, top * 1.15)
    size = next(iter(table.values()))[0].resolution if table else 0
    for ax, title, ylabel in zip(
        axes,
        ("channels after layer l: c0 + l*k", "parameters of layer l", f"FLOPs of layer l ({size}x{size})"),
        ("channels", "parameters", "MFLOPs"),
        strict=False,
    ):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("layer l")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def stage_shapes(model: DenseNet, input_size: Sequence[int]) -> list[tuple[str, tuple[int, int, int]]]:
    """(name, (C, H, W)) after each stage of ``model.features`` for one input of ``input_size``,
    starting with the input itself."""
    if not isinstance(model, DenseNet):
        raise TypeError(f"model must be a DenseNet, got {type(model).__name__}")
    device = next(iter(model.parameters())).device
    x = torch.zeros((1, *input_size), device=device)
    shapes = [("input", tuple(x.shape[1:]))]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for name, stage in model.features.named_children():
                x = stage(x)
                if isinstance(stage, (nn.BatchNorm2d, nn.ReLU)):
                    continue  # they keep the shape
                shapes.append((name, tuple(x.shape[1:])))
    finally:
        model.train(was_training)
    return shapes


def _build(label: str, num_classes: int, in_channels: int, overrides: dict) -> nn.Module:
    run = recipes.DENSENET_VS_RESNET.run(label)
    return build_model(
        run.model, num_classes=num_classes, in_channels=in_channels, **{**run.model_kwargs, **overrides}
    )


def build_densenet_bc(num_classes: int = 10, in_channels: int = 3, **overrides) -> SmallDenseNet:
    """The lesson's scaled-down DenseNet-BC: ``SmallDenseNet(**DENSENET_BC)``, as the recipe builds it."""
    return _build("DenseNet-BC", num_classes, in_channels, overrides)


def densenet_vs_resnet(
    data: CourseData, profile: Profile | str | None = None, **kwargs
) -> dict[str, History]:
    """Train the recipe ``05_densenet/densenet_vs_resnet``: the scaled-down DenseNet-BC and
    ResNet-14 under the same budget. Each history's ``info`` also holds the model's ``flops``
    per image. ``profile`` defaults to the active one."""
    return recipes.DENSENET_VS_RESNET.train(data, profile, **kwargs)


def _acc(h: History) -> float:
    return h.test_acc if h.test_acc is not None else (h.val_acc[-1] if h.val_acc else float("nan"))


def comparison_table(runs: dict[str, History]) -> str:
    """A markdown table: parameters, FLOPs per image, final validation and test accuracy, time."""
    rows = [
        "| model | parameters | MFLOPs per image | val acc | test acc | training time |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, h in runs.items():
        test = "n/a" if h.test_acc is None else f"{h.test_acc:.1%}"
        val = f"{h.val_acc[-1]:.1%}" if h.val_acc else "n/a"
        rows.append(
            f"| {label} | {h.info['parameters']:,} | {h.info.get('flops', 0) / 1e6:,.1f} | "
            f"{val} | {test} | {h.wall_time:.0f} s |"
        )
    return "\n".join(rows)


REFERENCE_HATCH = "//"
"""The hatch of a reference run's bars in ``plot_params_accuracy`` (the lesson's own runs are solid)."""


def plot_params_accuracy(
    runs: dict[str, History], reference: Sequence[History] = (), *, title: str | None = None
):
    """Two bar charts side by side: the parameters and the test accuracy (else the last
    validation accuracy) of each run, solid; reference runs (``reference_runs``,
    ``converged_runs``) as extra bars, hatched (``REFERENCE_HATCH``) and unfilled, so that they
    stand apart without colour. ``title`` goes above both panels."""
    import matplotlib.pyplot as plt

    from ...plots import plot_bars

    everything = list(runs.values()) + [
        History(
            **{
                **h.to_dict(),
                "label": f"{h.info['checkpoint']}\ntrained to\nthe end"
                if h.info.get("checkpoint")
                else f"{h.label} (reference)",
            }
        )
        for h in reference
    ]
    fig, axes = plt.subplots(1, 2, figsize=(4.2 + 1.8 * len(everything), 3.4))
    plot_bars(
        {h.label: h.info.get("parameters", 0) for h in everything},
        ylabel="parameters",
        title="parameters",
        ax=axes[0],
    )
    plot_bars(
        {h.label: _acc(h) for h in everything},
        ylabel="test accuracy",
        title="test accuracy",
        ax=axes[1],
        fmt="{:.1%}",
    )
    axes[1].set_ylim(0, 1.08)
    axes[1].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    for ax in axes:
        ax.tick_params(axis="x", labelsize=8)  # the checkpoints' labels in three short lines: no overlap
        for bar in ax.patches[len(runs) :]:
            bar.set_facecolor("white")
            bar.set_edgecolor("tab:blue")
            bar.set_hatch(REFERENCE_HATCH)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
