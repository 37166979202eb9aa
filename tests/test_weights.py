"""torchvision's state dicts load, strict, into the course's full-size models and give the same logits."""

import copy
import urllib.error

import pytest
import torch
import torchvision
from torch import nn

from cnnlessons.models import FULL_SIZE, build_model, torchvision_names
from cnnlessons.models.pretrained import torchvision_weights

# Every architecture pools adaptively before its head, so a small image runs the same layers.
SIZE = 64

#: Keyword arguments for torchvision's builder and for the course's, per model.
KWARGS = {
    "googlenet": (
        {"aux_logits": True, "init_weights": True, "transform_input": True},
        {"aux_logits": True, "transform_input": True},
    )
}


def _perturbed(model: nn.Module, seed: int) -> nn.Module:
    """Random BN statistics and affine parameters and random biases, so that a swap between two
    same-shaped BNs or biases (all equal after a fresh initialisation) changes the logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.running_mean.normal_(0, 0.1, generator=g)
                m.num_batches_tracked.fill_(int(torch.randint(1, 100, (), generator=g)))
            if getattr(m, "bias", None) is not None:
                m.bias.normal_(0, 0.1, generator=g)
    return model


def _torchvision(name: str, seed: int = 0, **kwargs) -> nn.Module:
    torch.manual_seed(seed)
    return _perturbed(getattr(torchvision.models, name)(weights=None, **kwargs), seed)


@pytest.mark.parametrize("name", FULL_SIZE)
def test_torchvision_state_dict_loads_strict_and_gives_identical_logits(name):
    tv_kwargs, kwargs = KWARGS.get(name, ({}, {}))
    tv = _torchvision(name, **tv_kwargs).eval()
    with torch.device("meta"):  # no initialisation to pay for: the load assigns torchvision's tensors
        ours = build_model(name, **kwargs)
    ours.load_state_dict(tv.state_dict(), strict=True, assign=True)
    ours.eval()
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = tv(x), ours(x)
    assert got.shape == (1, 1000)
    # The same tensors through the same operations in the same order: bit for bit the same logits.
    assert torch.equal(got, expected), f"largest difference {(got - expected).abs().max().item():.3g}"


def test_googlenet_without_auxiliary_heads_loads_torchvision_without_them():
    tv = _torchvision("googlenet", aux_logits=False, init_weights=True).eval()
    ours = build_model("googlenet")
    ours.load_state_dict(tv.state_dict(), strict=True)
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(ours.eval()(x), tv(x))
    with pytest.raises(RuntimeError, match="aux1"):  # strict stays strict
        ours.load_state_dict(_torchvision("googlenet", aux_logits=True, init_weights=True).state_dict())


@pytest.mark.parametrize(
    "name, lecture_names",
    [
        ("alexnet", ["features.conv1.weight", "classifier.fc8.bias"]),
        ("vgg16", ["features.2.conv3.weight", "classifier.fc1.weight"]),
        ("googlenet", ["stem.conv1.conv.weight", "inception4a.branches.2.1.bn.running_var"]),
        ("resnet50", ["stem.conv.weight", "layer2.0.shortcut.conv.weight", "layer3.5.residual.bn3.weight"]),
        (
            "densenet121",
            ["features.denseblock3.layers.23.layers.conv2.weight", "features.transition1.conv.weight"],
        ),
    ],
)
def test_own_state_dict_round_trips_under_the_lecture_names(name, lecture_names):
    torch.manual_seed(0)
    source = _perturbed(build_model(name), 3)
    state = source.state_dict()
    assert set(lecture_names) <= set(state)
    assert not any(
        k.startswith("features.0.weight") or ".downsample." in k or ".branch1." in k for k in state
    )
    target = build_model(name)
    target.load_state_dict(state, strict=True)
    for key, value in target.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_hook_handles_a_prefix_and_a_copy():
    tv = _torchvision("resnet18")
    wrapped = nn.Sequential(build_model("resnet18"))
    wrapped.load_state_dict({f"0.{k}": v for k, v in tv.state_dict().items()}, strict=True)
    assert torch.equal(wrapped[0].stem.conv.weight, tv.conv1.weight)
    clone = copy.deepcopy(wrapped[0])
    clone.load_state_dict(tv.state_dict(), strict=True)
    assert torch.equal(clone.layer1[1].residual.bn2.running_var, tv.layer1[1].bn2.running_var)


def test_course_key_documents_the_renames():
    with torch.device("meta"):
        _check_course_keys()


def _check_course_keys():
    resnet = build_model("resnet18")
    assert (
        torchvision_names.course_key(resnet, "layer2.0.downsample.1.running_mean")
        == "layer2.0.shortcut.bn.running_mean"
    )
    assert (
        torchvision_names.course_key(build_model("vgg11"), "features.18.weight") == "features.4.conv2.weight"
    )
    assert torchvision_names.course_key(build_model("googlenet"), "inception5b.branch4.1.conv.weight") == (
        "inception5b.branches.3.1.conv.weight"
    )
    assert torchvision_names.course_key(
        build_model("densenet121"), "features.denseblock2.denselayer12.norm1.bias"
    ) == ("features.denseblock2.layers.11.layers.norm1.bias")
    with pytest.raises(TypeError, match="model must be one of the course's full-size families"):
        torchvision_names.course_key(nn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match="family must be one of AlexNet, VGG"):
        torchvision_names.install(nn.Linear(2, 2), "Linear")


def test_weights_names_resolve_to_torchvision_enums():
    from torchvision.models import ResNet50_Weights

    assert torchvision_weights("resnet50", "DEFAULT") is ResNet50_Weights.DEFAULT
    assert torchvision_weights("resnet50", "IMAGENET1K_V1") is ResNet50_Weights.IMAGENET1K_V1
    assert torchvision_weights("resnet50", "ResNet50_Weights.IMAGENET1K_V2") is ResNet50_Weights.IMAGENET1K_V2
    assert torchvision_weights("resnet50", ResNet50_Weights.IMAGENET1K_V2) is ResNet50_Weights.IMAGENET1K_V2
    assert torchvision_weights("resnet50", None) is None
    with pytest.raises(ValueError, match="weights for resnet18 must be"):
        torchvision_weights("resnet18", ResNet50_Weights.DEFAULT)
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        build_model("alexnet", weights="imagenet")
    with pytest.raises(ValueError, match="num_classes must be 1000"):
        build_model("resnet18", weights="DEFAULT", num_classes=10)


@pytest.fixture
def fake_download(monkeypatch, tmp_path):
    """torchvision's URL loader replaced: ``calls`` records its arguments and ``result`` is what
    it returns (an exception to raise, or a state dict)."""
    calls = []
    box = {}

    def load(url, *args, **kwargs):
        calls.append((url, kwargs))
        if isinstance(box["result"], Exception):
            raise box["result"]
        return box["result"]

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", load)
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path))
    return calls, box


@pytest.mark.parametrize("name", ["resnet18", "googlenet"])
def test_offline_download_says_it_needs_network(fake_download, name):
    calls, box = fake_download
    box["result"] = urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    with pytest.raises(
        RuntimeError, match=f"cannot load {name}'s torchvision weights .* needs network"
    ) as info:
        build_model(name, weights="DEFAULT")
    assert isinstance(info.value.__cause__, urllib.error.URLError)
    url, kwargs = calls[0]
    assert url == torchvision_weights(name, "DEFAULT").url
    assert kwargs["model_dir"].endswith("weights") and kwargs["check_hash"]


@pytest.mark.parametrize("aux_logits", [False, True])
def test_googlenet_weights_build_as_torchvision_builds(fake_download, aux_logits):
    # torchvision's builder and the course's read the same "download": heads, transform, logits agree.
    calls, box = fake_download
    box["result"] = _torchvision("googlenet", aux_logits=True, init_weights=True).state_dict()
    ours = build_model("googlenet", weights="IMAGENET1K_V1", aux_logits=aux_logits).eval()
    if aux_logits:
        with pytest.warns(UserWarning, match="auxiliary heads"):
            tv = torchvision.models.googlenet(weights="IMAGENET1K_V1", aux_logits=True).eval()
    else:
        tv = torchvision.models.googlenet(weights="IMAGENET1K_V1").eval()
    assert ours.transform_input and tv.transform_input
    assert (ours.aux1 is None) == (tv.aux1 is None) == (not aux_logits)
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        assert torch.equal(ours(x), tv(x))
    assert len(calls) == 2


def test_weights_fill_every_tensor_of_the_built_model(fake_download):
    calls, box = fake_download
    tv = _torchvision("resnet18")
    box["result"] = tv.state_dict()
    ours = build_model("resnet18", weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1)
    for (key, value), expected in zip(ours.state_dict().items(), tv.state_dict().values(), strict=False):
        assert value.device.type == "cpu" and torch.equal(value, expected), key
    assert all(p.requires_grad for p in ours.parameters()) and ours.training
