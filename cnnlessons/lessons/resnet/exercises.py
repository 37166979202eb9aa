"""Exercises of lesson 04 (ResNet): the residual block and the bottleneck block."""

from __future__ import annotations

import collections
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...exercises.blocks import BlockSpec, Probe, check_block, ref_conv
from ...exercises.core import ExerciseFailed, exercise
from ...i18n import N_, _

LESSON = "04_resnet"

_PROJECTION = N_(
    "when the shapes differ (in_channels != out_channels, or stride != 1) the shortcut is "
    "a projection: a 1x1 convolution with the block's stride, then BatchNorm"
)
_IDENTITY = N_(
    "when the shapes match (in_channels == out_channels and stride 1) the shortcut is the "
    "identity, which has no layers"
)


def _is_bn(key: Any) -> bool:
    return isinstance(key, tuple) and key[0] == "bn"


def _projection(in_channels: int, out_channels: int, stride: int) -> nn.Module | None:
    """The contract's shortcut, the models' ``shortcut="projection_where_needed"`` (option B):
    None (identity) when shapes match, else 1x1 conv (stride) + BN."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        ref_conv(in_channels, out_channels, 1, stride, bias_optional=True), nn.BatchNorm2d(out_channels)
    )


class _Residual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, variant: str) -> None:
        super().__init__()
        first, second = (1, stride) if variant == "stride_second" else (stride, 1)
        self.conv1 = ref_conv(in_channels, out_channels, 3, first, 1, bias_optional=True)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = ref_conv(out_channels, out_channels, 3, second, 1, bias_optional=True)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.projection = _projection(in_channels, out_channels, stride)
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        y = self.bn1(self.conv1(x))
        if self.variant != "no_mid_relu":
            y = F.relu(y)
        y = self.bn2(self.conv2(y))
        if self.variant == "relu_before_add":
            y = F.relu(y)
        shortcut = x if self.projection is None else self.projection(x)
        return F.relu(y + shortcut)


class _Bottleneck(nn.Module):
    def __init__(self, in_channels: int, mid_channels: int, stride: int, variant: str) -> None:
        super().__init__()
        out_channels = 4 * mid_channels
        strides = {"stride_first": (stride, 1, 1), "stride_last": (1, 1, stride)}.get(variant, (1, stride, 1))
        self.conv1 = ref_conv(in_channels, mid_channels, 1, strides[0], bias_optional=True)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.conv2 = ref_conv(mid_channels, mid_channels, 3, strides[1], 1, bias_optional=True)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        self.conv3 = ref_conv(mid_channels, out_channels, 1, strides[2], bias_optional=True)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.projection = _projection(in_channels, out_channels, stride)
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        mid_relu = (lambda t: t) if self.variant == "no_mid_relu" else F.relu
        y = F.relu(self.bn1(self.conv1(x)))
        y = mid_relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.variant == "relu_before_add":
            y = F.relu(y)
        shortcut = x if self.projection is None else self.projection(x)
        return F.relu(y + shortcut)


def _needs_projection(in_channels: int, out_channels: int, stride: int) -> bool:
    return stride != 1 or in_channels != out_channels


def _shortcut_hint(
    in_channels: int, out_channels: int, stride: int, missing: collections.Counter, extra: collections.Counter
) -> str:
    projection = _needs_projection(in_channels, out_channels, stride)
    projection_key = (out_channels, in_channels, 1, 1)
    if projection and projection_key in missing:
        return _(_PROJECTION)
    if not projection and projection_key in extra:
        return _(_IDENTITY)
    if any(_is_bn(k) for k in missing) and not any(not _is_bn(k) for k in missing):
        return _("every convolution is followed by BatchNorm, the projection shortcut's too")
    return ""


def _stride_shape_hint(stride: int, got: tuple, expected: tuple, input_shape: tuple) -> str:
    if len(got) != 4:
        return _("the block keeps the batch, channel, height and width dimensions")
    if got[2:] != expected[2:]:
        if stride != 1 and got[2:] == input_shape[2:]:
            return _(
                "with stride 2 the block halves height and width: the stride belongs on its "
                "first strided convolution and on the projection shortcut"
            )
        return _("the 3x3 convolutions have padding 1; only the stride changes height and width")
    return ""


def _identity_probe(probe: Probe) -> None:
    """With the residual branch switched off, an identity-shortcut block returns relu(x)."""
    if probe.reference.projection is not None:
        return
    with torch.no_grad():
        for _name, bn in probe.layers.norms:
            bn.weight.zero_()
            bn.bias.zero_()
    out = probe.run()
    if not out.any() and probe.x.gt(0).any():
        raise ExerciseFailed(
            _(
                "{label}: the output does not contain the shortcut: with every BatchNorm weight "
                "and bias set to zero (so the residual branch gives 0) the block returns zeros instead "
                "of relu(x). Add the input x, unchanged, after the last BatchNorm and before the final ReLU"
            ).format(label=probe.label)
        )


def _error_hint(in_channels: int, out_channels: int, stride: int, message: str) -> str:
    if "size of tensor" in message or "must match" in message:
        if _needs_projection(in_channels, out_channels, stride):
            return _("Adding tensors of different shapes: {hint}").format(hint=_(_PROJECTION))
        return _("Adding tensors of different shapes: the residual branch keeps the input's shape here")
    return ""


def _residual_input(args: tuple) -> tuple[int, ...]:
    return (4, args[0], 8, 8)


def _strided(size: int, stride: int) -> int:
    return (size - 1) // stride + 1


RESIDUAL_SPEC = BlockSpec(
    name="ResidualBlock",
    arg_names=("in_channels", "out_channels", "stride"),
    cases=[(4, 4, 1), (4, 6, 2), (4, 6, 1), (5, 5, 2)],
    input_shape=_residual_input,
    output_shape=lambda a, s: (s[0], a[1], _strided(s[2], a[2]), _strided(s[3], a[2])),
    reference=lambda a, v: _Residual(*a, variant=v),
    wiring=N_(
        "3x3 conv (with the stride, padding 1) - BN - ReLU - 3x3 conv (padding 1) - BN, then add "
        "the shortcut (x itself, or the projection 1x1 conv with the stride - BN of x), then ReLU"
    ),
    mistakes=(
        ("stride_second", N_("the stride belongs on the first 3x3 convolution, not the second")),
        ("no_mid_relu", N_("a ReLU follows the first BatchNorm")),
        (
            "relu_before_add",
            N_("the residual branch ends with BatchNorm: the ReLU comes after the addition, not before it"),
        ),
    ),
    shape_hint=lambda a, got, exp: (
        _("the block outputs out_channels channels")
        if len(got) == 4 and got[1] != exp[1]
        else _stride_shape_hint(a[2], got, exp, _residual_input(a))
    ),
    structure_hint=lambda a, missing, extra: _shortcut_hint(a[0], a[1], a[2], missing, extra),
    nonnegative_hint=N_("the block's last step is a ReLU, after the shortcut is added"),
    probes=(_identity_probe,),
    error_hint=lambda a, message: _error_hint(a[0], a[1], a[2], message),
)


@exercise(
    "resnet.residual_block",
    lesson=LESSON,
    kind="class",
    signature="ResidualBlock(in_channels, out_channels, stride=1)",
    description="3x3 conv (stride) - BN - ReLU - 3x3 conv - BN, added to the shortcut, then ReLU; "
    "the shortcut is the identity when shapes match, else a projection: 1x1 conv "
    "with that stride, then BN",
)
def check_residual_block(answer: Any) -> int:
    return check_block(answer, RESIDUAL_SPEC)


def _bottleneck_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    mid = args[1]
    if len(got) == 4 and got[1] != expected[1]:
        if got[1] == mid:
            return _("the last 1x1 convolution expands to 4 * mid_channels channels")
        return _("the block outputs 4 * mid_channels channels")
    return _stride_shape_hint(args[2], got, expected, _residual_input(args))


def _bottleneck_structure_hint(args: tuple, missing: collections.Counter, extra: collections.Counter) -> str:
    in_channels, mid, stride = args
    hint = _shortcut_hint(in_channels, 4 * mid, stride, missing, extra)
    if hint:
        return hint
    if (mid, mid, 3, 3) in missing:
        return _("between the two 1x1 convolutions sits a 3x3 convolution mid_channels -> mid_channels")
    return ""


BOTTLENECK_SPEC = BlockSpec(
    name="Bottleneck",
    arg_names=("in_channels", "mid_channels", "stride"),
    cases=[(16, 4, 1), (8, 4, 2), (16, 4, 2)],
    input_shape=_residual_input,
    output_shape=lambda a, s: (s[0], 4 * a[1], _strided(s[2], a[2]), _strided(s[3], a[2])),
    reference=lambda a, v: _Bottleneck(*a, variant=v),
    accepted=("stride_3x3", "stride_first"),
    wiring=N_(
        "1x1 conv -> mid_channels - BN - ReLU - 3x3 conv (padding 1) - BN - ReLU - 1x1 conv -> "
        "4*mid_channels - BN, then add the shortcut (x itself, or the projection 1x1 conv with the "
        "stride - BN of x), then ReLU; the stride sits on the 3x3 or on the first 1x1 convolution"
    ),
    mistakes=(
        (
            "stride_last",
            N_("the stride sits on the 3x3 convolution (or on the first 1x1), not on the last 1x1"),
        ),
        ("no_mid_relu", N_("a ReLU follows the first and the second BatchNorm")),
        (
            "relu_before_add",
            N_("the residual branch ends with BatchNorm: the ReLU comes after the addition, not before it"),
        ),
    ),
    shape_hint=_bottleneck_shape_hint,
    structure_hint=_bottleneck_structure_hint,
    nonnegative_hint=N_("the block's last step is a ReLU, after the shortcut is added"),
    probes=(_identity_probe,),
    error_hint=lambda a, message: _error_hint(a[0], 4 * a[1], a[2], message),
)


@exercise(
    "resnet.bottleneck_block",
    lesson=LESSON,
    kind="class",
    signature="Bottleneck(in_channels, mid_channels, stride=1)",
    description="1x1 -> mid - BN - ReLU - 3x3 - BN - ReLU - 1x1 -> 4*mid - BN, added to the "
    "shortcut (identity or projection as above), then ReLU; the stride may sit on "
    "the 3x3 or on the first 1x1",
)
def check_bottleneck_block(answer: Any) -> int:
    return check_block(answer, BOTTLENECK_SPEC)
