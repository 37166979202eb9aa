"""Reproduce every lesson's gpu-profile experiment on real CIFAR-10 and keep the results.

    python -m cnnlessons.reproduce --data PATH [--profile gpu] [--only KEY ...] [--out FILE]

``PATH`` is a folder with ``cifar10-train.npz`` and ``cifar10-test.npz`` (what
``../shared/data/cifar10-jpeg/decode.py`` writes) or ``cifar10`` to use torchvision's download.
The results (per-epoch curves, final test accuracy, wall time, parameters, device, library
versions, date) go to ``<date>-<time>-<device>.json`` in the package's ``reference_results/`` when
run from a checkout (commit such a file only from a real run), else under the data root (see
``cnnlessons.results``); the lessons draw those curves beside the learner's own run.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import pathlib
import platform
import sys
import time
from typing import Callable

import torch

from .data import CourseData, load_dataset
from .profiles import Profile, get_profile
from .results import output_path
from .training import History, fit, set_seed

__all__ = ["EXPERIMENTS", "Experiment", "run_experiments", "main"]

Runner = Callable[[CourseData, Profile], "list[History]"]


@dataclasses.dataclass(frozen=True)
class Experiment:
    key: str
    """``<notebook>/<experiment>``, the key the lesson asks ``reference_runs`` for."""
    description: str
    run: Runner


def _fit_named(model: str, label: str, seed: int = 0, **fit_kwargs) -> Runner:
    """A runner that builds ``model`` by name and trains it with ``fit``."""
    def run(data: CourseData, profile: Profile) -> list[History]:
        from .models import build_model

        set_seed(seed)
        net = build_model(model, in_channels=data.channels, num_classes=data.num_classes)
        return [fit(net, data, profile=profile, label=label, test=True, seed=seed, **fit_kwargs)]
    return run


def _lesson(module: str, function: str) -> Runner:
    """A runner that calls a lesson's own experiment function (so the notebook and the
    reproduction train exactly the same way) and returns its runs as a list."""
    def run(data: CourseData, profile: Profile) -> list[History]:
        import importlib

        fn = getattr(importlib.import_module(f"cnnlessons.experiments.{module}"), function)
        runs = fn(data, profile)
        return list(runs.values()) if isinstance(runs, dict) else list(runs)
    return run


EXPERIMENTS: dict[str, Experiment] = {}


def register(key: str, description: str, run: Runner) -> None:
    EXPERIMENTS[key] = Experiment(key, description, run)


def _degradation(data: CourseData, profile: Profile) -> list[History]:
    from .experiments.resnet import degradation_runs, degradation_setup

    return list(degradation_runs(data, degradation_setup(profile), profile=profile).values())


register("01_alexnet/figure1", "the AlexNet paper's Figure 1 at course scale: ReLU against tanh",
         _lesson("alexnet", "figure1_runs"))
register("01_alexnet/regularisation", "train/test gap with and without augmentation and dropout",
         _lesson("alexnet", "regularisation_runs"))
register("02_vggnet/vgg", "the scaled-down VGG", _lesson("vgg", "vgg_runs"))
register("03_googlenet/googlenet", "the scaled-down GoogLeNet (SGD, lr 0.1)",
         _fit_named("small_googlenet", "SmallGoogLeNet", lr=0.1))
register("04_resnet/degradation", "plain and residual nets, shallow and deep (20 and 56 in gpu)",
         _degradation)
# The headline: ResNet-20 (the paper's CIFAR configuration) with the fast settings of the gpu profile.
register("04_resnet/resnet20_fast", "ResNet-20, 30 epochs, one-cycle SGD, label smoothing 0.1",
         _fit_named("resnet20", "ResNet-20", epochs=30, lr=0.2, label_smoothing=0.1,
                    weight_decay=5e-4))


register("05_densenet/densenet_vs_resnet",
         "DenseNet-BC (k=12) against ResNet-14, same budget", _lesson("densenet", "densenet_vs_resnet"))
register("06_summary/five_models", "the five scaled-down models under one budget",
         _lesson("summary", "train_all"))


def _versions() -> dict[str, str]:
    import torchvision

    from . import __version__

    return {"python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "cnnlessons": __version__}


def device_name() -> str:
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.machine()}, {torch.get_num_threads()} threads)"


def run_experiments(data: CourseData, profile: Profile, keys: list[str] | None = None,
                    log=print) -> dict:
    """Run the experiments named by ``keys`` (default: all) and return the results document."""
    keys = list(EXPERIMENTS) if not keys else keys
    unknown = [k for k in keys if k not in EXPERIMENTS]
    if unknown:
        raise ValueError(f"experiment keys must be among {', '.join(EXPERIMENTS)}; got {unknown}")
    doc = {"device": device_name(), "date": _dt.date.today().isoformat(), "versions": _versions(),
           "profile": profile.name, "data": str(data), "experiments": {}}
    for key in keys:
        exp = EXPERIMENTS[key]
        log(f"{key}: {exp.description}")
        start = time.perf_counter()
        runs = exp.run(data, profile)
        doc["experiments"][key] = [r.to_dict() for r in runs]
        for r in runs:
            log(f"  {r}  ({r.info.get('parameters', 0):,} parameters)")
        log(f"  {key} took {time.perf_counter() - start:.1f} s")
    return doc


def default_output(doc: dict) -> pathlib.Path:
    return output_path(doc)


def main(argv: list[str] | None = None) -> pathlib.Path:
    parser = argparse.ArgumentParser(prog="python -m cnnlessons.reproduce",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True,
                        help="folder with cifar10-{train,test}.npz, or 'cifar10' to download")
    parser.add_argument("--profile", default="gpu", help="the budget to run (default gpu)")
    parser.add_argument("--only", nargs="*", help="experiment keys (default: all)")
    parser.add_argument("--list", action="store_true", help="list the experiments and stop")
    parser.add_argument("--out", help="output JSON (default: see cnnlessons.results.output_path)")
    args = parser.parse_args(argv)
    if args.list:
        for e in EXPERIMENTS.values():
            print(f"{e.key}: {e.description}")
        return pathlib.Path()
    profile = get_profile(args.profile)
    data = load_dataset(args.data, train_size=profile.train_size, val_size=profile.val_size,
                        test_size=profile.test_size, image_size=profile.image_size)
    print(f"{profile}\ndata: {data}\ndevice: {device_name()}")
    doc = run_experiments(data, profile, args.only)
    out = pathlib.Path(args.out) if args.out else default_output(doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
