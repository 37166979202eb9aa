"""Small building blocks shared by the architectures.

Conv-BN-ReLU, AlexNet's overlapping pooling and per-tower LRN (with the paper's constants),
activation lookup by name, the output-size formula, the argument checks every model runs, and
the deep stack used for the "gradient size per layer" demonstration.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "GroupedLRN",
    "PAPER_LRN",
    "GOOGLENET_LRN",
    "check_dropout",
    "check_groups",
    "check_input",
    "check_positive_int",
    "check_sequence",
    "conv_bn_relu",
    "conv_output_size",
    "deep_stack",
    "make_activation",
    "overlapping_pool",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid")

#: AlexNet's local response normalisation (section 3.3), in ``nn.LocalResponseNorm``'s terms: a
#: window of n = 5 channels, k 2, beta 0.75 and the paper's alpha 1e-4. The paper divides by
#: (k + alpha * sum a^2)^beta, PyTorch by (k + alpha / n * sum a^2)^beta: PyTorch's alpha is
#: therefore 5 x 1e-4 for the paper's normalisation (alpha 1e-4 there would be five times weaker).
PAPER_LRN: Mapping[str, float] = MappingProxyType(dict(size=5, alpha=5e-4, beta=0.75, k=2.0))
#: The LRN of the course's GoogLeNet stem, PyTorch's alpha 1e-4 (the GoogLeNet paper gives no
#: constants; its Caffe model used alpha 1e-4 in Caffe's convention, which divides by n too).
GOOGLENET_LRN: Mapping[str, Any] = MappingProxyType(dict(size=5, alpha=1e-4, beta=0.75, k=2.0))


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``; else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return value


def check_groups(groups: object, in_channels: int, out_channels: int) -> int:
    """Return ``groups`` if it is an int >= 1 that divides both channel counts (a grouped
    convolution splits its input and its output channels into that many groups); else raise."""
    groups = check_positive_int("groups", groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups must divide in_channels and out_channels, got groups={groups} for "
            f"in_channels={in_channels}, out_channels={out_channels}"
        )
    return groups


def check_sequence(name: str, values: object) -> list:
    """Return ``values`` (a list, tuple, ...) as a list; a TypeError naming ``name`` otherwise."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of ints, got {type(values).__name__} {values!r}")
    return list(values)


