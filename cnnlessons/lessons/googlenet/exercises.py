"""Exercises of lesson 03 (GoogLeNet): what a 1x1 reduction saves, and the Inception block."""

from __future__ import annotations

import random
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...exercises.blocks import BlockSpec, Probe, check_block, ref_conv, saved_state
from ...exercises.core import ExerciseFailed, exercise
from ...exercises.functions import Case, Mistake, check_function, describe_value, is_int, show_call
from ...i18n import N_, _

LESSON = "03_googlenet"


# --- reduction_params ------------------------------------------------------------------------


def _reduction_params(
    in_channels: int, reduced_channels: int, out_channels: int, kernel_size: int = 3
) -> tuple[int, int]:
    k2 = kernel_size * kernel_size
    return (
        k2 * in_channels * out_channels,
        in_channels * reduced_channels + k2 * reduced_channels * out_channels,
    )


def _random_reduction_case(rng: random.Random) -> Case:
    cin, cred, cout = rng.randint(1, 512), rng.randint(1, 128), rng.randint(1, 512)
    k = rng.choice([1, 3, 5, 7])
    form = rng.randrange(3)
    if form == 0:
        return Case((cin, cred, cout))
    if form == 1:
        return Case((cin, cred, cout, k))
    return Case((cin, cred, cout), {"kernel_size": k})


def _validate_pair(name: str, case: Case, got: Any) -> None:
    if not (isinstance(got, (tuple, list)) and len(got) == 2 and all(is_int(v) for v in got)):
        raise ExerciseFailed(
            _(
                "{call} returned {value}; "
                "expected a pair of ints: (weights of the single convolution, "
                "weights of the 1x1 reduction and the convolution after it)"
            ).format(call=show_call(name, case), value=describe_value(got))
        )


def _same_pair(got: Any, expected: tuple[int, int]) -> bool:
    return tuple(got) == tuple(expected)


def _explain_pair(case: Case, got: Any, expected: tuple[int, int]) -> str:
    words = []
    for name, g, e in (
        (N_("the first number (one kxk convolution) is {verdict}"), got[0], expected[0]),
        (N_("the second number (1x1 reduction, then kxk) is {verdict}"), got[1], expected[1]),
    ):
        verdict = _("right") if g == e else (_("too large") if g > e else _("too small"))
        words.append(_(name).format(verdict=verdict))
    return "; ".join(words)


_REDUCTION_MISTAKES = [
    Mistake(
        lambda i, r, o, k=3: (k * k * i * o + o, i * r + r + k * k * r * o + o),
        N_("Count the weights only, without the biases"),
    ),
    Mistake(
        lambda i, r, o, k=3: (k * k * i * o, k * k * r * o),
        N_(
            "The reduced path has two convolutions: the 1x1 from in_channels to reduced_channels, "
            "then the kxk; count both"
        ),
    ),
    Mistake(
        lambda i, r, o, k=3: (i * r + k * k * r * o, k * k * i * o),
        N_("The pair is (single kxk convolution, reduced path), in that order"),
    ),
    Mistake(
        lambda i, r, o, k=3: (k * k * i * o, k * k * i * r + k * k * r * o),
        N_("The reduction is a 1x1 convolution: one weight per input-output channel pair"),
    ),
    Mistake(
        lambda i, r, o, k=3: (k * i * o, i * r + k * r * o),
        N_("A kxk kernel has k squared weights per input-output channel pair"),
    ),
]


@exercise(
    "googlenet.reduction_params",
    lesson=LESSON,
    kind="function",
    signature="reduction_params(in_channels, reduced_channels, out_channels, kernel_size=3) -> (int, int)",
    description="weights (no biases) of one kxk conv in->out, and of 1x1 in->reduced then kxk "
    "reduced->out; (128, 32, 128) gives (147456, 40960)",
)
def check_reduction_params(answer: Any) -> int:
    fixed = [
        Case((128, 32, 128), show_expected=True),
        Case((192, 96, 128), show_expected=True),
        Case((480, 16, 48), {"kernel_size": 5}, show_expected=True),
        Case((64, 64, 64, 1), show_expected=True),
    ]
    return check_function(
        answer,
        name="reduction_params",
        reference=_reduction_params,
        fixed=fixed,
        random_case=_random_reduction_case,
        validate=_validate_pair,
        compare=_same_pair,
        mistakes=_REDUCTION_MISTAKES,
        explain=_explain_pair,
    )


# --- the Inception block ---------------------------------------------------------------------

BRANCHES = ("1x1", "3x3", "5x5", "pool")
_FINAL_CONV = {"1x1": 0, "3x3": 2, "5x5": 4, "pool": 5}  # index among the reference's convolutions


class _Inception(nn.Module):
    def __init__(
        self,
        in_channels: int,
        c1: int,
        c2: tuple[int, int],
        c3: tuple[int, int],
        c4: int,
        variant: str = "ok",
    ) -> None:
        super().__init__()
        self.b1 = ref_conv(in_channels, c1, 1)
        self.b2_reduce = ref_conv(in_channels, c2[0], 1)
        self.b2 = ref_conv(c2[0], c2[1], 3, padding=1)
        self.b3_reduce = ref_conv(in_channels, c3[0], 1)
        self.b3 = ref_conv(c3[0], c3[1], 5, padding=2)
        self.b4 = ref_conv(in_channels, c4, 1)
        self.variant = variant

    def forward(self, x: Tensor) -> Tensor:
        inner2 = (lambda t: t) if self.variant in ("no_inner_relu", "no_relu_b2") else F.relu
        inner3 = (lambda t: t) if self.variant in ("no_inner_relu", "no_relu_b3") else F.relu
        y1 = F.relu(self.b1(x))
        y2 = F.relu(self.b2(inner2(self.b2_reduce(x))))
        y3 = F.relu(self.b3(inner3(self.b3_reduce(x))))
        if self.variant == "pool_after":
            y4 = F.max_pool2d(F.relu(self.b4(x)), 3, 1, 1)
        elif self.variant == "avg_pool":
            y4 = F.relu(self.b4(F.avg_pool2d(x, 3, 1, 1)))
        else:
            y4 = F.relu(self.b4(F.max_pool2d(x, 3, 1, 1)))
        return torch.cat([y1, y2, y3, y4], dim=1)


