"""Exercises of lesson 06 (summary): each architecture's key technique in the learner's words, and
telling the four techniques apart in blocks the learner has not seen."""

from __future__ import annotations

import copy
import random
import re
from typing import Any

import torch
from torch import nn

from ...exercises.core import ExerciseFailed, call, exercise
from ...exercises.functions import describe_value, fresh_rng, seeded_rng
from ...i18n import N_, _

LESSON = "06_summary"

ARCHITECTURES = ("VGGNet", "GoogLeNet", "ResNet", "DenseNet")

# Every correct wording, after _text: lower case, "3 by 3" / "3×3" / "three-by-three" -> "3x3".
_KERNEL = r"(kernel|filter|conv|receptive)"
_WORDINGS = {
    "VGGNet": (r"\b3x3\b", r"\bstack", r"\bsmall(est)?\b.*" + _KERNEL, r"\bdepth\b.*\bsmall\b"),
    "GoogLeNet": (
        r"\b1x1\b",
        r"\bpoint-?\s?wise\b",
        r"\binception\b",
        r"network[- ]in[- ]network",
        r"\bparallel\b",
        r"\bmulti-?\s?scale",
        r"\b(several|multiple|different)\b.*"
        r"\b(kernel|filter)( |-)?sizes?\b",
        r"\b(reduc|compress|shrink|cut)\w*\b.*\b(channel|dimension|depth|feature map)",
        r"\b(channel|dimension|dimensionality)\w* reduction\b",
    ),
    "ResNet": (
        r"\bskip",
        r"\bresidual",
        r"\bshort-?\s?cut",
        r"\bidentity\b",
        r"f\(x\)\s*\+\s*x",
        r"\bx\s*\+\s*f\(x\)",
        r"\badd(s|ed|ing|ition)?\b",
        r"\bsum(s|med|ming)?\b",
        r"\bbypass",
    ),
    "DenseNet": (
        r"\bconcat",
        r"\bfeature[- ]?reuse\b",
        r"\breus(e|es|ed|ing)\b",
        r"\bdense(ly)?\b",
        r"\b(each|every) layer\b.*\b(every|all|each)\b",
        r"\ball (the )?(previous|earlier|preceding|former|prior)\b",
        r"\bgrowth[- ]rate\b",
        r"\[\s*x\s*,\s*f\(x\)\s*\]",
        r"\bjoin(s|ed|ing)?\b.*\b(feature|channel|map)",
    ),
}
_NAMES = {
    "VGGNet": N_("stacks of 3x3 convolutions"),
    "GoogLeNet": N_("the 1x1 convolution"),
    "ResNet": N_("the skip connection"),
    "DenseNet": N_("concatenation"),
}
_NUMBERS = {"one": "1", "three": "3", "five": "5"}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def architecture_of(name: Any) -> str | None:
    """``"VGGNet"`` for "vgg", "VGG-16", "vggnet" ...; None for anything else."""
    if not isinstance(name, str):
        return None
    key = _key(name)
    for pattern, architecture in (
        (r"vgg(net)?\d*", "VGGNet"),
        (r"(googlenet|inception(v1)?|googlenetv1)", "GoogLeNet"),
        (r"resnet\d*", "ResNet"),
        (r"densenet(bc)?\d*", "DenseNet"),
    ):
        if re.fullmatch(pattern, key):
            return architecture
    return None


def _text(value: str) -> str:
    value = value.lower().replace("×", "x")
    value = re.sub(r"\b(one|three|five)\b", lambda m: _NUMBERS[m.group(1)], value)
    return re.sub(r"(\d)\s*-?\s*(?:x|\*|by)\s*-?\s*(\d)", r"\1x\2", value)


def _mentions(text: str, architecture: str) -> bool:
    return any(re.search(p, text) for p in _WORDINGS[architecture])


