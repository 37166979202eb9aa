"""The claims ledger: the course's effect claims by id, the one rule that gives their verdicts,
and the ledger cell that ends a lesson.

An effect claim compares arms (``"relu"`` against ``"tanh"``) trained on the same seeds. Its
figures reach :func:`judge` as ``figures[arm][figure]``: one value per seed (``{0: 0.71, 1: 0.72}``)
or a single value for a figure that no seed changes (weights, FLOPs). Units: accuracies, errors
and the train/test gap are fractions in [0, 1], as ``History`` gives them; differences and
margins are in percentage points (0.734 - 0.721 is +1.3 points); weights, FLOPs and epochs are
compared as ratios.

The rule, the same for every condition of a claim: a directional condition (``"higher"``,
``"lower"``) holds when every seed's paired difference has the claimed sign and their mean clears
the margin; an ``"about equal"`` one when every paired difference stays within the margin; an
``"at most"`` one when every seed's paired figure stays at or under its bound; a ``"holds"`` one
when its check is true. A claim is ``shown`` when all its conditions hold, ``not shown`` otherwise,
and ``not tested`` when it has no figures (and says why).
"""

from __future__ import annotations

from .definitions import (
    CHECKS,
    CLAIMS,
    VERDICTS,
    CheckClaim,
    Condition,
    EffectClaim,
    accuracy_condition,
    check_row,
    register_check,
    register_claim,
)
from .ledger import MIMETYPE, ledger_bundle, recheck, show_ledger
from .rule import ConditionResult, Judgement, judge

__all__ = [
    "Condition",
    "EffectClaim",
    "CheckClaim",
    "CHECKS",
    "register_claim",
    "register_check",
    "accuracy_condition",
    "ConditionResult",
    "Judgement",
    "CLAIMS",
    "VERDICTS",
    "MIMETYPE",
    "judge",
    "check_row",
    "recheck",
    "ledger_bundle",
    "show_ledger",
]
