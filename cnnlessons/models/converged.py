"""The converged checkpoints the course ships: ``build_model(name, weights="cifar10")``.

Each lesson's course-scale model and the paper's ResNet-20, trained to the end on CIFAR-10
(``cnnlessons train NAME`` trains one again from its recipe), are package data in
``models/cifar10/``: ``NAME.pt``, the state dict in float16, and ``NAME.json``, its record (test
accuracy, the normalisation its inputs need, the recipe and its digest, the training history, the
hash of the weights, its confusion matrix and most confident mistakes on the test split, ...).
Loading is strict: the model must be built with the arguments it was trained with, and the weights
must hash to what the record says.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "ERROR_KEYS",
    "WEIGHTS",
    "WEIGHTS_NAME",
    "available",
    "check_error_analysis",
    "checkpoint_table",
    "confident_mistakes",
    "confusion_matrix",
    "load_record",
    "load_converged",
    "per_class_accuracy",
    "record_path",
    "weights_digest",
    "weights_path",
]

WEIGHTS = Path(__file__).resolve().parent / "cifar10"
"""The package's folder of shipped checkpoints."""
WEIGHTS_NAME = "cifar10"
"""The ``weights`` value that loads them."""


def weights_path(name: str, folder: str | Path = WEIGHTS) -> Path:
    return Path(folder) / f"{name}.pt"


def record_path(name: str, folder: str | Path = WEIGHTS) -> Path:
    return Path(folder) / f"{name}.json"


def available(folder: str | Path = WEIGHTS) -> tuple[str, ...]:
    """The names of the checkpoints in ``folder`` (a weights file and its record)."""
    folder = Path(folder)
    return tuple(sorted(p.stem for p in folder.glob("*.json") if weights_path(p.stem, folder).exists()))


