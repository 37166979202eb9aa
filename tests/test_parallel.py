"""AlexNet's two towers on two devices: the split model equals the one-device model."""

import pytest
import torch

from cnnlessons.models import PAPER_CHANNELS, AlexNet, SmallAlexNet
from cnnlessons.parallel import run_model_parallel, split_towers


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    return SmallAlexNet(groups=2, lrn=True).eval()


def test_split_gives_each_tower_half_of_every_layer(small):
    split = split_towers(small)
    assert split.exchanges == ["conv3", "fc6", "fc7", "fc8", "output"]
    per_tower = split.parameters_per_tower
    assert per_tower[0] == per_tower[1]
    assert sum(per_tower) == sum(p.numel() for p in small.parameters())  # every weight in exactly one tower
    needs = {step.name: step.needs for step in split.towers[0]}
    assert needs["conv1"] == needs["conv3"] == needs["fc6"] == "full"
    assert needs["conv2"] == needs["conv4"] == needs["conv5"] == needs["lrn1"] == "half"


def test_towers_in_one_process_match_the_model(small):
    torch.manual_seed(1)
    x = torch.randn(3, 3, 32, 32)
    split = split_towers(small)
    torch.testing.assert_close(split.run_on_devices(x, ("cpu", "cpu")), small(x))
    assert split.bytes_exchanged > 0


def test_full_size_paper_alexnet_split(small):
    torch.manual_seed(0)
    model = AlexNet(groups=2, lrn=True, channels=PAPER_CHANNELS, num_classes=10).eval()
    x = torch.randn(1, 3, 67, 67)  # small input: the split logic does not depend on the size
    split = split_towers(model)
    assert split.parameters_per_tower[0] == (sum(p.numel() for p in model.parameters())) // 2
    torch.testing.assert_close(split(x), model(x))


def test_two_processes_with_gloo_match_the_model(small):
    torch.manual_seed(2)
    x = torch.randn(4, 3, 32, 32)
    out = run_model_parallel(small, x, backend="processes", timeout=90)
    assert out.shape == (4, 10)
    torch.testing.assert_close(out, small(x))


def test_towers_on_digits_without_lrn():
    torch.manual_seed(0)
    model = SmallAlexNet(groups=2, in_channels=1, activation="tanh", overlapping_pool=False).eval()
    x = torch.randn(2, 1, 16, 16)
    torch.testing.assert_close(split_towers(model)(x), model(x))


def test_bad_inputs():
    with pytest.raises(ValueError, match="groups"):
        split_towers(SmallAlexNet(groups=1))
    model = SmallAlexNet(groups=2)
    with pytest.raises(ValueError, match="in_channels"):
        run_model_parallel(model, torch.randn(1, 1, 32, 32))
    with pytest.raises(ValueError, match="backend"):
        run_model_parallel(model, torch.randn(1, 3, 32, 32), backend="mpi")
    if torch.cuda.device_count() < 2:
        with pytest.raises(ValueError, match="two GPUs"):
            run_model_parallel(model, torch.randn(1, 3, 32, 32), backend="cuda")
