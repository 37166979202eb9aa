"""Property-based battery (hypothesis) over the public API: data loading, the models'
constructors, ``measure`` and the profile / environment variables.

Each property's docstring states what the user is promised. The example budget is fixed and
the search derandomized, so a CI run tries the same examples every time.
"""

from __future__ import annotations

import contextlib
import copy
import os
import pathlib
import tempfile
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnlessons.data import DATASETS, data_root, load_data, load_dataset
from cnnlessons.measure import (
    conv_params,
    count_parameters,
    flops_per_image,
    gradient_footprint,
    layer_summary,
    macs_per_image,
    receptive_field,
    stacked_receptive_field,
)
from cnnlessons.models import (
    CIFAR,
    FULL_SIZE,
    INPUT_SIZES,
    MODELS,
    PAPER,
    SMALL,
    VGG,
    AlexNet,
    Bottleneck,
    DenseBlock,
    DenseNet,
    Inception,
    ResidualBlock,
    ResNet,
    SmallAlexNet,
    SmallDenseNet,
    SmallGoogLeNet,
    SmallResNet,
    SmallVGG,
    Transition,
    build_model,
    cifar_densenet,
)
from cnnlessons.models.resnet import SHORTCUTS
from cnnlessons.profiles import PROFILES, get_profile

