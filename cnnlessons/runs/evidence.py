"""The figures an effect claim is judged on, read from trained runs.

A recipe that decides claims (``Recipe.claims``) trains each of its runs once per seed of the
profile (``Recipe.train_seeds``): ``runs[label][seed]`` is a ``History``. :func:`claim_figures`
turns those into the ``figures[arm][figure][seed]`` that :func:`cnnlessons.claims.judge` reads,
one figure per condition of the claim:

- ``test_acc``: accuracy on the data's test split (the whole split in the ``cpu`` and ``gpu``
  profiles);
- ``train_error``: the final training error in eval mode (``History.train_eval_acc``);
- ``gap``: accuracy on the run's own training images, un-augmented, in eval mode, minus its test
  accuracy (the recipe measures ``clean_train_acc``);
- ``epochs_to_target``: the first epoch whose training error (eval mode) is below the recipe's
  ``target``; a run that never gets there counts as one epoch past its budget, which can only
  make a slow arm look faster than it is;
- ``weights``, ``flops``: the model's parameter count and FLOPs per image (no seed changes them);
- ``row_complete``: whether the run measured everything a comparison table shows: parameters,
  FLOPs, test accuracy, training time and memory (saved for backward, on any device).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..claims import CLAIMS, Judgement, judge

__all__ = ["FIGURES", "epochs_to_target", "claim_figures", "judge_runs"]

FIGURES = ("test_acc", "train_error", "gap", "epochs_to_target", "weights", "flops", "row_complete")

Runs = Mapping[str, Mapping[int, Any]]
"""``runs[label][seed]``: a ``History``."""


def epochs_to_target(history: Any, target: float) -> int:
    """The first epoch whose eval-mode training error is below ``target``; one past the budget
    when none is."""
    for epoch, accuracy in zip(history.epoch, history.train_eval_acc, strict=False):
        if 1.0 - accuracy < target:
            return int(epoch)
    return len(history.epoch) + 1


def _figure(history: Any, figure: str, target: float | None, where: str) -> Any:
    if figure == "test_acc":
        value = history.test_acc
    elif figure == "train_error":
        value = 1.0 - history.train_eval_acc[-1] if history.train_eval_acc else None
    elif figure == "gap":
        clean = history.info.get("clean_train_acc")
        value = None if clean is None or history.test_acc is None else clean - history.test_acc
    elif figure == "epochs_to_target":
        if target is None:
            raise ValueError(
                f"target: {where} counts epochs to a training error; expected the recipe's target"
            )
        value = epochs_to_target(history, target) if history.train_eval_acc else None
    elif figure == "weights":
        value = history.info.get("parameters")
    elif figure == "flops":
        value = history.info.get("flops")
    elif figure == "row_complete":
        value = bool(
            history.info.get("parameters")
            and history.info.get("flops")
            and history.test_acc is not None
            and history.time
            and history.info.get("saved_bytes_per_image")
        )
    else:
        raise ValueError(f"figure: expected one of {', '.join(FIGURES)}, got {figure!r}")
    if value is None:
        raise ValueError(f"{where}: the run did not measure {figure}")
    return value


def claim_figures(
    claim_id: str, runs: Runs, arms: Mapping[str, str], target: float | None = None
) -> dict[str, dict[str, Any]]:
    """``figures[arm][figure]`` for ``claim_id`` from ``runs[label][seed]``; ``arms`` maps each
    of the claim's arms to the label of the run that plays it. Per-seed figures are
    ``{seed: value}``; weights and FLOPs, the same for every seed, one value."""
    if claim_id not in CLAIMS:
        raise ValueError(f"claim_id: expected one of {', '.join(CLAIMS)}, got {claim_id!r}")
    claim = CLAIMS[claim_id]
    if missing := [a for a in claim.arms if a not in arms]:
        raise ValueError(
            f"arms: {claim_id} compares {', '.join(claim.arms)}; no run is given for {missing[0]!r}"
        )
    figures: dict[str, dict[str, Any]] = {}
    for condition in claim.conditions:
        for arm in condition.arms:
            label = arms[arm]
            if label not in runs or not runs[label]:
                raise ValueError(
                    f"runs: expected the run {label!r} (arm {arm!r} of {claim_id}), "
                    f"got {', '.join(runs) or 'none'}"
                )
            by_seed = {
                seed: _figure(h, condition.figure, target, f"runs[{label!r}][{seed}]")
                for seed, h in sorted(runs[label].items())
            }
            if condition.figure in ("weights", "flops"):
                (value, *others) = by_seed.values()
                if any(v != value for v in others):
                    raise ValueError(
                        f"runs[{label!r}]: its seeds give different {condition.figure}: {by_seed}"
                    )
                figures.setdefault(arm, {})[condition.figure] = value
            else:
                figures.setdefault(arm, {})[condition.figure] = by_seed
    return figures


def judge_runs(claim_id: str, runs: Runs, arms: Mapping[str, str], target: float | None = None) -> Judgement:
    """The verdict on ``claim_id`` from trained runs (see :func:`claim_figures`); ``not tested``
    where one of them was interrupted: an interrupted run is no evidence."""
    stopped = [
        f"{label} (seed {seed})"
        for label in dict.fromkeys(arms.values())
        for seed, history in sorted(runs.get(label, {}).items())
        if getattr(history, "interrupted", False)
    ]
    if stopped:
        return judge(claim_id, why=f"interrupted before the end of its budget: {', '.join(stopped)}")
    return judge(claim_id, claim_figures(claim_id, runs, arms, target))
