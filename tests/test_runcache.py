"""The on-disk run cache: a run trained once answers from the disk; a changed recipe, package
source or data trains again; corrupt or foreign entries are ignored; no half entry is left."""

from __future__ import annotations

import shutil

import pytest
import torch

from cnnlessons.devices import device_description
from cnnlessons.runs import runcache
from cnnlessons.runs.recipes import Recipe, Run
from cnnlessons.training import Training

RUN = Run("tiny", "kernel_model", {"kernel_size": 3, "num_layers": 1, "width": 4})


def recipe(lr: float = 2e-3) -> Recipe:
    return Recipe(
        "09_test/tiny",
        "a tiny stack for the cache tests",
        runs=(RUN,),
        training=Training(optimizer="adamw", lr=lr, augment=False),
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(runcache.CACHE_VARIABLE, str(tmp_path / "runs"))
    return tmp_path / "runs"


def entries(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def fit(data, r: Recipe | None = None, **kwargs):
    return (r or recipe()).fit_run(RUN, data, "smoke", epochs=1, **kwargs)


def test_a_run_trained_once_answers_from_the_disk_with_its_model(digits, cache, capsys):
    model, first = fit(digits)
    assert "cache" not in first.info
    [entry] = entries(cache)
    assert entry.parent == cache / "09_test" / "tiny" and entry.name.startswith("tiny-")

    again_model, again = fit(digits)
    assert again.val_acc == first.val_acc and again.train_loss == first.train_loss
    provenance = again.info["cache"]
    assert provenance["path"] == str(entry) and provenance["host"] and provenance["trained_at"]
    assert "from the cache: trained" in runcache.cache_note({"tiny": again})
    assert runcache.cache_note({"tiny": first}) == ""
    x = digits.val_images[:16].float() / 255
    model.eval(), again_model.eval()
    with torch.no_grad():
        torch.testing.assert_close(again_model(x), model(x))
    assert capsys.readouterr().out == ""
    assert entries(cache) == [entry]


def test_a_changed_recipe_data_or_profile_trains_again(digits, cache):
    fit(digits)
    _, other_lr = fit(digits, recipe(lr=5e-3))
    assert "cache" not in other_lr.info
    fewer = type(digits)(**{**digits.__dict__, "train_labels": digits.train_labels.roll(1)})
    _, other_data = fit(fewer)
    assert "cache" not in other_data.info
    _, more_epochs = recipe().fit_run(RUN, digits, "smoke", epochs=2)
    assert "cache" not in more_epochs.info
    assert len(entries(cache)) == 4
    _, printed_differently = fit(digits, show="epochs")  # what is printed decides nothing
    assert "cache" in printed_differently.info


def test_a_changed_package_source_trains_again(digits, cache, tmp_path, monkeypatch):
    copy = tmp_path / "package"
    shutil.copytree(runcache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "slides_assets"))
    monkeypatch.setattr(runcache, "PACKAGE", copy)
    runcache.source_hash.cache_clear()
    try:
        fit(digits)
        assert "cache" in fit(digits)[1].info
        training = copy / "training.py"
        training.write_text(training.read_text() + "\n# a change of the library\n")
        runcache.source_hash.cache_clear()
        assert "cache" not in fit(digits)[1].info
        assert len(entries(cache)) == 2
    finally:
        runcache.source_hash.cache_clear()


def test_an_edit_outside_the_training_path_keeps_the_cache_and_a_models_edit_misses_it(
    digits, cache, tmp_path, monkeypatch
):
    copy = tmp_path / "package"
    shutil.copytree(runcache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "slides_assets"))
    monkeypatch.setattr(runcache, "PACKAGE", copy)
    runcache.source_hash.cache_clear()
    try:
        fit(digits)
        # the evening before a lecture: a docstring fixed in the instructor's tools and in a view
        for name in ("instructor/lecture.py", "views/diagram.py"):
            path = copy / name
            text = path.read_text()
            path.write_text(text.replace('"""', '"""Fixed: ', 1))
            assert path.read_text() != text
        runcache.source_hash.cache_clear()
        assert "cache" in fit(digits)[1].info
        # the model's class changed: the run is trained again
        model = copy / "models" / "vgg.py"
        model.write_text(
            model.read_text().replace("class KernelModel(", "class KernelModel(  # changed\n    ", 1)
        )
        runcache.source_hash.cache_clear()
        assert "cache" not in fit(digits)[1].info
    finally:
        runcache.source_hash.cache_clear()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign"])