settings.register_profile(
    "cnnlessons",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BUDGET = settings.get_profile("cnnlessons")
#: For properties whose examples each build and run a model.
SMALL_BUDGET = settings(BUDGET, max_examples=15)


@contextlib.contextmanager
def environ(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the block, then restore them."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def workdir() -> Iterator[pathlib.Path]:
    with tempfile.TemporaryDirectory() as d:
        yield pathlib.Path(d)


def _npz(
    folder: pathlib.Path, images: np.ndarray, labels: np.ndarray, name: str = "data.npz"
) -> pathlib.Path:
    path = folder / name
    np.savez(path, images=images, labels=labels)
    return path


def _raises_naming(err: BaseException, *names: str) -> None:
    message = str(err)
    assert any(n in message for n in names), f"{type(err).__name__}: {message!r} names none of {names}"


# Text that an environment variable can hold (no NUL, no lone surrogates).
env_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
junk_ints = st.one_of(
    st.integers(max_value=0), st.booleans(), st.floats(allow_nan=True), st.text(max_size=3), st.none()
)


# --------------------------------------------------------------------------- data
@st.composite
def image_arrays(draw, min_n: int = 10):
    """uint8 N x H x W x C arrays (C = 1 or 3, square) with integer labels 0..k-1."""
    n = draw(st.integers(min_n, 40))
    side = draw(st.integers(1, 8))
    channels = draw(st.sampled_from([1, 3]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, side, side, channels), dtype=np.uint8)
    k = draw(st.integers(1, 12))
    labels = rng.integers(0, k, n)
    labels = labels.astype(draw(st.sampled_from([np.int64, np.int32, np.uint8, np.int16])))
    return images, labels


@BUDGET
@given(arrays=image_arrays(), val_size=st.integers(0, 5), image_size=st.none() | st.integers(4, 12))
def test_a_valid_npz_loads_into_three_disjoint_uint8_splits(workdir, arrays, val_size, image_size):
    """A valid .npz (uint8 images, integer labels >= 0) loads: every image lands in exactly one
    split (test = a fixed 20%), images are uint8 N x C x H x W at ``image_size``, labels are
    int64 class indices below ``num_classes``, and the statistics are finite."""
    images, labels = arrays
    data = load_dataset(_npz(workdir, images, labels), val_size=val_size, image_size=image_size)
    n = len(images)
    assert len(data.test_labels) == n // 5
    assert len(data.val_labels) == val_size
    assert len(data.train_labels) + len(data.val_labels) + len(data.test_labels) == n
    side = images.shape[1] if image_size is None else image_size
    assert data.input_size == (images.shape[3], side, side)
    for which in ("train", "val", "test"):
        x, y = data.split(which)
        assert x.dtype == torch.uint8 and y.dtype == torch.int64
        assert x.shape[1:] == data.input_size and len(x) == len(y)
        assert ((y >= 0) & (y < data.num_classes)).all()
    assert data.num_classes == int(labels.max()) + 1
    assert torch.isfinite(data.mean).all() and (data.std > 0).all()


@BUDGET
@given(
    arrays=image_arrays(),
    dtype=st.sampled_from([np.float32, np.float64, np.int16, np.int64, np.uint16, np.bool_]),
)
def test_images_of_another_dtype_are_refused(workdir, arrays, dtype):
    """Images that are not uint8 (floats in [0, 1], int64 pixel values, ...) raise a ValueError
    naming 'images' and the dtype expected."""
    images, labels = arrays
    with pytest.raises(ValueError, match="'images' must be uint8") as err:
        load_dataset(_npz(workdir, images.astype(dtype), labels), val_size=1)
    _raises_naming(err.value, "uint8")


@st.composite
def misshapen_images(draw):
    """uint8 image arrays of a shape that is not N x H x W x C (C = 1 or 3, H = W >= 1)."""
    kind = draw(st.sampled_from(["ndim", "channels", "non_square", "empty_side"]))
    n = 10
    if kind == "ndim":
        shape = draw(st.sampled_from([(n,), (n, 4, 4, 3, 1), (n, 4, 4, 3, 1, 1)]))
    elif kind == "channels":
        shape = (n, 4, 4, draw(st.sampled_from([0, 2, 4, 5])))
    elif kind == "non_square":
        h, w = draw(st.tuples(st.integers(1, 8), st.integers(1, 8)).filter(lambda hw: hw[0] != hw[1]))
        shape = (n, h, w, 3)
    else:
        shape = draw(st.sampled_from([(n, 0, 0, 3), (n, 0, 4, 1), (n, 4, 0, 3)]))
    return np.zeros(shape, dtype=np.uint8), np.arange(n) % 2


@BUDGET
@given(arrays=misshapen_images())
@example(arrays=(np.zeros((10, 8, 5, 3), np.uint8), np.arange(10) % 2))
@example(arrays=(np.zeros((10, 0, 8, 3), np.uint8), np.arange(10) % 2))
def test_images_of_a_wrong_shape_are_refused(workdir, arrays):
    """Images that are not N x H x W x C with C = 1 or 3 and square H = W >= 1 pixels raise a
    ValueError naming 'images' (a non-square image would make ``input_size`` wrong, an empty
    one a model fail deep inside)."""
    images, labels = arrays
    with pytest.raises(ValueError) as err:
        load_dataset(_npz(workdir, images, labels), val_size=1)
    _raises_naming(err.value, "'images'")


@st.composite
def bad_labels(draw):
    """Labels that are not one class index >= 0 per image."""
    n = 10
    kind = draw(st.sampled_from(["negative", "fraction", "nan", "huge", "text", "count"]))
    if kind == "negative":
        labels = np.arange(n) - draw(st.integers(1, 100))
    elif kind == "fraction":
        labels = np.arange(n) + draw(st.floats(0.01, 0.99))
    elif kind == "nan":
        labels = np.where(np.arange(n) == draw(st.integers(0, n - 1)), np.nan, 1.0)
    elif kind == "huge":
        labels = np.full(n, draw(st.integers(10**6, 2**62)))
    elif kind == "text":
        labels = np.array([draw(st.sampled_from(["cat", "dog", "1.5", ""]))] * n)
    else:
        labels = np.arange(draw(st.integers(0, 30).filter(lambda m: m != n))) % 3
    return np.zeros((n, 4, 4, 1), dtype=np.uint8), labels


@BUDGET
@given(arrays=bad_labels())
@example(arrays=(np.zeros((10, 4, 4, 1), np.uint8), np.arange(10) + 0.5))
@example(arrays=(np.zeros((10, 4, 4, 1), np.uint8), np.arange(10) - 1))
@example(arrays=(np.zeros((10, 4, 4, 1), np.uint8), np.full(10, np.nan)))
@example(arrays=(np.zeros((10, 4, 4, 1), np.uint8), np.full(10, 10**12)))
@example(arrays=(np.zeros((10, 4, 4, 1), np.uint8), np.array(["cat"] * 10)))
def test_labels_that_are_not_class_indices_are_refused(workdir, arrays):
    """Labels that are negative, fractional, NaN, text, absurdly large (which would make a list
    of a trillion class names) or not one per image raise a ValueError naming 'labels', before
    anything large is allocated."""
    images, labels = arrays
    with pytest.raises(ValueError) as err:
        load_dataset(_npz(workdir, images, labels), val_size=1)
    _raises_naming(err.value, "labels")


@BUDGET
@given(
    content=st.binary(max_size=64)
    | st.binary(max_size=32).map(lambda b: b"PK\x03\x04" + b)
    | st.binary(max_size=32).map(lambda b: b"\x93NUMPY" + b)
)
@example(content=b"hi")
@example(content=b"PK\x03\x04")
def test_a_file_that_is_not_an_npz_is_refused_by_name(workdir, content):
    """A .npz file that numpy cannot read (text, a broken zip, a lone .npy) raises a ValueError
    naming the file, not numpy's message about pickles."""
    path = workdir / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        load_dataset(path, val_size=1)
    _raises_naming(err.value, str(path))
    assert "pickle" not in str(err.value)


@BUDGET
@given(
    arg=st.sampled_from(["train_size", "val_size", "test_size", "image_size", "seed"]),
    value=st.one_of(st.integers(max_value=-1), st.booleans(), st.floats(), st.text(max_size=3), st.just([1])),
)
@example(arg="seed", value="x")
@example(arg="seed", value=-1)
@example(arg="train_size", value=True)
def test_junk_sizes_and_seeds_are_refused_by_name(arg, value):
    """load_dataset's sizes and seed accept only ints in range (not bools, floats or text):
    anything else raises a ValueError or TypeError naming the argument."""
    with pytest.raises((ValueError, TypeError)) as err:
        load_dataset("digits", **{arg: value})
    _raises_naming(err.value, arg)


@BUDGET
@given(
    name=st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.lists(st.integers(), max_size=2),
        env_text.filter(lambda s: not any(c in s for c in "/\\.~")),
    )
)
@example(name="")
@example(name=None)
@example(name=3)
def test_an_unknown_dataset_name_is_refused_by_name(name):
    """A dataset that is neither a known name nor a path raises a ValueError or TypeError that
    says what a dataset may be; an empty name is not read as the current folder."""
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else None
    if key in DATASETS or (isinstance(name, str) and name.strip() and pathlib.Path(name).exists()):
        return
    with pytest.raises((ValueError, TypeError)) as err:
        load_dataset(name)
    _raises_naming(err.value, "dataset")


@BUDGET
@given(which=env_text.filter(lambda s: s not in ("train", "val", "test")))
def test_a_split_name_is_one_of_three(digits, which):
    """CourseData.split accepts 'train', 'val' and 'test' only; anything else raises a
    ValueError naming the split."""
    with pytest.raises(ValueError, match="split"):
        digits.split(which)


# --------------------------------------------------------------------------- models
def _runs(model: nn.Module, in_channels: int, size: int, num_classes: int) -> None:
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, in_channels, size, size))
    assert out.shape == (2, num_classes)
    assert torch.isfinite(out).all()


