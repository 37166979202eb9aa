"""ResNet (He et al. 2015): residual blocks f(x) + x, shortcuts, bottlenecks.

``shortcut`` selects what is added to the residual branch:

* ``"projection_where_needed"`` (the default): identity when the
  shapes match, else a projection (1x1 conv with the block's stride, then BN) -- the paper's
  option B, torchvision's choice;
* ``"identity"``: identity when the shapes match, else parameter-free: subsample with the
  stride and append zero channels -- the paper's option A, used for its CIFAR-10 nets;
* ``"projection"``: always a projection (option C);
* ``"none"``: no shortcut at all, the "plain" network of the degradation experiment.

``PreActResidualBlock`` is the pre-activation block of the follow-up paper (He et al. 2016,
"Identity Mappings in Deep Residual Networks"): BN and ReLU move in front of each conv and
nothing follows the addition, so the shortcut carries x unchanged from block to block.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from ..layers import check_input, check_positive_int, check_sequence
from . import pretrained, torchvision_names

__all__ = [
    "ResidualBlock",
    "Bottleneck",
    "PreActResidualBlock",
    "PadShortcut",
    "ResNet",
    "SmallResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet152",
    "check_cifar_depth",
    "DEFAULT_SHORTCUT",
    "SHORTCUTS",
]

#: The paper's option B: identity where the shapes match, a projection where they change.
DEFAULT_SHORTCUT = "projection_where_needed"
SHORTCUTS = (DEFAULT_SHORTCUT, "identity", "projection", "none")


def check_shortcut(shortcut: str) -> str:
    """``shortcut`` if it is one of ``SHORTCUTS``, else a ValueError naming it."""
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut must be one of {', '.join(map(repr, SHORTCUTS))}, got {shortcut!r}")
    return shortcut


class PadShortcut(nn.Module):
    """Option A: keep every ``stride``-th pixel and append zero channels up to ``out_channels``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(
                'shortcut="identity" cannot reduce channels '
                f"(in_channels={in_channels}, out_channels={out_channels}); "
                'use shortcut="projection"'
            )
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: Tensor) -> Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - self.in_channels))

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


def _projection(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
            bn=nn.BatchNorm2d(out_channels),
        )
    )


def make_shortcut(in_channels: int, out_channels: int, stride: int, shortcut: str) -> nn.Module | None:
    """The shortcut module for a block (``None`` for ``shortcut="none"``); see the module doc."""
    shortcut = check_shortcut(shortcut)
    if shortcut == "none":
        return None
    same = stride == 1 and in_channels == out_channels
    if shortcut == "projection" or (shortcut == DEFAULT_SHORTCUT and not same):
        return _projection(in_channels, out_channels, stride)
    if same:
        return nn.Identity()
    return PadShortcut(in_channels, out_channels, stride)


class _SkipBlock(nn.Module):
    """What every residual block shares: relu(residual(x) + shortcut(x)), or relu(residual(x))
    for the plain block (``shortcut`` is None). Subclasses build ``residual`` and ``shortcut``."""

    residual: nn.Sequential
    shortcut: nn.Module | None
    relu: nn.Module

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The residual branch's last BN (its last layer, or the last before a gate such as SE)."""
        norms = [m for m in self.residual if isinstance(m, nn.BatchNorm2d)]
        assert norms, "a residual branch ends with BN"
        return norms[-1]

    def forward(self, x: Tensor) -> Tensor:
        out = self.residual(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.relu(out)


class ResidualBlock(_SkipBlock):
    """The basic block: relu(residual(x) + shortcut(x)),
    residual = 3x3 conv (stride) - BN - ReLU - 3x3 conv - BN.

    ``self.residual`` is the branch f, ``self.shortcut`` the module added to it (``None`` for
    the plain block, ``shortcut="none"``).
    """

    expansion = 1

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 1, shortcut: str = DEFAULT_SHORTCUT
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.stride = check_positive_int("stride", stride)
        self.residual = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                bn1=nn.BatchNorm2d(out_channels),
                relu1=nn.ReLU(inplace=True),
                conv2=nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
                bn2=nn.BatchNorm2d(out_channels),
            )
        )
        self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)
        self.relu = nn.ReLU(inplace=True)


