"""Checking a block (an ``nn.Module`` class) against its contract, without reading attribute names.

For each set of constructor arguments the check builds the learner's block and
1. runs it: the output must be a tensor of the contract's shape;
2. lists its layers: every parameter must sit in an ``nn.Conv2d`` or ``nn.BatchNorm2d`` (or, where
   the contract allows it, an ``nn.Linear`` standing for a 1x1 convolution on a 1x1 map), and the
   convolution weight shapes and BatchNorm sizes must be the contract's (which gives the parameter
   count; a convolution followed by BN may have a bias or not);
3. checks that every parameter gets a gradient;
4. runs behavioural probes that give pointed messages (e.g. "the output has negative values");
5. copies the learner's weights, biases and BatchNorm statistics into a private reference built
   from the contract and compares the outputs on random inputs, in eval mode and in training mode.
   Layers are matched by shape in registration order; where several layers share a shape, other
   orders are tried too, so the learner's attribute names and registration order do not matter.
   When no reference variant matches, known wrong variants are tried to name the mistake.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ..i18n import _
from .core import ExerciseFailed, NotAttempted, call

__all__ = ["BlockSpec", "Probe", "check_block", "ref_conv"]

SEED = 1234
MAX_ASSIGNMENTS = 2000

_BN_TYPES = (nn.BatchNorm2d, nn.SyncBatchNorm)


def ref_conv(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    bias_optional: bool = False,
    groups: int = 1,
) -> nn.Conv2d:
    """A reference convolution; it always has a bias (set to zero when the learner's has none)."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, groups=groups)
    conv.bias_optional = bias_optional  # type: ignore[attr-defined]
    return conv


Weighted = nn.Conv2d | nn.Linear
"""A learner's layer with weights: a convolution, or a Linear where the spec allows one."""


@dataclasses.dataclass
class Layers:
    convs: list[tuple[str, Weighted]]
    norms: list[tuple[str, nn.BatchNorm2d]]


@dataclasses.dataclass
class Probe:
    """What a behavioural probe gets to look at."""

    args: tuple
    label: str
    block: nn.Module
    layers: Layers
    reference: nn.Module
    x: Tensor
    conv_map: list[int]
    """For each reference convolution (in its order), the index of the learner's in ``layers.convs``."""
    norm_map: list[int]

    def run(self, x: Tensor | None = None, train: bool = False) -> Tensor:
        x = self.x if x is None else x
        self.block.train(train)
        with torch.no_grad():
            return call(self.block, x, what=_on_input(self.label, tuple(x.shape)))

    def learner_conv(self, ref_index: int) -> Weighted:
        return self.layers.convs[self.conv_map[ref_index]][1]


@dataclasses.dataclass
class BlockSpec:
    name: str
    arg_names: tuple[str, ...]
    cases: Sequence[tuple]
    """Constructor arguments, the most telling first."""
    input_shape: Callable[[tuple], tuple[int, ...]]
    output_shape: Callable[[tuple, tuple[int, ...]], tuple[int, ...]]
    reference: Callable[[tuple, str], nn.Module]
    """``reference(args, variant)``: the contract's block (or a known wrong variant)."""
    wiring: str
    """The contract in words, for the message when the outputs differ. This and the hints below
    are English, marked ``N_(...)`` for the catalog, and translated where they are shown; the
    hint functions return their text translated."""
    accepted: tuple[str, ...] = ("ok",)
    mistakes: tuple[tuple[str, str], ...] = ()
    """(variant, hint): when the learner's block behaves like this variant, say the hint."""
    shape_hint: Callable[[tuple, tuple, tuple], str] | None = None
    structure_hint: Callable[[tuple, collections.Counter, collections.Counter], str] | None = None
    nonnegative_hint: str | None = None
    """Set when every output passes a ReLU: negative outputs then fail with this hint."""
    probes: tuple[Callable[[Probe], None], ...] = ()
    error_hint: Callable[[tuple, str], str] | None = None
    """``error_hint(args, message)``: a hint when running the block raises an error."""
    make_input: Callable[[tuple, torch.Generator], Tensor] | None = None
    """``make_input(args, generator)``: the block's test inputs, where plain ``torch.randn`` of
    ``input_shape`` will not do (e.g. a block that pools its input first: pooled standard normal
    noise is near zero, and a narrow ReLU after it may be off for every image)."""
    linear_as_1x1: bool = False
    """Accept an ``nn.Linear`` where the reference has a 1x1 convolution (on a pooled 1x1 map, the
    two are the same map): its weight (out, in) counts as the convolution's (out, in, 1, 1)."""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _shape(t: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in t) + ")"


def _on_input(label: str, shape: Sequence[int]) -> str:
    return _("{label} on an input of shape {shape}").format(label=label, shape=_shape(shape))


def describe_conv(shape: tuple[int, ...], times: int = 1) -> str:
    """``a 3x3 convolution 4->6``, or ``3x3 convolution 4->6 (x2)`` for ``times`` of them."""
    out_c, in_c, kh, kw = shape
    if times == 1:
        return _("a {kh}x{kw} convolution {cin}->{cout}").format(kh=kh, kw=kw, cin=in_c, cout=out_c)
    return _("{kh}x{kw} convolution {cin}->{cout} (x{times})").format(
        kh=kh, kw=kw, cin=in_c, cout=out_c, times=times
    )


def describe_norm(size: int, times: int = 1) -> str:
    """``a BatchNorm2d(6)``, or ``BatchNorm2d(6) (x2)`` for ``times`` of them."""
    if times == 1:
        return _("a BatchNorm2d({size})").format(size=size)
    return _("BatchNorm2d({size}) (x{times})").format(size=size, times=times)


def collect_layers(block: nn.Module, label: str, linear_as_1x1: bool = False) -> Layers:
    convs: list[tuple[str, Weighted]] = []
    norms = []
    for name, module in block.named_modules():
        own = [p for p, _ in module.named_parameters(recurse=False)]
        if isinstance(module, nn.Conv2d) or (linear_as_1x1 and isinstance(module, nn.Linear)):
            convs.append((name, module))
        elif isinstance(module, _BN_TYPES):
            norms.append((name, module))
        elif own:
            where = f"`{name}.{own[0]}`" if name else f"`{own[0]}`"
            raise ExerciseFailed(
                _(
                    "{label} has the parameter {where} in a {module}; the check "
                    "expects every parameter to sit in an nn.Conv2d or nn.BatchNorm2d layer"
                ).format(label=label, where=where, module=type(module).__name__)
                + (_(" (an nn.Linear may stand for a 1x1 convolution)") if linear_as_1x1 else "")
            )
    for name, bn in norms:
        if bn.weight is None:
            raise ExerciseFailed(
                _(
                    "{label}: the BatchNorm `{name}` has no learnable weight and bias "
                    "(affine=False); use nn.BatchNorm2d's defaults"
                ).format(label=label, name=name)
            )
        if bn.running_mean is None:
            raise ExerciseFailed(
                _(
                    "{label}: the BatchNorm `{name}` does not track running statistics "
                    "(track_running_stats=False); use nn.BatchNorm2d's defaults"
                ).format(label=label, name=name)
            )
    return Layers(convs, norms)


def _conv_key(conv: Weighted) -> tuple[int, ...]:
    shape = tuple(conv.weight.shape)
    return shape + (1, 1) if isinstance(conv, nn.Linear) else shape


def _count(block: nn.Module) -> int:
    return sum(p.numel() for p in block.parameters())


def _check_structure(spec: BlockSpec, args: tuple, label: str, layers: Layers, ref: nn.Module) -> None:
    ref_convs = [m for m in ref.modules() if isinstance(m, nn.Conv2d)]
    ref_norms = [m for m in ref.modules() if isinstance(m, _BN_TYPES)]
    want = collections.Counter(_conv_key(c) for c in ref_convs)
    have = collections.Counter(_conv_key(c) for _, c in layers.convs)
    want_bn = collections.Counter(m.num_features for m in ref_norms)
    have_bn = collections.Counter(m.num_features for _, m in layers.norms)
    n = sum(p.numel() for _, c in layers.convs for p in c.parameters()) + sum(
        p.numel() for _, m in layers.norms for p in m.parameters()
    )
    lowest = sum(c.weight.numel() + (0 if c.bias_optional else c.bias.numel()) for c in ref_convs) + sum(
        2 * m.num_features for m in ref_norms
    )
    highest = lowest + sum(c.bias.numel() for c in ref_convs if c.bias_optional)
    expected = (
        f"{lowest:,}"
        if lowest == highest
        else _("{lowest:,} without the optional convolution biases, {highest:,} with them").format(
            lowest=lowest, highest=highest
        )
    )
    if want != have or want_bn != have_bn:
        missing = (want - have) + collections.Counter({("bn", k): v for k, v in (want_bn - have_bn).items()})
        extra = (have - want) + collections.Counter({("bn", k): v for k, v in (have_bn - want_bn).items()})

        def words(counter: collections.Counter) -> str:
            items = []
            for key, times in counter.items():
                items.append(describe_norm(key[1], times) if key[0] == "bn" else describe_conv(key, times))
            return ", ".join(items)

        parts = [
            _(
                "{label} has {n:,} parameters; the contract gives {expected}. "
                "Its layers are not the contract's:"
            ).format(label=label, n=n, expected=expected)
        ]
        if missing:
            parts.append(_("missing {layers};").format(layers=words(missing)))
        if extra:
            parts.append(_("not in the contract: {layers}.").format(layers=words(extra)))
        hint = spec.structure_hint(args, missing, extra) if spec.structure_hint else ""
        message = " ".join(parts).rstrip(";") + ("" if parts[-1].endswith(".") else ".")
        raise ExerciseFailed(message + (f" {_sentence(hint)}" if hint else ""))
    # Same layer shapes: what remains is the biases of convolutions that must have one.
    required = {_conv_key(c) for c in ref_convs if not c.bias_optional}
    lacking = [c for _, c in layers.convs if c.bias is None and _conv_key(c) in required]
    if lacking:
        short = sum(c.weight.shape[0] for c in lacking)
        raise ExerciseFailed(
            _(
                "{label} has {n:,} parameters; the contract gives {expected}: off by exactly the "
                "biases of {count} convolution(s) ({short:,}). In this block every convolution "
                "has a bias (nn.Conv2d's default, bias=True)"
            ).format(label=label, n=n, expected=expected, count=len(lacking), short=short)
        )


def _check_gradients(block: nn.Module, x: Tensor, label: str, generator: torch.Generator) -> None:
    block.train()
    block.zero_grad(set_to_none=True)
    out = call(block, x, what=_on_input(label, x.shape))
    if not out.requires_grad:
        raise ExerciseFailed(
            _(
                "{label}: the output does not require grad, so nothing can be trained; "
                "look for torch.no_grad(), .detach() or .data in forward"
            ).format(label=label)
        )
    weights = torch.randn(out.shape, generator=generator)
    try:
        (out * weights).sum().backward()
    except RuntimeError as error:
        raise ExerciseFailed(
            _("{label}: backward through the block failed: {error}").format(label=label, error=error)
        ) from None
    for name, p in block.named_parameters():
        if p.grad is None:
            raise ExerciseFailed(
                _(
                    "{label}: the parameter `{name}` (shape {shape}) gets no gradient: its layer is "
                    "not used in forward, or the graph is cut there (.detach(), .data, no_grad)"
                ).format(label=label, name=name, shape=_shape(p.shape))
            )
        if p.dim() == 4 and not p.grad.any():
            raise ExerciseFailed(
                _(
                    "{label}: the parameter `{name}` (shape {shape}) gets a "
                    "zero gradient everywhere; is its layer's output used?"
                ).format(label=label, name=name, shape=_shape(p.shape))
            )
    block.zero_grad(set_to_none=True)


def _randomise(layers: Layers, generator: torch.Generator) -> None:
    with torch.no_grad():
        for _name, conv in layers.convs:
            fan_in = conv.weight[0].numel()
            conv.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
            if conv.bias is not None:
                conv.bias.normal_(0.0, 0.2, generator=generator)
        for _name, bn in layers.norms:
            bn.weight.uniform_(0.5, 1.5, generator=generator)
            bn.bias.normal_(0.0, 0.2, generator=generator)
            bn.running_mean.normal_(0.0, 0.3, generator=generator)
            bn.running_var.uniform_(0.5, 2.0, generator=generator)


def assignments(ref_keys: Sequence, learner_keys: Sequence) -> Iterator[list[int]]:
    """Ways to give each reference layer a learner layer of the same shape; registration order first."""
    groups: dict[Any, tuple[list[int], list[int]]] = {}
    for i, key in enumerate(ref_keys):
        groups.setdefault(key, ([], []))[0].append(i)
    for j, key in enumerate(learner_keys):
        groups.setdefault(key, ([], []))[1].append(j)
    if any(len(refs) != len(learners) for refs, learners in groups.values()):
        return
    options = []
    for _shape_key, learners in groups.values():
        if len(learners) <= 6:
            options.append(list(itertools.permutations(learners)))
        else:
            options.append([tuple(learners)])
    for combo in itertools.product(*options):
        mapping = [0] * len(ref_keys)
        for (refs, _learners), chosen in zip(groups.values(), combo, strict=False):
            for r, j in zip(refs, chosen, strict=False):
                mapping[r] = j
        yield mapping


def _load(ref: nn.Module, layers: Layers, conv_map: list[int], norm_map: list[int]) -> None:
    ref_convs = [m for m in ref.modules() if isinstance(m, nn.Conv2d)]
    ref_norms = [m for m in ref.modules() if isinstance(m, _BN_TYPES)]
    with torch.no_grad():
        for r, j in zip(ref_convs, conv_map, strict=False):
            conv = layers.convs[j][1]
            r.weight.copy_(conv.weight.reshape(r.weight.shape))
            if conv.bias is None:
                r.bias.zero_()
            else:
                r.bias.copy_(conv.bias)
        for r, j in zip(ref_norms, norm_map, strict=False):
            bn = layers.norms[j][1]
            r.weight.copy_(bn.weight)
            r.bias.copy_(bn.bias)
            r.running_mean.copy_(bn.running_mean)
            r.running_var.copy_(bn.running_var)
            r.eps = bn.eps


def _close(a: Any, b: Tensor) -> bool:
    if not isinstance(a, Tensor) or a.shape != b.shape:
        return False
    scale = max(1.0, b.abs().max().item()) if b.numel() else 1.0
    return torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5 * scale)


