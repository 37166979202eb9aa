"""The AlexNet explorer: activation, depth and initialisation against gradient size per layer."""

import pytest
import torch

from cnnlessons.lessons.alexnet.experiments import gradient_sizes_by_activation
from cnnlessons.lessons.alexnet.explorer import GradientExplorer


@pytest.fixture(scope="module")
def batch(digits):
    images, labels = digits.batch("train", 64)
    return images, labels


def test_default_draws_relu_with_he_init(batch):
    explorer = GradientExplorer(*batch, num_classes=10, depth=10)
    widget = explorer.show()
    assert widget is explorer.widget and explorer.redraws == 1
    assert explorer.text.startswith("relu, 10 layers, He (kaiming) normal init")
    ax = explorer.figure.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.lines] == ["relu", "tanh", "sigmoid"]
    relu = ax.lines[0].get_ydata()
    expected = gradient_sizes_by_activation(*batch, depth=10, activation="relu", init="kaiming")
    assert list(relu) == pytest.approx(expected)
    assert len(relu) == 10
    # He init: the ReLU stack's first and last layers get gradients of the same order
    assert 0.1 < relu[0] / relu[-1] < 10
    assert ax.lines[0].get_linewidth() > ax.lines[1].get_linewidth()  # the chosen one is bold


def test_dropdown_and_slider_redraw_with_the_right_figures(batch):
    explorer = GradientExplorer(*batch, num_classes=10, depth=10)
    explorer.show()
    explorer.activation.value = "sigmoid"
    assert explorer.redraws == 2
    assert explorer.text.startswith("sigmoid, 10 layers")
    sigmoid = explorer.figure.axes[0].lines[2].get_ydata()
    assert sigmoid[0] / sigmoid[-1] < 1e-3  # sigmoid's gradient vanishes towards the input
    assert explorer.figure.axes[0].lines[2].get_linewidth() > explorer.figure.axes[0].lines[0].get_linewidth()

    explorer.depth.value = 30
    assert explorer.redraws == 3
    assert explorer.text.startswith("sigmoid, 30 layers")
    deeper = explorer.figure.axes[0].lines[2].get_ydata()
    assert len(deeper) == 30
    assert deeper[0] / deeper[-1] < sigmoid[0] / sigmoid[-1]  # deeper: vanishes more
    ratio = float(explorer.text.rsplit("ratio first/last ", 1)[1])
    assert ratio == pytest.approx(deeper[0] / deeper[-1], rel=1e-2)


def test_default_init_makes_relu_vanish_and_results_are_cached(batch):
    explorer = GradientExplorer(*batch, num_classes=10, depth=20)
    explorer.show()
    he = explorer.figure.axes[0].lines[0].get_ydata()
    explorer.init.value = "default"
    assert "PyTorch's default init" in explorer.text
    default = explorer.figure.axes[0].lines[0].get_ydata()
    assert default[0] / default[-1] < 1e-3 < he[0] / he[-1]
    cached = explorer.sizes(20, "default")
    assert cached is explorer.sizes(20, "default")  # computed once per (depth, init)
    explorer.init.value = "kaiming"
    assert list(explorer.figure.axes[0].lines[0].get_ydata()) == list(he)


def test_bad_arguments_are_refused(batch):
    with pytest.raises(ValueError, match="activation must be one of"):
        GradientExplorer(*batch, activation="gelu")
    with pytest.raises(ValueError, match="init must be one of"):
        GradientExplorer(*batch, init="orthogonal")
    with pytest.raises(ValueError, match="depth must be between 2 and max_depth=60"):
        GradientExplorer(*batch, depth=61)


def test_works_without_a_kernel_and_the_output_widget_holds_no_display():
    images, labels = torch.randn(16, 1, 4, 4), torch.arange(16) % 10
    explorer = GradientExplorer(images, labels, depth=3)
    explorer.show()
    assert explorer.output.outputs == ()  # outside Jupyter nothing is sent to the widget
    assert explorer.static() is None
