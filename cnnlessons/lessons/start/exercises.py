"""Exercise of lesson 00 (start here): the warm-up, accuracy from a batch of logits."""

from __future__ import annotations

import random
from typing import Any

import torch

from ...exercises.core import ExerciseFailed, call, exercise
from ...exercises.functions import describe_value, fresh_rng, seeded_rng
from ...i18n import _

LESSON = "00_start_here"


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == labels).sum().item() / labels.numel()  # exact, on any device


def _random_case(rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    n, k = rng.randint(1, 120), rng.randint(2, 15)
    if rng.random() < 0.2:
        n = k  # square: taking the largest entry of the wrong dimension gives no shape error
    generator = torch.Generator().manual_seed(rng.randrange(2**62))
    logits = torch.randn(n, k, generator=generator) * rng.choice([0.1, 1.0, 10.0])
    labels = torch.randint(0, k, (n,), generator=generator)
    # make some rows right: their label's logit the largest
    right = torch.rand(n, generator=generator) < rng.random()
    logits[right, labels[right]] = logits[right].max(dim=1).values + 1.0
    return logits, labels


_FIXED = [
    # values exact in float32, so that a message shows them as written
    (
        torch.tensor([[2.0, 1.0, 0.125], [0.5, 2.5, 0.25], [0.25, 0.125, 3.0], [1.0, 3.0, 2.0]]),
        torch.tensor([0, 1, 1, 2]),
    ),  # the first two right: 0.5
    (torch.tensor([[0.125, -0.25], [-2.0, 4.0], [5.0, -1.0]]), torch.tensor([0, 1, 0])),  # all right
    (torch.tensor([[1.0, 0.0, 0.0, 0.0]]), torch.tensor([3])),  # none right
]


def _hint(got: float, expected: float, n: int) -> str:
    if abs(got - expected * n) < 1e-6 and n > 1:
        return _("that is the number of right predictions; accuracy is their fraction of the batch")
    if abs(got - (1 - expected)) < 1e-6:
        return _("that is the fraction of wrong predictions (the error rate), not the right ones")
    return _(
        "a prediction is the class of the largest logit of each row (one row per image); "
        "count the rows whose prediction equals the label"
    )


@exercise(
    "start.accuracy",
    lesson=LESSON,
    kind="function",
    signature="accuracy(logits: Tensor N x K, labels: Tensor N) -> float",
    description="the fraction of the N images whose largest logit is at their label's index "
    "(a Python float between 0 and 1); tried on fixed and fresh random batches",
)
def check_accuracy(answer: Any) -> int:
    if not callable(answer):
        raise ExerciseFailed(
            _("expected the function `{name}`, got {value}").format(
                name="accuracy", value=describe_value(answer)
            )
        )
    seeded, fresh = seeded_rng(), fresh_rng()
    cases = [(logits, labels, True) for logits, labels in _FIXED]
    cases += [(*_random_case(seeded), False) for _ in range(20)]
    cases += [(*_random_case(fresh), False) for _ in range(20)]
    for logits, labels, documented in cases:
        what = (
            f"accuracy({logits.tolist()}, {labels.tolist()})"
            if documented
            else _("accuracy(logits of shape {logits}, labels of shape {labels})").format(
                logits=tuple(logits.shape), labels=tuple(labels.shape)
            )
        )
        before = logits.clone(), labels.clone()
        got = call(answer, logits.clone(), labels.clone(), what=what)
        if isinstance(got, torch.Tensor):
            raise ExerciseFailed(
                _(
                    "{what} returned a tensor ({value}); return a Python "
                    "float: a one-element tensor's `.item()` gives it"
                ).format(what=what, value=describe_value(got))
            )
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise ExerciseFailed(
                _("{what} returned {value}; expected a float").format(what=what, value=describe_value(got))
            )
        expected = _accuracy(*before)
        if abs(got - expected) > 1e-6:
            message = _("{call} returned {got!r}").format(call=what, got=got)
            if documented:
                message += _("; expected {expected!r}").format(expected=expected)
            raise ExerciseFailed(f"{message}: {_hint(got, expected, len(labels))}")
    return len(cases)
