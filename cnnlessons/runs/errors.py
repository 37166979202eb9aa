"""Error analysis of a checkpoint on the test split: where it goes wrong, kept in its record.

    python -m cnnlessons checkpoints errors --data PATH [NAME ...] [--data-name TEXT] [--folder DIR]

``error_analysis(model, data)`` runs ``model`` once over ``data``'s whole test split, in float32,
and gives three record entries: ``confusion`` (rows: the true class, columns: the predicted one,
counts), ``confident_mistakes`` (the wrong predictions with the highest softmax probability, most
confident first: each its index into the test split, its true and predicted class and that
probability) and ``error_analysis`` (what they were measured on: split, images, data, a hash of the
test images and labels, the classes, the weights' hash, device, torch, date).

``cnnlessons train`` adds them to a new checkpoint's record, measured on the float16 weights it
writes, as ``build_model(name, weights="cifar10")`` loads them. The ``checkpoints errors`` command
adds them to an existing record: it loads the weights as they ship (strictly, their hash checked),
refuses data whose training split does not give the record's normalisation, and rewrites only the
record (``NAME.pt`` is never written). ``cnnlessons.models.converged`` reads them back
(``confusion_matrix``, ``per_class_accuracy``, ``confident_mistakes``).

An index ``i`` names ``data.test_images[i]`` of the data as ``load_training_data`` (that is
``load_dataset``) loads them: the test split's order is the same for every seed and profile.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..data import CourseData
from ..devices import device_description, pick_device
from ..i18n import _
from ..models.converged import (
    ERROR_KEYS,
    WEIGHTS,
    available,
    check_error_analysis,
    confident_mistakes,
    load_converged,
    load_record,
    record_path,
)
from ..plots.errors import Mistakes

__all__ = [
    "CONFIDENT_MISTAKES",
    "ORDER",
    "add_arguments",
    "add_error_analysis",
    "confident_mistakes_on",
    "error_analysis",
    "run",
    "split_digest",
    "write_record",
]

CONFIDENT_MISTAKES = 32
"""How many of the most confident mistakes a record keeps."""

ORDER = "index i is data.test_images[i] as load_dataset (load_training_data) loads the test split"
"""What a confident mistake's ``index`` points at, said in the record."""


