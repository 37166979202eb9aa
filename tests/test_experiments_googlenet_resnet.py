"""The plumbing of lessons 03 (GoogLeNet) and 04 (ResNet), on real small computations."""

import math

import pytest
import torch
from torch import nn

from cnnlessons.lessons import googlenet as g
from cnnlessons.lessons import resnet as r
from cnnlessons.models import GoogLeNet, Inception, build_model
from cnnlessons.models.googlenet import SMALL_BLOCKS

# -- lesson 03 ----------------------------------------------------------------------------------


def test_reduction_widths_lists_each_blocks_1x1_reductions():
    block = Inception(192, 64, (96, 128), (16, 32), 32)
    assert g.reduction_widths(block) == [96, 16]
    assert g.reduction_widths(Inception(192, 64, (96, 128), (16, 32), 32, reductions=False)) == []
    small = build_model("small_googlenet", width=8)
    assert g.reduction_widths(small) == [12, 2, 16, 4, 12, 2, 20, 4, 24, 6]


def test_figure_2a_block_passes_the_pooled_input_on_and_its_channels_grow():
    torch.manual_seed(0)
    block = Inception(6, 2, (3, 4), (1, 5), 7, reductions=False, pool_projection=False).eval()
    x = torch.randn(2, 6, 5, 5)
    out = block(x)
    assert block.out_channels == out.shape[1] == 2 + 4 + 5 + 6  # c4 unused: the 6 input channels
    assert torch.equal(out[:, -6:], nn.functional.max_pool2d(x, 3, stride=1, padding=1))
    assert not any(isinstance(m, nn.Conv2d) for m in block.branches[3].modules())
    projected = Inception(6, 2, (3, 4), (1, 5), 7, reductions=False)
    assert projected.out_channels == 2 + 4 + 5 + 7
    assert sum(isinstance(m, nn.Conv2d) for m in projected.branches[3].modules()) == 1


