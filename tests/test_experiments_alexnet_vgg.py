"""Lessons 01 (AlexNet) and 02 (VGGNet): the experiments modules, on real small computations."""

import dataclasses

import pytest
import torch
from torch import nn

from cnnlessons import augmentation as Aug
from cnnlessons import plots
from cnnlessons.data import subset_data
from cnnlessons.lessons import alexnet as A
from cnnlessons.lessons import vgg as V
from cnnlessons.measure import stacked_receptive_field
from cnnlessons.models import Figure1CNN, SmallAlexNet, SmallVGG
from cnnlessons.models.init import he_init
from cnnlessons.runs.recipes import RECIPES


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------- lesson 01


@pytest.fixture(scope="module")
def batch(digits):
    return digits.batch("train", 64)


def test_gradient_sizes_relu_keeps_sigmoid_vanishes(batch):
    relu = A.gradient_sizes_by_activation(*batch, depth=12, activation="relu", init="kaiming")
    sigmoid = A.gradient_sizes_by_activation(*batch, depth=12, activation="sigmoid", init="kaiming")
    default_relu = A.gradient_sizes_by_activation(*batch, depth=12, activation="relu", init="default")
    assert len(relu) == len(sigmoid) == 12
    assert 0.2 < relu[0] / relu[-1] < 5
    assert sigmoid[0] / sigmoid[-1] < 1e-4
    assert default_relu[0] / default_relu[-1] < 1e-2  # PyTorch's default is too small for ReLU
    assert (
        A.gradient_sizes_by_activation(*batch, depth=12, activation="relu", init="kaiming") == relu
    )  # seeded
    with pytest.raises(ValueError, match="activation must be one of"):
        A.gradient_sizes_by_activation(*batch, activation="elu")
    with pytest.raises(ValueError, match="init must be one of"):
        A.gradient_sizes_by_activation(*batch, init="zeros")


def test_plot_gradient_sizes_is_log_scale(batch):
    fig = plots.plot_gradient_sizes({"relu": [1.0, 2.0], "sigmoid": [1e-9, 0.5]}, highlight="relu")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and list(ax.lines[1].get_ydata()) == [1e-9, 0.5]


def test_figure1_cnn_is_four_weight_layers():
    model = Figure1CNN("tanh", in_channels=1, num_classes=10)
    weights = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert [type(m).__name__ for m in weights] == ["Conv2d"] * 3 + ["Linear"]
    assert [m.out_channels for m in weights[:3]] == [32, 32, 64]
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 3
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 10)
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="activation must be one of"):
        Figure1CNN("swish")


def test_figure1_runs_train_both_with_the_papers_settings(digits):
    runs = A.recipes.FIGURE1.train(digits, "smoke", epochs=1)
    assert list(runs) == ["relu", "tanh"]
    for name, h in runs.items():
        assert h.label == name and len(h.epoch) == 1 and h.test_acc is None  # judged on training error
        assert h.info["optimizer"] == "sgd" and h.info["schedule"] == "constant"
        assert A.recipes.FIGURE1.training.stop_at_train_error == A.recipes.FIGURE1.target
    assert runs["relu"].info["lr"] == 0.01 and runs["tanh"].info["lr"] == 0.1  # each its own tuned rate
    assert runs["relu"].train_loss != runs["tanh"].train_loss


def test_figure1_runs_start_from_the_initialisation_made_for_each_activation(digits):
    from cnnlessons.lessons.alexnet.recipes import FIGURE1_INIT

    recipe = A.recipes.FIGURE1
    assert FIGURE1_INIT == {"relu": "he", "tanh": "glorot"}
    stds = {}
    for run in recipe.runs_for("smoke"):
        torch.manual_seed(0)
        conv2 = recipe.build(run, digits).conv2
        stds[run.label] = float(conv2.weight.detach().std())
        assert float(conv2.bias.detach().abs().max()) == 0.0
    fan_in, fan_out = 32 * 25, 32 * 25
    assert stds["relu"] == pytest.approx((2 / fan_in) ** 0.5, rel=0.1)
    assert stds["tanh"] == pytest.approx((2 / (fan_in + fan_out)) ** 0.5, rel=0.1)
    assert "'init': 'glorot'" in repr(recipe.resolved("smoke"))


