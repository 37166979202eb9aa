"""The converged checkpoints the course ships: ``build_model(name, weights="cifar10")``.

Each lesson's course-scale model and the paper's ResNet-20, trained to the end on CIFAR-10
(``cnnlessons train NAME`` trains one again from its recipe), are package data in
``models/cifar10/``: ``NAME.pt``, the state dict in float16, and ``NAME.json``, its record (test
accuracy, the normalisation its inputs need, the recipe and its digest, the training history, the
hash of the weights, ...). Loading is strict: the model must be built with the arguments it was
trained with, and the weights must hash to what the record says.
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
    "WEIGHTS",
    "WEIGHTS_NAME",
    "available",
    "checkpoint_table",
    "load_record",
    "load_converged",
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
