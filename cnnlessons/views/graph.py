"""The graph of what a network computes, traced from one forward pass: the graph that
:func:`~cnnlessons.views.diagram.diagram` draws.

``trace(module, input_size)`` runs the module once, in eval mode and without gradients, on one
random image, and records every layer and every tensor operation that runs: a layer is a
built-in ``torch.nn`` module (``nn.Conv2d``, ``nn.ReLU``, ...) or a module of one's own without
submodules; everything that a ``forward`` computes between layers (``torch.cat``, ``+``,
``F.relu``, ``x.flatten(1)``) is recorded as a node of its own. What does not depend on the
input (shape checks, constants) is left out. Since the pass really runs, any Python in a
``forward`` works: loops over lists of features, input checks, checkpointing.

``collapse(graph)`` draws each block (a module of its own class, such as ``Inception`` or
``ResidualBlock``) as one node; ``fold(graph)`` folds a run of identical blocks into one node
with a repeat count ("x 3").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

from ..measure import eval_mode, model_device, model_dtype

__all__ = ["Node", "Graph", "Scope", "trace", "collapse", "fold", "check_input_size"]

JOINS = ("add", "concat", "multiply")
"""Kinds of the nodes where paths meet."""
CHANNELWISE = ("activation", "norm", "pool", "dropout")
"""Kinds that act on each channel on its own: they stay in the lanes of a grouped conv."""
MAX_LANES = 4
"""Grouped convs with up to this many groups are drawn as their lanes (AlexNet's two towers)."""


@dataclasses.dataclass(frozen=True)
class Node:
    """One node of the graph: a layer, an operation, a block or the input.

    ``kind`` is one of "input", "conv", "pool", "fc", "norm", "activation", "dropout",
    "reshape", "add", "concat", "multiply", "block", "other"; ``label`` the lines that name it
    ("3x3 conv", "stride 2"); ``shape`` its output shape without the batch, (C, H, W) or (F,);
    ``inputs`` the ids of the nodes it reads, in order. ``groups`` is a conv's groups, ``lanes``
    the lanes it is drawn in, ``repeat`` how many identical blocks it stands for.
    """

    id: int
    name: str
    kind: str
    label: tuple[str, ...]
    shape: tuple[int, ...]
    params: int = 0
    inputs: tuple[int, ...] = ()
    scope: tuple[int, ...] = ()
    groups: int = 1
    lanes: int = 1
    repeat: int = 1
    inner: tuple = ()

    @property
    def shape_text(self) -> str:
        """The output shape as the lecture writes it: ``"64x16x16"``."""
        return "x".join(str(s) for s in self.shape)


@dataclasses.dataclass(frozen=True)
class Scope:
    """One call of a module that is not a layer: its path in the model, its class, its
    parameter count and whether it is a plain container (``nn.Sequential``, ``nn.ModuleList``)."""

    path: str
    cls: str
    params: int
    container: bool


@dataclasses.dataclass
class Graph:
    """The nodes in the order the forward pass ran them, and the calls of the modules around
    them (``scopes``, by the ids a node's ``scope`` lists, outermost first). The last node is
    the output. The drawing fills ``boxes`` (node id -> its boxes (x, y, width, height) in
    inches from the figure's bottom left, one per lane) and ``arcs`` (the edges drawn as arcs
    over the nodes they skip: shortcuts, dense connections)."""

    nodes: list[Node]
    scopes: dict[int, Scope] = dataclasses.field(default_factory=dict)
    input_size: tuple[int, ...] = ()
    params: int = 0
    boxes: dict[int, list[tuple[float, float, float, float]]] = dataclasses.field(default_factory=dict)
    arcs: set[tuple[int, int]] = dataclasses.field(default_factory=set)

    def __getitem__(self, node_id: int) -> Node:
        return self._by_id()[node_id]

    def _by_id(self) -> dict[int, Node]:
        return {n.id: n for n in self.nodes}

    @property
    def edges(self) -> list[tuple[int, int]]:
        """(source id, target id) of every edge."""
        return [(i, n.id) for n in self.nodes for i in n.inputs]

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def consumers(self, node_id: int) -> list[Node]:
        """The nodes that read ``node_id``'s output."""
        return [n for n in self.nodes if node_id in n.inputs]

    def of_kind(self, *kinds: str) -> list[Node]:
        return [n for n in self.nodes if n.kind in kinds]

    def ancestors(self, node_id: int) -> set[int]:
        """Ids of every node that ``node_id`` depends on."""
        by_id, seen, todo = self._by_id(), set(), [node_id]
        while todo:
            for i in by_id[todo.pop()].inputs:
                if i not in seen:
                    seen.add(i)
                    todo.append(i)
        return seen


def check_input_size(input_size: object) -> tuple[int, int, int]:
    """``input_size`` as a (C, H, W) tuple of positive ints; else a TypeError or ValueError."""
    if not isinstance(input_size, (tuple, list)):
        raise TypeError(
            f"input_size must be a tuple (channels, height, width) such as (3, 32, 32), "
            f"got {type(input_size).__name__} {input_size!r}"
        )
    if len(input_size) != 3 or any(
        isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in input_size
    ):
        raise ValueError(
            f"input_size must be 3 positive ints (channels, height, width) such as (3, 32, 32), "
            f"got {tuple(input_size)!r}"
        )
    return tuple(input_size)  # type: ignore[return-value]


# ----------------------------------------------------------------------------------- naming

_NAMES = {"PreActResidualBlock": "Pre-activation block", "PadShortcut": "Zero-pad shortcut"}
"""Classes whose name in words is not the lecture's."""


def words(cls: str) -> str:
    """A class name in the lecture's words: ``"ResidualBlock"`` -> ``"Residual block"``,
    ``"_DenseLayer"`` -> ``"Dense layer"``, ``"VGGBlock"`` -> ``"VGG block"``."""
    if cls in _NAMES:
        return _NAMES[cls]
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|[A-Z]+|\d+", cls.lstrip("_"))
    if not parts:
        return cls
    out = [parts[0]] + [p if p.isupper() else p.lower() for p in parts[1:]]
    return " ".join(out)


def _pair(value: Any) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)  # type: ignore[return-value]


