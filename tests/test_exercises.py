"""Every checker: the library's answer and another correct one pass, typical mistakes fail with a
pointed message, a stub is "not attempted", and an answer that only fits the fixed cases fails."""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlessons import exercises
from cnnlessons.exercises import EXERCISES, ExerciseFailed, NotAttempted, check, describe, list_exercises
from cnnlessons.exercises.core import library_answers_allowed
from cnnlessons.layers import conv_output_size
from cnnlessons.measure import count_parameters, receptive_field
from cnnlessons.models.densenet import DenseBlock, Transition, dense_out_channels
from cnnlessons.models.googlenet import Inception, reduction_params
from cnnlessons.models.next import DepthwiseSeparable, SqueezeExcitation, grouped_params
from cnnlessons.models.resnet import Bottleneck, ResidualBlock
from cnnlessons.models.vgg import VGGBlock

COURSE_IDS = [
    "start.accuracy",
    "alexnet.conv_output_size",
    "alexnet.dropout",
    "vgg.receptive_field",
    "vgg.conv_params",
    "vgg.vgg_block",
    "googlenet.reduction_params",
    "googlenet.inception_block",
    "googlenet.batch_norm_forward",
    "resnet.residual_block",
    "resnet.bottleneck_block",
    "densenet.out_channels",
    "densenet.dense_block",
    "densenet.transition_block",
    "summary.techniques",
    "summary.identify_block",
    # lesson 07 (what came next): the course map's three exercises, in its order
    "next.grouped_params",
    "next.depthwise_separable",
    "next.se_block",
]


def passes(exercise_id, answer, capsys) -> str:
    with library_answers_allowed():  # the library's reference is one of the answers tried
        check(exercise_id, answer)
    out = capsys.readouterr().out
    assert re.fullmatch(rf"✔ {re.escape(exercise_id)}: passed \(\d+ cases\)\n", out), out
    return out


def fails(exercise_id, answer, fragment: str) -> str:
    with pytest.raises(ExerciseFailed) as info, library_answers_allowed():
        check(exercise_id, answer)
    assert not isinstance(info.value, NotAttempted), str(info.value)
    message = str(info.value)
    assert message.startswith(exercise_id + ": ")
    assert fragment in message, message
    return message


# --- the registry ----------------------------------------------------------------------------


def test_registry_has_the_course_ids_in_order():
    assert list(EXERCISES) == COURSE_IDS
    assert list_exercises() == COURSE_IDS
    assert list_exercises("04_resnet") == ["resnet.residual_block", "resnet.bottleneck_block"]
    kinds = {e.id: e.kind for e in EXERCISES.values()}
    assert kinds["vgg.conv_params"] == "function" and kinds["vgg.vgg_block"] == "class"
    assert kinds["summary.techniques"] == "dict"
    assert all(e.lesson[:2].isdigit() and e.description for e in EXERCISES.values())
    assert "1 + num_layers*(kernel_size - 1)" in describe("vgg.receptive_field")


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(ValueError, match="vgg.conv_params") as info:
        check("vgg.conv_param", lambda *a: 0)
    assert "'vgg.conv_param'" in str(info.value)


def test_success_line_is_deterministic(capsys):
    first = passes("alexnet.conv_output_size", conv_output_size, capsys)
    assert first == passes("alexnet.conv_output_size", conv_output_size, capsys)
    assert first == "✔ alexnet.conv_output_size: passed (48 cases)\n"
    assert passes("alexnet.dropout", F.dropout, capsys) == passes("alexnet.dropout", F.dropout, capsys)


def test_check_leaves_the_random_state_and_threads_alone(capsys):
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    threads = torch.get_num_threads()
    with library_answers_allowed():
        check("vgg.vgg_block", VGGBlock)
    check("alexnet.dropout", F.dropout)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def _stub(*args, **kwargs):
    raise NotImplementedError()


class _StubInit(nn.Module):
    def __init__(self, *args):
        super().__init__()
        raise NotImplementedError()


class _StubForward(nn.Module):
    def __init__(self, *args):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)

    def forward(self, x):
        raise NotImplementedError()


@pytest.mark.parametrize("exercise_id", COURSE_IDS)
def test_stub_is_not_attempted(exercise_id):
    answers = [_StubInit, _StubForward] if EXERCISES[exercise_id].kind == "class" else [_stub]
    for answer in answers:
        with pytest.raises(NotAttempted, match="not attempted") as info:
            check(exercise_id, answer)
        assert str(info.value) == (
            f"{exercise_id}: not attempted — replace `raise NotImplementedError()` with your answer"
        )
        assert isinstance(info.value, ExerciseFailed) and isinstance(info.value, AssertionError)


def test_an_instance_instead_of_the_class():
    fails("vgg.vgg_block", VGGBlock(2, 3, 4), "pass the class `VGGBlock` itself")
    fails("vgg.conv_params", 36928, "expected the function `conv_params`")


def test_module_without_forward_is_not_reported_as_not_attempted():
    class NoForward(nn.Module):
        def __init__(self, *args):
            super().__init__()

    fails("vgg.vgg_block", NoForward, "no `forward` method")


def test_failure_is_short_and_hides_the_checker():
    with pytest.raises(ExerciseFailed) as info:
        check("vgg.conv_params", lambda k, i, o, bias=True: 0)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_ipython_handler_shows_only_the_message():
    shown = []

    class Shell:
        def _showtraceback(self, etype, value, stb):
            shown.append((etype, stb))

    error = ExerciseFailed("vgg.conv_params: wrong")
    stb = exercises.core._short_traceback(Shell(), ExerciseFailed, error, None)
    assert stb == ["ExerciseFailed: vgg.conv_params: wrong"] and shown == [(ExerciseFailed, stb)]


# --- alexnet.conv_output_size ----------------------------------------------------------------


def _output_size_loop(size, kernel_size, stride=1, padding=0):
    positions, start = 0, 0
    while start + kernel_size <= size + 2 * padding:
        positions += 1
        start += stride
    return positions


