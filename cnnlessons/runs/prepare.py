"""``cnnlessons prepare``: train the lessons' runs into the disk cache before a lecture, so that
every experiment and every explorer's default setting answers at once in front of the class.

    python -m cnnlessons prepare [NOTEBOOK ...] [--profile smoke|cpu|gpu]

For each lesson it trains every run of the lesson's recipes (``cnnlessons.runs.recipes``) and the
setting each explorer opens with, as its train button would. Runs already in the cache cost
nothing. A progress bar counts epochs and estimates the time left.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["Job", "jobs_for", "prepare", "add_arguments", "run"]


@dataclasses.dataclass(frozen=True)
class Job:
    """One thing to train: a run of a recipe, or an explorer's opening setting."""

    lesson: str
    label: str
    epochs: int
    train: Callable[[Callable[[], None]], None]
    """Trains; calls its argument once per finished epoch (where it can)."""


def _lesson_name(name: str) -> str:
    from ..course import LESSONS

    stem = Path(name).stem
    matches = [lesson for lesson in LESSONS if lesson == stem or lesson.split("_")[0] == stem]
    if len(matches) != 1:
        raise ValueError(f"notebook must name a lesson ({', '.join(LESSONS)}), got {name!r}")
    return matches[0]


def jobs_for(lessons: Sequence[str], data, profile) -> list[Job]:
    """What ``prepare`` trains for ``lessons`` in ``profile``, in order."""
    from ..profiles import get_profile
    from .recipes import OPENINGS, RECIPES

    jobs: list[Job] = []
    for lesson in lessons:
        for recipe in (r for key, r in RECIPES.items() if key.split("/")[0] == lesson):
            epochs = recipe.epochs_for(profile)
            # a recipe that decides claims trains on every seed of the profile (train_seeds)
            seeds = get_profile(profile).seeds if recipe.claims else (recipe.seed,)
            for seed in seeds:
                for spec in recipe.runs_for(profile):

                    def train(tick, recipe=recipe, spec=spec, seed=seed):
                        recipe.fit_run(spec, data, profile, seed=seed, show=lambda h: tick())

                    name = f"{recipe.key}: {spec.label}" + (f" (seed {seed})" if len(seeds) > 1 else "")
                    jobs.append(Job(lesson, name, epochs, train))
        for name, opening, spec in OPENINGS:
            if opening.key.split("/")[0] != lesson:
                continue

            def train_opening(tick, recipe=opening, spec=spec):
                recipe.fit_run(spec, data, profile, show=lambda h: tick())

            jobs.append(Job(lesson, f"{lesson}: {name}", opening.epochs_for(profile), train_opening))
    return jobs


def prepare(
    notebooks: Sequence[str] = (), profile: str | None = None, *, progress: bool = True
) -> dict[str, float]:
    """Fill the run cache for ``notebooks`` (lesson names or paths; default: every lesson).

    Returns ``{"jobs", "epochs", "seconds"}``. Raises ValueError for an unknown lesson or
    profile, and RuntimeError when the cache is turned off.
    """
    from tqdm.auto import tqdm

    from ..course import LESSONS
    from ..data import load_data
    from ..profiles import get_profile
    from .runcache import cache_dir

    lessons = [_lesson_name(n) for n in notebooks] or list(LESSONS)
    chosen = get_profile(profile)
    root = cache_dir()
    if root is None:
        raise RuntimeError("the run cache is off (CNNLESSONS_RUN_CACHE=off): nothing to prepare")
    start = time.perf_counter()
    data = load_data(chosen)
    jobs = jobs_for(lessons, data, chosen)
    total = sum(job.epochs for job in jobs)
    print(
        f"prepare: {len(jobs)} runs, {total} epochs in all, for {', '.join(lessons)} in the "
        f"{chosen.name} profile on {data.name}; cache: {root}"
    )
    with tqdm(total=total, unit="epoch", disable=not progress, file=sys.stdout, dynamic_ncols=True) as bar:
        for job in jobs:
            bar.set_postfix_str(job.label, refresh=True)
            done_before = bar.n

            def tick(start: int = done_before, epochs: int = job.epochs) -> None:
                if bar.n - start < epochs:
                    bar.update(1)

            job.train(tick)
            bar.update(job.epochs - (bar.n - done_before))  # a cached run ticks no epoch
    seconds = time.perf_counter() - start
    print(f"prepare: done in {seconds:.0f} s")
    return {"jobs": len(jobs), "epochs": total, "seconds": seconds}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``prepare`` command's arguments."""
    parser.add_argument(
        "notebooks",
        metavar="NOTEBOOK",
        nargs="*",
        help="lessons to prepare, by name (02_vggnet), number (02) or path (default: every lesson)",
    )
    parser.add_argument(
        "--profile", default=None, help="smoke, cpu or gpu (default: the active profile, as in the notebooks)"
    )


def run(args: argparse.Namespace) -> int:
    """The ``prepare`` command."""
    try:
        prepare(args.notebooks, args.profile)
    except (ValueError, RuntimeError) as error:
        print(f"prepare: {error}", file=sys.stderr)
        return 2
    return 0
