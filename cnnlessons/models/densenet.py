"""DenseNet (Huang et al. 2016): concatenation instead of addition.

Every layer of a dense block reads the concatenation of the block's input and all earlier
layers' outputs and adds ``growth_rate`` new channels, so after l layers the block carries
``c0 + l*k`` channels (linear growth). Transitions (BN - ReLU - 1x1 conv - 2x2 average
pooling) between blocks shrink channels (by ``compression``) and resolution.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..layers import check_dropout, check_input, check_positive_int, check_sequence
from . import pretrained, torchvision_names

__all__ = [
    "DenseLayer",
    "DenseBlock",
    "Transition",
    "DenseNet",
    "SmallDenseNet",
    "densenet121",
    "cifar_densenet",
    "dense_out_channels",
    "DENSENET_BC",
]

DENSENET_BC = dict(growth_rate=12, block_config=(3, 3, 3), bottleneck=True, compression=0.5)
"""The course's scaled-down DenseNet-BC (k=12, three blocks of three bottleneck layers): lesson 05's
model and the shipped checkpoint's."""


def dense_out_channels(in_channels: int, num_layers: int, growth_rate: int) -> int:
    """Channels leaving a dense block: ``in_channels + num_layers * growth_rate``."""
    check_positive_int("in_channels", in_channels)
    check_positive_int("num_layers", num_layers)
    check_positive_int("growth_rate", growth_rate)
    return in_channels + num_layers * growth_rate


def _check_compression(compression: float) -> float:
    if isinstance(compression, bool) or not isinstance(compression, numbers.Real):
        raise TypeError(
            f"compression must be a number in (0, 1], got {type(compression).__name__} {compression!r}"
        )
    if not 0.0 < compression <= 1.0:  # NaN fails too
        raise ValueError(f"compression must be in (0, 1], got {compression}")
    return compression


class DenseLayer(nn.Module):
    """BN - ReLU - 3x3 conv (pad 1) -> ``growth_rate`` new channels.

    ``bottleneck=True`` (DenseNet-B) first reduces with BN - ReLU - 1x1 conv -> ``bn_size *
    growth_rate``. Returns only the new channels; the block does the concatenation.
    """

    def __init__(
        self,
        in_channels: int,
        growth_rate: int,
        bottleneck: bool = False,
        bn_size: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.growth_rate = check_positive_int("growth_rate", growth_rate)
        check_positive_int("bn_size", bn_size)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c = in_channels
        if bottleneck:
            layers["norm1"] = nn.BatchNorm2d(c)
            layers["relu1"] = nn.ReLU(inplace=True)
            layers["conv1"] = nn.Conv2d(c, bn_size * growth_rate, 1, bias=False)
            c = bn_size * growth_rate
        layers["norm2"] = nn.BatchNorm2d(c)
        layers["relu2"] = nn.ReLU(inplace=True)
        layers["conv2"] = nn.Conv2d(c, growth_rate, 3, padding=1, bias=False)
        self.layers = nn.Sequential(layers)
        self.dropout = check_dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        out = self.layers(x)
        if self.dropout > 0:
            out = F.dropout(out, p=self.dropout, training=self.training)
        return out


class DenseBlock(nn.Module):
    """``num_layers`` dense layers; returns cat(input, new_1, ..., new_L) along channels,
    input first, ``out_channels = in_channels + num_layers * growth_rate``."""

    def __init__(
        self,
        num_layers: int,
        in_channels: int,
        growth_rate: int,
        bottleneck: bool = False,
        bn_size: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.growth_rate = check_positive_int("growth_rate", growth_rate)
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bottleneck, bn_size, dropout)
            for i in range(num_layers)
        )
        self.out_channels = in_channels + num_layers * growth_rate

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class Transition(nn.Sequential):
    """BN - ReLU - 1x1 conv -> ``out_channels`` - 2x2 average pooling, stride 2.
    ``relu=False`` leaves the ReLU out (the lecture's list)."""

    def __init__(self, in_channels: int, out_channels: int, relu: bool = True) -> None:
        check_positive_int("in_channels", in_channels)
        check_positive_int("out_channels", out_channels)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["norm"] = nn.BatchNorm2d(in_channels)
        if relu:
            layers["relu"] = nn.ReLU(inplace=True)
        layers["conv"] = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        layers["pool"] = nn.AvgPool2d(kernel_size=2, stride=2)
        super().__init__(layers)
        self.in_channels, self.out_channels = in_channels, out_channels