def test_a_corrupt_or_foreign_entry_is_ignored_with_one_line(digits, cache, capsys, damage):
    fit(digits)
    [entry] = entries(cache)
    good = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    elif damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    else:
        torch.save(
            {"format": runcache.FORMAT, "key": "another key", "history": "{}", "state_dict": {}}, entry
        )
    capsys.readouterr()
    _, history = fit(digits)
    out, err = capsys.readouterr()
    assert "cache" not in history.info, "a damaged entry must not be used"
    assert out.count("\n") == 1 and out.startswith(f"run cache: ignoring {entry} (") and not err
    assert "cache" in fit(digits)[1].info, "the retrained run replaces the damaged entry"


def test_an_interrupted_run_or_write_leaves_no_entry(digits, cache, monkeypatch):
    def interrupt(history):
        raise KeyboardInterrupt

    _, history = recipe().fit_run(RUN, digits, "smoke", epochs=2, show=interrupt)
    assert history.interrupted and entries(cache) == []

    def save_half(obj, stream):
        stream.write(b"half an entry")
        raise OSError("disk full")

    monkeypatch.setattr(runcache.torch, "save", save_half)
    _, kept = fit(digits)  # the trained run comes back (learner fault 2)
    assert kept.epoch == [1] and "cache" not in kept.info
    assert entries(cache) == [], "a failed write must leave neither an entry nor a temporary file"


def test_off_turns_the_cache_off(digits, tmp_path, monkeypatch):
    monkeypatch.setenv(runcache.CACHE_VARIABLE, "off")
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path))
    assert runcache.cache_dir() is None
    assert "cache" not in fit(digits)[1].info and "cache" not in fit(digits)[1].info
    assert entries(tmp_path) == []


def test_the_default_cache_is_under_the_data_root(tmp_path, monkeypatch):
    monkeypatch.delenv(runcache.CACHE_VARIABLE, raising=False)
    monkeypatch.setenv("CNNLESSONS_DATA_ROOT", str(tmp_path))
    assert runcache.cache_dir() == tmp_path / "runs"


def test_prepare_covers_every_run_of_a_lessons_recipes_and_its_explorers_opening(digits):
    from cnnlessons.runs.prepare import jobs_for
    from cnnlessons.runs.recipes import RECIPES

    jobs = jobs_for(["05_densenet"], digits, "smoke")
    runs = [
        f"{key}: {r.label}"
        for key, rec in RECIPES.items()
        if key.startswith("05_densenet/")
        for r in rec.runs_for("smoke")
    ]
    assert [j.label for j in jobs] == runs + ["05_densenet: GrowthRateExplorer k=12 L=4"]
    assert all(j.epochs >= 1 for j in jobs)
    # a recipe that decides claims: every run on every seed of the profile, as the lesson trains them
    jobs = jobs_for(["02_vggnet"], digits, "cpu")
    stacks = [j.label for j in jobs if j.label.startswith("02_vggnet/stacks")]
    assert stacks == [
        f"02_vggnet/stacks: {label} (seed {seed})"
        for seed in (0, 1, 2)
        for label in ("one 5x5", "two 3x3", "four 3x3")
    ]


def test_prepare_names_a_lesson_it_does_not_know(capsys):
    from cnnlessons.__main__ import main

    assert main(["prepare", "07_nonet"]) == 2
    assert "07_nonet" in capsys.readouterr().err


def test_estimate_times_only_the_runs_the_cache_cannot_answer(digits, cache):
    other = Run("other", "kernel_model", {"kernel_size": 5, "num_layers": 1, "width": 4})
    r = Recipe(
        "09_test/two",
        "two tiny stacks",
        runs=(RUN, other),
        training=Training(optimizer="adamw", lr=2e-3, augment=False),
        epochs=0.25,
    )
    before = r.estimate(digits, "smoke")
    assert [p.label for p in before.parts] == ["tiny", "other"] and before.cached == ()
    cpu = device_description(torch.device("cpu"))
    assert str(before).startswith(f"Estimated training time on {cpu} in fp32")

    r.fit_run(RUN, digits, "smoke")
    after = r.estimate(digits, "smoke")
    assert [p.label for p in after.parts] == ["other"]
    [(label, trained)] = after.cached
    assert label == "tiny" and trained.endswith(f", {device_description(torch.device('cpu'), threads=False)}")
    assert f"  tiny: in the run cache (trained {trained}): loads at once" in str(after)
    assert runcache.cached_training(r, other, digits, "smoke") is None

    r.fit_run(other, digits, "smoke")
    both = r.estimate(digits, "smoke")
    assert both.parts == () and both.seconds == 0 and len(both.cached) == 2
    assert str(both).startswith(f"Nothing to train on {cpu}: every run is in the run cache.")
    # a run trained with another budget is another entry: it would train, so it is timed
    assert runcache.cached_training(r, RUN, digits, "smoke", epochs=7) is None
