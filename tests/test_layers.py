import random

import pytest
import torch
from torch import nn

from cnnlessons.layers import (
    PAPER_LRN,
    GroupedLRN,
    check_dropout,
    check_input,
    conv_bn_relu,
    conv_output_size,
    deep_stack,
    make_activation,
    overlapping_pool,
)


def test_conv_output_size_known_figures():
    assert conv_output_size(224, 11, 4, 2) == 55  # AlexNet conv1 (torchvision padding)
    assert conv_output_size(227, 11, 4) == 55  # the paper's 227 input
    assert conv_output_size(55, 3, 2) == 27  # overlapping pool
    assert conv_output_size(32, 3, 1, 1) == 32
    assert conv_output_size(7, 7) == 1
    assert conv_output_size(8, 2, 2) == 4


def test_conv_output_size_matches_pytorch():
    rng = random.Random(0)
    for _ in range(30):
        k, s, p = rng.randint(1, 7), rng.randint(1, 4), rng.randint(0, 3)
        size = rng.randint(max(1, k - 2 * p), 40)
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p)
        assert conv(torch.zeros(1, 1, size, size)).shape[-1] == conv_output_size(size, k, s, p)


@pytest.mark.parametrize(
    "args, name",
    [
        ((32, 3, 0), "stride"),
        ((32, 0), "kernel_size"),
        ((0, 3), "size"),
        ((32, 3, 1, -1), "padding"),
        ((4, 7), "kernel_size"),
    ],
)
def test_conv_output_size_rejects_bad_arguments(args, name):
    with pytest.raises(ValueError, match=name):
        conv_output_size(*args)


def test_conv_output_size_rejects_non_integers():
    with pytest.raises(TypeError, match="size"):
        conv_output_size(32.0, 3)


def test_conv_bn_relu_same_padding_and_stride():
    torch.manual_seed(0)
    block = conv_bn_relu(3, 8)
    assert [name for name, _ in block.named_children()] == ["conv", "bn", "relu"]
    assert [type(m) for m in block] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    assert block.conv.bias is None
    x = torch.randn(2, 3, 17, 17)
    assert block(x).shape == (2, 8, 17, 17)
    assert conv_bn_relu(3, 8, kernel_size=5, stride=2)(x).shape == (2, 8, 9, 9)
    assert conv_bn_relu(3, 8, kernel_size=2, padding=0)(x).shape == (2, 8, 16, 16)
    assert (block(x) >= 0).all()
    assert sum(p.numel() for p in block.parameters()) == 3 * 8 * 9 + 2 * 8
    plain = conv_bn_relu(3, 8, batch_norm=False)  # without BN the conv keeps its bias
    assert [name for name, _ in plain.named_children()] == ["conv", "relu"]
    assert sum(p.numel() for p in plain.parameters()) == 3 * 8 * 9 + 8
    assert conv_bn_relu(3, 8, eps=1e-3).bn.eps == 1e-3


def test_conv_bn_relu_even_kernel_same_padding_names_kernel_size():
    with pytest.raises(ValueError, match="kernel_size"):
        conv_bn_relu(3, 8, kernel_size=4, padding="same")


def test_conv_bn_relu_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    block = conv_bn_relu(3, 4)
    block(torch.randn(4, 3, 8, 8)).sum().backward()
    for name, p in block.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_pooling_windows():
    pool = overlapping_pool()
    assert (pool.kernel_size, pool.stride) == (3, 2)
    assert pool(torch.zeros(1, 1, 55, 55)).shape[-1] == 27
    assert pool(torch.zeros(1, 1, 13, 13)).shape[-1] == 6


def test_grouped_lrn_stays_inside_each_tower():
    torch.manual_seed(0)
    x = torch.randn(2, 8, 5, 5) * 10
    lrn = nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    assert torch.equal(GroupedLRN(1)(x), lrn(x))
    assert torch.equal(nn.LocalResponseNorm(**PAPER_LRN)(x), lrn(x))
    towers = GroupedLRN(2)(x)
    torch.testing.assert_close(towers, torch.cat([lrn(x[:, :4]), lrn(x[:, 4:])], dim=1))
    assert not torch.allclose(towers, lrn(x))  # the window no longer crosses channel 3|4


def test_make_activation():
    assert isinstance(make_activation("relu"), nn.ReLU)
    assert isinstance(make_activation("tanh"), nn.Tanh)
    assert isinstance(make_activation("sigmoid"), nn.Sigmoid)
    with pytest.raises(ValueError, match="activation"):
        make_activation("gelu")


def test_deep_stack_structure_and_gradients():
    torch.manual_seed(0)
    stack = deep_stack(5, width=16, activation="tanh", in_features=8, num_classes=3)
    linears = [name for name, m in stack.named_children() if isinstance(m, nn.Linear)]
    assert linears == ["fc1", "fc2", "fc3", "fc4", "fc5", "out"]
    assert sum(isinstance(m, nn.Tanh) for m in stack) == 5
    assert sum(p.numel() for p in stack.parameters()) == (8 * 16 + 16) + 4 * (16 * 16 + 16) + (16 * 3 + 3)
    assert stack(torch.randn(4, 8)).shape == (4, 3)
    kaiming = deep_stack(2, width=400, init="kaiming")
    assert abs(kaiming.fc2.weight.std().item() - (2 / 400) ** 0.5) < 0.005
    assert torch.count_nonzero(kaiming.fc2.bias) == 0
    with pytest.raises(ValueError, match="activation"):
        deep_stack(3, activation="swish")
    with pytest.raises(ValueError, match="depth"):
        deep_stack(0)


def test_check_input_names_in_channels():
    check_input(torch.zeros(1, 3, 4, 4), 3, "Net")
    with pytest.raises(ValueError, match="in_channels=3"):
        check_input(torch.zeros(1, 1, 4, 4), 3, "Net")
    with pytest.raises(ValueError, match="in_channels"):
        check_input(torch.zeros(3, 4, 4), 3, "Net")


def test_check_dropout():
    assert check_dropout(0) == 0.0 and check_dropout(0.5) == 0.5
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="dropout must be in"):
            check_dropout(bad)