@exercise(
    "summary.techniques",
    lesson=LESSON,
    kind="dict",
    signature="techniques: dict (or a function returning it) from architecture name to its key technique",
    description="VGGNet: 3x3 stacks, GoogLeNet: 1x1 convolution, ResNet: skip connection, "
    "DenseNet: concatenation",
)
def check_techniques(answer: Any) -> int:
    if callable(answer) and not isinstance(answer, dict):
        answer = call(answer, what="techniques()")
    if not isinstance(answer, dict):
        raise ExerciseFailed(
            _(
                "expected a dict from architecture name to its key technique, got an object of type {type}"
            ).format(type=type(answer).__name__)
        )
    entries: dict[str, tuple[Any, Any]] = {}
    for name, value in answer.items():
        architecture = architecture_of(name)
        if architecture is not None:
            entries.setdefault(architecture, (name, value))
    for architecture in ARCHITECTURES:
        if architecture not in entries:
            raise ExerciseFailed(
                _("the dict has no entry for {architecture} (keys found: {keys})").format(
                    architecture=architecture, keys=", ".join(repr(k) for k in answer) or _("none")
                )
            )
        name, value = entries[architecture]
        if not isinstance(value, str) or not value.strip():
            raise ExerciseFailed(
                _(
                    "the entry for {name!r} should name its key technique in a few words (a str), "
                    "got {value!r}"
                ).format(name=name, value=value)
            )
        text = _text(value)
        if _mentions(text, architecture):
            continue
        others = [a for a in ARCHITECTURES if a != architecture and _mentions(text, a)]
        if others:
            raise ExerciseFailed(
                _(
                    "the entry for {name!r}, {value!r}, describes {other}'s key "
                    "technique ({technique}), not {architecture}'s"
                ).format(
                    name=name,
                    value=value,
                    other=others[0],
                    technique=_(_NAMES[others[0]]),
                    architecture=architecture,
                )
            )
        raise ExerciseFailed(
            _(
                "the entry for {name!r}, {value!r}, does not name {architecture}'s key "
                "technique; look at the section of the summary lesson about it, and name "
                "it in its usual words"
            ).format(name=name, value=value, architecture=architecture)
        )
    return len(ARCHITECTURES)


# --- summary.identify_block --------------------------------------------------------------------

# The blocks handed to the answer are built from torch layers alone, wired by this class. It is
# compiled from text, outside the library's files, so that running a block is not a call into
# the course library (which would count as using its reference, see ``provenance``), and its
# name says nothing about the architecture.
_BLOCK_SOURCE = '''
class Block(nn.Module):
    """One block of a CNN."""

    def __init__(self, wiring, paths, relu=False):
        super().__init__()
        self.paths = nn.ModuleList(paths)
        self._wiring = wiring
        self._relu = relu

    def forward(self, x):
        if self._wiring == "stack":
            out = self.paths[0](x)
        elif self._wiring == "branches":
            out = torch.cat([path(x) for path in self.paths], dim=1)
        elif self._wiring == "add":
            out = self.paths[0](x) + x
        else:
            features = [x]
            for path in self.paths:
                features.append(path(torch.cat(features, dim=1)))
            out = torch.cat(features, dim=1)
        return torch.relu(out) if self._relu else out
'''
_namespace: dict[str, Any] = {"nn": nn, "torch": torch}
exec(compile(_BLOCK_SOURCE, "<a CNN block>", "exec"), _namespace)
_Block = _namespace["Block"]


