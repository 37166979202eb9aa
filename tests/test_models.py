"""The architecture library: full-size parity with torchvision, the papers' CIFAR figures,
each block's defining property, the course-scale models, and bad configurations."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlessons.layers import PAPER_LRN, GroupedLRN
from cnnlessons.models import (
    CIFAR,
    EXPERIMENT_MODELS,
    FULL_SIZE,
    INITIALISERS,
    MODELS,
    PAPER_CHANNELS,
    SMALL,
    AlexNet,
    Bottleneck,
    ConvHead,
    DenseBlock,
    DenseLayer,
    FCHead,
    Figure1CNN,
    GoogLeNet,
    Inception,
    KernelModel,
    PadShortcut,
    ResidualBlock,
    SmallAlexNet,
    SmallResNet,
    SmallVGG,
    Transition,
    VGGBlock,
    build_model,
    cifar_densenet,
    fc_to_conv,
    model_table,
    resnet18,
)
from cnnlessons.models.densenet import dense_out_channels
from cnnlessons.models.googlenet import GoogLeNetOutputs, reduction_params
from cnnlessons.models.init import he_init
from cnnlessons.models.resnet import DEFAULT_SHORTCUT, check_cifar_depth


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def shapes(model: nn.Module) -> list:
    return sorted(tuple(p.shape) for p in model.parameters())


def assert_every_parameter_gets_gradient(module: nn.Module, x: torch.Tensor) -> None:
    out = module(x)
    (out * torch.randn_like(out)).sum().backward()
    for name, p in module.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches {name}"


# ---------------------------------------------------------------- full size, against torchvision

TORCHVISION_PARAMS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "googlenet": 6_624_904,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet152": 60_192_808,
    "densenet121": 7_978_856,
}


@pytest.mark.parametrize("name", FULL_SIZE)
def test_full_size_matches_torchvision_parameter_for_parameter(name):
    # Both built on the meta device: shapes without memory or initialisation cost.
    kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    with torch.device("meta"):
        ours = build_model(name)
        theirs = getattr(torchvision.models, name)(weights=None, **kwargs)
    assert n_params(ours) == n_params(theirs) == TORCHVISION_PARAMS[name]
    assert shapes(ours) == shapes(theirs)
    with pytest.raises(ValueError, match="in_channels"):
        ours(torch.zeros(1, 1, 224, 224, device="meta"))


def test_full_size_models_build_and_run_on_cpu():
    torch.manual_seed(0)
    alexnet = AlexNet().eval()
    assert alexnet(torch.randn(1, 3, 224, 224)).shape == (1, 1000)  # the one 224x224 forward pass
    for model in (
        resnet18(num_classes=7),
        build_model("densenet121", num_classes=7),
        GoogLeNet(num_classes=7),
    ):
        assert model.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 7)


def test_paper_variants():
    with torch.device("meta"):
        assert n_params(build_model("alexnet_paper")) == 60_965_224
        assert n_params(AlexNet(channels=PAPER_CHANNELS)) == 62_378_344  # one tower: conv2/4/5 twice as big
        paper = build_model("googlenet_paper")
        assert n_params(paper) == 6_998_552
        assert paper.inception3a.branches[2][1].conv.kernel_size == (5, 5)
        with_aux = GoogLeNet(aux_logits=True)
        theirs = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True)
        assert n_params(with_aux) == n_params(theirs) == 13_004_888
        out = with_aux.train()(torch.zeros(2, 3, 224, 224, device="meta"))
        assert isinstance(out, GoogLeNetOutputs) and out.logits.shape == out.aux_logits1.shape == (2, 1000)
        assert with_aux.eval()(torch.zeros(2, 3, 224, 224, device="meta")).shape == (2, 1000)


def test_googlenet_transform_input_maps_imagenet_normalisation_to_minus_one_one():
    model = GoogLeNet(transform_input=True)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    white = (torch.ones(1, 3, 2, 2) - mean[:, None, None]) / std[:, None, None]  # pixel 1.0, normalised
    torch.testing.assert_close(model._transform_input(white), torch.ones(1, 3, 2, 2))
    assert not GoogLeNet().transform_input and build_model("googlenet", weights=None).transform_input is False
    with pytest.raises(ValueError, match="transform_input=True needs in_channels=3"):
        GoogLeNet(in_channels=1, transform_input=True)


def test_alexnet_towers_are_grouped_convolutions():
    with torch.device("meta"):
        one, two = AlexNet(groups=1), AlexNet(groups=2, lrn=True)
        old_name = AlexNet(groups=2, use_lrn=True)  # the older keyword still works
    convs = {n: m for n, m in two.features.named_children() if isinstance(m, nn.Conv2d)}
    assert {n: m.groups for n, m in convs.items()} == {
        "conv1": 1,
        "conv2": 2,
        "conv3": 1,
        "conv4": 2,
        "conv5": 2,
    }
    # Grouping halves the weights of conv2, conv4 and conv5.
    saved = (64 * 192 * 25 + 384 * 256 * 9 + 256 * 256 * 9) // 2
    assert n_params(one) - n_params(two) == saved == 890_880
    lrns = [n for n, m in two.features.named_children() if isinstance(m, GroupedLRN)]
    assert lrns == ["lrn1", "lrn2"] and two.features.lrn1.groups == 2
    assert two.features.lrn1.lrn.k == 2.0 and two.features.lrn1.lrn.size == 5
    # PyTorch divides alpha by the window size n = 5, the AlexNet paper does not
    assert dict(PAPER_LRN) == {"size": 5, "alpha": 5e-4, "beta": 0.75, "k": 2.0}
    assert shapes(old_name) == shapes(two) and [n for n, _ in old_name.features.named_children()] == [
        n for n, _ in two.features.named_children()
    ]
    with pytest.raises(ValueError, match="use_lrn"):
        AlexNet(lrn=True, use_lrn=False)
    with pytest.raises(ValueError, match="groups"):
        AlexNet(groups=3)


# ---------------------------------------------------------------- the papers' CIFAR-10 nets


@pytest.mark.parametrize("depth, millions", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)])
def test_small_resnet_reproduces_table_6(depth, millions):
    with torch.device("meta"):
        residual = SmallResNet(depth=depth)
        plain = build_model(f"plain{depth}")
        option_b = SmallResNet(depth=depth, shortcut="projection_where_needed")
    assert float(f"{n_params(residual) / 1e6:.2g}") == millions
    assert n_params(plain) == n_params(residual)  # option A shortcuts have no parameters
    assert n_params(option_b) > n_params(residual)
    assert option_b.shortcut_type == DEFAULT_SHORTCUT
    convs = [m for m in residual.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == depth  # 6n+1 convs and the FC layer
    assert all(block.shortcut is None for block in plain.modules() if isinstance(block, ResidualBlock))


def test_a_shortcut_left_unnamed_is_refused():
    with pytest.raises(ValueError, match="shortcut must be one of 'projection_where_needed', 'identity'"):
        SmallResNet(depth=8, shortcut=None)


def test_the_small_models_default_to_the_lessons_configuration():
    assert SmallResNet().depth == 14 and n_params(SmallResNet()) == n_params(build_model("small_resnet"))
    assert len(SmallResNet().layer1) == 2  # ResNet-14: two blocks a stage


def test_small_resnet_runs_and_downsamples():
    torch.manual_seed(0)
    model = SmallResNet(depth=20).eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert [stage[0].out_channels for stage in model.stages()] == [16, 32, 64]
    assert isinstance(model.layer2[0].shortcut, PadShortcut)


@pytest.mark.parametrize("depth", [21, 19, 2, 20.0])
def test_small_resnet_depth_must_be_6n_plus_2(depth):
    with pytest.raises(ValueError, match="depth"):
        SmallResNet(depth=depth)
    with pytest.raises(ValueError, match="depth must be 6n\\+2"):
        check_cifar_depth(depth)


def test_check_cifar_depth_accepts_6n_plus_2():
    assert [check_cifar_depth(d) for d in (8, 14, 20, 56, 110)] == [8, 14, 20, 56, 110]


def test_cifar_densenet_reproduces_table_2():
    with torch.device("meta"):
        densenet = build_model("densenet40")
        bc = build_model("densenet_bc100")
    assert round(n_params(densenet) / 1e6, 1) == 1.0
    assert round(n_params(bc) / 1e6, 1) == 0.8
    assert n_params(densenet) == 1_019_722 and n_params(bc) == 769_162
    assert densenet.block_config == (12, 12, 12) and bc.block_config == (16, 16, 16)
    with pytest.raises(ValueError, match="depth"):
        cifar_densenet(41)
    with pytest.raises(ValueError, match="depth"):
        cifar_densenet(43, bottleneck=True)
    assert cifar_densenet(43).block_config == (13, 13, 13)


# ---------------------------------------------------------------- VGG


def test_vgg_block_contract():
    torch.manual_seed(0)
    block = VGGBlock(3, 4, 8)
    assert block(torch.randn(2, 4, 10, 10)).shape == (2, 8, 5, 5)
    convs = [m for m in block if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and all(
        c.kernel_size == (3, 3) and c.padding == (1, 1) and c.bias is not None for c in convs
    )
    assert isinstance(block[-1], nn.MaxPool2d) and (block[-1].kernel_size, block[-1].stride) == (2, 2)
    assert n_params(block) == (9 * 4 * 8 + 8) + 2 * (9 * 8 * 8 + 8)
    assert_every_parameter_gets_gradient(block, torch.randn(4, 4, 8, 8))


def test_three_3x3_cost_27c2_against_49c2_for_one_7x7():
    c = 64
    stack = nn.Sequential(*[nn.Conv2d(c, c, 3, padding=1, bias=False) for _ in range(3)])
    assert n_params(stack) == 27 * c * c
    assert n_params(nn.Conv2d(c, c, 7, bias=False)) == 49 * c * c


def test_fc_head_as_convolutions():
    torch.manual_seed(0)
    fc = FCHead(in_channels=6, spatial=3, hidden=20, num_classes=5).eval()
    conv = fc_to_conv(fc)
    assert isinstance(conv, ConvHead) and conv.conv1.kernel_size == (3, 3)
    x = torch.randn(4, 6, 3, 3)
    torch.testing.assert_close(conv(x).flatten(1), fc(x))
    big = torch.randn(4, 6, 7, 9)
    assert conv(big).shape == (4, 5, 5, 7)
    # Each position of the score map is the FC head applied to the window under it.
    torch.testing.assert_close(conv(big)[:, :, 2, 4], fc(big[:, :, 2:5, 4:7]))
    assert conv.class_scores(big).shape == (4, 5)


def test_fc_to_conv_converts_a_torchvision_style_classifier():
    torch.manual_seed(0)
    head = nn.Sequential(nn.Linear(8 * 2 * 2, 16), nn.ReLU(True), nn.Dropout(), nn.Linear(16, 3)).eval()
    conv = fc_to_conv(head, in_channels=8, spatial=2)
    x = torch.randn(2, 8, 2, 2)
    torch.testing.assert_close(conv(x).flatten(1), head(x.flatten(1)))
    with pytest.raises(ValueError, match="in_channels"):
        fc_to_conv(head)
    with pytest.raises(ValueError, match="in_channels"):
        fc_to_conv(head, in_channels=5, spatial=2)


def test_small_vgg_fully_convolutional_evaluation():
    torch.manual_seed(0)
    model = SmallVGG(in_channels=1).eval()  # 3 blocks: 16x16 -> 2x2, the head's training size
    dense = model.fully_convolutional().eval()
    x = torch.randn(3, 1, 16, 16)
    torch.testing.assert_close(dense(x).flatten(1), model(x))
    assert dense(torch.randn(1, 1, 48, 48)).shape == (1, 10, 5, 5)  # 6x6 features -> 5x5 score map
    deeper = SmallVGG(num_blocks=4, convs_per_block=[1, 1, 2, 2])
    assert sum(isinstance(m, nn.Conv2d) for m in deeper.modules()) == 6
    with pytest.raises(ValueError, match="convs_per_block"):
        SmallVGG(num_blocks=3, convs_per_block=[1, 2])


# ---------------------------------------------------------------- GoogLeNet


def test_reduction_params_contract():
    assert reduction_params(128, 32, 128) == (147_456, 40_960)
    assert reduction_params(192, 16, 32, kernel_size=5) == (153_600, 3_072 + 12_800)
    for c_in, r, c_out, k in [(7, 3, 5, 3), (64, 16, 48, 5), (10, 10, 10, 1)]:
        direct = nn.Conv2d(c_in, c_out, k, bias=False)
        reduced = nn.Sequential(nn.Conv2d(c_in, r, 1, bias=False), nn.Conv2d(r, c_out, k, bias=False))
        assert reduction_params(c_in, r, c_out, k) == (n_params(direct), n_params(reduced))
    with pytest.raises(ValueError, match="reduced_channels"):
        reduction_params(128, 0, 128)


def test_inception_is_the_concatenation_of_its_branches_in_order():
    torch.manual_seed(0)
    block = Inception(16, 4, (6, 8), (2, 3), 5)
    assert block.out_channels == 4 + 8 + 3 + 5
    x = torch.randn(2, 16, 9, 9)
    out = block(x)
    assert out.shape == (2, 20, 9, 9)
    parts = [branch(x) for branch in block.branches]
    assert [p.shape[1] for p in parts] == [4, 8, 3, 5]
    assert torch.equal(out, torch.cat(parts, dim=1))
    assert (out >= 0).all()  # ReLU after every conv
    kernels = [[m.kernel_size for m in b.modules() if isinstance(m, nn.Conv2d)] for b in block.branches]
    assert kernels == [[(1, 1)], [(1, 1), (3, 3)], [(1, 1), (5, 5)], [(1, 1)]]
    pool = block.branches[3][0]
    assert isinstance(pool, nn.MaxPool2d) and (pool.kernel_size, pool.stride, pool.padding) == (3, 1, 1)
    assert n_params(block) == (16 * 4 + 4) + (16 * 6 + 6 + 9 * 6 * 8 + 8) + (16 * 2 + 2 + 25 * 2 * 3 + 3) + (
        16 * 5 + 5
    )
    assert_every_parameter_gets_gradient(block, torch.randn(2, 16, 6, 6))


def test_inception_torchvision_variant_matches_torchvision_block():
    from torchvision.models.googlenet import Inception as TorchvisionInception

    ours = Inception(192, 64, (96, 128), (16, 32), 32, batch_norm=True, c3_kernel_size=3)
    theirs = TorchvisionInception(192, 64, 96, 128, 16, 32, 32)
    assert shapes(ours) == shapes(theirs)
    with pytest.raises(TypeError, match="c2"):
        Inception(16, 4, 8, (2, 3), 5)


# ---------------------------------------------------------------- ResNet


def zero_residual(block: nn.Module) -> None:
    with torch.no_grad():
        block.residual[-1].weight.zero_()
        block.residual[-1].bias.zero_()


@pytest.mark.parametrize(
    "in_c, out_c, stride, shortcut, kind",
    [
        (8, 8, 1, "projection_where_needed", nn.Identity),
        (8, 16, 2, "projection_where_needed", nn.Sequential),
        (8, 16, 2, "identity", PadShortcut),
        (8, 8, 1, "identity", nn.Identity),
        (8, 8, 1, "projection", nn.Sequential),
    ],
)
def test_residual_block_shortcuts(in_c, out_c, stride, shortcut, kind):
    torch.manual_seed(0)
    block = ResidualBlock(in_c, out_c, stride, shortcut=shortcut)
    assert type(block.shortcut) is kind
    x = torch.randn(2, in_c, 8, 8)
    assert block(x).shape == (2, out_c, 8 // stride, 8 // stride)
    assert_every_parameter_gets_gradient(block, x)
    zero_residual(block)
    torch.testing.assert_close(block(x), torch.relu(block.shortcut(x)))


def test_residual_block_layers_and_projection():
    block = ResidualBlock(8, 16, stride=2)
    layers = [type(m) for m in block.residual]
    assert layers == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Conv2d, nn.BatchNorm2d]
    assert block.residual[0].stride == (2, 2) and block.residual[3].stride == (1, 1)
    conv, bn = block.shortcut
    assert conv.kernel_size == (1, 1) and conv.stride == (2, 2) and isinstance(bn, nn.BatchNorm2d)
    assert n_params(block) == 9 * 8 * 16 + 9 * 16 * 16 + 8 * 16 + 3 * 2 * 16


def test_identity_shortcut_pads_with_zero_channels():
    x = torch.randn(1, 4, 6, 6)
    out = PadShortcut(4, 8, stride=2)(x)
    assert out.shape == (1, 8, 3, 3)
    assert torch.equal(out[:, :4], x[:, :, ::2, ::2]) and not out[:, 4:].any()


def test_plain_block_has_no_shortcut():
    torch.manual_seed(0)
    block = ResidualBlock(8, 16, 2, shortcut="none")
    assert block.shortcut is None
    zero_residual(block)
    assert not block(torch.randn(1, 8, 4, 4)).any()
    with pytest.raises(ValueError, match="shortcut"):
        ResidualBlock(8, 8, shortcut="skip")


@pytest.mark.parametrize("in_c, stride", [(32, 1), (16, 2)])
def test_bottleneck(in_c, stride):
    torch.manual_seed(0)
    block = Bottleneck(in_c, 8, stride=stride)
    assert Bottleneck.expansion == 4 and block.out_channels == 32
    kernels = [m.kernel_size for m in block.residual if isinstance(m, nn.Conv2d)]
    assert kernels == [(1, 1), (3, 3), (1, 1)]
    x = torch.randn(2, in_c, 8, 8)
    assert block(x).shape == (2, 32, 8 // stride, 8 // stride)
    residual_params = in_c * 8 + 9 * 8 * 8 + 8 * 32 + 2 * (8 + 8 + 32)
    projection = 0 if in_c == 32 and stride == 1 else in_c * 32 + 2 * 32
    assert n_params(block) == residual_params + projection
    assert_every_parameter_gets_gradient(block, x)
    zero_residual(block)
    torch.testing.assert_close(block(x), torch.relu(block.shortcut(x)))


def test_bottleneck_is_cheaper_than_two_3x3_at_the_same_width():
    basic = ResidualBlock(256, 256)
    bottleneck = Bottleneck(256, 64)
    assert n_params(basic) == 2 * 9 * 256 * 256 + 4 * 256
    assert n_params(bottleneck) == 256 * 64 + 9 * 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256) == 70_400


# ---------------------------------------------------------------- DenseNet


def test_dense_block_keeps_its_input_and_grows_linearly():
    torch.manual_seed(0)
    block = DenseBlock(4, 6, growth_rate=3)
    assert block.out_channels == 6 + 4 * 3 == dense_out_channels(6, 4, 3)
    x = torch.randn(2, 6, 5, 5)
    out = block(x)
    assert out.shape == (2, 18, 5, 5)
    assert torch.equal(out[:, :6], x)
    block.eval()
    out = block(x)
    for i, layer in enumerate(block.layers):
        c = 6 + i * 3
        assert layer.in_channels == c
        torch.testing.assert_close(out[:, c : c + 3], layer(out[:, :c]))
    assert_every_parameter_gets_gradient(block.train(), x)


def test_dense_layer_variants():
    plain = DenseLayer(10, 4)
    assert [type(m) for m in plain.layers] == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d]
    assert plain.layers[-1].kernel_size == (3, 3) and plain.layers[-1].padding == (1, 1)
    assert n_params(plain) == 2 * 10 + 9 * 10 * 4
    bottleneck = DenseLayer(10, 4, bottleneck=True, bn_size=4)
    assert n_params(bottleneck) == 2 * 10 + 10 * 16 + 2 * 16 + 9 * 16 * 4
    assert bottleneck(torch.randn(2, 10, 6, 6)).shape == (2, 4, 6, 6)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: DenseBlock(3, 8, growth_rate=0), "growth_rate"),
        (lambda: DenseBlock(3, 8, growth_rate=-4), "growth_rate"),
        (lambda: DenseBlock(0, 8, growth_rate=4), "num_layers"),
        (lambda: DenseLayer(8, 0), "growth_rate"),
        (lambda: cifar_densenet(40, growth_rate=0), "growth_rate"),
    ],
)
def test_dense_bad_configs_name_the_parameter(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize("relu", [True, False])
def test_transition(relu):
    torch.manual_seed(0)
    t = Transition(12, 6, relu=relu)
    kinds = [type(m) for m in t]
    expected = (
        [nn.BatchNorm2d, nn.ReLU, nn.Conv2d, nn.AvgPool2d]
        if relu
        else [nn.BatchNorm2d, nn.Conv2d, nn.AvgPool2d]
    )
    assert kinds == expected
    x = torch.randn(2, 12, 8, 8)
    assert t(x).shape == (2, 6, 4, 4)
    assert n_params(t) == 2 * 12 + 12 * 6
    assert_every_parameter_gets_gradient(t, x)


# ---------------------------------------------------------------- course-scale models


@pytest.mark.parametrize("name", SMALL)
def test_small_models_train_on_digits_and_cifar_shapes(name):
    torch.manual_seed(0)
    digits = build_model(name, in_channels=1)
    assert digits(torch.randn(2, 1, 16, 16)).shape == (2, 10)
    cifar = build_model(name)
    assert 50_000 <= n_params(cifar) <= 600_000
    assert cifar.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 10)
    assert_every_parameter_gets_gradient(cifar.train(), torch.randn(4, 3, 16, 16))
    with pytest.raises(ValueError, match="in_channels"):
        cifar(torch.randn(2, 1, 32, 32))


def test_small_alexnet_options():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    for activation in ("relu", "tanh", "sigmoid"):
        model = SmallAlexNet(activation=activation, lrn=True)
        assert model(x).shape == (2, 10)
        kinds = {type(m) for m in model.modules()}
        assert {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}[
            next(k for k in (nn.ReLU, nn.Tanh, nn.Sigmoid) if k in kinds)
        ] == activation
    overlapping, plain = SmallAlexNet(), SmallAlexNet(overlapping_pool=False)
    assert overlapping.features.pool1.kernel_size == 3 and plain.features.pool1.kernel_size == 2
    assert overlapping.features(x).shape == plain.features(x).shape == (2, 32, 4, 4)
    assert n_params(SmallAlexNet(groups=2)) < n_params(SmallAlexNet())
    with pytest.raises(ValueError, match="activation"):
        SmallAlexNet(activation="elu")


def test_registry():
    assert set(FULL_SIZE) | set(CIFAR) | set(SMALL) <= set(MODELS)
    for name in ("resnet20", "resnet110", "plain56", "densenet40", "densenet_bc100", "small_resnet"):
        assert name in CIFAR + SMALL
    with pytest.raises(ValueError, match="resnet20"):  # the message lists the known names
        build_model("resnet21")
    model = build_model("small_resnet", num_classes=3, depth=8, shortcut="none")
    assert model.fc.out_features == 3 and model.depth == 8


# ---------------------------------------------------------------- models of single lesson experiments


def test_figure1_cnn_is_four_weight_layers():
    model = build_model("figure1_cnn", activation="tanh", in_channels=1, num_classes=10)
    assert isinstance(model, Figure1CNN)
    weights = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert [type(m).__name__ for m in weights] == ["Conv2d"] * 3 + ["Linear"]
    assert [m.out_channels for m in weights[:3]] == [32, 32, 64]
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 3
    assert model(torch.zeros(2, 1, 16, 16)).shape == model(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    assert [m.out_channels for m in Figure1CNN(width=8).modules() if isinstance(m, nn.Conv2d)] == [8, 8, 16]
    with pytest.raises(ValueError, match="activation must be one of"):
        Figure1CNN("swish")


def test_he_init_leaves_the_output_layer_small():
    torch.manual_seed(0)
    model = INITIALISERS["he"](SmallAlexNet(10, 3, width=8))
    assert INITIALISERS["he"] is he_init
    fc8 = model.classifier.fc8.weight
    conv1 = model.features.conv1.weight
    assert conv1.std().item() == pytest.approx((2 / (3 * 25)) ** 0.5, rel=0.1)
    assert fc8.std().item() < (1 / fc8.shape[1]) ** 0.5  # PyTorch's default, not He's
    assert not model.classifier.fc6.bias.any()


def test_kernel_model_receptive_field_and_weights():
    torch.manual_seed(0)
    big = build_model("kernel_model", kernel_size=7, num_layers=1, in_channels=1, num_classes=5, width=8)
    small = KernelModel(3, 3, in_channels=1, num_classes=5, width=8)
    assert big.receptive_field == small.receptive_field == 7
    assert (big.conv_weights, small.conv_weights) == (49 * 64, 27 * 64)
    x = torch.randn(2, 1, 16, 16)
    assert big(x).shape == small(x).shape == (2, 5)
    assert_every_parameter_gets_gradient(small, x)
    with pytest.raises(ValueError, match="num_layers"):
        KernelModel(3, 0)


@pytest.mark.parametrize("size", [16, 32])
def test_small_vgg_image_size_pools_to_the_last_feature_map(size):
    model = build_model("small_vgg", in_channels=1, image_size=size)
    assert model.avgpool.output_size == (size // 8, size // 8)
    assert SmallVGG(num_blocks=2, image_size=size).avgpool.output_size == (size // 4, size // 4)
    assert SmallVGG(image_size=4).avgpool.output_size == (1, 1)
    assert SmallVGG().avgpool.output_size == (2, 2) == SmallVGG(pool_size=2).avgpool.output_size
    with pytest.raises(ValueError, match="pool_size or image_size"):
        SmallVGG(pool_size=2, image_size=size)
    with pytest.raises(ValueError, match="image_size"):
        SmallVGG(image_size=0)


def test_experiment_models_are_registered_outside_the_tabled_groups():
    assert set(EXPERIMENT_MODELS) <= set(MODELS)
    assert not set(EXPERIMENT_MODELS) & set(FULL_SIZE + CIFAR + SMALL)
    table = model_table(("resnet20", "small_alexnet"))
    assert "| resnet20 | CIFAR |" in table and "| small_alexnet | small |" in table


def test_the_ledger_variants_are_arguments_that_leave_the_defaults_alone():
    from cnnlessons.models import Figure1CNN, SmallAlexNet, SmallGoogLeNet

    def count(model: nn.Module) -> int:
        return sum(p.numel() for p in model.parameters())

    assert count(SmallAlexNet()) == 122_250 and count(SmallGoogLeNet()) == 207_666  # the converged ones
    wide = SmallAlexNet(hidden=512)
    assert wide.classifier.fc6.out_features == 512 and wide.classifier.fc7.in_features == 512
    with pytest.raises(ValueError, match="hidden"):
        SmallAlexNet(hidden=0)
    deep = Figure1CNN("tanh", extra_convs=2)
    convs = [m for m in deep.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 9 and deep(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert sum(isinstance(m, nn.Tanh) for m in deep.modules()) == 9
    with pytest.raises(ValueError, match="extra_convs"):
        Figure1CNN(extra_convs=-1)
    naive = SmallGoogLeNet(width=8, reductions=False)
    reduced = SmallGoogLeNet(width=8)
    assert count(naive) > 3 * count(reduced)
    x = torch.zeros(2, 3, 32, 32)
    assert naive(x).shape == reduced(x).shape == (2, 10)
    block = naive.blocks.inception_a
    assert [m.in_channels for m in block.modules() if isinstance(m, nn.Conv2d)][1:3] == [
        block.in_channels
    ] * 2


def test_glorot_init_gives_the_variance_made_for_tanh_and_leaves_the_output_layer():
    from cnnlessons.models import INITIALISERS, Figure1CNN

    torch.manual_seed(0)
    model = INITIALISERS["glorot"](Figure1CNN("tanh", width=32))
    fan = 32 * 25
    assert float(model.conv2.weight.detach().std()) == pytest.approx((2 / (fan + fan)) ** 0.5, rel=0.1)
    assert float(model.conv2.bias.detach().abs().max()) == 0.0
    torch.manual_seed(0)
    assert torch.equal(model.fc.weight, Figure1CNN("tanh", width=32).fc.weight)  # the default, untouched
