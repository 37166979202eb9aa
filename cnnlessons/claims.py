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

import dataclasses
import html
import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

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

VERDICTS = ("shown", "not shown", "not tested")
KINDS = ("higher", "lower", "about equal", "at most", "holds")
SCALES = ("points", "ratio")
MIMETYPE = "application/vnd.cnnlessons.claims+json"
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


def _register(registry: dict, item: Any, kind: type, name: str) -> Any:
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

    def row(self, budget: str | None = None, converged: str | None = None) -> dict[str, Any]:
        """The ledger row. A ``not shown`` row's ``why`` adds ``budget`` (the budget that would show
        it) and ``converged`` (the converged figure, where one exists)."""
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
        parts.append(f"{name}, {c.arm} {op} {against}: {_amount(r.mean, c.scale)} ({seeds})")
    return "; ".join(parts)


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


def recheck(rows: list[Mapping[str, Any]]) -> list[str]:
    """The rows whose stored verdict (or figures) the verdict function, run again, disagrees with;
    one line each, starting with the claim's id. Empty when every row agrees."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or (missing := [k for k in ROW_KEYS if k not in row]):
            problems.append(
                f"row {i}: expected the keys {', '.join(ROW_KEYS)}"
                + (f"; missing {', '.join(missing)}" if isinstance(row, Mapping) else "")
            )
            continue
        rid, stored = row["id"], row["verdict"]
        if rid in seen:
            problems.append(f"{rid}: more than one row")
        seen.add(rid)
        if stored not in VERDICTS:
            problems.append(f"{rid}: verdict {stored!r} is none of {', '.join(VERDICTS)}")
            continue
        if rid not in CLAIMS:
            holds = row.get("holds")
            if not isinstance(holds, bool):
                problems.append(f"{rid}: not a registered effect claim, and no check ('holds') to verify")
            elif stored != ("shown" if holds else "not shown"):
                problems.append(
                    f"{rid}: stored verdict {stored!r}, but its check {'holds' if holds else 'fails'}"
                )
            continue
        claim = CLAIMS[rid]
        if (row["claim"], row["paper"]) != (claim.claim, claim.paper):
            problems.append(f"{rid}: its claim or paper text differs from the registry's")
        try:
            again = judge(rid, row.get("figures"), why=row.get("why") or "no figures")
        except ValueError as error:
            problems.append(f"{rid}: the verdict function rejects its stored figures: {error}")
            continue
        if again.verdict != stored:
            problems.append(
                f"{rid}: stored verdict {stored!r}, but the verdict function gives "
                f"{again.verdict!r} ({again.reason})"
            )
        elif stored != "not tested" and not _same(row.get("seeds"), row.get("mean"), again):
            problems.append(f"{rid}: its per-seed figures or mean differ from those of its stored figures")
    return problems


def _same(seeds: Any, mean: Any, again: Judgement) -> bool:
    want = {str(s): v for s, v in again.differences.items()}
    if not isinstance(seeds, Mapping) or set(seeds) != set(want) or not isinstance(mean, (int, float)):
        return False
    return all(math.isclose(seeds[s], want[s], abs_tol=TOLERANCE) for s in want) and math.isclose(
        mean, again.mean, abs_tol=TOLERANCE
    )


def _text(rows: list[Mapping[str, Any]]) -> str:
    counts = ", ".join(f"{n} {v}" for v in VERDICTS if (n := sum(r["verdict"] == v for r in rows)))
    lines = [f"Claims ledger: {len(rows)} claim{'s' * (len(rows) != 1)} ({counts or 'none'})"]
    for row in rows:
        lines += [
            "",
            f"[{row['verdict']}] {row['id']}: {row['claim']}",
            f"    paper:    {row['paper']}",
            f"    measured: {row['measured']}",
        ]
        if row.get("why"):
            lines.append(f"    why:      {row['why']}")
    return "\n".join(lines)


_COLOURS = {"shown": "#1a7f37", "not shown": "#b35900", "not tested": "#6e7781"}


def _html(rows: list[Mapping[str, Any]]) -> str:
    e = html.escape
    head = "".join(
        f"<th style='text-align:left'>{h}</th>" for h in ("claim", "the paper", "this run", "verdict")
    )
    body = []
    for row in rows:
        why = f"<br><small>{e(row['why'])}</small>" if row.get("why") else ""
        body.append(
            f"<tr><td style='text-align:left'><code>{e(row['id'])}</code><br>{e(row['claim'])}</td>"
            f"<td style='text-align:left'>{e(row['paper'])}</td>"
            f"<td style='text-align:left'>{e(row['measured'])}</td>"
            f"<td style='text-align:left'><b style='color:{_COLOURS[row['verdict']]}'>"
            f"{e(row['verdict'])}</b>{why}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def ledger_bundle(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The ledger cell's output: an HTML table, the same in plain text, and the rows as JSON
    (``MIMETYPE``), which the notebook build copies into the notebook's metadata.

    Raises ValueError when ``recheck`` finds a row whose verdict the rule does not give.
    """
    if problems := recheck(rows):
        raise ValueError("rows: expected verdicts that the verdict function gives; " + "; ".join(problems))
    plain = [dict(r) for r in rows]
    return {"text/plain": _text(plain), "text/html": _html(plain), MIMETYPE: {"claims": plain}}


def show_ledger(rows: list[Mapping[str, Any]]) -> None:
    """Show the ledger as a lesson's cell output (printed as text outside IPython)."""
    bundle = ledger_bundle(rows)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(bundle["text/plain"])
        return
    display(bundle, raw=True)