_OUTPUT_TABLE = {
    (227, 11, 4, 0): 55,
    (224, 11, 4, 2): 55,
    (32, 3, 1, 1): 32,
    (28, 5, 1, 0): 24,
    (13, 3, 2, 0): 6,
    (10, 3, 3, 0): 3,
    (7, 3, 2, 1): 4,
    (1, 1, 1, 0): 1,
}


def test_conv_output_size(capsys):
    passes("alexnet.conv_output_size", conv_output_size, capsys)
    passes("alexnet.conv_output_size", _output_size_loop, capsys)
    passes(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: (
            math.floor((size + 2 * padding - kernel_size) / stride) + 1
        ),
        capsys,
    )
    fails(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: (size + padding - kernel_size) // stride + 1,
        "both sides",
    )
    fails(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: (size + 2 * padding - kernel_size) // stride,
        "first position",
    )
    message = fails(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: (size + 2 * padding - kernel_size) / stride + 1,
        "(of type float); expected an int",
    )
    assert "conv_output_size(227, 11, 4, 0) returned 55.0" in message
    fails(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: (
            math.ceil((size + 2 * padding - kernel_size) / stride) + 1
        ),
        "round down",
    )
    fails(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: size + 2 * padding - kernel_size + 1,
        "stride",
    )
    message = fails(
        "alexnet.conv_output_size",
        lambda size, kernel_size, stride=1, padding=0: _OUTPUT_TABLE.get(
            (size, kernel_size, stride, padding), 1
        ),
        "returned 1, which is too",
    )
    fails("alexnet.conv_output_size", lambda size, kernel_size: 0, "TypeError")


# --- alexnet.dropout -------------------------------------------------------------------------


def _dropout_mask(x, p, training):
    if not training:
        return x
    keep = (torch.rand_like(x) >= p).to(x.dtype)
    return x * keep / (1 - p)


def _no_rescale(x, p, training):
    return x * (torch.rand_like(x) >= p) if training else x


def _keep_with_p(x, p, training):
    return x * (torch.rand_like(x) < p) / (1 - p) if training else x


def _in_place(x, p, training):
    if training:
        x.mul_((torch.rand_like(x) >= p) / (1 - p))
    return x


def _always(x, p, training):
    return x * (torch.rand_like(x) >= p) / (1 - p)


def _times_keep(x, p, training):
    return x * (torch.rand_like(x) >= p) * (1 - p) if training else x


def _fixed_mask(x, p, training):
    if not training:
        return x
    g = torch.Generator().manual_seed(0)
    return x * (torch.rand(x.shape, generator=g) >= p) / (1 - p)


def test_dropout(capsys):
    passes("alexnet.dropout", F.dropout, capsys)
    passes("alexnet.dropout", _dropout_mask, capsys)
    fails("alexnet.dropout", _no_rescale, "not rescaled")
    fails("alexnet.dropout", _keep_with_p, "probability of dropping")
    fails("alexnet.dropout", _in_place, "in place")
    fails("alexnet.dropout", _always, "in eval mode dropout returns x unchanged")
    fails("alexnet.dropout", _times_keep, "multiplied by (1 - p)")
    fails("alexnet.dropout", _fixed_mask, "same elements on every call")
    fails("alexnet.dropout", lambda x, p, training: x.detach().numpy(), "expected a torch.Tensor")


# --- vgg.receptive_field ---------------------------------------------------------------------


def _field_library(num_layers, kernel_size=3):
    return receptive_field([(kernel_size, 1)] * num_layers)


def _field_loop(num_layers, kernel_size=3):
    field = 1
    for _ in range(num_layers):
        field += kernel_size - 1
    return field


def test_receptive_field(capsys):
    passes("vgg.receptive_field", _field_library, capsys)
    passes("vgg.receptive_field", _field_loop, capsys)
    fails("vgg.receptive_field", lambda num_layers, kernel_size=3: num_layers * kernel_size, "overlap")
    fails(
        "vgg.receptive_field",
        lambda num_layers, kernel_size=3: num_layers * (kernel_size - 1),
        "single pixel",
    )
    fails(
        "vgg.receptive_field",
        lambda num_layers, kernel_size=3: kernel_size**num_layers,
        "not by multiplication",
    )
    table = {(1, 3): 3, (2, 3): 5, (3, 3): 7, (1, 7): 7, (2, 5): 9, (4, 1): 1}
    fails(
        "vgg.receptive_field",
        lambda num_layers, kernel_size=3: table.get((num_layers, kernel_size), 3),
        "which is too",
    )


# --- vgg.conv_params -------------------------------------------------------------------------


def _params_library(kernel_size, in_channels, out_channels, bias=True):
    return count_parameters(nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, device="meta"))


def test_conv_params(capsys):
    passes("vgg.conv_params", _params_library, capsys)
    passes("vgg.conv_params", lambda k, i, o, bias=True: (k * k * i + int(bias)) * o, capsys)
    fails(
        "vgg.conv_params",
        lambda kernel_size, in_channels, out_channels, bias=True: (
            kernel_size * kernel_size * in_channels * out_channels
        ),
        "off by exactly the 64 biases",
    )
    fails(
        "vgg.conv_params",
        lambda kernel_size, in_channels, out_channels, bias=True: (
            kernel_size * in_channels * out_channels + (out_channels if bias else 0)
        ),
        "squared",
    )
    fails(
        "vgg.conv_params",
        lambda kernel_size, in_channels, out_channels, bias=True: (
            kernel_size**2 * in_channels * out_channels + out_channels
        ),
        "bias=False",
    )
    fails(
        "vgg.conv_params",
        lambda kernel_size, in_channels, out_channels, bias=True: (
            kernel_size**2 * in_channels * out_channels + (in_channels if bias else 0)
        ),
        "one bias per output channel",
    )
    table = {
        (3, 64, 64, True): 36928,
        (3, 64, 64, False): 36864,
        (7, 3, 64, True): 9472,
        (1, 128, 32, False): 4096,
        (3, 1, 1, True): 10,
        (5, 3, 8, True): 608,
    }
    fails("vgg.conv_params", lambda k, i, o, bias=True: table.get((k, i, o, bias), 0), "too small")


