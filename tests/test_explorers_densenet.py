"""The DenseNet explorer without a browser: set the controls, click the button, read the figure."""

import numpy as np
import pytest
import torch

from cnnlessons.lessons.densenet.explorer import GrowthRateExplorer
from cnnlessons.measure import count_parameters, flops_per_image
from cnnlessons.models import SmallDenseNet


def channels_of_block(explorer, block=0):
    return explorer.figure.axes[0].lines[block].get_ydata().tolist()


def test_default_setting_draws_linear_growth():
    explorer = GrowthRateExplorer(input_size=(3, 32, 32))
    explorer.show()
    assert explorer.redraws == 1
    assert len(explorer.figure.axes) == 4
    # stem of 2k = 24 channels, then +12 per layer; the next blocks start after a transition (x0.5)
    assert channels_of_block(explorer, 0) == [24, 36, 48, 60, 72]
    assert channels_of_block(explorer, 1) == [36, 48, 60, 72, 84]
    assert channels_of_block(explorer, 2) == [42, 54, 66, 78, 90]
    model = SmallDenseNet(
        num_classes=10, in_channels=3, growth_rate=12, block_config=(4, 4, 4), bottleneck=False
    )
    assert f"{count_parameters(model):,} parameters" in explorer.text
    assert f"{flops_per_image(model, (3, 32, 32)) / 1e6:,.1f} MFLOPs" in explorer.text
    assert "24 + 4·12" in explorer.text
    # one bar per dense layer, its parameters: BN (2c) + 3x3 conv (9ck) of what it reads
    heights = [p.get_height() for p in explorer.figure.axes[1].patches]
    assert len(heights) == 12
    assert heights[0] == 2 * 24 + 9 * 24 * 12
    assert heights[3] == 2 * 60 + 9 * 60 * 12


def test_sliders_redraw_with_the_new_setting():
    explorer = GrowthRateExplorer(input_size=(3, 32, 32))
    explorer.show()
    explorer.growth_rate.value = 32
    assert explorer.redraws == 2
    assert channels_of_block(explorer, 0) == [64, 96, 128, 160, 192]
    assert "64 + 4·32" in explorer.text
    explorer.num_layers.value = 2
    assert explorer.redraws == 3
    assert channels_of_block(explorer, 0) == [64, 96, 128]
    assert len(explorer.figure.axes[1].patches) == 6
    assert np.all(np.diff(channels_of_block(explorer, 0)) == 32)


def test_bottleneck_caps_the_growth_of_layer_cost():
    explorer = GrowthRateExplorer(input_size=(3, 32, 32), growth_rate=32, num_layers=8)
    explorer.show()
    plain = [p.get_height() for p in explorer.figure.axes[1].patches][:8]
    explorer.bottleneck.value = True
    bc = [p.get_height() for p in explorer.figure.axes[1].patches][:8]
    assert "bottleneck" in explorer.text
    # the channels do not change, the cost of each new layer climbs far less steeply
    assert channels_of_block(explorer, 0) == [64 + 32 * i for i in range(9)]
    assert plain[-1] / plain[0] > 3
    assert bc[-1] / bc[0] < plain[-1] / plain[0]


def test_flops_follow_the_resolution():
    explorer = GrowthRateExplorer(input_size=(3, 32, 32), growth_rate=12, num_layers=1)
    explorer.show()
    flops = [p.get_height() for p in explorer.figure.axes[2].patches]
    # layer 1 of block 1 on 32x32: 2 * 9 * 24 * 12 * 32 * 32 FLOPs
    assert flops[0] == pytest.approx(2 * 9 * 24 * 12 * 32 * 32 / 1e6)
    # block 2 reads 18 channels (36 // 2) at 16x16
    assert flops[1] == pytest.approx(2 * 9 * 18 * 12 * 16 * 16 / 1e6)


def test_button_trains_once_per_setting_and_adds_a_curve(digits):
    explorer = GrowthRateExplorer(digits, growth_rate=4, num_layers=1, epochs=1)
    explorer.show()
    assert "press" in explorer.figure.axes[3].texts[0].get_text()
    explorer.train_button.click()
    assert (4, 1, False) in explorer.runs
    run = explorer.runs[(4, 1, False)]
    assert len(run.epoch) == 1
    assert run.info["parameters"] == count_parameters(
        SmallDenseNet(num_classes=10, in_channels=1, growth_rate=4, block_config=(1, 1, 1), bottleneck=False)
    )
    curves = explorer.figure.axes[3].lines
    assert len(curves) == 1
    assert curves[0].get_ydata().tolist() == pytest.approx([1 - run.val_acc[0]])
    assert "Trained" in explorer.text
    assert "1 epochs" in explorer.status.value
    assert not explorer.train_button.disabled
    # the same setting again: cached, not retrained
    explorer.train_button.click()
    assert explorer.runs[(4, 1, False)] is run
    assert len(explorer._cache) == 1
    # another setting adds a second curve, the first stays
    explorer.growth_rate.value = 8
    explorer.train_button.click()
    assert len(explorer.runs) == 2
    assert len(explorer.figure.axes[3].lines) == 2


def test_without_data_the_button_is_off():
    explorer = GrowthRateExplorer()
    assert explorer.train_button.disabled
    assert explorer.input_size == (3, 32, 32)
    with pytest.raises(ValueError, match="data"):
        explorer.train()


def test_trained_model_takes_the_data_channels(digits):
    explorer = GrowthRateExplorer(digits, input_size=(3, 32, 32))
    model = explorer.build(in_channels=digits.channels)
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 10)
    assert explorer.build("meta").in_channels == 3
