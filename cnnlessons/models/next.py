"""What came next: the course's ideas taken further, built from its own blocks, at course scale.

* **ResNeXt** (Xie et al. 2017, "Aggregated Residual Transformations for Deep Neural Networks"):
  the bottleneck's 3x3 convolution split into ``cardinality`` groups of ``bottleneck_width``
  channels each (a grouped convolution; AlexNet's two towers are ``groups=2``). At the same
  weights, more groups are each narrower: :func:`equal_cost_bottleneck_width` is the rule of the
  paper's Table 2.
* **SENet** (Hu et al. 2018, "Squeeze-and-Excitation Networks"): :class:`SqueezeExcitation`
  gates each channel by a weight computed from the whole map (squeeze: global average pooling;
  excite: two 1x1 convolutions and a sigmoid; scale); :class:`SmallSEResNet` puts one in every
  residual block of the course's CIFAR ResNet.
* **MobileNet** (Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for
  Mobile Vision Applications"): :class:`DepthwiseSeparable`, a depthwise 3x3 convolution
  (``groups=in_channels``) and a 1x1, in place of a full 3x3; :class:`SmallMobileNet` and its
  full-convolution twin (``full_convolution=True``, the paper's "Conv MobileNet" of Table 4).
* **ConvNeXt** (Liu et al. 2022, "A ConvNet for the 2020s"): :class:`ConvNeXtBlock`, a ResNet block
  modernised (7x7 depthwise, LayerNorm, an inverted bottleneck 4x wide, GELU, layer scale).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..layers import check_groups, check_input, check_positive_int, check_sequence, conv_bn_relu
from .resnet import DEFAULT_SHORTCUT, ResidualBlock, SmallResNet, _SkipBlock, check_shortcut, make_shortcut

__all__ = [
    "ResNeXtBlock",
    "SmallResNeXt",
    "SqueezeExcitation",
    "SmallSEResNet",
    "DepthwiseSeparable",
    "SmallMobileNet",
    "LayerNorm2d",
    "ConvNeXtBlock",
    "SmallConvNeXt",
    "grouped_params",
    "resnext_block_weights",
    "equal_cost_bottleneck_width",
    "check_resnext_depth",
    "MOBILENET_BLOCKS",
]


def grouped_params(
    kernel_size: int, in_channels: int, out_channels: int, groups: int, bias: bool = True
) -> int:
    """Parameters of a grouped convolution: kernel_size^2 * (in_channels / groups) * out_channels,
    plus out_channels with a bias. Each of the ``groups`` filter banks sees only its own
    ``in_channels / groups`` input channels; ``groups=1`` is the ordinary convolution.

    >>> grouped_params(3, 128, 128, 32, bias=False)  # ResNeXt's 32x4d 3x3 at 128 channels
    4608
    """
    check_positive_int("kernel_size", kernel_size)
    check_positive_int("in_channels", in_channels)
    check_positive_int("out_channels", out_channels)
    groups = check_groups(groups, in_channels, out_channels)
    return kernel_size * kernel_size * (in_channels // groups) * out_channels + (out_channels if bias else 0)


# -- ResNeXt ------------------------------------------------------------------------------------


def resnext_block_weights(channels: int, cardinality: int, bottleneck_width: int) -> int:
    """Weights of a ResNeXt block's three convolutions, ``channels`` in and out (no BN, no
    shortcut): 1x1 channels -> w, 3x3 w -> w in ``cardinality`` groups, 1x1 w -> channels, with
    w = cardinality * bottleneck_width: 2 * channels * w + 9 * w^2 / cardinality."""
    check_positive_int("channels", channels)
    check_positive_int("cardinality", cardinality)
    width = cardinality * check_positive_int("bottleneck_width", bottleneck_width)
    return 2 * channels * width + 9 * width * width // cardinality


def equal_cost_bottleneck_width(channels: int, cardinality: int, like: tuple[int, int] = (1, 64)) -> int:
    """The bottleneck width d at which a block of ``cardinality`` groups has about the weights of
    the block ``like`` = (cardinality, bottleneck width), both ``channels`` in and out: the rule of
    ResNeXt's Table 2 (at 256 channels 1x64d, 2x40d, 4x24d, 8x14d, 32x4d). Rounded to the nearest
    width; at least 1."""
    target = resnext_block_weights(channels, *like)
    c = check_positive_int("cardinality", cardinality)
    # 9c d^2 + 2 channels c d = target, the positive root
    b = 2 * channels * c
    d = (-b + math.sqrt(b * b + 36 * c * target)) / (18 * c)
    return max(1, round(d))


def check_resnext_depth(depth: int) -> int:
    """``depth`` if it is 9n+2 with n >= 1 (three stages of n three-conv blocks, the stem and the
    FC layer: 11, 20, 29); else a ValueError naming ``depth``."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 11 or (depth - 2) % 9:
        raise ValueError(f"depth must be 9n+2 with n >= 1 (11, 20, 29), got {depth!r}")
    return depth