def weights_digest(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict: its keys, dtypes, shapes and bytes, in key order."""
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def load_record(name: str, folder: str | Path = WEIGHTS) -> dict[str, Any]:
    """The record of checkpoint ``name``; a missing, unfinished or empty one is refused in one line."""
    path = record_path(name, folder)
    if not path.exists() or not weights_path(name, folder).exists():
        known = ", ".join(available(folder)) or "none yet"
        raise ValueError(
            f"no converged CIFAR-10 checkpoint of {name!r} ships with the course "
            f"(weights='{WEIGHTS_NAME}' exists for: {known})"
        )
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(_damaged(path, error)) from None
    history = record.get("history") or {}
    if history.get("interrupted") or not history.get("epoch") or record.get("test_acc") is None:
        raise ValueError(
            f"{path} is not a finished run (interrupted, or no epoch or test accuracy): it is not loaded"
        )
    return record


def _damaged(path: Path, error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return (
        f"{path} is damaged ({type(error).__name__}: {first}): reinstall the course "
        f"(pip install --force-reinstall cnnlessons), or restore the file from the repository"
    )


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=list))


def load_converged(
    name: str, build: Callable[..., nn.Module], kwargs: Mapping[str, Any], folder: str | Path = WEIGHTS
) -> nn.Module:
    """``build(**kwargs)`` with the weights of checkpoint ``name`` loaded strictly, in float32.

    ``kwargs`` must build the model the checkpoint was trained as (the same architecture as the
    record's arguments give); ``num_classes`` and ``in_channels`` must be CIFAR-10's.
    """
    record = load_record(name, folder)
    for key, value in (("num_classes", 10), ("in_channels", 3)):
        if kwargs.get(key, value) != value:
            raise ValueError(
                f"{key} must be {value} for weights='{WEIGHTS_NAME}' (CIFAR-10), got {kwargs[key]!r}"
            )
    model = build(**kwargs)
    with torch.device("meta"):
        trained_as = build(**record["model_kwargs"])
    if repr(model) != repr(trained_as):
        asked = {k: v for k, v in _plain(dict(kwargs)).items() if k not in ("num_classes", "in_channels")}
        raise ValueError(
            f"the {name} checkpoint was trained as build_model({record['model']!r}"
            + "".join(f", {k}={v!r}" for k, v in record["model_kwargs"].items())
            + f"); these arguments build another model: {asked or 'the defaults'}"
        )
    try:
        state = torch.load(weights_path(name, folder), map_location="cpu", weights_only=True)
    except Exception as error:  # truncated or overwritten: any reader error means a damaged file
        raise ValueError(_damaged(weights_path(name, folder), error)) from None
    if weights_digest(state) != record["weights_sha256"]:
        raise ValueError(
            f"{weights_path(name, folder)} does not hash to its record's weights_sha256: "
            "the weights and the record are from different runs"
        )
    try:
        model.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=True
        )
    except RuntimeError as error:  # the model's code changed since the checkpoint was trained
        lines = str(error).splitlines()
        first = lines[1].strip() if len(lines) > 1 else str(error)
        raise ValueError(
            f"the shipped {name} checkpoint does not fit today's {record['model']!r} "
            f"({first}, ...): train it again (cnnlessons train {name} --data PATH)"
        ) from None
    model.eval()
    model.checkpoint_record = record  # type: ignore[assignment]  # travels with the model: accuracy, normalisation, history
    return model


ERROR_KEYS = ("confusion", "confident_mistakes", "error_analysis")
"""The record entries of the error analysis (``cnnlessons.runs.errors``)."""


def check_error_analysis(record: Mapping[str, Any], tolerance: float | None = 0.002) -> None:
    """Refuse, in one line (ValueError), a record whose error analysis does not hold together: a
    square confusion of counts over its classes that adds up to the images measured, whose diagonal
    gives the record's test accuracy within ``tolerance`` (None: not compared), and confident
    mistakes that are mistakes, most confident first, each counted in the confusion."""
    where = f"the {record.get('name', '?')} record's error analysis"
    missing = [key for key in ERROR_KEYS if key not in record]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    confusion, mistakes, about = (record[key] for key in ERROR_KEYS)
    classes, images = about.get("classes"), about.get("images")
    if not isinstance(classes, list) or len(classes) < 2 or not isinstance(images, int) or images < 1:
        raise ValueError(f"{where} names no classes or no number of images")
    n = len(classes)
    if (
        not isinstance(confusion, list)
        or len(confusion) != n
        or any(not isinstance(row, list) or len(row) != n for row in confusion)
        or any(not isinstance(c, int) or isinstance(c, bool) or c < 0 for row in confusion for c in row)
    ):
        raise ValueError(f"{where}: confusion must be {n} x {n} counts")
    total = sum(map(sum, confusion))
    if total != images:
        raise ValueError(f"{where}: the confusion counts {total:,} images, not the {images:,} measured")
    accuracy = sum(confusion[i][i] for i in range(n)) / total
    if tolerance is not None and abs(accuracy - record["test_acc"]) > tolerance:
        raise ValueError(
            f"{where}: its diagonal gives {accuracy:.2%}, the record's test accuracy is "
            f"{record['test_acc']:.2%} (more than {tolerance:.2%} apart)"
        )
    if not isinstance(mistakes, list) or any(not isinstance(m, dict) for m in mistakes):
        raise ValueError(f"{where}: confident_mistakes must be a list of mistakes")
    seen: dict[tuple[int, int], int] = {}
    for i, mistake in enumerate(mistakes):
        true, predicted = mistake.get("true"), mistake.get("predicted")
        index, probability = mistake.get("index"), mistake.get("probability")
        if true not in classes or predicted not in classes or true == predicted:
            raise ValueError(f"{where}: confident mistake {i} is not a mistake ({true} as {predicted})")
        if not isinstance(index, int) or not 0 <= index < images:
            raise ValueError(f"{where}: confident mistake {i} has no index into the {images:,} images")
        if not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
            raise ValueError(f"{where}: confident mistake {i} has no probability in [0, 1]")
        if i and probability > mistakes[i - 1]["probability"]:
            raise ValueError(f"{where}: the confident mistakes are not most confident first (at {i})")
        cell = (classes.index(true), classes.index(predicted))
        seen[cell] = seen.get(cell, 0) + 1
        if seen[cell] > confusion[cell[0]][cell[1]]:
            raise ValueError(f"{where}: more {true}-as-{predicted} mistakes listed than the confusion counts")
    if len({m["index"] for m in mistakes}) != len(mistakes):
        raise ValueError(f"{where}: a confident mistake is listed twice")


def _errors(name: str, folder: str | Path) -> dict[str, Any]:
    record = load_record(name, folder)
    if "confusion" not in record:
        raise ValueError(
            f"the {name} record holds no error analysis: add it with "
            f"`cnnlessons checkpoints errors {name} --data PATH`"
        )
    check_error_analysis(record, tolerance=None)
    return record


def confusion_matrix(name: str, folder: str | Path = WEIGHTS) -> tuple[list[str], torch.Tensor]:
    """Checkpoint ``name``'s classes and its confusion matrix on the test split (int64; rows: the
    true class, columns: the predicted one)."""
    record = _errors(name, folder)
    return list(record["error_analysis"]["classes"]), torch.tensor(record["confusion"], dtype=torch.int64)


def per_class_accuracy(name: str, folder: str | Path = WEIGHTS) -> dict[str, float]:
    """Checkpoint ``name``'s accuracy on each class of the test split, from its confusion matrix
    (measured on the float16 weights in float32, as ``build_model`` loads them)."""
    classes, confusion = confusion_matrix(name, folder)
    correct = confusion.diagonal().double() / confusion.sum(dim=1).clamp_min(1).double()
    return dict(zip(classes, correct.tolist(), strict=True))


def confident_mistakes(name: str, folder: str | Path = WEIGHTS) -> list[dict[str, Any]]:
    """Checkpoint ``name``'s most confident mistakes on the test split, most confident first: each
    ``index`` (into the test split as ``load_dataset`` loads it), ``true``, ``predicted`` (class
    names) and ``probability`` (the softmax probability of the wrong class)."""
    return [dict(m) for m in _errors(name, folder)["confident_mistakes"]]


def checkpoint_table(folder: str | Path = WEIGHTS) -> str:
    """A markdown table of the shipped checkpoints: what ``weights="cifar10"`` loads, the test
    accuracy each reached, and the run that trained it."""
    rows = [
        "| `build_model(...)` | parameters | test accuracy | epochs | precision | device | wall time |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for name in available(folder):
        r = load_record(name, folder)
        args = "".join(f", {k}={v!r}" for k, v in r["model_kwargs"].items())
        device = r["device"]
        rows.append(
            f'| `{r["model"]!r}{args}, weights="cifar10"` | {r["parameters"]:,} | '
            f"{r['test_acc']:.2%} | {r['epochs']} | {r['precision']} | {device} | "
            f"{r['wall_time_s'] / 60:.0f} min |"
        )
    return "\n".join(rows)


if __name__ == "__main__":  # python -m cnnlessons.models.converged: docs/results.md's table
    print(checkpoint_table())