def test_tower_parameters_of_the_papers_alexnet():
    rows = {r.layer: r for r in A.tower_parameters()}
    assert rows["total"].two_towers == 60_965_224  # the 2012 paper's net
    assert rows["conv2"].one_tower == 5 * 5 * 96 * 256 + 256
    assert rows["conv2"].two_towers == 5 * 5 * 48 * 256 + 256
    assert rows["conv3"].saved == 0 and rows["fc6"].saved == 0
    assert rows["total"].saved == rows["conv2"].saved + rows["conv4"].saved + rows["conv5"].saved


def test_model_parallel_matches_one_device(digits):
    torch.manual_seed(0)
    model = SmallAlexNet(10, 1, groups=2, lrn=True, width=4)
    x, _ = digits.batch("val", 4)
    result = A.model_parallel_check(model, x, backend="processes", timeout=120)
    assert result.backend == "processes"
    assert result.max_abs_diff < 1e-5 < result.max_abs_output
    assert sum(result.parameters_per_tower) == result.parameters
    assert result.exchanges[0] == "conv3" and result.bytes_exchanged > 0


def test_pooling_sizes_coverage_and_fields():
    rows = {r.size: r for r in A.pooling_sizes((55, 32, 13))}
    assert (rows[55].overlapping, rows[55].non_overlapping) == (27, 27)
    assert (rows[32].overlapping, rows[32].non_overlapping) == (15, 16)
    over = A.pooling_coverage(9, 3, 2)
    assert over.shape == (9, 9) and over.max() == 4 and over.min() == 1
    assert int(over[2, 2]) == 4 and int(over[0, 0]) == 1
    assert set(A.pooling_coverage(8, 2, 2).unique().tolist()) == {1}
    fields = A.pooled_receptive_fields(3)
    assert fields == {"3x3 stride 2": [5, 13, 29], "2x2 stride 2": [4, 10, 22]}


def test_lrn_divides_by_k_to_the_beta_on_small_activations(batch):
    torch.manual_seed(0)
    model = SmallAlexNet(10, 1, lrn=True, width=8)
    x, _ = batch
    small = A.lrn_effect(model, x, scale=1.0)
    assert small.divisor_min == pytest.approx(2**0.75, rel=1e-3)
    assert small.divisor_max == pytest.approx(2**0.75, rel=1e-2)
    raw = A.lrn_effect(model, x, scale=255.0)
    assert raw.divisor_max > 2 * small.divisor_max
    assert raw.activation_median > 50 * small.activation_median


def test_colour_pca_finds_the_colour_axes():
    g = torch.Generator().manual_seed(0)
    grey = torch.randint(0, 256, (50, 1, 8, 8), generator=g)
    images = grey.repeat(1, 3, 1, 1).to(torch.uint8)  # R = G = B: all variance along (1, 1, 1)
    pca = Aug.colour_pca(images)
    assert pca.eigenvalues.shape == (3,) and pca.eigenvalues[0] > 100 * pca.eigenvalues[1]
    torch.testing.assert_close(pca.eigenvectors[:, 0], torch.full((3,), 3**-0.5))
    assert pca.eigenvalues[0] == pytest.approx(3 * (grey.double() / 255).var().item(), rel=1e-3)


def test_pca_colour_shift_is_one_colour_offset_per_image():
    pca = Aug.ColourPCA(torch.tensor([0.2, 0.02, 0.0]), torch.eye(3))
    images = torch.full((4, 3, 5, 5), 128, dtype=torch.uint8)
    g = torch.Generator().manual_seed(1)
    out = Aug.pca_colour_shift(images, pca, sigma=1.0, generator=g)
    assert out.dtype == torch.uint8 and out.shape == images.shape
    diff = out.int() - images.int()
    assert (diff == diff[:, :, :1, :1]).all()  # the same shift at every pixel of an image
    assert (diff[:, 2] == 0).all()  # no variance along the third axis: no shift along it
    assert diff[:, 0].abs().sum() > diff[:, 1].abs().sum()  # magnitudes follow the eigenvalues
    assert torch.equal(Aug.pca_colour_shift(images, pca, sigma=0.0), images)
    with pytest.raises(ValueError, match="images have 1 channels but the PCA was computed on 3"):
        Aug.pca_colour_shift(images[:, :1], pca)


