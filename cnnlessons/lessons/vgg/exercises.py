"""Exercises of lesson 02 (VGGNet): receptive field, convolution parameters, the VGG block."""

from __future__ import annotations

import random
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from ...exercises.blocks import BlockSpec, check_block, ref_conv
from ...exercises.core import exercise
from ...exercises.functions import Case, Mistake, check_function
from ...i18n import N_, _

LESSON = "02_vggnet"


# --- receptive field -------------------------------------------------------------------------


def _receptive_field(num_layers: int, kernel_size: int = 3) -> int:
    return 1 + num_layers * (kernel_size - 1)


def _random_field_case(rng: random.Random) -> Case:
    num_layers = rng.randint(1, 40)
    kernel_size = rng.choice([1, 3, 5, 7, rng.randint(1, 15)])
    if kernel_size == 3 and rng.random() < 0.5:
        return Case((num_layers,))
    if rng.random() < 0.5:
        return Case((num_layers,), {"kernel_size": kernel_size})
    return Case((num_layers, kernel_size))


_FIELD_MISTAKES = [
    Mistake(
        lambda n, k=3: n * k,
        N_(
            "The windows of stacked layers overlap: each extra layer widens the field by "
            "kernel_size - 1 pixels, not kernel_size"
        ),
    ),
    Mistake(lambda n, k=3: n * (k - 1), N_("Start from what no layer at all sees: a single pixel")),
    Mistake(
        lambda n, k=3: k + n * (k - 1),
        N_("Count from a single pixel: one layer of a k x k kernel sees k pixels"),
    ),
    Mistake(
        lambda n, k=3: k**n,
        N_("The field grows by addition, a fixed amount per layer, not by multiplication"),
    ),
]


@exercise(
    "vgg.receptive_field",
    lesson=LESSON,
    kind="function",
    signature="receptive_field(num_layers, kernel_size=3) -> int",
    description="receptive field of a stack of stride-1 convolutions: 1 + num_layers*(kernel_size - 1)",
)
def check_receptive_field(answer: Any) -> int:
    fixed = [
        Case((1,), show_expected=True),
        Case((2,), show_expected=True),
        Case((3,), show_expected=True),
        Case((1, 7), show_expected=True),
        Case((2,), {"kernel_size": 5}, show_expected=True),
        Case((4, 1), show_expected=True),
    ]
    return check_function(
        answer,
        name="receptive_field",
        reference=_receptive_field,
        fixed=fixed,
        random_case=_random_field_case,
        mistakes=_FIELD_MISTAKES,
    )


# --- convolution parameters ------------------------------------------------------------------


def _conv_params(kernel_size: int, in_channels: int, out_channels: int, bias: bool = True) -> int:
    return kernel_size * kernel_size * in_channels * out_channels + (out_channels if bias else 0)


def _random_params_case(rng: random.Random) -> Case:
    k = rng.choice([1, 3, 5, 7, rng.randint(1, 11)])
    cin, cout = rng.randint(1, 512), rng.randint(1, 512)
    form = rng.randrange(3)
    if form == 0:
        return Case((k, cin, cout))
    if form == 1:
        return Case((k, cin, cout, rng.random() < 0.5))
    return Case((k, cin, cout), {"bias": rng.random() < 0.5})


_PARAM_MISTAKES = [
    Mistake(
        lambda k, i, o, bias=True: k * i * o + (o if bias else 0),
        N_(
            "The kernel is kernel_size x kernel_size: it has kernel_size squared weights per "
            "input-output channel pair"
        ),
    ),
    Mistake(
        lambda k, i, o, bias=True: k * k * i * o + (i if bias else 0),
        N_("There is one bias per output channel"),
    ),
    Mistake(
        lambda k, i, o, bias=True: k * k * i * o + o,
        N_("With bias=False the convolution has no biases to count"),
    ),
    Mistake(
        lambda k, i, o, bias=True: k * k * i * o,
        N_("With bias=True each output channel has one bias, and it counts as a parameter"),
    ),
    Mistake(
        lambda k, i, o, bias=True: k * k * (i + o) + (o if bias else 0),
        N_("Every output channel has a kernel for every input channel: the channel counts multiply"),
    ),
]


