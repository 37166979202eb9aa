"""Exercises of lesson 07 (what came next): a grouped convolution's parameters, MobileNet's depthwise
separable block and SENet's squeeze-and-excitation block."""

from __future__ import annotations

import collections
import random
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...exercises.blocks import BlockSpec, check_block, ref_conv
from ...exercises.core import ExerciseFailed, NotAttempted, exercise
from ...exercises.functions import (
    Case,
    Mistake,
    check_function,
    describe_value,
    fresh_rng,
    seeded_rng,
    show_call,
)

LESSON = "07_what_came_next"


# --- grouped_params --------------------------------------------------------------------------


def _grouped_params(
    kernel_size: int, in_channels: int, out_channels: int, groups: int, bias: bool = True
) -> int:
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )
    return kernel_size * kernel_size * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def _random_grouped_case(rng: random.Random) -> Case:
    k = rng.choice([1, 3, 5, 7, rng.randint(1, 11)])
    groups = rng.choice([1, 2, 4, 8, 32, rng.randint(2, 16)])
    if rng.random() < 0.2:  # depthwise: one group per channel
        c = groups * rng.randint(1, 4)
        groups = c
        c_in = c_out = c
    else:
        c_in, c_out = groups * rng.randint(1, 24), groups * rng.randint(1, 24)
    form = rng.randrange(3)
    if form == 0:
        return Case((k, c_in, c_out, groups))
    if form == 1:
        return Case((k, c_in, c_out, groups, rng.random() < 0.5))
    return Case((k, c_in, c_out, groups), {"bias": rng.random() < 0.5})


def _random_bad_groups(rng: random.Random) -> Case:
    """``groups`` divides at most one of the channel counts."""
    k, groups = rng.choice([1, 3, 5]), rng.randint(2, 12)
    fits, misfits = groups * rng.randint(1, 16), groups * rng.randint(1, 16) + rng.randint(1, groups - 1)
    c_in, c_out = (fits, misfits) if rng.random() < 0.5 else (misfits, fits)
    return Case((k, c_in, c_out, groups))