def test_augmentation_gallery_on_real_images(digits):
    idx = Aug.one_per_class(digits.train_labels, 10)
    assert sorted(digits.train_labels[idx].tolist()) == list(range(10))
    gallery = Aug.augmentation_gallery(digits, n=6)
    assert len(gallery) == 6
    shapes = {tuple(v.shape) for v in gallery.values()}
    assert shapes == {(6, 1, 16, 16)} and all(v.dtype == torch.uint8 for v in gallery.values())
    original = gallery["original"]
    assert torch.equal(gallery["flipped"], original.flip(3))
    assert not torch.equal(gallery["random crop (padding 1)"], original)
    fig = plots.show_gallery(gallery)
    assert len(fig.axes) == 36


def test_regularisation_data_is_a_random_subset_with_every_class(digits):
    small = subset_data(digits, 4)
    assert len(small.train_labels) == len(digits.train_labels) // 4
    assert len(torch.unique(small.train_labels)) == 10
    assert torch.equal(small.val_images, digits.val_images)
    ordered = dataclasses.replace(digits, train_labels=digits.train_labels.sort().values)
    assert len(torch.unique(subset_data(ordered, 4).train_labels)) == 10
    # the seed chooses the subset (it used to be fixed whatever seed the runs were given)
    assert not torch.equal(subset_data(digits, 4, seed=1).train_labels, small.train_labels)


def test_regularisation_runs_and_gap_table(digits):
    runs = A.regularisation_runs(
        digits, "smoke", epochs=1, seeds=(0, 1), labels=["no augmentation, no dropout", "dropout 0.5"]
    )
    assert list(runs) == ["no augmentation, no dropout", "dropout 0.5"]
    for by_seed in runs.values():
        assert list(by_seed) == [0, 1]
        for h in by_seed.values():
            assert (
                0 <= h.info["clean_train_acc"] <= 1 and h.info["train_size"] == len(digits.train_labels) // 20
            )
    assert runs["dropout 0.5"][0].info["dropout"] == 0.5
    rows = A.gap_rows(runs)
    assert [(r.label, r.seed) for r in rows] == [(label, seed) for label in runs for seed in (0, 1)]
    assert rows[0].gap == pytest.approx(rows[0].train_acc - rows[0].test_acc)
    table = A.format_gap_table(rows)
    assert "train acc" in table and "test acc" in table and "dropout 0.5" in table
    assert {A.recipes.FIGURE1.key, A.recipes.REGULARISATION.key} <= set(RECIPES)
    assert set(A.recipes.REGULARISATION.claims) == {"alexnet.augmentation", "alexnet.dropout"}


def _history(errors, lr=0.01):
    from cnnlessons.history import History

    h = History(label="x")
    h.epoch = list(range(1, len(errors) + 1))
    h.train_eval_acc = [1.0 - e for e in errors]
    h.info = {"lr": lr}
    return h


def test_first_to_target_counts_epochs_as_the_claim_does():
    runs = {
        "relu": {0: _history([0.5, 0.3, 0.2]), 1: _history([0.5, 0.4, 0.3])},
        "tanh": {0: _history([0.2])},
    }
    assert A.epochs_to(runs, 0.25) == {"relu": {0: 3, 1: 4}, "tanh": {0: 1}}  # 4: one past the budget
    first, means = A.first_to_target(runs, 0.25)
    assert first == "tanh" and means == {"relu": 3.5, "tanh": 1.0}
    assert A.first_to_target({"a": {0: _history([0.2])}, "b": {0: _history([0.2])}}, 0.25)[0] == "tie"


