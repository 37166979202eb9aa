"""Runs trained to the end: the papers' own comparisons on all of CIFAR-10, shipped with their records.

A reference recipe (``Recipe(reference=True)``, registered by its lesson) trains a claim's arms on
the ``gpu`` profile's split (45,000 training images, 5,000 held out, the 10,000 test images) until
the end of its schedule. ``cnnlessons reproduce --only KEY --seeds 0 1`` trains it and adds the
runs, seed by seed, to its file ``reference_results/end/<KEY>.json`` (under the data root, or in
the package with ``--replace-shipped``). Each file carries its record: the recipe and its digest,
the data, and per run the whole history, precision, device, wall time, date and versions, then a
hash of all of it. :func:`check_record` verifies a file; :func:`end_entry` gives a ledger row its
column "trained to the end", judged by the one rule from the file's paired seeds.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.resources
import json
import os
import pathlib
import platform
import re
import tempfile
from collections.abc import Mapping
from typing import Any

from ..claims import CLAIMS, Judgement
from ..data import data_root
from ..history import History
from .converged import PROFILE
from .recipes import RECIPES, Recipe

try:
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.10
    from importlib.abc import Traversable

__all__ = [
    "FORMAT",
    "PROFILE",
    "reference_recipes",
    "file_name",
    "shipped_folder",
    "user_folder",
    "load_record",
    "record_hash",
    "check_record",
    "add_runs",
    "end_runs",
    "end_judgement",
    "end_entry",
    "end_histories",
    "train_reference",
    "paired_runs",
    "reference_table",
]

FORMAT = 1
FOLDER = "end"

Runs = Mapping[str, Mapping[int, History]]


def reference_recipes() -> dict[str, Recipe]:
    """The registered reference recipes, by key."""
    return {key: r for key, r in RECIPES.items() if r.reference}


def file_name(key: str) -> str:
    """``01_alexnet/figure1_end`` -> ``01_alexnet.figure1_end.json``."""
    return re.sub(r"[^A-Za-z0-9_.-]", ".", key) + ".json"


def shipped_folder() -> Traversable:
    """The package's ``reference_results/end/`` (package data)."""
    return importlib.resources.files("cnnlessons") / "reference_results" / FOLDER


def user_folder() -> pathlib.Path:
    """``reference_results/end/`` under the data root: where ``reproduce`` adds runs by default."""
    return data_root() / "reference_results" / FOLDER


def _canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "sha256"}, sort_keys=True).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record without its own ``sha256`` field."""
    return hashlib.sha256(_canonical(record)).hexdigest()


def load_record(key: str, folder: str | os.PathLike | Traversable | None = None) -> dict | None:
    """The record of reference recipe ``key`` in ``folder`` (default: the package's); None if none."""
    base = shipped_folder() if folder is None else folder
    path = base / file_name(key) if isinstance(base, Traversable) else pathlib.Path(base) / file_name(key)
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def check_record(record: Any) -> list[str]:
    """What is wrong with a reference file's record, one line each; empty when it checks out: its
    hash, its recipe's digest against the registry's, and every run in it finished. A file may hold
    some runs of a seed and not others (runs are added one by one): the ledger judges only the
    seeds that every arm of a claim has finished (``paired_runs``)."""
    if not isinstance(record, Mapping) or record.get("format") != FORMAT:
        return [f"expected a reference record of format {FORMAT}"]
    key = record.get("recipe")
    problems = []
    if record.get("sha256") != record_hash(record):
        problems.append(f"{key}: the file's hash does not match its content (edited or damaged)")
    if key not in RECIPES or not RECIPES[key].reference:
        return [*problems, f"{key}: no registered reference recipe has this key"]
    recipe = RECIPES[key]
    if record.get("digest") != recipe.digest(PROFILE):
        problems.append(
            f"{key}: trained by another recipe (digest {record.get('digest')}, the registry's is "
            f"{recipe.digest(PROFILE)}): train it again (cnnlessons reproduce --only {key})"
        )
    runs = record.get("runs")
    labels = [r.label for r in recipe.runs_for(PROFILE)]
    if not isinstance(runs, Mapping) or not runs:
        return [*problems, f"{key}: no runs"]
    for label, by_seed in runs.items():
        for seed, run in by_seed.items():
            if run["history"].get("interrupted") or not run["history"].get("epoch"):
                problems.append(f"{key}: {label} (seed {seed}) is not a finished run")
    if unknown := sorted(set(runs) - set(labels)):
        problems.append(f"{key}: runs {unknown} are not the recipe's")
    return problems


def _versions() -> dict[str, str]:
    import torch
    import torchvision

    from ..course import VERSION

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cnnlessons": VERSION,
    }