# --- vgg.vgg_block ---------------------------------------------------------------------------


class VGGBlockLoop(nn.Module):
    """Different names, F.relu, and the convolutions registered in reverse order."""

    def __init__(self, num_convs, in_channels, out_channels):
        super().__init__()
        convs = [
            nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
            for i in range(num_convs)
        ]
        self.stack = nn.ModuleList(reversed(convs))

    def forward(self, x):
        for conv in reversed(self.stack):
            x = F.relu(conv(x))
        return F.max_pool2d(x, kernel_size=2)


def vgg_factory(num_convs, in_channels, out_channels):
    layers = []
    for i in range(num_convs):
        layers += [nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.MaxPool2d(2, 2))


def _vgg(num_convs, in_channels, out_channels, padding=1, pool=nn.MaxPool2d, relu_each=True, bias=True):
    layers = []
    for i in range(num_convs):
        layers.append(
            nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=padding, bias=bias)
        )
        if relu_each or i == num_convs - 1:
            layers.append(nn.ReLU())
    if pool is not None:
        layers.append(pool(2, 2))
    return nn.Sequential(*layers)


def test_vgg_block(capsys):
    passes("vgg.vgg_block", VGGBlock, capsys)
    passes("vgg.vgg_block", VGGBlockLoop, capsys)
    passes("vgg.vgg_block", vgg_factory, capsys)
    fails("vgg.vgg_block", lambda n, i, o: _vgg(n, i, o, padding=0), "padding 1")
    fails("vgg.vgg_block", lambda n, i, o: _vgg(n, i, o, pool=nn.AvgPool2d), "not average pooling")
    fails("vgg.vgg_block", lambda n, i, o: _vgg(n, i, o, pool=None), "halves height and width")
    fails("vgg.vgg_block", lambda n, i, o: _vgg(n, i, o, relu_each=False), "its own ReLU")
    fails("vgg.vgg_block", lambda n, i, o: _vgg(n, i, o, bias=False), "off by exactly the biases")
    fails(
        "vgg.vgg_block",
        lambda n, i, o: nn.Sequential(_vgg(n, i, o), nn.Conv2d(o, o, 1)),
        "not in the contract: a 1x1 convolution",
    )
    fails("vgg.vgg_block", lambda n, i, o: _vgg(n, i, o) if n == 2 else _vgg(2, i, o), "not in the contract")


# --- googlenet.reduction_params --------------------------------------------------------------


def test_reduction_params(capsys):
    passes("googlenet.reduction_params", reduction_params, capsys)
    passes(
        "googlenet.reduction_params",
        lambda i, r, o, kernel_size=3: [
            _params_library(kernel_size, i, o, False),
            _params_library(1, i, r, False) + _params_library(kernel_size, r, o, False),
        ],
        capsys,
    )
    message = fails(
        "googlenet.reduction_params",
        lambda i, r, o, kernel_size=3: (kernel_size**2 * i * o + o, i * r + r + kernel_size**2 * r * o + o),
        "without the biases",
    )
    assert "expected (147456, 40960)" in message
    fails(
        "googlenet.reduction_params",
        lambda i, r, o, kernel_size=3: (kernel_size**2 * i * o, kernel_size**2 * r * o),
        "count both",
    )
    fails(
        "googlenet.reduction_params",
        lambda i, r, o, kernel_size=3: (i * r + kernel_size**2 * r * o, kernel_size**2 * i * o),
        "in that order",
    )
    fails(
        "googlenet.reduction_params",
        lambda i, r, o, kernel_size=3: kernel_size**2 * i * o,
        "expected a pair of ints",
    )
    table = {
        (128, 32, 128, 3): (147456, 40960),
        (192, 96, 128, 3): (221184, 129024),
        (480, 16, 48, 5): (576000, 26880),
        (64, 64, 64, 1): (4096, 8192),
    }
    fails(
        "googlenet.reduction_params",
        lambda i, r, o, kernel_size=3: table.get((i, r, o, kernel_size), (0, 0)),
        "the first number (one kxk convolution) is too small",
    )


# --- googlenet.inception_block ---------------------------------------------------------------


class InceptionPlain(nn.Module):
    """Separate attributes, the pool branch registered first, F.relu in forward."""

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.pool_proj = nn.Conv2d(in_channels, c4, 1)
        self.one = nn.Conv2d(in_channels, c1, 1)
        self.three_reduce = nn.Conv2d(in_channels, c2[0], 1)
        self.three = nn.Conv2d(c2[0], c2[1], 3, padding=1)
        self.five_reduce = nn.Conv2d(in_channels, c3[0], 1)
        self.five = nn.Conv2d(c3[0], c3[1], 5, padding=2)
        self.order = ("one", "three", "five", "pool")
        self.add = False
        self.final_relu = True

    def branches(self, x):
        relu = F.relu if self.final_relu else (lambda t: t)
        return {
            "one": F.relu(self.one(x)),
            "three": relu(self.three(F.relu(self.three_reduce(x)))),
            "five": F.relu(self.five(F.relu(self.five_reduce(x)))),
            "pool": F.relu(self.pool_proj(F.max_pool2d(x, 3, stride=1, padding=1))),
        }

    def forward(self, x):
        outs = self.branches(x)
        if self.add:
            return sum(outs.values())
        return torch.cat([outs[name] for name in self.order], dim=1)


def _inception(**changes):
    def build(*args):
        block = InceptionPlain(*args)
        for key, value in changes.items():
            setattr(block, key, value)
        return block

    return build


class InceptionAvgPool(InceptionPlain):
    def branches(self, x):
        outs = super().branches(x)
        outs["pool"] = F.relu(self.pool_proj(F.avg_pool2d(x, 3, stride=1, padding=1)))
        return outs


class InceptionNoInnerReLU(InceptionPlain):
    def branches(self, x):
        outs = super().branches(x)
        outs["three"] = F.relu(self.three(self.three_reduce(x)))
        return outs