def split_digest(data: CourseData, which: str = "test") -> str:
    """SHA-256 of one split of ``data`` (default: the test split): its images (uint8, N x C x H x W)
    and labels, in order. Whoever holds the same decode of the data gets the same hash; it holds
    no image data."""
    images, labels = data.split(which)
    digest = hashlib.sha256()
    for tensor in (images, labels.to(torch.int64)):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def confident_mistakes_on(name: str, data: CourseData, n: int = 8) -> Mistakes:
    """The first ``n`` of checkpoint ``name``'s most confident mistakes (its record), with their
    images from ``data``'s test split: only where that split is the very one the record measured
    (its hash), since the record names a mistake by its index there; else no images and why
    (``plots.plot_mistakes`` draws them)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    measured = load_record(name).get("error_analysis", {})
    if split_digest(data) != measured.get("test_sha256"):
        why = _(
            "The images of {name}'s most confident mistakes are left out: its record names them by "
            "their index in the {images:,} test images of {measured}, and this run's test split "
            "({count:,} {data} images) is another."
        ).format(
            name=name,
            images=measured.get("images", 0),
            measured=measured.get("data"),
            count=len(data.test_labels),
            data=data.name,
        )
        return Mistakes(name, None, [], [], [], why)
    found = confident_mistakes(name)[:n]
    return Mistakes(
        name,
        data.test_images[[m["index"] for m in found]],
        [data.classes.index(m["predicted"]) for m in found],
        [data.classes.index(m["true"]) for m in found],
        [float(m["probability"]) for m in found],
    )


@contextlib.contextmanager
def _full_float32(device: torch.device) -> Iterator[None]:
    """float32 as the CPU computes it: no TF32 in CUDA's convolutions and matrix products."""
    if device.type != "cuda":
        yield
        return
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@torch.no_grad()
def _predict(
    model: nn.Module, data: CourseData, device: torch.device, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The predicted class of every test image and its softmax probability (float32, on the CPU)."""
    from ..tensordata import TensorLoader

    batches = TensorLoader(
        data.test_images, data.test_labels, batch_size=batch_size, mean=data.mean, std=data.std, device=device
    )
    was_training = model.training
    model.eval()
    predicted, probability = [], []
    try:
        with _full_float32(device):
            for x, _labels in batches:
                top = torch.softmax(model(x).float(), dim=1).max(dim=1)
                predicted.append(top.indices.cpu())
                probability.append(top.values.cpu())
    finally:
        model.train(was_training)
    return torch.cat(predicted), torch.cat(probability)


def error_analysis(
    model: nn.Module,
    data: CourseData,
    *,
    mistakes: int = CONFIDENT_MISTAKES,
    data_name: str | None = None,
    weights_sha256: str | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 500,
) -> dict[str, Any]:
    """``confusion``, ``confident_mistakes`` and ``error_analysis`` (their provenance) of ``model``
    on ``data``'s whole test split, in float32 on ``device`` (default: where the model is).

    ``mistakes``: how many of the most confident mistakes to keep (ties: the lower index first);
    ``data_name``: what the data are, in words (default: the data's own description);
    ``weights_sha256``: the hash of the weights measured, for the provenance.
    """
    if not isinstance(mistakes, int) or isinstance(mistakes, bool) or mistakes < 0:
        raise ValueError(f"mistakes must be an integer >= 0, got {mistakes!r}")
    chosen = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(chosen)
    n, classes = len(data.test_labels), data.num_classes
    predicted, probability = _predict(model, data, chosen, batch_size)
    truth = data.test_labels.cpu().to(torch.int64)
    cells = truth * classes + predicted
    confusion = torch.bincount(cells, minlength=classes * classes).view(classes, classes)
    wrong = (predicted != truth).nonzero().flatten()
    order = torch.sort(probability[wrong], descending=True, stable=True).indices[:mistakes]
    return {
        "confusion": confusion.tolist(),
        "confident_mistakes": [
            {
                "index": int(i),
                "true": data.classes[int(truth[i])],
                "predicted": data.classes[int(predicted[i])],
                "probability": round(float(probability[i]), 4),
            }
            for i in wrong[order]
        ],
        "error_analysis": {
            "split": "test",
            "images": n,
            "data": data_name or data.source or data.name,
            "order": ORDER,
            "test_sha256": split_digest(data),
            "classes": list(data.classes),
            "weights_sha256": weights_sha256,
            "precision": "fp32",
            "device": device_description(chosen),
            "torch": torch.__version__,
            "date": datetime.datetime.now().astimezone().date().isoformat(),
        },
    }


def write_record(record: dict[str, Any], path: Path) -> None:
    """Write a checkpoint's record as ``cnnlessons train`` writes it (one-space indent), atomically."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(partial, path)


def _data_name(record: dict[str, Any]) -> str | None:
    """What the record's test set is, in words: its ``test_set`` up to ': the test split'."""
    described, sep, _rest = str(record.get("test_set", "")).partition(": the test split")
    return described if sep and described else None


def add_error_analysis(
    name: str,
    data: CourseData,
    *,
    folder: str | Path = WEIGHTS,
    data_name: str | None = None,
    device: str | None = None,
    mistakes: int = CONFIDENT_MISTAKES,
) -> dict[str, Any]:
    """Measure checkpoint ``name`` of ``folder`` (default: the shipped ones) on ``data``'s test split
    and write the error analysis into its record, replacing an older one; the weights file is only
    read. ``data`` must be the data the checkpoint trained on: its training split must give the
    record's normalisation. ``data_name`` defaults to what the record's ``test_set`` says."""
    from ..models import MODELS

    record = load_record(name, folder)
    if data.num_classes != 10 or data.input_size != (3, 32, 32):
        raise ValueError(
            f"data must be CIFAR-10 (10 classes, 3x32x32), got {data.name} with "
            f"{data.num_classes} classes, {data.input_size}"
        )
    saved = record["normalisation"]
    ours = {"mean": data.mean.tolist(), "std": data.std.tolist()}
    if any(abs(a - b) > 1e-6 for key in ("mean", "std") for a, b in zip(saved[key], ours[key], strict=True)):
        raise ValueError(
            f"the data's training split gives the normalisation {ours}, the {name} record says "
            f"{saved}: these are not the data it trained on"
        )
    if list(record.get("per_class_test_acc", data.classes)) != list(data.classes):
        raise ValueError(f"the data's classes {data.classes} are not the {name} record's")
    model = load_converged(name, MODELS[record["model"]], record["model_kwargs"], folder)
    found = error_analysis(
        model,
        data,
        mistakes=mistakes,
        data_name=data_name or _data_name(record),
        weights_sha256=record["weights_sha256"],
        device=pick_device(device),
    )
    updated = {k: v for k, v in record.items() if k not in ERROR_KEYS} | found
    check_error_analysis(updated, tolerance=None)
    write_record(updated, record_path(name, folder))
    return updated


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``checkpoints`` command's arguments: its one action, ``errors``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    errors = sub.add_parser(
        "errors",
        help="add the confusion matrix and the most confident mistakes on the test split to "
        "checkpoints' records (the weights are only read)",
    )
    errors.add_argument("names", metavar="NAME", nargs="*", help="the checkpoints (default: all of --folder)")
    errors.add_argument(
        "--data", required=True, help="a folder with cifar10-{train,test}.npz, or 'cifar10' to download"
    )
    errors.add_argument(
        "--data-name", default=None, help="what the --data copy is, in words (default: the record's test set)"
    )
    errors.add_argument(
        "--folder", default=str(WEIGHTS), help="the checkpoints' folder (default: the shipped ones)"
    )
    errors.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: CUDA when present)")


def run(args: argparse.Namespace) -> int:
    """The ``checkpoints`` command (``cnnlessons.__main__``)."""
    from .converged import load_training_data

    try:
        names: Sequence[str] = args.names or available(args.folder)
        if not names:
            raise ValueError(f"--folder {args.folder} holds no checkpoint")
        for name in names:
            load_record(name, args.folder)  # a wrong name, before the data load
        try:
            data = load_training_data(args.data)
        except (ValueError, FileNotFoundError) as error:
            raise ValueError(f"--data: {error}") from None
        for name in names:
            record = add_error_analysis(
                name, data, folder=args.folder, data_name=args.data_name, device=args.device
            )
            diagonal = sum(record["confusion"][i][i] for i in range(len(record["confusion"])))
            print(
                f"{name}: {diagonal / record['error_analysis']['images']:.2%} from the confusion "
                f"(record: {record['test_acc']:.2%}); wrote {record_path(name, args.folder)}"
            )
    except ValueError as error:
        print(f"checkpoints errors: {error}", file=sys.stderr)
        return 2
    return 0
