"""AlexNet (Krizhevsky, Sutskever, Hinton 2012), full size and scaled down.

The paper split the network over two GPUs ("towers"): conv2, conv4 and conv5 only see the
channels of their own tower, which is a grouped convolution with ``groups=2``; conv3 and the
fully connected layers see both towers. ``AlexNet(groups=2)`` builds that variant on one
device; :mod:`cnnlessons.parallel` really runs the two halves on two devices.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from torch import Tensor, nn

from ..layers import (
    GroupedLRN,
    check_dropout,
    check_input,
    check_positive_int,
    check_sequence,
    deep_stack,
    make_activation,
)
from ..layers import overlapping_pool as _overlapping_pool
from . import pretrained, torchvision_names

__all__ = [
    "AlexNet",
    "alexnet",
    "SmallAlexNet",
    "Figure1CNN",
    "deep_stack",
    "PAPER_CHANNELS",
    "TORCHVISION_CHANNELS",
]

#: Conv widths of torchvision's ``alexnet`` (the "one weird trick" single-tower variant).
TORCHVISION_CHANNELS = (64, 192, 384, 256, 256)
#: Conv widths of the 2012 paper (two towers of 48/128/192/192/128).
PAPER_CHANNELS = (96, 256, 384, 384, 256)


def _check_groups(groups: int, channels: Sequence[int]) -> int:
    if isinstance(groups, bool) or not isinstance(groups, int) or groups not in (1, 2):
        raise ValueError(f"groups must be 1 (one tower) or 2 (the paper's two towers), got {groups!r}")
    if groups == 2 and any(c % 2 for c in channels):
        raise ValueError(f"groups=2 needs even channel counts, got channels={tuple(channels)}")
    return groups


class _AlexNetBase(nn.Module):
    """features -> avgpool -> flatten -> classifier, with named layers (conv1..conv5, fc6..fc8)."""

    features: nn.Sequential
    avgpool: nn.Module
    classifier: nn.Sequential
    in_channels: int
    num_classes: int
    groups: int

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_channels, type(self).__name__)
        x = self.features(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


def _features(
    in_channels: int,
    channels: Sequence[int],
    kernels: Sequence[tuple[int, int, int]],
    activation: str,
    lrn: bool,
    pool: Callable[[], nn.Module],
    groups: int,
) -> nn.Sequential:
    """Five convs; LRN after 1 and 2 (after the ReLU, as in the paper); pooling after 1, 2, 5."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c_in = in_channels
    for i, (c_out, (k, s, p)) in enumerate(zip(channels, kernels, strict=False), start=1):
        # conv1 sees the whole image and conv3 both towers; conv2, conv4, conv5 stay in their tower.
        g = groups if i in (2, 4, 5) else 1
        layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, k, stride=s, padding=p, groups=g)
        layers[f"{activation}{i}"] = make_activation(activation)
        if lrn and i in (1, 2):
            layers[f"lrn{i}"] = GroupedLRN(groups)  # the paper's constants, PAPER_LRN
        if i in (1, 2, 5):
            layers[f"pool{i}"] = pool()
        c_in = c_out
    return nn.Sequential(layers)


def _classifier(
    in_features: int, hidden: int, num_classes: int, dropout: float, activation: str
) -> nn.Sequential:
    act = activation
    return nn.Sequential(
        OrderedDict(
            [
                ("drop6", nn.Dropout(dropout)),
                ("fc6", nn.Linear(in_features, hidden)),
                (f"{act}6", make_activation(activation)),
                ("drop7", nn.Dropout(dropout)),
                ("fc7", nn.Linear(hidden, hidden)),
                (f"{act}7", make_activation(activation)),
                ("fc8", nn.Linear(hidden, num_classes)),
            ]
        )
    )


