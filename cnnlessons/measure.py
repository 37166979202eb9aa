"""Measuring models: parameters, FLOPs, receptive fields, layer tables, memory, gradient sizes.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode``, which counts a multiply-add as
**2** FLOPs and counts only the matrix products (convolutions, linear layers, matmuls): bias
additions, BN, activations and pooling are not counted. :func:`macs_per_image` gives the
multiply-accumulate count (FLOPs / 2) that many papers quote as "FLOPs".
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "check_model",
    "eval_mode",
    "model_device",
    "model_dtype",
    "Footprint",
    "PeakMemory",
    "conv_params",
    "count_parameters",
    "flops_per_image",
    "gradient_footprint",
    "gradient_norms",
    "layer_summary",
    "macs_per_image",
    "peak_memory",
    "receptive_field",
    "stacked_receptive_field",
    "equivalent_3x3_layers",
    "track_peak_memory",
    "training_memory_per_image",
]


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter values (shared parameters counted once)."""
    check_model(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def check_model(model: object) -> None:
    """Raise a TypeError naming ``model`` unless it is an ``nn.Module``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (the CPU for an empty model)."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def model_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's first floating-point parameter (torch's default without one)."""
    for t in model.parameters():
        if t.is_floating_point():
            return t.dtype
    return torch.get_default_dtype()


def _check_input_size(input_size: Sequence[int]) -> tuple[int, ...]:
    size = tuple(input_size)
    if not size or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in size):
        raise ValueError(
            f"input_size must be a tuple of positive ints such as (3, 32, 32), got {input_size!r}"
        )
    return size


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Evaluate with BN/dropout in eval mode, then restore each module's own mode."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def flops_per_image(model: nn.Module, input_size: Sequence[int] = (3, 32, 32)) -> int:
    """FLOPs of one forward pass on one image of shape ``input_size`` (C, H, W).

    Counted by ``FlopCounterMode``: a multiply-add is 2 FLOPs, only convs/linear/matmul count.
    A conv 3->8, 3x3, padding 1 on 32x32 is 2*3*8*9*32*32 = 442,368 FLOPs. Works on a model
    built on the ``meta`` device too (no arithmetic is done then).
    """
    from torch.utils.flop_counter import FlopCounterMode

    check_model(model)
    size = _check_input_size(input_size)
    x = torch.zeros((1, *size), device=model_device(model), dtype=model_dtype(model))
    counter = FlopCounterMode(display=False)
    with eval_mode(model), torch.no_grad(), counter:
        model(x)
    return int(counter.get_total_flops())


def macs_per_image(model: nn.Module, input_size: Sequence[int] = (3, 32, 32)) -> int:
    """Multiply-accumulates of one forward pass: ``flops_per_image(...) // 2``."""
    return flops_per_image(model, input_size) // 2


def receptive_field(layers: Sequence[Sequence[int]]) -> int:
    """Receptive field (side length, in input pixels) of a stack of convs/pools.

    ``layers`` lists ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)`` from
    input to output. r = 1 + sum_i (k_i - 1) * d_i * prod_{j<i} s_j; three stacked 3x3
    stride-1 convs see 7x7.
    """
    r, jump = 1, 1
    for i, layer in enumerate(layers):
        try:
            values = tuple(layer)
        except TypeError:
            raise TypeError(f"layers[{i}] must be (kernel_size, stride[, dilation]), got {layer!r}") from None
        if len(values) not in (2, 3):
            raise ValueError(f"layers[{i}] must be (kernel_size, stride[, dilation]), got {layer!r}")
        k, s = values[0], values[1]
        d = values[2] if len(values) == 3 else 1
        for name, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"layers[{i}]: {name} must be an int >= 1, got {v!r}")
        r += (k - 1) * d * jump
        jump *= s
    return r


