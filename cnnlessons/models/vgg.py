"""VGGNet (Simonyan and Zisserman 2014): depth from repeated blocks of 3x3 convolutions.

Also the classifier as convolutions: :func:`fc_to_conv` turns the fully connected head into a
kxk convolution followed by 1x1 convolutions with the same weights, so the network becomes
fully convolutional and yields a class-score map on images larger than the training size
(the paper's dense evaluation).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..layers import check_dropout, check_input, check_positive_int
from ..measure import stacked_receptive_field
from . import pretrained, torchvision_names

__all__ = [
    "VGG",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "VGGBlock",
    "FCHead",
    "ConvHead",
    "SmallVGG",
    "KernelModel",
    "fc_to_conv",
    "VGG_CONFIGS",
]

#: (number of 3x3 convs, output channels) of each block; the letters are the paper's Table 1.
VGG_CONFIGS: dict[str, tuple[tuple[int, int], ...]] = {
    "vgg11": ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)),  # A
    "vgg13": ((2, 64), (2, 128), (2, 256), (2, 512), (2, 512)),  # B
    "vgg16": ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)),  # D
    "vgg19": ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512)),  # E
}


class VGGBlock(nn.Sequential):
    """``num_convs`` x (3x3 conv, padding 1, with bias, ReLU), then 2x2 max pooling, stride 2."""

    def __init__(self, num_convs: int, in_channels: int, out_channels: int) -> None:
        check_positive_int("num_convs", num_convs)
        check_positive_int("in_channels", in_channels)
        check_positive_int("out_channels", out_channels)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c = in_channels
        for i in range(1, num_convs + 1):
            layers[f"conv{i}"] = nn.Conv2d(c, out_channels, kernel_size=3, padding=1)
            layers[f"relu{i}"] = nn.ReLU(inplace=True)
            c = out_channels
        layers["pool"] = nn.MaxPool2d(kernel_size=2, stride=2)
        super().__init__(layers)
        self.num_convs = num_convs
        self.in_channels = in_channels
        self.out_channels = out_channels


class _Head(nn.Sequential):
    """The three layers of VGG's classifier, each of the first two followed by ReLU and dropout."""

    def __init__(
        self,
        kind: str,
        layers: Sequence[nn.Module],
        in_channels: int,
        spatial: int,
        hidden: int,
        num_classes: int,
        dropout: float,
        flatten: bool = False,
    ) -> None:
        items: list[tuple[str, nn.Module]] = [("flatten", nn.Flatten(1))] if flatten else []
        for i, layer in enumerate(layers, start=1):
            items.append((f"{kind}{i}", layer))
            if i < len(layers):
                items += [(f"relu{i}", nn.ReLU(inplace=True)), (f"drop{i}", nn.Dropout(dropout))]
        super().__init__(OrderedDict(items))
        self.in_channels, self.spatial, self.hidden, self.num_classes, self.dropout = (
            in_channels,
            spatial,
            hidden,
            num_classes,
            dropout,
        )


def _check_head(in_channels: int, spatial: int, hidden: int, num_classes: int, dropout: float) -> float:
    """Validate the arguments both classifier heads take; the checked dropout."""
    for name, value in (
        ("in_channels", in_channels),
        ("spatial", spatial),
        ("hidden", hidden),
        ("num_classes", num_classes),
    ):
        check_positive_int(name, value)
    return check_dropout(dropout)


class FCHead(_Head):
    """VGG's classifier: flatten, then Linear(C*s*s, hidden) - ReLU - Dropout - Linear(hidden,
    hidden) - ReLU - Dropout - Linear(hidden, num_classes), for a C x s x s feature map."""

    fc1: nn.Linear

    def __init__(
        self,
        in_channels: int = 512,
        spatial: int = 7,
        hidden: int = 4096,
        num_classes: int = 1000,
        dropout: float = 0.5,
    ) -> None:
        dropout = _check_head(in_channels, spatial, hidden, num_classes, dropout)
        layers = [
            nn.Linear(in_channels * spatial * spatial, hidden),
            nn.Linear(hidden, hidden),
            nn.Linear(hidden, num_classes),
        ]
        super().__init__("fc", layers, in_channels, spatial, hidden, num_classes, dropout, flatten=True)


