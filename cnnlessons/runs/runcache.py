"""Training runs kept on disk, so that a run trained once (by ``cnnlessons prepare`` before a
lecture, or by yesterday's session) answers at once.

An entry is one trained run of a recipe: its ``History`` and the model's ``state_dict``. It is
found by a hash of everything that decides the run: the resolved recipe (models, ``fit``
arguments, budget, seed), the data (a fingerprint of its arrays), the code that builds and trains
the model (``DECIDING``: the models, the layers, the training path; not the lessons' prose, the
views or the instructor's tools, whose edits keep the cache), the torch version, the device and
the precision. Any change of these trains again. Entries are written atomically (a temporary file, then
``os.replace``), so an interrupted run leaves no half entry; an entry that cannot be read, or
that belongs to another key, is ignored with one line on stdout and trained again.

Where: ``$CNNLESSONS_RUN_CACHE`` when set (``off`` turns the cache off), else ``runs/`` under
the data root (``cnnlessons.data.data_root()``). Tests and the notebook build point it at a
temporary folder.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import os
import platform
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from ..data import CourseData
    from ..history import History

# runs.recipes imports this module, so this one names its Recipe and Run without importing them.
Recipe = Any
Run = Any

__all__ = [
    "CACHE_VARIABLE",
    "FORMAT",
    "cache_dir",
    "cache_note",
    "cached_training",
    "data_fingerprint",
    "disk_cached",
    "entry_path",
    "run_key",
    "source_hash",
]

CACHE_VARIABLE = "CNNLESSONS_RUN_CACHE"
FORMAT = 2
"""The entry layout; an entry of another format is ignored."""
PACKAGE = Path(__file__).resolve().parents[1]
DECIDING = (
    "models",
    "layers.py",
    "parallel.py",
    "measure.py",
    "data.py",
    "datasources.py",
    "tensordata.py",
    "dataloader.py",
    "augmentation.py",
    "profiles.py",
    "training.py",
    "precision.py",
    "resume.py",
    "runs/recipes.py",
    "runs/measurements.py",
    "runs/runcache.py",
)
"""The package's files and folders whose code decides a trained run: the models and their blocks,
the data path, the training loop and the recipe that drives it (the recipe's own settings are in
the key already)."""


def cache_dir() -> Path | None:
    """The cache folder, or None when ``$CNNLESSONS_RUN_CACHE`` is ``off``."""
    value = os.environ.get(CACHE_VARIABLE, "").strip()
    if value.lower() in {"off", "0", "false", "no"}:
        return None
    if value:
        return Path(value).expanduser()
    from ..data import data_root

    return data_root() / "runs"


@functools.cache
def source_hash() -> str:
    """A hash of the code that decides a run: every ``.py`` file of ``DECIDING`` (path and content)."""
    digest = hashlib.blake2b(digest_size=16)
    paths = (
        p
        for name in DECIDING
        for p in ([PACKAGE / name] if name.endswith(".py") else (PACKAGE / name).rglob("*.py"))
    )
    for path in sorted(paths):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


_FINGERPRINTS: dict[tuple, str] = {}


def _tensor_digest(tensor: torch.Tensor) -> str:
    # Remembered per storage and version: hashing 100 MB of images on every click would cost
    # more than the redraw, and an in-place change bumps ``_version``.
    memo = (tensor.data_ptr(), tuple(tensor.shape), str(tensor.dtype), tensor._version)
    if memo not in _FINGERPRINTS:
        array = tensor.detach().cpu().contiguous()
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{tuple(array.shape)} {array.dtype}".encode())
        digest.update(array.view(torch.uint8).numpy().tobytes() if array.numel() else b"")
        _FINGERPRINTS[memo] = digest.hexdigest()
    return _FINGERPRINTS[memo]


def data_fingerprint(data: CourseData) -> str:
    """A hash of the data's arrays (every split's images and labels) and its normalisation."""
    parts = []
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if isinstance(value, torch.Tensor):
            parts.append(f"{field.name}={_tensor_digest(value)}")
        elif field.name != "source":  # where it came from is no part of what it is
            parts.append(f"{field.name}={value!r}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def run_key(
    recipe: Recipe,
    run: Run,
    data: CourseData,
    profile: Any,
    *,
    epochs: int,
    seed: int,
    device: torch.device,
    precision: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The entry's hash, and what it was computed from (plain data, kept in the entry)."""
    from ..devices import device_description

    overrides = {} if precision is None else {"precision": precision}
    budget = {k: v for k, v in dataclasses.asdict(profile).items() if k not in ("progress", "description")}
    keyed = {
        "format": FORMAT,
        "recipe": recipe.resolved(profile, runs=[run]),
        "epochs": epochs,
        "seed": seed,
        "fit_overrides": overrides,
        "profile": budget,
        "data": data_fingerprint(data),
        "source": source_hash(),
        "torch": torch.__version__,
        "device": device_description(device, threads=False),
        "precision": precision or recipe.training_for(run).precision or "auto",
    }
    text = json.dumps(keyed, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest(), json.loads(text)


def entry_path(root: Path, recipe_key: str, label: str, key: str) -> Path:
    """``<root>/<notebook>/<experiment>/<label>-<hash>.pt``, readable by a person."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "run"
    return root.joinpath(*recipe_key.split("/")) / f"{slug}-{key[:20]}.pt"


def _ignore(path: Path, why: str) -> None:
    # One line on stdout: stored notebooks keep stderr clean, and this is no error.
    print(f"run cache: ignoring {path} ({why}); training again")


def _load(path: Path, key: str, probe: bool = False) -> dict[str, Any] | None:
    """The entry at ``path``, or None when there is none usable (said on stdout). With ``probe``,
    only whether it is there: nothing said, and the weights mapped rather than read."""
    ignore = (lambda path, why: None) if probe else _ignore
    if not path.exists():
        return None
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True, mmap=probe)
    except Exception as err:  # a truncated or foreign file: any reader error means "not usable"
        ignore(path, f"unreadable: {type(err).__name__}")
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
        ignore(path, "not an entry of this key and format")
        return None
    if not isinstance(entry.get("history"), str) or not isinstance(entry.get("state_dict"), dict):
        ignore(path, "incomplete")
        return None
    if not probe and entry.get("hash") != content_hash(entry["history"], entry["state_dict"]):
        ignore(path, "damaged: its weights or history no longer match the hash they were stored with")
        return None
    return entry


def content_hash(history_json: str, state_dict: Mapping[str, torch.Tensor]) -> str:
    """A hash of an entry's history and weights, stored beside them: a damaged entry is not used."""
    from ..models.converged import weights_digest

    return hashlib.sha256(f"{weights_digest(state_dict)}|{history_json}".encode()).hexdigest()


def _store(path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(entry, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cache_note(histories: Mapping[str, History] | History | None) -> str:
    """``" (from the cache: trained <when> on <host>, <device>; <path>)"`` for cached runs, else ``""``."""
    if histories is None:
        return ""
    items = histories.values() if isinstance(histories, Mapping) else [histories]
    cached = [h.info["cache"] for h in items if isinstance(h.info.get("cache"), dict)]
    if not cached:
        return ""
    first = cached[0]
    where = Path(first["path"]).parent
    return f" (from the cache: trained {first['trained_at']} on {first['host']}, {first['device']}; {where})"


@dataclasses.dataclass(frozen=True)
class _Place:
    """Where a run's entry is: the run's resolved settings, its key and its path."""

    profile: Any
    epochs: int
    seed: int
    device: torch.device
    key: str
    keyed: dict[str, Any]
    path: Path


def _place(
    root: Path,
    recipe: Recipe,
    run: Run,
    data: CourseData,
    profile: Any,
    epochs: int | None,
    seed: int | None,
    device: str | torch.device | None,
    precision: str | None,
) -> _Place:
    from ..devices import pick_device
    from ..profiles import get_profile

    profile = get_profile(profile)
    seed = recipe.seed if seed is None else seed
    epochs = recipe.epochs_for(profile) if epochs is None else epochs
    device = pick_device(device)
    key, keyed = run_key(
        recipe, run, data, profile, epochs=epochs, seed=seed, device=device, precision=precision
    )
    return _Place(profile, epochs, seed, device, key, keyed, entry_path(root, recipe.key, run.label, key))


def cached_training(
    recipe: Recipe,
    run: Run,
    data: CourseData,
    profile: Any = None,
    *,
    epochs: int | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    precision: str | None = None,
) -> dict[str, Any] | None:
    """When ``recipe.fit_run(run, data, profile, ...)`` would answer from the cache: the entry's
    record of its training (``trained_at``, ``host``, ``device``, ``seconds``, ``path``); else
    None (it would train)."""
    root = cache_dir()
    if root is None:
        return None
    place = _place(root, recipe, run, data, profile, epochs, seed, device, precision)
    entry = _load(place.path, place.key, probe=True)
    return None if entry is None else {**entry["trained"], "path": str(place.path)}


def disk_cached(fit_run: Callable[..., tuple[torch.nn.Module, History]]):
    """Decorate ``Recipe.fit_run``: answer from the disk cache when the same run was trained
    before, else train and keep the run (unless it was interrupted)."""

    @functools.wraps(fit_run)
    def cached_fit_run(
        recipe: Recipe,
        run: Run,
        data: CourseData,
        profile: Any = None,
        *,
        epochs: int | None = None,
        seed: int | None = None,
        device: str | torch.device | None = None,
        precision: str | None = None,
        show: str | Callable[[History], None] | None = None,
        checkpoint: str | os.PathLike | None = None,
    ) -> tuple[torch.nn.Module, History]:
        from ..history import History

        root = cache_dir()
        if root is None:
            return fit_run(
                recipe,
                run,
                data,
                profile,
                epochs=epochs,
                seed=seed,
                device=device,
                precision=precision,
                show=show,
                checkpoint=checkpoint,
            )
        place = _place(root, recipe, run, data, profile, epochs, seed, device, precision)
        profile, epochs, seed, device = place.profile, place.epochs, place.seed, place.device
        key, keyed, path = place.key, place.keyed, place.path
        entry = _load(path, key)
        if entry is not None:
            model = recipe.build(run, data)
            model.load_state_dict(entry["state_dict"])
            model.to(device)
            history = History.from_dict(json.loads(entry["history"]))
            history.info["cache"] = {**entry["trained"], "path": str(path)}
            if callable(show):
                show(history)
            return model, history

        started = datetime.datetime.now().astimezone()
        model, history = fit_run(
            recipe,
            run,
            data,
            profile,
            epochs=epochs,
            seed=seed,
            device=device,
            precision=precision,
            show=show,
            checkpoint=checkpoint,
        )
        if history.interrupted:
            return model, history
        try:
            history_json = history.to_json()
        except (TypeError, ValueError):  # an info value JSON cannot hold: keep the run uncached
            return model, history
        trained = {
            "trained_at": started.strftime("%Y-%m-%d %H:%M %Z").strip(),
            "host": platform.node() or "this machine",
            "device": keyed["device"],
            "seconds": round(history.wall_time, 1),
        }
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        entry = {"format": FORMAT, "key": key, "keyed": json.dumps(keyed), "trained": trained}
        entry |= {"history": history_json, "state_dict": state, "hash": content_hash(history_json, state)}
        try:
            _store(path, entry)
        except (OSError, RuntimeError) as error:  # a full disk, a file-size limit, a read-only root
            reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
            print(
                f"run cache: could not keep {run.label} in {path} ({reason}); "
                "the trained run is returned, not cached"
            )
        return model, history

    return cached_fit_run
