"""``cnnlessons train NAME``: train one of the shipped checkpoints again from its recipe.

    python -m cnnlessons train resnet20 --data PATH [--resume] [--precision bf16] [--out DIR]

The recipe is ``CONVERGED[NAME]`` (``cnnlessons.runs.converged``): CIFAR-10's 45,000 training images,
5,000 held out for validation, the 10,000 test images evaluated once at the end. The command
prints the estimate first, then a line per finished epoch, and keeps the run's state after every epoch in
``checkpoints/NAME.partial.pt`` under the data root: an interrupted run writes nothing else, and
``--resume`` goes on from its last finished epoch. A finished run writes ``NAME.pt`` (the
weights in float16) and ``NAME.json`` (its record: test accuracy overall and per class, the test
set, the normalisation, the recipe and its digest, the history, precision, device, wall time,
date, torch version and the weights' hash, and the error analysis of ``cnnlessons.runs.errors``:
the test split's confusion matrix and most confident mistakes, measured on the float16 weights as
``build_model(NAME, weights="cifar10")`` loads them) into ``--out``, checked before training starts: by
default ``cifar10_checkpoints/`` under the data root. The shipped checkpoints (the package's
``models/cifar10/``) are replaced only when ``--out`` names that folder, and only by a run on the
full training split.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

import torch

from ..data import CourseData, check_writable, data_root
from ..devices import device_description, pick_device
from ..models.converged import WEIGHTS, record_path, weights_digest, weights_path
from ..profiles import get_profile
from .converged import CONVERGED, PROFILE, load_training_data
from .errors import error_analysis, write_record

__all__ = [
    "cpu_runs_bf16",
    "default_out",
    "default_precision",
    "partial_path",
    "per_class_accuracy",
    "train",
    "run",
]


def cpu_runs_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX), where bf16 autocast
    trains faster than float32 (Linux: read from /proc/cpuinfo)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def default_precision(device: torch.device) -> str:
    """What the checkpoints train in: bf16 autocast on a CPU that computes it natively, else ``auto``."""
    return "bf16" if device.type == "cpu" and cpu_runs_bf16() else "auto"


def partial_path(name: str) -> Path:
    """Where an unfinished run of checkpoint ``name`` keeps its state."""
    return data_root() / "checkpoints" / f"{name}.partial.pt"


def default_out() -> Path:
    """Where a trained checkpoint goes unless ``--out`` says otherwise: under the data root, never
    over the shipped ones."""
    return data_root() / "cifar10_checkpoints"


FULL_TRAINING_SPLIT = 45_000
"""The training images of the ``gpu`` profile's CIFAR-10 split: what a shipped checkpoint trains on."""


def check_out(out: Path, data: CourseData) -> None:
    """Refuse, before training, a ``--out`` that cannot be written, or one that would replace the
    shipped checkpoints with a run on less than the full training split."""
    if out.resolve() == WEIGHTS.resolve() and len(data.train_labels) < FULL_TRAINING_SPLIT:
        raise ValueError(
            f"--out {out} holds the shipped checkpoints: replacing them needs a run on the full "
            f"training split ({FULL_TRAINING_SPLIT:,} images), got {len(data.train_labels):,}"
        )
    try:
        check_writable(out)
    except OSError as error:
        raise ValueError(
            f"--out {out} cannot be written ({error.strerror or error}): choose another folder"
        ) from None


@torch.no_grad()
def per_class_accuracy(model: torch.nn.Module, data: CourseData, precision: str = "fp32") -> dict[str, float]:
    """Accuracy on each class of ``data``'s test split."""
    from ..precision import choose_precision
    from ..tensordata import TensorLoader

    device = next(model.parameters()).device
    batches = TensorLoader(
        data.test_images, data.test_labels, batch_size=500, mean=data.mean, std=data.std, device=device
    )
    autocast = choose_precision(precision, device).autocast()
    model.eval()
    correct = torch.zeros(data.num_classes)
    total = torch.zeros(data.num_classes)
    for x, y in batches:
        with autocast:
            predicted = model(x).argmax(dim=1).cpu()
        y = y.cpu()
        total += torch.bincount(y, minlength=data.num_classes).float()
        correct += torch.bincount(y[predicted == y], minlength=data.num_classes).float()
    return {name: float(c / t) for name, c, t in zip(data.classes, correct, total, strict=False)}