class ResNeXtBlock(_SkipBlock):
    """The ResNeXt block (Xie et al. 2017, Figure 3c): 1x1 -> w - BN - ReLU - 3x3 (stride) in
    ``cardinality`` groups - BN - ReLU - 1x1 -> out_channels - BN, added to the shortcut, then
    ReLU; w = cardinality * bottleneck_width.

    ``cardinality=1`` is ResNet's bottleneck block at width w; ``cardinality=2`` splits the 3x3
    into AlexNet's two towers. Its 3x3 has w^2 * 9 / cardinality weights: at the same weights,
    more groups afford a wider block (:func:`equal_cost_bottleneck_width`).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        cardinality: int = 32,
        bottleneck_width: int = 4,
        shortcut: str = DEFAULT_SHORTCUT,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.stride = check_positive_int("stride", stride)
        self.cardinality = check_positive_int("cardinality", cardinality)
        self.bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width)
        self.width = width = cardinality * bottleneck_width
        self.residual = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(in_channels, width, 1, bias=False),
                bn1=nn.BatchNorm2d(width),
                relu1=nn.ReLU(inplace=True),
                conv2=nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=cardinality, bias=False),
                bn2=nn.BatchNorm2d(width),
                relu2=nn.ReLU(inplace=True),
                conv3=nn.Conv2d(width, out_channels, 1, bias=False),
                bn3=nn.BatchNorm2d(out_channels),
            )
        )
        self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)
        self.relu = nn.ReLU(inplace=True)


class SmallResNeXt(nn.Module):
    """A ResNeXt for 32x32 images in the course's CIFAR ResNet layout: a 3x3 stem to ``width``
    channels, three stages of n :class:`ResNeXtBlock` (depth 9n+2) with ``width``, ``2*width``,
    ``4*width`` channels out, global average pooling and one FC layer; each stage but the first
    halves the resolution in its first block, and doubles the blocks' inner width, as the paper's
    CIFAR ResNeXt-29 does.

    ``cardinality=1`` with a wider ``bottleneck_width`` is the non-grouped twin (a bottleneck
    ResNet): ``equal_cost_bottleneck_width`` gives the width at the same weights and FLOPs.
    Shortcuts are option B (projection where the shape changes), as in the paper.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        depth: int = 20,
        width: int = 64,
        cardinality: int = 8,
        bottleneck_width: int = 4,
        shortcut: str = DEFAULT_SHORTCUT,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.depth = check_resnext_depth(depth)
        check_positive_int("width", width)
        self.cardinality = check_positive_int("cardinality", cardinality)
        self.bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width)
        check_shortcut(shortcut)
        n = (depth - 2) // 9
        self.stem = conv_bn_relu(in_channels, width, 3)
        c = width
        stages = []
        for i in range(3):
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(
                    ResNeXtBlock(c, width * 2**i, stride, cardinality, bottleneck_width * 2**i, shortcut)
                )
                c = width * 2**i
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, num_classes)
        _resnet_init(self)

    def stages(self) -> list[nn.Sequential]:
        return [self.layer1, self.layer2, self.layer3]

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        x = self.stem(x)
        for stage in self.stages():
            x = stage(x)
        return self.fc(self.avgpool(x).flatten(1))