class DenseNet(nn.Module):
    """Stem, dense blocks separated by transitions, BN - ReLU - global average pool - FC.

    ``stem="imagenet"``: 7x7/2 conv, BN, ReLU, 3x3/2 max pool (torchvision);
    ``stem="cifar"``: one 3x3 conv (the paper's CIFAR nets). Each transition keeps
    ``floor(compression * channels)`` channels (DenseNet-C for ``compression < 1``).
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: Sequence[int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bottleneck: bool = True,
        bn_size: int = 4,
        compression: float = 0.5,
        dropout: float = 0.0,
        num_classes: int = 1000,
        in_channels: int = 3,
        stem: str = "imagenet",
    ) -> None:
        super().__init__()
        self.growth_rate = check_positive_int("growth_rate", growth_rate)
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("num_init_features", num_init_features)
        block_config = check_sequence("block_config", block_config)
        if not block_config:
            raise ValueError("block_config must list at least one block")
        for n in block_config:
            check_positive_int("block_config", n)
        _check_compression(compression)
        self.block_config = tuple(block_config)

        features: OrderedDict[str, nn.Module] = OrderedDict()
        if stem == "imagenet":
            features["conv0"] = nn.Conv2d(in_channels, num_init_features, 7, stride=2, padding=3, bias=False)
            features["norm0"] = nn.BatchNorm2d(num_init_features)
            features["relu0"] = nn.ReLU(inplace=True)
            features["pool0"] = nn.MaxPool2d(3, stride=2, padding=1)
        elif stem == "cifar":
            features["conv0"] = nn.Conv2d(in_channels, num_init_features, 3, padding=1, bias=False)
        else:
            raise ValueError(f'stem must be "imagenet" or "cifar", got {stem!r}')
        c = num_init_features
        for i, n in enumerate(block_config, start=1):
            block = DenseBlock(n, c, growth_rate, bottleneck, bn_size, dropout)
            features[f"denseblock{i}"] = block
            c = block.out_channels
            if i < len(block_config):
                out = max(1, int(compression * c))
                features[f"transition{i}"] = Transition(c, out)
                c = out
        features["norm5"] = nn.BatchNorm2d(c)
        features["relu5"] = nn.ReLU(inplace=True)
        self.features = nn.Sequential(features)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(c, num_classes)
        self.out_features = c

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        torchvision_names.install(self, "DenseNet")

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def densenet121(
    num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
) -> DenseNet:
    """DenseNet-121 (k=32, blocks 6/12/24/16, BC), parameter for parameter torchvision's (7,978,856);
    ``weights="DEFAULT"`` loads torchvision's ImageNet weights."""
    weights = pretrained.torchvision_weights("densenet121", weights)
    pretrained.check_weights_args("densenet121", weights, num_classes, in_channels)
    return pretrained.build_with_weights(
        "densenet121",
        weights,
        progress,
        lambda: DenseNet(32, (6, 12, 24, 16), 64, num_classes=num_classes, in_channels=in_channels, **kwargs),
    )


def cifar_densenet(
    depth: int = 40,
    growth_rate: int = 12,
    bottleneck: bool = False,
    compression: float = 1.0,
    num_classes: int = 10,
    in_channels: int = 3,
    dropout: float = 0.0,
) -> DenseNet:
    """The paper's CIFAR DenseNets: three dense blocks on 32x32 images.

    ``depth`` L counts the convs: the stem, the block layers (two convs each with
    ``bottleneck``), the two transitions and the FC layer, so each block has ``(L-4)/3``
    layers, or ``(L-4)/6`` with ``bottleneck``. The stem has 16 channels, or ``2*growth_rate``
    for DenseNet-BC. Table 2: DenseNet L=40 k=12 1.0M; DenseNet-BC (``bottleneck=True,
    compression=0.5``) L=100 k=12 0.8M.
    """
    check_positive_int("growth_rate", growth_rate)
    per_layer = 6 if bottleneck else 3
    if (
        isinstance(depth, bool)
        or not isinstance(depth, int)
        or depth < 4 + per_layer
        or (depth - 4) % per_layer
    ):
        example = "(40, 100, 190, 250, ...)" if bottleneck else "(40, 100, ...)"
        raise ValueError(
            f"depth must be {per_layer}n+4 with n >= 1 {example} for bottleneck={bottleneck}, got {depth!r}"
        )
    n = (depth - 4) // per_layer
    init = 2 * growth_rate if (bottleneck and _check_compression(compression) < 1) else 16
    return DenseNet(
        growth_rate,
        (n, n, n),
        init,
        bottleneck=bottleneck,
        compression=compression,
        dropout=dropout,
        num_classes=num_classes,
        in_channels=in_channels,
        stem="cifar",
    )


class SmallDenseNet(DenseNet):
    """DenseNet at course scale for 16x16 and 32x32 images: a 3x3 stem of ``2*growth_rate``
    channels, dense blocks of ``block_config`` layers, transitions halving the channels. The
    defaults build the lesson's DenseNet-BC (``DENSENET_BC``: k=12, three blocks of three
    bottleneck layers), the network of the shipped checkpoint."""

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        growth_rate: int = 12,
        block_config: Sequence[int] = (3, 3, 3),
        bottleneck: bool = True,
        compression: float = 0.5,
        dropout: float = 0.0,
    ) -> None:
        check_positive_int("growth_rate", growth_rate)
        super().__init__(
            growth_rate,
            block_config,
            2 * growth_rate,
            bottleneck=bottleneck,
            compression=compression,
            dropout=dropout,
            num_classes=num_classes,
            in_channels=in_channels,
            stem="cifar",
        )
