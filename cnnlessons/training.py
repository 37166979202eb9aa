"""The course's training loop: ``fit(model, data)`` returns a ``History`` the plots can draw."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import platform
import random
import time
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import CourseData
from .profiles import Profile, get_profile
from .resume import check_settings, load_state, save_state
from .tensordata import TensorLoader

__all__ = [
    "History",
    "fit",
    "train_epoch",
    "evaluate",
    "pick_device",
    "mps_available",
    "mps_self_test",
    "synchronize",
    "set_seed",
    "make_loaders",
    "Precision",
    "PRECISIONS",
    "choose_precision",
    "cpu_model",
    "device_description",
]


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given; else CUDA when present, else Apple's GPU (``mps``) when present and
    the course's training step passes a one-batch self-test on it, else the CPU (with one line
    saying why, the first time, where an Apple GPU was passed over)."""
    if device is not None:
        try:
            chosen = torch.device(device)
        except RuntimeError:
            raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}") from None
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} needs an NVIDIA GPU, and torch.cuda.is_available() is "
                "False here: use 'cpu' (or leave device unset)"
            )
        if chosen.type == "cuda" and chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA "
                f"device(s), numbered from 0"
            )
        if chosen.type == "mps" and not mps_available():
            raise ValueError(
                "device 'mps' needs Apple's GPU, and torch.backends.mps.is_available() "
                "is False here: use 'cpu' (or leave device unset)"
            )
        return chosen
    return _automatic_device()


@functools.cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as lines:
            return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def device_description(device: torch.device, *, threads: bool = True) -> str:
    """The device in words, for records, keys and printouts: the GPU's name, or the CPU's model,
    its cores and (with ``threads``) the threads torch uses: a build time or a speed means little
    without them. The one place the course names a device."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple's GPU (mps)"
    cores = f"CPU ({cpu_model()}, {os.cpu_count()} cores"
    return f"{cores}, {torch.get_num_threads()} threads)" if threads else f"{cores})"


@functools.cache
def _automatic_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if mps_available():
        problem = mps_self_test()
        if problem is None:
            return torch.device("mps")
        print(
            f"Apple's GPU (mps) is here but failed the course's training step ({problem}): "
            "training on the CPU"
        )
    return torch.device("cpu")


def mps_available() -> bool:
    """Whether PyTorch can use Apple's GPU here (``torch.backends.mps.is_available()``)."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def mps_self_test() -> str | None:
    """One training step of a small CNN of the course's kind (convolution, batch norm, ReLU,
    pooling, a linear head, SGD) on Apple's GPU, against the same step on the CPU: None when the
    two agree, else what went wrong, in a few words."""
    try:
        with torch.random.fork_rng(devices=[]):  # the caller's random state stays as it was
            return _mps_step_differs()
    except Exception as error:  # any failure of the backend means: not usable for the course
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")


def _mps_step_differs() -> str | None:
    """The one-batch comparison of ``mps_self_test``: None when the two devices agree."""
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8) % 10
    results = []
    for device in ("cpu", "mps"):
        replica = deepcopy(model).to(device)
        opt = torch.optim.SGD(replica.parameters(), lr=0.1, momentum=0.9)
        loss = F.cross_entropy(replica(x.to(device)), y.to(device))
        loss.backward()
        opt.step()
        results.append((loss.item(), replica[0].weight.detach().cpu()))
    (cpu_loss, cpu_weight), (mps_loss, mps_weight) = results
    if not math.isfinite(mps_loss) or abs(mps_loss - cpu_loss) > 1e-3 * max(1.0, abs(cpu_loss)):
        return f"its loss {mps_loss:.4f} against the CPU's {cpu_loss:.4f}"
    if not torch.allclose(mps_weight, cpu_weight, rtol=1e-3, atol=1e-4):
        return "its weights after one step differ from the CPU's"
    return None