def test_the_rate_window_trains_each_activation_at_its_rates_on_the_tuning_seeds(digits):
    from cnnlessons.profiles import get_profile

    recipe = A.recipes.FIGURE1_WINDOW
    assert A.figure1_window_seeds("smoke") == (100,) and A.figure1_window_seeds("cpu") == (100,)
    assert A.figure1_window_seeds("gpu") == (100, 101)
    assert not set(A.figure1_window_seeds("gpu")) & set(get_profile("gpu").seeds)  # never a claim's seeds
    assert {r.label: r.training.lr for r in recipe.runs_for("cpu")} == {
        "relu lr=0.003": 0.003,
        "relu lr=0.01": 0.01,
        "relu lr=0.03": 0.03,
        "tanh lr=0.01": 0.01,
        "tanh lr=0.03": 0.03,
        "tanh lr=0.1": 0.1,
    }
    assert recipe.epochs_for("cpu") * 5 == A.recipes.FIGURE1.epochs_for("cpu")  # a fifth of Figure 1's
    assert recipe.subset_for("cpu") == A.recipes.FIGURE1.subset_for("cpu") and not recipe.claims
    runs = recipe.train_seeds(digits, "smoke", seeds=[100], labels=["relu lr=0.01", "tanh lr=0.1"], epochs=1)
    window = A.rate_window(runs)
    assert [(a, [p.lr for p in points]) for a, points in window.items()] == [
        ("relu", [0.01]),
        ("tanh", [0.1]),
    ]
    point = window["relu"][0]
    assert point.errors == {100: pytest.approx(1 - runs["relu lr=0.01"][100].train_eval_acc[-1])}
    assert A.best_rate(window["relu"]) is point
    fig = A.plot_rate_window(window, 1, title="window")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    styles = {
        (line.get_linestyle(), line.get_marker()) for line in ax.get_lines() if line.get_linestyle() != "None"
    }
    assert styles == {("-", "o"), ("--", "s")}  # the arms differ in line and marker, not colour alone
    with pytest.raises(ValueError, match="expected runs of 01_alexnet/figure1_window"):
        A.rate_window({"other": {0: _history([0.5])}})


def test_he_init_leaves_the_output_layer_small():
    torch.manual_seed(0)
    model = he_init(SmallAlexNet(10, 3, width=8))
    fc8 = model.classifier.fc8.weight
    conv1 = model.features.conv1.weight
    assert conv1.std().item() == pytest.approx((2 / (3 * 25)) ** 0.5, rel=0.1)
    assert fc8.std().item() < (1 / fc8.shape[1]) ** 0.5  # PyTorch's default, not He's


# --------------------------------------------------------------------------- lesson 02


def test_receptive_field_formula_and_footprints():
    assert [stacked_receptive_field(n) for n in (0, 1, 2, 3)] == [1, 3, 5, 7]
    assert stacked_receptive_field(2, 5) == 9
    for fp in V.measure_footprints(3, 3, size=15) + V.measure_footprints(2, 5, size=15):
        assert (fp.height, fp.width) == (fp.formula, fp.formula)
        assert int(fp.mask.sum()) == fp.formula**2  # the whole square, no holes
    fig = V.plot_footprints(V.measure_footprints(2))
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        V.conv_stack(2, 4)


def test_stack_weights_are_27_and_49_c_squared():
    for row in V.stack_weights((8, 64, 512)):
        assert row.stack == 27 * row.channels**2 and row.single == 49 * row.channels**2
        assert row.ratio == pytest.approx(27 / 49)
    [row] = V.stack_weights((16,), num_layers=2, kernel_size=5)
    assert (row.stack, row.single) == (50 * 256, 81 * 256)


