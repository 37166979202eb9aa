"""One line before a training: what it trains, how many runs, about how long; the recipe and the
time estimate folded below it (``views.plumbing.fold``)::

    from cnnlessons.runs.announce import announce
    announce(recipes.VGG, data, profile)                      # before recipes.VGG.train(data, profile)
    announce(stacks, data, profile, seeds=profile.seeds)      # before stacks.train_seeds(data, profile)

It lives here, not as a ``Recipe`` method: ``runs/recipes.py`` is part of the run cache's source
hash, and a change there would make every cached run train again. For the same reason
``describe(recipe, profile)``, ``Recipe.describe`` in the active language, lives here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from ..data import CourseData
from ..i18n import _, ngettext
from ..profiles import Profile, get_profile
from ..training import set_seed
from .estimate import Estimate, estimate_time, format_seconds
from .recipes import Recipe, Run
from .runcache import cached_training

__all__ = ["Announcement", "announce", "announcement", "describe", "headline"]


def describe(recipe: Recipe, profile: Profile | str | None = None) -> str:
    """``recipe.describe(profile)`` in the active language (the same text in English): what the
    recipe trains in ``profile``; its description and the arguments stay as written."""
    profile = get_profile(profile)
    common = ", ".join(f"{k}={v!r}" for k, v in recipe.training.options().items())
    subset = recipe.subset_for(profile)
    part = "" if subset == 1 else _(" on 1/{subset} of the training images").format(subset=subset)
    size = recipe.settings_for(profile).get("image_size")
    part += _(" at {size}x{size} pixels").format(size=size) if size else ""
    budget = _("{epochs} epochs, batch {batch}").format(
        epochs=recipe.epochs_for(profile), batch=recipe.batch_size(profile)
    )
    lines = [f"{recipe.key}: {recipe.description}", f"  {budget}{part}; fit: {common}"]
    for r in recipe.runs_for(profile):
        args = ", ".join(f"{k}={v!r}" for k, v in {**r.model_kwargs}.items())
        extra = "".join(f", {k}={v!r}" for k, v in r.training.options().items())
        lines.append(f"  {r.label}: build_model({r.model!r}{', ' + args if args else ''}){extra}")
    return "\n".join(lines)


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
        fold(_("The recipe and its time estimate"), self.details)

    def __str__(self) -> str:
        return f"{self.headline}\n{self.details}"


def _about(seconds: float) -> str:
    if seconds < 1:
        return format_seconds(seconds)  # "under 1 s"
    return _("about {time}").format(time=format_seconds(seconds))


def headline(what: str, runs: int, cached: int, seconds: float, seeds: int = 1) -> str:
    """``Training <what>: <n> runs, about <time>``; runs the run cache answers load at once."""
    count = ngettext("{count} run", "{count} runs", runs).format(count=runs)
    if seeds > 1:
        count += _(" ({runs} x {seeds} seeds)").format(runs=runs // seeds, seeds=seeds)
    if cached >= runs:
        return _("Training {what}: {count}, all in the run cache: they load at once").format(
            what=what, count=count
        )
    line = _("Training {what}: {count}, {time}").format(what=what, count=count, time=_about(seconds))
    if cached:
        # English agrees the verb with the count: "1 loads", "2 load"
        line += ngettext(
            "; {count} loads at once from the run cache", "; {count} load at once from the run cache", cached
        ).format(count=cached)
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
    details = f"{describe(recipe, profile)}\n\n{estimate}"
    if len(seeds) > 1 and estimate.parts:
        details += "\n  " + _("each run once per seed ({seeds}): {count} trainings, {time} in all").format(
            seeds=", ".join(map(str, seeds)), count=sum(pending.values()), time=_about(seconds)
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