classes = st.integers(1, 5)
channels_in = st.integers(1, 3)
dropouts = st.floats(0.0, 0.95)


@SMALL_BUDGET
@given(
    num_classes=classes,
    in_channels=channels_in,
    activation=st.sampled_from(["relu", "tanh", "sigmoid"]),
    lrn=st.booleans(),
    overlapping_pool=st.booleans(),
    dropout=dropouts,
    groups=st.sampled_from([1, 2]),
    width=st.integers(1, 6),
    size=st.integers(16, 24),
)
def test_small_alexnet_builds_and_runs_over_its_arguments(
    num_classes, in_channels, activation, lrn, overlapping_pool, dropout, groups, width, size
):
    """SmallAlexNet builds for every width, activation, pooling, LRN, dropout and tower count
    and maps a batch of images of at least 16x16 to (N, num_classes) finite scores; two towers
    with an odd width raise a ValueError naming groups."""
    kwargs = dict(
        num_classes=num_classes,
        in_channels=in_channels,
        activation=activation,
        lrn=lrn,
        overlapping_pool=overlapping_pool,
        dropout=dropout,
        groups=groups,
        width=width,
    )
    if groups == 2 and width % 2:
        with pytest.raises(ValueError, match="groups"):
            SmallAlexNet(**kwargs)
        return
    _runs(SmallAlexNet(**kwargs), in_channels, size, num_classes)


@SMALL_BUDGET
@given(
    num_classes=classes,
    in_channels=channels_in,
    num_blocks=st.integers(1, 4),
    convs=st.integers(1, 2),
    width=st.integers(1, 6),
    hidden=st.none() | st.integers(1, 16),
    dropout=dropouts,
    pool_size=st.integers(1, 2),
)
def test_small_vgg_builds_and_runs_over_its_arguments(
    num_classes, in_channels, num_blocks, convs, width, hidden, dropout, pool_size
):
    """SmallVGG builds for 1-4 blocks of any conv count and width and runs on 16x16 images."""
    model = SmallVGG(num_classes, in_channels, num_blocks, convs, width, hidden, dropout, pool_size)
    _runs(model, in_channels, 16, num_classes)


@SMALL_BUDGET
@given(
    num_classes=classes,
    in_channels=channels_in,
    width=st.integers(1, 6),
    batch_norm=st.booleans(),
    size=st.integers(8, 20),
)
def test_small_googlenet_builds_and_runs_over_its_arguments(
    num_classes, in_channels, width, batch_norm, size
):
    """SmallGoogLeNet builds at every width, with or without BN, and runs on 8x8 to 20x20 images."""
    model = SmallGoogLeNet(num_classes, in_channels, width=width, batch_norm=batch_norm)
    _runs(model, in_channels, size, num_classes)


@BUDGET
@given(
    in_channels=st.integers(1, 6),
    c1=st.integers(1, 4),
    c2=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    c3=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    c4=st.integers(1, 4),
    batch_norm=st.booleans(),
    c3_kernel_size=st.sampled_from([1, 3, 5]),
    size=st.integers(1, 6),
)
def test_inception_keeps_the_size_and_concatenates_four_branches(
    in_channels, c1, c2, c3, c4, batch_norm, c3_kernel_size, size
):
    """An Inception block keeps height and width and gives c1 + c2[1] + c3[1] + c4 channels,
    which is its ``out_channels``."""
    block = Inception(
        in_channels, c1, c2, c3, c4, batch_norm=batch_norm, c3_kernel_size=c3_kernel_size
    ).eval()
    out = block(torch.randn(1, in_channels, size, size))
    assert out.shape == (1, c1 + c2[1] + c3[1] + c4, size, size) and block.out_channels == out.shape[1]


def _expected_side(size: int, stride: int) -> int:
    return (size - 1) // stride + 1


@BUDGET
@given(
    in_channels=st.integers(1, 8),
    out_channels=st.integers(1, 8),
    stride=st.integers(1, 3),
    shortcut=st.sampled_from(SHORTCUTS),
    size=st.integers(1, 7),
)
def test_residual_block_shapes_or_a_named_refusal(in_channels, out_channels, stride, shortcut, size):
    """ResidualBlock maps (N, in, H, W) to (N, out, ceil(H/stride), ceil(W/stride)) with every
    shortcut kind, except that the parameter-free shortcut cannot drop channels: that raises a
    ValueError naming the shortcut."""
    if shortcut == "identity" and out_channels < in_channels:
        with pytest.raises(ValueError, match="shortcut"):
            ResidualBlock(in_channels, out_channels, stride, shortcut=shortcut)
        return
    block = ResidualBlock(in_channels, out_channels, stride, shortcut=shortcut).eval()
    out = block(torch.randn(2, in_channels, size, size))
    side = _expected_side(size, stride)
    assert out.shape == (2, out_channels, side, side) and (out >= 0).all()


