"""A training run's state on disk, so that a long run stopped part-way resumes where it stopped.

``fit(..., checkpoint=path)`` writes the state after every finished epoch: the model, the
optimizer, the learning-rate schedule, the gradient scaler, the random state of the batches and
of torch, and the history so far. Started again with the same ``path``, it goes on after the last
finished epoch, as if it had never stopped. The file is replaced atomically (a temporary file,
then ``os.replace``), so a run killed while writing leaves the previous epoch's state.

The state records what decides the run (``settings``: epochs, batch size, optimizer, schedule,
...); resuming with other settings is refused, naming the file and the setting that differs.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .tensordata import TensorLoader

__all__ = ["FORMAT", "save_state", "load_state", "check_settings", "random_state", "set_random_state"]

FORMAT = 1


def save_state(path: str | os.PathLike, state: Mapping[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (creating its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        torch.save({"format": FORMAT, **state}, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_state(path: str | os.PathLike) -> dict[str, Any] | None:
    """The state saved at ``path``, or None when there is none. A file this module did not
    write, or of another format, is an error naming it."""
    path = Path(path)
    if not path.exists():
        return None
    # The file is this machine's own run state (optimizer and random states are not plain
    # tensors), written by save_state: not a file from elsewhere.
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:
        raise ValueError(
            f"checkpoint {path} cannot be read ({type(error).__name__}: {error}); "
            "delete it to start the run again"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(
            f"checkpoint {path} is not a run state of this version of the course; "
            "delete it to start the run again"
        )
    return state


def check_settings(path: str | os.PathLike, saved: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
    """Refuse to resume a run whose settings differ from the saved run's (ValueError naming them)."""
    differ = {
        k: (saved.get(k), wanted.get(k))
        for k in sorted(set(saved) | set(wanted))
        if saved.get(k) != wanted.get(k)
    }
    if differ:
        text = ", ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in differ.items())
        raise ValueError(
            f"checkpoint {path} holds another run ({text}); resume it with its own "
            "settings, or delete it to start again"
        )


def random_state(train_batches: Iterable) -> dict[str, Any]:
    """What draws the next epoch's batches and dropout masks (restored on resume)."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state(),
    }
    if isinstance(train_batches, TensorLoader):
        state["batches"] = train_batches.generator.get_state()
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(train_batches: Iterable, state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if isinstance(train_batches, TensorLoader) and "batches" in state:
        train_batches.generator.set_state(state["batches"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
