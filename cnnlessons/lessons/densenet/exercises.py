"""Exercises of lesson 05 (DenseNet): channel growth, the dense block and the transition block."""

from __future__ import annotations

import collections
import random
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...exercises.blocks import BlockSpec, Probe, check_block, ref_conv
from ...exercises.core import ExerciseFailed, exercise
from ...exercises.functions import Case, Mistake, check_function
from ...i18n import N_, _

LESSON = "05_densenet"


# --- out_channels ----------------------------------------------------------------------------


def _out_channels(in_channels: int, num_layers: int, growth_rate: int) -> int:
    return in_channels + num_layers * growth_rate


def _random_growth_case(rng: random.Random) -> Case:
    return Case((rng.randint(1, 512), rng.randint(1, 48), rng.randint(1, 64)))


_GROWTH_MISTAKES = [
    Mistake(
        lambda c, n, k: c * 2**n,
        N_(
            'Despite the lecture\'s word "exponentially", the count grows linearly: each layer '
            "adds growth_rate channels"
        ),
    ),
    Mistake(lambda c, n, k: n * k, N_("The block keeps its input: its channels are part of the output")),
    Mistake(lambda c, n, k: c + (n - 1) * k, N_("Each of the num_layers layers adds growth_rate channels")),
    Mistake(
        lambda c, n, k: c + k,
        N_("Each of the num_layers layers adds growth_rate channels, not only the last one"),
    ),
    Mistake(
        lambda c, n, k: c * n * k, N_("The channels add up: input channels plus growth_rate for each layer")
    ),
]


@exercise(
    "densenet.out_channels",
    lesson=LESSON,
    kind="function",
    signature="out_channels(in_channels, num_layers, growth_rate) -> int",
    description="in_channels + num_layers*growth_rate",
)
def check_out_channels(answer: Any) -> int:
    fixed = [
        Case((64, 6, 32), show_expected=True),
        Case((16, 3, 12), show_expected=True),
        Case((3, 2, 5), show_expected=True),
        Case((1, 1, 1), show_expected=True),
    ]
    return check_function(
        answer,
        name="out_channels",
        reference=_out_channels,
        fixed=fixed,
        random_case=_random_growth_case,
        mistakes=_GROWTH_MISTAKES,
    )


# --- the dense block -------------------------------------------------------------------------


class _DenseBlock(nn.Module):
    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, variant: str = "ok") -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.BatchNorm2d(in_channels + i * growth_rate),
                ref_conv(in_channels + i * growth_rate, growth_rate, 3, 1, 1, bias_optional=True),
            )
            for i in range(num_layers)
        )
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        for norm, conv in self.layers:
            y = norm(x) if self.variant == "no_relu" else F.relu(norm(x))
            y = conv(y)
            x = torch.cat([y, x] if self.variant == "new_first" else [x, y], dim=1)
        return x


def _dense_input(args: tuple) -> tuple[int, ...]:
    return (4, args[1], 6, 6)


def _dense_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    num_layers, in_channels, k = args
    if len(got) != 4:
        return _("the block keeps the batch, channel, height and width dimensions")
    if got[2:] != expected[2:]:
        return _("the 3x3 convolutions keep height and width: padding 1")
    if got[1] == k:
        return _(
            "the block returns only the last layer's output; it returns the concatenation of "
            "its input and every layer's output"
        )
    if got[1] == num_layers * k:
        return _("the block's input is missing from its output: the output starts with the input")
    if got[1] == in_channels + k:
        return _("every layer's output is kept in the concatenation, not only the last one")
    return _("the output has in_channels + num_layers * growth_rate channels")


def _dense_structure_hint(args: tuple, missing: collections.Counter, extra: collections.Counter) -> str:
    num_layers, in_channels, k = args
    if any(key[0] != "bn" for key in missing):
        return _(
            "layer i (counting from 0) reads the concatenation of the block's input and all "
            "earlier layers' outputs, in_channels + i * growth_rate channels, and outputs "
            "growth_rate channels"
        )
    if any(key[0] == "bn" and key[1] == k for key in extra):
        return _(
            "each layer is BN - ReLU - conv: the BatchNorm normalises the layer's input "
            "(in_channels + i * growth_rate channels for layer i, counting from 0)"
        )
    return ""


def _input_first_probe(probe: Probe) -> None:
    in_channels = probe.args[1]
    for train in (False, True):
        out = probe.run(train=train)
        if torch.equal(out[:, :in_channels], probe.x):
            continue
        if torch.equal(out[:, -in_channels:], probe.x):
            raise ExerciseFailed(
                _(
                    "{label}: the block's input comes last in its output; the "
                    "concatenation puts the input first, then the layers' outputs in order"
                ).format(label=probe.label)
            )
        raise ExerciseFailed(
            _(
                "{label}: the output does not begin with the block's input: its "
                "first in_channels channels must be x itself, unchanged"
            ).format(label=probe.label)
        )