def _agree(
    block: nn.Module,
    ref: nn.Module,
    layers: Layers,
    conv_map: list[int],
    norm_map: list[int],
    inputs: Sequence[Tensor],
    label: str,
) -> str | None:
    """None when the block and the reference agree on every input in both modes, else the mode."""
    for x in inputs:
        for mode in ("eval", "train"):
            _load(ref, layers, conv_map, norm_map)  # also syncs the running statistics
            block.train(mode == "train")
            ref.train(mode == "train")
            with torch.no_grad():
                got = call(block, x, what=_on_input(label, x.shape))
                want = ref(x)
            if not _close(got, want):
                return mode
    return None


def _search(
    block: nn.Module, ref: nn.Module, layers: Layers, inputs: Sequence[Tensor], label: str
) -> tuple[bool, str | None]:
    """(True, None) if some layer assignment makes the block agree with ``ref``; else (False, mode
    in which the registration-order assignment first disagreed)."""
    ref_convs = [_conv_key(m) for m in ref.modules() if isinstance(m, nn.Conv2d)]
    ref_norms = [m.num_features for m in ref.modules() if isinstance(m, _BN_TYPES)]
    conv_keys = [_conv_key(c) for _, c in layers.convs]
    norm_keys = [m.num_features for _, m in layers.norms]
    first_mode = None
    tried = 0
    for conv_map in assignments(ref_convs, conv_keys):
        for norm_map in assignments(ref_norms, norm_keys):
            mode = _agree(block, ref, layers, conv_map, norm_map, inputs, label)
            if mode is None:
                return True, None
            first_mode = first_mode or mode
            tried += 1
            if tried >= MAX_ASSIGNMENTS:
                return False, first_mode
    return False, first_mode


