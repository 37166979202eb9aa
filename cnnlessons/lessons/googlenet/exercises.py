"""Exercises of lesson 03 (GoogLeNet): what a 1x1 reduction saves, the Inception block, and batch
normalisation's forward pass."""

from __future__ import annotations

import dataclasses
import dis
import inspect
import random
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...exercises.blocks import BlockSpec, Probe, check_block, ref_conv, saved_state
from ...exercises.core import ExerciseFailed, call, exercise
from ...exercises.functions import (
    Case,
    Mistake,
    check_function,
    describe_value,
    fresh_rng,
    is_int,
    seeded_rng,
    show_call,
)
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


# --- batch_norm_forward ----------------------------------------------------------------------

_BN_NAME = "batch_norm_forward"
_BN_DIMS = (0, 2, 3)  # a channel's statistics run over N, H and W
_BN_TRAINING_HINT = (
    "in training, normalise each channel with the batch's mean and biased variance over N, H and W "
    "(dims 0, 2 and 3), divide by sqrt(variance + eps), then scale by weight and shift by bias"
)
_BN_EVAL_HINT = (
    "in evaluation, normalise each channel with running_mean and running_var, divide by "
    "sqrt(running_var + eps), then scale by weight and shift by bias"
)


@dataclasses.dataclass(frozen=True)
class _BNCase:
    shape: tuple[int, int, int, int]
    training: bool
    form: str
    """``args6`` (the defaults), ``args8`` (all positional), ``keywords`` (training, momentum and
    eps by name) or ``mixed`` (momentum and eps by name)."""
    momentum: float | None = None
    """None: not passed (the default, 0.1)."""
    eps: float | None = None
    seed: int = 0


@dataclasses.dataclass
class _BNInputs:
    x: Tensor
    weight: Tensor
    bias: Tensor
    running_mean: Tensor
    running_var: Tensor


def _bn_inputs(case: _BNCase) -> _BNInputs:
    """Channels with their own mean and spread (some narrow, so that eps matters), weights of
    either sign, running statistics unlike the batch's."""
    g = torch.Generator().manual_seed(case.seed)
    n, c, h, w = case.shape
    centre = torch.empty(c).uniform_(-2.0, 2.0, generator=g)
    spread = torch.empty(c).uniform_(0.1, 3.0, generator=g)
    x = torch.randn(case.shape, generator=g) * spread[None, :, None, None] + centre[None, :, None, None]
    sign = torch.where(torch.rand(c, generator=g) < 0.2, -1.0, 1.0)
    weight = torch.empty(c).uniform_(0.5, 2.0, generator=g) * sign
    bias = torch.randn(c, generator=g)
    running_mean = torch.randn(c, generator=g)
    running_var = torch.empty(c).uniform_(0.3, 3.0, generator=g)
    return _BNInputs(x, weight, bias, running_mean, running_var)


def _bn_momentum(case: _BNCase) -> float:
    return 0.1 if case.momentum is None else case.momentum


def _bn_eps(case: _BNCase) -> float:
    return 1e-5 if case.eps is None else case.eps


def _bn_call_args(case: _BNCase, t: _BNInputs) -> tuple[tuple, dict]:
    five = (t.x, t.weight, t.bias, t.running_mean, t.running_var)
    given = {k: v for k, v in (("momentum", case.momentum), ("eps", case.eps)) if v is not None}
    if case.form == "args6":
        return (*five, case.training), {}
    if case.form == "args8":
        return (*five, case.training, _bn_momentum(case), _bn_eps(case)), {}
    if case.form == "keywords":
        return five, {"training": case.training, **given}
    return (*five, case.training), given