class Bottleneck(_SkipBlock):
    """The bottleneck block: 1x1 -> mid - BN - ReLU - 3x3 (stride) - BN - ReLU - 1x1 -> 4*mid - BN,
    added to the shortcut, then ReLU. The stride sits on the 3x3 (torchvision's "ResNet v1.5")."""

    expansion = 4

    def __init__(
        self, in_channels: int, mid_channels: int, stride: int = 1, shortcut: str = DEFAULT_SHORTCUT
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.mid_channels = check_positive_int("mid_channels", mid_channels)
        self.stride = check_positive_int("stride", stride)
        self.out_channels = out_channels = mid_channels * self.expansion
        self.residual = nn.Sequential(
            OrderedDict(
                conv1=nn.Conv2d(in_channels, mid_channels, 1, bias=False),
                bn1=nn.BatchNorm2d(mid_channels),
                relu1=nn.ReLU(inplace=True),
                conv2=nn.Conv2d(mid_channels, mid_channels, 3, stride=stride, padding=1, bias=False),
                bn2=nn.BatchNorm2d(mid_channels),
                relu2=nn.ReLU(inplace=True),
                conv3=nn.Conv2d(mid_channels, out_channels, 1, bias=False),
                bn3=nn.BatchNorm2d(out_channels),
            )
        )
        self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)
        self.relu = nn.ReLU(inplace=True)


class PreActResidualBlock(nn.Module):
    """The pre-activation basic block (He et al. 2016): residual(x) + shortcut(x), with
    residual = BN - ReLU - 3x3 conv (stride) - BN - ReLU - 3x3 conv and no ReLU after the
    addition. The shortcut is the original block's (``make_shortcut``) and reads x itself.
    A network of them ends with one BN - ReLU before its pooling (``ResNet.final``)."""

    expansion = 1

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 1, shortcut: str = DEFAULT_SHORTCUT
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.stride = check_positive_int("stride", stride)
        self.residual = nn.Sequential(
            OrderedDict(
                bn1=nn.BatchNorm2d(in_channels),
                relu1=nn.ReLU(inplace=True),
                conv1=nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
                bn2=nn.BatchNorm2d(out_channels),
                relu2=nn.ReLU(inplace=True),
                conv2=nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            )
        )
        self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: Tensor) -> Tensor:
        out = self.residual(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return out


BlockType = type[ResidualBlock] | type[Bottleneck] | type[PreActResidualBlock] | str
BlockClass = type[ResidualBlock] | type[Bottleneck] | type[PreActResidualBlock]


def _block_class(block: BlockType) -> BlockClass:
    if block in ("basic", ResidualBlock):
        return ResidualBlock
    if block in ("bottleneck", Bottleneck):
        return Bottleneck
    if block in ("preact", PreActResidualBlock):
        return PreActResidualBlock
    raise ValueError(
        'block must be ResidualBlock, Bottleneck, PreActResidualBlock, "basic", "bottleneck" or "preact", '
        f"got {block!r}"
    )


class ResNet(nn.Module):
    """A stem, stages of residual blocks, global average pooling and one FC layer.

    ``layers`` gives the number of blocks per stage and ``widths`` each stage's width (the
    block's ``out_channels``, or ``mid_channels`` for bottlenecks); every stage but the first
    halves the resolution in its first block. ``stem="imagenet"``: 7x7/2 conv, BN, ReLU, 3x3/2
    max pool; ``stem="cifar"``: 3x3 conv, BN, ReLU.
    """

    def __init__(
        self,
        block: BlockType,
        layers: Sequence[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        widths: Sequence[int] = (64, 128, 256, 512),
        stem: str = "imagenet",
        shortcut: str = DEFAULT_SHORTCUT,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        block_cls = _block_class(block)
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        layers, widths = check_sequence("layers", layers), check_sequence("widths", widths)
        if len(layers) != len(widths) or not layers:
            raise ValueError(
                f"layers and widths must have the same non-zero length, got {layers} and {widths}"
            )
        for n in layers:
            check_positive_int("layers", n)
        for w in widths:
            check_positive_int("widths", w)
        self.shortcut_type = shortcut = check_shortcut(shortcut)

        c = widths[0]
        if stem == "imagenet":
            self.stem = nn.Sequential(
                OrderedDict(
                    conv=nn.Conv2d(in_channels, c, 7, stride=2, padding=3, bias=False),
                    bn=nn.BatchNorm2d(c),
                    relu=nn.ReLU(inplace=True),
                    pool=nn.MaxPool2d(3, stride=2, padding=1),
                )
            )
        elif stem == "cifar":
            self.stem = nn.Sequential(
                OrderedDict(
                    conv=nn.Conv2d(in_channels, c, 3, padding=1, bias=False),
                    bn=nn.BatchNorm2d(c),
                    relu=nn.ReLU(inplace=True),
                )
            )
        else:
            raise ValueError(f'stem must be "imagenet" or "cifar", got {stem!r}')

        stages = []
        for i, (n, w) in enumerate(zip(layers, widths, strict=False)):
            blocks = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                b = block_cls(c, w, stride, shortcut=shortcut)
                blocks.append(b)
                c = b.out_channels
            stages.append(nn.Sequential(*blocks))
        self.layer1 = stages[0]
        for i, stage in enumerate(stages[1:], start=2):
            self.add_module(f"layer{i}", stage)
        self.num_stages = len(stages)
        self.final: nn.Module | None = None
        if block_cls is PreActResidualBlock:  # its blocks end un-normalised: one BN - ReLU at the end
            self.final = nn.Sequential(OrderedDict(bn=nn.BatchNorm2d(c), relu=nn.ReLU(inplace=True)))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, (ResidualBlock, Bottleneck)):
                    nn.init.zeros_(m.last_bn.weight)
        torchvision_names.install(self, "ResNet")

    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"layer{i}") for i in range(1, self.num_stages + 1)]

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        x = self.stem(x)
        for stage in self.stages():
            x = stage(x)
        if self.final is not None:
            x = self.final(x)
        return self.fc(self.avgpool(x).flatten(1))