@contextlib.contextmanager
def saved_state(block: nn.Module) -> Iterator[None]:
    """Restore the block's parameters and buffers afterwards (for probes that change weights)."""
    state = {k: v.detach().clone() for k, v in block.state_dict().items()}
    try:
        yield
    finally:
        block.load_state_dict(state)


def _fresh_generator() -> torch.Generator:
    return torch.Generator().manual_seed(random.SystemRandom().randrange(2**62))


def _input(spec: BlockSpec, args: tuple, generator: torch.Generator) -> Tensor:
    if spec.make_input is not None:
        return spec.make_input(args, generator)
    return torch.randn(spec.input_shape(args), generator=generator)


def check_block(answer: Any, spec: BlockSpec) -> int:
    """Check the class ``answer`` against ``spec`` on each of its cases; returns the number of cases."""
    __tracebackhide__ = True
    if isinstance(answer, nn.Module):
        raise ExerciseFailed(
            _("pass the class `{name}` itself, not a block built from it: check(..., {name})").format(
                name=spec.name
            )
        )
    if not callable(answer):
        raise ExerciseFailed(
            _("expected the class `{name}`, got an object of type {type}").format(
                name=spec.name, type=type(answer).__name__
            )
        )
    generator = torch.Generator().manual_seed(SEED)
    fresh = _fresh_generator()
    for index, args in enumerate(spec.cases):
        named = ", ".join(f"{n}={a!r}" for n, a in zip(spec.arg_names, args, strict=False))
        label = f"{spec.name}({named})"
        torch.manual_seed(SEED + index)  # the learner's own initialisation
        block = call(answer, *args, what=label)
        if not isinstance(block, nn.Module):
            raise ExerciseFailed(
                _("{label} gave an object of type {type}; expected an nn.Module").format(
                    label=label, type=type(block).__name__
                )
            )
        x = _input(spec, args, generator)
        block.train()
        try:
            with torch.no_grad():
                out = call(block, x, what=_on_input(label, x.shape))
        except ExerciseFailed as failure:
            hint = spec.error_hint(args, str(failure)) if spec.error_hint else ""
            if not hint or isinstance(failure, NotAttempted):
                raise
            raise ExerciseFailed(f"{failure}. {_sentence(hint)}") from None
        if not isinstance(out, Tensor):
            raise ExerciseFailed(
                _("{label} returned an object of type {type}; expected a Tensor").format(
                    label=label, type=type(out).__name__
                )
            )
        expected = spec.output_shape(args, tuple(x.shape))
        if tuple(out.shape) != tuple(expected):
            hint = spec.shape_hint(args, tuple(out.shape), tuple(expected)) if spec.shape_hint else ""
            raise ExerciseFailed(
                _("{label} on an input of shape {shape} returned shape {got}; expected {expected}").format(
                    label=label, shape=_shape(x.shape), got=_shape(out.shape), expected=_shape(expected)
                )
                + (f". {_sentence(hint)}" if hint else "")
            )
        reference = spec.reference(args, spec.accepted[0])
        layers = collect_layers(block, label, spec.linear_as_1x1)
        _check_structure(spec, args, label, layers, reference)
        _check_gradients(block, x, label, generator)
        _randomise(layers, generator)

        if spec.nonnegative_hint:
            for train in (False, True):
                block.train(train)
                with torch.no_grad():
                    y = call(block, x, what=_on_input(label, x.shape))
                if (y < 0).any():
                    raise ExerciseFailed(
                        _("{label}: some outputs are negative; {hint}").format(
                            label=label, hint=_(spec.nonnegative_hint)
                        )
                    )

        ref_convs = [_conv_key(m) for m in reference.modules() if isinstance(m, nn.Conv2d)]
        ref_norms = [m.num_features for m in reference.modules() if isinstance(m, _BN_TYPES)]
        conv_map = next(assignments(ref_convs, [_conv_key(c) for _, c in layers.convs]))
        norm_map = next(assignments(ref_norms, [m.num_features for _, m in layers.norms]))
        probe = Probe(args, label, block, layers, reference, x, conv_map, norm_map)
        for run_probe in spec.probes:
            with saved_state(block):
                run_probe(probe)

        inputs = [x, _input(spec, args, fresh)]
        mode = None
        for variant in spec.accepted:
            ok, variant_mode = _search(block, spec.reference(args, variant), layers, inputs, label)
            if ok:
                break
            mode = mode or variant_mode
        else:
            for variant, hint in spec.mistakes:
                if _search(block, spec.reference(args, variant), layers, inputs[:1], label)[0]:
                    raise ExerciseFailed(f"{label}: {_(hint)}")
            when = (
                _(" in eval mode (BatchNorm using its running statistics)")
                if mode == "eval" and layers.norms
                else (_(" in training mode") if mode == "train" else "")
            )
            raise ExerciseFailed(
                _(
                    "{label}: with your block's own weights copied into a block built as the "
                    "contract says, the two give different outputs{when}. Your layers have the right "
                    "shapes, so look at how forward connects them: {wiring}"
                ).format(label=label, when=when, wiring=_(spec.wiring))
            )
    return len(spec.cases)
