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
    assert {e.year for e in entries} == set(range(2010, 2016))
    assert all(e.model in t for e, t in zip(entries, ticks, strict=False))
    texts = " ".join(t.get_text() for t in ax.texts + fig.texts)
    for n, e in enumerate(entries, 1):
        assert f"{e.top5_error:g}%" in texts
        assert f"[{n}] {e.citation}" in texts
        if e.cnn:
            assert f"{e.depth} layers" in texts
    assert "before CNNs" in texts
    assert "DenseNet" in texts and "won no ILSVRC" in texts
    assert plot_ilsvrc() is not fig  # a figure per call


def test_every_ilsvrc_entry_is_cited_and_every_cnn_entry_was_an_ensemble():
    from cnnlessons.plots import ILSVRC_RESULTS

    winners = {e.year: e for e in ILSVRC_RESULTS if e.place == 1}
    assert sorted(winners) == list(range(2010, 2016))
    assert {e.year: e.top5_error for e in winners.values()} == {
        2010: 28.2,
        2011: 25.8,
        2012: 15.3,
        2013: 11.7,
        2014: 6.67,
        2015: 3.57,
    }
    assert {e.model: e.depth for e in ILSVRC_RESULTS if e.cnn} == {
        "AlexNet": 8,
        "ZFNet": 8,
        "GoogLeNet": 22,
        "VGG": 19,
        "ResNet": 152,
    }
    for e in ILSVRC_RESULTS:
        assert e.citation.strip() and any(str(y) in e.citation for y in range(2011, 2017))
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


# --------------------------------------------------------------------------- legible


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_legible_tells_each_series_apart_by_marker_and_line_style_in_every_panel():
    import matplotlib.pyplot as plt

    from cnnlessons.plots import legible

    fig, axes = plt.subplots(1, 2)
    for ax, colours in zip(axes, (("C0", "C1"), ("C1", "C0")), strict=True):  # b first in the second
        for colour in colours:
            ax.plot([0, 1, 2], [0, 1, 2], color=colour, label="a" if colour == "C0" else "b")
            ax.plot([0, 1, 2], [1, 2, 3], color=colour)  # another seed of the same run
        ax.plot([0, 1, 2], [2, 2, 2], color="C2", ls="--", label="reference")
        ax.axhline(0.5, color="black", ls=":")  # a target: a guide
        ax.legend()
    height = fig.get_size_inches()[1]
    legible(fig)
    styles = [
        {line.get_color(): (line.get_marker(), line.get_linestyle()) for line in ax.get_lines()}
        for ax in axes
    ]
    assert styles[0] == styles[1]  # a colour keeps its style from panel to panel
    a, a2, b, b2, reference, guide = axes[0].get_lines()
    assert a.get_marker() == a2.get_marker() != b.get_marker() and a.get_linestyle() != b.get_linestyle()
    assert reference.get_linestyle() == "--" and reference.get_marker() not in (
        a.get_marker(),
        b.get_marker(),
    )
    assert guide.get_marker() in ("None", None, "") and guide.get_linestyle() == ":"
    assert all(ax.get_legend() is None for ax in axes)
    [legend] = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b", "reference"]
    # the legend lies inside the figure, below the panels and their labels: it covers no curve
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1
    assert not any(_overlaps(box, ax.get_tightbbox()) for ax in axes)
    assert fig.get_size_inches()[1] > height  # the figure grew by the legend; the panels kept their size
    plt.close(fig)