def _resnet(
    name: str,
    block: BlockType,
    layers: list[int],
    num_classes: int,
    in_channels: int,
    weights,
    progress: bool,
    **kwargs,
) -> ResNet:
    weights = pretrained.torchvision_weights(name, weights)
    pretrained.check_weights_args(name, weights, num_classes, in_channels)
    return pretrained.build_with_weights(
        name, weights, progress, lambda: ResNet(block, layers, num_classes, in_channels, **kwargs)
    )


def _builder(
    name: str, block: BlockType, layers: list[int], parameters: str, about: str = ""
) -> Callable[..., ResNet]:
    """A torchvision-style builder ``name(num_classes=1000, in_channels=3, *, weights=None, ...)``."""

    def build(
        num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
    ) -> ResNet:
        return _resnet(name, block, layers, num_classes, in_channels, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (
        f"{name.replace('resnet', 'ResNet-')}{about}, parameter for parameter torchvision's "
        f'({parameters} parameters); ``weights="DEFAULT"`` loads torchvision\'s ImageNet weights.'
    )
    return build


resnet18 = _builder("resnet18", ResidualBlock, [2, 2, 2, 2], "11,689,512")
resnet34 = _builder("resnet34", ResidualBlock, [3, 4, 6, 3], "21,797,672")
resnet50 = _builder("resnet50", Bottleneck, [3, 4, 6, 3], "25,557,032")
resnet152 = _builder("resnet152", Bottleneck, [3, 8, 36, 3], "60,192,808", ", the 2015 ImageNet winner")


def check_cifar_depth(depth: int) -> int:
    """``depth`` if it is 6n+2 with n >= 1 (the CIFAR ResNet's 3 stages of n two-conv blocks,
    the stem and the FC layer); else a ValueError naming ``depth``."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, 110), got {depth!r}")
    return depth


class SmallResNet(ResNet):
    """The paper's CIFAR-10 ResNet: 6n+2 layers, a 3x3 stem and three stages of n blocks with
    ``width``, ``2*width``, ``4*width`` channels, on 32x32 images; by default the lesson's
    ResNet-14 (``depth=14``, 16/32/64 channels).

    ``shortcut="identity"`` (option A, the paper's choice here) gives its Table 6 counts:
    ResNet-20 0.27M, 32 0.46M, 44 0.66M, 56 0.85M, 110 1.7M (``build_model("resnet20")``, ...).
    ``shortcut="none"`` is the plain twin with the same layers (and, since option A has no
    parameters, the same count); ``block="preact"`` the pre-activation twin of
    :class:`PreActResidualBlock` (He et al. 2016)."""

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        depth: int = 14,
        width: int = 16,
        shortcut: str = "identity",
        zero_init_residual: bool = False,
        block: str = "basic",
    ) -> None:
        if block not in ("basic", "preact", ResidualBlock, PreActResidualBlock):
            raise ValueError(f'block must be "basic" or "preact" (two 3x3 convs per block), got {block!r}')
        depth = check_cifar_depth(depth)
        check_positive_int("width", width)
        n = (depth - 2) // 6
        super().__init__(
            block,
            [n, n, n],
            num_classes,
            in_channels,
            widths=(width, 2 * width, 4 * width),
            stem="cifar",
            shortcut=shortcut,
            zero_init_residual=zero_init_residual,
        )
        self.depth = depth
