"""Lesson 07 (what came next): the counts behind each idea taken further, and FLOPs against time.

- :func:`grouped_weights`: a grouped convolution's weights, the formula against the layer's own
  count, AlexNet's two towers (the paper's net, built on the ``meta`` device) among the cases;
- :func:`equal_cost_widths`: ResNeXt's Table 2 recomputed from the block's weights;
- :func:`se_overhead`: what squeeze-and-excitation adds to a block and to the course's ResNet;
- :func:`separable_cost`: a depthwise separable block's FLOPs against a full convolution's, and
  MobileNet's 1/N + 1/k^2;
- :func:`block_speeds`: "FLOPs are not time": each block's FLOPs per image and the images per
  second it trains at on this device.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ...devices import pick_device, synchronize
from ...layers import conv_bn_relu
from ...measure import count_parameters, flops_per_image
from ...models import build_model
from ...models.next import (
    ConvNeXtBlock,
    DepthwiseSeparable,
    SqueezeExcitation,
    equal_cost_bottleneck_width,
    grouped_params,
    resnext_block_weights,
)

__all__ = [
    "BLOCKS",
    "BlockSpeed",
    "EqualCostWidth",
    "GroupedWeights",
    "SeOverhead",
    "SeparableCost",
    "TABLE2_WIDTHS",
    "block_speeds",
    "equal_cost_widths",
    "format_speeds",
    "grouped_weights",
    "se_overhead",
    "separable_cost",
]

# -- grouped convolutions -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GroupedWeights:
    """One grouped convolution: the formula's weights (no bias) and the layer's own count."""

    name: str
    kernel_size: int
    in_channels: int
    out_channels: int
    groups: int
    formula: int
    """kernel_size^2 * (in_channels / groups) * out_channels."""
    counted: int
    """The weights of the layer itself (``nn.Conv2d``, or a named layer of a real model)."""
    ungrouped: int
    """The same layer with ``groups=1``."""

    @property
    def holds(self) -> bool:
        return self.formula == self.counted and self.formula * self.groups == self.ungrouped


_ALEXNET_TOWERS = ("conv2", "conv4", "conv5")
"""The layers of AlexNet whose two towers see only their own half of the input."""


def grouped_weights(
    cases: Sequence[tuple[int, int, int, int]] = ((3, 128, 128, 32), (3, 64, 64, 64), (3, 64, 128, 1)),
) -> list[GroupedWeights]:
    """The weights of AlexNet's grouped layers (the paper's two-tower net, ``alexnet_paper``,
    counted in the model) and of ``cases`` (kernel_size, in, out, groups; counted in a fresh
    ``nn.Conv2d``): by default ResNeXt's 32x4d 3x3, a depthwise 3x3 and an ordinary one."""
    rows = []
    with torch.device("meta"):
        alexnet = build_model("alexnet_paper")
    layers = dict(alexnet.named_modules())
    for name in _ALEXNET_TOWERS:
        conv = layers[f"features.{name}"]
        assert isinstance(conv, nn.Conv2d)
        k, c_in, c_out, g = conv.kernel_size[0], conv.in_channels, conv.out_channels, conv.groups
        rows.append(
            GroupedWeights(
                f"AlexNet {name}",
                k,
                c_in,
                c_out,
                g,
                grouped_params(k, c_in, c_out, g, bias=False),
                conv.weight.numel(),
                grouped_params(k, c_in, c_out, 1, bias=False),
            )
        )
    for k, c_in, c_out, g in cases:
        with torch.device("meta"):
            conv = nn.Conv2d(c_in, c_out, k, groups=g, bias=False)
        rows.append(
            GroupedWeights(
                f"{k}x{k} {c_in}->{c_out}, groups={g}",
                k,
                c_in,
                c_out,
                g,
                grouped_params(k, c_in, c_out, g, bias=False),
                conv.weight.numel(),
                grouped_params(k, c_in, c_out, 1, bias=False),
            )
        )
    return rows


