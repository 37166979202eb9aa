"""Reproduce every lesson's gpu-profile experiment on real CIFAR-10 and keep the results.

    cnnlessons reproduce --data PATH [--profile gpu] [--only KEY ...] [--out FILE]
    python -m cnnlessons reproduce --data PATH [--profile gpu] [--only KEY ...] [--out FILE]

``PATH`` is a folder with ``cifar10-train.npz`` and ``cifar10-test.npz`` (what
``../shared/data/cifar10-jpeg/decode.py`` writes) or ``cifar10`` to use torchvision's download.
The results (per-epoch curves, final test accuracy, wall time, parameters, device, library
versions, date) go to ``<date>-<time>-<device>.json`` under the data root's ``reference_results/``
(see ``cnnlessons.runs.results``), or to ``--out`` (``cnnlessons/reference_results/`` in a checkout,
to commit a real run); the lessons draw those curves beside the learner's own run.

Only finished experiments are results. When a run is interrupted (Ctrl-C, ``timeout -s INT``),
the experiments finished so far are kept in ``reproduce.partial.json`` under the data root and
nothing else is written; ``--resume`` trains only the experiments that file does not hold yet.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import pathlib
import platform
import sys
import time
from typing import Any

import torch

from ..data import CourseData, check_writable, data_root, load_dataset
from ..devices import device_description
from ..profiles import PROFILES, Profile, get_profile
from .recipes import RECIPES
from .results import output_path

__all__ = ["check_experiment_keys", "run_experiments", "partial_path", "main"]


def partial_path() -> pathlib.Path:
    """Where an interrupted reproduction keeps the experiments it finished."""
    return data_root() / "reproduce.partial.json"


def _versions() -> dict[str, str]:
    import torchvision

    from ..course import VERSION

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cnnlessons": VERSION,
    }


def device_name() -> str:
    return device_description(torch.device("cuda" if torch.cuda.is_available() else "cpu"))


def experiment_keys() -> list[str]:
    """The lessons' experiments (the converged checkpoints train with ``cnnlessons train``)."""
    return [key for key in RECIPES if not key.startswith("converged/")]


def check_experiment_keys(keys: list[str]) -> None:
    """Refuse keys that name no recipe, naming the ones that do."""
    if unknown := [k for k in keys if k not in RECIPES]:
        raise ValueError(f"experiment keys must be among {', '.join(RECIPES)}; got {unknown}")


def run_experiments(
    data: CourseData,
    profile: Profile,
    keys: list[str] | None = None,
    log=print,
    done: dict | None = None,
    **train_kwargs,
) -> tuple[dict, bool]:
    """Train the recipes named by ``keys`` (default: the lessons' experiments) that ``done`` (a
    partial results document) does not hold yet; the results document of the finished ones, and
    whether all finished (False: a run was interrupted, and the reproduction stopped there).
    Keyword arguments go to ``Recipe.train`` (e.g. ``show``)."""
    keys = experiment_keys() if not keys else keys
    check_experiment_keys(keys)
    doc: dict[str, Any] = {
        "device": device_name(),
        "date": _dt.date.today().isoformat(),
        "versions": _versions(),
        "profile": profile.name,
        "data": str(data),
        "experiments": {},
    }
    if done is not None:
        doc["experiments"] = dict(done.get("experiments", {}))
    for key in keys:
        if key in doc["experiments"]:
            log(f"{key}: finished before (kept from the partial results)")
            continue
        recipe = RECIPES[key]
        log(recipe.describe(profile))
        start = time.perf_counter()
        try:
            runs = list(recipe.train(data, profile, **train_kwargs).values())
        except KeyboardInterrupt:  # the recipe stopped at its interrupted run
            runs = []
        if not runs or any(r.interrupted or not r.epoch for r in runs):
            log(f"  {key} was interrupted: not a result; the reproduction stops here")
            return doc, False
        doc["experiments"][key] = [r.to_dict() for r in runs]
        for r in runs:
            log(f"  {r}  ({r.info.get('parameters', 0):,} parameters)")
        log(f"  {key} took {time.perf_counter() - start:.1f} s")
    return doc, True


def default_output(doc: dict) -> pathlib.Path:
    return output_path(doc)