def _bn_show(case: _BNCase) -> str:
    parts = [f"x of shape {tuple(case.shape)}", "weight", "bias", "running_mean", "running_var"]
    if case.form == "args6":
        parts.append(f"training={case.training}")
    elif case.form == "args8":
        parts += [f"training={case.training}", f"momentum={_bn_momentum(case):g}", f"eps={_bn_eps(case):g}"]
    else:
        parts.append(f"training={case.training}")
        parts += [f"{k}={v:g}" for k, v in (("momentum", case.momentum), ("eps", case.eps)) if v is not None]
    return f"{_BN_NAME}({', '.join(parts)})"


def _channel(t: Tensor) -> Tensor:
    return t[None, :, None, None]


def _bn_normalise(x: Tensor, w: Tensor, b: Tensor, mean: Tensor, var: Tensor, eps: float) -> Tensor:
    return _channel(w) * (x - _channel(mean)) / torch.sqrt(_channel(var) + eps) + _channel(b)


def _bn_expected(case: _BNCase, t: _BNInputs) -> tuple[Tensor, Tensor, Tensor]:
    """nn.BatchNorm2d's output and running statistics afterwards, in float64."""
    x, rm, rv = t.x.double(), t.running_mean.double(), t.running_var.double()
    with torch.no_grad():
        out = F.batch_norm(
            x, rm, rv, t.weight.double(), t.bias.double(), case.training, _bn_momentum(case), _bn_eps(case)
        )
    return out, rm, rv


def _bn_close(got: Tensor, want: Tensor) -> bool:
    if got.shape != want.shape:
        return False
    scale = max(1.0, want.abs().max().item()) if want.numel() else 1.0
    return torch.allclose(got.detach().double(), want, rtol=1e-4, atol=1e-4 * scale)


def _bn_output_mistakes(case: _BNCase, t: _BNInputs) -> list[tuple[Tensor, str]]:
    """Outputs of wrong answers learners write, each with what to look at."""
    x, w, b = t.x.double(), t.weight.double(), t.bias.double()
    rm, rv, eps = t.running_mean.double(), t.running_var.double(), _bn_eps(case)
    var_b, mean = torch.var_mean(x, dim=_BN_DIMS, correction=0)
    var_u = torch.var(x, dim=_BN_DIMS, correction=1)
    own_mean, own_var = (mean, var_b) if case.training else (rm, rv)
    sqrt_hint = "eps is added to the variance, inside the square root: divide by sqrt(variance + eps)"
    affine_hint = "after normalising, scale each channel by weight and then shift it by bias"
    dims_hint = (
        "each channel has its own mean and variance, taken over N, H and W (dims 0, 2 and 3): one "
        "pair per channel, shaped to broadcast over x"
    )
    mistakes = [
        (
            _channel(w) * (x - _channel(own_mean)) / (torch.sqrt(_channel(own_var)) + eps) + _channel(b),
            sqrt_hint,
        ),
        (_channel(w) * (x - _channel(own_mean)) / torch.sqrt(_channel(own_var)) + _channel(b), sqrt_hint),
        (
            _channel(w) * (x - _channel(own_mean)) / (_channel(own_var) + eps) + _channel(b),
            "divide by the standard deviation, sqrt(variance + eps), not by the variance",
        ),
        ((x - _channel(own_mean)) / torch.sqrt(_channel(own_var) + eps), affine_hint),
        (_bn_normalise(x, b, w, own_mean, own_var, eps), affine_hint),
        (
            _channel(w) * ((x - _channel(own_mean)) / torch.sqrt(_channel(own_var) + eps) + _channel(b)),
            affine_hint,
        ),
    ]
    if case.training:
        momentum = _bn_momentum(case)
        n = x.numel() // x.shape[1]
        new_rm = (1 - momentum) * rm + momentum * mean
        new_rv = (1 - momentum) * rv + momentum * var_b * n / (n - 1)
        mistakes += [
            (
                _bn_normalise(x, w, b, mean, var_u, eps),
                "in training, normalise with the biased variance of the batch (divide by n = N*H*W, "
                "not n - 1); torch.var divides by n - 1 unless told otherwise (correction=0)",
            ),
            (
                _bn_normalise(x, w, b, rm, rv, eps),
                "in training, normalise with the batch's own mean and variance, not the running "
                "statistics (those are for evaluation)",
            ),
            (
                _bn_normalise(x, w, b, new_rm, new_rv, eps),
                "in training, normalise with the batch's own mean and variance, not the updated "
                "running statistics (those are for evaluation)",
            ),
        ]
        for dims in ((0, 1, 2, 3), (1, 2, 3), (2, 3), (0,)):
            v, m = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
            mistakes.append((_channel(w) * (x - m) / torch.sqrt(v + eps) + _channel(b), dims_hint))
    else:
        batch_hint = (
            "in evaluation, normalise with the running statistics (running_mean and running_var), "
            "not the batch's own mean and variance"
        )
        mistakes += [
            (_bn_normalise(x, w, b, mean, var_b, eps), batch_hint),
            (_bn_normalise(x, w, b, mean, var_u, eps), batch_hint),
            (
                _bn_normalise(x, w, b, rm, torch.sqrt(rv), eps),
                "running_var is a variance: take its square root",
            ),
        ]
    return mistakes