@BUDGET
@given(
    in_channels=st.integers(1, 12),
    mid=st.integers(1, 4),
    stride=st.integers(1, 3),
    shortcut=st.sampled_from(SHORTCUTS),
    size=st.integers(1, 7),
)
def test_bottleneck_shapes_or_a_named_refusal(in_channels, mid, stride, shortcut, size):
    """Bottleneck maps (N, in, H, W) to (N, 4*mid, ceil(H/stride), ceil(W/stride)); the
    parameter-free shortcut refuses to drop channels with a ValueError naming the shortcut."""
    if shortcut == "identity" and 4 * mid < in_channels:
        with pytest.raises(ValueError, match="shortcut"):
            Bottleneck(in_channels, mid, stride, shortcut=shortcut)
        return
    block = Bottleneck(in_channels, mid, stride, shortcut=shortcut).eval()
    out = block(torch.randn(2, in_channels, size, size))
    side = _expected_side(size, stride)
    assert out.shape == (2, 4 * mid, side, side) and block.out_channels == 4 * mid


@SMALL_BUDGET
@given(
    depth=st.integers(-2, 40),
    num_classes=classes,
    width=st.integers(1, 4),
    shortcut=st.sampled_from(SHORTCUTS),
    size=st.integers(4, 16),
)
@example(depth=21, num_classes=10, width=16, shortcut="identity", size=8)
def test_small_resnet_builds_for_6n_plus_2_and_refuses_other_depths(
    depth, num_classes, width, shortcut, size
):
    """SmallResNet builds for every depth 6n+2 (n >= 1) and any width and shortcut and runs a
    batch; any other depth raises a ValueError naming depth."""
    if depth < 8 or (depth - 2) % 6:
        with pytest.raises(ValueError, match="depth"):
            SmallResNet(depth=depth, num_classes=num_classes, shortcut=shortcut, width=width)
        return
    model = SmallResNet(depth=depth, num_classes=num_classes, shortcut=shortcut, width=width)
    _runs(model, 3, size, num_classes)


@BUDGET
@given(
    num_layers=st.integers(1, 4),
    in_channels=st.integers(1, 8),
    growth_rate=st.integers(1, 4),
    bottleneck=st.booleans(),
    bn_size=st.integers(1, 4),
    size=st.integers(1, 6),
)
def test_dense_block_grows_linearly_and_keeps_its_input(
    num_layers, in_channels, growth_rate, bottleneck, bn_size, size
):
    """A DenseBlock gives in + num_layers * growth_rate channels at the same size, its input
    passed through unchanged as the first channels."""
    block = DenseBlock(num_layers, in_channels, growth_rate, bottleneck, bn_size).eval()
    x = torch.randn(2, in_channels, size, size)
    out = block(x)
    assert (
        out.shape
        == (2, in_channels + num_layers * growth_rate, size, size)
        == (2, block.out_channels, size, size)
    )
    assert torch.equal(out[:, :in_channels], x)