def _conv(i: int, o: int, k: int, bn: bool = True, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(i, o, k, padding=k // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(o))
    if relu:
        layers.append(nn.ReLU())
    return layers


def _vgg(c: int, rng: random.Random) -> tuple[nn.Module, str]:
    n, out, bn = rng.randint(1, 3), rng.choice([c, c, rng.randint(2, 16)]), rng.random() < 0.5
    layers = [m for i in range(n) for m in _conv(c if i == 0 else out, out, 3, bn)]
    if rng.random() < 0.3:
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    return _Block("stack", [nn.Sequential(*layers)]), _("{n} 3x3 convolution(s)").format(n=n)


def _googlenet(c: int, rng: random.Random) -> tuple[nn.Module, str]:
    bn, w = rng.random() < 0.5, lambda: rng.randint(1, 6)
    paths = [nn.Sequential(*_conv(c, w(), 1, bn))]
    for k in (3, 5):
        mid = w()
        paths.append(nn.Sequential(*_conv(c, mid, 1, bn), *_conv(mid, w(), k, bn)))
    paths.append(nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *_conv(c, w(), 1, bn)))
    return _Block("branches", paths), _("four parallel paths (1x1, 3x3, 5x5 convolutions, pooling)")


def _resnet(c: int, rng: random.Random) -> tuple[nn.Module, str]:
    kind = rng.choice(["basic", "bottleneck", "pre-activation"])
    if kind == "basic":
        path = nn.Sequential(*_conv(c, c, 3), *_conv(c, c, 3, relu=False))
        return _Block("add", [path], relu=True), _("two 3x3 convolutions")
    if kind == "bottleneck":
        mid = max(1, c // 4)
        path = nn.Sequential(*_conv(c, mid, 1), *_conv(mid, mid, 3), *_conv(mid, c, 1, relu=False))
        return _Block("add", [path], relu=True), _("1x1, 3x3 and 1x1 convolutions")
    path = nn.Sequential(
        nn.BatchNorm2d(c),
        nn.ReLU(),
        nn.Conv2d(c, c, 3, padding=1, bias=False),
        nn.BatchNorm2d(c),
        nn.ReLU(),
        nn.Conv2d(c, c, 3, padding=1, bias=False),
    )
    return _Block("add", [path]), _("two 3x3 convolutions, each after BN and ReLU")


def _densenet(c: int, rng: random.Random) -> tuple[nn.Module, str]:
    n, k, bottleneck = rng.randint(1, 4), rng.randint(1, 6), rng.random() < 0.5
    paths = []
    for i in range(n):
        channels = c + i * k
        layers: list[nn.Module] = [nn.BatchNorm2d(channels), nn.ReLU()]
        if bottleneck:
            layers += [nn.Conv2d(channels, 4 * k, 1, bias=False), nn.BatchNorm2d(4 * k), nn.ReLU()]
            channels = 4 * k
        layers.append(nn.Conv2d(channels, k, 3, padding=1, bias=False))
        paths.append(nn.Sequential(*layers))
    return _Block("dense", paths), (
        _("{n} layer(s) of 1x1 and 3x3 convolutions") if bottleneck else _("{n} layer(s) of 3x3 convolutions")
    ).format(n=n)


_BUILDERS = {"VGGNet": _vgg, "GoogLeNet": _googlenet, "ResNet": _resnet, "DenseNet": _densenet}
_BLOCK_HINTS = {
    "DenseNet": N_(
        "look at what this block does with its input: is the input itself still in the output, unchanged?"
    ),
    "ResNet": N_(
        "look at what this block does with its input: with every weight of its layers at "
        "zero, what would it return?"
    ),
    "GoogLeNet": N_(
        "this block neither keeps its input in its output nor adds it to the output; look "
        "at the kernel sizes of its convolutions"
    ),
    "VGGNet": N_(
        "this block neither keeps its input in its output nor adds it to the output; look at "
        "the kernel sizes of its convolutions"
    ),
}


def _random_block(architecture: str, rng: random.Random) -> tuple[nn.Module, torch.Tensor, str]:
    c, size = rng.randint(2, 12), rng.randint(3, 8)
    if architecture == "ResNet" and rng.random() < 0.5:
        c = 4 * rng.randint(1, 3)
    torch.manual_seed(rng.randrange(2**62))
    block, layers = _BUILDERS[architecture](c, rng)
    for m in block.modules():  # trained-looking statistics, not the fresh 0 and 1
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    block.eval()
    x = torch.rand(2, c, size, size) + 0.05  # positive, like features after a ReLU
    return (
        block,
        x,
        _("a block of {layers} on x of shape {shape}").format(layers=layers, shape=tuple(x.shape)),
    )


@exercise(
    "summary.identify_block",
    lesson=LESSON,
    kind="function",
    signature="identify_block(block: nn.Module, x: Tensor) -> str",
    description="which key technique the block uses: 'VGGNet' (a plain stack of 3x3 "
    "convolutions), 'GoogLeNet' (parallel paths with 1x1 convolutions, "
    "concatenated), 'ResNet' (an identity skip connection: the input added to "
    "what its layers compute) or 'DenseNet' (concatenation: the input kept, "
    "unchanged, in front of the new channels); tried on fresh random blocks "
    "whose class and attribute names say nothing, with a positive input x",
)
def check_identify_block(answer: Any) -> int:
    if not callable(answer):
        raise ExerciseFailed(
            _("expected the function `{name}`, got {value}").format(
                name="identify_block", value=describe_value(answer)
            )
        )
    # every technique, and the look-alikes: 1x1 convolutions in ResNet and DenseNet-BC blocks,
    # channels that grow in VGG and GoogLeNet blocks, blocks that keep the input's shape
    plan = [a for a in ARCHITECTURES for _ in range(4)]
    seeded, fresh = seeded_rng(), fresh_rng()
    cases = [(a, seeded) for a in plan] + [(a, fresh) for a in plan * 2]
    fresh.shuffle(cases)
    for architecture, rng in cases:
        block, x, description = _random_block(architecture, rng)
        before = x.clone()
        got = call(answer, copy.deepcopy(block), x, what=f"identify_block({description})")
        if not isinstance(got, str) or architecture_of(got) is None:
            raise ExerciseFailed(
                _("identify_block({description}) returned {value}; expected one of {names}").format(
                    description=description,
                    value=describe_value(got),
                    names=", ".join(map(repr, ARCHITECTURES)),
                )
            )
        if not torch.equal(x, before):
            raise ExerciseFailed(
                _("identify_block({description}) changed x in place; leave the input as it was").format(
                    description=description
                )
            )
        if architecture_of(got) != architecture:
            raise ExerciseFailed(
                _("identify_block({description}) returned {got!r}, which is not right: {hint}").format(
                    description=description, got=got, hint=_(_BLOCK_HINTS[architecture])
                )
            )
    return len(cases)
