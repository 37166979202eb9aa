"""Apple's GPU (mps): chosen when present and the course's training step passes on it, else the CPU
with one line saying why. No CI machine has Apple hardware: its availability is stubbed here, and
the self-test itself runs for real (on this machine it must fail, and the course must fall back)."""

import pytest
import torch
from torch import nn

from cnnlessons import devices
from cnnlessons.models import CIFAR, SMALL, build_model
from cnnlessons.precision import choose_precision
from cnnlessons.profiles import get_profile


@pytest.fixture
def mac(monkeypatch):
    """A machine whose PyTorch reports Apple's GPU and no CUDA."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    devices._automatic_device.cache_clear()
    yield
    devices._automatic_device.cache_clear()


def test_a_mac_whose_gpu_passes_the_self_test_trains_on_it(mac, monkeypatch, capsys):
    monkeypatch.setattr(devices, "mps_self_test", lambda: None)
    assert devices.pick_device() == torch.device("mps")
    assert capsys.readouterr().out == ""
    chosen = choose_precision("auto", "mps")
    assert chosen.name == "fp32" and "auto on mps" in chosen.reason
    assert choose_precision("fp16", "mps").name == "fp16"  # as asked


def test_a_gpu_that_fails_the_self_test_is_passed_over_with_one_line(mac, capsys):
    # The real self-test: this machine has no Apple GPU, so the step on "mps" fails for real.
    before = torch.get_rng_state()
    problem = devices.mps_self_test()
    assert problem is not None and problem.strip()
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random state is untouched
    assert devices.pick_device() == torch.device("cpu")
    assert devices.pick_device() == torch.device("cpu")
    out = capsys.readouterr().out
    assert out.count("Apple's GPU (mps) is here but failed the course's training step") == 1
    assert out.rstrip().endswith("training on the CPU")


def test_mps_asked_for(mac, monkeypatch):
    assert devices.pick_device("mps") == torch.device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"device 'mps' needs Apple's GPU.*use 'cpu'"):
        devices.pick_device("mps")
    with pytest.raises(ValueError, match=r"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got 'tpu'"):
        devices.pick_device("tpu")
    # the mac fixture's machine has no CUDA
    with pytest.raises(ValueError, match=r"device 'cuda' needs an NVIDIA GPU.*use 'cpu'"):
        devices.pick_device("cuda")
    with pytest.raises(ValueError, match="precision must be one of 'auto', 'fp32', 'bf16', 'fp16'"):
        choose_precision("half", "cpu")


def test_a_cuda_device_that_is_not_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert devices.pick_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(
        ValueError, match=r"device 'cuda:1': this machine has 1 CUDA device\(s\), numbered from 0"
    ):
        devices.pick_device("cuda:1")


def test_a_mac_gets_the_laptop_budget(mac, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("CNNLESSONS_PROFILE", raising=False)
    assert get_profile().name == "cpu"


def test_nothing_on_cuda_or_the_cpu_changes(monkeypatch):
    devices._automatic_device.cache_clear()
    try:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
        expected = "cuda" if torch.cuda.is_available() else "cpu"
        assert devices.pick_device().type == expected
        assert choose_precision("auto", "cpu").name == "fp32"
    finally:
        devices._automatic_device.cache_clear()


@pytest.mark.parametrize("name", [*SMALL, *CIFAR])
def test_adaptive_pooling_divides_its_input_at_the_course_sizes(name):
    # Apple's GPU refuses an adaptive pooling to a size that does not divide its input; at the
    # sizes the lessons use, every model pools to a divisor, in training and in evaluation.
    for size, channels in ((32, 3), (16, 1)):
        extra = {"image_size": size} if name == "small_vgg" else {}
        with torch.device("meta"):  # shapes only: nothing is computed
            model = build_model(name, in_channels=channels, num_classes=10, **extra).train()
            seen = []
            for module in model.modules():
                if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
                    module.register_forward_hook(
                        lambda m, i, o, seen=seen: seen.append((i[0].shape[-2:], o.shape[-2:]))
                    )
            model(torch.empty(2, channels, size, size))
        assert seen, f"{name} has no adaptive pooling to check"
        assert all(h % oh == 0 and w % ow == 0 for (h, w), (oh, ow) in seen), (name, size, seen)