def synchronize(device: torch.device) -> None:
    """Wait for ``device``'s queued work (CUDA and Apple's GPU run asynchronously): before
    reading a clock."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@dataclasses.dataclass
class History:
    """Per-epoch training and validation figures of one run.

    Two training accuracies: ``train_acc`` is the running average over the epoch's training
    batches, augmented and with dropout on, while the weights still change (what the progress
    bar shows; it can sit below the validation accuracy). ``train_eval_acc`` is the training
    accuracy as the papers mean it: measured in eval mode, un-augmented, at the end of the epoch
    on a fixed seeded subset of the training split (``info["train_eval_size"]`` images).
    """

    label: str = ""
    epoch: list[int] = dataclasses.field(default_factory=list)
    train_loss: list[float] = dataclasses.field(default_factory=list)
    train_acc: list[float] = dataclasses.field(default_factory=list)
    """Running average over the epoch's augmented batches, dropout on."""
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_acc: list[float] = dataclasses.field(default_factory=list)
    time: list[float] = dataclasses.field(default_factory=list)
    """Seconds of training since the start, at the end of each epoch."""
    test_acc: float | None = None
    interrupted: bool = False
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    train_eval_acc: list[float] = dataclasses.field(default_factory=list)
    """Eval-mode accuracy on a fixed subset of the training split, after each epoch (empty in
    runs recorded before it was measured)."""

    @property
    def train_error(self) -> list[float]:
        """The running training error (augmented batches, dropout on): 1 - ``train_acc``."""
        return [1.0 - a for a in self.train_acc]

    @property
    def train_eval_error(self) -> list[float]:
        """The training error in eval mode on a fixed training subset: 1 - ``train_eval_acc``."""
        return [1.0 - a for a in self.train_eval_acc]

    @property
    def val_error(self) -> list[float]:
        return [1.0 - a for a in self.val_acc]

    @property
    def wall_time(self) -> float:
        return self.time[-1] if self.time else 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __str__(self) -> str:
        if not self.epoch:
            return f"{self.label or 'run'}: no epoch finished"
        s = (
            f"{self.label or 'run'}: {self.epoch[-1]} epochs in {self.wall_time:.1f} s, "
            f"train acc {self.train_acc[-1]:.1%} (running)"
        )
        if self.train_eval_acc:
            s += f", train acc {self.train_eval_acc[-1]:.1%} (eval mode)"
        s += f", val acc {self.val_acc[-1]:.1%}"
        if self.test_acc is not None:
            s += f", test acc {self.test_acc:.1%}"
        return s + (" (interrupted)" if self.interrupted else "")


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclasses.dataclass(frozen=True)
class Precision:
    """The number format of a training step: ``fp32``, or autocast to ``bf16`` or ``fp16``
    (``fp16`` with a gradient scaler, whose range is too small for small gradients)."""

    name: str
    device_type: str = "cpu"
    reason: str = ""

    @property
    def scaled(self) -> bool:
        """Whether the step needs a gradient scaler."""
        return self.name == "fp16"

    def autocast(self):
        if self.name == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=_DTYPES[self.name])

    def grad_scaler(self) -> torch.amp.GradScaler | None:
        return torch.amp.GradScaler(self.device_type) if self.scaled else None

    def __str__(self) -> str:
        text = (
            "float32"
            if self.name == "fp32"
            else f"{self.name} autocast" + (" with a gradient scaler" if self.scaled else "")
        )
        return f"{text} ({self.reason})" if self.reason else text


def choose_precision(
    precision: str | Precision = "auto", device: str | torch.device | None = None
) -> Precision:
    """The precision of a training step on ``device``.

    ``"auto"``: bf16 autocast on CUDA devices of compute capability 8.0 and above (Ampere on),
    fp16 autocast with a gradient scaler below it (T4, V100, P100: cuDNN has no bf16 convolutions
    there, although ``torch.cuda.is_bf16_supported()`` answers True through emulation), float32 on
    the CPU. ``"fp32"``, ``"bf16"`` and ``"fp16"`` are taken as asked, on any device.
    """
    if isinstance(precision, Precision):
        return precision
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, got {precision!r}")
    device = pick_device(device)
    if precision != "auto":
        return Precision(precision, device.type, "chosen")
    if device.type == "mps":
        # fp16 autocast on Apple's GPU depends on the macOS and PyTorch versions (op coverage, the
        # gradient scaler); these models are small enough that float32 keeps it busy.
        return Precision("fp32", "mps", "auto on mps: float32, the one precision every Mac runs")
    if device.type != "cuda":
        return Precision("fp32", device.type, f"auto on {device.type}")
    major, minor = torch.cuda.get_device_capability(device)
    name = "bf16" if major >= 8 else "fp16"
    return Precision(name, "cuda", f"auto on compute capability {major}.{minor}")