def train(
    name: str,
    data: CourseData,
    *,
    resume: bool = False,
    precision: str | None = None,
    out: str | Path | None = None,
    device: str | None = None,
    data_name: str | None = None,
) -> dict[str, Any] | None:
    """Train checkpoint ``name`` from its recipe on ``data`` (CIFAR-10 split as the ``gpu``
    profile splits it); its record, or None when the run was interrupted (its state stays in
    ``partial_path(name)`` for ``resume=True``). ``data_name`` says what the data are, for the
    record (default: the data's own description)."""
    if name not in CONVERGED:
        raise ValueError(f"name must be one of {', '.join(CONVERGED)}, got {name!r}")
    if data.num_classes != 10 or data.input_size != (3, 32, 32):
        raise ValueError(
            f"data must be CIFAR-10 (10 classes, 3x32x32), got {data.name} with "
            f"{data.num_classes} classes, {data.input_size}"
        )
    recipe = CONVERGED[name]
    profile = get_profile(PROFILE)
    chosen = pick_device(device)
    if precision is None:
        precision = default_precision(chosen)
    partial = partial_path(name)
    if partial.exists() and not resume:
        raise FileExistsError(
            f"an unfinished run of {name} is kept in {partial}: pass resume=True "
            "(--resume) to go on from it, or delete it to start again"
        )
    out = Path(out) if out is not None else default_out()
    check_out(out, data)
    [spec] = recipe.runs_for(profile)
    print(recipe.describe(profile))
    print(recipe.estimate(data, profile, precision=precision))
    started = datetime.datetime.now().astimezone()
    # The recipe's training itself, not the run cache: this run keeps its own state per epoch.
    model, history = recipe.fit_run.__wrapped__(
        recipe,
        spec,
        data,
        profile,
        device=chosen,
        precision=precision,
        checkpoint=partial,
        show="epochs",
    )
    if history.interrupted:
        print(
            f"{name}: interrupted after {len(history.epoch)} finished epoch(s); nothing written. "
            f"Its state is in {partial}: run again with --resume to go on."
        )
        return None
    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu", torch.float16 if v.is_floating_point() else v.dtype)
        for k, v in model.state_dict().items()
    }
    torch.save(state, weights_path(name, out))
    test_set = data_name or data.source or data.name
    record = {
        "name": name,
        "model": spec.model,
        "model_kwargs": json.loads(json.dumps(dict(spec.model_kwargs))),
        "parameters": sum(p.numel() for p in model.parameters()),
        "test_acc": history.test_acc,
        "per_class_test_acc": per_class_accuracy(model, data, history.info["precision"]),
        "test_set": f"{test_set}: the test split, {len(data.test_labels):,} images",
        "train_size": len(data.train_labels),
        "val_size": len(data.val_labels),
        "normalisation": {"mean": data.mean.tolist(), "std": data.std.tolist()},
        "recipe": recipe.key,
        "recipe_digest": recipe.digest(profile),
        "recipe_resolved": recipe.resolved(profile),
        "epochs": history.epoch[-1],
        "precision": history.info["precision"],
        "device": device_description(chosen),
        "threads": torch.get_num_threads(),
        "wall_time_s": round(history.wall_time, 1),
        "date": started.date().isoformat(),
        "torch": torch.__version__,
        "weights_dtype": "float16",
        "weights_sha256": weights_digest(state),
        "history": history.to_dict(),
    }
    # The error analysis measures the weights as they ship: float16, loaded back in float32.
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    record |= error_analysis(model, data, data_name=test_set, weights_sha256=record["weights_sha256"])
    write_record(record, record_path(name, out))
    partial.unlink(missing_ok=True)
    print(
        f"{name}: test accuracy {history.test_acc:.2%} after {history.epoch[-1]} epochs in "
        f"{history.wall_time / 60:.1f} min; wrote {weights_path(name, out)} and "
        f"{record_path(name, out)}"
    )
    return record


def run(args: argparse.Namespace) -> int:
    """The ``train`` command (its arguments: ``cnnlessons.__main__``)."""
    try:
        if args.name not in CONVERGED:
            raise ValueError(f"name must be one of {', '.join(CONVERGED)}, got {args.name!r}")
        try:
            data = load_training_data(args.data)
        except (ValueError, FileNotFoundError) as error:
            raise ValueError(f"--data: {error}") from None
        record = train(
            args.name,
            data,
            resume=args.resume,
            precision=args.precision,
            out=args.out,
            device=args.device,
            data_name=args.data_name,
        )
    except (ValueError, FileExistsError) as error:
        print(f"train: {error}", file=sys.stderr)
        return 2
    return 0 if record is not None else 1
