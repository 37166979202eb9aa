"""The ResNet explorer: shortcut and depth against training curves, training behind a button."""

import pytest

from cnnlessons.history import History
from cnnlessons.lessons.resnet.experiments import DegradationSetup
from cnnlessons.lessons.resnet.explorer import ShortcutExplorer

SETUP = DegradationSetup(depths=(8, 14), width=2, epochs=1, max_depth=14)


def fake_run(label: str, errors: list[float]) -> History:
    return History(
        label=label,
        epoch=list(range(1, len(errors) + 1)),
        train_acc=[1 - e for e in errors],
        val_acc=[1 - e for e in errors],
        train_loss=[1.0] * len(errors),
        val_loss=[1.0] * len(errors),
        time=[1.0] * len(errors),
        info={"parameters": 123},
        train_eval_acc=[1 - e for e in errors],
    )


class CountingTrainer:
    def __init__(self):
        self.calls = []

    def __call__(self, data, depth, shortcut, setup):
        self.calls.append((shortcut, depth))
        return fake_run(f"{shortcut}-{depth}", [0.9, 0.5 if shortcut == "none" else 0.4])


def test_button_trains_once_per_setting_and_the_plot_keeps_every_run(digits):
    trainer = CountingTrainer()
    explorer = ShortcutExplorer(digits, SETUP, train=trainer)
    explorer.show()
    assert explorer.key == ("none", 14)
    assert "plain-14: not trained yet" in explorer.text
    assert len(explorer.figure.axes[0].lines) == 0

    explorer.button.click()
    assert trainer.calls == [("none", 14)]
    assert "plain-14: training error 50.0% (eval mode) after 2 epochs" in explorer.text
    assert list(explorer.figure.axes[0].lines[0].get_ydata()) == pytest.approx([0.9, 0.5])

    explorer.button.click()  # cached: no second training
    assert trainer.calls == [("none", 14)]

    explorer.shortcut.value = "projection"
    assert "ResNet-14 (projection): not trained yet" in explorer.text
    assert len(explorer.figure.axes[0].lines) == 1  # the plain run stays on the plot
    explorer.button.click()
    assert trainer.calls == [("none", 14), ("projection", 14)]
    assert "training error 40.0%" in explorer.text
    lines = explorer.figure.axes[0].lines
    assert len(lines) == 2
    bold = max(lines, key=lambda line: line.get_linewidth())
    assert list(bold.get_ydata()) == pytest.approx([0.9, 0.4])
    assert bold.get_linestyle() == ":"

    explorer.depth.value = 8
    assert explorer.key == ("projection", 8) and "not trained yet" in explorer.text
    assert set(explorer.runs) == {("none", 14), ("projection", 14)}


def test_preloaded_runs_show_without_training(digits):
    trainer = CountingTrainer()
    runs = {
        ("none", 14): fake_run("plain-14", [0.8, 0.7]),
        ("identity", 14): fake_run("ResNet-14", [0.8, 0.6]),
    }
    explorer = ShortcutExplorer(digits, SETUP, runs=runs, train=trainer)
    explorer.static()
    assert "plain-14: training error 70.0%" in explorer.text
    explorer.shortcut.value = "identity"
    assert "ResNet-14: training error 60.0%" in explorer.text
    explorer.button.click()
    assert trainer.calls == []
    assert len(explorer.figure.axes[0].lines) == 2


def test_real_training_behind_the_button(digits):
    explorer = ShortcutExplorer(digits, SETUP, shortcut="identity", depth=8)
    explorer.show()
    explorer.button.click()
    run = explorer.runs[("identity", 8)]
    assert run.label == "ResNet-8" and run.epoch == [1]
    assert (
        f"ResNet-8: training error {run.train_eval_error[-1]:.1%} (eval mode) after 1 epochs" in explorer.text
    )
    assert explorer.status.value == ""
    assert ("identity", 8) in explorer.seconds


def test_bad_settings_are_refused(digits):
    with pytest.raises(ValueError, match="depth must be 6n\\+2 between 8 and 14"):
        ShortcutExplorer(digits, SETUP, depth=20)
    with pytest.raises(ValueError, match="depth must be 6n\\+2"):
        ShortcutExplorer(digits, SETUP, depth=9)
    with pytest.raises(ValueError, match="shortcut must be one of"):
        ShortcutExplorer(digits, SETUP, shortcut="dense")


def test_each_curve_gives_its_test_accuracy_and_the_legend_sits_beside_the_panel(digits):
    run = fake_run("plain-14", [0.9, 0.5])
    run.test_acc = 0.421
    explorer = ShortcutExplorer(
        digits, SETUP, runs={("none", 14): run, ("identity", 14): fake_run("x", [0.8])}
    )
    explorer.show()
    ax = explorer.figure.axes[0]
    assert sorted(ax.get_legend_handles_labels()[1]) == ["ResNet-14", "plain-14 (42.1% test accuracy)"]
    box = ax.get_legend().get_window_extent()
    assert box.x0 >= ax.get_window_extent().x1  # covers no curve
