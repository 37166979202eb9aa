"""Runs trained to the end (cnnlessons.runs.reference): each shipped file's record checks out, a
changed recipe or an edited file fails the check, and the ledger column is judged by the one rule."""

from __future__ import annotations

import dataclasses
import json

import pytest

from cnnlessons.lessons.alexnet import recipes as alexnet
from cnnlessons.runs import reference
from cnnlessons.runs.recipes import RECIPES, Recipe, Run
from cnnlessons.training import Training, fit

KEY = "test/tiny_end"


def _tiny(lr: float = 0.05) -> Recipe:
    return Recipe(
        KEY,
        "two tiny nets, trained to the end of one epoch",
        runs=(
            Run("relu", "figure1_cnn", {"activation": "relu", "width": 4}),
            Run("tanh", "figure1_cnn", {"activation": "tanh", "width": 4}),
        ),
        training=Training(lr=lr, test=True, batch_size=64, train_eval_size=100),
        fixed_epochs=1,
        target=0.99,
        reference=True,
        claims={"alexnet.relu_vs_tanh": {"relu": "relu", "tanh": "tanh"}},
    )


@pytest.fixture(scope="module")
def trained(digits):
    """Both tiny nets trained on seeds 0 and 1, once for the module."""
    recipe = _tiny()
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(RECIPES, KEY, recipe)
        return recipe.train_seeds(digits, reference.PROFILE, seeds=[0, 1], show="nothing")


@pytest.fixture
def tiny(monkeypatch, trained):
    recipe = _tiny()
    monkeypatch.setitem(RECIPES, KEY, recipe)
    return recipe, trained


def test_fit_stops_at_the_target_training_error(digits):
    from cnnlessons.models import build_model

    model = build_model("figure1_cnn", width=4, in_channels=1, num_classes=digits.num_classes)
    history = fit(
        model, digits, Training(epochs=3, train_eval_size=100, stop_at_train_error=0.99), show="nothing"
    )
    assert history.epoch == [1] and not history.interrupted
    with pytest.raises(ValueError, match="stop_at_train_error needs the training error"):
        Training(stop_at_train_error=0.25, train_eval_size=0)
    with pytest.raises(ValueError, match="stop_at_train_error must be a number > 0"):
        Training(stop_at_train_error=0)


def test_a_file_checks_out_and_a_changed_recipe_or_edit_fails_it(tiny, tmp_path, monkeypatch):
    recipe, runs = tiny
    path = reference.add_runs(KEY, runs, "digits", tmp_path)
    record = json.loads(path.read_text())
    assert reference.check_record(record) == []
    assert record["seeds"] == [0, 1] and record["digest"] == recipe.digest(reference.PROFILE)
    assert {"device", "precision", "wall_time", "date", "versions"} <= set(record["runs"]["relu"]["0"])

    edited = {**record, "data": "something else"}
    assert any("hash does not match" in p for p in reference.check_record(edited))

    monkeypatch.setitem(RECIPES, KEY, _tiny(lr=0.1))  # the recipe changed after the runs
    problems = reference.check_record(record)
    assert len(problems) == 1 and "trained by another recipe" in problems[0]
    with pytest.raises(ValueError, match="trained by another recipe"):
        reference.add_runs(KEY, runs, "digits", tmp_path)


def test_an_interrupted_run_fails_the_check_and_an_unpaired_seed_is_not_judged(tiny, tmp_path):
    recipe, runs = tiny
    record = json.loads(reference.add_runs(KEY, runs, "digits", tmp_path).read_text())
    stopped = json.loads(json.dumps(record))
    stopped["runs"]["relu"]["0"]["history"]["interrupted"] = True
    stopped["sha256"] = reference.record_hash(stopped)
    assert reference.check_record(stopped) == [f"{KEY}: relu (seed 0) is not a finished run"]
    interrupted = {"relu": {0: dataclasses.replace(runs["relu"][0], interrupted=True)}}
    with pytest.raises(ValueError, match="did not finish"):
        reference.add_runs(KEY, interrupted, "digits", tmp_path)

    del record["runs"]["tanh"]["1"]  # seed 1's tanh run not trained yet: a file may hold it so
    record["sha256"] = reference.record_hash(record)
    assert reference.check_record(record) == []
    paired = reference.paired_runs(recipe, "alexnet.relu_vs_tanh", record)
    assert {label: sorted(by) for label, by in paired.items()} == {"relu": [0], "tanh": [0]}


def test_the_ledger_entry_is_the_rules_verdict_and_one_seed_gives_none(tiny, tmp_path, monkeypatch):
    recipe, runs = tiny
    monkeypatch.setattr(reference, "shipped_folder", lambda: tmp_path)
    monkeypatch.setattr(reference, "_recipe_for", lambda claim_id: recipe)
    reference.add_runs(KEY, {label: {0: by[0]} for label, by in runs.items()}, "digits", tmp_path)
    one = reference.end_entry("alexnet.relu_vs_tanh")
    assert one["verdict"] is None and one["measured"].startswith("one seed (0)") and one["seeds"] == [0]
    reference.add_runs(KEY, {label: {1: by[1]} for label, by in runs.items()}, "digits", tmp_path)
    two = reference.end_entry("alexnet.relu_vs_tanh")
    assert two["seeds"] == [0, 1] and two["files"] == [reference.file_name(KEY)]
    assert two["verdict"] == recipe.judge("alexnet.relu_vs_tanh", runs, reference.PROFILE).verdict