def check_dropout(dropout: float) -> float:
    """Return ``dropout`` as a float if it is a probability in [0, 1); else raise naming it."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"dropout must be a probability in [0, 1), got {type(dropout).__name__} {dropout!r}")
    if not 0.0 <= float(dropout) < 1.0:  # NaN fails too
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    return float(dropout)


def check_input(x: Tensor, in_channels: int, model: str) -> None:
    """Raise a ValueError naming ``in_channels`` when ``x`` is not (N, in_channels, H, W)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{model} expects a Tensor of shape (N, {in_channels}, H, W), got {type(x).__name__}")
    if x.dim() != 4 or x.shape[1] != in_channels:
        raise ValueError(
            f"{model} was built with in_channels={in_channels} and expects input of shape "
            f"(N, {in_channels}, H, W), got {tuple(x.shape)}"
        )


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output side length of a convolution or pooling: floor((size + 2p - k) / s) + 1."""
    check_positive_int("size", size)
    check_positive_int("kernel_size", kernel_size)
    check_positive_int("stride", stride)
    check_positive_int("padding", padding, minimum=0)
    if kernel_size > size + 2 * padding:
        raise ValueError(
            f"kernel_size={kernel_size} is larger than the padded "
            f"input size + 2*padding = {size + 2 * padding}"
        )
    return (size + 2 * padding - kernel_size) // stride + 1


def make_activation(activation: str) -> nn.Module:
    """``"relu"``, ``"tanh"`` or ``"sigmoid"`` as a fresh module."""
    if activation == "relu":
        return nn.ReLU(inplace=True)
    if activation == "tanh":
        return nn.Tanh()
    if activation == "sigmoid":
        return nn.Sigmoid()
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _same_padding(kernel_size: int, padding: str | int) -> int:
    if isinstance(padding, str):
        if padding != "same":
            raise ValueError(f'padding must be "same" or an int >= 0, got {padding!r}')
        if kernel_size % 2 == 0:
            raise ValueError(
                f'padding="same" needs an odd kernel_size (1, 3, 5, ...), got kernel_size={kernel_size}'
            )
        return kernel_size // 2
    return check_positive_int("padding", padding, minimum=0)


def conv_bn_relu(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    padding: str | int = "same",
    batch_norm: bool = True,
    eps: float = 1e-5,
    groups: int = 1,
) -> nn.Sequential:
    """Conv2d -> BatchNorm2d -> ReLU (modules ``conv``, ``bn``, ``relu``), or Conv2d -> ReLU
    with ``batch_norm=False``.

    ``padding="same"`` keeps the spatial size at stride 1 (it pads kernel_size // 2, so the
    kernel must be odd). The conv has a bias only without BN: BN's shift makes it redundant.
    ``eps`` is BN's (torchvision's GoogLeNet uses 0.001). ``groups`` makes the convolution a
    grouped one (``groups=in_channels``: depthwise, MobileNet's); it must divide both channel counts.
    """
    check_positive_int("in_channels", in_channels)
    check_positive_int("out_channels", out_channels)
    check_positive_int("kernel_size", kernel_size)
    check_positive_int("stride", stride)
    check_groups(groups, in_channels, out_channels)
    pad = _same_padding(kernel_size, padding)
    layers: OrderedDict[str, nn.Module] = OrderedDict(
        conv=nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=pad,
            groups=groups,
            bias=not batch_norm,
        )
    )
    if batch_norm:
        layers["bn"] = nn.BatchNorm2d(out_channels, eps=eps)
    layers["relu"] = nn.ReLU(inplace=True)
    return nn.Sequential(layers)


def overlapping_pool(padding: int = 0) -> nn.MaxPool2d:
    """AlexNet's overlapping max pooling: 3x3 windows with stride 2 (neighbouring windows share a row)."""
    return nn.MaxPool2d(kernel_size=3, stride=2, padding=padding)


class GroupedLRN(nn.Module):
    """Local response normalisation applied inside each channel group separately.

    In the two-tower AlexNet each GPU normalises only its own channels, so the single-device
    model with ``groups=2`` must not let the LRN window cross the tower boundary. With
    ``groups=1`` this is exactly ``nn.LocalResponseNorm``.
    """

    def __init__(
        self,
        groups: int = 1,
        size: int = int(PAPER_LRN["size"]),
        alpha: float = PAPER_LRN["alpha"],
        beta: float = PAPER_LRN["beta"],
        k: float = PAPER_LRN["k"],
    ) -> None:
        super().__init__()
        self.groups = check_positive_int("groups", groups)
        self.lrn = nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)

    def forward(self, x: Tensor) -> Tensor:
        if self.groups == 1:
            return self.lrn(x)
        return torch.cat([self.lrn(part) for part in x.chunk(self.groups, dim=1)], dim=1)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


def deep_stack(
    depth: int,
    width: int = 64,
    activation: str = "relu",
    in_features: int | None = None,
    num_classes: int = 10,
    init: str = "default",
) -> nn.Sequential:
    """A plain MLP ``depth`` hidden layers deep, for the gradient-size-per-layer demo.

    Layers are named ``fc1, act1, fc2, act2, ..., out``. ``init``: ``"default"`` (PyTorch's
    uniform init), ``"kaiming"`` (He normal, the ReLU-preserving scale) or ``"xavier"``
    (Glorot normal); all layers get the same scheme whatever the activation, so the
    comparison only changes the nonlinearity.
    """
    check_positive_int("depth", depth)
    check_positive_int("width", width)
    check_positive_int("num_classes", num_classes)
    make_activation(activation)  # validates the name
    if init not in ("default", "kaiming", "xavier"):
        raise ValueError(f'init must be "default", "kaiming" or "xavier", got {init!r}')
    in_features = width if in_features is None else check_positive_int("in_features", in_features)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    fan_in = in_features
    for i in range(1, depth + 1):
        layers[f"fc{i}"] = nn.Linear(fan_in, width)
        layers[f"act{i}"] = make_activation(activation)
        fan_in = width
    layers["out"] = nn.Linear(fan_in, num_classes)
    stack = nn.Sequential(layers)
    if init != "default":
        for m in stack.modules():
            if isinstance(m, nn.Linear):
                if init == "kaiming":
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                else:
                    nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)
    return stack