def _inception_input(args: tuple) -> tuple[int, ...]:
    return (2, args[0], 7, 7)


def _inception_shape_hint(args: tuple, got: tuple, expected: tuple) -> str:
    c1, c2, c3, c4 = args[1:]
    if len(got) != 4:
        return _("the block keeps the batch, channel, height and width dimensions")
    if got[0] != expected[0]:
        return _("the branches are concatenated along the channel dimension (dim=1), not the batch")
    if got[2:] != expected[2:]:
        if got[1] == expected[1]:
            return _(
                "every branch keeps height and width: the 3x3 conv has padding 1, the 5x5 "
                "padding 2, and the max pooling stride 1 and padding 1"
            )
        return _("the branches are concatenated along the channel dimension (dim=1)")
    if got[1] in (c1, c2[1], c3[1], c4):
        return _(
            "the output has as many channels as a single branch: the four branches are "
            "concatenated along the channel dimension (dim=1), not added or replaced"
        )
    return _("the output's channels are those of the four branches, concatenated: c1 + c2[1] + c3[1] + c4")


def _inception_error_hint(args: tuple, message: str) -> str:
    if "Sizes of tensors must match" in message:
        return _(
            "To be concatenated, the branches' outputs need the input's height and width: "
            "3x3 conv with padding 1, 5x5 with padding 2, max pooling with stride 1 and padding 1"
        )
    if "size of tensor" in message:
        return _("The branches are concatenated along the channel dimension (dim=1), not added")
    return ""


def _branch_order_probe(probe: Probe) -> None:
    """Switch off all branches but one to see where each branch's channels land in the output."""
    keys = [tuple(m.weight.shape) for m in probe.reference.modules() if isinstance(m, nn.Conv2d)]
    if len(set(keys)) < len(keys):
        return  # branches with equal shapes cannot be told apart by their weights
    first_channel = {}
    for branch in BRANCHES:
        with saved_state(probe.block), torch.no_grad():
            for other in BRANCHES:
                if other != branch:
                    conv = probe.learner_conv(_FINAL_CONV[other])
                    conv.weight.zero_()
                    if conv.bias is not None:
                        conv.bias.zero_()
            out = probe.run()
        live = (out != 0).flatten(2).any(dim=2).any(dim=0).nonzero().flatten()
        if len(live) == 0:
            return  # inconclusive
        first_channel[branch] = int(live[0])
    order = sorted(BRANCHES, key=first_channel.__getitem__)
    if order != list(BRANCHES):
        raise ExerciseFailed(
            _(
                "{label}: the output is not the concatenation of the four branches in order "
                "{expected}; switching off all branches but one shows yours in order {order}"
            ).format(label=probe.label, expected=", ".join(BRANCHES), order=", ".join(order))
        )


INCEPTION_SPEC = BlockSpec(
    name="Inception",
    arg_names=("in_channels", "c1", "c2", "c3", "c4"),
    cases=[(5, 3, (4, 6), (2, 7), 8), (4, 6, (3, 6), (2, 6), 6)],
    input_shape=_inception_input,
    output_shape=lambda a, s: (s[0], a[1] + a[2][1] + a[3][1] + a[4], s[2], s[3]),
    reference=lambda a, v: _Inception(*a, variant=v),
    wiring=N_(
        "branch 1: 1x1 conv -> c1; branch 2: 1x1 conv -> c2[0], 3x3 conv (padding 1) -> c2[1]; "
        "branch 3: 1x1 conv -> c3[0], 5x5 conv (padding 2) -> c3[1]; branch 4: 3x3 max pooling "
        "(stride 1, padding 1), then 1x1 conv -> c4; a ReLU after every convolution; each branch "
        "reads the block's input; outputs concatenated along channels in that order"
    ),
    mistakes=(
        (
            "avg_pool",
            N_("the fourth branch starts with 3x3 max pooling (stride 1, padding 1), not average pooling"),
        ),
        ("no_inner_relu", N_("a ReLU follows every convolution, the 1x1 reductions too")),
        ("no_relu_b2", N_("a ReLU follows every convolution, the 1x1 reductions too")),
        ("no_relu_b3", N_("a ReLU follows every convolution, the 1x1 reductions too")),
        ("pool_after", N_("in the fourth branch the max pooling comes first, then the 1x1 convolution")),
    ),
    shape_hint=_inception_shape_hint,
    nonnegative_hint=N_("a ReLU follows every convolution, the last one of each branch too"),
    probes=(_branch_order_probe,),
    error_hint=_inception_error_hint,
)


@exercise(
    "googlenet.inception_block",
    lesson=LESSON,
    kind="class",
    signature="Inception(in_channels, c1, c2, c3, c4)  (c2 and c3 are pairs)",
    description="branches 1x1->c1; 1x1->c2[0], 3x3 pad 1->c2[1]; 1x1->c3[0], 5x5 pad 2->c3[1]; "
    "3x3 max pool stride 1 pad 1, 1x1->c4; ReLU after every conv; concatenated "
    "along channels in that order",
)
def check_inception_block(answer: Any) -> int:
    return check_block(answer, INCEPTION_SPEC)