@BUDGET
@given(
    in_channels=st.integers(1, 8), out_channels=st.integers(1, 8), relu=st.booleans(), size=st.integers(2, 9)
)
def test_transition_halves_the_size(in_channels, out_channels, relu, size):
    """A Transition gives (N, out_channels, H // 2, W // 2)."""
    out = Transition(in_channels, out_channels, relu=relu).eval()(torch.randn(2, in_channels, size, size))
    assert out.shape == (2, out_channels, size // 2, size // 2)


@SMALL_BUDGET
@given(
    num_classes=classes,
    in_channels=channels_in,
    growth_rate=st.integers(1, 4),
    block_config=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    bottleneck=st.booleans(),
    compression=st.floats(0.05, 1.0),
    size=st.integers(8, 16),
)
def test_small_densenet_builds_and_runs_over_its_arguments(
    num_classes, in_channels, growth_rate, block_config, bottleneck, compression, size
):
    """SmallDenseNet builds for any growth rate, block list, bottleneck and compression in
    (0, 1] and runs a batch."""
    model = SmallDenseNet(num_classes, in_channels, growth_rate, block_config, bottleneck, compression)
    _runs(model, in_channels, size, num_classes)


@BUDGET
@given(depth=st.integers(0, 120), bottleneck=st.booleans())
def test_cifar_densenet_depth_rule(depth, bottleneck):
    """cifar_densenet builds (on the meta device here) for depth 3n+4, or 6n+4 with a
    bottleneck, and otherwise raises a ValueError naming depth."""
    per_layer = 6 if bottleneck else 3
    if depth < 4 + per_layer or (depth - 4) % per_layer:
        with pytest.raises(ValueError, match="depth"):
            cifar_densenet(depth, bottleneck=bottleneck)
        return
    with torch.device("meta"):
        model = cifar_densenet(depth, growth_rate=2, bottleneck=bottleneck)
    assert model.block_config == ((depth - 4) // per_layer,) * 3


NAMED = tuple(n for n in MODELS if n in FULL_SIZE + PAPER + CIFAR + SMALL)


@pytest.mark.parametrize("name", NAMED)
@settings(BUDGET, max_examples=2)
@given(num_classes=st.integers(1, 50))
def test_every_named_model_builds_on_meta_and_maps_to_num_classes(name, num_classes):
    """build_model(name, num_classes=k) builds every listed model (on the meta device: no
    weights, no arithmetic) and maps a batch at the natural input size to (N, k) scores."""
    size = INPUT_SIZES["full"] if name in FULL_SIZE + PAPER else INPUT_SIZES["small"]
    with torch.device("meta"):
        model = build_model(name, num_classes=num_classes).eval()
        out = model(torch.zeros(2, *size))
    assert out.shape == (2, num_classes)


@BUDGET
@given(
    name=st.one_of(env_text, st.none(), st.integers(), st.lists(st.sampled_from(NAMED), max_size=2)).filter(
        lambda n: n not in tuple(MODELS)
    )
)
@example(name=["resnet20"])
def test_an_unknown_model_name_is_refused_by_name(name):
    """build_model with a name it does not know raises a ValueError listing the known names."""
    with pytest.raises((ValueError, TypeError), match="model name"):
        build_model(name)


#: Constructors and their integer arguments (each > 0), with the other arguments valid.
INT_ARGS = {
    SmallAlexNet: ("num_classes", "in_channels", "width"),
    SmallVGG: ("num_classes", "in_channels", "num_blocks", "width", "hidden", "pool_size"),
    VGG: ("num_classes", "in_channels", "hidden", "pool_size"),
    SmallGoogLeNet: ("num_classes", "in_channels", "width"),
    SmallDenseNet: ("num_classes", "in_channels", "growth_rate"),
    ResidualBlock: ("in_channels", "out_channels", "stride"),
    Bottleneck: ("in_channels", "mid_channels", "stride"),
    DenseBlock: ("num_layers", "in_channels", "growth_rate", "bn_size"),
    Transition: ("in_channels", "out_channels"),
}
REQUIRED = {
    ResidualBlock: dict(in_channels=4, out_channels=4),
    Bottleneck: dict(in_channels=4, mid_channels=1),
    DenseBlock: dict(num_layers=1, in_channels=4, growth_rate=2),
    Transition: dict(in_channels=4, out_channels=2),
}
CTOR_ARG = st.sampled_from([(ctor, arg) for ctor, args in INT_ARGS.items() for arg in args])


@BUDGET
@given(ctor_arg=CTOR_ARG, value=junk_ints)
def test_a_junk_integer_argument_is_refused_by_name(ctor_arg, value):
    """Every integer argument of the course's models and blocks (widths, channels, classes,
    strides, ...) refuses zero, negatives, bools, floats, text and None with a ValueError or
    TypeError whose message names the argument."""
    ctor, arg = ctor_arg
    if ctor is SmallVGG and arg in ("hidden", "pool_size") and value is None:
        return  # None is SmallVGG's default there: 8 * width, and 2
    with pytest.raises((ValueError, TypeError)) as err:
        with torch.device("meta"):
            ctor(**{**REQUIRED.get(ctor, {}), arg: value})
    _raises_naming(err.value, arg)


#: Constructors and their list-of-ints arguments, with the other arguments valid.
LIST_ARGS = [
    (AlexNet, "channels", {}),
    (ResNet, "layers", dict(block="basic", widths=(4, 8))),
    (ResNet, "widths", dict(block="basic", layers=(1, 1))),
    (DenseNet, "block_config", {}),
    (SmallDenseNet, "block_config", {}),
    (VGG, "config", {}),
]
junk_lists = st.one_of(
    st.integers(),
    st.none(),
    st.floats(),
    st.text("abc", max_size=4),
    st.lists(
        st.one_of(st.integers(max_value=0), st.floats(), st.booleans(), st.none(), st.text(max_size=2)),
        min_size=1,
        max_size=3,
    ),
    st.lists(
        st.tuples(st.one_of(st.integers(max_value=0), st.floats(1.1, 3.9), st.booleans()), st.integers(1, 4)),
        min_size=1,
        max_size=2,
    ),
)


@BUDGET
@given(ctor_arg=st.sampled_from(LIST_ARGS), value=junk_lists)
@example(ctor_arg=(AlexNet, "channels", {}), value=5)
@example(ctor_arg=(ResNet, "layers", dict(block="basic", widths=(4, 8))), value=3)
@example(ctor_arg=(DenseNet, "block_config", {}), value=3)
@example(ctor_arg=(VGG, "config", {}), value=[(1.5, 8)])
@example(ctor_arg=(VGG, "config", {}), value=[(True, 8)])
def test_a_junk_list_argument_is_refused_by_name(ctor_arg, value):
    """A list argument (AlexNet's channels, ResNet's layers and widths, DenseNet's block_config,
    VGG's config of (num_convs, channels) pairs) that is not a list of ints >= 1 -- a bare
    number, text, None, fractions such as 1.5 convs, bools -- raises a ValueError or TypeError
    naming the argument; nothing is silently rounded."""
    ctor, arg, kwargs = ctor_arg
    with pytest.raises((ValueError, TypeError)) as err:
        with torch.device("meta"):
            ctor(**{**kwargs, arg: value})
    _raises_naming(err.value, arg)


@BUDGET
@given(
    ctor=st.sampled_from([AlexNet, SmallAlexNet]),
    groups=st.one_of(
        st.integers().filter(lambda g: g not in (1, 2)),
        st.just(2.0),
        st.just(True),
        st.text(max_size=2),
        st.none(),
    ),
)
@example(ctor=SmallAlexNet, groups=2.0)
def test_a_junk_tower_count_is_refused_by_name(ctor, groups):
    """AlexNet's groups is 1 or 2 (ints); anything else, 2.0 included, raises a ValueError
    naming groups rather than an error from inside torch's convolution."""
    with pytest.raises(ValueError, match="groups"):
        with torch.device("meta"):
            ctor(groups=groups)


@BUDGET
@given(
    k=st.one_of(
        st.integers(max_value=0),
        st.integers(1, 10).map(lambda k: 2 * k),
        st.floats(),
        st.text(max_size=2),
        st.none(),
    )
)
@example(k="a")
@example(k=-1)
def test_a_junk_inception_kernel_is_refused_by_name(k):
    """Inception's c3_kernel_size must be an odd int >= 1; anything else raises a ValueError or
    TypeError naming c3_kernel_size (a text value once gave a string-formatting error)."""
    with pytest.raises((ValueError, TypeError), match="c3_kernel_size"):
        Inception(4, 1, (1, 1), (1, 1), 1, c3_kernel_size=k)


#: Constructors with a dropout probability; a few also take a compression in (0, 1].
DROPOUT_CTORS = (SmallAlexNet, SmallVGG, SmallGoogLeNet, SmallDenseNet)
junk_probabilities = st.one_of(
    st.floats(max_value=-1e-9),
    st.floats(min_value=1.0),
    st.just(float("nan")),
    st.text(max_size=3),
    st.none(),
    st.lists(st.floats(0, 0.5), max_size=2),
)


@BUDGET
@given(ctor=st.sampled_from(DROPOUT_CTORS), value=junk_probabilities)
@example(ctor=SmallAlexNet, value="x")
@example(ctor=SmallVGG, value=1.5)
@example(ctor=SmallGoogLeNet, value=float("nan"))
@example(ctor=SmallVGG, value=1.0)
@example(ctor=SmallAlexNet, value=None)
def test_a_junk_dropout_is_refused_by_name(ctor, value):
    """A dropout that is not a probability in [0, 1) (negative, 1 or more, NaN, text, None)
    raises a ValueError or TypeError naming dropout."""
    with pytest.raises((ValueError, TypeError)) as err:
        with torch.device("meta"):
            ctor(dropout=value)
    _raises_naming(err.value, "dropout")


@BUDGET
@given(
    value=st.one_of(
        st.floats(max_value=0.0),
        st.floats(min_value=1.0 + 1e-9),
        st.just(float("nan")),
        st.text(max_size=3),
        st.none(),
    )
)
@example(value="x")
@example(value=None)
def test_a_junk_compression_is_refused_by_name(value):
    """DenseNet's compression must be a number in (0, 1]; anything else raises a ValueError or
    TypeError naming compression."""
    with pytest.raises((ValueError, TypeError)) as err:
        with torch.device("meta"):
            SmallDenseNet(compression=value)
    _raises_naming(err.value, "compression")


# --------------------------------------------------------------------------- measure
@st.composite
def conv_stacks(draw, max_layers: int = 4):
    """A small Sequential of convs (with BN/ReLU/pooling between) and its input size."""
    c = draw(st.integers(1, 4))
    size = draw(st.integers(6, 12))
    layers: list[nn.Module] = []
    c_in, side = c, size
    for _ in range(draw(st.integers(1, max_layers))):
        c_out = draw(st.integers(1, 6))
        k = draw(st.integers(1, 3))
        stride = draw(st.integers(1, 2))
        groups = draw(st.sampled_from([g for g in (1, 2) if c_in % g == 0 and c_out % g == 0]))
        padding = draw(st.integers(0, k // 2))
        if k > side + 2 * padding:
            break
        layers.append(
            nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=groups, bias=draw(st.booleans()))
        )
        side = (side + 2 * padding - k) // stride + 1
        extra = draw(st.sampled_from(["none", "bn", "relu", "pool"]))
        if extra == "bn":
            layers.append(nn.BatchNorm2d(c_out))
        elif extra == "relu":
            layers.append(nn.ReLU())
        elif extra == "pool" and side >= 2:
            layers.append(nn.MaxPool2d(2))
            side //= 2
        c_in = c_out
    if not layers:
        layers.append(nn.Conv2d(c, 2, 1))
    if draw(st.booleans()):
        layers += [nn.Flatten(), nn.LazyLinear(draw(st.integers(1, 5)))]
    model = nn.Sequential(*layers)
    model.eval()(torch.zeros(1, c, size, size))  # materialise a LazyLinear
    return model, (c, size, size)


@BUDGET
@given(stack=conv_stacks(), frozen=st.sets(st.integers(0, 10)), shared=st.booleans())
def test_count_parameters_is_the_sum_of_numel_counting_shared_ones_once(stack, frozen, shared):
    """count_parameters is the sum of numel over the model's distinct parameters (a layer used
    twice counts once); with trainable_only, over those that require a gradient."""
    model, _ = stack
    if shared:
        model = nn.Sequential(model, model[0])  # the first layer twice
    params = list(model.parameters())
    for i in frozen:
        if i < len(params):
            params[i].requires_grad_(False)
    unique = {id(p): p for m in model.modules() for p in m.parameters(recurse=False)}
    assert count_parameters(model) == sum(p.numel() for p in unique.values())
    assert count_parameters(model, trainable_only=True) == sum(
        p.numel() for p in unique.values() if p.requires_grad
    )


def _conv_flops(conv: nn.Conv2d, side_out: int) -> int:
    k = conv.kernel_size[0]
    return 2 * (conv.in_channels // conv.groups) * conv.out_channels * k * k * side_out * side_out


@BUDGET
@given(stack=conv_stacks())
def test_flops_are_nonnegative_additive_and_match_the_conv_formula(stack):
    """flops_per_image is a non-negative int, equals the sum of the layers' FLOPs each at its own
    input size (additive over a Sequential), equals 2 * Cin/groups * Cout * k * k * Hout * Wout
    for a conv and 2 * in * out for a Linear, is twice macs_per_image, is the same on the meta
    device, and leaves the model's train/eval mode as it was."""
    model, size = stack
    model.train()
    total = flops_per_image(model, size)
    assert isinstance(total, int) and total >= 0
    assert model.training and all(m.training for m in model.modules())
    assert macs_per_image(model, size) == total // 2
    parts, by_formula = 0, 0
    x = torch.zeros(1, *size)
    for layer in model:
        parts += flops_per_image(nn.Sequential(layer), tuple(x.shape[1:]))
        y = layer.eval()(x)
        if isinstance(layer, nn.Conv2d):
            by_formula += _conv_flops(layer, y.shape[-1])
        elif isinstance(layer, nn.Linear):
            by_formula += 2 * layer.in_features * layer.out_features
        x = y
    assert total == parts == by_formula
    assert flops_per_image(copy.deepcopy(model).to("meta"), size) == total


@settings(BUDGET, max_examples=15)
@given(stack=conv_stacks())
def test_the_layer_table_agrees_with_the_counters(stack):
    """layer_summary's total parameters equal count_parameters, and its mult-adds are at least
    macs_per_image (torchinfo also counts biases and batch norm)."""
    model, size = stack
    table = layer_summary(model, size)
    assert table.total_params == count_parameters(model)
    assert table.total_mult_adds >= macs_per_image(model, size)


@BUDGET
@given(model=st.one_of(st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2)))
@example(model=None)
@example(model=[1, 2])
def test_measuring_something_that_is_not_a_model_is_refused_by_name(model):
    """count_parameters and flops_per_image given something that is not an nn.Module raise a
    TypeError naming model, not an AttributeError from deep inside."""
    for measure in (count_parameters, flops_per_image):
        with pytest.raises(TypeError, match="model"):
            measure(model)


@BUDGET
@given(
    input_size=st.one_of(
        st.tuples(st.integers(max_value=0), st.integers(1, 4), st.integers(1, 4)),
        st.tuples(st.integers(1, 3), st.floats(1, 4), st.integers(1, 4)),
        st.just(()),
        st.tuples(st.booleans(), st.integers(1, 3), st.integers(1, 3)),
    )
)
def test_a_junk_input_size_is_refused_by_name(input_size):
    """flops_per_image refuses an input size with a non-positive, non-int or bool entry, or an
    empty one, with a ValueError naming input_size."""
    with pytest.raises(ValueError, match="input_size"):
        flops_per_image(nn.Conv2d(1, 1, 1), input_size)


layer_specs = st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 3)), max_size=6)