TABLE2_WIDTHS = {1: 64, 2: 40, 4: 24, 8: 14, 32: 4}
"""ResNeXt's Table 2 (conv2 stage, 256 channels): cardinality -> bottleneck width at the cost of 1x64d."""


@dataclasses.dataclass(frozen=True)
class EqualCostWidth:
    cardinality: int
    paper: int
    """The paper's bottleneck width (Table 2)."""
    computed: int
    """``equal_cost_bottleneck_width``: the width whose block has the weights of 1x64d."""
    weights: int
    """The block's weights at the computed width."""
    reference: int
    """The 1x64d block's weights."""


def equal_cost_widths(channels: int = 256) -> list[EqualCostWidth]:
    """ResNeXt's Table 2 recomputed: for each of its cardinalities, the bottleneck width whose
    block (``channels`` in and out) has about the weights of the one-group 64-wide block."""
    reference = resnext_block_weights(channels, 1, 64)
    rows = []
    for cardinality, paper in TABLE2_WIDTHS.items():
        width = equal_cost_bottleneck_width(channels, cardinality)
        rows.append(
            EqualCostWidth(
                cardinality, paper, width, resnext_block_weights(channels, cardinality, width), reference
            )
        )
    return rows


# -- squeeze and excitation -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SeOverhead:
    """What SE adds: to one block at ``channels`` (weights, against 2 C^2 / r) and to the course's
    ResNet (parameters and FLOPs per image of the SE-ResNet against the ResNet's)."""

    channels: int
    reduction: int
    block_weights: int
    """The SE block's convolution weights (no biases)."""
    formula: int
    """2 C^2 / r (with C / r rounded down, at least 1, as the block does)."""
    resnet_parameters: int
    se_resnet_parameters: int
    resnet_flops: int
    se_resnet_flops: int

    @property
    def parameter_ratio(self) -> float:
        return self.se_resnet_parameters / self.resnet_parameters

    @property
    def flop_ratio(self) -> float:
        return self.se_resnet_flops / self.resnet_flops

    @property
    def holds(self) -> bool:
        return self.block_weights == self.formula and self.flop_ratio < 1.01