def test_legible_gives_each_seeded_run_one_marker_and_marks_long_curves_sparsely():
    import matplotlib.pyplot as plt

    from cnnlessons.plots import legible, plot_seeds

    def errors(values):
        return History(
            epoch=list(range(1, len(values) + 1)),
            train_eval_acc=[1 - e for e in values],
            val_acc=[1 - e for e in values],
        )

    long = [0.5 - 0.01 * i for i in range(40)]
    runs = {"a": {0: errors(long), 1: errors(long)}, "b": {0: errors(long)}}
    fig = legible(plot_seeds(runs, ("train_eval_error", "val_error"), target=0.3), columns=3)
    for ax in fig.axes:
        a0, a1, b0, target = ax.get_lines()
        assert a0.get_marker() == a1.get_marker() != b0.get_marker() and target.get_linestyle() == ":"
        assert a0.get_markevery() == 4  # ten markers on forty epochs
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a (seeds 0, 1)", "b (seeds 0)"]
    with pytest.raises(ValueError, match="columns must be an int >= 1, got 0"):
        legible(fig, columns=0)
    plt.close(fig)
    fig, ax = plt.subplots(layout="constrained")  # the constrained layout places the legend itself
    ax.plot([0, 1], [0, 1], label="a")
    ax.legend()
    legible(fig)
    assert ax.get_legend() is None and [t.get_text() for t in fig.legends[0].get_texts()] == ["a"]
    plt.close(fig)


# --------------------------------------------------------------------------- a checkpoint's errors


def test_plot_class_errors_gives_each_class_its_accuracy_and_the_confusion_in_shares():
    import matplotlib.pyplot as plt

    from cnnlessons.models.converged import confusion_matrix, load_record, per_class_accuracy
    from cnnlessons.plots import checkpoint_accuracy, plot_class_errors

    accuracy = checkpoint_accuracy("small_alexnet")
    classes, counts = confusion_matrix("small_alexnet")
    assert accuracy == load_record("small_alexnet")["test_acc"]
    assert accuracy == pytest.approx(counts.trace().item() / counts.sum().item(), abs=0.002)
    fig = plot_class_errors("small_alexnet")
    assert fig._suptitle.get_text().startswith(
        f"small_alexnet trained to the end ({accuracy:.1%} test accuracy)"
    )
    bars, grid = fig.axes[:2]
    by_class = per_class_accuracy("small_alexnet")
    order = [t.get_text() for t in bars.get_yticklabels()]
    assert order == sorted(classes, key=by_class.__getitem__)  # lowest first
    assert [p.get_width() for p in bars.patches] == pytest.approx([by_class[c] for c in order])
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in grid.texts}
    for i, c in enumerate(classes):
        assert cells[(i, i)] == f"{100 * by_class[c]:.0f}"  # the diagonal: each class's accuracy
    shares = counts.double() / counts.sum(dim=1, keepdim=True)
    assert {(i, j) for i in range(10) for j in range(10) if i == j or shares[i, j] >= 0.02} == set(cells)
    plt.close(fig)
    fig = plot_class_errors("small_vgg", per_class=False, min_share=0.0)
    assert (
        len(fig.axes[0].texts) == 100
        and f"({checkpoint_accuracy('small_vgg'):.1%} test accuracy)" in fig._suptitle.get_text()
    )
    plt.close(fig)
    with pytest.raises(ValueError, match="min_share must be a share between 0 and 1, got 2"):
        plot_class_errors("small_vgg", min_share=2)


def test_plot_mistakes_titles_each_image_wrong_over_true_under_the_checkpoints_accuracy():
    import matplotlib.pyplot as plt
    import torch

    from cnnlessons.plots import WRONG, Mistakes, checkpoint_accuracy, plot_mistakes

    mistakes = Mistakes("small_vgg", torch.zeros(2, 3, 8, 8, dtype=torch.uint8), [1, 0], [0, 2], [0.99, 0.9])
    fig = plot_mistakes(mistakes, ["cat", "dog", "ship"])
    assert [(ax.get_title(), ax.title.get_color()) for ax in fig.axes] == [
        ("\u2717 dog\n(cat)", WRONG),
        ("\u2717 cat\n(ship)", WRONG),
    ]
    accuracy = checkpoint_accuracy("small_vgg")
    assert fig._suptitle.get_text() == (
        f"small_vgg trained to the end ({accuracy:.1%} test accuracy): its 2 most confident mistakes"
    )
    plt.close(fig)
    with pytest.raises(ValueError, match="no images to show \\(not this split\\)"):
        plot_mistakes(Mistakes("small_vgg", None, [], [], [], "not this split"), ["cat"])