def _rebinds(fn: Any, position: int) -> str | None:
    """The name of ``fn``'s parameter at ``position`` if its code assigns to that name, else None."""
    code = getattr(inspect.unwrap(fn), "__code__", None) if callable(fn) else None
    if code is None or code.co_argcount <= position:
        return None
    name = code.co_varnames[position]
    stores = ("STORE_FAST", "STORE_DEREF", "STORE_NAME")
    if any(i.opname in stores and i.argval == name for i in dis.get_instructions(code)):
        return name
    return None


def _bn_check_running(answer: Any, case: _BNCase, what: str, t: _BNInputs, before: _BNInputs) -> None:
    """In training the caller's running statistics are updated in place; in evaluation untouched
    (checked first: a changed running statistic also changes the output)."""
    names = ("running_mean", "running_var")
    got = (t.running_mean, t.running_var)
    old = (before.running_mean, before.running_var)
    changed = [not torch.equal(g.detach(), o) for g, o in zip(got, old, strict=True)]
    if not case.training:
        if any(changed):
            which = " and ".join(n for n, c in zip(names, changed, strict=True) if c)
            raise ExerciseFailed(
                f"{what} changed {which}; in evaluation nothing changes: update the running "
                "statistics only when training"
            )
        return
    if not all(changed):
        which = " and ".join(n for n, c in zip(names, changed, strict=True) if not c)
        rebound = [r for r in (_rebinds(answer, 3), _rebinds(answer, 4)) if r]
        if rebound:
            was = "they were" if " and " in which else "it was"
            raise ExerciseFailed(
                f"{what} left the caller's {which} as {was}: your function assigns a new tensor to "
                f"its parameter `{rebound[0]}`, which only rebinds the local name. Update the tensor "
                "that was passed in, in place (in-place methods end in an underscore, such as .mul_, "
                ".add_ and .copy_; slice assignment, t[:] = ..., is in place too)"
            )
        raise ExerciseFailed(
            f"{what} left {which} unchanged; in training the running statistics are updated in "
            "place, as nn.BatchNorm2d does: running = (1 - momentum) * running + momentum * the "
            "batch's statistic"
        )
    x = t.x.double()
    momentum = _bn_momentum(case)
    n = x.numel() // x.shape[1]
    var_b, mean = torch.var_mean(x, dim=_BN_DIMS, correction=0)
    var_u = var_b * n / (n - 1)
    momentum_hint = (
        "momentum is the weight of the new batch statistic: running = (1 - momentum) * running + "
        "momentum * batch, so the default 0.1 moves the running value a tenth of the way"
    )
    for name, g, o, batch in (
        ("running_mean", t.running_mean, before.running_mean.double(), mean),
        ("running_var", t.running_var, before.running_var.double(), var_u),
    ):
        want = (1 - momentum) * o + momentum * batch
        if _bn_close(g, want):
            continue
        hints = [
            (momentum * o + (1 - momentum) * batch, momentum_hint),
            (batch.expand_as(o), "the running statistics are moving averages: " + momentum_hint),
        ]
        if name == "running_var":
            hints += [
                (
                    (1 - momentum) * o + momentum * var_b,
                    "in training the running variance is updated with the unbiased variance of the "
                    "batch (divide by n - 1, n = N*H*W), as nn.BatchNorm2d does, although the batch "
                    "is normalised with the biased one",
                ),
                (momentum * o + (1 - momentum) * var_b, momentum_hint),
                (
                    (1 - momentum) * o + momentum * torch.sqrt(var_u),
                    f"{name} holds a variance, not a standard deviation",
                ),
            ]
        hint = next((h for w, h in hints if _bn_close(g, w)), "")
        raise ExerciseFailed(
            f"{what} updated {name} to the wrong values; "
            + (hint or f"in training: {name} = (1 - momentum) * {name} + momentum * the batch's statistic")
        )


