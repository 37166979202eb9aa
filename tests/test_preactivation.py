"""The pre-activation residual block (He et al. 2016) and the CIFAR ResNet built from it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnlessons.models import PreActResidualBlock, ResidualBlock, SmallResNet, build_model


def test_block_order_and_no_relu_after_the_addition():
    torch.manual_seed(0)
    block = PreActResidualBlock(8, 8).train()
    kinds = [type(m) for m in block.residual]
    assert kinds == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Conv2d]
    x = torch.randn(4, 8, 6, 6)
    out = block(x)
    torch.testing.assert_close(out, block.residual(x) + x)
    assert (out < 0).any()  # nothing clips the sum


def test_identity_mapping_when_the_residual_is_zero():
    """With its last conv at zero the pre-activation block passes x on unchanged; the original
    block's ReLU after the addition does not (it clips the negative part)."""
    x = torch.randn(2, 8, 6, 6)
    pre = PreActResidualBlock(8, 8).eval()
    nn.init.zeros_(pre.residual.conv2.weight)
    assert torch.equal(pre(x), x)
    original = ResidualBlock(8, 8).eval()
    nn.init.zeros_(original.residual.bn2.weight)
    assert torch.equal(original(x), torch.relu(x)) and not torch.equal(original(x), x)


def test_preact_resnet_same_depth_and_default_unchanged():
    basic, pre = SmallResNet(depth=20), SmallResNet(depth=20, block="preact")
    assert set(basic.state_dict()) == set(SmallResNet(depth=20, block="basic").state_dict())
    assert basic.final is None and not any(k.startswith("final.") for k in basic.state_dict())
    assert [type(m) for m in pre.final] == [nn.BatchNorm2d, nn.ReLU]
    convs = [m for m in pre.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == 20  # 19 convs and the FC layer, option A shortcuts have none
    assert all(isinstance(b, PreActResidualBlock) for stage in pre.stages() for b in stage)
    # the same convs; BN moves to the block inputs (the first block of stages 2 and 3 normalises
    # 16 and 32 channels instead of 32 and 64) and one final BN of 64 channels is added
    extra = sum(p.numel() for p in pre.parameters()) - sum(p.numel() for p in basic.parameters())
    assert extra == 2 * 64 - 2 * (16 + 32)
    assert pre(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    model = build_model("small_resnet", in_channels=1, depth=8, width=4, block="preact")
    assert model(torch.randn(2, 1, 16, 16)).shape == (2, 10)
    with pytest.raises(ValueError, match="block"):
        SmallResNet(depth=20, block="bottleneck")


def test_resnet_explorer_block_choice(digits):
    from cnnlessons.lessons.resnet.experiments import DegradationSetup
    from cnnlessons.lessons.resnet.explorer import ShortcutExplorer

    calls = []

    def trainer(data, depth, shortcut, setup, **kwargs):
        calls.append((shortcut, depth, kwargs))
        from cnnlessons.history import History

        return History(
            label="x",
            epoch=[1, 2],
            train_acc=[0.2, 0.7],
            val_acc=[0.2, 0.6],
            train_loss=[1.0, 1.0],
            val_loss=[1.0, 1.0],
            time=[1.0, 1.0],
            info={"parameters": 9},
        )

    setup = DegradationSetup(depths=(8, 14), width=2, epochs=1, max_depth=14)
    explorer = ShortcutExplorer(digits, setup, shortcut="identity", train=trainer)
    explorer.show()
    explorer.button.click()
    explorer.block.value = "preact"
    assert explorer.key == ("identity", 14, "preact")
    assert "ResNet-14 (pre-activation): not trained yet" in explorer.text
    explorer.button.click()
    assert calls == [("identity", 14, {}), ("identity", 14, {"block": "preact"})]
    assert "ResNet-14 (pre-activation): training error 30.0%" in explorer.text
    markers = sorted(line.get_marker() for line in explorer.figure.axes[0].lines)
    assert markers == ["o", "s"]  # both curves, the pre-activation one with squares
    with pytest.raises(ValueError, match="block"):
        ShortcutExplorer(digits, setup, block="bottleneck")

    real = ShortcutExplorer(digits, setup, shortcut="identity", depth=8, block="preact")
    real.button.click()  # trains SmallResNet(depth=8, block="preact") for one epoch
    run = real.runs[("identity", 8, "preact")]
    assert run.label == "ResNet-8 (pre-activation)" and run.info["block"] == "preact" and run.epoch == [1]