def add_runs(
    key: str, runs: Runs, data: str, folder: str | os.PathLike | None = None, notes: Mapping | None = None
) -> pathlib.Path:
    """Add finished runs (``runs[label][seed]``) of reference recipe ``key`` to its file in ``folder``
    (default: under the data root), with their record, and return the file. A file of another
    recipe digest is refused: its runs would not be paired with the new ones."""
    recipe = reference_recipes().get(key)
    if recipe is None:
        raise ValueError(f"key: expected a reference recipe ({', '.join(reference_recipes())}), got {key!r}")
    if stopped := [
        f"{label} (seed {s})" for label, by in runs.items() for s, h in by.items() if h.interrupted
    ]:
        raise ValueError(f"runs: {', '.join(stopped)} did not finish: an interrupted run is not a result")
    target = pathlib.Path(folder) if folder is not None else user_folder()
    record = load_record(key, target) or {
        "format": FORMAT,
        "recipe": key,
        "description": recipe.description,
        "digest": recipe.digest(PROFILE),
        "profile": PROFILE,
        "resolved": recipe.resolved(PROFILE),
        "claims": list(recipe.claims),
        "data": data,
        "runs": {},
    }
    problems = check_record(record) if record.get("runs") else []
    if problems:
        raise ValueError(f"{target / file_name(key)}: " + "; ".join(problems))
    if record["data"] != data:
        raise ValueError(f"data: the file's runs trained on {record['data']!r}, these on {data!r}")
    date = _dt.datetime.now().isoformat(timespec="seconds")
    for label, by_seed in runs.items():
        for seed, history in by_seed.items():
            record["runs"].setdefault(label, {})[str(seed)] = {
                "history": history.to_dict(),
                "device": history.info.get("device"),
                "precision": history.info.get("precision"),
                "wall_time": round(history.wall_time, 1),
                "date": date,
                "versions": _versions(),
            }
    record["seeds"] = sorted({int(s) for by in record["runs"].values() for s in by})
    if notes:
        record["notes"] = {**record.get("notes", {}), **notes}
    record["sha256"] = record_hash(record)
    target.mkdir(parents=True, exist_ok=True)
    path = target / file_name(key)
    with tempfile.NamedTemporaryFile("w", dir=target, suffix=".tmp", delete=False) as f:
        json.dump(record, f, indent=1, sort_keys=True)
    os.chmod(f.name, 0o644)  # a temporary file is the owner's alone; a result is for everyone to read
    os.replace(f.name, path)
    return path


def end_runs(key: str, record: Mapping | None = None) -> dict[str, dict[int, History]]:
    """The runs of reference recipe ``key`` (``{label: {seed: History}}``) from ``record``, else the
    shipped file; empty when there is none."""
    record = load_record(key) if record is None else record
    if not record:
        return {}
    return {
        label: {int(s): _history(run, record) for s, run in by_seed.items()}
        for label, by_seed in record["runs"].items()
    }


def _history(run: Mapping[str, Any], record: Mapping[str, Any]) -> History:
    h = History.from_dict(run["history"])
    h.info = {**h.info, "device": run.get("device"), "date": run.get("date"), "reference": record["recipe"]}
    return h


def _recipe_for(claim_id: str) -> Recipe | None:
    found = [r for r in reference_recipes().values() if claim_id in r.claims]
    return found[0] if found else None


def end_judgement(claim_id: str) -> tuple[Judgement | None, dict | None]:
    """The verdict on ``claim_id`` from its shipped reference runs (None with one seed or none) and
    the record it came from (None where none ships)."""
    recipe = _recipe_for(claim_id)
    record = load_record(recipe.key) if recipe is not None else None
    if recipe is None or record is None:
        return None, None
    runs = paired_runs(recipe, claim_id, record)
    if len(next(iter(runs.values()), {})) < 2:
        return None, record
    return recipe.judge(claim_id, runs, PROFILE), record


def paired_runs(recipe: Recipe, claim_id: str, record: Mapping[str, Any]) -> dict[str, dict[int, History]]:
    """The runs of ``claim_id``'s arms on the seeds that every arm has finished (the pairs)."""
    labels = set(recipe.arms_for(claim_id, PROFILE).values())
    runs = {label: by for label, by in end_runs(recipe.key, record).items() if label in labels}
    if set(runs) != labels:
        return {label: {} for label in labels}
    seeds = set.intersection(*(set(by) for by in runs.values()))
    return {label: {s: h for s, h in by.items() if s in seeds} for label, by in runs.items()}