@BUDGET
@given(layers=layer_specs, extra=st.tuples(st.integers(1, 7), st.integers(1, 3)))
def test_receptive_field_follows_the_formula_and_never_shrinks(layers, extra):
    """receptive_field is 1 + sum (k_i - 1) d_i prod_{j<i} s_j; it is 1 for no layers and never
    shrinks when a layer is added on top; stacked_receptive_field(n, k) equals n stride-1 k x k
    layers."""
    expected, jump = 1, 1
    for k, s, d in layers:
        expected += (k - 1) * d * jump
        jump *= s
    assert receptive_field(layers) == expected
    assert receptive_field(layers + [extra]) >= expected
    n, k = len(layers), extra[0]
    assert stacked_receptive_field(n, k) == receptive_field([(k, 1)] * n) == 1 + n * (k - 1)


@BUDGET
@given(
    layers=st.lists(
        st.one_of(
            st.tuples(st.integers(max_value=0), st.integers(1, 3)),
            st.tuples(st.integers(1, 3), st.floats(1, 3)),
            st.tuples(st.integers(1, 3)),
            st.integers(),
            st.none(),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_junk_layer_spec_is_refused_by_position(layers):
    """receptive_field refuses a layer that is not (kernel_size, stride[, dilation]) of ints
    >= 1 with a ValueError or TypeError naming its position, layers[i]."""
    with pytest.raises((ValueError, TypeError), match=r"layers\[\d+\]"):
        receptive_field(layers)


@BUDGET
@given(kernels=st.lists(st.sampled_from([1, 3, 5]), min_size=1, max_size=3), dilation=st.integers(1, 2))
def test_the_measured_gradient_footprint_is_the_receptive_field(kernels, dilation):
    """For a stack of stride-1 convs without padding, gradient_footprint of the centre output
    pixel spans exactly receptive_field of the stack, in both directions."""
    layers = [nn.Conv2d(2, 2, k, dilation=dilation) for k in kernels]
    rf = receptive_field([(k, 1, dilation) for k in kernels])
    fp = gradient_footprint(nn.Sequential(*layers), (2, rf + 4, rf + 4), trials=1)
    assert (fp.height, fp.width) == (rf, rf)


@BUDGET
@given(k=st.integers(1, 5), c_in=st.integers(1, 16), c_out=st.integers(1, 16), bias=st.booleans())
def test_conv_params_matches_a_real_conv(k, c_in, c_out, bias):
    """conv_params(k, Cin, Cout, bias) is the parameter count of nn.Conv2d(Cin, Cout, k, bias)."""
    with torch.device("meta"):
        conv = nn.Conv2d(c_in, c_out, k, bias=bias)
    assert conv_params(k, c_in, c_out, bias) == count_parameters(conv)


# --------------------------------------------------------------------------- profiles and environment
def _spellings(name: str):
    """The same profile name with any case and surrounding blanks."""
    return st.tuples(
        st.sampled_from(["", " ", "\t"]),
        st.sampled_from([name, name.upper(), name.title()]),
        st.sampled_from(["", " ", "\n"]),
    ).map("".join)


junk_names = env_text.filter(lambda s: s.strip().lower() not in PROFILES and s.strip())


@BUDGET
@given(value=junk_names)
@example(value="gpu2")
@example(value="smoke,cpu")
def test_a_junk_profile_variable_is_refused_by_name(value):
    """CNNLESSONS_PROFILE set to anything but a profile name (any case, blanks around) makes
    get_profile and load_data raise a ValueError that names CNNLESSONS_PROFILE and the
    profiles there are."""
    with environ(CNNLESSONS_PROFILE=value):
        for call in (get_profile, load_data):
            with pytest.raises(ValueError, match="CNNLESSONS_PROFILE") as err:
                call()
            _raises_naming(err.value, "smoke")


@BUDGET
@given(spelling=st.sampled_from(sorted(PROFILES)).flatmap(_spellings))
def test_a_profile_name_is_read_in_any_case_with_blanks(spelling):
    """CNNLESSONS_PROFILE=' Smoke\\n' selects the smoke profile: case and surrounding blanks
    do not matter."""
    with environ(CNNLESSONS_PROFILE=spelling):
        assert get_profile() is PROFILES[spelling.strip().lower()]


@BUDGET
@given(
    value=env_text.filter(
        lambda s: (
            s.strip()
            and not any(c in s for c in "/\\.~")
            and s.strip().lower().replace("-", "_") not in DATASETS
        )
    )
)
@example(value="cifar100")
def test_a_junk_dataset_variable_is_refused_by_name(value):
    """CNNLESSONS_DATASET set to something that is neither a dataset name nor a path makes
    load_data raise a ValueError naming CNNLESSONS_DATASET."""
    if pathlib.Path(value).exists():
        return
    with environ(CNNLESSONS_PROFILE="smoke", CNNLESSONS_DATASET=value, CNNLESSONS_DATA=None):
        with pytest.raises(ValueError, match="CNNLESSONS_DATASET"):
            load_data()


@BUDGET
@given(value=env_text.filter(lambda s: s.strip()), kind=st.sampled_from(["missing", "file"]))
@example(value="x", kind="missing")
@example(value="x", kind="file")
def test_a_junk_data_variable_is_refused_by_name(workdir, value, kind):
    """CNNLESSONS_DATA (a local copy of CIFAR-10) pointing to a path that does not exist, or to
    a file that is not an .npz, makes load_data raise a ValueError naming CNNLESSONS_DATA
    instead of downloading or failing deep inside."""
    if kind == "missing":
        path = str(workdir / "missing" / value)
        if pathlib.Path(path).exists():
            return
    else:
        path = workdir / "not-a-dataset.txt"
        path.write_text(value)
        path = str(path)
    with environ(CNNLESSONS_PROFILE="smoke", CNNLESSONS_DATASET="cifar10", CNNLESSONS_DATA=path):
        with pytest.raises(ValueError, match="CNNLESSONS_DATA"):
            load_data()


@BUDGET
@given(value=st.text("abcXYZ019-_", min_size=1, max_size=12))
def test_a_data_root_variable_that_is_a_file_is_refused_by_name(workdir, value):
    """CNNLESSONS_DATA_ROOT (where downloads go) is where data_root() points; when it names a
    file, asking for the folder to be made (as a download does) raises an error naming
    CNNLESSONS_DATA_ROOT rather than failing inside torchvision."""
    file = workdir / f"file{value}"
    file.write_text("not a folder")
    with environ(CNNLESSONS_DATA_ROOT=str(file)):
        assert data_root() == file
        with pytest.raises((ValueError, OSError), match="CNNLESSONS_DATA_ROOT"):
            data_root(create=True)
    folder = workdir / "root" / value
    with environ(CNNLESSONS_DATA_ROOT=f" {folder} "):
        assert data_root(create=True) == folder and folder.is_dir()