class AlexNet(_AlexNetBase):
    """Full-size AlexNet for 224x224 ImageNet images.

    The defaults give torchvision's ``alexnet`` layer for layer (61,100,840 parameters).
    ``groups=2`` makes conv2, conv4 and conv5 grouped convolutions (the paper's two towers);
    ``channels=PAPER_CHANNELS, groups=2`` is the 2012 paper's net (60,965,224 parameters).
    ``lrn=True`` adds local response normalisation after conv1 and conv2 with the paper's
    constants (``PAPER_LRN``: size 5, the paper's alpha 1e-4 (5e-4 in PyTorch's convention),
    beta 0.75, k 2), applied per tower when ``groups=2``; ``use_lrn`` is an older name for ``lrn``.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        dropout: float = 0.5,
        groups: int = 1,
        lrn: bool = False,
        channels: Sequence[int] = TORCHVISION_CHANNELS,
        hidden: int = 4096,
        use_lrn: bool | None = None,
    ) -> None:
        super().__init__()
        if use_lrn is not None:
            if lrn and not use_lrn:
                raise ValueError(f"lrn={lrn} and its older name use_lrn={use_lrn} disagree; pass lrn only")
            lrn = use_lrn
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        channels = tuple(check_sequence("channels", channels))
        if len(channels) != 5:
            raise ValueError(f"channels must list 5 conv widths, got {channels}")
        for c in channels:
            check_positive_int("channels", c)
        self.groups = _check_groups(groups, channels)
        check_positive_int("hidden", hidden)
        kernels = [(11, 4, 2), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1)]
        self.features = _features(in_channels, channels, kernels, "relu", lrn, _overlapping_pool, groups)
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _classifier(
            channels[-1] * 6 * 6, hidden, num_classes, check_dropout(dropout), "relu"
        )
        torchvision_names.install(self, "AlexNet")


def alexnet(
    num_classes: int = 1000, in_channels: int = 3, *, weights=None, progress: bool = True, **kwargs
) -> AlexNet:
    """torchvision's AlexNet; ``weights="DEFAULT"`` (or a torchvision enum name or member) loads
    torchvision's ImageNet weights (see :mod:`.pretrained`)."""
    weights = pretrained.torchvision_weights("alexnet", weights)
    pretrained.check_weights_args("alexnet", weights, num_classes, in_channels)
    return pretrained.build_with_weights(
        "alexnet", weights, progress, lambda: AlexNet(num_classes, in_channels, **kwargs)
    )


class SmallAlexNet(_AlexNetBase):
    """AlexNet scaled down for 16x16 and 32x32 images (digits, CIFAR-10).

    Same plan as the paper: five convs (5x5, 5x5, then three 3x3) with pooling after conv1,
    conv2 and conv5, and three fully connected layers with dropout. Widths are
    ``(w, 2w, 4w, 4w, 2w)`` for ``width=w``, the hidden FC width is ``hidden`` (default ``8w``;
    dropout needs redundant units, and the lesson's dropout experiment widens it).

    ``overlapping_pool=True`` pools 3x3 with stride 2 (padding 1), ``False`` pools 2x2 with
    stride 2; both halve the size, so the two settings differ only in the window overlap.
    ``activation`` ("relu", "tanh", "sigmoid") is used after every conv and hidden FC layer.
    The feature map is average-pooled to 2x2 before the classifier, so any input of at least
    16x16 works.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        activation: str = "relu",
        lrn: bool = False,
        overlapping_pool: bool = True,
        dropout: float = 0.5,
        groups: int = 1,
        width: int = 16,
        hidden: int | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.in_channels = check_positive_int("in_channels", in_channels)
        check_positive_int("width", width)
        make_activation(activation)
        channels = (width, 2 * width, 4 * width, 4 * width, 2 * width)
        self.groups = _check_groups(groups, channels)
        self.activation = activation
        if overlapping_pool:
            pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, padding=1)  # noqa: E731
        else:
            pool = lambda: nn.MaxPool2d(kernel_size=2, stride=2)  # noqa: E731
        kernels = [(5, 1, 2), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1)]
        self.features = _features(in_channels, channels, kernels, activation, lrn, pool, groups)
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        hidden = 8 * width if hidden is None else check_positive_int("hidden", hidden)
        self.classifier = _classifier(
            channels[-1] * 4, hidden, num_classes, check_dropout(dropout), activation
        )


class Figure1CNN(nn.Sequential):
    """A four-layer CNN like the paper's Figure 1 network (the paper does not give its layers):
    three 5x5 convolutions of ``width``, ``width`` and ``2*width`` channels (32, 32, 64), each
    followed by the activation and 3x3 max pooling with stride 2, then one fully connected
    layer. Only ``activation`` changes between the figure's two runs (ReLU against tanh).

    ``extra_convs`` adds that many 3x3 convolutions (same width, each with the activation) after
    each 5x5 one: the deeper variant, without normalisation, where the activation matters more."""

    def __init__(
        self,
        activation: str = "relu",
        in_channels: int = 3,
        num_classes: int = 10,
        width: int = 32,
        extra_convs: int = 0,
    ) -> None:
        make_activation(activation)  # validates the name
        if isinstance(extra_convs, bool) or not isinstance(extra_convs, int) or extra_convs < 0:
            raise ValueError(f"extra_convs must be an integer >= 0, got {extra_convs!r}")
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        c = in_channels
        for i, out in enumerate((width, width, 2 * width), start=1):
            layers[f"conv{i}"] = nn.Conv2d(c, out, 5, padding=2)
            layers[f"{activation}{i}"] = make_activation(activation)
            for j in range(1, extra_convs + 1):
                layers[f"conv{i}_{j}"] = nn.Conv2d(out, out, 3, padding=1)
                layers[f"{activation}{i}_{j}"] = make_activation(activation)
            layers[f"pool{i}"] = nn.MaxPool2d(3, stride=2, padding=1)
            c = out
        layers["avgpool"] = nn.AdaptiveAvgPool2d(2)
        layers["flatten"] = nn.Flatten(1)
        layers["fc"] = nn.Linear(4 * c, num_classes)
        super().__init__(layers)
        self.activation = activation