def test_naive_growth_counts_the_small_googlenet_three_ways():
    reduced, projected, naive = g.naive_growth(width=16, input_size=(3, 32, 32))
    assert [c.design for c in (reduced, projected, naive)] == list(g.BLOCK_DESIGNS)
    assert reduced.channels == projected.channels == (64, 120, 128, 208, 256)
    stem = 48
    grown, c = [], stem
    for c1, c2, c3, _ in (block for item in SMALL_BLOCKS if item != "pool" for block in [item[1]]):
        c = c1 + c2[1] + c3[1] + c
        grown.append(c)
    assert naive.channels == tuple(grown) == (104, 208, 320, 496, 720)
    assert reduced.weights == 207_666  # the shipped checkpoint's model
    assert reduced.weights < projected.weights < naive.weights
    assert reduced.flops < projected.flops < naive.flops
    net = build_model("small_googlenet", width=16, reductions=False, pool_projection=False)
    assert sum(p.numel() for p in net.parameters()) == naive.weights
    assert net(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_ablation_pair_has_equal_flops(profile):
    """googlenet.reductions compares at equal FLOPs: the reduced arm's FLOPs per image within 10% of
    the naive arm's on the profile's images, at the smallest common width factor that gets there."""
    from cnnlessons.lessons.googlenet.recipes import ABLATIONS
    from cnnlessons.measure import flops_per_image
    from cnnlessons.profiles import get_profile

    p = get_profile(profile)
    size = (1 if p.dataset == "digits" else 3, p.image_size, p.image_size)
    arms = ABLATIONS.arms_for(g.claims.REDUCTIONS, profile)

    def flops(label: str, **change) -> int:
        run = ABLATIONS.run(label, profile)
        kwargs = {**run.model_kwargs, **change}
        return flops_per_image(build_model(run.model, in_channels=size[0], **kwargs), size)

    naive, reduced = flops(arms["naive"]), flops(arms["reduced"])
    assert 0.9 <= reduced / naive <= 1.1, (profile, reduced / naive)
    narrower = ABLATIONS.run(arms["reduced"], profile).model_kwargs["width"] - 1
    assert flops(arms["reduced"], width=narrower) / naive < 0.9  # the smallest width that gets there
    # the batch-norm arms keep the naive net's width: only the reductions' pair is rescaled
    bn = ABLATIONS.arms_for(g.claims.BATCH_NORM, profile)
    widths = {ABLATIONS.run(label, profile).model_kwargs["width"] for label in [*bn.values(), arms["naive"]]}
    assert len(widths) == 1


def test_compare_reduction_counts_the_sources_example_on_real_layers():
    cmp = g.compare_reduction(128, 32, 128, kernel_size=3, size=28)
    assert (cmp.direct_params, cmp.reduced_params) == (147_456, 40_960)
    assert cmp.direct_shape == cmp.reduced_shape == (1, 128, 28, 28)
    assert cmp.direct_receptive_field == cmp.reduced_receptive_field == (3, 3)
    assert cmp.direct_flops == 2 * 147_456 * 28 * 28
    assert cmp.reduced_flops == 2 * 40_960 * 28 * 28
    assert cmp.saving == pytest.approx(40_960 / 147_456)
    five = g.compare_reduction(16, 4, 8, kernel_size=5, size=9)
    assert (five.direct_params, five.reduced_params) == (25 * 16 * 8, 16 * 4 + 25 * 4 * 8)
    assert five.reduced_receptive_field == (5, 5)


@pytest.mark.parametrize("key", list(g.GOOGLENET_BRANCHES))
def test_branch_cost_of_real_layers_equals_the_formula(key):
    b = g.GOOGLENET_BRANCHES[key]
    for width in (1, b.reduced_channels, b.in_channels):
        assert g.branch_cost(
            b.in_channels, width, b.out_channels, b.kernel_size, b.size
        ) == g.branch_cost_formula(b.in_channels, width, b.out_channels, b.kernel_size, b.size)
    assert g.branch_cost(b.in_channels, None, b.out_channels, b.kernel_size, b.size) == g.branch_cost_formula(
        b.in_channels, None, b.out_channels, b.kernel_size, b.size
    )


def test_googlenet_block_inputs_follow_the_papers_table():
    inputs = g.googlenet_block_inputs()
    assert inputs == {
        "inception3a": 192,
        "inception3b": 256,
        "inception4a": 480,
        "inception4b": 512,
        "inception4c": 512,
        "inception4d": 512,
        "inception4e": 528,
        "inception5a": 832,
        "inception5b": 832,
    }
    assert g.GOOGLENET_BRANCHES["3a 5x5"].reduced_channels == 16


def test_branch_shapes_of_block_3a():
    block = Inception(192, 64, (96, 128), (16, 32), 32)
    shapes, out = g.branch_shapes(block, torch.zeros(2, 192, 9, 9))
    assert [name for name, _ in shapes] == list(g.BRANCH_NAMES)
    assert [s[1] for _, s in shapes] == [64, 128, 32, 32]
    assert all(s[2:] == (9, 9) for _, s in shapes)
    assert out == (2, 256, 9, 9)


def test_weight_layer_depth_counts_the_longest_path():
    seq = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 1), nn.Flatten(), nn.LazyLinear(2))
    assert g.weight_layer_depth(seq, (3, 8, 8)) == 3
    assert g.weight_layer_depth(Inception(8, 2, (2, 2), (2, 2), 2), (8, 5, 5)) == 2
    with torch.device("meta"):
        net = GoogLeNet()
        vgg = build_model("vgg19")
    assert g.weight_layer_depth(net) == 22
    assert g.weight_layer_depth(vgg) == 19
    assert net.training  # left in the mode it was in


