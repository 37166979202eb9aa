"""cnnlessons.views: filters, stages and feature maps, Grad-CAM, activation statistics, the
shape table and show_source, on small real models and the digits."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from cnnlessons import views  # noqa: E402
from cnnlessons.exercises import EXERCISES  # noqa: E402
from cnnlessons.models import build_model  # noqa: E402


def _images(fig) -> list:
    return [im for ax in fig.axes for im in ax.get_images()]


@pytest.fixture(scope="module")
def batch(digits):
    x, y = digits.batch("test", 16)
    return x, y


# -------------------------------------------------------------------------------- filters


def _tiles(fig, k: int, ncols: int) -> list[np.ndarray]:
    """The filters drawn in the figure's one mosaic image (1-pixel gaps), row by row."""
    (im,) = _images(fig)
    a = np.asarray(im.get_array())
    rows = (a.shape[0] + 1) // (k + 1)
    return [
        a[r * (k + 1) : r * (k + 1) + k, c * (k + 1) : c * (k + 1) + k]
        for r in range(rows)
        for c in range(ncols)
    ]


def test_first_layer_filters_grid_grey_and_rgb():
    torch.manual_seed(0)
    grey = views.first_layer_filters(build_model("small_alexnet", in_channels=1, width=8))
    assert grey.shape == (8, 1, 5, 5)
    fig = views.plot_filters(grey)  # 3 x 3 grid, the last cell empty
    assert _images(fig)[0].get_cmap().name == "gray"
    tiles = _tiles(fig, 5, 3)
    assert len(tiles) == 9 and (tiles[-1] == 1).all()
    for tile in tiles[:8]:  # each filter min-max scaled on its own
        assert tile.min() == pytest.approx(0) and tile.max() == pytest.approx(1)
    plt.close(fig)

    rgb = views.first_layer_filters(build_model("small_alexnet", width=8))
    fig = views.plot_filters(rgb, ncols=4)
    tiles = _tiles(fig, 5, 4)
    assert len(tiles) == 8 and tiles[0].shape == (5, 5, 3)
    expected = ((rgb[5] - rgb[5].min()) / (rgb[5].max() - rgb[5].min())).permute(1, 2, 0)
    torch.testing.assert_close(torch.as_tensor(tiles[5]), expected, check_dtype=False)
    plt.close(fig)


def test_plot_filters_torchvision_alexnet_64_filters():
    import torchvision

    with torch.device("meta"):  # built without its 61M weights; only the first conv is made real
        model = torchvision.models.alexnet()
    model.features[0] = model.features[0].to_empty(device="cpu")
    model.features[0].reset_parameters()
    weights = views.first_layer_filters(model)
    assert weights.shape == (64, 3, 11, 11)
    fig = views.plot_filters(weights)
    assert len(_tiles(fig, 11, 8)) == 64  # an 8 x 8 grid
    assert fig.axes[0].get_title() == "64 filters of 11x11x3"
    plt.close(fig)


def test_plot_filters_refuses_other_channel_counts():
    with pytest.raises(ValueError, match="weights"):
        views.plot_filters(torch.zeros(4, 2, 3, 3))
    with pytest.raises(ValueError, match="ncols"):
        views.plot_filters(torch.zeros(4, 1, 3, 3), ncols=0)


# -------------------------------------------------------------------------------- stages


def test_stages_per_family():
    assert views.stage_names(build_model("small_resnet", in_channels=1, width=4), (1, 16, 16)) == [
        "stem",
        "layer1",
        "layer2",
        "layer3",
    ]
    assert views.stage_names(build_model("small_vgg", in_channels=1, width=4), (1, 16, 16)) == [
        "features.0",
        "features.1",
        "features.2",
    ]
    alex = views.stages(build_model("small_alexnet", in_channels=1, width=4), (1, 16, 16))
    assert [s.name for s in alex][:3] == ["features.conv1", "features.pool1", "features.conv2"]
    assert [type(m).__name__ for m in alex[0].modules] == ["Conv2d", "ReLU"]  # the ReLU joins its conv
    goog = views.stage_names(build_model("small_googlenet", in_channels=1, width=4), (1, 16, 16))
    assert goog[0] == "stem" and "blocks.inception_a" in goog
    dense = views.stages(
        build_model("small_densenet", in_channels=1, growth_rate=4, block_config=(1, 1, 1)), (1, 16, 16)
    )
    assert dense[-1].name == "features.denseblock3"
    assert [type(m).__name__ for m in dense[-1].modules] == ["DenseBlock", "BatchNorm2d", "ReLU"]