_GROUPED_MISTAKES = [
    Mistake(
        lambda k, i, o, g, bias=True: k * k * i * o + (o if bias else 0),
        "Each group's filters see only that group's in_channels / groups input channels: divide by groups",
    ),
    Mistake(
        lambda k, i, o, g, bias=True: k * k * (i // g) * (o // g) + (o if bias else 0),
        "Divide the input channels by groups, not the output channels too: the groups together still "
        "make out_channels filters, each with kernel_size^2 * in_channels / groups weights",
    ),
    Mistake(
        lambda k, i, o, g, bias=True: k * k * (i // g) * o,
        "With bias=True each output channel has one bias, and it counts as a parameter",
    ),
    Mistake(
        lambda k, i, o, g, bias=True: k * k * (i // g) * o + o,
        "With bias=False the convolution has no biases to count",
    ),
    Mistake(
        lambda k, i, o, g, bias=True: k * k * (i // g) * o + (g if bias else 0),
        "There is one bias per output channel, not one per group",
    ),
    Mistake(
        lambda k, i, o, g, bias=True: k * (i // g) * o + (o if bias else 0),
        "The kernel is kernel_size x kernel_size: kernel_size squared weights per input-output channel pair",
    ),
]


def _explain_grouped(case: Case, got: Any, expected: Any) -> str:
    out_channels = case.args[2]
    if isinstance(got, int) and abs(got - expected) == out_channels:
        return f"off by exactly the {out_channels} biases: look at the bias term"
    return ""


def _expect_value_error(answer: Any, case: Case) -> None:
    """``answer(*case)`` must raise a ValueError: its groups do not divide both channel counts."""
    __tracebackhide__ = True
    what = show_call("grouped_params", case)
    why = (
        f"groups={case.args[3]} does not divide both in_channels={case.args[1]} and "
        f"out_channels={case.args[2]}, so no grouped convolution has these shapes: raise a ValueError"
    )
    try:
        got = answer(*case.args, **case.kwargs)
    except ValueError:
        return
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as error:
        raise ExerciseFailed(f"{what} raised {type(error).__name__}, not ValueError; {why}") from None
    raise ExerciseFailed(f"{what} returned {describe_value(got)}; {why}")


@exercise(
    "next.grouped_params",
    lesson=LESSON,
    kind="function",
    signature="grouped_params(kernel_size, in_channels, out_channels, groups, bias=True) -> int",
    description="kernel_size^2 * (in_channels / groups) * out_channels, plus out_channels with bias; "
    "ValueError when groups does not divide both channel counts",
)
def check_grouped_params(answer: Any) -> int:
    fixed = [
        Case((3, 64, 64, 1), show_expected=True),
        Case((5, 96, 256, 2), show_expected=True),  # AlexNet's conv2, two towers
        Case((3, 128, 128, 32), {"bias": False}, show_expected=True),  # ResNeXt's 32x4d 3x3
        Case((3, 32, 32, 32), show_expected=True),  # depthwise
        Case((1, 8, 16, 4, False), show_expected=True),
    ]
    tried = check_function(
        answer,
        name="grouped_params",
        reference=_grouped_params,
        fixed=fixed,
        random_case=_random_grouped_case,
        mistakes=_GROUPED_MISTAKES,
        explain=_explain_grouped,
    )
    bad = [Case((3, 6, 8, 4)), Case((3, 8, 6, 4)), Case((1, 3, 3, 2), {"bias": False})]
    bad += [_random_bad_groups(seeded_rng()) for _ in range(5)]
    fresh = fresh_rng()
    bad += [_random_bad_groups(fresh) for _ in range(5)]
    for case in bad:
        _expect_value_error(answer, case)
    return tried + len(bad)


# --- the depthwise separable block -------------------------------------------------------------


class _DepthwiseSeparable(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, variant: str = "ok") -> None:
        super().__init__()
        dw_stride, pw_stride = (1, stride) if variant == "stride_pointwise" else (stride, 1)
        self.depthwise = ref_conv(
            in_channels, in_channels, 3, dw_stride, 1, bias_optional=True, groups=in_channels
        )
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.pointwise = ref_conv(in_channels, out_channels, 1, pw_stride, bias_optional=True)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        y = self.bn1(self.depthwise(x))
        if self.variant != "no_inner_relu":
            y = F.relu(y)
        return F.relu(self.bn2(self.pointwise(y)))


def _separable_input(args: tuple) -> tuple[int, ...]:
    return (4, args[0], 8, 8)


def _strided(size: int, stride: int) -> int:
    return (size - 1) // stride + 1


def _separable_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    in_channels, out_channels, stride = (*args, 1)[:3]
    if len(got) != 4:
        return "the block keeps the batch, channel, height and width dimensions"
    if got[1] != expected[1]:
        if got[1] == in_channels:
            return "the 1x1 pointwise convolution maps the in_channels to out_channels"
        return "the block outputs out_channels channels"
    if got[2:] != expected[2:]:
        if stride != 1 and got[2] == _separable_input(args)[2]:
            return "the stride belongs on the depthwise 3x3 convolution"
        return "the depthwise 3x3 convolution has padding 1; only the stride changes height and width"
    return ""


def _separable_structure_hint(args: tuple, missing: collections.Counter, extra: collections.Counter) -> str:
    in_channels, out_channels = args[0], args[1]
    depthwise, pointwise = (in_channels, 1, 3, 3), (out_channels, in_channels, 1, 1)
    if depthwise in missing and (in_channels, in_channels, 3, 3) in extra:
        return (
            "the depthwise convolution has one 3x3 filter per channel (groups=in_channels): its weight "
            "has shape (in_channels, 1, 3, 3), not (in_channels, in_channels, 3, 3)"
        )
    if depthwise in missing and (out_channels, in_channels, 3, 3) in extra:
        return (
            "this is a full 3x3 convolution: the block splits it into a depthwise 3x3 "
            "(groups=in_channels) and a 1x1 pointwise convolution"
        )
    if depthwise in missing and (out_channels, 1, 3, 3) in extra:
        return "the depthwise 3x3 comes first, on the block's in_channels, then the 1x1 pointwise"
    if pointwise in missing:
        return "after the depthwise 3x3 a 1x1 convolution maps in_channels to out_channels"
    if any(isinstance(k, tuple) and k[0] == "bn" for k in missing):
        return "each of the two convolutions is followed by BatchNorm, then ReLU"
    return ""


SEPARABLE_SPEC = BlockSpec(
    name="DepthwiseSeparable",
    arg_names=("in_channels", "out_channels", "stride"),
    cases=[(4, 6, 1), (6, 8, 2), (5, 5, 1), (3, 7, 2), (6, 4)],
    input_shape=_separable_input,
    output_shape=lambda a, s: (s[0], a[1], *(_strided(n, (*a, 1)[2]) for n in s[2:])),
    reference=lambda a, v: _DepthwiseSeparable(*a, variant=v),
    wiring="3x3 depthwise conv (groups=in_channels, the stride, padding 1) - BN - ReLU - 1x1 conv -> "
    "out_channels - BN - ReLU",
    mistakes=(
        (
            "stride_pointwise",
            "the stride belongs on the depthwise 3x3 convolution, not on the 1x1: strided there, the "
            "BatchNorm after the 3x3 sees the whole map",
        ),
        ("no_inner_relu", "a ReLU follows the depthwise convolution's BatchNorm too"),
    ),
    shape_hint=_separable_shape_hint,
    structure_hint=_separable_structure_hint,
    nonnegative_hint="the block ends with a ReLU, after the pointwise convolution's BatchNorm (each "
    "convolution - BN - ReLU)",
)


@exercise(
    "next.depthwise_separable",
    lesson=LESSON,
    kind="class",
    signature="DepthwiseSeparable(in_channels, out_channels, stride=1)",
    description="3x3 depthwise conv (groups = in_channels, the stride, padding 1) - BN - ReLU - 1x1 conv "
    "-> out_channels - BN - ReLU (MobileNet's block)",
)
def check_depthwise_separable(answer: Any) -> int:
    return check_block(answer, SEPARABLE_SPEC)


# --- the squeeze-and-excitation block ------------------------------------------------------------


def _squeezed(channels: int, reduction: int) -> int:
    return max(1, channels // reduction)


class _SqueezeExcitation(nn.Module):
    def __init__(self, channels: int, reduction: int = 16, variant: str = "ok") -> None:
        super().__init__()
        squeezed = _squeezed(channels, reduction)
        self.reduce = ref_conv(channels, squeezed, 1, bias_optional=True)
        self.expand = ref_conv(squeezed, channels, 1, bias_optional=True)
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        pooled = F.adaptive_max_pool2d(x, 1) if self.variant == "max_pool" else F.adaptive_avg_pool2d(x, 1)
        inner = self.reduce(pooled)
        if self.variant == "swapped":
            gate = F.relu(self.expand(torch.sigmoid(inner)))
        else:
            if self.variant != "no_relu":
                inner = F.relu(inner)
            gate = self.expand(inner)
            if self.variant != "no_sigmoid":
                gate = torch.sigmoid(gate)
        return x + gate if self.variant == "added" else x * gate


def _se_args(args: tuple) -> tuple[int, int]:
    return args[0], (args[1] if len(args) > 1 else 16)


def _se_input(args: tuple) -> tuple[int, ...]:
    return (32, args[0], 3, 3)


def _se_make_input(args: tuple, generator: torch.Generator) -> Tensor:
    """Noise around an offset per image and channel: pooled, each channel still differs from image
    to image, so that no squeezed unit's ReLU is off for all of them (the gradient check)."""
    n, c, h, w = _se_input(args)
    return torch.randn(n, c, h, w, generator=generator) + 4 * torch.randn(n, c, 1, 1, generator=generator)


def _se_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    if len(got) == 4 and got[:2] == expected[:2] and got[2:] == (1, 1):
        return (
            "that is the gate itself: the block returns its input multiplied channel by channel by "
            "the gate, so the output has the input's shape"
        )
    if len(got) == 2 and got == expected[:2]:
        return (
            "that is the gate, one number per image and channel: multiply the input by it "
            "(reshaped to N x C x 1 x 1), so the output has the input's shape"
        )
    return "the output has the input's shape: the input, each channel scaled by its gate"


def _se_structure_hint(args: tuple, missing: collections.Counter, extra: collections.Counter) -> str:
    channels, reduction = _se_args(args)
    if (_squeezed(channels, reduction), channels, 1, 1) in missing:
        return (
            f"the squeeze goes from channels to max(1, channels // reduction) = "
            f"{_squeezed(channels, reduction)} units here, and back: two 1x1 convolutions (or Linear layers)"
        )
    return "the excitation is two 1x1 convolutions (or Linear layers): channels -> squeezed -> channels"


SE_SPEC = BlockSpec(
    name="SqueezeExcitation",
    arg_names=("channels", "reduction"),
    cases=[(16, 4), (14, 4), (6, 16), (32,), (12, 3)],
    input_shape=_se_input,
    make_input=_se_make_input,
    output_shape=lambda a, s: s,
    reference=lambda a, v: _SqueezeExcitation(*a, variant=v),
    wiring="global average pooling - 1x1 conv (or Linear) channels -> max(1, channels // reduction) - "
    "ReLU - 1x1 conv -> channels - sigmoid, then the input multiplied channel by channel by that gate",
    mistakes=(
        ("no_sigmoid", "the gate ends with a sigmoid, so that each channel is scaled by a number in (0, 1)"),
        ("added", "the input is multiplied by the gate, channel by channel, not added to it"),
        ("max_pool", "the squeeze is global average pooling, not max pooling"),
        ("no_relu", "a ReLU sits between the two 1x1 convolutions"),
        ("swapped", "the ReLU follows the first 1x1 convolution, the sigmoid the second"),
    ),
    shape_hint=_se_shape_hint,
    structure_hint=_se_structure_hint,
    linear_as_1x1=True,
)


@exercise(
    "next.se_block",
    lesson=LESSON,
    kind="class",
    signature="SqueezeExcitation(channels, reduction=16)",
    description="global average pooling - 1x1 conv (or Linear) channels -> max(1, channels // reduction) - "
    "ReLU - 1x1 conv -> channels - sigmoid; the input multiplied channel-wise by that gate; same shape out "
    "(at course widths the lesson uses a reduction of 4 or 8, and says why)",
)
def check_se_block(answer: Any) -> int:
    return check_block(answer, SE_SPEC)