def make_loaders(
    data: CourseData,
    *,
    batch_size: int,
    device: torch.device,
    augment: bool = True,
    seed: int = 0,
    channels_last: bool = False,
    loader: str = "tensor",
    workers: int = 2,
) -> tuple[Iterable, Iterable]:
    """Training and validation batches of ``data``: from tensors on ``device`` (``loader="tensor"``)
    or through a torchvision DataLoader with per-image transforms (``loader="dataloader"``)."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if loader == "tensor":
        common = dict(batch_size=batch_size, mean=data.mean, std=data.std, device=device, memory_format=fmt)
        train = TensorLoader(
            data.train_images,
            data.train_labels,
            shuffle=True,
            augment=augment,
            flip=data.flip,
            crop_padding=data.crop_padding,
            seed=seed,
            **common,
        )
        val = TensorLoader(data.val_images, data.val_labels, **common)
        return train, val
    if loader == "dataloader":
        from .dataloader import dataloaders

        return dataloaders(data, batch_size=batch_size, augment=augment, workers=workers, seed=seed)
    raise ValueError(f"loader must be 'tensor' or 'dataloader', got {loader!r}")


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


def _train_eval_batches(
    data: CourseData, size: int, batch_size: int, device: torch.device, seed: int, channels_last: bool
) -> TensorLoader | None:
    """Un-augmented batches of a fixed seeded subset of ``size`` training images (None for 0)."""
    n = min(size, len(data.train_labels))
    if n == 0:
        return None
    keep = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(seed))[:n]
    keep = keep.sort().values
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return TensorLoader(
        data.train_images[keep],
        data.train_labels[keep],
        batch_size=batch_size,
        mean=data.mean,
        std=data.std,
        device=device,
        memory_format=fmt,
    )


def fit(
    model: nn.Module,
    data: CourseData,
    *,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float = 0.05,
    optimizer: str = "sgd",
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    schedule: str = "onecycle",
    label_smoothing: float = 0.0,
    augment: bool = True,
    device: str | torch.device | None = None,
    profile: Profile | str | None = None,
    progress: bool | None = None,
    verbose: bool = False,
    seed: int = 0,
    loader: str = "tensor",
    precision: str = "auto",
    channels_last: bool | None = None,
    compile: bool = False,
    test: bool = False,
    label: str = "",
    on_epoch: Callable[[History], None] | None = None,
    train_eval_size: int = 1000,
    checkpoint: str | os.PathLike | None = None,
) -> History:
    """Train ``model`` on ``data`` and return its ``History``.

    Budgets (``epochs``, ``batch_size``) default to the active profile's. The device is chosen
    automatically (CUDA when present). The step runs in channels_last memory layout (measured
    faster on the CPU too, see benchmarks/README.md) and in the ``precision`` that
    ``choose_precision`` gives (``"auto"``: bf16 on recent GPUs, fp16 with a gradient scaler on
    older ones, float32 on the CPU). Batches come straight from tensors on the device
    (``loader="tensor"``) or from a torchvision DataLoader (``loader="dataloader"``). Stopping the
    run (Ctrl-C, or Jupyter's interrupt) keeps what was learned: the model keeps its weights and the
    returned history ends at the last finished epoch. ``test=True`` also measures test accuracy.
    After each epoch the model is also evaluated (eval mode, no augmentation) on a fixed random
    subset of ``min(train_eval_size, training images)`` training images, chosen by ``seed``:
    ``History.train_eval_acc``, the training error the papers plot (0 turns it off).
    ``checkpoint``: a file that holds the run's state after every finished epoch
    (:mod:`cnnlessons.resume`); where it already holds this run's state, training resumes after
    its last finished epoch.
    """
    profile = get_profile(profile)
    epochs = profile.epochs if epochs is None else epochs
    batch_size = profile.batch_size if batch_size is None else batch_size
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(data, CourseData):
        raise TypeError(
            f"data must be a CourseData (from load_data or load_dataset), got {type(data).__name__}"
        )
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if isinstance(train_eval_size, bool) or not isinstance(train_eval_size, int) or train_eval_size < 0:
        raise ValueError(f"train_eval_size must be an integer >= 0, got {train_eval_size!r}")
    device = pick_device(device)
    precision = choose_precision(precision, device)
    channels_last = True if channels_last is None else channels_last
    progress = profile.progress if progress is None else progress
    if os.environ.get("TQDM_DISABLE"):  # tqdm's own switch (CI, the notebook build): no bars at all
        progress = False

    torch.manual_seed(seed)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    train_batches, val_batches = make_loaders(
        data,
        batch_size=batch_size,
        device=device,
        augment=augment,
        seed=seed,
        channels_last=channels_last,
        loader=loader,
    )
    train_eval_batches = _train_eval_batches(data, train_eval_size, batch_size, device, seed, channels_last)
    step_model = torch.compile(model) if compile else model
    opt = _optimizer(model, optimizer, lr, weight_decay, momentum)
    sched = _schedule(opt, schedule, lr, epochs * len(train_batches))
    criterion = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    settings = {
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "optimizer": optimizer,
        "momentum": momentum,
        "weight_decay": weight_decay,
        "schedule": schedule,
        "label_smoothing": label_smoothing,
        "augment": augment,
        "seed": seed,
        "loader": loader,
        "precision": precision.name,
        "channels_last": channels_last,
        "train_size": len(data.train_labels),
        "train_eval_size": train_eval_size,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    history = History(
        label=label,
        info={
            "device": device_description(device),
            "device_type": device.type,
            "parameters": sum(p.numel() for p in model.parameters()),
            "profile": profile.name,
            "dataset": data.name,
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "optimizer": optimizer,
            "schedule": schedule,
            "train_size": len(data.train_labels),
            "precision": precision.name,
            "train_eval_size": (0 if train_eval_batches is None else len(train_eval_batches.labels)),
        },
    )
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * len(train_batches), desc=label or "training", unit="batch", leave=False)
    scaler = precision.grad_scaler()
    first, before = 1, 0.0  # the first epoch to train, the seconds trained before it
    saved = None if checkpoint is None else load_state(checkpoint)
    if saved is not None:
        check_settings(checkpoint, saved["settings"], settings)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        sched.load_state_dict(saved["schedule"])
        if scaler is not None and saved["scaler"] is not None:
            scaler.load_state_dict(saved["scaler"])
        _set_random_state(train_batches, saved["random"])
        history = History.from_dict(saved["history"])
        first, before = history.epoch[-1] + 1, history.wall_time
        if bar is not None:
            bar.update((first - 1) * len(train_batches))
        if verbose:
            print(f"resuming {label or 'the run'} from {checkpoint} after epoch {first - 1}")
    start = time.perf_counter() - before
    try:
        for epoch in range(first, epochs + 1):
            loss_sum, correct, seen = train_epoch(
                step_model, train_batches, opt, sched, criterion, device, precision, bar, scaler
            )
            train_loss = loss_sum / seen
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"the training loss became {train_loss} in epoch {epoch}: lower lr "
                    f"(now {lr}) or add normalisation to the model"
                )
            val_loss, val_acc = evaluate(step_model, val_batches, device, precision)
            if train_eval_batches is not None:
                train_eval_acc = evaluate(step_model, train_eval_batches, device, precision)[1]
                history.train_eval_acc.append(train_eval_acc)
            history.epoch.append(epoch)
            history.train_loss.append(train_loss)
            history.train_acc.append(correct / seen)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            synchronize(device)
            history.time.append(time.perf_counter() - start)
            if bar is not None:
                bar.set_postfix(loss=f"{train_loss:.3f}", val_acc=f"{val_acc:.1%}")
            if verbose:
                clean = (
                    f", train acc (eval mode) {history.train_eval_acc[-1]:.1%}"
                    if history.train_eval_acc
                    else ""
                )
                print(
                    f"epoch {epoch:>3}: train loss {train_loss:.3f}, running train acc "
                    f"{history.train_acc[-1]:.1%}{clean}, val acc {val_acc:.1%}"
                )
            if checkpoint is not None:
                save_state(
                    checkpoint,
                    {
                        "settings": settings,
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "schedule": sched.state_dict(),
                        "scaler": None if scaler is None else scaler.state_dict(),
                        "random": _random_state(train_batches),
                        "history": history.to_dict(),
                    },
                )
            if on_epoch is not None:
                on_epoch(history)
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Interrupted after {len(history.epoch)} finished epoch(s): the model keeps what it learned.")
    finally:
        if bar is not None:
            bar.close()
    if test:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        test_batches = TensorLoader(
            data.test_images,
            data.test_labels,
            batch_size=batch_size,
            mean=data.mean,
            std=data.std,
            device=device,
            memory_format=fmt,
        )
        history.test_acc = evaluate(step_model, test_batches, device, precision)[1]
    return history


def _random_state(train_batches: Iterable) -> dict[str, Any]:
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


def _set_random_state(train_batches: Iterable, state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if isinstance(train_batches, TensorLoader) and "batches" in state:
        train_batches.generator.set_state(state["batches"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