def _explain_params(case: Case, got: Any, expected: Any) -> str:
    out_channels = case.args[2]
    if isinstance(got, int) and abs(got - expected) == out_channels:
        return _("off by exactly the {count} biases: look at the bias term").format(count=out_channels)
    return ""


@exercise(
    "vgg.conv_params",
    lesson=LESSON,
    kind="function",
    signature="conv_params(kernel_size, in_channels, out_channels, bias=True) -> int",
    description="kernel_size^2 * in_channels * out_channels, plus out_channels with bias",
)
def check_conv_params(answer: Any) -> int:
    fixed = [
        Case((3, 64, 64), show_expected=True),
        Case((3, 64, 64), {"bias": False}, show_expected=True),
        Case((7, 3, 64), show_expected=True),
        Case((1, 128, 32, False), show_expected=True),
        Case((3, 1, 1), show_expected=True),
        Case((5, 3, 8, True), show_expected=True),
    ]
    return check_function(
        answer,
        name="conv_params",
        reference=_conv_params,
        fixed=fixed,
        random_case=_random_params_case,
        mistakes=_PARAM_MISTAKES,
        explain=_explain_params,
    )


# --- the VGG block ---------------------------------------------------------------------------


class _VGGBlock(nn.Module):
    def __init__(self, num_convs: int, in_channels: int, out_channels: int, variant: str) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            ref_conv(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
            for i in range(num_convs)
        )
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if self.variant != "relu_last_only" or i == len(self.convs) - 1:
                x = F.relu(x)
        if self.variant == "avg_pool":
            return F.avg_pool2d(x, 2, 2)
        return F.max_pool2d(x, 2, 2)


def _vgg_input(args: tuple) -> tuple[int, ...]:
    return (2, args[1], 9, 8)


def _vgg_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    num_convs = args[0]
    h, w = _vgg_input(args)[2:]
    if len(got) != 4:
        return _("the block keeps the batch, channel, height and width dimensions")
    if got[1] != expected[1]:
        return _("every convolution of the block outputs out_channels channels")
    if got[2:] == (h, w):
        return _("the block ends with 2x2 max pooling with stride 2, which halves height and width")
    if got[2:] in (
        (h - 2 * num_convs, w - 2 * num_convs),
        ((h - 2 * num_convs) // 2, (w - 2 * num_convs) // 2),
    ):
        return _("each 3x3 convolution keeps height and width: padding 1")
    return _(
        "the 3x3 convolutions keep height and width (padding 1); the 2x2 pooling with stride 2 "
        "halves them, rounding down"
    )


VGG_SPEC = BlockSpec(
    name="VGGBlock",
    arg_names=("num_convs", "in_channels", "out_channels"),
    cases=[(2, 3, 5), (1, 4, 6), (3, 2, 4)],
    input_shape=_vgg_input,
    output_shape=lambda a, s: (s[0], a[2], s[2] // 2, s[3] // 2),
    reference=lambda a, v: _VGGBlock(*a, variant=v),
    wiring=N_(
        "num_convs x (3x3 conv with padding 1, then ReLU), then 2x2 max pooling with stride 2; "
        "the first convolution takes in_channels, the others out_channels"
    ),
    mistakes=(
        ("avg_pool", N_("the block ends with 2x2 max pooling, not average pooling")),
        ("relu_last_only", N_("every convolution is followed by its own ReLU")),
    ),
    shape_hint=_vgg_shape_hint,
    nonnegative_hint=N_("every convolution is followed by a ReLU, so the pooled outputs are >= 0"),
)


@exercise(
    "vgg.vgg_block",
    lesson=LESSON,
    kind="class",
    signature="VGGBlock(num_convs, in_channels, out_channels)",
    description="num_convs x (3x3 conv, padding 1, with bias, ReLU), then 2x2 max pooling with stride 2",
)
def check_vgg_block(answer: Any) -> int:
    return check_block(answer, VGG_SPEC)
