"""AlexNet's two towers on two devices (model parallelism, as in the 2012 paper).

With ``groups=2`` the single-device AlexNet already has the paper's structure: conv2, conv4
and conv5 only read their own tower's channels. :func:`split_towers` cuts such a model into
two towers, each holding half of every layer's output channels (and half of the weights):

* conv1 reads the whole image, each tower computes its half of the kernels;
* conv2, conv4, conv5 (grouped) and the pooling/LRN/activations stay inside the tower;
* conv3 and the fully connected layers read both towers: here the towers **exchange**
  their activations (an all-gather), the only communication the paper's split needs.

:func:`run_model_parallel` runs the towers on two CUDA devices when there are two, else in
two CPU processes that talk through ``torch.distributed`` (gloo backend). The output equals
the one-device model's (in eval mode, i.e. without dropout).
"""

from __future__ import annotations

import copy
import os
import queue as queue_module
import socket
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor, nn

from .layers import GroupedLRN

__all__ = ["TowerStep", "TwoTowerAlexNet", "split_towers", "run_model_parallel"]

_LOCAL = (
    nn.ReLU,
    nn.Tanh,
    nn.Sigmoid,
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.Dropout,
    nn.Identity,
    nn.Flatten,
)


@dataclass
class TowerStep:
    """One layer of a tower.

    ``needs``: ``"full"`` (the layer reads all channels: gather both towers' halves first),
    ``"half"`` (reads only its tower's channels) or ``"any"`` (per-channel: runs on whatever
    it gets). ``splits``: the layer computes only this tower's half of the output channels.
    """

    name: str
    module: nn.Module
    needs: str
    splits: bool


def _half(t: Tensor | None, tower: int) -> Tensor | None:
    if t is None:
        return None
    n = t.shape[0] // 2
    return t[tower * n : (tower + 1) * n].detach().clone()


