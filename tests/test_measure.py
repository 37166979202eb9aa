import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlessons.layers import deep_stack
from cnnlessons.measure import (
    conv_params,
    count_parameters,
    flops_per_image,
    gradient_footprint,
    gradient_norms,
    layer_summary,
    macs_per_image,
    peak_memory,
    receptive_field,
    stacked_receptive_field,
    track_peak_memory,
    training_memory_per_image,
)
from cnnlessons.models import SmallResNet


def test_count_parameters():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(4, 2))
    assert count_parameters(model) == (3 * 8 * 9 + 8) + 16 + (4 * 2 + 2)
    model[0].requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == 16 + 10
    with pytest.raises(TypeError, match="model"):
        count_parameters([1, 2])


def test_flops_of_a_conv_and_a_linear_layer():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert flops_per_image(conv, (3, 32, 32)) == 2 * 3 * 8 * 9 * 32 * 32 == 442_368
    assert macs_per_image(conv, (3, 32, 32)) == 3 * 8 * 9 * 32 * 32
    assert flops_per_image(nn.Conv2d(3, 8, 3), (3, 32, 32)) == 2 * 3 * 8 * 9 * 30 * 30
    assert flops_per_image(nn.Conv2d(4, 8, 3, groups=2, padding=1), (4, 10, 10)) == 2 * 2 * 8 * 9 * 100
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 8 * 8, 10)
    )
    assert flops_per_image(net, (3, 8, 8)) == 2 * 3 * 8 * 9 * 64 + 2 * 512 * 10  # BN/ReLU/bias not counted
    assert net.training  # the mode is restored


def test_flops_of_a_model_with_batch_norm_at_1x1_and_on_meta():
    # ResNet-20 by hand: stem, stage 1 (6 convs 16->16 at 32x32), stage 2 (16->32 then 5 x
    # 32->32 at 16x16), stage 3 (32->64 then 5 x 64->64 at 8x8), FC 64->10; option A adds nothing.
    macs = 3 * 16 * 9 * 32**2 + 6 * 16 * 16 * 9 * 32**2
    macs += (16 * 32 + 5 * 32 * 32) * 9 * 16**2 + (32 * 64 + 5 * 64 * 64) * 9 * 8**2 + 64 * 10
    assert flops_per_image(SmallResNet(depth=20), (3, 32, 32)) == 2 * macs == 81_102_080
    with torch.device("meta"):
        model = SmallResNet(depth=20)
    assert flops_per_image(model, (3, 32, 32)) == 2 * macs
    assert (
        flops_per_image(
            nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.AdaptiveAvgPool2d(1)), (3, 3, 3)
        )
        == 216
    )
    with pytest.raises(ValueError, match="input_size"):
        flops_per_image(model, (3, 0, 32))


def test_receptive_field_formula():
    assert receptive_field([(3, 1)] * 2) == 5
    assert receptive_field([(3, 1)] * 3) == 7
    assert receptive_field([(7, 1)]) == 7
    assert receptive_field([]) == 1
    assert receptive_field([(11, 4), (3, 2)]) == 19  # AlexNet conv1 + pool1
    assert receptive_field([(3, 1), (3, 2), (3, 1)]) == 9
    assert receptive_field([(3, 1, 2)]) == 5  # dilation 2
    with pytest.raises(ValueError, match="stride"):
        receptive_field([(3, 0)])
    with pytest.raises(ValueError, match="kernel_size"):
        receptive_field([(0, 1)])


def test_stacked_receptive_field_and_conv_params():
    assert [stacked_receptive_field(n) for n in (1, 2, 3)] == [3, 5, 7]
    assert stacked_receptive_field(2, kernel_size=5) == 9 == receptive_field([(5, 1)] * 2)
    assert conv_params(3, 64, 64) == 36_928 == count_parameters(nn.Conv2d(64, 64, 3))
    assert (
        3 * conv_params(3, 10, 10, bias=False) == 27 * 10**2
        and conv_params(7, 10, 10, bias=False) == 49 * 10**2
    )
    with pytest.raises(ValueError, match="kernel_size"):
        stacked_receptive_field(2, kernel_size=0)


