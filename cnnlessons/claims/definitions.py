"""The claims' definitions and their registries: an ``EffectClaim`` compares arms trained on the
same seeds, a ``CheckClaim`` is a constructive fact (a shape, a count); each lesson registers its
own, once, where it defines them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

VERDICTS = ("shown", "not shown", "not tested")
KINDS = ("higher", "lower", "about equal", "at most", "holds")
SCALES = ("points", "ratio")
"""The ledger cell's machine-readable output, beside its HTML and plain text: ``{"claims": rows}``."""
ROW_KEYS = ("id", "claim", "paper", "measured", "verdict")
TOLERANCE = 1e-9
"""Rounding allowed at a margin, in its unit: 0.83 - 0.81 is 1.99999999999999 points, not under 2."""

FIGURE_WORDS = {
    "test_acc": "test accuracy",
    "train_error": "training error (eval mode)",
    "gap": "train/test gap",
    "epochs_to_target": "epochs to the target training error",
    "weights": "weights",
    "flops": "FLOPs",
    "row_complete": "table row complete",
}
"""How the ledger names a figure; a figure not listed is named as it is."""
SIGNED_FIGURES = ("gap",)
"""Differences of two fractions, in [-1, 1]: a regularised run can do better on the test images
than on its own training images."""

Figures = Mapping[str, Mapping[str, Any]]
"""``figures[arm][figure]``: ``{seed: value}``, or one value for every seed."""


@dataclasses.dataclass(frozen=True)
class Condition:
    """One comparison of a claim: ``figure`` of ``arm`` against that of ``against``.

    ``scale="points"`` compares the difference arm - against in points (the figure a fraction in
    [0, 1]); ``"ratio"`` compares arm / against (the figure positive). With several ``against``
    arms the strongest of them counts, seed by seed (the highest for ``"higher"``, the lowest
    otherwise). A ``"holds"`` condition needs ``figure`` true for ``arm`` and every ``against``.
    """

    figure: str
    arm: str
    against: tuple[str, ...]
    kind: str
    margin: float = 0.0
    scale: str = "points"
    words: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.scale not in SCALES:
            raise ValueError(f"scale: expected one of {', '.join(SCALES)}, got {self.scale!r}")
        if not math.isfinite(self.margin) or self.margin < 0:
            raise ValueError(f"margin: expected a finite number >= 0, got {self.margin!r}")
        if self.kind == "about equal" and len(self.against) != 1:
            raise ValueError(f"against: an 'about equal' condition compares with one arm, got {self.against}")
        if self.kind != "holds" and not self.against:
            raise ValueError("against: expected at least one arm to compare with")

    @property
    def arms(self) -> tuple[str, ...]:
        return (self.arm, *self.against)


@dataclasses.dataclass(frozen=True)
class EffectClaim:
    """A claim of a paper that training shows or not: ``shown_when`` in words, ``conditions`` as
    data (all must hold). ``kind`` and ``margin`` are those of the first, the headline condition."""

    id: str
    lesson: str
    claim: str
    shown_when: str
    paper: str
    conditions: tuple[Condition, ...]

    @property
    def kind(self) -> str:
        return self.conditions[0].kind

    @property
    def margin(self) -> float:
        return self.conditions[0].margin

    @property
    def arms(self) -> tuple[str, ...]:
        """Every arm the claim compares, in the order its conditions name them."""
        return tuple(dict.fromkeys(arm for c in self.conditions for arm in c.arms))


_CLAIMS: dict[str, EffectClaim] = {}
CLAIMS: Mapping[str, EffectClaim] = MappingProxyType(_CLAIMS)
"""The course's effect claims by id (the course map's claims ledger), as the lessons register them
(``cnnlessons.lessons`` registers every lesson's); read-only."""


@dataclasses.dataclass(frozen=True)
class CheckClaim:
    """A constructive claim (a shape, a count, an equality) that one computation checks: its row
    is ``shown`` when the check holds (``row``)."""

    id: str
    lesson: str
    claim: str
    paper: str

    def row(self, measured: str, holds: bool) -> dict[str, Any]:
        """The ledger row of this check: ``measured`` in words, ``holds`` its outcome."""
        return check_row(self.id, self.claim, self.paper, measured, holds)


_CHECKS: dict[str, CheckClaim] = {}
CHECKS: Mapping[str, CheckClaim] = MappingProxyType(_CHECKS)
"""The course's constructive claims by id, as the lessons register them; read-only."""


def _register(registry: dict, item: Any, kind: type[Any], name: str) -> Any:
    if not isinstance(item, kind):
        article = "an" if kind.__name__[0] in "AEIOU" else "a"
        raise ValueError(f"{name}: expected {article} {kind.__name__}, got {type(item).__name__}")
    if item.id in _CLAIMS or item.id in _CHECKS:  # one id, one claim, of either kind
        raise ValueError(f"{name}: {item.id!r} is registered already")
    registry[item.id] = item
    return item


def register_check(check: CheckClaim) -> CheckClaim:
    """Add ``check`` to ``CHECKS``, where its lesson defines it; returns it."""
    return _register(_CHECKS, check, CheckClaim, "check")


def register_claim(claim: EffectClaim) -> EffectClaim:
    """Add ``claim`` to ``CLAIMS``, where its lesson defines it; returns it."""
    return _register(_CLAIMS, claim, EffectClaim, "claim")


def accuracy_condition(arm: str, against: str, kind: str, margin: float, words: str) -> Condition:
    """The most common condition: ``arm``'s test accuracy against that of ``against``."""
    return Condition("test_acc", arm, (against,), kind, margin, words=words)


def check_row(id: str, claim: str, paper: str, measured: str, holds: bool) -> dict[str, Any]:
    """A constructive claim's row (a shape, a count, an equality): ``shown`` when ``holds``."""
    if id in CLAIMS:
        raise ValueError(f"id: {id!r} is an effect claim; expected its verdict from judge()")
    for name, value in (("id", id), ("claim", claim), ("paper", paper), ("measured", measured)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name}: expected a non-empty string, got {value!r}")
    if not isinstance(holds, bool):
        raise ValueError(f"holds: expected True or False, got {holds!r}")
    return {
        "id": id,
        "claim": claim,
        "paper": paper,
        "measured": measured,
        "verdict": "shown" if holds else "not shown",
        "holds": holds,
    }
