"""cnnlessons.views.diagram: the graph it traces and draws, on blocks written elsewhere (d2l's
Inception, torchvision's BasicBlock and _DenseBlock), on the course's own blocks and models,
and the drawing itself (lanes, arcs, no overlapping boxes, a slide's size)."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.densenet import _DenseBlock  # noqa: E402
from torchvision.models.resnet import BasicBlock  # noqa: E402

from cnnlessons.measure import count_parameters  # noqa: E402
from cnnlessons.models import (  # noqa: E402
    Bottleneck,
    DenseBlock,
    Inception,
    ResidualBlock,
    Transition,
    VGGBlock,
    build_model,
)
from cnnlessons.views import diagram  # noqa: E402
from cnnlessons.views.graph import Graph, trace, words  # noqa: E402


class D2LInception(nn.Module):
    """d2l.ai's Inception block (chapter 8.4), as learners meet it: branches as attributes,
    functional ReLUs and ``torch.cat`` in ``forward``."""

    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.b1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.b2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.b2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.b3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def chain_to(graph: Graph, node_id: int, stop: int) -> list:
    """The nodes from ``node_id`` back to ``stop`` along single inputs, ``stop`` left out, first first."""
    out = []
    while node_id != stop:
        node = graph[node_id]
        assert len(node.inputs) == 1, f"{node.name} joins {len(node.inputs)} paths"
        out.append(node)
        node_id = node.inputs[0]
    return out[::-1]


def drawn_params(graph: Graph) -> int:
    return sum(n.params * n.repeat for n in graph.nodes)


def assert_drawn_cleanly(fig) -> None:
    """Every node has its boxes, inside the figure, and no two boxes overlap."""
    width, height = fig.get_size_inches()
    boxes = [(n.id, b) for n in fig.graph.nodes for b in fig.graph.boxes[n.id]]
    assert len(fig.graph.boxes) == len(fig.graph.nodes)
    for _, (x, y, w, h) in boxes:
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
    for (i, (x1, y1, w1, h1)), (j, (x2, y2, w2, h2)) in itertools.combinations(boxes, 2):
        overlap = min(x1 + w1, x2 + w2) - max(x1, x2) > 1e-6 and min(y1 + h1, y2 + h2) - max(y1, y2) > 1e-6
        assert not overlap, f"the boxes of {fig.graph[i].name} and {fig.graph[j].name} overlap"


# ------------------------------------------------------------------------ blocks from elsewhere


def test_d2l_inception_3a_is_four_branches_joined_by_one_concatenation():
    fig = diagram(D2LInception(192, 64, (96, 128), (16, 32), 32), (192, 28, 28))
    graph = fig.graph
    (cat,) = graph.of_kind("concat")
    assert cat.shape == (64 + 128 + 32 + 32, 28, 28) and cat is graph.output
    assert len(cat.inputs) == 4
    branches = [chain_to(graph, i, graph.nodes[0].id) for i in cat.inputs]
    labels = [[n.label[0] for n in b] for b in branches]
    assert labels == [
        ["1x1 conv", "ReLU"],
        ["1x1 conv", "ReLU", "3x3 conv", "ReLU"],
        ["1x1 conv", "ReLU", "5x5 conv", "ReLU"],
        ["3x3 max pool", "1x1 conv", "ReLU"],
    ]
    assert [b[-1].shape[0] for b in branches] == [64, 128, 32, 32]
    assert {n.name for b in branches for n in b if n.kind == "activation"} == {"relu"}  # F.relu, traced
    assert branches[1][2].params == 96 * 128 * 9 + 128
    # Drawn side by side: the four branches one above the other, the join to the right of them all.
    ys = [graph.boxes[b[0].id][0][1] for b in branches]
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == 4
    assert graph.boxes[cat.id][0][0] > max(graph.boxes[b[-1].id][0][0] for b in branches)
    assert drawn_params(graph) == 163_696
    assert_drawn_cleanly(fig)


def test_torchvision_basic_block_with_downsample_adds_a_1x1_stride_2_projection():
    downsample = nn.Sequential(nn.Conv2d(64, 128, 1, stride=2, bias=False), nn.BatchNorm2d(128))
    fig = diagram(BasicBlock(64, 128, stride=2, downsample=downsample), (64, 32, 32))
    graph = fig.graph
    (add,) = graph.of_kind("add")
    assert add.shape == (128, 16, 16) and len(add.inputs) == 2
    residual, shortcut = (chain_to(graph, i, 0) for i in add.inputs)
    assert [n.label for n in shortcut] == [("1x1 conv", "stride 2"), ("BN",)]
    assert [n.label[0] for n in residual] == ["3x3 conv", "BN", "ReLU", "3x3 conv", "BN"]
    assert residual[0].label == ("3x3 conv", "stride 2")
    assert graph.output.kind == "activation" and graph.output.inputs == (add.id,)  # relu(out + identity)
    assert not graph.arcs  # a projection is a branch of its own, not an arc
    assert_drawn_cleanly(fig)


def test_torchvision_dense_block_concatenates_every_layer():
    block = _DenseBlock(num_layers=4, num_input_features=64, bn_size=4, growth_rate=32, drop_rate=0)
    fig = diagram(block, (64, 16, 16))
    graph = fig.graph
    out = graph.output
    assert out.kind == "concat" and out.shape == (64 + 4 * 32, 16, 16)
    assert len(out.inputs) == 5 and out.inputs[0] == 0
    # Too wide layer by layer for a slide: each dense layer is one box, read by every later concatenation.
    layers = graph.of_kind("block")
    assert [n.label for n in layers] == [("Dense layer",)] * 4 and [n.shape for n in layers] == [
        (32, 16, 16)
    ] * 4
    assert [n.shape[0] for n in graph.of_kind("concat")] == [96, 128, 160, 192]
    assert (0, out.id) in graph.arcs and (layers[0].id, out.id) in graph.arcs
    assert drawn_params(graph) == count_parameters(block)
    fine = diagram(block, (64, 16, 16), detail="layers").graph
    assert [n.label[0] for n in fine.of_kind("conv")] == ["1x1 conv", "3x3 conv"] * 4
    assert fine.output.shape == out.shape
    assert_drawn_cleanly(fig)


# ----------------------------------------------------------------------------- course blocks


def test_course_inception_block_matches_d2l_shape_and_adds_bn():
    graph = diagram(Inception(192, 64, (96, 128), (16, 32), 32, batch_norm=True), (192, 28, 28)).graph
    (cat,) = graph.of_kind("concat")
    assert cat.shape == (256, 28, 28) and len(cat.inputs) == 4
    assert [n.label[0] for n in chain_to(graph, cat.inputs[3], 0)] == [
        "3x3 max pool",
        "1x1 conv",
        "BN",
        "ReLU",
    ]


@pytest.mark.parametrize(
    "block,shortcut",
    [
        (ResidualBlock(16, 16), "identity"),
        (Bottleneck(64, 16), "identity"),
        (ResidualBlock(16, 32, 2), "projection"),
    ],
)
def test_residual_blocks_shortcut_is_an_arc_or_a_projection(block, shortcut):
    fig = diagram(block, (block.in_channels, 16, 16))
    graph = fig.graph
    (add,) = graph.of_kind("add")
    if shortcut == "identity":
        assert 0 in add.inputs and graph.arcs == {(0, add.id)}
        assert len(chain_to(graph, add.inputs[0], 0)) == (5 if isinstance(block, ResidualBlock) else 8)
    else:
        assert not graph.arcs and [n.label for n in chain_to(graph, add.inputs[1], 0)] == [
            ("1x1 conv", "stride 2"),
            ("BN",),
        ]
    assert add.shape == (block.out_channels, 16 // block.stride, 16 // block.stride)
    assert_drawn_cleanly(fig)


def test_course_dense_block_and_transition():
    fig = diagram(DenseBlock(4, 24, 12), (24, 16, 16))
    graph = fig.graph
    assert [n.shape[0] for n in graph.of_kind("concat")] == [36, 48, 60, 72]
    assert len(graph.output.inputs) == 5 and (0, graph.output.id) in graph.arcs
    assert [n.label[0] for n in graph.nodes[1:4]] == ["BN", "ReLU", "3x3 conv"]
    assert_drawn_cleanly(fig)
    graph = diagram(Transition(72, 36), (72, 16, 16)).graph
    assert [n.label for n in graph.nodes[1:]] == [
        ("BN",),
        ("ReLU",),
        ("1x1 conv",),
        ("2x2 avg pool", "stride 2"),
    ]
    assert graph.output.shape == (36, 8, 8)
    graph = diagram(VGGBlock(2, 3, 16), (3, 32, 32)).graph
    assert [n.label[0] for n in graph.nodes[1:]] == ["3x3 conv", "ReLU", "3x3 conv", "ReLU", "2x2 max pool"]


# ----------------------------------------------------------------------------- course models


def test_resnet20_folds_its_repeated_blocks():
    model = build_model("resnet20")
    fig = diagram(model, (3, 32, 32))
    graph = fig.graph
    blocks = graph.of_kind("block")
    assert [(n.repeat, n.label, n.shape) for n in blocks] == [
        (3, ("Residual block",), (16, 32, 32)),
        (1, ("Residual block", "stride 2"), (32, 16, 16)),
        (2, ("Residual block",), (32, 16, 16)),
        (1, ("Residual block", "stride 2"), (64, 8, 8)),
        (2, ("Residual block",), (64, 8, 8)),
    ]
    assert all(len(n.inputs) == 1 for n in graph.nodes[1:])  # a chain: every block is one box
    assert drawn_params(graph) == count_parameters(model)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Residual block x 3", "Residual block x 2", "stride 2", "4.7k params each"} <= texts
    assert graph.output.label == ("FC",) and graph.output.shape == (10,)
    assert_drawn_cleanly(fig)


def test_small_googlenet_and_small_densenet_show_their_blocks():
    model = build_model("small_googlenet")
    graph = diagram(model, (3, 32, 32)).graph
    inceptions = graph.of_kind("block")
    assert [n.label[0] for n in inceptions] == ["Inception"] * 5
    assert [n.shape for n in inceptions] == [
        (64, 16, 16),
        (120, 16, 16),
        (128, 8, 8),
        (208, 8, 8),
        (256, 4, 4),
    ]
    assert drawn_params(graph) == count_parameters(model)
    model = build_model("small_densenet")
    graph = diagram(model, (3, 32, 32)).graph
    assert [n.label for n in graph.of_kind("block")] == [("Dense block",), ("Transition", "stride 2")] * 2 + [
        ("Dense block",)
    ]
    # the lesson's DenseNet-BC: a stem of 24, three bottleneck layers of k=12 a block, compression 0.5
    assert [n.shape[0] for n in graph.of_kind("block")] == [60, 30, 66, 33, 69]
    assert drawn_params(graph) == count_parameters(model)


@pytest.mark.parametrize(
    "name", ["small_alexnet", "small_vgg", "small_googlenet", "small_resnet", "small_densenet", "resnet20"]
)
def test_course_models_fit_a_slide_without_overlaps(name):
    model = build_model(name)
    fig = diagram(model, (3, 32, 32))
    width, height = fig.get_size_inches()
    assert width <= 10 and height <= width * 9 / 16 + 1e-9
    assert drawn_params(fig.graph) == count_parameters(model)
    assert_drawn_cleanly(fig)


def test_grouped_convolutions_are_drawn_as_their_lanes():
    model = build_model("small_alexnet", groups=2)
    fig = diagram(model, (3, 32, 32))
    graph = fig.graph
    convs = {n.name: n for n in graph.of_kind("conv")}
    assert {name: n.lanes for name, n in convs.items()} == {
        "features.conv1": 1,
        "features.conv2": 2,
        "features.conv3": 1,
        "features.conv4": 2,
        "features.conv5": 2,
    }
    assert len(graph.boxes[convs["features.conv2"].id]) == 2
    (x1, y1, _, _), (x2, y2, _, _) = graph.boxes[convs["features.conv5"].id]
    assert x1 == x2 and y1 > y2  # one tower above the other
    assert graph[convs["features.conv2"].id + 1].lanes == 2  # its ReLU stays in the towers
    texts = [t.get_text() for t in fig.axes[0].texts]
    # Each tower shows its half of conv2: 16 of 32 channels (pool1 before it has 16 too), 3,216 weights.
    assert texts.count("16x16x16") == 3 and texts.count("3.2k params") == 2
    assert_drawn_cleanly(fig)
    fig = diagram(nn.Conv2d(4, 8, 3, groups=2), (4, 8, 8))
    assert len(fig.graph.boxes[1]) == 2 and fig.graph[1].groups == 2


def test_the_trace_runs_in_eval_mode_and_restores_the_mode():
    model = build_model("small_resnet")
    model.train()
    model.layer1.eval()
    diagram(model, (3, 32, 32))
    assert model.training and not model.layer1.training and model.layer2.training


def test_words():
    assert [words(c) for c in ("ResidualBlock", "_DenseLayer", "VGGBlock", "Inception", "FCHead")] == [
        "Residual block",
        "Dense layer",
        "VGG block",
        "Inception",
        "FC head",
    ]


def test_trace_keeps_only_what_the_output_depends_on():
    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.unused = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            assert x.shape[1] == 3, "an input check, which symbolic tracing could not follow"
            self.unused(x)
            return self.conv(x).contiguous() + torch.ones(1)

    graph = trace(Noisy(), (3, 8, 8))
    assert [n.name for n in graph.nodes] == ["input", "conv", "add"]
    assert graph.output.kind == "other" and graph.output.shape == (4, 6, 6)  # + a constant is no join


def test_a_concatenation_with_a_learned_token_stays_and_one_of_one_tensor_goes():
    class Token(nn.Module):
        def __init__(self):
            super().__init__()
            self.token = nn.Parameter(torch.zeros(1, 8, 1))
            self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)  # too many groups for lanes

        def forward(self, x):
            x = torch.cat([self.depthwise(x)], dim=1).flatten(2)  # one tensor: nothing to draw
            return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=2)

    graph = trace(Token(), (8, 2, 2))
    assert [(n.kind, n.shape) for n in graph.nodes] == [
        ("input", (8, 2, 2)),
        ("conv", (8, 2, 2)),
        ("reshape", (8, 4)),
        ("concat", (8, 5)),
    ]
    assert graph[1].label == ("3x3 conv", "depthwise") and graph.output.inputs == (2,)


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "module,input_size,error,words_",
    [
        ("resnet20", (3, 32, 32), TypeError, "module must be an nn.Module"),
        (nn.Conv2d(3, 4, 3), (3, 32), ValueError, "input_size must be 3 positive ints"),
        (nn.Conv2d(3, 4, 3), (3, 0, 32), ValueError, "input_size"),
        (nn.Conv2d(3, 4, 3), (3, 32.0, 32), ValueError, "input_size"),
        (nn.Conv2d(3, 4, 3), (3, True, 32), ValueError, "input_size"),
        (nn.Conv2d(3, 4, 3), "3x32x32", TypeError, "input_size must be a tuple"),
        (nn.Conv2d(3, 4, 3), (1, 32, 32), ValueError, "does not run on an input of input_size=(1, 32, 32)"),
    ],
)
def test_bad_input_names_the_parameter(module, input_size, error, words_):
    with pytest.raises(error, match=words_.replace("(", r"\(").replace(")", r"\)")):
        diagram(module, input_size)


def test_bad_detail_and_width():
    with pytest.raises(ValueError, match="detail must be one of"):
        diagram(nn.Conv2d(3, 4, 3), (3, 8, 8), detail="everything")
    with pytest.raises(ValueError, match="max_width"):
        diagram(nn.Conv2d(3, 4, 3), (3, 8, 8), max_width=1)
