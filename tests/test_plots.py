import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from cnnlessons.plots import plot_history  # noqa: E402
from cnnlessons.training import History  # noqa: E402


def run(label, epochs=3, eval_mode=True):
    n = list(range(1, epochs + 1))
    return History(
        label=label,
        epoch=n,
        train_loss=[1.0] * epochs,
        train_acc=[0.5] * epochs,
        val_loss=[1.0] * epochs,
        val_acc=[0.6] * epochs,
        time=[float(e) for e in n],
        train_eval_acc=[0.7] * epochs if eval_mode else [],
    )


def test_plot_history_names_both_training_errors_and_ticks_whole_epochs():
    fig = plot_history([run("a"), run("b")], ("train_error", "train_eval_error", "val_error"))
    running, clean, _ = fig.axes
    assert running.get_ylabel() == "running training error (training mode)"
    assert clean.get_ylabel() == "training error (eval mode)"
    assert [line.get_ydata()[0] for line in clean.get_lines()] == pytest.approx([0.3, 0.3])
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_a_run_recorded_without_the_eval_mode_error_is_left_out_of_its_panel():
    old = History.from_dict({k: v for k, v in run("old").to_dict().items() if k != "train_eval_acc"})
    fig = plot_history([run("new"), old], ("train_eval_error", "train_error"), reference=[old])
    clean, running = fig.axes
    assert [line.get_label() for line in clean.get_lines()] == ["new"]
    assert len(running.get_lines()) == 3


def test_unknown_metric_is_named():
    with pytest.raises(ValueError, match="metrics must be among .*train_eval_error"):
        plot_history(run("a"), ("train_eval_loss",))


def test_the_ilsvrc_figure_draws_the_constant_one_bar_per_entry():
    from cnnlessons.plots import ILSVRC_RESULTS, plot_ilsvrc

    fig = plot_ilsvrc()
    ax = fig.axes[0]
    (bars,) = ax.containers
    entries = sorted(ILSVRC_RESULTS, key=lambda e: (e.year, e.place))
    assert [b.get_height() for b in bars] == [e.top5_error for e in entries]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert [int(t.split()[0]) for t in ticks] == [e.year for e in entries]
    assert {e.year for e in entries} == set(range(2010, 2018))
    assert all(e.model in t.replace(",\n", ", ") for e, t in zip(entries, ticks, strict=False))
    texts = " ".join(t.get_text() for t in ax.texts + fig.texts)
    for n, e in enumerate(entries, 1):
        assert f"{e.top5_error:g}%" in texts
        assert f"[{n}] {e.citation}" in texts
        if e.cnn:
            assert (f"{e.depth} layers" if e.depth else "mixed designs") in texts
    assert "before CNNs" in texts
    assert "DenseNet" in texts and "won no ILSVRC" in texts
    assert plot_ilsvrc() is not fig  # a figure per call


def test_every_ilsvrc_entry_is_cited_and_every_cnn_entry_was_an_ensemble():
    from cnnlessons.plots import ILSVRC_RESULTS

    winners = {e.year: e for e in ILSVRC_RESULTS if e.place == 1}
    assert sorted(winners) == list(range(2010, 2018))  # 2017 was the last challenge
    assert {e.year: e.top5_error for e in winners.values()} == {
        2010: 28.2,
        2011: 25.8,
        2012: 15.3,
        2013: 11.7,
        2014: 6.67,
        2015: 3.57,
        2016: 2.99,
        2017: 2.25,
    }
    assert {e.model: e.depth for e in ILSVRC_RESULTS if e.cnn} == {
        "AlexNet": 8,
        "ZFNet": 8,
        "GoogLeNet": 22,
        "VGG": 19,
        "ResNet": 152,
        "mixed CNNs": None,  # Trimps-Soushen: Inception, Inception-ResNet, ResNet and Wide ResNet
        "SENet": 154,
    }
    for e in ILSVRC_RESULTS:
        assert e.citation.strip() and any(str(y) in e.citation for y in range(2011, 2019))
        assert ("ensemble" in e.how) == e.cnn
    assert not any("DenseNet" in e.model for e in ILSVRC_RESULTS)


def test_the_ilsvrc_figure_keeps_its_text_inside_the_figure():
    from cnnlessons.plots import plot_ilsvrc

    fig = plot_ilsvrc()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    ax = fig.axes[0]
    for t in ax.texts + fig.texts + ax.get_xticklabels():
        extent = t.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1 and box.y0 <= extent.y0 and extent.y1 <= box.y1, (
            t.get_text()
        )


def test_plot_seeds_draws_a_line_per_seed_in_one_colour_per_run_and_the_target():
    from cnnlessons.plots import plot_seeds

    runs = {"relu": {0: run("a"), 1: run("b")}, "tanh": {0: run("c"), 1: run("d"), 2: run("e")}}
    fig = plot_seeds(runs, ["train_eval_error"], target=0.25)
    (ax,) = fig.axes
    lines = [line for line in ax.get_lines() if line.get_linestyle() != ":"]
    assert len(lines) == 5
    assert len({line.get_color() for line in lines[:2]}) == 1 and lines[0].get_color() != lines[2].get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "relu (seeds 0, 1)",
        "tanh (seeds 0, 1, 2)",
    ]
    assert any(line.get_linestyle() == ":" and line.get_ydata()[0] == 0.25 for line in ax.get_lines())
    with pytest.raises(ValueError, match="metrics must be among"):
        plot_seeds(runs, ["accuracy"])
    with pytest.raises(ValueError, match="at least one seed"):
        plot_seeds({"relu": {}})


def test_plot_paired_joins_each_seeds_runs():
    from cnnlessons.plots import plot_paired

    a, b = run("a"), run("b")
    a.test_acc, b.test_acc = 0.6, 0.7
    c, d = run("c"), run("d")
    c.test_acc, d.test_acc = 0.62, 0.65
    fig = plot_paired({"5x5": {0: a, 1: c}, "3x3": {0: b, 1: d}}, "test_acc")
    ax = fig.axes[0]
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [[0.6, 0.7], [0.62, 0.65]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["5x5", "3x3"]
    with pytest.raises(ValueError, match="figure must be one of"):
        plot_paired({"5x5": {0: a}}, "val_acc")
    with pytest.raises(ValueError, match="'7x7' is not among the runs"):
        plot_paired({"5x5": {0: a}}, labels=["7x7"])


def test_show_images_marks_each_prediction_right_or_wrong_against_the_truth():
    import torch

    from cnnlessons.plots import RIGHT, WRONG, show_images

    images = torch.zeros(3, 3, 8, 8, dtype=torch.uint8)
    fig = show_images(images, [0, 1, 2], ["cat", "dog", "ship"], truth=torch.tensor([0, 2, 2]))
    titles = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes]
    assert titles == [("\u2713 cat", RIGHT), ("\u2717 dog\n(ship)", WRONG), ("\u2713 ship", RIGHT)]
    with pytest.raises(ValueError, match="truth must give one label per prediction in labels \\(3\\), got 2"):
        show_images(images, [0, 1, 2], truth=[0, 1])
    with pytest.raises(ValueError, match="truth"):
        show_images(images, truth=[0, 1, 2])
