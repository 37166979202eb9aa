"""One line before a training: what it trains, how many runs, about how long; the recipe and the
time estimate folded below it (``views.plumbing.fold``)::

    from cnnlessons.runs.announce import announce
    announce(recipes.VGG, data, profile)                      # before recipes.VGG.train(data, profile)
    announce(stacks, data, profile, seeds=profile.seeds)      # before stacks.train_seeds(data, profile)

It lives here, not as a ``Recipe`` method: ``runs/recipes.py`` is part of the run cache's source
hash, and a change there would make every cached run train again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from ..data import CourseData
from ..profiles import Profile, get_profile
from ..training import set_seed
from .estimate import Estimate, estimate_time, format_seconds
from .recipes import Recipe, Run
from .runcache import cached_training

__all__ = ["Announcement", "announce", "announcement", "headline"]


@dataclasses.dataclass(frozen=True)
class Announcement:
    """What ``announce`` shows: the visible line, and the recipe and estimate it folds."""

    headline: str
    details: str
    estimate: Estimate
    seconds: float
    """The estimated wall time of every training that the run cache cannot answer."""

    def show(self) -> None:
        """Print the headline; fold the details below it."""
        from ..views.plumbing import fold

        print(self.headline)
        fold("The recipe and its time estimate", self.details)

    def __str__(self) -> str:
        return f"{self.headline}\n{self.details}"


def _about(seconds: float) -> str:
    text = format_seconds(seconds)
    return text if text.startswith("under") else f"about {text}"


def headline(what: str, runs: int, cached: int, seconds: float, seeds: int = 1) -> str:
    """``Training <what>: <n> runs, about <time>``; runs the run cache answers load at once."""
    count = f"{runs} run{'s' if runs != 1 else ''}"
    if seeds > 1:
        count += f" ({runs // seeds} x {seeds} seeds)"
    if cached >= runs:
        return f"Training {what}: {count}, all in the run cache: they load at once"
    line = f"Training {what}: {count}, {_about(seconds)}"
    if cached:
        line += f"; {cached} load{'s' if cached == 1 else ''} at once from the run cache"
    return line


def announcement(
    recipe: Recipe,
    data: CourseData,
    profile: Profile | str | None = None,
    *,
    runs: Iterable[Run] | None = None,
    seeds: Sequence[int] | None = None,
    precision: str = "auto",
    what: str | None = None,
) -> Announcement:
    """Estimate what ``recipe`` is about to train (``runs``, default all; once per seed of
    ``seeds`` for ``train_seeds``, default the recipe's seed alone) and word it. Each model is
    timed as ``Recipe.estimate`` times it; a run the run cache holds for a seed is not timed."""
    profile = get_profile(profile)
    runs = tuple(recipe.runs_for(profile) if runs is None else runs)
    seeds = (recipe.seed,) if seeds is None else tuple(seeds)
    named = (lambda label, seed: f"{label} (seed {seed})") if len(seeds) > 1 else (lambda label, seed: label)
    pending: dict[str, int] = {}
    cached: dict[str, dict[str, Any]] = {}
    for run in runs:
        pending[run.label] = 0
        for seed in seeds:
            record = cached_training(recipe, run, data, profile, seed=seed)
            if record is None:
                pending[run.label] += 1
            else:
                cached[named(run.label, seed)] = record
    training_data = recipe.data_for(data, profile=profile)
    models = {}
    for run in runs:
        if pending[run.label]:
            set_seed(recipe.seed)
            models[run.label] = recipe.build(run, training_data)
    estimate = estimate_time(
        models,
        training_data,
        epochs=recipe.epochs_for(profile),
        profile=profile,
        label=recipe.key,
        cached=cached,
        precision=precision,
        batch_size=recipe.training.batch_size,
    )
    seconds = sum(part.seconds * pending[part.label] for part in estimate.parts)
    details = f"{recipe.describe(profile)}\n\n{estimate}"
    if len(seeds) > 1 and estimate.parts:
        details += (
            f"\n  each run once per seed ({', '.join(map(str, seeds))}): "
            f"{sum(pending.values())} trainings, {_about(seconds)} in all"
        )
    line = headline(what or recipe.key, len(runs) * len(seeds), len(cached), seconds, len(seeds))
    return Announcement(line, details, estimate, seconds)


def announce(
    recipe: Recipe,
    data: CourseData,
    profile: Profile | str | None = None,
    *,
    runs: Iterable[Run] | None = None,
    seeds: Sequence[int] | None = None,
    precision: str = "auto",
    what: str | None = None,
) -> None:
    """Show one line, ``Training <what>: <n> runs, about <time>``, with the recipe's description
    and its time estimate in a closed fold below it (``announcement`` says what it counts)."""
    announcement(recipe, data, profile, runs=runs, seeds=seeds, precision=precision, what=what).show()