def _resnet_init(model: nn.Module) -> None:
    """ResNet's initialisation (He normal, fan-out; BN weight 1, bias 0)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


# -- SENet --------------------------------------------------------------------------------------


class SqueezeExcitation(nn.Module):
    """The squeeze-and-excitation block (Hu et al. 2018, Figure 1): squeeze each channel to one
    number (global average pooling), excite (1x1 conv ``channels`` -> ``max(1, channels //
    reduction)`` - ReLU - 1x1 conv back to ``channels`` - sigmoid), and scale: the input
    multiplied channel by channel by that gate in (0, 1). Same shape out.

    Its weights are 2 C^2 / r (plus C / r + C biases): the paper's r = 16 leaves a course-scale
    net's 16 channels a single unit, so the course's nets use r = 4.
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.channels = check_positive_int("channels", channels)
        self.reduction = check_positive_int("reduction", reduction)
        self.squeezed_channels = squeezed = max(1, channels // reduction)
        self.squeeze = nn.AdaptiveAvgPool2d(1)
        self.excite = nn.Sequential(
            OrderedDict(
                reduce=nn.Conv2d(channels, squeezed, 1),
                relu=nn.ReLU(inplace=True),
                expand=nn.Conv2d(squeezed, channels, 1),
                gate=nn.Sigmoid(),
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        return x * self.excite(self.squeeze(x))

    def extra_repr(self) -> str:
        return f"{self.channels}, reduction={self.reduction}"


class SmallSEResNet(SmallResNet):
    """The course's CIFAR ResNet (:class:`SmallResNet`, by default ResNet-20) with a
    :class:`SqueezeExcitation` at the end of every block's residual branch, before the addition
    (SE-ResNet, Hu et al. 2018, Figure 3): relu(SE(residual(x)) + shortcut(x)).

    Built from the same seed, it starts from the ResNet's own weights in every layer they share
    (the SE layers are drawn after them): the pair differs in the gates alone.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        depth: int = 20,
        width: int = 16,
        reduction: int = 4,
        shortcut: str = "identity",
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__(num_classes, in_channels, depth, width, shortcut, zero_init_residual)
        self.reduction = check_positive_int("reduction", reduction)
        for stage in self.stages():
            for block in stage:
                assert isinstance(block, ResidualBlock)
                block.residual.add_module("se", SqueezeExcitation(block.out_channels, reduction))


# -- MobileNet ----------------------------------------------------------------------------------


class DepthwiseSeparable(nn.Module):
    """MobileNet's block (Howard et al. 2017, Figure 3): a depthwise 3x3 convolution (one filter per
    channel, ``groups=in_channels``, the stride, padding 1) - BN - ReLU, then a pointwise 1x1
    convolution -> ``out_channels`` - BN - ReLU.

    It costs 1/out_channels + 1/9 of a full 3x3 convolution in -> out (the paper's equation 5).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.stride = check_positive_int("stride", stride)
        self.depthwise = conv_bn_relu(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pointwise = conv_bn_relu(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))


#: SmallMobileNet's blocks after the stem: (output channels as a multiple of ``width``, stride);
#: MobileNet's first five (64, 128/2, 128, 256/2, 256 at ``width`` 32).
MOBILENET_BLOCKS: tuple[tuple[int, int], ...] = ((2, 1), (4, 2), (4, 1), (8, 2), (8, 1))


class SmallMobileNet(nn.Module):
    """MobileNet scaled down for 32x32 images: a 3x3 stem to ``width`` channels (default 32, as
    MobileNet's), the :data:`MOBILENET_BLOCKS` of :class:`DepthwiseSeparable` (64 to 256 channels
    at ``width`` 32; every block's output at least 32 wide from ``width`` 16, where the separable
    block costs at most 1/32 + 1/9 of a full one), global average pooling and one FC layer.

    ``full_convolution=True`` is its twin of the same depth and widths with a full 3x3
    convolution - BN - ReLU in place of each separable block (the paper's "Conv MobileNet" of
    Table 4).
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 32,
        full_convolution: bool = False,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("width", width)
        self.full_convolution = bool(full_convolution)
        self.stem = conv_bn_relu(in_channels, width, 3)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c = width
        for i, (multiple, stride) in enumerate(MOBILENET_BLOCKS, start=1):
            out = multiple * width
            layers[f"block{i}"] = (
                conv_bn_relu(c, out, 3, stride) if full_convolution else DepthwiseSeparable(c, out, stride)
            )
            c = out
        self.blocks = nn.Sequential(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, num_classes)
        _resnet_init(self)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        x = self.blocks(self.stem(x))
        return self.fc(self.avgpool(x).flatten(1))


# -- ConvNeXt -----------------------------------------------------------------------------------


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each pixel of an N x C x H x W map (ConvNeXt's; BatchNorm
    normalises each channel over the batch instead)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__(check_positive_int("channels", channels), eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """The ConvNeXt block (Liu et al. 2022, Figure 4): x + gamma * residual(x), residual = 7x7
    depthwise conv (padding 3) - LayerNorm - 1x1 conv -> ``expansion * channels`` - GELU - 1x1 conv
    -> channels: ResNet's bottleneck turned inside out (wide in the middle), with one
    normalisation, one activation and a large depthwise kernel. ``layer_scale`` is gamma's start
    (per channel, learned; the paper's 1e-6), ``None`` for none.
    """

    def __init__(self, channels: int, layer_scale: float | None = 1e-6, expansion: int = 4) -> None:
        super().__init__()
        self.channels = check_positive_int("channels", channels)
        hidden = channels * check_positive_int("expansion", expansion)
        self.residual = nn.Sequential(
            OrderedDict(
                dwconv=nn.Conv2d(channels, channels, 7, padding=3, groups=channels),
                norm=LayerNorm2d(channels),
                pwconv1=nn.Conv2d(channels, hidden, 1),
                gelu=nn.GELU(),
                pwconv2=nn.Conv2d(hidden, channels, 1),
            )
        )
        self.gamma: nn.Parameter | None = None
        if layer_scale is not None:
            if (
                isinstance(layer_scale, bool)
                or not isinstance(layer_scale, float | int)
                or not layer_scale > 0
            ):
                raise ValueError(f"layer_scale must be a number > 0 or None, got {layer_scale!r}")
            self.gamma = nn.Parameter(torch.full((channels, 1, 1), float(layer_scale)))

    def forward(self, x: Tensor) -> Tensor:
        out = self.residual(x)
        if self.gamma is not None:
            out = self.gamma * out
        return x + out


class SmallConvNeXt(nn.Module):
    """ConvNeXt scaled down for 32x32 images: a 2x2 "patchify" stem with stride 2 (ConvNeXt's is
    4x4/4 on 224x224) and LayerNorm, three stages of :class:`ConvNeXtBlock` (``depths``) at
    ``width``, ``2*width``, ``4*width`` channels with a LayerNorm and a 2x2/2 convolution between
    stages, global average pooling, LayerNorm and one FC layer."""

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 32,
        depths: Sequence[int] = (2, 2, 2),
        layer_scale: float | None = 1e-6,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("width", width)
        depths = check_sequence("depths", depths)
        if not depths:
            raise ValueError("depths must name at least one stage, got []")
        for d in depths:
            check_positive_int("depths", d)
        self.depths = tuple(depths)
        self.stem = nn.Sequential(
            OrderedDict(conv=nn.Conv2d(in_channels, width, 2, stride=2), norm=LayerNorm2d(width))
        )
        c = width
        for i, d in enumerate(depths):
            parts: OrderedDict[str, nn.Module] = OrderedDict()
            if i > 0:
                parts["norm"] = LayerNorm2d(c)
                parts["downsample"] = nn.Conv2d(c, 2 * c, 2, stride=2)
                c *= 2
            for j in range(d):
                parts[f"block{j + 1}"] = ConvNeXtBlock(c, layer_scale)
            self.add_module(f"stage{i + 1}", nn.Sequential(parts))
        self.num_stages = len(depths)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"stage{i}") for i in range(1, self.num_stages + 1)]

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        x = self.stem(x)
        for stage in self.stages():
            x = stage(x)
        return self.fc(self.norm(self.avgpool(x).flatten(1)))
