"""Reference results: curves measured by ``python -m cnnlessons.reproduce`` on a real GPU run.

They live in ``data/reference/*.json`` (committed only from a real run). A lesson draws them beside
the learner's own run, labelled with the device and the date, when the file exists.
"""
from __future__ import annotations

import json
import pathlib

from .training import History

__all__ = ["reference_dir", "load_reference", "reference_runs"]


def reference_dir() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parent.parent / "data" / "reference"


def load_reference(path: str | pathlib.Path | None = None) -> dict | None:
    """The newest reference results file (or ``path``), or None when there is none."""
    if path is None:
        files = sorted(reference_dir().glob("*.json"))
        if not files:
            return None
        path = files[-1]
    with open(path) as f:
        return json.load(f)


def reference_runs(experiment: str, results: dict | None = None) -> list[History]:
    """The reference runs of one experiment (e.g. ``"04_resnet/degradation"``), labelled with
    the device and date they were measured on; an empty list when there are none."""
    results = load_reference() if results is None else results
    if not results:
        return []
    runs = []
    for run in results.get("experiments", {}).get(experiment, []):
        h = History.from_dict(run)
        h.info = {**h.info, "device": results.get("device", h.info.get("device")),
                  "date": results.get("date")}
        runs.append(h)
    return runs