def _bn_run(answer: Any, case: _BNCase) -> None:
    t = _bn_inputs(case)
    before = _BNInputs(*(getattr(t, f.name).clone() for f in dataclasses.fields(t)))
    args, kwargs = _bn_call_args(case, t)
    what = _bn_show(case)
    out = call(answer, *args, what=what, **kwargs)
    for name in ("x", "weight", "bias"):
        if not torch.equal(getattr(t, name).detach(), getattr(before, name)):
            raise ExerciseFailed(
                f"{what} changed {name} in place; compute the output as a new tensor and leave "
                f"{name} as it was (no in-place operations such as `x -= mean` or `x.sub_` on it)"
            )
    if isinstance(out, (tuple, list)):
        raise ExerciseFailed(
            f"{what} returned a {type(out).__name__}; expected a single Tensor, the normalised x "
            "(the running statistics are updated in place, not returned)"
        )
    if not isinstance(out, Tensor):
        raise ExerciseFailed(
            f"{what} returned an object of type {type(out).__name__}; expected a torch.Tensor"
        )
    if out.shape != t.x.shape:
        raise ExerciseFailed(
            f"{what} returned shape {tuple(out.shape)}; expected the shape of x, {tuple(t.x.shape)}"
        )
    if not case.training:
        _bn_check_running(answer, case, what, t, before)
    want = _bn_expected(case, before)[0]
    if not _bn_close(out, want):
        got = out.detach().double()
        hint = next((h for w, h in _bn_output_mistakes(case, before) if _bn_close(got, w)), "")
        mode = "training" if case.training else "evaluation"
        raise ExerciseFailed(
            f"{what} returned values that differ from nn.BatchNorm2d's in {mode} (by up to "
            f"{(got - want).abs().max().item():.3g}); "
            + (hint or (_BN_TRAINING_HINT if case.training else _BN_EVAL_HINT))
        )
    if case.training:
        _bn_check_running(answer, case, what, t, before)


