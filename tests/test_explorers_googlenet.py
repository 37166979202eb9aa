"""The GoogLeNet explorer: the 1x1 reduction width against an Inception branch's cost."""

import pytest

from cnnlessons.lessons.googlenet.experiments import GOOGLENET_BRANCHES, branch_cost
from cnnlessons.lessons.googlenet.explorer import ReductionExplorer


def test_default_is_the_papers_3a_3x3_branch():
    explorer = ReductionExplorer()
    explorer.show()
    assert explorer.width.value == 96 and explorer.width.max == 192
    # 192*96 + 96 + 9*96*128 + 128 weights and biases; FLOPs 2*(192*96 + 9*96*128)*28*28
    assert "1x1 to 96 channels, then 3x3 to 128: 129,248 parameters" in explorer.text
    assert "202.3 MFLOPs" in explorer.text
    assert "against 221,312" in explorer.text  # 9*192*128 + 128
    assert explorer.redraws == 1


def test_slider_moves_the_marked_point_to_real_layer_counts():
    explorer = ReductionExplorer()
    explorer.show()
    explorer.width.value = 32
    assert explorer.redraws == 2
    assert "1x1 to 32 channels" in explorer.text and "43,168 parameters" in explorer.text
    params_ax, flops_ax = explorer.figure.axes
    blue, red, point = params_ax.lines[:3]
    assert point.get_xdata()[0] == 32
    assert point.get_ydata()[0] == pytest.approx(43_168 / 1e3)
    assert red.get_ydata()[0] == pytest.approx(221_312 / 1e3)
    assert len(blue.get_xdata()) == 192  # one point per possible width
    assert flops_ax.lines[2].get_ydata()[0] == pytest.approx(branch_cost(192, 32, 128, 3, 28).flops / 1e6)


def test_branch_dropdown_resets_the_slider_and_redraws_once():
    explorer = ReductionExplorer()
    explorer.show()
    explorer.branch.value = "5b 5x5"
    assert explorer.redraws == 2
    assert (explorer.width.max, explorer.width.value) == (832, 48)
    assert "1x1 to 48 channels, then 5x5 to 128: 193,712 parameters" in explorer.text
    explorer.branch.value = "source"  # max shrinks below the old value: still one redraw
    assert explorer.redraws == 3
    assert (explorer.width.max, explorer.width.value) == (128, 32)
    assert "41,120 parameters" in explorer.text and "147,584" in explorer.text


def test_every_branch_draws_and_bad_arguments_are_refused():
    explorer = ReductionExplorer(branch="4e 5x5", reduced_channels=1)
    explorer.show()
    assert "1x1 to 1 channels, then 5x5 to 128" in explorer.text
    for key in GOOGLENET_BRANCHES:
        explorer.branch.value = key
        assert f"then {GOOGLENET_BRANCHES[key].kernel_size}x" in explorer.text
    with pytest.raises(ValueError, match="branch must be one of"):
        ReductionExplorer(branch="6a 3x3")
    with pytest.raises(ValueError, match="reduced_channels must be between 1 and 192"):
        ReductionExplorer(reduced_channels=193)