def test_gradient_footprint_of_stacked_3x3():
    torch.manual_seed(0)
    two = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1))
    fp = gradient_footprint(two, (1, 15, 15))
    assert (fp.height, fp.width) == (5, 5)
    assert fp.mask.shape == (15, 15) and fp.mask.sum() == 25 and fp.mask[5:10, 5:10].all()
    three = nn.Sequential(
        *[m for _ in range(3) for m in (nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU())]
    )
    three[0] = nn.Conv2d(1, 2, 3, padding=1)
    assert gradient_footprint(three, (1, 15, 15))[:2] == (7, 7)  # BN in eval mode does not spread it
    assert three.training
    one_7x7 = nn.Conv2d(1, 1, 7, padding=3)
    assert gradient_footprint(one_7x7, (1, 15, 15))[:2] == (7, 7)
    strided = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, stride=2, padding=1), nn.Conv2d(2, 2, 3, padding=1)
    )
    assert (
        gradient_footprint(strided, (1, 32, 32))[:2]
        == (9, 9)
        == (receptive_field([(3, 1), (3, 2), (3, 1)]),) * 2
    )


def test_layer_summary():
    model = SmallResNet(depth=8)
    stats = layer_summary(model, (3, 32, 32))
    assert stats.total_params == count_parameters(model)
    assert "ResidualBlock" in str(stats)
    assert "Total mult-adds (M):" in str(stats) and "Units." not in str(stats)
    assert model.training


def test_peak_memory_on_cpu_is_not_reported():
    assert peak_memory("cpu") is None
    with track_peak_memory("cpu") as mem:
        torch.ones(1000).sum()
    assert mem.peak_bytes is None and mem.peak_mib is None
    assert "None" in repr(mem)


def test_training_memory_counts_what_backward_needs():
    # a linear layer keeps its input for the weight's gradient: batch * features * 4 bytes
    assert training_memory_per_image(nn.Linear(100, 10), (100,), batch_size=8) == 100 * 4
    # conv keeps its input, BN its input (+ two statistics per channel a batch), ReLU its output
    block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
    per_image = (3 + 8 + 8) * 6 * 6 * 4
    assert per_image <= training_memory_per_image(block, (3, 6, 6), batch_size=4) <= per_image + 16
    # the model is left as it was: mode, weights and BN running statistics
    block.eval()
    before = {k: v.clone() for k, v in block.state_dict().items()}
    training_memory_per_image(block, (3, 6, 6))
    assert not block.training and all(torch.equal(before[k], v) for k, v in block.state_dict().items())
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        training_memory_per_image(block, (3, 6, 6), batch_size=0)


def test_densenet_keeps_more_per_parameter_than_resnet():
    from cnnlessons.lessons.summary.recipes import SMALL_MODELS
    from cnnlessons.models import build_model

    ratio = {}
    for label in ("ResNet", "DenseNet"):
        name, kwargs = SMALL_MODELS[label]
        model = build_model(name, num_classes=10, in_channels=3, **kwargs)
        ratio[label] = training_memory_per_image(model) / count_parameters(model)
    assert ratio["DenseNet"] > 3 * ratio["ResNet"]


class ReversedRegistration(nn.Module):
    """Registers fc2 before fc1 but runs fc1 first."""

    def __init__(self):
        super().__init__()
        self.fc2 = nn.Linear(4, 3)
        self.fc1 = nn.Linear(5, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_gradient_norms_in_forward_order_and_exact():
    torch.manual_seed(0)
    model = ReversedRegistration()
    x, y = torch.randn(6, 5), torch.randint(0, 3, (6,))
    norms = gradient_norms(model, x, y)
    assert [name for name, _ in norms] == ["fc1", "fc2"]
    loss = F.cross_entropy(model(x), y)
    g1, g2 = torch.autograd.grad(loss, [model.fc1.weight, model.fc2.weight])
    assert norms[0][1] == pytest.approx(g1.norm().item()) and norms[1][1] == pytest.approx(g2.norm().item())
    assert model.fc1.weight.grad is None  # .grad left alone


def test_gradient_norms_show_sigmoid_vanishing_and_relu_not():
    torch.manual_seed(0)
    x, y = torch.randn(64, 32), torch.randint(0, 10, (64,))
    sigmoid = gradient_norms(deep_stack(10, 32, "sigmoid"), x, y)
    relu = gradient_norms(deep_stack(10, 32, "relu", init="kaiming"), x, y)
    assert len(sigmoid) == len(relu) == 11
    assert sigmoid[0][1] / sigmoid[-2][1] < 1e-3  # first hidden layer vs last hidden layer
    assert relu[0][1] / relu[-2][1] > 0.1


def test_gradient_norms_of_a_cnn():
    torch.manual_seed(0)
    model = SmallResNet(depth=8, width=4)
    norms = gradient_norms(model, torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,)))
    names = [n for n, _ in norms]
    assert names[0] == "stem.conv" and names[-1] == "fc"
    assert len(names) == 1 + 3 * 2 + 1  # stem, 3 blocks x 2 convs, fc (option A shortcuts have no conv)
    assert all(value > 0 for _, value in norms)
