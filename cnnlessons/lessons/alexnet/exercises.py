"""Exercises of lesson 01 (AlexNet): the output-size formula and inverted dropout."""

from __future__ import annotations

import math
import random
from typing import Any

import torch

from ...exercises.core import ExerciseFailed, call, exercise
from ...exercises.functions import Case, Mistake, check_function
from ...i18n import N_, _

LESSON = "01_alexnet"


def _output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - kernel_size) // stride + 1


def _random_output_case(rng: random.Random) -> Case:
    size = rng.randint(1, 300)
    padding = rng.choice([0, 0, 1, 2, rng.randint(0, 6)])
    stride = rng.choice([1, 2, rng.randint(1, 6)])
    kernel_size = rng.randint(1, min(15, size + 2 * padding))
    form = rng.randrange(3)
    if form == 0:
        return Case((size, kernel_size, stride, padding))
    if form == 1:
        return Case((size, kernel_size), {"stride": stride, "padding": padding})
    return Case((size, kernel_size, stride), {"padding": padding})


_OUTPUT_MISTAKES = [
    Mistake(
        lambda n, k, s=1, p=0: (n + p - k) // s + 1,
        N_("Look at the padding: it is added on both sides of the input"),
    ),
    Mistake(
        lambda n, k, s=1, p=0: (n + 2 * p - k) // s,
        N_("Count the window's first position too: it fits once more than the number of steps"),
    ),
    Mistake(
        lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1,
        N_("A window that would stick out past the (padded) input is not used: round down"),
    ),
    Mistake(
        lambda n, k, s=1, p=0: round((n + 2 * p - k) / s) + 1,
        N_("A window that would stick out past the (padded) input is not used: round down"),
    ),
    Mistake(
        lambda n, k, s=1, p=0: n + 2 * p - k + 1,
        N_("Look at the stride: each step moves the window by `stride` pixels"),
    ),
    Mistake(lambda n, k, s=1, p=0: (n - k) // s + 1, N_("Look at the padding: it makes the input larger")),
]


@exercise(
    "alexnet.conv_output_size",
    lesson=LESSON,
    kind="function",
    signature="conv_output_size(size, kernel_size, stride=1, padding=0) -> int",
    description="floor((size + 2*padding - kernel_size) / stride) + 1",
)
def check_conv_output_size(answer: Any) -> int:
    fixed = [
        Case((227, 11, 4, 0), show_expected=True),  # AlexNet's first layer
        Case((224, 11), {"stride": 4, "padding": 2}, show_expected=True),
        Case((32, 3), {"padding": 1}, show_expected=True),
        Case((28, 5), show_expected=True),
        Case((13, 3, 2), show_expected=True),  # overlapping pooling
        Case((10, 3, 3, 0), show_expected=True),
        Case((7, 3, 2, 1), show_expected=True),
        Case((1, 1), show_expected=True),
    ]
    return check_function(
        answer,
        name="conv_output_size",
        reference=_output_size,
        fixed=fixed,
        random_case=_random_output_case,
        mistakes=_OUTPUT_MISTAKES,
    )


# --- dropout ---------------------------------------------------------------------------------


def _dropout_what(shape_text: str, p: float, training: bool) -> str:
    return _("dropout(x of shape {shape}, p={p:g}, training={training})").format(
        shape=shape_text, p=p, training=training
    )


def _dropout_call(fn, x: torch.Tensor, p: float, training: bool, shape_text: str) -> torch.Tensor:
    what = _dropout_what(shape_text, p, training)
    before = x.detach().clone()
    out = call(fn, x, p, training, what=what)
    if not isinstance(out, torch.Tensor):
        raise ExerciseFailed(
            _("{what} returned an object of type {type}; expected a torch.Tensor").format(
                what=what, type=type(out).__name__
            )
        )
    if out.shape != x.shape:
        raise ExerciseFailed(
            _("{what} returned shape {got}; expected the shape of x, {expected}").format(
                what=what, got=tuple(out.shape), expected=tuple(x.shape)
            )
        )
    if not torch.equal(x.detach(), before):
        raise ExerciseFailed(
            _(
                "{what} changed x in place; dropout must return a new tensor and "
                "leave x as it was (no in-place operations such as `x[...] = 0` or `x.mul_`)"
            ).format(what=what)
        )
    return out


def _check_training(fn, p: float, shape: tuple[int, ...], generator: torch.Generator) -> None:
    shape_text = str(shape)
    what = _dropout_what(shape_text, p, True)
    x = torch.rand(shape, generator=generator) + 0.5  # strictly positive: a zero in out means dropped
    out = _dropout_call(fn, x, p, True, shape_text).detach()
    if not out.is_floating_point():
        raise ExerciseFailed(
            _("{what} returned a {dtype} tensor; expected floating point values").format(
                what=what, dtype=out.dtype
            )
        )
    kept = out != 0
    n = out.numel()
    dropped = 1.0 - kept.sum().item() / n
    tolerance = 6 * math.sqrt(p * (1 - p) / n) + 1e-3
    if abs(dropped - p) > tolerance:
        if abs(dropped - (1 - p)) <= tolerance:
            hint = _("p is the probability of dropping (zeroing) an element, not of keeping it")
        else:
            hint = _("each element must be zeroed independently with probability p")
        raise ExerciseFailed(
            _("{what} zeroed {dropped:.1%} of the elements: {hint}").format(
                what=what, dropped=dropped, hint=hint
            )
        )
    if kept.any():
        ratio = out[kept] / x[kept]
        scale = 1.0 / (1.0 - p)
        if not torch.allclose(ratio, torch.full_like(ratio, scale), rtol=1e-4):
            if torch.allclose(ratio, torch.ones_like(ratio), rtol=1e-4):
                hint = _(
                    "the kept elements are not rescaled: inverted dropout scales them so that "
                    "the expected value of each element stays as it was"
                )
            elif torch.allclose(ratio, torch.full_like(ratio, 1 - p), rtol=1e-4):
                hint = _(
                    "the kept elements are multiplied by (1 - p); inverted dropout scales them "
                    "up, so that the expected value of each element stays as it was"
                )
            else:
                hint = _("the kept elements are not all scaled by the same factor, 1/(1-p)")
            raise ExerciseFailed(f"{what}: {hint}")
    again = _dropout_call(fn, x, p, True, shape_text).detach()
    if 0 < p and torch.equal(again != 0, kept):
        raise ExerciseFailed(
            _(
                "{what} zeroes the same elements on every call; the elements to "
                "drop must be drawn at random on each call"
            ).format(what=what)
        )


@exercise(
    "alexnet.dropout",
    lesson=LESSON,
    kind="function",
    signature="dropout(x, p, training) -> Tensor",
    description="inverted dropout: in training, zero each element with probability p and scale "
    "the rest by 1/(1-p); in eval, return x unchanged; never modify x in place",
)
def check_dropout(answer: Any) -> int:
    if not callable(answer):
        raise ExerciseFailed(
            _("expected the function `{name}`, got an object of type {type}").format(
                name="dropout", type=type(answer).__name__
            )
        )
    cases = 0
    seeded = torch.Generator().manual_seed(7)
    torch.manual_seed(7)  # the answer's own draws (check runs inside a forked RNG)

    x = torch.randn(50, 20, generator=seeded)
    for p in (0.5, 0.9):
        out = _dropout_call(answer, x, p, False, "(50, 20)")
        cases += 1
        if not torch.equal(out, x):
            raise ExerciseFailed(
                _(
                    "dropout(x, p={p:g}, training=False) changed the values; "
                    "in eval mode dropout returns x unchanged"
                ).format(p=p)
            )
    for p, shape in ((0.5, (200_000,)), (0.2, (64, 16, 14, 14)), (0.8, (500, 400)), (0.99, (200_000,))):
        _check_training(answer, p, shape, seeded)
        cases += 1
    fresh = torch.Generator().manual_seed(random.SystemRandom().randrange(2**62))
    torch.manual_seed(random.SystemRandom().randrange(2**62))
    for _attempt in range(2):
        p = round(0.05 + 0.9 * torch.rand((), generator=fresh).item(), 3)
        _check_training(answer, p, (100, 1000), fresh)
        cases += 1

    out = _dropout_call(answer, x, 0.0, True, "(50, 20)")
    cases += 1
    if not torch.allclose(out, x):
        raise ExerciseFailed(
            _(
                "dropout(x, p=0, training=True) changed the values; with p = 0 "
                "nothing is dropped and the scale is 1"
            )
        )

    # gradients flow through the kept elements, scaled like the values
    x = (torch.rand(1000, generator=seeded) + 0.5).requires_grad_()
    out = _dropout_call(answer, x, 0.5, True, "(1000,)")
    cases += 1
    if not out.requires_grad:
        raise ExerciseFailed(
            _(
                "dropout(x, p=0.5, training=True) with x.requires_grad: the output "
                "does not require grad; build it from x with tensor operations "
                "(no .detach(), .numpy() or torch.no_grad())"
            )
        )
    out.sum().backward()
    if x.grad is None or not torch.allclose(x.grad, (out.detach() != 0).float() * 2.0, rtol=1e-4):
        raise ExerciseFailed(
            _(
                "dropout(x, p=0.5, training=True): the gradient with respect to x is "
                "not 1/(1-p) on kept elements and 0 on dropped ones; build the output "
                "as x times a random mask (and the scale)"
            )
        )
    return cases
