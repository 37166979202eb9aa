"""cnnlessons.exercises.drawing: the learner's block drawn beside the lesson's, and one line (never
an error) for an answer that is not attempted or does not run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from cnnlessons.exercises import draw_answer  # noqa: E402
from cnnlessons.models import Bottleneck  # noqa: E402
from cnnlessons.models import ResidualBlock as LessonBlock

ARGS = (64, 128, 2)
SIZE = (64, 32, 32)


class ResidualBlock(nn.Module):
    """A learner's right answer, written as the lesson's exercise asks."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        f = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(f + self.shortcut(x))


class Stub(nn.Module):
    """The released notebook's stub."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        raise NotImplementedError()


class StubForward(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride, 1)

    def forward(self, x):
        raise NotImplementedError()


class NoShortcut(ResidualBlock):
    """Forgets the projection: the addition's shapes do not match."""

    def forward(self, x):
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))) + x)


class Plain(nn.Module):
    """Runs, but is not the block: no stride, no shortcut (a 128x32x32 output)."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv2(torch.relu(self.conv1(x))))


class NoForward(nn.Module):
    def __init__(self, *args):
        super().__init__()


class BadInit(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stirde=stride)


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")  # figures that other test files left open are not this test's
    yield
    plt.close("all")


def _one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


@pytest.mark.parametrize("answer", [Stub, StubForward, None])
def test_an_answer_not_attempted_prints_one_line_and_draws_nothing(answer, capsys):
    assert draw_answer(answer, LessonBlock, SIZE, args=ARGS) is None
    line = _one_line(capsys)
    assert "not attempted" in line and "NotImplementedError" in line
    assert not plt.get_fignums()


@pytest.mark.parametrize(
    "answer, words",
    [
        (NoShortcut, ("could not run on a 64x32x32 input", "RuntimeError", "size of tensor")),
        (NoForward, ("could not run", "no `forward` method")),
        (BadInit, ("could not be built", "BadInit(64, 128, 2)", "TypeError")),
        ("ResidualBlock", ("could not be drawn", "str")),
    ],
)
def test_a_broken_answer_gets_one_line_naming_its_error(answer, words, capsys):
    assert draw_answer(answer, LessonBlock, SIZE, args=ARGS) is None
    line = _one_line(capsys)
    for word in words:
        assert word in line
    assert not plt.get_fignums()


def test_a_right_answer_is_drawn_beside_the_lessons_block(capsys):
    fig = draw_answer(ResidualBlock, LessonBlock, SIZE, args=ARGS)
    assert capsys.readouterr().out == ""
    yours, lessons = fig.graphs
    assert len(fig.axes) == 2
    titles = [next(t.get_text() for t in ax.texts if "block" in t.get_text()) for ax in fig.axes]
    n = sum(p.numel() for p in LessonBlock(*ARGS).parameters())
    assert titles == [
        f"your block (ResidualBlock): {n:,} parameters",
        f"the lesson's block: {n:,} parameters",
    ]
    for graph in (yours, lessons):
        assert [len(graph.of_kind(k)) for k in ("conv", "norm", "add")] == [3, 3, 1]
        assert graph.output.shape == (128, 16, 16)
        assert graph.params == n
        assert set(graph.boxes) == {node.id for node in graph.nodes}
    # side by side: the panels do not overlap, and the figure is about a notebook's width
    left, right = (ax.get_position() for ax in fig.axes)
    assert left.x1 <= right.x0 and fig.get_figwidth() <= 10.0 * 1.08


def test_a_wrong_answer_is_drawn_as_it_runs():
    fig = draw_answer(Plain, LessonBlock, SIZE, args=ARGS)
    yours, lessons = fig.graphs
    assert yours.output.shape == (128, 32, 32) and lessons.output.shape == (128, 16, 16)
    assert not yours.of_kind("add") and len(yours.of_kind("conv")) == 2
    assert "Plain" in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_blocks_too_wide_for_one_row_are_drawn_one_above_the_other():
    fig = draw_answer(Bottleneck(64, 32, 2), Bottleneck, SIZE, args=(64, 32, 2), name="Bottleneck")
    top, bottom = (ax.get_position() for ax in fig.axes)
    assert bottom.y1 <= top.y0
    assert fig.get_figwidth() <= 10.0
    assert all(g.output.shape == (128, 16, 16) for g in fig.graphs)


def test_drawing_leaves_the_notebooks_random_state_and_the_blocks_mode_alone():
    block, lesson = ResidualBlock(*ARGS).train(), LessonBlock(*ARGS)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    draw_answer(ResidualBlock, LessonBlock, SIZE, args=ARGS)
    draw_answer(block, lesson, SIZE)
    assert torch.equal(torch.rand(3), expected)
    assert all(m.training for m in block.modules())


def test_the_lessons_own_errors_are_not_hidden():
    def lesson_block(*args):
        raise RuntimeError("a bug in the library")

    with pytest.raises(RuntimeError, match="a bug in the library"):
        draw_answer(ResidualBlock, lesson_block, SIZE, args=ARGS)
