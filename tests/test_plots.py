import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cnnlessons.plots import plot_history  # noqa: E402
from cnnlessons.training import History  # noqa: E402


def run(label, epochs=3, eval_mode=True):
    n = list(range(1, epochs + 1))
    return History(label=label, epoch=n, train_loss=[1.0] * epochs, train_acc=[0.5] * epochs,
                   val_loss=[1.0] * epochs, val_acc=[0.6] * epochs, time=[float(e) for e in n],
                   train_eval_acc=[0.7] * epochs if eval_mode else [])


def test_plot_history_names_both_training_errors_and_ticks_whole_epochs():
    fig = plot_history([run("a"), run("b")], ("train_error", "train_eval_error", "val_error"))
    running, clean, _ = fig.axes
    assert running.get_ylabel() == "running training error (augmented, dropout on)"
    assert clean.get_ylabel() == "training error (eval mode)"
    assert [line.get_ydata()[0] for line in clean.get_lines()] == pytest.approx([0.3, 0.3])
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_a_run_recorded_without_the_eval_mode_error_is_left_out_of_its_panel():
    old = History.from_dict({k: v for k, v in run("old").to_dict().items() if k != "train_eval_acc"})
    fig = plot_history([run("new"), old], ("train_eval_error", "train_error"),
                       reference=[old])
    clean, running = fig.axes
    assert [line.get_label() for line in clean.get_lines()] == ["new"]
    assert len(running.get_lines()) == 3


def test_unknown_metric_is_named():
    with pytest.raises(ValueError, match="metrics must be among .*train_eval_error"):
        plot_history(run("a"), ("train_eval_loss",))