def test_inception_block(capsys):
    passes("googlenet.inception_block", Inception, capsys)
    passes("googlenet.inception_block", InceptionPlain, capsys)
    fails("googlenet.inception_block", _inception(add=True), "not added")
    message = fails(
        "googlenet.inception_block",
        _inception(order=("three", "one", "five", "pool")),
        "not the concatenation of the four branches in order 1x1, 3x3, 5x5, pool",
    )
    assert "yours in order 3x3, 1x1, 5x5, pool" in message
    fails("googlenet.inception_block", InceptionAvgPool, "not average pooling")
    fails("googlenet.inception_block", _inception(final_relu=False), "negative")
    fails("googlenet.inception_block", InceptionNoInnerReLU, "the 1x1 reductions too")


# --- googlenet.batch_norm_forward ------------------------------------------------------------

BN = "googlenet.batch_norm_forward"


def _channel(t):
    return t[None, :, None, None]


def batch_norm_forward(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """The lesson's solution."""
    if training:
        mean = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        n = x.numel() / x.shape[1]
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    x_hat = (x - _channel(mean)) / torch.sqrt(_channel(var) + eps)
    return _channel(weight) * x_hat + _channel(bias)


def _bn_var_mean(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """Written differently: torch.var_mean, keepdim, statistics detached for the update, copy_."""
    if not training:
        scale = weight / torch.sqrt(running_var + eps)
        return x * scale.view(1, -1, 1, 1) + (bias - running_mean * scale).view(1, -1, 1, 1)
    var, mean = torch.var_mean(x, dim=[0, 2, 3], keepdim=True, correction=0)
    n = x.shape[0] * x.shape[2] * x.shape[3]
    running_mean.copy_(momentum * mean.detach().flatten() + (1 - momentum) * running_mean)
    running_var[:] = momentum * var.detach().flatten() * n / (n - 1) + (1 - momentum) * running_var
    return (x - mean) * torch.rsqrt(var + eps) * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)


def _bn_functional(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)


def _bn(
    norm_correction=0,
    update_correction=1,
    eval_batch=False,
    swap_momentum=False,
    eps_outside=False,
    in_place_x=False,
    no_grad=True,
    detach=False,
    eval_update=False,
    dims=(0, 2, 3),
    affine=True,
):
    """A batch_norm_forward with one mistake (the defaults are right)."""

    def forward(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        var, mean = torch.var_mean(x, dim=dims, correction=norm_correction, keepdim=True)
        if detach:
            var, mean = var.detach(), mean.detach()
        if training or eval_update:
            n = x.numel() // mean.numel()
            unbiased = torch.var(x, dim=dims, correction=update_correction).flatten()
            old, new = (momentum, 1 - momentum) if swap_momentum else (1 - momentum, momentum)
            with torch.set_grad_enabled(not no_grad):
                running_mean.mul_(old).add_(new * mean.flatten()[: running_mean.numel()])
                running_var.mul_(old).add_(new * unbiased[: running_var.numel()])
            assert n > 1
        if not training and not eval_batch:
            mean, var = _channel(running_mean), _channel(running_var)
        if in_place_x:
            x = x.sub_(mean)
        else:
            x = x - mean
        x_hat = x / (torch.sqrt(var) + eps) if eps_outside else x / torch.sqrt(var + eps)
        return _channel(weight) * x_hat + _channel(bias) if affine else x_hat

    return forward


def _bn_forgets_update(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
    if not training:
        mean, var = running_mean, running_var
    return _channel(weight) * (x - _channel(mean)) / torch.sqrt(_channel(var) + eps) + _channel(bias)


def _bn_replaces(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
    if training:
        unbiased = torch.var(x, dim=(0, 2, 3)).detach()
        running_mean = (1 - momentum) * running_mean + momentum * mean.detach()
        running_var = (1 - momentum) * running_var + momentum * unbiased
    else:
        mean, var = running_mean, running_var
    return _channel(weight) * (x - _channel(mean)) / torch.sqrt(_channel(var) + eps) + _channel(bias)


def _bn_returns_all(*args, **kwargs):
    out = batch_norm_forward(*args, **kwargs)
    return out, args[3], args[4]


def test_batch_norm_forward_accepts_correct_answers(capsys):
    assert passes(BN, batch_norm_forward, capsys) == f"✔ {BN}: passed (30 cases)\n"
    passes(BN, _bn_var_mean, capsys)
    passes(BN, _bn_functional, capsys)
    passes(BN, _bn(), capsys)


@pytest.mark.parametrize(
    "answer, fragment",
    [
        (_bn_forgets_update, "left running_mean and running_var unchanged; in training the running"),
        (_bn_replaces, "assigns a new tensor to its parameter `running_mean`, which only rebinds"),
        (_bn(norm_correction=1), "normalise with the biased variance of the batch (divide by n"),
        (_bn(update_correction=0), "updated with the unbiased variance of the batch (divide by n - 1"),
        (_bn(eval_batch=True), "in evaluation, normalise with the running statistics"),
        (_bn(swap_momentum=True), "momentum is the weight of the new batch statistic"),
        (_bn(eps_outside=True), "inside the square root: divide by sqrt(variance + eps)"),
        (_bn(in_place_x=True), "changed x in place"),
        (_bn(eval_update=True), "changed running_mean and running_var; in evaluation nothing changes"),
        (_bn(no_grad=False), "running_mean now requires grad"),
        (_bn(detach=True), "the gradient flows through them too"),
        (_bn(dims=(2, 3)), "each channel has its own mean and variance, taken over N, H and W"),
        (_bn(affine=False), "scale each channel by weight and then shift it by bias"),
        (_bn_returns_all, "expected a single Tensor, the normalised x"),
        (lambda *a, **k: a[0].numpy(), "expected a torch.Tensor"),
    ],
)
def test_batch_norm_forward_rejects_mistakes(answer, fragment):
    message = fails(BN, answer, fragment)
    assert "batch_norm_forward(x of shape (" in message  # says which call went wrong


def test_batch_norm_forward_needs_more_than_the_fixed_cases():
    fixed = {(4, 3, 5, 5), (2, 4, 3, 3), (3, 2, 4, 4), (8, 5, 6, 6), (4, 3, 4, 4)}

    def only_fixed(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        if tuple(x.shape) in fixed:
            return _bn_functional(x, weight, bias, running_mean, running_var, training, momentum, eps)
        return x.clone()

    fails(BN, only_fixed, "differ from nn.BatchNorm2d's")


def test_batch_norm_forward_does_not_show_the_expected_values():
    message = fails(BN, _bn(eps_outside=True), "differ from nn.BatchNorm2d's")
    assert "tensor(" not in message and "expected" not in message


# --- resnet.residual_block -------------------------------------------------------------------


class Residual(nn.Module):
    """Biases on, the shortcut registered first, and switches for typical mistakes."""

    def __init__(
        self,
        in_channels,
        out_channels,
        stride=1,
        shortcut="projection_where_needed",
        bn_on_projection=True,
        relu_before_add=False,
        stride_on_second=False,
        final_relu=True,
    ):
        super().__init__()
        projection = shortcut == "projection" or (
            shortcut == "projection_where_needed" and (stride != 1 or in_channels != out_channels)
        )
        if projection:
            layers = [nn.Conv2d(in_channels, out_channels, 1, stride=stride)]
            if bn_on_projection:
                layers.append(nn.BatchNorm2d(out_channels))
            self.skip = nn.Sequential(*layers)
        else:
            self.skip = None
        s1, s2 = (1, stride) if stride_on_second else (stride, 1)
        self.a = nn.Conv2d(in_channels, out_channels, 3, stride=s1, padding=1)
        self.a_bn = nn.BatchNorm2d(out_channels)
        self.b = nn.Conv2d(out_channels, out_channels, 3, stride=s2, padding=1)
        self.b_bn = nn.BatchNorm2d(out_channels)
        self.shortcut_kind = shortcut
        self.relu_before_add, self.final_relu = relu_before_add, final_relu

    def forward(self, x):
        y = self.b_bn(self.b(F.relu(self.a_bn(self.a(x)))))
        if self.relu_before_add:
            y = F.relu(y)
        if self.shortcut_kind != "none":
            y = y + (x if self.skip is None else self.skip(x))
        return F.relu(y) if self.final_relu else y


def _residual(**options):
    return lambda i, o, stride=1: Residual(i, o, stride, **options)


def test_residual_block(capsys):
    passes("resnet.residual_block", ResidualBlock, capsys)
    passes("resnet.residual_block", Residual, capsys)
    fails("resnet.residual_block", _residual(shortcut="none"), "does not contain the shortcut")
    fails("resnet.residual_block", _residual(shortcut="identity"), "the shortcut is a projection")
    fails("resnet.residual_block", _residual(shortcut="projection"), "the shortcut is the identity")
    fails("resnet.residual_block", _residual(bn_on_projection=False), "missing a BatchNorm2d(6)")
    fails("resnet.residual_block", _residual(relu_before_add=True), "the ReLU comes after the addition")
    fails("resnet.residual_block", _residual(stride_on_second=True), "on the first 3x3 convolution")
    fails("resnet.residual_block", _residual(final_relu=False), "negative")


# --- resnet.bottleneck_block -----------------------------------------------------------------


class BottleneckFirst(nn.Module):
    """The stride on the first 1x1 (the original ResNet), biases on, switches for mistakes."""

    def __init__(
        self, in_channels, mid_channels, stride=1, expansion=4, stride_at=0, shortcut=True, mid_relu=True
    ):
        super().__init__()
        out = expansion * mid_channels
        strides = [1, 1, 1]
        strides[stride_at] = stride
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, stride=strides[0]),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(),
            nn.Conv2d(mid_channels, mid_channels, 3, stride=strides[1], padding=1),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU() if mid_relu else nn.Identity(),
            nn.Conv2d(mid_channels, out, 1, stride=strides[2]),
            nn.BatchNorm2d(out),
        )
        self.proj = None
        if stride != 1 or in_channels != out:
            self.proj = nn.Sequential(nn.Conv2d(in_channels, out, 1, stride=stride), nn.BatchNorm2d(out))
        self.shortcut = shortcut

    def forward(self, x):
        y = self.body(x)
        if self.shortcut:
            y = y + (x if self.proj is None else self.proj(x))
        return F.relu(y)


def _bottleneck(**options):
    return lambda i, m, stride=1: BottleneckFirst(i, m, stride, **options)


def test_bottleneck_block(capsys):
    passes("resnet.bottleneck_block", Bottleneck, capsys)
    passes("resnet.bottleneck_block", BottleneckFirst, capsys)
    passes("resnet.bottleneck_block", _bottleneck(stride_at=1), capsys)
    fails("resnet.bottleneck_block", _bottleneck(stride_at=2), "not on the last 1x1")
    fails("resnet.bottleneck_block", _bottleneck(expansion=2), "4 * mid_channels")
    fails("resnet.bottleneck_block", _bottleneck(shortcut=False), "does not contain the shortcut")
    fails("resnet.bottleneck_block", _bottleneck(mid_relu=False), "the first and the second BatchNorm")


# --- densenet.out_channels -------------------------------------------------------------------


def test_out_channels(capsys):
    passes("densenet.out_channels", dense_out_channels, capsys)
    passes("densenet.out_channels", lambda c, n, k: sum([k] * n, c), capsys)
    fails("densenet.out_channels", lambda c, n, k: c * 2**n, "grows linearly")
    fails("densenet.out_channels", lambda c, n, k: n * k, "keeps its input")
    fails("densenet.out_channels", lambda c, n, k: c + (n - 1) * k, "Each of the num_layers layers")
    table = {(64, 6, 32): 256, (16, 3, 12): 52, (3, 2, 5): 13, (1, 1, 1): 2}
    fails("densenet.out_channels", lambda c, n, k: table.get((c, n, k), 64), "which is too")


# --- densenet.dense_block --------------------------------------------------------------------


class Dense(nn.Module):
    """Concatenating as it goes, biases on, switches for mistakes."""

    def __init__(self, num_layers, in_channels, growth_rate, mode="ok"):
        super().__init__()
        self.mode = mode
        layers = []
        for i in range(num_layers):
            c = in_channels + i * growth_rate
            if mode == "previous_only":
                c = in_channels if i == 0 else growth_rate
            if mode == "conv_first":
                layers.append(
                    nn.Sequential(
                        nn.Conv2d(c, growth_rate, 3, padding=1), nn.BatchNorm2d(growth_rate), nn.ReLU()
                    )
                )
            else:
                layers.append(
                    nn.Sequential(
                        nn.BatchNorm2d(c),
                        nn.Identity() if mode == "no_relu" else nn.ReLU(),
                        nn.Conv2d(c, growth_rate, 3, padding=1),
                    )
                )
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        y = x
        if self.mode == "previous_only":
            features = [x]
            for layer in self.layers:
                features.append(layer(features[-1]))
            return torch.cat(features, 1)
        for layer in self.layers:
            if self.mode == "new_first":
                y = torch.cat([layer(y), y], 1)
            else:
                y = torch.cat([y, layer(y)], 1)
        if self.mode == "last_only":
            return self.layers[-1](y[:, : -self.layers[-1][2].out_channels])
        if self.mode == "input_last":
            return torch.cat([y[:, x.shape[1] :], y[:, : x.shape[1]]], 1)
        return y


def _dense(mode):
    return lambda n, c, k: Dense(n, c, k, mode)


def test_dense_block(capsys):
    passes("densenet.dense_block", DenseBlock, capsys)
    passes("densenet.dense_block", Dense, capsys)
    fails("densenet.dense_block", _dense("last_only"), "only the last layer's output")
    fails("densenet.dense_block", _dense("previous_only"), "reads the concatenation")
    fails("densenet.dense_block", _dense("conv_first"), "Each layer is BN - ReLU - conv")
    fails("densenet.dense_block", _dense("no_relu"), "a ReLU comes between")
    fails("densenet.dense_block", _dense("new_first"), "input comes last")
    fails("densenet.dense_block", _dense("input_last"), "input comes last")


# --- densenet.transition_block ---------------------------------------------------------------


def _transition(pool=nn.AvgPool2d, relu=True, bn_first=True, pool_first=False, kernel_size=1):
    def build(in_channels, out_channels):
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        norm = nn.BatchNorm2d(in_channels if bn_first else out_channels)
        act = [nn.ReLU()] if relu else []
        body = [norm, *act, conv] if bn_first else [conv, norm, *act]
        if pool is None:
            return nn.Sequential(*body)
        if pool_first:
            return nn.Sequential(*body[:-1], pool(2, 2), body[-1])
        return nn.Sequential(*body, pool(2, 2))

    return build


def test_transition_block(capsys):
    passes("densenet.transition_block", Transition, capsys)
    passes("densenet.transition_block", lambda i, o: Transition(i, o, relu=False), capsys)
    passes("densenet.transition_block", _transition(pool_first=True), capsys)  # pooling and 1x1 commute
    fails("densenet.transition_block", _transition(pool=nn.MaxPool2d), "not max pooling")
    fails("densenet.transition_block", _transition(pool=nn.MaxPool2d, relu=False), "not max pooling")
    fails("densenet.transition_block", _transition(bn_first=False), "normalises the block's input")
    fails("densenet.transition_block", _transition(pool=None), "halves height and width")
    fails("densenet.transition_block", _transition(kernel_size=3), "is 1x1")


# --- summary.techniques ----------------------------------------------------------------------

TECHNIQUES = {
    "VGGNet": "stacks of 3x3 convolutions",
    "GoogLeNet": "1x1 convolutions (Inception)",
    "ResNet": "skip connections",
    "DenseNet": "concatenation of feature maps",
}


def test_techniques(capsys):
    passes("summary.techniques", TECHNIQUES, capsys)
    passes(
        "summary.techniques",
        lambda: {
            "vgg": "small 3 x 3 kernels",
            "googlenet": "the inception block",
            "RESNET": "residual learning, identity shortcuts",
            "DenseNet": "it concatenates all earlier outputs",
            "AlexNet": "ReLU",
        },
        capsys,
    )
    fails(
        "summary.techniques", {**TECHNIQUES, "ResNet": "concatenation"}, "describes DenseNet's key technique"
    )
    fails("summary.techniques", {k: v for k, v in TECHNIQUES.items() if k != "ResNet"}, "no entry for ResNet")
    fails("summary.techniques", {**TECHNIQUES, "DenseNet": "many layers"}, "does not name DenseNet's")
    fails("summary.techniques", [("VGGNet", "3x3")], "expected a dict")
    fails("summary.techniques", {**TECHNIQUES, "VGGNet": 3}, "(a str)")


@pytest.mark.parametrize(
    "architecture, wording",
    [
        ("VGGNet", "3 x 3 convolutions"),
        ("VGGNet", "three-by-three kernels, stacked"),
        ("VGGNet", "small filters for depth"),
        ("VGGNet", "3-by-3 convs"),
        ("GoogLeNet", "pointwise convolution"),
        ("GoogLeNet", "1 by 1"),
        ("GoogLeNet", "1x1 conv"),
        ("GoogLeNet", "one-by-one convolutions"),
        ("GoogLeNet", "1×1 filters"),
        ("GoogLeNet", "reducing the channels before the expensive convolutions"),
        ("GoogLeNet", "parallel branches at several scales"),
        ("GoogLeNet", "network in network"),
        ("ResNet", "identity shortcut"),
        ("ResNet", "residual connection"),
        ("ResNet", "F(x) + x"),
        ("ResNet", "adds the input to the output of two layers"),
        ("ResNet", "shortcuts"),
        ("DenseNet", "feature reuse"),
        ("DenseNet", "concatenating feature maps"),
        ("DenseNet", "dense connectivity"),
        ("DenseNet", "each layer gets the outputs of all previous layers"),
        ("DenseNet", "[x, F(x)]"),
        ("DenseNet", "it reuses every earlier feature"),
    ],
)
def test_techniques_accepts_every_correct_wording(architecture, wording, capsys):
    passes("summary.techniques", {**TECHNIQUES, architecture: wording}, capsys)


@pytest.mark.parametrize(
    "answer, fragment",
    [
        (
            {**TECHNIQUES, "ResNet": "feature reuse", "DenseNet": "identity shortcuts"},
            "'ResNet', 'feature reuse', describes DenseNet's",
        ),
        ({**TECHNIQUES, "VGGNet": "1 by 1 convolutions"}, "describes GoogLeNet's"),
        ({**TECHNIQUES, "GoogLeNet": "three by three stacks"}, "describes VGGNet's"),
        ({**TECHNIQUES, "DenseNet": "residual learning"}, "describes ResNet's"),
        ({**TECHNIQUES, "GoogLeNet": "deeper networks"}, "does not name GoogLeNet's"),
        ({"VGG-16": "3x3", "GoogLeNet": "1x1", "ResNet-50": "skip"}, "no entry for DenseNet"),
    ],
)
def test_techniques_still_rejects_wrong_ones(answer, fragment):
    fails("summary.techniques", answer, fragment)


def test_techniques_reads_the_models_names_loosely(capsys):
    passes(
        "summary.techniques",
        {"VGG-16": "3x3 stacks", "Inception": "1x1", "ResNet-50": "skip", "DenseNet-121": "concatenation"},
        capsys,
    )


# --- summary.identify_block ------------------------------------------------------------------


def identify_block(block, x):
    import copy

    c = x.shape[1]
    with torch.no_grad():
        y = block(x)
        if y.shape[1] > c and y.shape[2:] == x.shape[2:] and torch.equal(y[:, :c], x):
            return "DenseNet"
        zeroed = copy.deepcopy(block)
        for p in zeroed.parameters():
            p.zero_()
        z = zeroed(x)
        if z.shape == x.shape and torch.allclose(z, x):
            return "ResNet"
    kernels = {m.kernel_size for m in block.modules() if isinstance(m, nn.Conv2d)}
    return "GoogLeNet" if (1, 1) in kernels else "VGGNet"


def test_identify_block_passes_the_reference_and_its_own_spellings(capsys):
    passes("summary.identify_block", identify_block, capsys)
    passes("summary.identify_block", lambda b, x: identify_block(b, x).lower(), capsys)


def _ones_first(order):
    """identify_block with the checks in another order (or one left out)."""

    def answer(block, x):
        c = x.shape[1]
        y = block(x)
        for test in order:
            if test == "1x1" and any(
                isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in block.modules()
            ):
                return "GoogLeNet"
            if test == "grows" and y.shape[1] > c:
                return "DenseNet"
            if test == "shape" and y.shape == x.shape:
                return "ResNet"
        return "VGGNet"

    return answer


@pytest.mark.parametrize(
    "answer, fragment",
    [
        (_ones_first(["1x1"]), "which is not right: look at what this block does with its input"),
        (_ones_first(["grows", "shape", "1x1"]), "which is not right"),
        (lambda block, x: type(block).__name__, "expected one of 'VGGNet', 'GoogLeNet', 'ResNet'"),
        (lambda block, x: "ResNet", "which is not right"),
        (lambda block, x: [x.mul_(2), "ResNet"][1], "changed x in place"),
    ],
)
def test_identify_block_rejects_shortcuts_of_thought(answer, fragment):
    fails("summary.identify_block", answer, fragment)


def test_identify_block_names_what_to_look_at():
    # right about everything but the skip connection
    def no_resnet(block, x):
        answer = identify_block(block, x)
        return "VGGNet" if answer == "ResNet" else answer

    message = fails("summary.identify_block", no_resnet, "returned 'VGGNet', which is not right")
    assert "with every weight of its layers at zero" in message and "on x of shape" in message


# --- start.accuracy --------------------------------------------------------------------------


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def test_accuracy_warm_up(capsys):
    passes("start.accuracy", accuracy, capsys)
    fails(
        "start.accuracy",
        lambda lo, la: (lo.argmax(1) == la).sum().item(),
        "expected 0.5: that is the number of right predictions",
    )
    fails(
        "start.accuracy",
        lambda lo, la: (lo.argmax(1) != la).float().mean().item(),
        "the fraction of wrong predictions",
    )
    fails("start.accuracy", lambda lo, la: (lo.argmax(1) == la).float().mean(), "`.item()`")
    fails(
        "start.accuracy",
        lambda lo, la: (lo.argmin(1) == la).float().mean().item(),
        "largest logit of each row",
    )
    fails("start.accuracy", lambda lo, la: (lo.argmax(0) == la).float().mean().item(), "raised")
    with pytest.raises(NotAttempted):
        check("start.accuracy", _not_yet)


def _not_yet(logits, labels):
    raise NotImplementedError()


# --- next.grouped_params ---------------------------------------------------------------------


def _grouped_loop(kernel_size, in_channels, out_channels, groups, bias=True):
    """Group by group: each sees its share of the inputs and makes its share of the outputs."""
    if in_channels % groups != 0 or out_channels % groups != 0:
        raise ValueError("groups must divide both channel counts")
    total = 0
    for _ in range(groups):
        total += kernel_size**2 * (in_channels // groups) * (out_channels // groups)
    return total + (out_channels if bias else 0)


def _grouped(check_out=True, divide=True, bias_term="out", error=ValueError, divide_out=False):
    def grouped_params(kernel_size, in_channels, out_channels, groups, bias=True):
        if in_channels % groups or (check_out and out_channels % groups):
            raise error("groups must divide both channel counts")
        weights = kernel_size**2 * (in_channels // groups if divide else in_channels) * out_channels
        if divide_out:
            weights //= groups
        extra = {"out": out_channels if bias else 0, "none": 0, "groups": groups if bias else 0}[bias_term]
        return weights + extra

    return grouped_params


def _never_raises(kernel_size, in_channels, out_channels, groups, bias=True):
    return kernel_size**2 * in_channels * out_channels // groups + (out_channels if bias else 0)


def test_grouped_params(capsys):
    passes("next.grouped_params", grouped_params, capsys)
    passes("next.grouped_params", _grouped_loop, capsys)
    passes("next.grouped_params", _grouped(), capsys)
    fails("next.grouped_params", _grouped(bias_term="none"), "off by exactly the 64 biases")
    fails("next.grouped_params", _grouped(divide=False), "divide by groups")
    fails("next.grouped_params", _grouped(divide_out=True), "not the output channels too")
    fails("next.grouped_params", _grouped(bias_term="groups"), "one bias per output channel")
    fails("next.grouped_params", _never_raises, "raise a ValueError")
    fails("next.grouped_params", _grouped(check_out=False), "does not divide both in_channels=8 and")
    fails("next.grouped_params", _grouped(error=AssertionError), "raised AssertionError, not ValueError")
    fails(
        "next.grouped_params",
        lambda k, i, o, g, bias=True: k * k * (i / g) * o + (o if bias else 0),
        "integer arithmetic",
    )
    table = {(3, 64, 64, 1): 36928, (5, 96, 256, 2): 307456, (3, 32, 32, 32): 320}
    fails("next.grouped_params", lambda k, i, o, g, bias=True: table.get((k, i, o, g), 4608), "returned")


# --- next.depthwise_separable ----------------------------------------------------------------


class SeparableByHand(nn.Module):
    """Biases on, the pointwise layers registered first, forward written out."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.bn_out = nn.BatchNorm2d(out_channels)
        self.point = nn.Conv2d(in_channels, out_channels, 1)
        self.bn_in = nn.BatchNorm2d(in_channels)
        self.depth = nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels)

    def forward(self, x):
        return F.relu(self.bn_out(self.point(F.relu(self.bn_in(self.depth(x))))))


def _separable(
    groups=True, bn=True, inner_relu=True, final_relu=True, stride_on="depthwise", order="bn_relu"
):
    class Separable(nn.Module):
        def __init__(self, in_channels, out_channels, stride=1):
            super().__init__()
            dw, pw = (stride, 1) if stride_on == "depthwise" else (1, stride)
            self.dw = nn.Conv2d(in_channels, in_channels, 3, dw, 1, groups=in_channels if groups else 1)
            self.pw = nn.Conv2d(in_channels, out_channels, 1, pw)
            self.bn1 = nn.BatchNorm2d(in_channels) if bn else nn.Identity()
            self.bn2 = nn.BatchNorm2d(out_channels) if bn else nn.Identity()

        def forward(self, x):
            if order == "relu_bn":
                return self.bn2(F.relu(self.pw(self.bn1(F.relu(self.dw(x))))))
            y = self.bn1(self.dw(x))
            y = F.relu(y) if inner_relu else y
            y = self.bn2(self.pw(y))
            return F.relu(y) if final_relu else y

    return Separable


def _full_conv(in_channels, out_channels, stride=1):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride, 1), nn.BatchNorm2d(out_channels), nn.ReLU()
    )


def test_depthwise_separable(capsys):
    passes("next.depthwise_separable", DepthwiseSeparable, capsys)
    passes("next.depthwise_separable", SeparableByHand, capsys)
    fails("next.depthwise_separable", _separable(groups=False), "groups=in_channels")
    fails("next.depthwise_separable", _separable(bn=False), "followed by BatchNorm, then ReLU")
    fails("next.depthwise_separable", _separable(inner_relu=False), "a ReLU follows the depthwise")
    fails(
        "next.depthwise_separable", _separable(stride_on="pointwise"), "the stride belongs on the depthwise"
    )
    fails("next.depthwise_separable", _separable(final_relu=False), "some outputs are negative")
    fails(
        "next.depthwise_separable",
        _separable(order="relu_bn"),
        "after the pointwise convolution's BatchNorm (each",
    )
    fails("next.depthwise_separable", _full_conv, "This is a full 3x3 convolution")


# --- next.se_block ---------------------------------------------------------------------------


class SEByLinear(nn.Module):
    """Linear layers without biases on the pooled vector, the gate reshaped to N x C x 1 x 1."""

    def __init__(self, channels, reduction=16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Linear(channels, hidden, bias=False)
        self.fc2 = nn.Linear(hidden, channels, bias=False)

    def forward(self, x):
        gate = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3))))))
        return x * gate.view(x.shape[0], -1, 1, 1)


def _se(
    squeezed=lambda c, r: max(1, c // r),
    pool=F.adaptive_avg_pool2d,
    gate=torch.sigmoid,
    relu=True,
    combine="multiply",
):
    class SE(nn.Module):
        def __init__(self, channels, reduction=16):
            super().__init__()
            self.reduce = nn.Conv2d(channels, squeezed(channels, reduction), 1)
            self.expand = nn.Conv2d(squeezed(channels, reduction), channels, 1)

        def forward(self, x):
            h = self.reduce(pool(x, 1))
            g = gate(self.expand(F.relu(h) if relu else h))
            return {"multiply": x * g, "add": x + g, "gate": g}[combine]

    return SE


def test_se_block(capsys):
    passes("next.se_block", SqueezeExcitation, capsys)
    passes("next.se_block", SEByLinear, capsys)
    fails("next.se_block", _se(gate=lambda t: t), "ends with a sigmoid")
    fails("next.se_block", _se(squeezed=lambda c, r: c * r), "max(1, channels // reduction) = 4 units")
    fails("next.se_block", _se(squeezed=lambda c, r: r), "max(1, channels // reduction)")
    fails(
        "next.se_block", _se(squeezed=lambda c, r: max(1, round(c / r))), "max(1, channels // reduction) = 3"
    )
    fails("next.se_block", _se(combine="gate"), "That is the gate itself")
    fails("next.se_block", _se(combine="add"), "multiplied by the gate, channel by channel, not added")
    fails("next.se_block", _se(pool=F.adaptive_max_pool2d), "not max pooling")
    fails("next.se_block", _se(relu=False), "a ReLU sits between")


def test_lesson_07s_library_references_are_refused_as_answers():
    for exercise_id, reference in (
        ("next.grouped_params", grouped_params),
        ("next.depthwise_separable", DepthwiseSeparable),
        ("next.se_block", SqueezeExcitation),
    ):
        with pytest.raises(ExerciseFailed, match="course library's own"):
            check(exercise_id, reference)