def _kernel(k: Any) -> str:
    kh, kw = _pair(k)
    return f"{kh}x{kw}"


def _stride(s: Any) -> tuple[str, ...]:
    s = _pair(s)
    if s[0] == s[1]:
        return (f"stride {s[0]}",) if s[0] > 1 else ()
    return (f"stride {s[0]}x{s[1]}",)


_ACTIVATIONS = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leaky_relu": "leaky ReLU",
    "gelu": "GELU",
    "silu": "SiLU",
    "elu": "ELU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "hardtanh": "hardtanh",
    "softmax": "softmax",
    "hardswish": "hard swish",
    "mish": "mish",
}
_NORMS = {
    "batch_norm": "BN",
    "local_response_norm": "LRN",
    "layer_norm": "LN",
    "group_norm": "GN",
    "instance_norm": "IN",
}


def _pool_label(kind: str, kernel: Any, stride: Any, out: Tensor) -> tuple[str, ...]:
    return (f"{_kernel(kernel)} {kind} pool",) + _stride(kernel if stride is None else stride)


def _adaptive_label(kind: str, out: Tensor) -> tuple[str, ...]:
    if out.dim() == 4 and tuple(out.shape[2:]) == (1, 1):
        return (f"global {kind} pool",)
    return (f"{kind} pool", "to " + "x".join(str(s) for s in out.shape[2:]))