@pytest.mark.parametrize("key", sorted(reference.reference_recipes()))
def test_every_shipped_reference_file_checks_out(key):
    record = reference.load_record(key)
    if record is None:
        pytest.skip(f"no reference file ships for {key}")
    assert reference.check_record(record) == []


def test_figure1s_rates_are_the_sweeps_picks():
    record = reference.load_record(alexnet.FIGURE1_SWEEP.key)
    labels = [run.label for run in alexnet.FIGURE1_SWEEP.runs_for(reference.PROFILE)]
    if record is None or any(
        str(seed) not in record["runs"].get(label, {})
        for label in labels
        for seed in alexnet.FIGURE1_SWEEP_SEEDS
    ):
        pytest.skip("the learning-rate sweep has not finished both seeds")
    picked = alexnet.pick_rates(reference.end_runs(alexnet.FIGURE1_SWEEP.key, record))
    assert picked == alexnet.FIGURE1_END_LR


def test_train_reference_adds_run_by_run_and_skips_the_runs_it_holds(monkeypatch, digits, tmp_path):
    recipe = _tiny()
    monkeypatch.setitem(RECIPES, KEY, recipe)
    log: list[str] = []
    path = reference.train_reference(
        KEY, digits, [0], data_name="digits", labels=["tanh"], folder=tmp_path, log=log.append
    )
    assert path == tmp_path / reference.file_name(KEY)
    assert list(reference.load_record(KEY, tmp_path)["runs"]) == ["tanh"]
    calls = []
    real = Recipe.train_seeds
    monkeypatch.setattr(Recipe, "train_seeds", lambda *a, **k: calls.append(k["labels"]) or real(*a, **k))
    reference.train_reference(KEY, digits, [0], data_name="digits", folder=tmp_path, log=log.append)
    assert calls == [["relu"]] and any("tanh (seed 0) is in" in line for line in log)
    assert sorted(reference.load_record(KEY, tmp_path)["runs"]) == ["relu", "tanh"]
    with pytest.raises(ValueError, match="labels: expected runs of"):
        reference.train_reference(KEY, digits, [0], data_name="digits", labels=["gelu"], folder=tmp_path)


def test_an_interrupted_seed_adds_nothing(monkeypatch, digits, tmp_path):
    recipe = _tiny()
    monkeypatch.setitem(RECIPES, KEY, recipe)

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Recipe, "train_seeds", stop)
    log: list[str] = []
    assert (
        reference.train_reference(KEY, digits, [3], data_name="digits", folder=tmp_path, log=log.append)
        is None
    )
    assert reference.load_record(KEY, tmp_path) is None and "was interrupted: not a result" in log[-1]


def test_reproduce_seeds_names_the_reference_recipes(capsys, tmp_path):
    from cnnlessons.runs import reproduce

    with pytest.raises(SystemExit):
        reproduce.main(["--data", str(tmp_path), "--only", "02_vggnet/vgg", "--seeds", "0"])
    err = capsys.readouterr().err
    assert "--seeds trains reference recipes: --only must name some of 01_alexnet/figure1_lr_sweep" in err
    assert "(got 02_vggnet/vgg)" in err


def test_a_row_with_its_end_entry_passes_the_ledger_and_a_wrong_verdict_fails_it(tiny, tmp_path, monkeypatch):
    from cnnlessons.claims import judge, ledger_bundle, recheck

    recipe, runs = tiny
    monkeypatch.setattr(reference, "shipped_folder", lambda: tmp_path)
    monkeypatch.setattr(reference, "_recipe_for", lambda claim_id: recipe)
    reference.add_runs(KEY, runs, "digits", tmp_path)
    entry = reference.end_entry("alexnet.relu_vs_tanh")
    figures = {"relu": {"epochs_to_target": {0: 2, 1: 2}}, "tanh": {"epochs_to_target": {0: 5, 1: 6}}}
    row = judge("alexnet.relu_vs_tanh", figures).row(reference=entry)
    assert recheck([row]) == []
    assert "trained to the end" in ledger_bundle([row])["text/html"]
    wrong = {"shown": "not shown", "not shown": "shown"}[entry["verdict"]]
    assert (
        "stored verdict trained to the end" in recheck([{**row, "reference": {**entry, "verdict": wrong}}])[0]
    )
    one_seed = {**entry, "seeds": [0]}
    assert "needs two seeds at least" in recheck([{**row, "reference": one_seed}])[0]


def test_end_histories_are_labelled_for_the_plot(tiny, tmp_path, monkeypatch):
    _, runs = tiny
    monkeypatch.setattr(reference, "shipped_folder", lambda: tmp_path)
    reference.add_runs(KEY, runs, "digits", tmp_path)
    drawn = reference.end_histories(KEY)
    assert [h.label for h in drawn] == [
        "relu, trained to the end (seed 0)",
        "tanh, trained to the end (seed 0)",
    ]
    assert [h.label for h in reference.end_histories(KEY, seed=1)][0].endswith("(seed 1)")
    assert reference.end_histories("test/none") == []


def test_the_results_page_lists_the_shipped_runs_to_the_end():
    import pathlib

    page = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "results.md").read_text()
    assert reference.reference_table() in page, (
        "docs/results.md's table of the runs trained to the end is out of date: paste the output of "
        "`python -m cnnlessons.runs.reference` between its markers"
    )
