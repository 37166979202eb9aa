"""The course's training loop: ``fit(model, data, Training(...))`` returns a ``History`` the plots
can draw."""

from __future__ import annotations

import dataclasses
import math
import os
import random
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any, cast

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import CourseData
from .devices import device_description, pick_device, synchronize
from .history import History
from .precision import PRECISIONS, Precision, choose_precision
from .profiles import get_profile
from .resume import check_settings, load_state, random_state, save_state, set_random_state
from .tensordata import TensorLoader, make_loaders, train_eval_batches

__all__ = [
    "Training",
    "fit",
    "train_epoch",
    "evaluate",
    "set_seed",
]


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("onecycle", "cosine", "constant")
LOADERS = ("tensor", "dataloader")
SHOWS = ("bar", "epochs", "nothing")


@dataclasses.dataclass(frozen=True, repr=False)
class Training:
    """How ``fit`` trains: the optimiser and its schedule, the budget, the augmentation, the
    precision and memory layout of a step, and what is evaluated. Frozen, and checked when it is
    made, so that a misspelt option fails where it is written: ``Training(lr=0.1, test=True)``.

    A field left ``None`` takes its default (``DEFAULTS``; ``epochs`` and ``batch_size``: the
    active profile's). ``options()`` are the fields set: what a recipe records, so that its digest
    names what it chose and nothing else.
    """

    optimizer: str | None = None
    """``"sgd"`` (with Nesterov momentum), ``"adam"`` or ``"adamw"``."""
    lr: float | None = None
    """The learning rate (the peak of the one-cycle schedule)."""
    momentum: float | None = None
    weight_decay: float | None = None
    """On the weights of convolutions and linear layers, not on biases and norms."""
    schedule: str | None = None
    """``"onecycle"``, ``"cosine"`` or ``"constant"``, over all the steps of the run."""
    label_smoothing: float | None = None
    epochs: int | None = None
    """Passes over the training images."""
    batch_size: int | None = None
    augment: bool | None = None
    """Random shifts and mirroring of the training batches."""
    seed: int | None = None
    """Draws the batches, the augmentation and the training images evaluated in eval mode."""
    precision: str | None = None
    """``"auto"``, ``"fp32"``, ``"bf16"`` or ``"fp16"`` (see ``choose_precision``)."""
    channels_last: bool | None = None
    """The step's memory layout (channels_last is faster on the CPU too: benchmarks/README.md)."""
    loader: str | None = None
    """``"tensor"`` (batches straight from tensors on the device) or ``"dataloader"`` (a
    torchvision DataLoader with per-image transforms)."""
    compile: bool | None = None
    """``torch.compile`` the model for the step."""
    train_eval_size: int | None = None
    """Training images evaluated in eval mode after each epoch (``History.train_eval_acc``, the
    training error the papers plot); 0 turns it off."""
    test: bool | None = None
    """Also measure the test accuracy at the end."""
    stop_at_train_error: float | None = None
    """Stop after the first epoch whose training error in eval mode is below this (a paper's
    "epochs to a target error"; needs ``train_eval_size``); unset: train every epoch."""
    device: str | torch.device | None = None
    """``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``; unset: the best one present."""

    def __post_init__(self) -> None:
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("seed", 0), ("train_eval_size", 0)):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < minimum
            ):
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        for name, low, high in (("lr", 0.0, None), ("momentum", 0.0, 1.0), ("weight_decay", 0.0, None)):
            _check_number(name, getattr(self, name), low, high, open_low=name == "lr")
        _check_number("label_smoothing", self.label_smoothing, 0.0, 1.0)
        _check_number("stop_at_train_error", self.stop_at_train_error, 0.0, 1.0, open_low=True)
        if self.stop_at_train_error is not None and self.train_eval_size == 0:
            raise ValueError("stop_at_train_error needs the training error: train_eval_size must not be 0")
        for name in ("augment", "channels_last", "compile", "test"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False, got {value!r}")
        for name, choices in (
            ("optimizer", OPTIMIZERS),
            ("schedule", SCHEDULES),
            ("loader", LOADERS),
            ("precision", PRECISIONS),
        ):
            value = getattr(self, name)
            if value is not None and value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        if self.device is not None:
            pick_device(self.device)

    def options(self) -> dict[str, Any]:
        """The fields set, by name."""
        return {f.name: v for f in dataclasses.fields(self) if (v := getattr(self, f.name)) is not None}

    def override(self, other: Training | None) -> Training:
        """This configuration with the fields that ``other`` sets replaced."""
        return self if other is None else Training(**{**self.options(), **other.options()})

    def resolved(self) -> dict[str, Any]:
        """Every field's value: the ones set, else the defaults (the active profile's budget)."""
        profile = get_profile()
        return {**DEFAULTS, "epochs": profile.epochs, "batch_size": profile.batch_size, **self.options()}

    def __repr__(self) -> str:
        return f"Training({', '.join(f'{k}={v!r}' for k, v in self.options().items())})"


DEFAULTS: dict[str, Any] = dict(
    optimizer="sgd",
    lr=0.05,
    momentum=0.9,
    weight_decay=5e-4,
    schedule="onecycle",
    label_smoothing=0.0,
    augment=True,
    seed=0,
    precision="auto",
    channels_last=True,
    loader="tensor",
    compile=False,
    train_eval_size=1000,
    test=False,
    stop_at_train_error=None,
    device=None,
)
"""What ``Training`` takes for a field left unset (``epochs``, ``batch_size``: the profile's)."""


def _check_number(name: str, value: Any, low: float, high: float | None, open_low: bool = False) -> None:
    if value is None:
        return
    above = value > low if open_low else value >= low
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not above
        or (high is not None and not value < high)
    ):
        bounds = ("> " if open_low else ">= ") + f"{low:g}" + ("" if high is None else f" and < {high:g}")
        raise ValueError(f"{name} must be a number {bounds}, got {value!r}")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable,
    device: torch.device | None = None,
    precision: str | Precision = "fp32",
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``batches`` (in eval mode)."""
    device = device or next(model.parameters()).device
    precision = choose_precision(precision, device)
    was_training = model.training
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    for x, y in batches:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with precision.autocast():
            out = model(x)
        loss_sum += F.cross_entropy(out.float(), y, reduction="sum").item()
        correct += (out.argmax(1) == y).sum().item()
        total += len(y)
    model.train(was_training)
    return loss_sum / max(total, 1), correct / max(total, 1)


def _optimizer(
    model: nn.Module, name: str, lr: float, weight_decay: float, momentum: float
) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw', got {name!r}")


def _schedule(opt: torch.optim.Optimizer, name: str, lr: float, total_steps: int):
    if name == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=lr,
            total_steps=max(total_steps, 1),
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
        )
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total_steps, 1))
    if name == "constant":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    raise ValueError(f"schedule must be 'onecycle', 'cosine' or 'constant', got {name!r}")


def train_epoch(
    model: nn.Module,
    batches: Iterable,
    opt: torch.optim.Optimizer,
    sched,
    criterion: nn.Module,
    device: torch.device,
    precision: str | Precision = "fp32",
    bar=None,
    scaler: torch.amp.GradScaler | None = None,
) -> tuple[float, int, int]:
    """One pass over ``batches``: the training step of ``fit``. Returns (loss sum, correct, seen).

    With fp16 pass the run's ``scaler`` (one for the whole run: it learns the loss scale);
    without one, one is made for this pass.
    """
    precision = choose_precision(precision, device)
    if scaler is None:
        scaler = precision.grad_scaler()
    model.train()
    seen = 0
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    for x, y in batches:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with precision.autocast():
            out = model(x)
            loss = criterion(out.float(), y)
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        if sched is not None:
            sched.step()
        # accumulate on the device: no host sync inside the loop
        loss_sum += loss.detach() * len(y)
        correct += (out.detach().argmax(1) == y).sum()
        seen += len(y)
        if bar is not None:
            bar.update(1)
    return loss_sum.item(), int(correct.item()), seen


def fit(
    model: nn.Module,
    data: CourseData,
    training: Training | None = None,
    *,
    label: str = "",
    show: str | Callable[[History], None] = "bar",
    checkpoint: str | os.PathLike | None = None,
) -> History:
    """Train ``model`` on ``data`` as ``training`` says (``Training()``: the defaults and the active
    profile's budget) and return its ``History``.

    After each epoch the model is evaluated on the validation images and, in eval mode without
    augmentation, on a fixed seeded subset of the training images (``Training.train_eval_size``).
    ``show``: ``"bar"``, a progress bar where the profile shows them; ``"epochs"``, a line per
    epoch; ``"nothing"``; or a function called with the history after every epoch. Stopping the
    run (Ctrl-C, or Jupyter's interrupt) keeps what was learned: the model keeps its weights and
    the history ends at the last finished epoch. ``checkpoint``: a file that holds the run's state
    after every finished epoch (:mod:`cnnlessons.resume`); where it already holds this run's
    state, training resumes after its last finished epoch.
    """
    training = Training() if training is None else training
    if not isinstance(training, Training):
        raise TypeError(f"training must be a Training, e.g. Training(lr=0.1), got {type(training).__name__}")
    if not isinstance(data, CourseData):
        raise TypeError(
            f"data must be a CourseData (from load_data or load_dataset), got {type(data).__name__}"
        )
    if not (callable(show) or show in SHOWS):
        raise ValueError(f"show must be one of {', '.join(map(repr, SHOWS))} or a function, got {show!r}")
    o = training.resolved()
    if checkpoint is None and (stopped := _INTERRUPTED.pop(model, None)) is not None:
        print(
            f"This model was interrupted after {stopped[0]} of {stopped[1]} epochs: training goes on from "
            "the weights it has, with epochs counted and the schedule started from 1. To start again, "
            "build the model anew; to resume where it stopped, train with checkpoint=PATH."
        )
    device = pick_device(o["device"])
    precision = choose_precision(o["precision"], device)
    torch.manual_seed(o["seed"])
    model.to(device)
    if o["channels_last"]:
        model.to(memory_format=torch.channels_last)
    loaders = dict(
        batch_size=o["batch_size"], device=device, seed=o["seed"], channels_last=o["channels_last"]
    )
    train_batches, val_batches = make_loaders(data, augment=o["augment"], loader=o["loader"], **loaders)
    _check_fits(model, data, val_batches)
    train_eval = train_eval_batches(data, o["train_eval_size"], **loaders)
    step_model = cast(nn.Module, torch.compile(model)) if o["compile"] else model
    opt = _optimizer(model, o["optimizer"], o["lr"], o["weight_decay"], o["momentum"])
    sched = _schedule(opt, o["schedule"], o["lr"], o["epochs"] * len(train_batches))
    criterion = nn.CrossEntropyLoss(label_smoothing=o["label_smoothing"])
    scaler = precision.grad_scaler()
    parameters = sum(p.numel() for p in model.parameters())
    settings = {  # what a resumed run must share with the run that saved its state
        **{k: o[k] for k in _RESUME_SETTINGS},
        "precision": precision.name,
        "train_size": len(data.train_labels),
        "parameters": parameters,
    }
    history = History(label=label, info=_info(o, data, device, precision, parameters, train_eval))
    bar = _progress_bar(show, o["epochs"] * len(train_batches), label)
    first, before = 1, 0.0  # the first epoch to train, the seconds trained before it
    if checkpoint is not None and (saved := load_state(checkpoint)) is not None:
        check_settings(checkpoint, saved["settings"], settings)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["schedule"])
        if scaler is not None and saved["scaler"] is not None:
            scaler.load_state_dict(saved["scaler"])
        set_random_state(train_batches, saved["random"])
        history = History.from_dict(saved["history"])
        first, before = history.epoch[-1] + 1, history.wall_time
        if bar is not None:
            bar.update((first - 1) * len(train_batches))
        if show == "epochs":
            print(f"resuming {label or 'the run'} from {checkpoint} after epoch {first - 1}")
    start = time.perf_counter() - before
    try:
        for epoch in range(first, o["epochs"] + 1):
            loss_sum, correct, seen = train_epoch(
                step_model, train_batches, opt, sched, criterion, device, precision, bar, scaler
            )
            if not math.isfinite(loss_sum / seen):
                raise FloatingPointError(
                    f"the training loss became {loss_sum / seen} in epoch {epoch}: lower lr "
                    f"(now {o['lr']}) or add normalisation to the model"
                )
            history.epoch.append(epoch)
            history.train_loss.append(loss_sum / seen)
            history.train_acc.append(correct / seen)
            val_loss, val_acc = evaluate(step_model, val_batches, device, precision)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            if train_eval is not None:
                history.train_eval_acc.append(evaluate(step_model, train_eval, device, precision)[1])
            synchronize(device)
            history.time.append(time.perf_counter() - start)
            if checkpoint is not None:
                state: dict[str, Any] = {
                    "settings": settings,
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                }
                state |= {"schedule": sched.state_dict(), "history": history.to_dict()}
                state |= {"scaler": None if scaler is None else scaler.state_dict()}
                save_state(checkpoint, state | {"random": random_state(train_batches)})
            _show_epoch(show, history, bar)
            if _reached(history, o["stop_at_train_error"]):
                break
    except KeyboardInterrupt:
        history.interrupted = True
        _INTERRUPTED[model] = (len(history.epoch), o["epochs"])
        print(f"Interrupted after {len(history.epoch)} finished epoch(s): the model keeps what it learned.")
    finally:
        if bar is not None:
            bar.close()
    if o["test"]:
        fmt = torch.channels_last if o["channels_last"] else torch.contiguous_format
        test_batches = TensorLoader(
            data.test_images,
            data.test_labels,
            mean=data.mean,
            std=data.std,
            memory_format=fmt,
            **{k: loaders[k] for k in ("batch_size", "device")},
        )
        history.test_acc = evaluate(step_model, test_batches, device, precision)[1]
    return history


def _reached(history: History, target: float | None) -> bool:
    return target is not None and bool(history.train_eval_acc) and 1.0 - history.train_eval_acc[-1] < target


def _check_fits(model: nn.Module, data: CourseData, batches: Iterable) -> None:
    """One clear line where ``model`` cannot read ``data``'s images or scores another number of
    classes (rather than torch's shape errors in the middle of training)."""
    x, _ = next(iter(batches))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x[:2])
    except RuntimeError as error:
        size = " x ".join(map(str, data.input_size))
        raise ValueError(
            f"model: it cannot read data's images ({size}: data.channels = {data.channels}): "
            f"{str(error).splitlines()[0]}"
        ) from None
    finally:
        model.train(was_training)
    if out.dim() != 2 or out.shape[1] != data.num_classes:
        raise ValueError(
            f"model: it gives {tuple(out.shape[1:])} scores per image; expected one per class of data "
            f"(data.num_classes = {data.num_classes})"
        )


_INTERRUPTED: weakref.WeakKeyDictionary[nn.Module, tuple[int, int]] = weakref.WeakKeyDictionary()
"""Models whose last ``fit`` was interrupted: (epochs finished, epochs planned)."""

_RESUME_SETTINGS = (
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "momentum",
    "weight_decay",
    "schedule",
    "label_smoothing",
    "augment",
    "seed",
    "loader",
    "channels_last",
    "train_eval_size",
)


def _info(
    o: dict[str, Any],
    data: CourseData,
    device: torch.device,
    precision: Precision,
    parameters: int,
    train_eval: TensorLoader | None,
) -> dict[str, Any]:
    """What a history records of its run besides the curves."""
    return {
        "device": device_description(device),
        "device_type": device.type,
        "parameters": parameters,
        "profile": get_profile().name,
        "dataset": data.name,
        **{k: o[k] for k in ("epochs", "batch_size", "lr", "optimizer", "schedule")},
        "train_size": len(data.train_labels),
        "precision": precision.name,
        "train_eval_size": 0 if train_eval is None else len(train_eval.labels),
    }


def _progress_bar(show: str | Callable[[History], None], total: int, label: str):
    """A tqdm bar for ``show="bar"`` where the profile shows bars and tqdm is not switched off
    (``TQDM_DISABLE``: CI, the notebook build); else None."""
    if show != "bar" or not get_profile().progress or os.environ.get("TQDM_DISABLE"):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label or "training", unit="batch", leave=False)


def _show_epoch(show: str | Callable[[History], None], history: History, bar) -> None:
    if bar is not None:
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", val_acc=f"{history.val_acc[-1]:.1%}")
    if callable(show):
        show(history)
    elif show == "epochs":
        clean = f", train acc (eval mode) {history.train_eval_acc[-1]:.1%}" if history.train_eval_acc else ""
        print(
            f"epoch {history.epoch[-1]:>3}: train loss {history.train_loss[-1]:.3f}, running train acc "
            f"{history.train_acc[-1]:.1%}{clean}, val acc {history.val_acc[-1]:.1%}"
        )