def se_overhead(
    channels: int = 64, reduction: int = 4, depth: int = 20, width: int = 16, input_size: int = 32
) -> SeOverhead:
    """SE's extra weights in one block of ``channels``, and the SE-ResNet-``depth`` against the
    ResNet-``depth`` of ``width`` (both at ``reduction``), on ``input_size`` images."""
    block = SqueezeExcitation(channels, reduction)
    weights = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    squeezed = max(1, channels // reduction)
    size = (3, input_size, input_size)
    with torch.device("meta"):
        resnet = build_model("cifar_resnet", depth=depth, width=width)
        se_resnet = build_model("small_se_resnet", depth=depth, width=width, reduction=reduction)
    return SeOverhead(
        channels,
        reduction,
        weights,
        2 * channels * squeezed,
        count_parameters(resnet),
        count_parameters(se_resnet),
        flops_per_image(resnet, size),
        flops_per_image(se_resnet, size),
    )


# -- depthwise separable ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SeparableCost:
    """A full kxk convolution in -> out against MobileNet's depthwise kxk then 1x1 (FLOPs per image)."""

    in_channels: int
    out_channels: int
    kernel_size: int
    size: int
    full_flops: int
    depthwise_flops: int
    pointwise_flops: int

    @property
    def separable_flops(self) -> int:
        return self.depthwise_flops + self.pointwise_flops

    @property
    def ratio(self) -> float:
        return self.separable_flops / self.full_flops

    @property
    def formula(self) -> float:
        """MobileNet's equation 5: 1/N + 1/k^2."""
        return 1 / self.out_channels + 1 / self.kernel_size**2

    @property
    def holds(self) -> bool:
        return math.isclose(self.ratio, self.formula, rel_tol=1e-9)


def separable_cost(in_channels: int = 64, out_channels: int = 128, size: int = 16) -> SeparableCost:
    """The FLOPs of one image through a full 3x3 convolution (padding 1) and through the
    :class:`DepthwiseSeparable` block's two convolutions, counted at ``size`` x ``size``."""
    block = DepthwiseSeparable(in_channels, out_channels)
    full = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
    shape = (in_channels, size, size)
    depthwise = flops_per_image(block.depthwise, shape)
    return SeparableCost(
        in_channels,
        out_channels,
        3,
        size,
        flops_per_image(full, shape),
        depthwise,
        flops_per_image(block, shape) - depthwise,
    )


# -- FLOPs are not time -------------------------------------------------------------------------------


BLOCKS: dict[str, Callable[[int], nn.Module]] = {
    "full 3x3": lambda c: conv_bn_relu(c, c, 3),
    "grouped 3x3 (8 groups)": lambda c: conv_bn_relu(c, c, 3, groups=8),
    "depthwise separable": lambda c: DepthwiseSeparable(c, c),
    "squeeze-and-excitation": lambda c: SqueezeExcitation(c, 4),
    "ConvNeXt block": lambda c: ConvNeXtBlock(c),
}
"""The blocks :func:`block_speeds` times, each ``channels`` in and out (a multiple of 8, for the
grouped one), by the lecture's names."""


@dataclasses.dataclass(frozen=True)
class BlockSpeed:
    name: str
    parameters: int
    flops_per_image: int
    """Forward FLOPs of one image (a multiply-add counts 2)."""
    images_per_second: float
    """Training images (forward and backward) per second on ``device``."""
    device: str

    @property
    def flops_per_second(self) -> float:
        """The forward FLOPs the device reached on this block (a training step does about three times)."""
        return self.flops_per_image * self.images_per_second


def block_speeds(
    channels: int = 64,
    size: int = 16,
    batch_size: int = 64,
    steps: int = 10,
    device: str | torch.device | None = None,
    blocks: Sequence[str] | None = None,
) -> list[BlockSpeed]:
    """For each of ``BLOCKS`` (or those named in ``blocks``) at ``channels`` on ``size`` x ``size``
    maps: its parameters, FLOPs per image, and the images per second of ``steps`` timed training
    passes (forward and backward, after one untimed pass) of ``batch_size`` images on ``device``
    (the best one present by default). Few FLOPs need not mean fast: grouped and depthwise
    convolutions do little arithmetic per byte they read."""
    device = pick_device(device)
    names = list(BLOCKS) if blocks is None else list(blocks)
    if unknown := [n for n in names if n not in BLOCKS]:
        raise ValueError(f"blocks must name blocks among {', '.join(BLOCKS)}, got {unknown}")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    rows = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for name in names:
            block = BLOCKS[name](channels)
            flops = flops_per_image(block, (channels, size, size))
            block = block.to(device).train()
            # the input needs its gradient too, as a block inside a network does
            x = torch.randn(batch_size, channels, size, size, device=device, requires_grad=True)
            for step in range(steps + 1):
                if step == 1:  # the first pass warms up: not timed
                    synchronize(device)
                    start = time.perf_counter()
                block(x).sum().backward()
            synchronize(device)
            seconds = time.perf_counter() - start
            rows.append(
                BlockSpeed(name, count_parameters(block), flops, steps * batch_size / seconds, str(device))
            )
    return rows


def format_speeds(rows: Sequence[BlockSpeed]) -> str:
    """The rows of :func:`block_speeds` as a text table, with each block's speed and FLOPs against
    the first row's (the full 3x3)."""
    first = rows[0]
    lines = [
        f"{'block':<24}{'parameters':>12}{'MFLOPs/image':>14}{'images/s':>11}{'FLOPs':>8}{'speed':>8}",
    ]
    for r in rows:
        lines.append(
            f"{r.name:<24}{r.parameters:>12,}{r.flops_per_image / 1e6:>14.2f}{r.images_per_second:>11,.0f}"
            f"{r.flops_per_image / first.flops_per_image:>8.2f}"
            f"{r.images_per_second / first.images_per_second:>8.2f}"
        )
    return "\n".join(lines)