def _bn_check_gradients(answer: Any, case: _BNCase) -> None:
    """In training the gradient flows through the batch statistics; the running ones keep none."""
    t = _bn_inputs(case)
    for v in (t.x, t.weight, t.bias):
        v.requires_grad_()
    what = _bn_show(case) + " with x, weight and bias requiring grad"
    args, kwargs = _bn_call_args(case, t)
    out = call(answer, *args, what=what, **kwargs)
    if not isinstance(out, Tensor) or not out.requires_grad:
        raise ExerciseFailed(
            f"{what}: the output does not require grad, so nothing before it could be trained; "
            "build it from x, weight and bias with tensor operations (no .detach(), .item(), "
            ".numpy() or torch.no_grad() on the way)"
        )
    for name in ("running_mean", "running_var"):
        if getattr(t, name).requires_grad:
            raise ExerciseFailed(
                f"{what}: {name} now requires grad: its in-place update recorded the graph of the "
                "batch statistics, which would then grow from step to step. Update the running "
                "statistics under torch.no_grad(), or from detached batch statistics"
            )
    upstream = torch.randn(t.x.shape, generator=torch.Generator().manual_seed(case.seed + 1))
    reference = [v.detach().double().requires_grad_() for v in (t.x, t.weight, t.bias)]
    with torch.no_grad():
        rm, rv = t.running_mean.double(), t.running_var.double()
    want = F.batch_norm(
        reference[0], rm, rv, reference[1], reference[2], True, _bn_momentum(case), _bn_eps(case)
    )
    (want * upstream.double()).sum().backward()
    try:
        (out * upstream).sum().backward()
    except RuntimeError as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise ExerciseFailed(f"{what}: backward through your output failed: {first}") from None
    for name, v, r in zip(("x", "weight", "bias"), (t.x, t.weight, t.bias), reference, strict=True):
        if v.grad is None or r.grad is None or not _bn_close(v.grad, r.grad):
            hint = (
                "the batch mean and variance are functions of x, and the gradient flows through "
                "them too: compute them from x without .detach(), .item() or torch.no_grad()"
                if name == "x"
                else "the output is weight * normalised x + bias, channel by channel"
            )
            raise ExerciseFailed(
                f"{what}: the gradient with respect to {name} is not nn.BatchNorm2d's; {hint}"
            )


def _random_bn_case(rng: random.Random) -> _BNCase:
    shape = (rng.randint(2, 8), rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 6))
    training = rng.random() < 0.6
    form = rng.choice(["args6", "args8", "keywords", "mixed"])
    momentum = eps = None
    if form != "args6":
        if rng.random() < 0.5:
            momentum = round(rng.choice([rng.uniform(0.05, 0.4), rng.uniform(0.6, 0.95)]), 2)
        if rng.random() < 0.6:
            eps = rng.choice([1e-3, 0.1, 0.5, 1.0])
    return _BNCase(shape, training, form, momentum, eps, rng.randrange(2**31))


@exercise(
    "googlenet.batch_norm_forward",
    lesson=LESSON,
    kind="function",
    signature="batch_norm_forward(x, weight, bias, running_mean, running_var, training, momentum=0.1, "
    "eps=1e-5) -> Tensor",
    description="x is N x C x H x W; in training, normalise each channel with the batch's mean and "
    "biased variance over N, H, W, then scale by weight and shift by bias, and update running_mean "
    "and running_var in place (running = (1 - momentum) * running + momentum * batch, with the "
    "unbiased variance), as `nn.BatchNorm2d` does; in evaluation, normalise with the running "
    "statistics and change nothing",
)
def check_batch_norm_forward(answer: Any) -> int:
    if not callable(answer):
        raise ExerciseFailed(f"expected the function `{_BN_NAME}`, got {describe_value(answer)}")
    fixed = [
        _BNCase((4, 3, 5, 5), True, "args6", seed=1),
        _BNCase((4, 3, 5, 5), False, "args6", seed=2),
        _BNCase((2, 4, 3, 3), True, "keywords", momentum=0.3, eps=0.5, seed=3),
        _BNCase((3, 2, 4, 4), False, "args8", eps=0.5, seed=4),
        _BNCase((8, 5, 6, 6), True, "mixed", eps=1.0, seed=5),
    ]
    seeded, fresh = seeded_rng(), fresh_rng()
    cases = fixed + [_random_bn_case(seeded) for _ in range(12)] + [_random_bn_case(fresh) for _ in range(12)]
    for case in cases:
        _bn_run(answer, case)
    _bn_check_gradients(answer, _BNCase((4, 3, 4, 4), True, "mixed", momentum=0.2, eps=0.1, seed=6))
    return len(cases) + 1