def stacked_receptive_field(num_layers: int, kernel_size: int = 3) -> int:
    """Receptive field of ``num_layers`` stacked stride-1 ``kernel_size`` convs:
    ``1 + num_layers * (kernel_size - 1)`` (two 3x3 see 5x5, three see 7x7)."""
    for name, v, low in (("num_layers", num_layers, 0), ("kernel_size", kernel_size, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
    return 1 + num_layers * (kernel_size - 1)


def equivalent_3x3_layers(kernel_size: int, num_layers: int = 1) -> int:
    """How many 3x3 layers have the receptive field of ``num_layers`` kxk layers: L(k-1)/2."""
    field = stacked_receptive_field(num_layers, kernel_size)
    if (field - 1) % 2:
        raise ValueError(f"kernel_size must be odd to match a stack of 3x3 layers, got {kernel_size}")
    return (field - 1) // 2


def conv_params(kernel_size: int, in_channels: int, out_channels: int, bias: bool = True) -> int:
    """Parameters of one conv: ``kernel_size**2 * in_channels * out_channels`` (+ ``out_channels``
    with bias). Three 3x3 C->C convs cost 27C^2 weights, one 7x7 49C^2."""
    for name, v in (
        ("kernel_size", kernel_size),
        ("in_channels", in_channels),
        ("out_channels", out_channels),
    ):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    return kernel_size * kernel_size * in_channels * out_channels + (out_channels if bias else 0)


class Footprint(NamedTuple):
    """The input pixels whose gradient is nonzero for one output pixel."""

    height: int
    width: int
    mask: Tensor  # (H, W) bool, True where the input gradient is nonzero


def gradient_footprint(
    model: nn.Module, input_size: Sequence[int] = (1, 32, 32), trials: int = 4, seed: int = 0
) -> Footprint:
    """Measure the receptive field of the centre output pixel as its nonzero gradient on the input.

    Back-propagates the centre pixel of the output (summed over its channels) to a random
    input and records where the input gradient is nonzero; ``height`` and ``width`` are the
    sides of that region's bounding box. ReLUs and max pooling can zero some paths for one
    input, so the masks of ``trials`` random inputs are combined. BN runs in eval mode (in
    training mode it would connect every pixel through the batch statistics). The model must
    map (N, C, H, W) to (N, C', H', W').
    """
    check_model(model)
    size = _check_input_size(input_size)
    if len(size) != 3:
        raise ValueError(f"input_size must be (C, H, W), got {input_size!r}")
    generator = torch.Generator().manual_seed(seed)
    device, dtype = model_device(model), model_dtype(model)
    mask = torch.zeros(size[1:], dtype=torch.bool)
    with eval_mode(model):
        for _ in range(max(1, trials)):
            x = (
                torch.randn((1, *size), generator=generator)
                .to(device=device, dtype=dtype)
                .requires_grad_(True)
            )
            out = model(x)
            if out.dim() != 4:
                raise ValueError(
                    f"gradient_footprint needs a model with (N, C, H, W) output, got shape {tuple(out.shape)}"
                )
            h, w = out.shape[2] // 2, out.shape[3] // 2
            (grad,) = torch.autograd.grad(out[0, :, h, w].sum(), x)
            mask |= (grad[0] != 0).any(dim=0).cpu()
    rows = mask.any(dim=1).nonzero()
    cols = mask.any(dim=0).nonzero()
    if len(rows) == 0:
        return Footprint(0, 0, mask)
    return Footprint(int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1), mask)


def layer_summary(model: nn.Module, input_size: Sequence[int] = (3, 32, 32), **kwargs):
    """torchinfo's layer table (output shapes, parameters, mult-adds) for one image.

    Returns torchinfo's ``ModelStatistics`` in a :class:`LayerSummary` (``print`` it, or read
    ``total_params``, ``total_mult_adds``); nothing is printed here. Extra keyword arguments go to
    ``torchinfo.summary`` (e.g. ``depth=2``).
    """
    import torchinfo

    check_model(model)
    size = _check_input_size(input_size)
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("depth", 3)
    kwargs.setdefault("col_names", ("output_size", "num_params", "mult_adds"))
    with eval_mode(model):
        return LayerSummary(
            torchinfo.summary(model, input_size=(1, *size), device=model_device(model), **kwargs)
        )


class LayerSummary:
    """torchinfo's statistics, printed with readable units: some torchinfo versions print the
    mult-adds line as ``Total mult-adds (Units.MEGABYTES)``; here it reads ``(M)``, millions."""

    _UNITS = {"NONE": "", "KILOBYTES": "k", "MEGABYTES": "M", "GIGABYTES": "G", "TERABYTES": "T"}

    def __init__(self, statistics) -> None:
        self.statistics = statistics

    def __getattr__(self, name: str):
        return getattr(self.statistics, name)

    def __str__(self) -> str:
        import re

        return re.sub(
            r"\(Units\.(\w+)\)",
            lambda m: f"({self._UNITS.get(m.group(1), m.group(1))})",
            str(self.statistics),
        )

    __repr__ = __str__


def _as_device(device: str | torch.device | None) -> torch.device:
    if device is None:
        return (
            torch.device("cuda", torch.cuda.current_device())
            if torch.cuda.is_available()
            else torch.device("cpu")
        )
    return torch.device(device)


def peak_memory(device: str | torch.device | None = None) -> int | None:
    """Peak bytes allocated by tensors on a CUDA device since the last reset; ``None`` for a
    device that does not report it (the CPU, MPS)."""
    dev = _as_device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        return int(torch.cuda.max_memory_allocated(dev))
    return None


class PeakMemory:
    """Result of :func:`track_peak_memory`: ``peak_bytes`` (``None`` where not reported)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak_bytes: int | None = None

    @property
    def peak_mib(self) -> float | None:
        return None if self.peak_bytes is None else self.peak_bytes / 2**20

    def __repr__(self) -> str:
        if self.peak_bytes is None:
            return f"PeakMemory(device={self.device}, peak_bytes=None)"
        return f"PeakMemory(device={self.device}, peak_bytes={self.peak_bytes}, {self.peak_mib:.1f} MiB)"


@contextlib.contextmanager
def track_peak_memory(device: str | torch.device | None = None) -> Iterator[PeakMemory]:
    """``with track_peak_memory("cuda") as mem: ...`` then ``mem.peak_bytes``.

    Resets CUDA's peak counter on entry and reads ``torch.cuda.max_memory_allocated`` on exit;
    on a device that does not report memory ``peak_bytes`` stays ``None``.
    """
    dev = _as_device(device)
    result = PeakMemory(dev)
    cuda = dev.type == "cuda" and torch.cuda.is_available()
    if cuda:
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
    try:
        yield result
    finally:
        if cuda:
            torch.cuda.synchronize(dev)
            result.peak_bytes = int(torch.cuda.max_memory_allocated(dev))


def training_memory_per_image(
    model: nn.Module, input_size: Sequence[int] = (3, 32, 32), batch_size: int = 8
) -> int:
    """Bytes per image of the tensors a training step keeps for the backward pass.

    Runs one forward pass of a random batch of ``batch_size`` images in training mode and counts,
    through ``torch.autograd.graph.saved_tensors_hooks``, every tensor autograd saves (layer
    inputs, BN statistics, ReLU outputs, pooling indices, dropout masks), each storage once,
    leaving out the model's own parameters and buffers; divided by ``batch_size``. This is the
    memory that grows with the batch, on any device (no CUDA needed); it is measured in the
    model's dtype (float32: autocast to bf16 roughly halves it). A ``nn.Linear(100, 10)`` keeps
    its input, 100 * 4 = 400 bytes per image. The model's parameters and BN running statistics
    are left as they were.
    """
    check_model(model)
    size = _check_input_size(input_size)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    own = {t.untyped_storage().data_ptr() for t in itertools.chain(model.parameters(), model.buffers())}
    saved: dict[int, int] = {}

    def pack(t: Tensor) -> Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in own:
            saved[storage.data_ptr()] = storage.nbytes()
        return t  # kept alive by the graph until the end: no address is reused meanwhile

    buffers = [b.detach().clone() for b in model.buffers()]
    modes = [(m, m.training) for m in model.modules()]
    x = torch.randn((batch_size, *size), device=model_device(model), dtype=model_dtype(model))
    model.train()
    try:
        with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = model(x)
        del out
    finally:
        for m, mode in modes:
            m.training = mode
        with torch.no_grad():
            for b, before in zip(model.buffers(), buffers, strict=False):
                b.copy_(before)
    return sum(saved.values()) // batch_size


def gradient_norms(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor] = F.cross_entropy,
    layer_types: tuple[type, ...] = (nn.Conv2d, nn.Linear),
) -> list[tuple[str, float]]:
    """Gradient size per layer: the L2 norm of d loss / d weight of each conv and linear layer.

    Layers are listed in the order the forward pass runs them (input to output). The
    gradients are computed with ``torch.autograd.grad``, so the parameters' ``.grad`` are left
    alone; the model is used in its current train/eval mode.
    """
    order: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    names = {id(m): name for name, m in model.named_modules()}

    def hook(module: nn.Module, args, output) -> None:
        if id(module) not in seen:
            seen.add(id(module))
            order.append((names[id(module)], module))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, layer_types)]
    try:
        loss = loss_fn(model(x), y)
    finally:
        for handle in handles:
            handle.remove()
    layers = [
        (name, m) for name, m in order if getattr(m, "weight", None) is not None and m.weight.requires_grad
    ]
    if not layers:
        raise ValueError("the model ran no conv or linear layer with a trainable weight")
    grads = torch.autograd.grad(loss, [m.weight for _, m in layers], allow_unused=True)
    return [
        (name, 0.0 if g is None else float(g.norm())) for (name, _), g in zip(layers, grads, strict=False)
    ]