def _split_conv(conv: nn.Conv2d, tower: int) -> TowerStep:
    if conv.groups not in (1, 2):
        raise ValueError(f"split_towers handles groups=1 or groups=2 convolutions, got groups={conv.groups}")
    if conv.out_channels % 2:
        raise ValueError(f"split_towers needs an even out_channels, got {conv.out_channels}")
    in_channels = conv.in_channels if conv.groups == 1 else conv.in_channels // 2
    half = nn.Conv2d(
        in_channels,
        conv.out_channels // 2,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )
    _copy_half(conv, half, tower)
    return TowerStep("", half, "full" if conv.groups == 1 else "half", True)


def _copy_half(full: nn.Module, half: nn.Module, tower: int) -> None:
    """Copy ``tower``'s half of ``full``'s output units (weights and bias) into ``half``."""
    with torch.no_grad():
        half.weight.copy_(_half(full.weight, tower))
        if full.bias is not None:
            half.bias.copy_(_half(full.bias, tower))


def _split_linear(linear: nn.Linear, tower: int) -> TowerStep:
    if linear.out_features % 2:
        raise ValueError(f"split_towers needs an even out_features, got {linear.out_features}")
    half = nn.Linear(
        linear.in_features,
        linear.out_features // 2,
        bias=linear.bias is not None,
        device=linear.weight.device,
        dtype=linear.weight.dtype,
    )
    _copy_half(linear, half, tower)
    return TowerStep("", half, "full", True)


def _tower_step(name: str, module: nn.Module, tower: int) -> TowerStep:
    if isinstance(module, nn.Conv2d):
        step = _split_conv(module, tower)
    elif isinstance(module, nn.Linear):
        step = _split_linear(module, tower)
    elif isinstance(module, GroupedLRN):
        if module.groups == 2:
            step = TowerStep("", copy.deepcopy(module.lrn), "half", False)
        else:
            step = TowerStep("", copy.deepcopy(module.lrn), "full", False)
    elif isinstance(module, nn.LocalResponseNorm):
        step = TowerStep("", copy.deepcopy(module), "full", False)
    elif isinstance(module, _LOCAL):
        step = TowerStep("", copy.deepcopy(module), "any", False)
    else:
        raise TypeError(f"split_towers cannot split layer {name!r} of type {type(module).__name__}")
    step.name = name
    step.module.eval().requires_grad_(False)
    return step


class TwoTowerAlexNet:
    """A ``groups=2`` AlexNet cut into two towers (lists of :class:`TowerStep`).

    ``towers[i]`` holds tower i's layers with half of the weights; ``exchanges`` names the
    layers before which the towers swap activations (plus ``"output"``, where the two halves
    of the class scores are joined). Call it (or :meth:`run_on_devices`) to run both towers
    in this process on ``devices``; :func:`run_model_parallel` picks two GPUs or two processes.
    """

    def __init__(self, model: nn.Module) -> None:
        groups = getattr(model, "groups", None)
        if groups != 2:
            raise ValueError(
                "split_towers needs an AlexNet built with groups=2 "
                f"(the two-tower variant), got groups={groups!r}"
            )
        for part in ("features", "avgpool", "classifier"):
            if not hasattr(model, part):
                raise TypeError(
                    "split_towers needs an AlexNet or SmallAlexNet "
                    f"(missing .{part}), got {type(model).__name__}"
                )
        self.in_channels: int = model.in_channels
        layers: list[tuple[str, nn.Module]] = list(model.features.named_children())
        layers += [("avgpool", model.avgpool), ("flatten", nn.Flatten(1))]
        layers += list(model.classifier.named_children())
        self.towers: list[list[TowerStep]] = [[_tower_step(n, m, t) for n, m in layers] for t in (0, 1)]
        self.exchanges: list[str] = _exchange_points(self.towers[0])
        self.bytes_exchanged: int | None = None

    @property
    def parameters_per_tower(self) -> list[int]:
        return [sum(p.numel() for s in tower for p in s.module.parameters()) for tower in self.towers]

    def run_on_devices(self, x: Tensor, devices: Sequence[str | torch.device] = ("cpu", "cpu")) -> Tensor:
        """Run tower i on ``devices[i]`` in this process; activations cross between devices at
        the exchanges. Returns the output on ``x``'s device."""
        if len(devices) != 2:
            raise ValueError(f"devices must name two devices, got {devices!r}")
        _check_x(x, self.in_channels)
        devs = [torch.device(d) for d in devices]
        towers = [
            [_moved(step, dev) for step in tower] for tower, dev in zip(self.towers, devs, strict=False)
        ]
        moved = [0]

        def gather(xs: list[Tensor]) -> list[Tensor]:
            moved[0] += sum(t.numel() * t.element_size() for t in xs)
            full = torch.cat([t.to(devs[0]) for t in xs], dim=1)
            return [full.to(d) for d in devs]

        with torch.no_grad():
            outs = _execute(towers, [0, 1], [x.to(d) for d in devs], gather)
        self.bytes_exchanged = moved[0]
        return outs[0].to(x.device)

    __call__ = run_on_devices


def _moved(step: TowerStep, device: torch.device) -> TowerStep:
    return TowerStep(step.name, step.module.to(device), step.needs, step.splits)


def _exchange_points(steps: Sequence[TowerStep]) -> list[str]:
    points, state = [], "full"
    for step in steps:
        if step.needs == "full" and state == "split":
            points.append(step.name)
            state = "full"
        if step.splits:
            state = "split"
    if state == "split":
        points.append("output")
    return points


def _execute(
    towers: Sequence[Sequence[TowerStep]],
    ranks: Sequence[int],
    xs: list[Tensor],
    gather: Callable[[list[Tensor]], list[Tensor]],
) -> list[Tensor]:
    """Run the given towers (one per rank in ``ranks``) in lockstep. ``gather`` turns each
    tower's half (split along dim 1) into the full tensor, for every tower given."""
    state = "full"
    for j in range(len(towers[0])):
        needs = towers[0][j].needs
        if needs == "full" and state == "split":
            xs = gather(xs)
            state = "full"
        elif needs == "half" and state == "full":
            xs = [x.chunk(2, dim=1)[r] for x, r in zip(xs, ranks, strict=False)]
            state = "split"
        xs = [tower[j].module(x) for tower, x in zip(towers, xs, strict=False)]
        if towers[0][j].splits:
            state = "split"
    if state == "split":
        xs = gather(xs)
    return xs


def split_towers(model: nn.Module) -> TwoTowerAlexNet:
    """Cut a ``groups=2`` :class:`~cnnlessons.models.AlexNet` or ``SmallAlexNet`` into two towers."""
    return TwoTowerAlexNet(model)


def _check_x(x: Tensor, in_channels: int) -> None:
    if not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != in_channels:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(
            f"the model was built with in_channels={in_channels}; "
            f"expected input (N, {in_channels}, H, W), got {shape}"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, steps: list[TowerStep], x: Tensor, results, timeout_s: float) -> None:
    """One tower in its own process (top level, so that spawn can pickle it from a notebook)."""
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", rank=rank, world_size=2, timeout=timedelta(seconds=timeout_s))
        sent = [0]

        def gather(xs: list[Tensor]) -> list[Tensor]:
            mine = xs[0].contiguous()
            sent[0] += mine.numel() * mine.element_size()
            parts = [torch.empty_like(mine) for _ in range(2)]
            dist.all_gather(parts, mine)
            return [torch.cat(parts, dim=1)]

        with torch.no_grad():
            (out,) = _execute([steps], [rank], [x], gather)
        results.put(("ok", rank, out.numpy(), sent[0]))
    except BaseException:  # report anything, the parent raises it
        results.put(("error", rank, traceback.format_exc(), 0))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _run_processes(split: TwoTowerAlexNet, x: Tensor, timeout_s: float) -> Tensor:
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = _free_port()
    x_cpu = x.detach().cpu().contiguous()
    cpu = torch.device("cpu")
    towers = [[_moved(step, cpu) for step in split.towers[rank]] for rank in (0, 1)]
    procs = [
        ctx.Process(target=_worker, args=(rank, port, towers[rank], x_cpu, results, timeout_s), daemon=True)
        for rank in (0, 1)
    ]
    for p in procs:
        p.start()
    deadline = time.monotonic() + timeout_s
    outputs: dict[int, tuple] = {}
    try:
        while len(outputs) < 2:
            try:
                status, rank, payload, sent = results.get(timeout=0.5)
            except queue_module.Empty:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the two tower processes did not finish within timeout={timeout_s} s"
                    ) from None
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(
                        f"a tower process died with exit code {dead[0].exitcode} (see its traceback above). "
                        'From a script, call run_model_parallel under `if __name__ == "__main__":`, '
                        "since spawned processes re-import the main module."
                    ) from None
                continue
            if status == "error":
                raise RuntimeError(f"tower process {rank} failed:\n{payload}")
            outputs[rank] = (payload, sent)
        for p in procs:
            p.join(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        results.close()
    split.bytes_exchanged = sum(sent for _, sent in outputs.values())
    return torch.from_numpy(outputs[0][0]).to(device=x.device, dtype=x.dtype)


def run_model_parallel(
    model: nn.Module | TwoTowerAlexNet,
    x: Tensor,
    backend: str = "auto",
    timeout: float = 120.0,
) -> Tensor:
    """Run a ``groups=2`` AlexNet split over two devices and return its output for ``x``.

    ``backend``: ``"cuda"`` (towers on cuda:0 and cuda:1, needs two GPUs), ``"processes"``
    (two CPU processes, ``torch.distributed`` with gloo on 127.0.0.1), ``"auto"`` (``cuda``
    when ``torch.cuda.device_count() >= 2``, else ``processes``). The result equals
    ``model.eval()(x)`` up to float rounding; dropout is off. ``timeout`` (seconds) bounds the
    process run, so a notebook cell cannot hang.
    """
    split = model if isinstance(model, TwoTowerAlexNet) else split_towers(model)
    _check_x(x, split.in_channels)
    if backend == "auto":
        backend = "cuda" if torch.cuda.device_count() >= 2 else "processes"
    if backend == "cuda":
        if torch.cuda.device_count() < 2:
            raise ValueError(f'backend="cuda" needs two GPUs, found {torch.cuda.device_count()}')
        return split.run_on_devices(x, ("cuda:0", "cuda:1"))
    if backend == "processes":
        if not dist.is_available():
            raise RuntimeError("torch.distributed is not available in this PyTorch build")
        return _run_processes(split, x, float(timeout))
    raise ValueError(f'backend must be "auto", "cuda" or "processes", got {backend!r}')