def test_feature_maps_shapes_and_values(batch):
    x, _ = batch
    torch.manual_seed(0)
    model = build_model("small_resnet", in_channels=1, width=4).eval()
    maps = views.feature_maps(model, x[0])
    assert {k: tuple(v.shape) for k, v in maps.items()} == {
        "stem": (4, 16, 16),
        "layer1": (4, 16, 16),
        "layer2": (8, 8, 8),
        "layer3": (16, 4, 4),
    }
    with torch.no_grad():
        torch.testing.assert_close(maps["stem"], model.stem(x[:1])[0])
    alex = build_model("small_alexnet", in_channels=1, width=4).eval()
    conv1 = views.feature_maps(alex, x[0], stages=["features.conv1"])
    with torch.no_grad():  # after the conv's ReLU
        torch.testing.assert_close(conv1["features.conv1"], torch.relu(alex.features.conv1(x[:1]))[0])
    with pytest.raises(ValueError, match="stages must be among"):
        views.feature_maps(model, x[0], stages=["layer9"])
    with pytest.raises(ValueError, match="one image"):
        views.feature_maps(model, x[:2])
    with pytest.raises(TypeError, match="float"):
        views.feature_maps(model, torch.zeros(1, 16, 16, dtype=torch.uint8))


def test_plot_feature_maps_rows_and_channels(batch):
    x, _ = batch
    model = build_model("small_resnet", in_channels=1, width=4)
    maps = views.feature_maps(model, x[0])
    fig = views.plot_feature_maps(maps, channels=3, image=x[0])
    assert len(_images(fig)) == 1 + 4 * 3  # the input, then 3 channels of each of 4 stages
    assert "layer3\n16x4x4" in [ax.get_ylabel() for ax in fig.axes]
    plt.close(fig)


# -------------------------------------------------------------------------------- Grad-CAM