class ConvHead(_Head):
    """The same classifier as convolutions: conv s x s (C -> hidden) - ReLU - Dropout - 1x1 conv
    - ReLU - Dropout - 1x1 conv -> num_classes. On an s x s feature map it gives a 1x1 score
    map equal to :class:`FCHead`'s output; on an H x W map an (H-s+1) x (W-s+1) class-score map.
    """

    def __init__(
        self,
        in_channels: int = 512,
        spatial: int = 7,
        hidden: int = 4096,
        num_classes: int = 1000,
        dropout: float = 0.5,
    ) -> None:
        dropout = _check_head(in_channels, spatial, hidden, num_classes, dropout)
        layers = [
            nn.Conv2d(in_channels, hidden, kernel_size=spatial),
            nn.Conv2d(hidden, hidden, kernel_size=1),
            nn.Conv2d(hidden, num_classes, kernel_size=1),
        ]
        super().__init__("conv", layers, in_channels, spatial, hidden, num_classes, dropout)

    def class_scores(self, x: Tensor) -> Tensor:
        """Class scores for the whole image: the score map averaged over its positions."""
        return self(x).mean(dim=(2, 3))


def _linear_to_conv(linear: nn.Linear, in_channels: int, kernel_size: int) -> nn.Conv2d:
    if linear.in_features != in_channels * kernel_size * kernel_size:
        raise ValueError(
            f"a Linear with in_features={linear.in_features} cannot read a {in_channels} x {kernel_size} x "
            f"{kernel_size} feature map; check in_channels and spatial"
        )
    conv = nn.Conv2d(in_channels, linear.out_features, kernel_size, bias=linear.bias is not None)
    conv = conv.to(device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        # Flatten order of a (C, H, W) map is the order of a conv kernel's (C, kh, kw) axes.
        conv.weight.copy_(linear.weight.reshape(linear.out_features, in_channels, kernel_size, kernel_size))
        if linear.bias is not None and conv.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


def fc_to_conv(
    fc_head: nn.Sequential, in_channels: int | None = None, spatial: int | None = None
) -> nn.Sequential:
    """Copy a fully connected head into convolutions (VGG's fully convolutional evaluation).

    The first Linear becomes a ``spatial x spatial`` convolution over ``in_channels`` channels,
    the later ones 1x1 convolutions; ReLU/Dropout are kept, Flatten is dropped. An
    :class:`FCHead` knows its sizes and gives a :class:`ConvHead`; any other ``nn.Sequential``
    of Linear/ReLU/Dropout/Flatten (e.g. torchvision's ``vgg16().classifier``, with
    ``in_channels=512, spatial=7``) needs ``in_channels`` and ``spatial`` and gives an
    ``nn.Sequential``. The outputs equal the FC head's on the training size.
    """
    if isinstance(fc_head, FCHead):
        in_channels = fc_head.in_channels if in_channels is None else in_channels
        spatial = fc_head.spatial if spatial is None else spatial
    if in_channels is None or spatial is None:
        raise ValueError("fc_to_conv needs in_channels and spatial for a head that is not an FCHead")
    check_positive_int("in_channels", in_channels)
    check_positive_int("spatial", spatial)
    if not isinstance(fc_head, nn.Sequential):
        raise TypeError(f"fc_head must be an nn.Sequential (e.g. an FCHead), got {type(fc_head).__name__}")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    first = True
    conv_index = 0
    for name, module in fc_head.named_children():
        if isinstance(module, nn.Flatten):
            continue
        if isinstance(module, nn.Linear):
            conv_index += 1
            if first:
                conv = _linear_to_conv(module, in_channels, spatial)
                first = False
            else:
                conv = _linear_to_conv(module, module.in_features, 1)
            layers[f"conv{conv_index}" if isinstance(fc_head, FCHead) else name] = conv
        elif isinstance(module, (nn.ReLU, nn.Dropout, nn.Identity)):
            layers[name] = copy.deepcopy(module)
        else:
            raise TypeError(
                "fc_to_conv can convert Linear, ReLU, Dropout "
                f"and Flatten layers, got {type(module).__name__}"
            )
    if first:
        raise ValueError("fc_head has no Linear layer to convert")
    if isinstance(fc_head, FCHead):
        head = ConvHead(
            fc_head.in_channels, fc_head.spatial, fc_head.hidden, fc_head.num_classes, fc_head.dropout
        )
        head = head.to(device=fc_head.fc1.weight.device, dtype=fc_head.fc1.weight.dtype)
        head.load_state_dict(nn.Sequential(layers).state_dict())
        head.train(fc_head.training)
        return head
    return nn.Sequential(layers).train(fc_head.training)


ConfigType = str | Sequence[tuple[int, int]]


def _resolve_config(config: ConfigType) -> tuple[tuple[int, int], ...]:
    if isinstance(config, str):
        if config not in VGG_CONFIGS:
            raise ValueError(
                f"config must be one of {tuple(VGG_CONFIGS)} or "
                f"a list of (num_convs, channels), got {config!r}"
            )
        return VGG_CONFIGS[config]
    try:
        blocks = tuple((n, c) for n, c in config)
    except (TypeError, ValueError):
        raise ValueError(
            f"config must be a name or a list of (num_convs, channels) pairs, got {config!r}"
        ) from None
    if not blocks:
        raise ValueError("config must have at least one block")
    for i, (n, c) in enumerate(blocks):  # 1.5 convs must not become 1
        check_positive_int(f"config[{i}] num_convs", n)
        check_positive_int(f"config[{i}] channels", c)
    return blocks


def _init_vgg(model: nn.Module) -> None:
    # torchvision's VGG initialisation.
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.constant_(m.bias, 0)


class VGG(nn.Module):
    """VGG-11/13/16/19 without batch norm, parameter for parameter torchvision's models.

    ``config`` is ``"vgg11"``, ``"vgg13"``, ``"vgg16"``, ``"vgg19"`` or a list of
    ``(num_convs, out_channels)`` blocks. ``features`` is a Sequential of :class:`VGGBlock`,
    ``classifier`` an :class:`FCHead` on the 7x7 map that a 224x224 image gives.
    """

    def __init__(
        self,
        config: ConfigType = "vgg16",
        num_classes: int = 1000,
        in_channels: int = 3,
        dropout: float = 0.5,
        hidden: int = 4096,
        pool_size: int = 7,
        init_weights: bool = True,
    ) -> None:
        super().__init__()
        self.config = _resolve_config(config)
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("pool_size", pool_size)
        blocks = []
        c = in_channels
        for num_convs, out_channels in self.config:
            blocks.append(VGGBlock(num_convs, c, out_channels))
            c = out_channels
        self.features = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        self.classifier = FCHead(c, pool_size, hidden, num_classes, dropout)
        if init_weights:
            _init_vgg(self)
        torchvision_names.install(self, "VGG")

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        return self.classifier(self.avgpool(self.features(x)))

    def fully_convolutional(self) -> nn.Sequential:
        """features followed by the classifier as convolutions (shares the conv weights).

        On the training size (feature map = ``pool_size``) its 1x1 score map equals this
        model's output; a larger image gives a class-score map.
        """
        return nn.Sequential(OrderedDict(features=self.features, head=fc_to_conv(self.classifier)))


def _vgg(config: str, num_classes: int, in_channels: int, weights, progress: bool, **kwargs) -> VGG:
    weights = pretrained.torchvision_weights(config, weights)
    pretrained.check_weights_args(config, weights, num_classes, in_channels)
    return pretrained.build_with_weights(
        config, weights, progress, lambda: VGG(config, num_classes, in_channels, **kwargs)
    )


def vgg11(
    num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
) -> VGG:
    """VGG-11 (configuration A), torchvision's ``vgg11``; ``weights="DEFAULT"`` loads its ImageNet weights."""
    return _vgg("vgg11", num_classes, in_channels, weights, progress, **kwargs)


def vgg13(
    num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
) -> VGG:
    """VGG-13 (configuration B), torchvision's ``vgg13``; ``weights="DEFAULT"`` loads its ImageNet weights."""
    return _vgg("vgg13", num_classes, in_channels, weights, progress, **kwargs)


def vgg16(
    num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
) -> VGG:
    """VGG-16 (configuration D), torchvision's ``vgg16``; ``weights="DEFAULT"`` loads its ImageNet weights."""
    return _vgg("vgg16", num_classes, in_channels, weights, progress, **kwargs)


def vgg19(
    num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
) -> VGG:
    """VGG-19 (configuration E), torchvision's ``vgg19``; ``weights="DEFAULT"`` loads its ImageNet weights."""
    return _vgg("vgg19", num_classes, in_channels, weights, progress, **kwargs)


class SmallVGG(VGG):
    """VGG scaled down for 16x16 and 32x32 images.

    ``num_blocks`` :class:`VGGBlock` s of ``convs_per_block`` 3x3 convs each (an int or one
    count per block), widths ``width, 2*width, 4*width, ...`` (capped at ``8*width``), then
    adaptive average pooling to ``pool_size`` x ``pool_size`` (default 2) and an :class:`FCHead`
    with ``hidden`` (default ``8*width``) units. Depth = number of convs + 3 FC layers.

    ``image_size`` (instead of ``pool_size``) pools to the last feature map's own side,
    ``max(1, image_size // 2**num_blocks)`` (4 on 32x32, 2 on 16x16 with 3 blocks), so the
    average pooling is the identity and the head can be turned into convolutions exactly.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        num_blocks: int = 3,
        convs_per_block: int | Sequence[int] = 2,
        width: int = 16,
        hidden: int | None = None,
        dropout: float = 0.5,
        pool_size: int | None = None,
        image_size: int | None = None,
    ) -> None:
        check_positive_int("num_blocks", num_blocks)
        check_positive_int("width", width)
        if image_size is not None:
            if pool_size is not None:
                raise ValueError(f"give pool_size or image_size, not both (got {pool_size} and {image_size})")
            pool_size = max(1, check_positive_int("image_size", image_size) // 2**num_blocks)
        elif pool_size is None:
            pool_size = 2
        if isinstance(convs_per_block, int):
            counts = [convs_per_block] * num_blocks
        else:
            counts = list(convs_per_block)
            if len(counts) != num_blocks:
                raise ValueError(
                    "convs_per_block must be an int or give one count "
                    f"per block ({num_blocks}), got {convs_per_block}"
                )
        for n in counts:
            check_positive_int("convs_per_block", n)
        config = [(n, width * min(2**i, 8)) for i, n in enumerate(counts)]
        hidden = 8 * width if hidden is None else hidden
        super().__init__(config, num_classes, in_channels, dropout, hidden, pool_size, init_weights=True)
        # Small nets train better from PyTorch's default Linear init than from N(0, 0.01).
        for m in self.classifier.modules():
            if isinstance(m, nn.Linear):
                m.reset_parameters()


class KernelModel(nn.Sequential):
    """``num_layers`` kxk convolutions ``width`` -> ``width`` ('same' padding, BN, ReLU), then
    global average pooling and a linear classifier. In front, common to both models of a
    comparison: 2x2 average pooling (half resolution keeps the large kernels cheap) and a 1x1
    convolution from the image's channels to ``width`` (it sees one pixel, so the receptive
    field is the stack's alone, and the stack maps C -> C channels, as in 27C^2 against 49C^2)."""

    def __init__(
        self, kernel_size: int, num_layers: int, in_channels: int = 3, num_classes: int = 10, width: int = 16
    ) -> None:
        check_positive_int("kernel_size", kernel_size)
        check_positive_int("num_layers", num_layers)
        layers: OrderedDict[str, nn.Module] = OrderedDict(down=nn.AvgPool2d(2))
        layers["stem"] = nn.Conv2d(in_channels, width, 1, bias=False)
        layers["stem_bn"] = nn.BatchNorm2d(width)
        layers["stem_relu"] = nn.ReLU(inplace=True)
        c = width
        for i in range(1, num_layers + 1):
            layers[f"conv{i}"] = nn.Conv2d(c, width, kernel_size, padding=kernel_size // 2, bias=False)
            layers[f"bn{i}"] = nn.BatchNorm2d(width)
            layers[f"relu{i}"] = nn.ReLU(inplace=True)
            c = width
        layers["pool"] = nn.AdaptiveAvgPool2d(1)
        layers["flatten"] = nn.Flatten(1)
        layers["fc"] = nn.Linear(width, num_classes)
        super().__init__(layers)
        self.kernel_size, self.num_layers = kernel_size, num_layers

    @property
    def receptive_field(self) -> int:
        """In pixels of the half-resolution image the convolutions see."""
        return stacked_receptive_field(self.num_layers, self.kernel_size)

    @property
    def conv_weights(self) -> int:
        """Weights of the kxk stack (the 1x1 stem, common to both models, left out)."""
        return sum(
            m.weight.numel()
            for name, m in self.named_children()
            if isinstance(m, nn.Conv2d) and name != "stem"
        )
