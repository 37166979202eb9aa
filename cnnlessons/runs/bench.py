"""Benchmark: the course's data path and training steps against a reference loop.

    cnnlessons bench [--data PATH] [--recipe KEY | --model NAME] [--images 10000] [--steps 30]

In one run, on the same model and data, it measures images per second of
(a) the data path alone: batches from one uint8 tensor on the device, augmented a batch at a time
    (the course's ``TensorLoader``) against a torchvision DataLoader with 2 workers and per-image
    transforms (``RandomCrop``, ``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``), the way the
    tutorials write it;
(b) full training steps: ``fit``'s step (``train_epoch``, channels_last, in the precision that
    ``--precision`` chooses: ``auto`` is bf16 autocast on compute capability >= 8.0, fp16 with a
    gradient scaler below, float32 on the CPU) against the reference loop (the DataLoader above,
    float32, contiguous).
and prints each figure with the ratio. Without ``--data`` it uses the active profile's dataset.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Iterable
from typing import cast

import torch
from torch import nn

from ..data import CourseData, load_data, load_dataset
from ..dataloader import dataloaders
from ..devices import device_description, pick_device, synchronize
from ..precision import PRECISIONS, choose_precision
from ..profiles import get_profile
from ..tensordata import TensorLoader
from ..training import set_seed, train_epoch

__all__ = ["bench_data_path", "bench_training", "main"]


def _rate(batches: Iterable, device: torch.device, limit: int) -> float:
    """Images per second of iterating ``batches`` (and moving them to ``device``), after one
    warm-up batch, over at most ``limit`` images."""
    it = iter(batches)
    x, _ = next(it)  # warm-up: worker start-up is not counted against the reference
    x.to(device)
    synchronize(device)
    seen, start = 0, time.perf_counter()
    for x, y in it:
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
        seen += len(y)
        if seen >= limit:
            break
    synchronize(device)
    return seen / (time.perf_counter() - start)


def bench_data_path(
    data: CourseData, device: torch.device, batch_size: int = 256, workers: int = 2, images: int = 10000
) -> dict[str, float]:
    """Images/s of the course's tensor path and of the reference DataLoader, augmentation on."""
    course = TensorLoader(
        data.train_images,
        data.train_labels,
        batch_size=batch_size,
        mean=data.mean,
        std=data.std,
        device=device,
        shuffle=True,
        augment=True,
        flip=data.flip,
        crop_padding=data.crop_padding,
    )
    reference, _ = dataloaders(data, batch_size=batch_size, augment=True, workers=workers)
    limit = min(images, len(data.train_labels) - batch_size)
    return {"course": _rate(course, device, limit), "reference": _rate(reference, device, limit)}


def _reference_steps(model: nn.Module, batches: Iterable, opt, criterion, device, steps: int) -> int:
    """The tutorials' loop: float32, contiguous tensors, data from the DataLoader."""
    model.train()
    seen = 0
    for i, (x, y) in enumerate(batches):
        if i >= steps:
            break
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        seen += len(y)
    return seen


class _Take:
    """The first ``n`` batches of an iterable."""

    def __init__(self, batches: Iterable, n: int) -> None:
        self.batches, self.n = batches, n

    def __iter__(self):
        for i, b in enumerate(self.batches):
            if i >= self.n:
                return
            yield b

    def __len__(self) -> int:
        return self.n