DENSE_SPEC = BlockSpec(
    name="DenseBlock",
    arg_names=("num_layers", "in_channels", "growth_rate"),
    cases=[(3, 4, 2), (2, 3, 5)],
    input_shape=_dense_input,
    output_shape=lambda a, s: (s[0], a[1] + a[0] * a[2], s[2], s[3]),
    reference=lambda a, v: _DenseBlock(*a, variant=v),
    wiring=N_(
        "layer i: BN - ReLU - 3x3 conv (padding 1) -> growth_rate, applied to the concatenation "
        "of the block's input and all earlier layers' outputs; the block returns that whole "
        "concatenation: input first, then layer 1, layer 2, ..."
    ),
    mistakes=(
        (
            "no_relu",
            N_("each layer is BN - ReLU - conv: a ReLU comes between the BatchNorm and the convolution"),
        ),
        (
            "new_first",
            N_(
                "each new layer's output is appended after the earlier channels: input "
                "first, then layer 1, layer 2, ..."
            ),
        ),
    ),
    shape_hint=_dense_shape_hint,
    structure_hint=_dense_structure_hint,
    probes=(_input_first_probe,),
)


@exercise(
    "densenet.dense_block",
    lesson=LESSON,
    kind="class",
    signature="DenseBlock(num_layers, in_channels, growth_rate)",
    description="layer i: BN - ReLU - 3x3 conv pad 1 -> growth_rate, applied to the concatenation "
    "of the input and all earlier layers' outputs; the block returns that whole "
    "concatenation, input first",
)
def check_dense_block(answer: Any) -> int:
    return check_block(answer, DENSE_SPEC)


# --- the transition block --------------------------------------------------------------------


class _Transition(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, variant: str = "relu") -> None:
        super().__init__()
        self.variant = variant
        if variant == "bn_after":
            self.conv = ref_conv(in_channels, out_channels, 1, bias_optional=True)
            self.norm = nn.BatchNorm2d(out_channels)
        else:
            self.norm = nn.BatchNorm2d(in_channels)
            self.conv = ref_conv(in_channels, out_channels, 1, bias_optional=True)

    def forward(self, x: Tensor) -> Tensor:
        if self.variant == "bn_after":
            y = F.relu(self.norm(self.conv(x)))
        else:
            y = self.norm(x)
            if "norelu" not in self.variant:
                y = F.relu(y)
            y = self.conv(y)
        if self.variant.startswith("maxpool"):
            return F.max_pool2d(y, 2, 2)
        return F.avg_pool2d(y, 2, 2)


def _transition_input(args: tuple) -> tuple[int, ...]:
    return (4, args[0], 9, 9)


def _transition_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    if len(got) != 4:
        return _("the block keeps the batch, channel, height and width dimensions")
    if got[1] != expected[1]:
        return _("the 1x1 convolution maps in_channels to out_channels channels")
    if got[2:] == _transition_input(args)[2:]:
        return _("the block ends with 2x2 average pooling with stride 2, which halves height and width")
    return _("the 1x1 convolution keeps height and width; the 2x2 pooling with stride 2 halves them")


def _transition_structure_hint(args: tuple, missing: collections.Counter, extra: collections.Counter) -> str:
    in_channels, out_channels = args
    if ("bn", in_channels) in missing and ("bn", out_channels) in extra:
        return _("the BatchNorm normalises the block's input (in_channels channels), before the convolution")
    if any(key[0] != "bn" and key[2:] != (1, 1) for key in extra):
        return _("the transition's convolution is 1x1")
    return ""


TRANSITION_SPEC = BlockSpec(
    name="Transition",
    arg_names=("in_channels", "out_channels"),
    cases=[(6, 3), (5, 5)],
    input_shape=_transition_input,
    output_shape=lambda a, s: (s[0], a[1], s[2] // 2, s[3] // 2),
    reference=lambda a, v: _Transition(*a, variant=v),
    accepted=("relu", "norelu"),
    wiring=N_("BN - ReLU (optional) - 1x1 conv -> out_channels - 2x2 average pooling with stride 2"),
    mistakes=(
        ("maxpool", N_("the transition block ends with 2x2 average pooling, not max pooling")),
        ("maxpool_norelu", N_("the transition block ends with 2x2 average pooling, not max pooling")),
        ("bn_after", N_("the BatchNorm comes first, on the block's input, then the 1x1 convolution")),
    ),
    shape_hint=_transition_shape_hint,
    structure_hint=_transition_structure_hint,
)


@exercise(
    "densenet.transition_block",
    lesson=LESSON,
    kind="class",
    signature="Transition(in_channels, out_channels)",
    description="BN - ReLU - 1x1 conv - 2x2 average pooling with stride 2; the ReLU may be left "
    "out, as in the lecture's list: a check accepts both",
)
def check_transition_block(answer: Any) -> int:
    return check_block(answer, TRANSITION_SPEC)