def test_architecture_table_recomputes_the_sources_figures():
    rows = {row.name: row for row in g.architecture_table()}
    alexnet, vgg, googlenet = rows["AlexNet"], rows["VGG-19"], rows["GoogLeNet"]
    assert (alexnet.layers, alexnet.params, alexnet.torchvision_params) == (8, 61_100_840, 61_100_840)
    assert (vgg.layers, vgg.params, vgg.torchvision_params) == (19, 143_667_240, 143_667_240)
    assert (googlenet.layers, googlenet.params, googlenet.torchvision_params) == (22, 6_624_904, 6_624_904)
    aux = rows["GoogLeNet + 2 auxiliary classifiers"]
    assert aux.params == aux.torchvision_params == 13_004_888
    assert rows["AlexNet, the paper's two towers"].params == 60_965_224
    assert alexnet.verdict == "source is right (within 5%)"
    assert vgg.verdict == "source is off: parameters: 143.7M, not 110M (+31%)"
    assert googlenet.verdict.startswith("source is off: parameters: 6.6M, not 4M")
    assert rows["GoogLeNet, the paper's layers"].verdict == ""
    text = g.format_table(list(rows.values()))
    assert "143,667,240" in text and "22 layers, 4M" in text
    assert len(text.splitlines()) == 2 + len(rows)
    assert all(line.startswith("|") and line.endswith("|") for line in text.splitlines())  # Markdown


# -- lesson 04 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_degradation_setup_uses_valid_depths(profile):
    setup = r.degradation_setup(profile)
    assert setup.shallow < setup.deep <= setup.max_depth
    assert all((d - 2) % 6 == 0 for d in (*setup.depths, setup.max_depth))
    if profile == "gpu":
        assert (setup.depths, setup.width, setup.epochs) == ((20, 56), 16, 15)


def test_train_resnet_and_the_four_runs(digits):
    runs = {
        (shortcut, depth): r.train_resnet(digits, depth, shortcut, width=2, epochs=1)
        for depth in (8, 14)
        for shortcut in ("none", "identity")
    }
    assert [h.label for h in runs.values()] == ["plain-8", "ResNet-8", "plain-14", "ResNet-14"]
    assert all(h.epoch == [1] and 0 <= h.train_error[0] <= 1 for h in runs.values())
    assert all(len(h.train_eval_error) == 1 for h in runs.values())
    assert all(h.test_acc is not None for h in runs.values())
    # plain and residual (option A) have exactly the same parameters
    assert runs[("none", 14)].info["parameters"] == runs[("identity", 14)].info["parameters"]
    again = r.train_resnet(digits, 8, "none", width=2, epochs=1)
    assert again.train_acc == runs[("none", 8)].train_acc  # seeded: the same run twice
    with pytest.raises(ValueError, match="shortcut must be one of"):
        r.train_resnet(digits, 8, "dense", width=2, epochs=1)
    # the runs are the recipe's: SGD at the paper's learning rate, test accuracy measured
    assert again.info["recipe"] == r.recipes.DEGRADATION.key and again.info["optimizer"] == "sgd"
    assert again.info["lr"] == 0.1 and again.info["depth"] == 8 and again.info["width"] == 2


def test_gradients_of_a_deep_plain_net_are_spread_wider_than_with_shortcuts(digits):
    x, y = digits.batch("train", 32)
    plain = r.gradient_sizes_by_shortcut(56, "none", x, y, width=8)
    residual = r.gradient_sizes_by_shortcut(56, "identity", x, y, width=8)
    assert len(plain) == len(residual) == 56  # 55 convolutions and the classifier
    assert plain[0][0] == "stem.conv" and plain[-1][0] == "fc"
    # among the convolutions (the classifier is the last entry), an order of magnitude narrower
    assert r.gradient_spread(plain[:-1]) > r.gradient_spread(residual[:-1]) + 1
    assert plain[0][1] > 10 * plain[-2][1]  # the plain net's gradients grow towards the input
    # width 8, not 4: on a CPU without AVX-512, oneDNN's 1x1 stride-2 weight-gradient kernel (torch
    # 2.14) corrupts the heap for 4 input channels in channels-last, which a 1-channel batch is too
    projection = r.gradient_sizes_by_shortcut(8, "projection", x, y, width=8)
    assert len(projection) == 8 and not any("shortcut" in name for name, _ in projection)
    assert r.gradient_spread([("a", 1.0), ("b", 100.0)]) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        r.gradient_spread([("a", 0.0)])