def bench_training(
    build,
    data: CourseData,
    device: torch.device,
    batch_size: int = 128,
    steps: int = 30,
    workers: int = 2,
    channels_last: bool | None = None,
    precision: str = "auto",
    compile: bool = False,
) -> dict[str, float]:
    """Images/s of full training steps: fit's step against the reference loop, same model."""
    chosen = choose_precision(precision, device)
    channels_last = True if channels_last is None else channels_last
    criterion = nn.CrossEntropyLoss()
    out = {}

    set_seed(0)
    model = build().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    ref_batches, _ = dataloaders(data, batch_size=batch_size, augment=True, workers=workers)
    _reference_steps(model, ref_batches, opt, criterion, device, 2)  # warm-up
    synchronize(device)
    start = time.perf_counter()
    seen = _reference_steps(model, ref_batches, opt, criterion, device, steps)
    synchronize(device)
    out["reference"] = seen / (time.perf_counter() - start)

    set_seed(0)
    model = build().to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    step_model = cast(nn.Module, torch.compile(model)) if compile else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    batches = TensorLoader(
        data.train_images,
        data.train_labels,
        batch_size=batch_size,
        mean=data.mean,
        std=data.std,
        device=device,
        shuffle=True,
        augment=True,
        flip=data.flip,
        crop_padding=data.crop_padding,
        memory_format=fmt,
    )
    scaler = chosen.grad_scaler()
    train_epoch(
        step_model,
        _Take(batches, 3 if compile else 2),
        opt,
        None,
        criterion,
        device,
        chosen,
        scaler=scaler,
    )
    synchronize(device)
    start = time.perf_counter()
    _, _, seen = train_epoch(
        step_model, _Take(batches, steps), opt, None, criterion, device, chosen, scaler=scaler
    )
    synchronize(device)
    out["course"] = seen / (time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> dict:
    from .recipes import RECIPES, Run, get_recipe

    # without --recipe: the lessons' reference recipe (ResNet-20), registered with reference=True
    default_recipe = next((key for key, recipe in RECIPES.items() if recipe.reference), None)
    parser = argparse.ArgumentParser(prog="python -m cnnlessons bench", description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="dataset name or path (default: the active profile's)")
    parser.add_argument(
        "--recipe",
        default=default_recipe,
        help=f"the training recipe whose first model is measured (default: {default_recipe}); "
        "see `cnnlessons reproduce --list`",
    )
    parser.add_argument(
        "--model", default=None, help="measure this build_model name instead of the recipe's model"
    )
    parser.add_argument("--images", type=int, default=10000, help="images for the data-path test")
    parser.add_argument("--steps", type=int, default=30, help="training steps per measurement")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="the course step's precision (default auto: bf16 on compute "
        "capability >= 8.0, fp16 with a gradient scaler below, fp32 on CPU)",
    )
    parser.add_argument(
        "--cpu-variants",
        action="store_true",
        help="also measure channels_last and thread settings on the CPU",
    )
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile")
    parser.add_argument("--json", help="write the figures to this JSON file")
    args = parser.parse_args(argv)

    try:
        recipe = get_recipe(args.recipe)
    except ValueError as error:
        parser.error(f"--recipe: {error}")
    run = Run(args.model, args.model) if args.model else recipe.runs_for(get_profile())[0]
    try:
        device = pick_device(args.device)
    except ValueError as error:
        parser.error(f"--device: {error}")
    try:
        data = load_dataset(args.data, val_size=100) if args.data else load_data(get_profile())
    except (ValueError, FileNotFoundError) as error:
        parser.error(f"--data: {error}")
    batch = args.batch_size or (512 if device.type == "cuda" else 128)
    build = lambda: recipe.build(run, data)  # noqa: E731
    name = device_description(device)
    print(f"device: {name}; torch {torch.__version__}; data: {data}")
    precision = choose_precision(args.precision, device)
    print(f"model: {run.model} ({run.label}), batch size {batch}, course step in {precision}")

    results = {
        "device": name,
        "torch": torch.__version__,
        "model": run.model,
        "batch_size": batch,
        "data": str(data),
        "precision": precision.name,
    }
    d = bench_data_path(data, device, batch_size=batch, workers=args.workers, images=args.images)
    results["data_path"] = d
    print(
        f"(a) data path:      course {d['course']:>10,.0f} img/s   reference DataLoader "
        f"{d['reference']:>9,.0f} img/s   ratio {d['course'] / d['reference']:.1f}x"
    )
    steps = functools.partial(
        bench_training, build, data, device, batch_size=batch, steps=args.steps, workers=args.workers
    )
    t = steps(precision=precision.name)
    results["training"] = t
    print(
        f"(b) training steps: course {t['course']:>10,.0f} img/s   reference loop       "
        f"{t['reference']:>9,.0f} img/s   ratio {t['course'] / t['reference']:.2f}x"
    )
    if args.compile:
        c = steps(precision=precision.name, compile=True)
        results["training_compiled"] = c
        print(
            f"    with torch.compile: course {c['course']:,.0f} img/s "
            f"({c['course'] / t['course']:.2f}x the uncompiled course step)"
        )
    if args.cpu_variants and device.type == "cpu":
        threads = torch.get_num_threads()
        for label, channels_last, n in (
            ("channels_last", True, threads),
            ("contiguous", False, threads),
            ("1 thread", True, 1),
        ):
            torch.set_num_threads(n)
            v = steps(channels_last=channels_last)
            torch.set_num_threads(threads)
            results[f"cpu_{label}"] = v
            print(f"    CPU {label:>13}: course {v['course']:,.0f} img/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