@pytest.mark.parametrize("size", [16, 32])
def test_conv_head_equals_fc_head_and_gives_a_score_map(digits, size):
    data = dataclasses.replace(digits, train_images=torch.zeros(1, 1, size, size, dtype=torch.uint8))
    torch.manual_seed(0)
    model = V.recipes.VGG.build(V.recipes.VGG.run("SmallVGG"), data)
    assert model.avgpool.output_size == (size // 8, size // 8)
    x = torch.randn(3, 1, size, size)
    diff, scale, shape = V.head_difference(model, x)
    assert diff < 1e-5 < scale and shape == (3, 10, 1, 1)
    big = V.mosaic(torch.randint(0, 256, (4, 1, size, size), dtype=torch.uint8))
    assert big.shape == (1, 1, 2 * size, 2 * size)
    scores = V.score_map(model, big.float())
    side = 2 * size // 8 - size // 8 + 1
    assert scores.shape == (10, side, side)
    torch.testing.assert_close(scores.sum(0), torch.ones(side, side))


def test_dense_net_folds_the_checkpoints_pooling_into_the_head():
    """The shipped small_vgg averages its 4x4 map to 2x2 before its head: folded into a 4x4 kernel,
    the head gives the model's outputs on 32x32 images and a 5x5 score map on 64x64 ones."""
    torch.manual_seed(0)
    model = SmallVGG(pool_size=2).eval()  # the checkpoint's architecture (122,778 parameters)
    assert sum(p.numel() for p in model.parameters()) == 122_778
    x = torch.randn(3, 3, 32, 32)
    net = V.dense_net(model, 32).eval()
    assert net.head.conv1.kernel_size == (4, 4)
    with torch.no_grad():
        torch.testing.assert_close(net(x).flatten(1), model(x))
        assert net(torch.randn(1, 3, 64, 64)).shape == (1, 10, 5, 5)
    diff, scale, shape = V.head_difference(model, x)
    assert diff < 1e-4 * max(scale, 1.0) and shape == (3, 10, 1, 1)
    # the lesson's own net reads its 4x4 map as it is: nothing to fold
    own = SmallVGG(image_size=32).eval()
    assert V.dense_net(own, 32).head.conv1.kernel_size == (4, 4)
    assert own.classifier.fc1.in_features == 64 * 4 * 4
    with pytest.raises(ValueError, match="does not divide evenly"):
        V.dense_net(SmallVGG(pool_size=3), 32)


def test_scorer_is_the_checkpoint_on_cifar_and_the_run_elsewhere(digits):
    torch.manual_seed(0)
    own = SmallVGG(1, 1, image_size=16)
    mine = V.scorer(own, 0.5, digits)
    assert (mine.model, mine.test_acc, mine.converged) == (own, 0.5, False)
    images = digits.test_images[:2]
    torch.testing.assert_close(mine.normalize(images), digits.normalize(images))
    cifar = dataclasses.replace(
        digits,
        classes=[str(i) for i in range(10)],
        train_images=torch.zeros(1, 3, 32, 32, dtype=torch.uint8),
    )
    theirs = V.scorer(own, 0.5, cifar)
    assert theirs.converged and theirs.name == "the converged small_vgg"
    assert theirs.test_acc == theirs.model.checkpoint_record["test_acc"] > 0.7
    scores = V.score_map(theirs.model, theirs.normalize(torch.zeros(1, 3, 64, 64, dtype=torch.uint8)), 32)
    assert scores.shape == (10, 5, 5)


def test_mosaic_tiles_in_reading_order():
    images = torch.arange(4).view(4, 1, 1, 1).expand(4, 1, 2, 2)
    grid = V.mosaic(images)[0, 0]
    assert grid.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    with pytest.raises(ValueError, match="at least rows\\*cols = 4 images"):
        V.mosaic(images[:3])


def test_kernel_models_share_the_field_not_the_weights():
    assert V.equivalent_3x3_layers(7) == 3 and V.equivalent_3x3_layers(5, 2) == 4
    models = V.kernel_models(7, 1, in_channels=3, num_classes=10, width=8)
    big, small = models.values()
    assert list(models) == ["1 x 7x7", "3 x 3x3"]
    assert big.receptive_field == small.receptive_field == 7
    assert (big.conv_weights, small.conv_weights) == (49 * 64, 27 * 64)
    assert big(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        V.equivalent_3x3_layers(4)


def test_kernel_runs_and_vgg_training(digits):
    runs = V.kernel_runs(digits, "smoke", kernel_size=5, num_layers=1, epochs=1, width=4)
    assert list(runs) == ["1 x 5x5", "2 x 3x3"]
    assert [h.info["conv_weights"] for h in runs.values()] == [25 * 16, 18 * 16]
    model, history = V.train_vgg(digits, "smoke", epochs=1)
    assert len(history.epoch) == 1 and history.test_acc is not None
    assert history.info["parameters"] == sum(p.numel() for p in model.parameters())
    assert {V.recipes.VGG.key, V.recipes.KERNELS.key} <= set(RECIPES)
