"""cnnlessons.models.next: ResNeXt's grouped block, SENet's gate, MobileNet's depthwise separable block
and ConvNeXt's block, and the course-scale networks built from them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlessons.layers import conv_bn_relu
from cnnlessons.measure import count_parameters, flops_per_image
from cnnlessons.models import (
    Bottleneck,
    ConvNeXtBlock,
    DepthwiseSeparable,
    ResNeXtBlock,
    SmallConvNeXt,
    SmallMobileNet,
    SmallResNet,
    SmallResNeXt,
    SmallSEResNet,
    SqueezeExcitation,
    build_model,
)
from cnnlessons.models.next import (
    MOBILENET_BLOCKS,
    LayerNorm2d,
    equal_cost_bottleneck_width,
    grouped_params,
    resnext_block_weights,
)

torch.set_num_threads(1)


def conv_weights(module: nn.Module) -> int:
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


# ---------------------------------------------------------------- grouped convolutions, ResNeXt


@pytest.mark.parametrize(
    "k, c_in, c_out, groups, bias",
    [
        (3, 64, 64, 1, True),
        (5, 96, 256, 2, True),
        (3, 128, 128, 32, False),
        (3, 32, 32, 32, True),
        (1, 8, 4, 4, False),
    ],
)
def test_grouped_params_is_the_layers_count(k, c_in, c_out, groups, bias):
    conv = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)
    assert grouped_params(k, c_in, c_out, groups, bias) == count_parameters(conv)
    assert grouped_params(k, c_in, c_out, groups, bias=False) * groups == k * k * c_in * c_out


@pytest.mark.parametrize("c_in, c_out, groups", [(6, 8, 4), (8, 6, 4), (3, 3, 2)])
def test_grouped_params_refuses_groups_that_do_not_divide_both(c_in, c_out, groups):
    with pytest.raises(ValueError, match="groups must divide"):
        grouped_params(3, c_in, c_out, groups)
    with pytest.raises(ValueError, match="groups must divide"):
        conv_bn_relu(c_in, c_out, 3, groups=groups)


def test_equal_cost_widths_are_resnexts_table_2():
    assert [equal_cost_bottleneck_width(256, c) for c in (1, 2, 4, 8, 32)] == [64, 40, 24, 14, 4]
    reference = resnext_block_weights(256, 1, 64)
    assert reference == 256 * 64 * 2 + 9 * 64 * 64
    for c, d in ((2, 40), (4, 24), (8, 14), (32, 4)):
        assert abs(resnext_block_weights(256, c, d) / reference - 1) < 0.05


def test_resnext_block_counts_and_groups():
    block = ResNeXtBlock(256, 256, cardinality=32, bottleneck_width=4)
    assert block.residual.conv2.groups == 32 and block.width == 128
    assert isinstance(block.shortcut, nn.Identity)
    assert conv_weights(block) == resnext_block_weights(256, 32, 4)
    x = torch.randn(2, 256, 4, 4)
    assert block(x).shape == x.shape
    down = ResNeXtBlock(16, 32, stride=2, cardinality=4, bottleneck_width=2)
    assert down(torch.randn(2, 16, 8, 8)).shape == (2, 32, 4, 4)
    assert isinstance(down.shortcut, nn.Sequential)  # option B: a projection where the shape changes
    # one group is ResNet's bottleneck block at that width
    assert count_parameters(ResNeXtBlock(64, 256, cardinality=1, bottleneck_width=64)) == count_parameters(
        Bottleneck(64, 64)
    )
    # cardinality 2 is AlexNet's two towers: the 3x3's weights halve
    assert (
        conv_weights(ResNeXtBlock(8, 8, cardinality=2, bottleneck_width=4).residual.conv2) == 9 * 8 * 8 // 2
    )


def test_small_resnext_layout_and_depth_rule():
    model = SmallResNeXt(depth=20, width=16, cardinality=4, bottleneck_width=2)
    assert [len(s) for s in model.stages()] == [2, 2, 2]
    widths = [(b.out_channels, b.width, b.residual.conv2.groups) for s in model.stages() for b in s]
    assert widths == [(16, 8, 4)] * 2 + [(32, 16, 4)] * 2 + [(64, 32, 4)] * 2
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 10)
    for depth in (10, 21, 8, True):
        with pytest.raises(ValueError, match="depth must be 9n\\+2"):
            SmallResNeXt(depth=depth)


def test_small_resnext_and_its_one_group_twin_cost_the_same():
    twin_width = equal_cost_bottleneck_width(64, 1, like=(8, 4))
    with torch.device("meta"):
        grouped = SmallResNeXt(width=64, cardinality=8, bottleneck_width=4)
        twin = SmallResNeXt(width=64, cardinality=1, bottleneck_width=twin_width)
    assert twin_width == 18
    assert 0.9 <= count_parameters(grouped) / count_parameters(twin) <= 1.1
    assert 0.9 <= flops_per_image(grouped) / flops_per_image(twin) <= 1.1


# ---------------------------------------------------------------- SENet


def test_squeeze_excitation_is_the_input_times_its_gate():
    torch.manual_seed(0)
    se = SqueezeExcitation(16, reduction=4)
    x = torch.randn(3, 16, 5, 5)
    pooled = x.mean(dim=(2, 3), keepdim=True)
    gate = torch.sigmoid(se.excite.expand(F.relu(se.excite.reduce(pooled))))
    torch.testing.assert_close(se(x), x * gate)
    assert se(x).shape == x.shape and ((gate > 0) & (gate < 1)).all()
    assert conv_weights(se) == 2 * 16 * 16 // 4  # 2 C^2 / r
    with torch.no_grad():  # a gate of zeros before the sigmoid halves every channel
        se.excite.expand.weight.zero_()
        se.excite.expand.bias.zero_()
    torch.testing.assert_close(se(x), x / 2)


def test_squeeze_excitation_keeps_at_least_one_unit():
    assert SqueezeExcitation(6).squeezed_channels == 1  # 6 // 16 = 0
    assert SqueezeExcitation(32).squeezed_channels == 2
    assert SqueezeExcitation(14, 4).squeezed_channels == 3
    with pytest.raises(ValueError, match="reduction"):
        SqueezeExcitation(16, 0)


def test_se_resnet_starts_from_the_resnets_weights_and_adds_little():
    torch.manual_seed(3)
    plain = SmallResNet(depth=8, width=4)
    torch.manual_seed(3)
    se = SmallSEResNet(depth=8, width=4, reduction=2)
    own, theirs = se.state_dict(), plain.state_dict()
    assert set(theirs) < set(own)
    for key, value in theirs.items():
        assert torch.equal(own[key], value), key
    blocks = [b for s in se.stages() for b in s]
    assert all(isinstance(b.residual.se, SqueezeExcitation) for b in blocks)
    assert all(b.last_bn is b.residual.bn2 for b in blocks)  # the BN before the gate
    x = torch.randn(2, 3, 16, 16)
    assert se(x).shape == (2, 10)
    with torch.device("meta"):
        ratio = count_parameters(SmallSEResNet(depth=20)) / count_parameters(SmallResNet(depth=20))
    assert 1.0 < ratio <= 1.15


def test_se_resnet_zero_init_zeroes_the_bn_before_the_gate():
    model = SmallSEResNet(depth=8, width=4, zero_init_residual=True)
    for stage in model.stages():
        for block in stage:
            assert not block.residual.bn2.weight.any()


# ---------------------------------------------------------------- MobileNet


def test_depthwise_separable_is_a_depthwise_3x3_then_a_1x1():
    block = DepthwiseSeparable(8, 16, stride=2)
    depthwise, pointwise = block.depthwise.conv, block.pointwise.conv
    assert depthwise.groups == 8 and depthwise.weight.shape == (8, 1, 3, 3) and depthwise.stride == (2, 2)
    assert pointwise.weight.shape == (16, 8, 1, 1) and pointwise.stride == (1, 1)
    assert [type(m) for m in block.depthwise] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    assert [type(m) for m in block.pointwise] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    assert block(torch.randn(2, 8, 9, 9)).shape == (2, 16, 5, 5)
    # the depthwise conv filters each channel alone: channel 0 of its output reads channel 0 only
    x = torch.zeros(1, 8, 5, 5, requires_grad=True)
    depthwise(x)[0, 0].sum().backward()
    assert x.grad[0, 1:].abs().sum() == 0 and x.grad[0, 0].abs().sum() > 0


@pytest.mark.parametrize("width", [16, 32])
def test_small_mobilenet_and_its_full_convolution_twin(width):
    with torch.device("meta"):
        separable = SmallMobileNet(width=width)
        full = SmallMobileNet(width=width, full_convolution=True)
    blocks = list(separable.blocks)
    assert len(blocks) == len(full.blocks) == len(MOBILENET_BLOCKS)
    assert all(isinstance(b, DepthwiseSeparable) for b in blocks)
    assert [b.out_channels for b in blocks] == [b.conv.out_channels for b in full.blocks]
    assert min(b.out_channels for b in blocks) >= 32
    assert flops_per_image(separable) / flops_per_image(full) <= 0.2


# ---------------------------------------------------------------- ConvNeXt


def test_layer_norm_2d_normalises_each_pixel_over_its_channels():
    torch.manual_seed(0)
    norm = LayerNorm2d(6)
    x = torch.randn(2, 6, 3, 4) * 5 + 2
    y = norm(x)
    torch.testing.assert_close(y.mean(dim=1), torch.zeros(2, 3, 4), atol=1e-5, rtol=0)
    expected = F.layer_norm(x.permute(0, 2, 3, 1), (6,), eps=1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(y, expected)


def test_convnext_block_is_x_plus_a_scaled_inverted_bottleneck():
    torch.manual_seed(0)
    c = 8
    block = ConvNeXtBlock(c, layer_scale=None)
    r = block.residual
    assert r.dwconv.groups == c and r.dwconv.kernel_size == (7, 7)
    assert r.pwconv1.out_channels == 4 * c and isinstance(r.gelu, nn.GELU)
    assert [type(m) for m in r] == [nn.Conv2d, LayerNorm2d, nn.Conv2d, nn.GELU, nn.Conv2d]
    x = torch.randn(2, c, 6, 6)
    torch.testing.assert_close(block(x), x + r(x))
    assert count_parameters(block) == (49 * c + c) + 2 * c + (4 * c * c + 4 * c) + (4 * c * c + c)
    scaled = ConvNeXtBlock(c)  # layer scale 1e-6: the block starts as (almost) the identity
    assert scaled.gamma is not None and scaled.gamma.shape == (c, 1, 1)
    torch.testing.assert_close(scaled(x), x, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="layer_scale"):
        ConvNeXtBlock(c, layer_scale=0.0)


def test_small_convnext_stages():
    model = SmallConvNeXt(width=8, depths=(1, 2, 1))
    assert [len([m for m in s if isinstance(m, ConvNeXtBlock)]) for s in model.stages()] == [1, 2, 1]
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert model.stage3.downsample.out_channels == 32
    with pytest.raises(ValueError, match="depths"):
        SmallConvNeXt(depths=())


def test_the_new_models_are_registered_by_name():
    for name, cls in (
        ("small_resnext", SmallResNeXt),
        ("small_se_resnet", SmallSEResNet),
        ("small_mobilenet", SmallMobileNet),
        ("small_convnext", SmallConvNeXt),
    ):
        with torch.device("meta"):
            model = build_model(name, num_classes=3)
        assert isinstance(model, cls) and model.fc.out_features == 3