class _BrightDark(nn.Module):
    """Class 0's evidence is bright pixels (channel 0 = x), class 1's dark ones (channel 1 = -x)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1))
            self.conv.bias.copy_(torch.tensor([0.0, 1.0]))
        self.relu = nn.ReLU()
        self.fc = nn.Linear(2, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.eye(2))
            self.fc.bias.zero_()

    def forward(self, x):
        return self.fc(self.relu(self.conv(x)).mean(dim=(2, 3)))


def test_gradcam_peaks_where_the_class_evidence_is():
    x = torch.full((2, 1, 16, 16), 0.5)
    x[0, 0, 2:6, 3:7] = 1.0  # a bright square, top left
    x[1, 0, 10:14, 9:13] = 1.0  # bottom right
    model = _BrightDark()
    maps = views.gradcam(model, x, target_layer="conv", classes=0)
    assert maps.shape == (2, 16, 16) and maps.min() >= 0 and maps.max() == pytest.approx(1)
    for i, (rows, cols) in enumerate(((slice(2, 6), slice(3, 7)), (slice(10, 14), slice(9, 13)))):
        inside = maps[i, rows, cols].mean()
        outside = (maps[i].sum() - maps[i, rows, cols].sum()) / (256 - 16)
        assert inside > 1.5 * outside
        peak = int(maps[i].argmax())
        assert rows.start - 1 <= peak // 16 < rows.stop + 1 and cols.start - 1 <= peak % 16 < cols.stop + 1
    dark = views.gradcam(model, x, target_layer=model.conv, classes=[1, 1])
    assert dark[0, 2:6, 3:7].mean() < dark[0, 10:, :].mean()  # dark evidence lies outside the square
    with pytest.raises(ValueError, match="classes"):
        views.gradcam(model, x, target_layer="conv", classes=[0, 1, 0])


def test_gradcam_default_layer_on_every_course_model(batch):
    x, y = batch
    for name, kwargs in (
        ("small_alexnet", {"width": 4}),
        ("small_vgg", {"width": 4}),
        ("small_googlenet", {"width": 4}),
        ("small_resnet", {"width": 4}),
        ("small_densenet", {"growth_rate": 4, "block_config": (1, 1, 1)}),
    ):
        torch.manual_seed(0)
        model = build_model(name, in_channels=1, **kwargs)
        model.train()
        before = {k: v.clone() for k, v in model.state_dict().items()}
        maps = views.gradcam(model, x[:3])
        assert maps.shape == (3, 16, 16) and float(maps.min()) >= 0 and float(maps.max()) <= 1, name
        model.eval()
        with torch.no_grad():
            assert torch.equal(views.predict(model, x[:3]), model(x[:3]).argmax(1)), name
        model.train()
        assert model.training and all(torch.equal(before[k], v) for k, v in model.state_dict().items()), name
    vgg = build_model("small_vgg", in_channels=1, width=4)
    assert views.default_target_layer(vgg, (1, 16, 16)) is vgg.features[2].relu2  # before the block's pool
    with pytest.raises(ValueError, match="target_layer"):
        views.gradcam(vgg, x[:1], target_layer="nowhere")


def test_plot_gradcam_titles_and_overlays(batch, digits):
    x, y = batch
    maps = torch.rand(3, 16, 16)
    fig = views.plot_gradcam(
        digits.test_images[:3], maps, y[:3], [int(y[0]), int(y[1]), (int(y[2]) + 1) % 10], digits.classes
    )
    assert len(_images(fig)) == 3 * 3  # the image twice and one map per column
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles[0] == f"true: {digits.classes[int(y[0])]}\npred: {digits.classes[int(y[0])]}"
    assert fig.axes[2].title.get_color() == "tab:red"
    plt.close(fig)
    with pytest.raises(ValueError, match="labels"):
        views.plot_gradcam(x[:3], maps, y[:2])


# -------------------------------------------------------------------------------- batch norm


def test_activation_stats_with_and_without_batch_norm(batch):
    x, _ = batch
    stats = {}
    for bn in (True, False):
        torch.manual_seed(0)
        model = build_model("small_googlenet", in_channels=1, width=4, batch_norm=bn)
        running = [m.running_var.clone() for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        stats[bn] = views.activation_stats(model, x)
        assert model.training  # mode restored
        assert all(
            torch.equal(a, m.running_var)
            for a, m in zip(
                running, [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)], strict=False
            )
        )
    with_bn, without = stats[True], stats[False]
    assert [r.layer for r in with_bn] == [r.layer for r in without]
    assert all(r.batch_norm for r in with_bn) and not any(r.batch_norm for r in without)
    assert all(0.9 < r.std < 1.1 and abs(r.mean) < 0.05 for r in with_bn)
    # without BN the spread drifts: PyTorch's default init shrinks it layer by layer
    assert without[-1].std < 0.3 * without[0].std
    fig = views.plot_activation_stats({"with BN": with_bn, "without BN": without})
    assert [len(line.get_xdata()) for line in fig.axes[1].lines[:2]] == [len(with_bn)] * 2
    plt.close(fig)
    with pytest.raises(ValueError, match="mode"):
        views.activation_stats(model, x, mode="train")


# -------------------------------------------------------------------------------- tables and code


def test_shape_table_lists_each_stage_shape():
    table = str(views.shape_table(build_model("small_resnet", in_channels=1, width=4), (1, 16, 16)))
    for row in ("Sequential (stem)", "[1, 4, 16, 16]", "Sequential (layer3)", "[1, 16, 4, 4]", "Linear (fc)"):
        assert row in table


def test_show_source_shows_library_code(capsys):
    from cnnlessons.models import DenseLayer, PadShortcut, fc_to_conv

    views.show_source(PadShortcut)
    out = capsys.readouterr().out
    assert "class PadShortcut(nn.Module):" in out and "cnnlessons/models/resnet.py, line" in out
    for obj in (fc_to_conv, DenseLayer, build_model("small_resnet").layer1[0].shortcut):
        assert views.source_of(obj).lstrip().startswith(("def ", "class "))


def test_show_source_refuses_exercise_solutions():
    from cnnlessons import layers
    from cnnlessons.lessons.resnet import exercises as resnet_checker
    from cnnlessons.models import Bottleneck, DenseBlock, Inception, ResidualBlock, Transition, VGGBlock

    for obj, exercise in (
        (ResidualBlock, "resnet.residual_block"),
        (Bottleneck, "resnet.bottleneck_block"),
        (ResidualBlock.forward, "resnet.residual_block"),
        (VGGBlock(1, 1, 2), "vgg.vgg_block"),
        (Inception, "googlenet.inception_block"),
        (DenseBlock, "densenet.dense_block"),
        (Transition, "densenet.transition_block"),
        (layers.conv_output_size, "alexnet.conv_output_size"),
        (layers, "alexnet.conv_output_size"),
    ):
        with pytest.raises(ValueError, match=exercise.replace(".", r"\.")) as err:
            views.show_source(obj)
        assert "show_source(" in str(err.value)
    with pytest.raises(ValueError, match="checkers"):
        views.show_source(resnet_checker)
    with pytest.raises(ValueError, match="no Python source"):
        views.show_source(len)


def test_exercise_references_cover_the_registry():
    """Every id is an exercise, every object exists, and every exercise whose answer has a
    namesake in the library's models, layers or measure is refused."""
    import cnnlessons.layers
    import cnnlessons.measure
    import cnnlessons.models
    from cnnlessons.views.source import _resolve, refused_exercise

    assert set(views.EXERCISE_REFERENCES) <= set(EXERCISES)
    for paths in views.EXERCISE_REFERENCES.values():
        for path in paths:
            assert callable(_resolve(path)), path
    for ex in EXERCISES.values():
        if ex.kind == "dict":
            continue
        name = ex.signature.split("(")[0].strip()
        for module in (cnnlessons.models, cnnlessons.layers, cnnlessons.measure):
            if hasattr(module, name):
                assert refused_exercise(getattr(module, name)) == ex.id, (ex.id, module.__name__)
