"""Reference results: curves measured by ``python -m cnnlessons reproduce`` on a real GPU run.

Two folders hold them, and the lessons read both, newest file first:

- the package's own ``reference_results/`` (package data, read with ``importlib.resources``, so it
  works from an installed package too): the results committed from real runs;
- ``reference_results/`` under the data root (``cnnlessons.data.data_root()``): where ``reproduce``
  writes, unless ``--out`` names a file (``--out cnnlessons/reference_results/NAME.json`` in a
  checkout, for a real run to be committed).

The package's own files are never written by default. A lesson draws the
runs beside the learner's own, labelled with the device and the date they were measured on.

``converged_runs`` gives the training histories of the converged checkpoints the course ships
(``build_model(name, weights="cifar10")``), drawn the same way: where training ends.
"""

from __future__ import annotations

import datetime as _dt
import importlib.resources
import json
import pathlib
import re

from ..data import data_root
from ..history import History
from ..models.converged import load_record

try:
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.10
    from importlib.abc import Traversable

__all__ = [
    "RESULTS_FOLDER",
    "package_results",
    "user_results",
    "output_dir",
    "output_path",
    "result_files",
    "load_results",
    "reference_runs",
    "converged_runs",
    "trained_to_the_end",
]

RESULTS_FOLDER = "reference_results"


def package_results() -> Traversable:
    """The package's ``reference_results/`` folder (package data)."""
    return importlib.resources.files("cnnlessons") / RESULTS_FOLDER


def user_results() -> pathlib.Path:
    """``reference_results/`` under the data root."""
    return data_root() / RESULTS_FOLDER


def output_dir() -> pathlib.Path:
    """Where ``reproduce`` writes unless ``--out`` says otherwise: under the data root (checked to
    be writable: an error names ``CNNLESSONS_DATA_ROOT``), never into the package."""
    return data_root(create=True) / RESULTS_FOLDER


def output_path(doc: dict, when: _dt.datetime | None = None) -> pathlib.Path:
    """``<output_dir>/<date>-<time>-<device>.json`` for a results document: names sort by time,
    and two runs on one day do not overwrite each other."""
    when = when or _dt.datetime.now()
    slug = re.sub(r"[^a-z0-9]+", "-", str(doc.get("device", "unknown")).lower()).strip("-")[:40]
    return output_dir() / f"{when:%Y-%m-%d-%H%M%S}-{slug}.json"


def result_files() -> list[Traversable]:
    """Every results file of both folders, newest first (the names start with the date)."""
    found: list[tuple[str, int, Traversable]] = []
    for rank, folder in enumerate((user_results(), package_results())):
        if folder.is_dir():
            found += [
                (f.name, -rank, f) for f in folder.iterdir() if f.name.endswith(".json") and f.is_file()
            ]
    return [f for *_, f in sorted(found, key=lambda t: t[:2], reverse=True)]


def load_results(path: str | pathlib.Path | Traversable | None = None) -> dict | None:
    """The results document in ``path``, else the newest one; None when there is none."""
    if path is None:
        files = result_files()
        if not files:
            return None
        path = files[0]
    if not isinstance(path, Traversable):
        path = pathlib.Path(path)
    return json.loads(path.read_text())


def reference_runs(experiment: str, results: dict | None = None) -> list[History]:
    """The reference runs of one experiment (e.g. ``"04_resnet/degradation"``) from ``results``,
    else from the newest results file that has it, labelled with the device and date they were
    measured on; an empty list when there are none."""
    docs = [results] if results is not None else (load_results(f) for f in result_files())
    for doc in docs:
        if not doc or experiment not in doc.get("experiments", {}):
            continue
        runs = []
        if any(run.get("interrupted") or not run.get("epoch") for run in doc["experiments"][experiment]):
            print(
                f"reference results: {experiment} in the file of {doc.get('date')} on "
                f"{doc.get('device')} is not a finished run (interrupted or empty): not drawn"
            )
            continue
        for run in doc["experiments"][experiment]:
            h = History.from_dict(run)
            h.info = {**h.info, "device": doc.get("device", h.info.get("device")), "date": doc.get("date")}
            runs.append(h)
        return runs
    return []


def converged_runs(*names: str) -> list[History]:
    """The training histories of the shipped converged checkpoints ``names`` (``"small_vgg"``,
    ``"resnet20"``, ...), labelled with their epochs and test accuracy, the device and the date
    they were trained on; a name with no shipped checkpoint is left out."""
    runs = []
    for name in names:
        try:
            record = load_record(name)
        except ValueError:
            continue
        history = History.from_dict(record["history"])
        history.label = (
            f"{name} trained to the end on CIFAR-10 ({record['epochs']} epochs, "
            f"test {record['test_acc']:.1%})"
        )
        history.info = {
            **history.info,
            "device": record["device"],
            "date": record["date"],
            "checkpoint": name,
        }
        runs.append(history)
    return runs


def trained_to_the_end(*names: str) -> str | None:
    """What the shipped checkpoints ``names`` reached, for a ledger row that is not shown:
    ``"small_densenet trained to the end: 85.1% test accuracy after 80 epochs; ..."``; None when
    none of them ships."""
    reached = [
        f"{run.info['checkpoint']} trained to the end: {run.test_acc:.1%} test accuracy after "
        f"{len(run.epoch)} epochs"
        for run in converged_runs(*names)
        if run.test_acc is not None
    ]
    return "; ".join(reached) or None