def main(argv: list[str] | None = None) -> pathlib.Path:
    parser = argparse.ArgumentParser(
        prog="python -m cnnlessons reproduce", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--data", help="folder with cifar10-{train,test}.npz, or 'cifar10' to download (required to train)"
    )
    parser.add_argument(
        "--data-name",
        help="with --seeds: what the --data copy is, in words, for the record (default: its name), e.g. "
        "'CIFAR-10 (the JPEG re-encoding of the original, decoded)'",
    )
    parser.add_argument(
        "--table", action="store_true", help="print the shipped runs trained to the end as a table and stop"
    )
    parser.add_argument(
        "--profile", default="gpu", choices=list(PROFILES), help="the budget to run (default gpu)"
    )
    parser.add_argument("--only", nargs="*", help="experiment keys (default: all)")
    parser.add_argument("--list", action="store_true", help="list the experiments and stop")
    parser.add_argument("--out", help="output JSON (default: see cnnlessons.runs.results.output_path)")
    parser.add_argument(
        "--resume", action="store_true", help="train only what an interrupted reproduction did not finish"
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        help="train reference recipes (trained to the end) on these seeds, adding each finished seed to "
        "its file under the data root (cnnlessons.runs.reference); seeds the file holds are skipped",
    )
    parser.add_argument(
        "--labels", nargs="+", help="with --seeds: only these runs of the recipe (default: all), one by one"
    )
    parser.add_argument(
        "--replace-shipped",
        action="store_true",
        help="with --seeds: add the runs to the package's own reference files (a checkout's, to commit)",
    )
    parser.add_argument(
        "--precision", choices=("auto", "fp32", "bf16", "fp16"), help="the training precision"
    )
    args = parser.parse_args(argv)
    if args.list:
        for key in experiment_keys():
            print(f"{key}: {RECIPES[key].description}")
        return pathlib.Path()
    if args.table:
        from .reference import reference_table

        print(reference_table())
        return pathlib.Path()
    if not args.data:
        parser.error("--data is required to train: a folder with cifar10-{train,test}.npz, or 'cifar10'")
    try:
        check_experiment_keys(args.only or [])
    except ValueError as error:
        parser.error(f"--only: {error}")
    if args.seeds is not None:
        _check_reference_args(args, parser)
    if args.out:  # checked before hours of training, not after
        try:
            check_writable(pathlib.Path(args.out).parent)
        except OSError as error:
            parser.error(f"--out {args.out} cannot be written ({error.strerror or error})")
    profile = get_profile(args.profile)
    try:
        data = load_dataset(
            args.data,
            train_size=profile.train_size,
            val_size=profile.val_size,
            test_size=profile.test_size,
            image_size=profile.image_size,
        )
    except (ValueError, FileNotFoundError) as error:
        parser.error(f"--data: {error}")
    print(f"{profile}\ndata: {data}\ndevice: {device_name()}")
    if args.seeds is not None:
        return _reference(args, data)
    partial = partial_path()
    done = json.loads(partial.read_text()) if args.resume and partial.exists() else None
    doc, finished = run_experiments(data, profile, args.only, done=done)
    if not finished:
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(doc, indent=1))
        print(
            f"interrupted: {len(doc['experiments'])} finished experiment(s) kept in {partial}; "
            "nothing else written (--resume goes on)"
        )
        return partial
    partial.unlink(missing_ok=True)
    out = pathlib.Path(args.out) if args.out else default_output(doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    print(f"wrote {out}")
    return out


def _check_reference_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from .reference import reference_recipes

    known = reference_recipes()
    keys = args.only or []
    if not keys or (others := [k for k in keys if k not in known]):
        parser.error(
            f"--seeds trains reference recipes: --only must name some of {', '.join(known)}"
            + (f" (got {', '.join(others)})" if keys else "")
        )
    if any(s < 0 for s in args.seeds):
        parser.error(f"--seeds: expected integers >= 0, got {args.seeds}")


def _reference(args: argparse.Namespace, data: CourseData) -> pathlib.Path:
    from . import reference

    shipped = pathlib.Path(str(reference.shipped_folder()))
    folder = shipped if args.replace_shipped else reference.user_folder()
    show = "bar" if sys.stderr.isatty() else "epochs"
    path = pathlib.Path()
    for key in args.only:
        found = reference.train_reference(
            key,
            data,
            args.seeds,
            data_name=args.data_name or data.name,
            labels=args.labels,
            folder=folder,
            precision=args.precision,
            show=show,
        )
        if found is None:
            raise SystemExit(130)
        path = found
    return path


if __name__ == "__main__":
    main(sys.argv[1:])