def end_entry(claim_id: str) -> dict[str, Any] | None:
    """A ledger row's ``reference`` entry for ``claim_id``: ``{"measured", "verdict", "seeds",
    "files", "figures"}`` from the shipped runs trained to the end (verdict None with one seed, as
    the ledger says "one seed"); None where no reference run ships."""
    if claim_id not in CLAIMS:
        raise ValueError(f"claim_id: expected one of {', '.join(CLAIMS)}, got {claim_id!r}")
    judgement, record = end_judgement(claim_id)
    if record is None:
        return None
    recipe = RECIPES[record["recipe"]]
    runs = paired_runs(recipe, claim_id, record)
    seeds = sorted(next(iter(runs.values()), {}))
    if not seeds:
        return None
    if judgement is None:
        from .evidence import claim_figures

        figures = claim_figures(claim_id, runs, recipe.arms_for(claim_id, PROFILE), recipe.target)
        row = {"measured": f"one seed ({seeds[0]}): {json.dumps(figures)}", "verdict": None}
    else:
        row = judgement.row()
        row = {"measured": row["measured"], "verdict": row["verdict"], "figures": row["figures"]}
    return {**row, "seeds": seeds, "files": [file_name(recipe.key)]}


def train_reference(
    key: str,
    data: Any,
    seeds: list[int],
    *,
    data_name: str,
    labels: list[str] | None = None,
    folder: str | os.PathLike | None = None,
    precision: str | None = None,
    show: str = "epochs",
    log=print,
) -> pathlib.Path | None:
    """Train reference recipe ``key`` on ``data`` (the ``gpu`` profile's split), run by run (each of
    ``labels``, default all, on each seed), adding each finished run to its file (``add_runs``);
    runs the file holds already are skipped, so a stopped reproduction goes on where it stopped.
    The file, or None when a run was interrupted (what finished before it is kept)."""
    recipe = reference_recipes().get(key)
    if recipe is None:
        raise ValueError(f"key: expected a reference recipe ({', '.join(reference_recipes())}), got {key!r}")
    known = [r.label for r in recipe.runs_for(PROFILE)]
    if unknown := [label for label in labels or [] if label not in known]:
        raise ValueError(f"labels: expected runs of {key} ({', '.join(known)}), got {unknown}")
    target = pathlib.Path(folder) if folder is not None else user_folder()
    path = target / file_name(key)
    log(recipe.describe(PROFILE))
    for seed in seeds:
        for label in labels or known:
            record = load_record(key, target)
            if record and str(seed) in record["runs"].get(label, {}):
                log(f"{key}: {label} (seed {seed}) is in {path} already")
                continue
            run = recipe.run(label, PROFILE)
            log(str(recipe.estimate(data, PROFILE, runs=[run], precision=precision or "auto")))
            try:
                runs = recipe.train_seeds(
                    data, PROFILE, seeds=[seed], labels=[label], precision=precision, show=show
                )
            except KeyboardInterrupt:
                log(
                    f"{key}: {label} (seed {seed}) was interrupted: not a result; the runs before it are kept"
                )
                return None
            path = add_runs(key, runs, data_name, target)
            log(f"  {runs[label][seed]}\n{key}: {label} (seed {seed}) added to {path}")
    return path


def end_histories(key: str, seed: int | None = None) -> list[History]:
    """The shipped runs of reference recipe ``key`` on ``seed`` (default: the lowest seed that
    every run has), labelled for a plot beside the learner's curves ("plain-56, trained to the end
    (seed 0)"), as ``plots.history`` draws reference runs: dashed. Empty where none ships."""
    runs = end_runs(key)
    if not runs:
        return []
    common = set.intersection(*(set(by) for by in runs.values()))
    chosen = min(common) if seed is None and common else seed
    found = []
    for label, by_seed in runs.items():
        if chosen in by_seed:
            history = by_seed[chosen]
            history.label = f"{label}, trained to the end (seed {chosen})"
            found.append(history)
    return found


def reference_table() -> str:
    """A markdown table of the shipped runs trained to the end (docs/results.md): recipe, run,
    seed, epochs, test accuracy, final training error (eval mode), precision, device, wall time."""
    rows = [
        "| recipe | run | seed | epochs | test accuracy | training error | precision | device | wall time |",
        "|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for key in sorted(reference_recipes()):
        record = load_record(key)
        if record is None:
            continue
        for label, by_seed in record["runs"].items():
            for seed, run in sorted(by_seed.items(), key=lambda item: int(item[0])):
                h = History.from_dict(run["history"])
                error = f"{1 - h.train_eval_acc[-1]:.2%}" if h.train_eval_acc else "–"
                rows.append(
                    f"| `{key}` | {label} | {seed} | {len(h.epoch)} | {h.test_acc:.2%} | {error} | "
                    f"{run['precision']} | {run['device']} | {run['wall_time'] / 60:.0f} min |"
                )
    return "\n".join(rows)