def describe_module(m: nn.Module, out: Tensor) -> tuple[str, tuple[str, ...], int]:
    """(kind, label, groups) of a layer."""
    if isinstance(m, nn.Conv2d):
        label = (f"{_kernel(m.kernel_size)} conv",) + _stride(m.stride)
        if m.groups > MAX_LANES:  # too many groups to draw as lanes
            label += ("depthwise" if m.groups == m.in_channels else f"{m.groups} groups",)
        return "conv", label, m.groups
    if isinstance(m, (nn.Conv1d, nn.Conv3d)):
        return "conv", ("x".join(str(k) for k in m.kernel_size) + " conv",), m.groups
    if isinstance(m, nn.Linear):
        return "fc", ("FC",), 1
    if isinstance(m, nn.MaxPool2d):
        return "pool", _pool_label("max", m.kernel_size, m.stride, out), 1
    if isinstance(m, nn.AvgPool2d):
        return "pool", _pool_label("avg", m.kernel_size, m.stride, out), 1
    if isinstance(m, nn.AdaptiveAvgPool2d):
        return "pool", _adaptive_label("avg", out), 1
    if isinstance(m, nn.AdaptiveMaxPool2d):
        return "pool", _adaptive_label("max", out), 1
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        return "norm", ("BN",), 1
    if isinstance(m, nn.LocalResponseNorm):
        return "norm", ("LRN",), 1
    if isinstance(m, (nn.LayerNorm, nn.GroupNorm)):
        return "norm", ("LN" if isinstance(m, nn.LayerNorm) else "GN",), 1
    if isinstance(m, nn.modules.dropout._DropoutNd):
        return "dropout", ("dropout",), 1
    if isinstance(m, (nn.Flatten, nn.Unflatten)):
        return "reshape", ("flatten",), 1
    if type(m).__module__.startswith("torch.nn.modules.activation"):
        name = type(m).__name__
        return "activation", (_ACTIVATIONS.get(name.lower(), name),), 1
    return "other", (words(type(m).__name__),), 1


_IDENTITY = {
    "get",
    "contiguous",
    "clone",
    "detach",
    "to",
    "float",
    "double",
    "half",
    "type",
    "type_as",
    "cpu",
    "cuda",
    "requires_grad_",
    "dropout_identity",
}


def _arg(args: Sequence[Any], kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def describe_function(
    name: str, args: Sequence[Any], kwargs: dict, out: Tensor, tracked: int
) -> tuple[str, tuple[str, ...]] | None:
    """(kind, label) of a tensor operation in a ``forward``; None for one that passes its input on."""
    base = name.strip("_")
    base = base[:-1] if base.endswith("_") and base[:-1] else base
    base = {
        "iadd": "add",
        "radd": "add",
        "imul": "mul",
        "rmul": "mul",
        "concatenate": "cat",
        "concat": "cat",
    }.get(base, base)
    if base in _IDENTITY:
        return None
    if base == "cat":
        return "concat", ("concat",)
    if base in ("add", "sub") and tracked >= 2:
        return "add", ("add",)
    if base == "mul" and tracked >= 2:
        return "multiply", ("multiply",)
    if base in _ACTIVATIONS:
        return "activation", (_ACTIVATIONS[base],)
    if base in _NORMS:
        return "norm", (_NORMS[base],)
    if "dropout" in base:
        return "dropout", ("dropout",)
    if base.startswith("conv") and base[-2:] in ("1d", "2d", "3d"):
        weight = _arg(args, kwargs, 1, "weight")
        kernel = "x".join(str(s) for s in weight.shape[2:]) if isinstance(weight, Tensor) else "?"
        return "conv", (f"{kernel} conv",) + _stride(_arg(args, kwargs, 3, "stride", 1))
    if base in ("linear", "matmul", "mm", "addmm", "bmm"):
        return "fc", ("FC",)
    if "pool" in base:
        kind = "max" if "max" in base else "avg"
        if "adaptive" in base:
            return "pool", _adaptive_label(kind, out)
        kernel = _arg(args, kwargs, 1, "kernel_size")
        return "pool", _pool_label(kind, kernel, _arg(args, kwargs, 2, "stride"), out)
    if base == "mean" and out.dim() == 2:
        return "pool", ("global avg pool",)
    if base in ("flatten", "view", "reshape"):
        return "reshape", ("flatten" if out.dim() == 2 else "reshape",)
    if base == "getitem":
        return "other", ("slice",)
    if base in ("chunk", "split", "tensor_split"):
        return "other", ("split",)
    return "other", (base,)


# ---------------------------------------------------------------------------------- tracing


def _tensors(obj: Any) -> Iterator[Tensor]:
    """The tensors in ``obj``, looking into tuples, lists and dicts."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def is_layer(m: nn.Module) -> bool:
    """A module drawn as one node: a built-in ``torch.nn`` module that is not a container, or a
    module of one's own without submodules."""
    if isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):
        return False
    return type(m).__module__.startswith("torch.nn") or next(m.children(), None) is None


@dataclasses.dataclass
class _Pending:
    module: nn.Module
    inputs: list[int]
    scope: tuple[int, ...]