def test_shortcuts_at_a_stride_2_stage():
    identity, projection = r.compare_shortcuts(16, 32, stride=2, size=32)
    assert identity.shortcut_params == 0
    assert projection.shortcut_params == 16 * 32 + 2 * 32  # 1x1 conv, BN scale and shift
    assert projection.block_params == identity.block_params + 16 * 32 + 64
    for row in (identity, projection):
        assert row.residual_shape == row.shortcut_shape == row.output_shape == (2, 32, 16, 16)


def test_bottleneck_against_two_3x3_layers():
    bottleneck, wide, narrow = r.bottleneck_costs(256, size=56)
    assert bottleneck.conv_weights == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    assert wide.conv_weights == 2 * 9 * 256 * 256 == 1_179_648
    assert narrow.conv_weights == 2 * 9 * 64 * 64 == 73_728
    assert bottleneck.params == 69_632 + 2 * (64 + 64 + 256)
    assert bottleneck.flops == 2 * 69_632 * 56 * 56
    assert math.isclose(wide.flops / bottleneck.flops, 1_179_648 / 69_632)


def _history(label: str, errors: list[float], val: list[float] | None = None):
    from cnnlessons.history import History

    val = errors if val is None else val
    return History(
        label=label,
        epoch=list(range(1, len(errors) + 1)),
        train_acc=[1 - e for e in errors],
        val_acc=[1 - e for e in val],
        train_loss=[1.0] * len(errors),
        val_loss=[1.0] * len(errors),
        time=[1.0] * len(errors),
        train_eval_acc=[1 - e for e in errors],
        info={"device": "a GPU", "date": "2026-01-01"},
    )


def test_draw_references_adds_the_runs_trained_to_the_end_dashed_to_each_panel():
    import matplotlib.pyplot as plt

    from cnnlessons.plots import legible, plot_seeds

    seeded = {
        "plain-8": {0: _history("plain-8", [0.8, 0.6])},
        "ResNet-8": {0: _history("ResNet-8", [0.8, 0.5])},
    }
    ends = [_history("plain-56, trained to the end (seed 0)", [0.9, 0.4, 0.2], [0.9, 0.5, 0.3])]
    without = _history("no eval error", [0.7, 0.3])
    without.train_eval_acc = []  # recorded without the eval-mode training error: left out of that panel
    metrics = ("train_eval_error", "val_error")
    fig = plot_seeds(seeded, metrics)
    own = [len(ax.get_lines()) for ax in fig.axes]
    assert r.draw_references(fig, [*ends, without], metrics) == 3
    for ax, metric, extra in zip(fig.axes, metrics, (1, 2), strict=True):
        added = ax.get_lines()[own[fig.axes.index(ax)] :]
        assert len(added) == extra and all(line.get_linestyle() == "--" for line in added)
        assert list(added[0].get_ydata()) == pytest.approx(getattr(ends[0], metric))
        assert list(added[0].get_xdata()) == [1, 2, 3]
        mine = {line.get_color() for line in ax.get_lines()[: own[fig.axes.index(ax)]]}
        assert not mine & {line.get_color() for line in added}  # a colour of its own
        labels = ax.get_legend_handles_labels()[1]
        assert "plain-56, trained to the end (seed 0) (reference: a GPU, 2026-01-01)" in labels
    legible(fig)
    assert all(line.get_linestyle() == "--" for ax in fig.axes for line in ax.get_lines()[own[0] :])
    assert r.draw_references(plot_seeds(seeded, metrics), [], metrics) == 0  # none ships: nothing drawn
    with pytest.raises(ValueError, match="one per metric"):
        r.draw_references(plot_seeds(seeded, metrics[:1]), ends, metrics)
    plt.close("all")
