"""The one rule that gives an effect claim its verdict from paired seeds: :func:`judge`."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .definitions import (
    CLAIMS,
    FIGURE_WORDS,
    SIGNED_FIGURES,
    TOLERANCE,
    Condition,
    EffectClaim,
    Figures,
)


@dataclasses.dataclass(frozen=True)
class ConditionResult:
    """One condition's paired figures: per seed, the difference in points, the ratio, or the check."""

    condition: Condition
    values: Mapping[int, float]
    mean: float
    holds: bool
    reason: str


@dataclasses.dataclass(frozen=True)
class Judgement:
    """The verdict on one claim, with the per-seed figures it was decided from."""

    claim: EffectClaim
    verdict: str
    reason: str
    conditions: tuple[ConditionResult, ...] = ()
    figures: Mapping[str, Mapping[str, Any]] | None = None
    """The figures the conditions used, checked, seed keys as strings (as JSON stores them)."""

    @property
    def differences(self) -> Mapping[int, float]:
        """The headline condition's per-seed figures (empty when not tested)."""
        return self.conditions[0].values if self.conditions else {}

    @property
    def mean(self) -> float | None:
        return self.conditions[0].mean if self.conditions else None

    def row(
        self,
        budget: str | None = None,
        converged: str | None = None,
        reference: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The ledger row. A ``not shown`` row's ``why`` adds ``budget`` (the budget that would show
        it) and ``converged`` (the converged figure, where one exists); ``reference`` is the column
        "trained to the end" (``cnnlessons.runs.reference.end_entry``), where such runs ship."""
        why = self.reason
        if self.verdict == "not shown":
            why += "".join(f"; {part}" for part in (budget, converged) if part)
        return {
            "id": self.claim.id,
            "claim": self.claim.claim,
            "paper": self.claim.paper,
            "measured": _measured(self),
            "verdict": self.verdict,
            "seeds": {str(s): v for s, v in self.differences.items()},
            "mean": self.mean,
            "conditions": [
                {
                    "condition": r.condition.words,
                    "seeds": {str(s): v for s, v in r.values.items()},
                    "mean": r.mean,
                    "holds": r.holds,
                    "reason": r.reason,
                }
                for r in self.conditions
            ],
            "figures": _plain(self.figures),
            "reason": self.reason,
            **({"why": why} if self.verdict != "shown" else {}),
            **({"reference": dict(reference)} if reference is not None else {}),
        }


def _plain(figures: Mapping | None) -> dict | None:
    if figures is None:
        return None
    return {
        arm: {name: dict(v) if isinstance(v, Mapping) else v for name, v in by_figure.items()}
        for arm, by_figure in figures.items()
    }


def _fmt(value: float, scale: str) -> str:
    if scale == "ratio":
        return f"{value:.3g}"
    return f"{value:+.1f}" if abs(value) >= 0.05 or value == 0 else f"{value:+.2g}"


def _amount(value: float, scale: str, signed: bool = True) -> str:
    """``value`` in its unit: ``+1.3 points``, ``1 point`` (a margin), ``0.333`` (a ratio)."""
    if scale == "ratio":
        return _fmt(value, scale)
    text = _fmt(value, scale) if signed else f"{value:g}"
    return f"{text} point" if not signed and value == 1 else f"{text} points"


def _seed_key(seed: Any, where: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise ValueError(
            f"{where}: expected integer seeds (or their strings, as JSON stores them), got {seed!r}"
        )
    try:
        return int(seed)
    except ValueError:
        raise ValueError(
            f"{where}: expected integer seeds (or their strings, as JSON stores them), got {seed!r}"
        ) from None


def _checked(value: Any, condition: Condition, where: str) -> float | bool:
    if condition.kind == "holds":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected True or False (a check), got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(
            f"{where}: expected a finite number, got {value!r} (a run without this figure "
            f"is not tested: judge it without figures, with why)"
        )
    low = -1 if condition.figure in SIGNED_FIGURES else 0
    if condition.scale == "points" and not low <= value <= 1:
        raise ValueError(f"{where}: expected a fraction in [{low}, 1] (0.734 for 73.4%), got {value!r}")
    if condition.scale == "ratio" and value <= 0:
        raise ValueError(f"{where}: expected a positive number (compared as a ratio), got {value!r}")
    return float(value)


def _used(claim: EffectClaim, figures: Figures) -> dict[tuple[str, str], Any]:
    """The figures the claim's conditions use, checked, keyed by int seed; one value for every
    seed stays a single value. Raises on a missing arm, figure or seed."""
    if not isinstance(figures, Mapping):
        raise ValueError(
            f"figures: expected a mapping arm -> figure -> {{seed: value}}, got {type(figures).__name__}"
        )
    unknown = sorted(set(figures) - set(claim.arms))
    if unknown:
        raise ValueError(
            f"figures: unknown arm {unknown[0]!r} for {claim.id}; expected: {', '.join(claim.arms)}"
        )
    found: dict[tuple[str, str], Any] = {}
    for condition in claim.conditions:
        for arm in condition.arms:
            where = f"figures[{arm!r}][{condition.figure!r}]"
            if (
                arm not in figures
                or not isinstance(figures[arm], Mapping)
                or condition.figure not in figures[arm]
            ):
                raise ValueError(
                    f"{where}: missing; {claim.id} needs {condition.figure} for {', '.join(condition.arms)}"
                )
            value = figures[arm][condition.figure]
            if isinstance(value, Mapping):
                if not value:
                    raise ValueError(f"{where}: no seeds; expected at least one")
                found[arm, condition.figure] = {
                    _seed_key(s, where): _checked(v, condition, f"{where}[{s!r}]") for s, v in value.items()
                }
            else:
                found[arm, condition.figure] = _checked(value, condition, where)
    seeded = {key: v for key, v in found.items() if isinstance(v, dict)}
    if not seeded:
        raise ValueError(
            f"figures: no seeds; {claim.id} needs per-seed figures ({{seed: value}}) on its arms"
        )
    seeds = set().union(*(v.keys() for v in seeded.values()))
    for (arm, figure), values in seeded.items():
        if missing := sorted(seeds - values.keys()):
            raise ValueError(
                f"figures[{arm!r}][{figure!r}]: seed {missing[0]} is missing; the comparison is "
                f"paired, so every arm needs the same seeds ({', '.join(map(str, sorted(seeds)))})"
            )
    return found


def _per_seed(found: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], dict[int, Any]]:
    seeds = next(v for v in found.values() if isinstance(v, dict)).keys()
    return {key: v if isinstance(v, dict) else dict.fromkeys(seeds, v) for key, v in found.items()}


def _paired(condition: Condition, figures: Mapping[tuple[str, str], dict]) -> dict[int, float]:
    mine = figures[condition.arm, condition.figure]
    if condition.kind == "holds":
        return {s: float(all(figures[a, condition.figure][s] for a in condition.arms)) for s in sorted(mine)}
    strongest = max if condition.kind == "higher" else min
    values = {}
    for seed in sorted(mine):
        other = strongest(figures[a, condition.figure][seed] for a in condition.against)
        values[seed] = mine[seed] / other if condition.scale == "ratio" else (mine[seed] - other) * 100
    return values


def _rule(condition: Condition, values: Mapping[int, float]) -> tuple[bool, str]:
    """The rule: (holds, one line in words)."""
    kind, scale = condition.kind, condition.scale
    mean = sum(values.values()) / len(values)
    what = "ratio" if scale == "ratio" else "difference"
    margin = _amount(condition.margin, scale, signed=False)
    if kind == "holds":
        if failed := [s for s, v in values.items() if not v]:
            return False, f"seed {failed[0]}: the check fails"
        return True, "the check holds for every seed"
    if kind in ("higher", "lower"):
        sign = 1 if kind == "higher" else -1
        if against := [s for s, v in values.items() if v * sign <= 0]:
            s = against[0]
            return False, f"seed {s}'s {what} is {_amount(values[s], scale)}, against the claimed sign"
        if mean * sign < condition.margin - TOLERANCE:
            return False, (
                f"every seed's {what} has the claimed sign, but their mean, {_amount(mean, scale)}, "
                f"is under the margin of {margin}"
            )
        return True, (
            f"every seed's {what} has the claimed sign and their mean, {_amount(mean, scale)}, "
            f"clears the margin of {margin}"
        )
    if kind == "about equal":
        if outside := [s for s, v in values.items() if abs(v) > condition.margin + TOLERANCE]:
            s = outside[0]
            return False, f"seed {s}'s {what} is {_amount(values[s], scale)}, outside the margin of {margin}"
        return True, f"every seed's {what} is within {margin} (mean {_amount(mean, scale)})"
    if above := [s for s, v in values.items() if v > condition.margin + TOLERANCE]:  # "at most"
        s = above[0]
        return False, f"seed {s}'s {what} is {_amount(values[s], scale)}, above {margin}"
    return True, f"every seed's {what} is at most {margin} (mean {_amount(mean, scale)})"


def judge(claim_id: str, figures: Figures | None = None, *, why: str | None = None) -> Judgement:
    """The verdict on the effect claim ``claim_id`` from its arms' paired ``figures``
    (``figures[arm][figure][seed]``); without figures, ``not tested`` for the reason ``why``.

    Raises ValueError on an unknown id, a missing arm, figure or seed, an empty seed set, or a
    figure out of its range (accuracies and errors are fractions in [0, 1]).
    """
    if claim_id not in CLAIMS:
        raise ValueError(
            f"claim_id: expected one of the registered claims ({', '.join(CLAIMS)}), got {claim_id!r}"
        )
    claim = CLAIMS[claim_id]
    if figures is None:
        if not why or not isinstance(why, str):
            raise ValueError(
                "why: a claim judged without figures is 'not tested'; expected the reason in words"
            )
        return Judgement(claim, "not tested", why)
    used = _used(claim, figures)
    paired = _per_seed(used)
    results = []
    for condition in claim.conditions:
        values = _paired(condition, paired)
        holds, reason = _rule(condition, values)
        results.append(
            ConditionResult(
                condition, MappingProxyType(values), sum(values.values()) / len(values), holds, reason
            )
        )
    failed = [r for r in results if not r.holds]
    if len(results) == 1:
        reason = results[0].reason
    elif failed:
        reason = f"{failed[0].condition.words}: no, {failed[0].reason}"
    else:
        reason = (
            f"{'both' if len(results) == 2 else f'all {len(results)}'} conditions hold; {results[0].reason}"
        )
    stored: dict[str, dict[str, Any]] = {}
    for (arm, name), value in used.items():
        by_seed = {str(s): v for s, v in value.items()} if isinstance(value, dict) else value
        stored.setdefault(arm, {})[name] = by_seed
    return Judgement(claim, "not shown" if failed else "shown", reason, tuple(results), stored)


def _measured(j: Judgement) -> str:
    if not j.conditions:
        return "not measured"
    parts = []
    for r in j.conditions:
        c = r.condition
        name = FIGURE_WORDS.get(c.figure, c.figure)
        if c.kind == "holds":
            parts.append(f"{name}: {'yes' if r.holds else 'no'}")
            continue
        against = c.against[0] if len(c.against) == 1 else "the stronger of " + " and ".join(c.against)
        op = "/" if c.scale == "ratio" else "-"
        if len(set(r.values.values())) == 1:
            seeds = "every seed" if len(r.values) > 1 else f"seed {next(iter(r.values))}"
        else:
            seeds = "mean; seeds " + ", ".join(f"{s}: {_fmt(v, c.scale)}" for s, v in r.values.items())
        arms = _arm_figures(j, c)
        parts.append(f"{name}: {arms}{c.arm} {op} {against}: {_amount(r.mean, c.scale)} ({seeds})")
    return "; ".join(parts)


def _arm_figures(j: Judgement, c: Condition) -> str:
    """Both arms' own figures seed by seed, ``"relu 14, 15; tanh 8, 7; "``: the levels the
    differences come from (empty where the judgement keeps no figures)."""
    if not j.figures:
        return ""
    parts = []
    for arm in c.arms:
        value = j.figures.get(arm, {}).get(c.figure)
        if value is None:
            return ""
        values = list(value.values()) if isinstance(value, Mapping) else [value]
        parts.append(f"{arm} " + ", ".join(_level(v, c) for v in values))
    return "; ".join(parts) + "; "


def _level(value: Any, c: Condition) -> str:
    if c.scale == "points":
        return f"{value:.1%}"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.3g}"