class _Recorder(TorchFunctionMode):
    """Records layers (by module hooks) and the tensor operations between them (by torch's
    function mode) of one forward pass."""

    def __init__(self, root: nn.Module) -> None:
        super().__init__()
        self.root = root
        self.paths = {m: p for p, m in root.named_modules(remove_duplicate=False)}
        self.nodes: list[Node] = []
        self.producer: dict[int, int] = {}
        self.keep: list[Tensor] = []  # tracked tensors stay alive, so that their ids stay unique
        self.stack: list[int] = []
        self.layers: list[_Pending] = []
        self.scopes: dict[int, Scope] = {}

    def source_of(self, tensors: Iterator[Tensor]) -> list[int]:
        found: list[int] = []
        for t in tensors:
            i = self.producer.get(id(t))
            if i is not None and i not in found:
                found.append(i)
        return found

    def add(
        self,
        name: str,
        kind: str,
        label: tuple[str, ...],
        out: Any,
        inputs: list[int],
        scope: tuple[int, ...],
        params: int = 0,
        groups: int = 1,
    ) -> None:
        outs = list(_tensors(out))
        first = outs[0]
        node = Node(
            len(self.nodes), name, kind, label, tuple(first.shape[1:]), params, tuple(inputs), scope, groups
        )
        self.nodes.append(node)
        for t in outs:
            self.producer[id(t)] = node.id
            self.keep.append(t)

    def __torch_function__(
        self, func: Callable, types: Any, args: Sequence[Any] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        inputs = [] if self.layers else self.source_of(_tensors((args, kwargs)))
        out = func(*args, **kwargs)
        if not inputs or not any(True for _ in _tensors(out)):
            return out
        name = getattr(func, "__name__", str(func))
        first = next(_tensors(out))
        described = describe_function(name, args, kwargs, first, len(inputs))
        if described is None:
            for t in _tensors(out):
                self.producer[id(t)] = inputs[0]
                self.keep.append(t)
            return out
        params = sum(t.numel() for t in _tensors((args, kwargs)) if isinstance(t, nn.Parameter))
        self.add(name, *described, out, inputs, tuple(self.stack), params)
        return out

    def pre_hook(self, module: nn.Module, args: Any, kwargs: Any) -> None:
        if self.layers:
            self.layers.append(_Pending(module, [], ()))
        elif is_layer(module):
            self.layers.append(_Pending(module, self.source_of(_tensors((args, kwargs))), tuple(self.stack)))
        elif module is not self.root:
            call = len(self.scopes)
            self.scopes[call] = Scope(
                self.paths.get(module, "?"),
                type(module).__name__,
                sum(p.numel() for p in module.parameters()),
                type(module) in (nn.Sequential, nn.ModuleList, nn.ModuleDict),
            )
            self.stack.append(call)

    def hook(self, module: nn.Module, args: Any, kwargs: Any, out: Any) -> None:
        if self.layers:
            pending = self.layers.pop()
            if self.layers or not pending.inputs or not any(True for _ in _tensors(out)):
                return
            first = next(_tensors(out))
            if isinstance(module, nn.Identity):
                self.producer[id(first)] = pending.inputs[0]
                self.keep.append(first)
                return
            kind, label, groups = describe_module(module, first)
            self.add(
                self.paths.get(module, "?"),
                kind,
                label,
                out,
                pending.inputs,
                pending.scope,
                sum(p.numel() for p in module.parameters()),
                groups,
            )
        elif module is not self.root:
            self.stack.pop()


def trace(module: nn.Module, input_size: Sequence[int]) -> Graph:
    """The graph of every layer and operation that ``module`` runs on one image of shape
    ``input_size`` (C, H, W), in the order they run."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be an nn.Module (a block or a model), got {type(module).__name__}")
    size = check_input_size(input_size)
    x = torch.randn((1, *size), generator=torch.Generator().manual_seed(0))
    x = x.to(device=model_device(module), dtype=model_dtype(module))
    recorder = _Recorder(module)
    recorder.add("input", "input", ("input",), x, [], ())
    handles = []
    for m in module.modules():
        handles.append(m.register_forward_pre_hook(recorder.pre_hook, with_kwargs=True))
        handles.append(m.register_forward_hook(recorder.hook, with_kwargs=True))
    try:
        with eval_mode(module), torch.no_grad(), recorder:
            out = module(x)
    except (RuntimeError, ValueError) as error:  # shapes that do not fit, an input check
        raise ValueError(
            f"{type(module).__name__} does not run on an input of input_size={size} "
            f"(batch of 1): {type(error).__name__}: {error}"
        ) from error
    finally:
        for h in handles:
            h.remove()
    outputs = recorder.source_of(_tensors(out))
    if not outputs:
        raise ValueError(f"{type(module).__name__}'s output does not depend on its input; nothing to draw")
    nodes = recorder.nodes
    if len(outputs) > 1:
        nodes.append(Node(len(nodes), "output", "other", ("output",), (), 0, tuple(outputs)))
        outputs = [nodes[-1].id]
    graph = Graph(nodes, recorder.scopes, size, sum(p.numel() for p in module.parameters()))
    return _simplify(graph, outputs[0])


def _renumber(nodes: list[Node]) -> list[Node]:
    new = {n.id: i for i, n in enumerate(nodes)}
    return [dataclasses.replace(n, id=new[n.id], inputs=tuple(new[i] for i in n.inputs)) for n in nodes]


def _simplify(graph: Graph, output: int) -> Graph:
    """Keep what the output depends on; a concatenation of one tensor is that tensor."""
    shapes = {n.id: n.shape for n in graph.nodes}
    keep = graph.ancestors(output) | {output}
    nodes = [n for n in graph.nodes if n.id in keep]
    alias: dict[int, int] = {}
    out: list[Node] = []
    for n in nodes:
        inputs = tuple(dict.fromkeys(alias.get(i, i) for i in n.inputs))
        if n.kind == "concat" and len(inputs) == 1 and n.shape == shapes[inputs[0]] and n.id != output:
            alias[n.id] = inputs[0]
            continue
        out.append(dataclasses.replace(n, inputs=inputs))
    return dataclasses.replace(graph, nodes=_renumber(out), boxes={}, arcs=set())


# ----------------------------------------------------------------------- blocks and repeats


def _is_block(scope: Scope) -> bool:
    return not scope.container


def collapse(graph: Graph, is_block: Callable[[Scope], bool] = _is_block) -> Graph:
    """Each block (by default: each call of a module that is not a plain container, outermost
    first) as one node of kind "block", labelled with its class in words. A concatenation or
    addition that starts a block and reads only from outside it stays a node of its own; a
    block with more than one output stays as it is."""
    by_id = graph._by_id()
    sizes: dict[int, int] = {}
    for n in graph.nodes:
        for c in n.scope:
            sizes[c] = sizes.get(c, 0) + 1
    wrappers = {c for c, size in sizes.items() if size == len(graph.nodes) - 1}  # all but the input: unfold
    groups: dict[int, list[Node]] = {}
    for n in graph.nodes:
        call = next((c for c in n.scope if c not in wrappers and is_block(graph.scopes[c])), None)
        if call is not None:
            groups.setdefault(call, []).append(n)
    replace: dict[int, Node] = {}
    alias: dict[int, int] = {}
    drop: set[int] = set()
    for call, members in groups.items():
        ids = {n.id for n in members}
        entry = [n for n in members if n.kind in JOINS and not ids & set(n.inputs)]
        members = [n for n in members if n not in entry]
        ids -= {n.id for n in entry}
        outside = [n for n in graph.nodes if n.id not in ids and ids & set(n.inputs)]
        outs = [n.id for n in members if any(n.id in o.inputs for o in outside) or n.id == graph.output.id]
        if len(outs) != 1 or len(members) < 2:
            continue
        inputs = tuple(dict.fromkeys(i for n in members for i in n.inputs if i not in ids))
        scope, last, at = graph.scopes[call], by_id[outs[0]], max(ids)
        label = (words(scope.cls),)
        first_in = by_id[inputs[0]] if inputs else None
        if first_in is not None and len(first_in.shape) == 3 and len(last.shape) == 3:
            stride = first_in.shape[1] // last.shape[1]
            if stride > 1 and first_in.shape[1] == stride * last.shape[1]:
                label += (f"stride {stride}",)
        outer = last.scope[: last.scope.index(call)]
        inner = (scope.cls, tuple((n.label, n.shape, n.groups) for n in members))
        replace[at] = Node(
            at, scope.path, "block", label, last.shape, scope.params, inputs, outer, inner=inner
        )
        alias[outs[0]] = at
        drop |= ids - {at}
        for n in entry:
            replace[n.id] = dataclasses.replace(n, scope=n.scope[: n.scope.index(call)])
    nodes = []
    for n in graph.nodes:
        if n.id not in drop:
            n = replace.get(n.id, n)
            nodes.append(
                dataclasses.replace(n, inputs=tuple(dict.fromkeys(alias.get(i, i) for i in n.inputs)))
            )
    return dataclasses.replace(graph, nodes=_renumber(nodes), boxes={}, arcs=set())


def fold(graph: Graph) -> Graph:
    """A run of identical blocks, each reading only the one before it, as one node with
    ``repeat`` set to the run's length."""
    readers: dict[int, int] = {}
    for n in graph.nodes:
        for i in n.inputs:
            readers[i] = readers.get(i, 0) + 1
    nodes: list[Node] = []
    alias: dict[int, int] = {}
    last: dict[int, int] = {}  # folded node -> the last block it stands for
    for n in graph.nodes:
        n = dataclasses.replace(n, inputs=tuple(alias.get(i, i) for i in n.inputs))
        prev = nodes[-1] if nodes else None
        if (
            prev is not None
            and n.kind == "block" == prev.kind
            and n.inputs == (prev.id,)
            and readers.get(last[prev.id], 0) == 1
            and (n.shape, n.params, n.label, n.inner) == (prev.shape, prev.params, prev.label, prev.inner)
        ):
            nodes[-1] = dataclasses.replace(prev, repeat=prev.repeat + 1)
            alias[n.id], last[prev.id] = prev.id, n.id
            continue
        last[n.id] = n.id
        nodes.append(n)
    return dataclasses.replace(graph, nodes=_renumber(nodes), boxes={}, arcs=set())


def _merge_splits(graph: Graph) -> Graph:
    """A split into g parts, the same layer on each part and their concatenation (AlexNet's
    per-tower LRN) as that layer in g lanes."""
    readers: dict[int, list[Node]] = {}
    for n in graph.nodes:
        for i in n.inputs:
            readers.setdefault(i, []).append(n)
    merged: dict[int, Node] = {}
    drop: set[int] = set()
    for split in graph.nodes:
        parts = readers.get(split.id, [])
        if split.label != ("split",) or not 1 < len(parts) <= MAX_LANES or len(split.inputs) != 1:
            continue
        if any(
            p.inputs != (split.id,) or p.label != parts[0].label or len(readers.get(p.id, [])) != 1
            for p in parts
        ):
            continue
        join = readers[parts[0].id][0]
        if join.kind != "concat" or join.inputs != tuple(p.id for p in parts):
            continue
        first = parts[0]
        merged[join.id] = dataclasses.replace(
            first,
            id=join.id,
            shape=join.shape,
            inputs=split.inputs,
            params=sum(p.params for p in parts),
            lanes=len(parts),
        )
        drop |= {split.id} | {p.id for p in parts}
    if not merged:
        return graph
    nodes = [merged.get(n.id, n) for n in graph.nodes if n.id not in drop]
    return dataclasses.replace(graph, nodes=_renumber(nodes))


def with_lanes(graph: Graph) -> Graph:
    """A grouped conv with 2 to ``MAX_LANES`` groups gets one lane per group; the channel-wise
    layers after it (ReLU, BN, pooling) stay in its lanes up to the next layer that mixes channels."""
    graph = _merge_splits(graph)
    consumers: dict[int, int] = {}
    for n in graph.nodes:
        for i in n.inputs:
            consumers[i] = consumers.get(i, 0) + 1
    lanes: dict[int, int] = {}
    nodes = []
    for n in graph.nodes:
        count = 1
        if n.lanes > 1 or (n.kind == "conv" and 1 < n.groups <= MAX_LANES):
            count = max(n.lanes, n.groups)
        elif n.kind in CHANNELWISE and len(n.inputs) == 1 and consumers.get(n.inputs[0]) == 1:
            count = lanes.get(n.inputs[0], 1)
        lanes[n.id] = count
        nodes.append(dataclasses.replace(n, lanes=count))
    return dataclasses.replace(graph, nodes=nodes)
