"""The VGG explorer: kernel size and depth against receptive field and weights; the train button."""

import pytest

from cnnlessons.lessons.vgg.explorer import KernelExplorer


def test_default_is_one_7x7_against_three_3x3():
    explorer = KernelExplorer()
    explorer.show()
    assert explorer.redraws == 1
    assert explorer.text.startswith("1 x 7x7 sees 7x7 pixels with 49C² = 200,704 weights (C = 64)")
    assert "3 x 3x3 sees the same with 27C² = 110,592 (55%) and 3 ReLUs instead of 1" in explorer.text
    field_ax, weights_ax = explorer.figure.axes
    k7, k3 = field_ax.lines[:2]
    assert list(k7.get_ydata()[:3]) == [7, 13, 19]  # 1 + L*6
    assert list(k3.get_ydata()[:3]) == [3, 5, 7]  # 1 + L*2
    # 1 x 7x7 and 1 x 7x7 coincide: two bars, in C^2 units 49 and 27
    assert [round(b.get_height()) for b in weights_ax.patches] == [200_704, 110_592]
    assert explorer.button.disabled  # no data: nothing to train


def test_sliders_update_field_and_weights():
    explorer = KernelExplorer(channels=32)
    explorer.show()
    explorer.kernel_size.value = 5
    explorer.num_layers.value = 2
    assert explorer.redraws == 3
    assert explorer.text.startswith("2 x 5x5 sees 9x9 pixels with 50C² = 51,200 weights (C = 32)")
    assert "4 x 3x3 sees the same with 36C² = 36,864 (72%) and 4 ReLUs instead of 2" in explorer.text
    field_ax, weights_ax = explorer.figure.axes
    assert [round(b.get_height()) for b in weights_ax.patches] == [51_200, 36_864, 81 * 32 * 32]
    circle = field_ax.lines[2]
    assert (circle.get_xdata()[0], circle.get_ydata()[0]) == (2, 9)
    square = field_ax.lines[3]
    assert (square.get_xdata()[0], square.get_ydata()[0]) == (4, 9)


def test_button_trains_both_stacks_once_per_setting(digits):
    explorer = KernelExplorer(digits, kernel_size=5, num_layers=1, epochs=1, width=4)
    explorer.show()
    assert not explorer.button.disabled and explorer.trained() is None
    explorer.button.click()
    runs = explorer.trained()
    assert list(runs) == ["1 x 5x5", "2 x 3x3"]
    assert runs["1 x 5x5"].info["conv_weights"] == 25 * 4 * 4
    assert runs["2 x 3x3"].info["conv_weights"] == 18 * 4 * 4
    assert {h.info["receptive_field"] for h in runs.values()} == {5}
    assert all(len(h.epoch) == 1 for h in runs.values())
    assert len(explorer.figure.axes) == 3
    curves = explorer.figure.axes[2].lines
    assert [list(line.get_ydata()) for line in curves] == [h.val_acc for h in runs.values()]
    assert "trained: 1 x 5x5" in explorer.text and "val acc" in explorer.status.value
    redraws = explorer.redraws
    explorer.button.click()  # cached: no new training, same runs
    assert explorer.trained() is runs and explorer.redraws == redraws + 1
    explorer.kernel_size.value = 7  # another setting: not trained yet, two panels again
    assert explorer.trained() is None and len(explorer.figure.axes) == 2
    explorer.kernel_size.value = 5  # back: the cached curves come back
    assert len(explorer.figure.axes) == 3


def test_k3_has_nothing_to_compare(digits):
    explorer = KernelExplorer(digits, kernel_size=3, num_layers=2, epochs=1)
    explorer.show()
    assert explorer.text.startswith("2 x 3x3 sees 5x5 pixels with 18C²")
    assert explorer.train() == {}
    assert "both stacks are the same" in explorer.status.value
    assert explorer.trained() is None


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="kernel_size must be odd, from 3 to 11"):
        KernelExplorer(kernel_size=4)
    with pytest.raises(ValueError, match="num_layers must be between 1 and max_layers=4"):
        KernelExplorer(num_layers=5)
    with pytest.raises(ValueError, match="built without data"):
        KernelExplorer().train()
