"""GoogLeNet (Szegedy et al. 2014): Inception blocks and 1x1 reductions.

``Inception`` follows the paper: four parallel branches (1x1; 1x1 -> 3x3; 1x1 -> 5x5;
3x3 max pool -> 1x1), ReLU after every conv, concatenated along channels in that order.

torchvision's ``googlenet`` differs from the paper in two ways: every conv is followed by
batch norm (conv without bias, BN eps 0.001), and its "5x5" branch uses a 3x3 kernel (a known
slip kept for its pretrained weights, pytorch/vision#906). ``GoogLeNet()`` matches torchvision
by default (``torchvision_compatible=True``, 6,624,904 parameters without the auxiliary
heads); ``torchvision_compatible=False`` builds the paper's net (biases, no BN, real 5x5
convs, LRN in the stem).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..layers import GOOGLENET_LRN, check_dropout, check_input, check_positive_int, conv_bn_relu
from . import pretrained, torchvision_names

__all__ = [
    "Inception",
    "InceptionAux",
    "GoogLeNet",
    "googlenet",
    "GoogLeNetOutputs",
    "SmallGoogLeNet",
    "reduction_params",
]


def reduction_params(
    in_channels: int, reduced_channels: int, out_channels: int, kernel_size: int = 3
) -> tuple[int, int]:
    """Weights (no biases) of one kxk conv in->out, and of a 1x1 in->reduced then kxk reduced->out.

    >>> reduction_params(128, 32, 128)
    (147456, 40960)
    """
    check_positive_int("in_channels", in_channels)
    check_positive_int("reduced_channels", reduced_channels)
    check_positive_int("out_channels", out_channels)
    check_positive_int("kernel_size", kernel_size)
    direct = kernel_size * kernel_size * in_channels * out_channels
    reduced = in_channels * reduced_channels + kernel_size * kernel_size * reduced_channels * out_channels
    return direct, reduced


#: torchvision's BasicConv2d: conv (no bias) -> BN with eps 0.001 -> ReLU; conv -> ReLU without BN.
_conv = partial(conv_bn_relu, eps=0.001)


def _pair(name: str, value: Sequence[int]) -> tuple[int, int]:
    try:
        a, b = value
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (reduce_channels, out_channels), got {value!r}") from None
    return check_positive_int(f"{name}[0]", a), check_positive_int(f"{name}[1]", b)


class Inception(nn.Module):
    """The Inception block: four parallel branches concatenated along channels.

    1. 1x1 conv -> ``c1``
    2. 1x1 conv -> ``c2[0]``, 3x3 conv (pad 1) -> ``c2[1]``
    3. 1x1 conv -> ``c3[0]``, 5x5 conv (pad 2) -> ``c3[1]``
    4. 3x3 max pool (stride 1, pad 1), 1x1 conv -> ``c4``

    ReLU after every conv; output channels ``c1 + c2[1] + c3[1] + c4``, height and width
    unchanged. ``batch_norm=True`` puts BN between each conv and its ReLU (torchvision);
    ``c3_kernel_size=3`` reproduces torchvision's 3x3 "5x5" branch. ``reductions=False`` builds
    the paper's naive block for comparison: the 3x3 and 5x5 convolutions read the block's input
    directly, without the 1x1 reductions ``c2[0]`` and ``c3[0]`` (the pool branch keeps its
    projection, so both blocks give the same channels). ``pool_projection=False`` drops the pool
    branch's 1x1 conv as well: the pooled input is passed on as it is (``c4`` is then unused and
    the block gives ``c1 + c2[1] + c3[1] + in_channels`` channels); with ``reductions=False``
    that is the paper's Figure 2a exactly, whose channels grow from block to block.
    """

    def __init__(
        self,
        in_channels: int,
        c1: int,
        c2: Sequence[int],
        c3: Sequence[int],
        c4: int,
        batch_norm: bool = False,
        c3_kernel_size: int = 5,
        reductions: bool = True,
        pool_projection: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("c1", c1)
        c2 = _pair("c2", c2)
        c3 = _pair("c3", c3)
        check_positive_int("c4", c4)
        if check_positive_int("c3_kernel_size", c3_kernel_size) % 2 == 0:
            raise ValueError(f"c3_kernel_size must be odd, got {c3_kernel_size}")
        bn = batch_norm
        if reductions:
            branch2 = nn.Sequential(
                _conv(in_channels, c2[0], 1, batch_norm=bn), _conv(c2[0], c2[1], 3, batch_norm=bn, padding=1)
            )
            branch3 = nn.Sequential(
                _conv(in_channels, c3[0], 1, batch_norm=bn),
                _conv(c3[0], c3[1], c3_kernel_size, batch_norm=bn, padding=c3_kernel_size // 2),
            )
        else:
            branch2 = nn.Sequential(_conv(in_channels, c2[1], 3, batch_norm=bn, padding=1))
            branch3 = nn.Sequential(
                _conv(in_channels, c3[1], c3_kernel_size, batch_norm=bn, padding=c3_kernel_size // 2)
            )
        self.reductions = reductions
        self.pool_projection = pool_projection
        pool: list[nn.Module] = [nn.MaxPool2d(3, stride=1, padding=1)]
        if pool_projection:
            pool.append(_conv(in_channels, c4, 1, batch_norm=bn))
        self.branches = nn.ModuleList(
            [_conv(in_channels, c1, 1, batch_norm=bn), branch2, branch3, nn.Sequential(*pool)]
        )
        self.out_channels = c1 + c2[1] + c3[1] + (c4 if pool_projection else in_channels)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on a 14x14 map: pool to 4x4, 1x1 conv -> 128, FC 1024, dropout, FC."""

    def __init__(
        self, in_channels: int, num_classes: int, batch_norm: bool = True, dropout: float = 0.7
    ) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((4, 4))
        self.conv = _conv(in_channels, 128, 1, batch_norm=batch_norm)
        self.fc1 = nn.Linear(2048, 1024)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(check_dropout(dropout))
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(self.pool(x)).flatten(1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNetOutputs(NamedTuple):
    logits: Tensor
    aux_logits2: Tensor | None
    aux_logits1: Tensor | None


#: (c1, c2, c3, c4) of the nine Inception blocks, the paper's Table 1.
GOOGLENET_BLOCKS = OrderedDict(
    [
        ("inception3a", (64, (96, 128), (16, 32), 32)),
        ("inception3b", (128, (128, 192), (32, 96), 64)),
        ("inception4a", (192, (96, 208), (16, 48), 64)),
        ("inception4b", (160, (112, 224), (24, 64), 64)),
        ("inception4c", (128, (128, 256), (24, 64), 64)),
        ("inception4d", (112, (144, 288), (32, 64), 64)),
        ("inception4e", (256, (160, 320), (32, 128), 128)),
        ("inception5a", (256, (160, 320), (32, 128), 128)),
        ("inception5b", (384, (192, 384), (48, 128), 128)),
    ]
)


class GoogLeNet(nn.Module):
    """Full-size GoogLeNet (22 layers with parameters) for 224x224 images.

    ``torchvision_compatible=True`` (default): torchvision's layers, parameter for parameter.
    ``False``: the paper's net (conv biases, no BN, 5x5 convs, LRN after the first pooling and
    after conv 3x3, dropout 0.4). ``aux_logits=True`` adds the two auxiliary classifiers after
    4a and 4d; in training mode the forward then returns ``GoogLeNetOutputs(logits,
    aux_logits2, aux_logits1)``. ``transform_input=True`` first maps an image normalised with
    ImageNet's mean and std to one normalised to [-1, 1], as torchvision's ImageNet weights expect.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        aux_logits: bool = False,
        torchvision_compatible: bool = True,
        dropout: float | None = None,
        dropout_aux: float = 0.7,
        transform_input: bool = False,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        if transform_input and in_channels != 3:
            raise ValueError(f"transform_input=True needs in_channels=3 (RGB), got in_channels={in_channels}")
        self.transform_input = bool(transform_input)
        self.aux_logits = aux_logits
        self.torchvision_compatible = torchvision_compatible
        bn = torchvision_compatible
        k5 = 3 if torchvision_compatible else 5
        if dropout is None:
            dropout = 0.2 if torchvision_compatible else 0.4
        lrn = (lambda: nn.Identity()) if bn else (lambda: nn.LocalResponseNorm(**GOOGLENET_LRN))

        self.stem = nn.Sequential(
            OrderedDict(
                [
                    ("conv1", _conv(in_channels, 64, 7, batch_norm=bn, stride=2, padding=3)),
                    ("pool1", nn.MaxPool2d(3, stride=2, ceil_mode=True)),
                    ("lrn1", lrn()),
                    ("conv2", _conv(64, 64, 1, batch_norm=bn)),
                    ("conv3", _conv(64, 192, 3, batch_norm=bn, padding=1)),
                    ("lrn2", lrn()),
                    ("pool2", nn.MaxPool2d(3, stride=2, ceil_mode=True)),
                ]
            )
        )
        blocks = {}
        c = 192
        for name, (c1, c2, c3, c4) in GOOGLENET_BLOCKS.items():
            blocks[name] = Inception(c, c1, c2, c3, c4, batch_norm=bn, c3_kernel_size=k5)
            c = blocks[name].out_channels
        self.inception3a, self.inception3b = blocks["inception3a"], blocks["inception3b"]
        self.pool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a, self.inception4b = blocks["inception4a"], blocks["inception4b"]
        self.inception4c, self.inception4d = blocks["inception4c"], blocks["inception4d"]
        self.inception4e = blocks["inception4e"]
        # torchvision pools 2x2 here, the paper 3x3 stride 2; both give 7x7 from 14x14.
        self.pool4 = (
            nn.MaxPool2d(2, stride=2, ceil_mode=True) if bn else nn.MaxPool2d(3, stride=2, ceil_mode=True)
        )
        self.inception5a, self.inception5b = blocks["inception5a"], blocks["inception5b"]
        if aux_logits:
            self.aux1: InceptionAux | None = InceptionAux(512, num_classes, bn, dropout_aux)
            self.aux2: InceptionAux | None = InceptionAux(528, num_classes, bn, dropout_aux)
        else:
            self.aux1 = self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(check_dropout(dropout))
        self.fc = nn.Linear(1024, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        torchvision_names.install(self, "GoogLeNet")

    def _transform_input(self, x: Tensor) -> Tensor:
        # torchvision's arithmetic, term for term, so that its weights give its logits exactly.
        x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
        x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
        x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
        return torch.cat((x_ch0, x_ch1, x_ch2), 1)

    def forward(self, x: Tensor):
        check_input(x, self.in_channels, type(self).__name__)
        if self.transform_input:
            x = self._transform_input(x)
        x = self.stem(x)
        x = self.pool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.pool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(
    num_classes: int = 1000,
    in_channels: int = 3,
    *,
    weights=None,
    progress: bool = True,
    aux_logits: bool = False,
    transform_input: bool | None = None,
    **kwargs,
) -> GoogLeNet:
    """torchvision's GoogLeNet; ``weights="DEFAULT"`` loads its ImageNet weights.

    As torchvision's builder does, real weights are loaded into a net with both auxiliary
    heads (the state dict has them), which are then dropped unless ``aux_logits=True`` (they
    are not trained further than the main head), and ``transform_input`` defaults to True
    (the weights were trained on inputs in [-1, 1]); without weights it defaults to False.
    """
    weights = pretrained.torchvision_weights("googlenet", weights)
    pretrained.check_weights_args("googlenet", weights, num_classes, in_channels)
    if transform_input is None:
        transform_input = weights is not None
    model = pretrained.build_with_weights(
        "googlenet",
        weights,
        progress,
        lambda: GoogLeNet(
            num_classes,
            in_channels,
            aux_logits=aux_logits or weights is not None,
            transform_input=transform_input,
            **kwargs,
        ),
    )
    if weights is not None and not aux_logits:
        model.aux_logits = False
        model.aux1 = model.aux2 = None
    return model


#: (c1, c2, c3, c4) of SmallGoogLeNet's blocks at width=16: GoogLeNet's 3a, 3b, 4a, 4e, 5b at a quarter width.
InceptionChannels = tuple[int, tuple[int, int], tuple[int, int], int]
"""An Inception block's (#1x1, (#3x3 reduce, #3x3), (#5x5 reduce, #5x5), pool proj)."""

SMALL_BLOCKS: tuple[tuple[str, InceptionChannels] | str, ...] = (
    ("inception_a", (16, (24, 32), (4, 8), 8)),
    ("inception_b", (32, (32, 48), (8, 24), 16)),
    "pool",
    ("inception_c", (48, (24, 52), (4, 12), 16)),
    ("inception_d", (64, (40, 80), (8, 32), 32)),
    "pool",
    ("inception_e", (96, (48, 96), (12, 32), 32)),
)


class SmallGoogLeNet(nn.Module):
    """GoogLeNet scaled down for 16x16 and 32x32 images.

    A stem of one 3x3 conv (``3*width`` channels) and a 3x3/2 max pool, then Inception blocks
    with GoogLeNet's branch proportions (3a, 3b | pool | 4a, 4e | pool | 5b, channel counts
    scaled by ``width/64``),
    global average pooling, dropout and one FC layer. ``batch_norm=True`` (default) puts BN
    after every conv, as torchvision does, so the small net trains quickly. ``reductions=False``
    builds every block naive (no 1x1 reductions before its 3x3 and 5x5 convolutions);
    ``pool_projection=False`` also passes each block's pooled input on unprojected, so that with
    both the blocks are the paper's Figure 2a and the channels grow block by block.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 16,
        batch_norm: bool = True,
        dropout: float = 0.2,
        reductions: bool = True,
        pool_projection: bool = True,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("width", width)

        def scale(n: int) -> int:
            return max(1, round(n * width / 16))

        stem_channels = scale(48)
        # Like GoogLeNet's own stem, shrink the image before the (costly) Inception blocks.
        self.stem = nn.Sequential(
            _conv(in_channels, stem_channels, 3, padding=1, batch_norm=batch_norm),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c = stem_channels
        pools = 0
        for item in SMALL_BLOCKS:
            if isinstance(item, str):  # "pool"
                pools += 1
                layers[f"pool{pools}"] = nn.MaxPool2d(3, stride=2, padding=1)
                continue
            name, (c1, c2, c3, c4) = item
            block = Inception(
                c,
                scale(c1),
                (scale(c2[0]), scale(c2[1])),
                (scale(c3[0]), scale(c3[1])),
                scale(c4),
                batch_norm=batch_norm,
                reductions=reductions,
                pool_projection=pool_projection,
            )
            layers[name] = block
            c = block.out_channels
        self.blocks = nn.Sequential(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(check_dropout(dropout))
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        x = self.blocks(self.stem(x))
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))
