"""tools/notebooks.py: a build records the profile, data and device of its outputs and says so
after the title; check ignores that note; times prints the recorded build times."""

from __future__ import annotations

import importlib.util
import pathlib

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

SOURCE = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 99 · A tiny lesson

# %%
import os
print(os.environ["CNNLESSONS_PROFILE"], os.path.basename(os.environ.get("CNNLESSONS_DATA", "none")))
"""


@pytest.fixture
def tool(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "NOTEBOOKS", tmp_path)
    (tmp_path / "99_tiny.py").write_text(SOURCE)
    return module


RECORD = {
    "profile": "cpu",
    "data": "cifar10 (local copy: cifar10-jpeg)",
    "device": "CPU (2 cores)",
    "built": "2025-01-02",
    "seconds": 135.4,
}


def test_record_and_note_after_the_title_and_check_ignores_the_note(tool, tmp_path, capsys):
    source = tmp_path / "99_tiny.py"
    tool.sync_source(source)
    nb = tool.from_source(source)
    tool.add_record(
        nb,
        RECORD,
        previous={"build_times": {"smoke": {"seconds": 20.0, "device": "x", "data": "d", "built": "b"}}},
    )
    title, note = nb.cells[2], nb.cells[3]
    assert title.source == "# 99 · A tiny lesson" and "build-note" in note.metadata["tags"]
    assert note.source == (
        "*Stored outputs: the `cpu` profile on cifar10 (local copy: cifar10-jpeg), "
        "CPU (2 cores), built 2025-01-02 in 2 min 15 s. Running the notebook "
        "replaces them with your own.*"
    )
    meta = nb.metadata["cnnlessons"]
    assert {k: meta[k] for k in RECORD} == RECORD
    assert set(meta["build_times"]) == {"smoke", "cpu"} and meta["build_times"]["cpu"]["seconds"] == 135.4
    tool.add_record(nb, {**RECORD, "seconds": 50.0}, previous=meta)  # a rebuild: one note
    assert sum("build-note" in c.metadata.get("tags", []) for c in nb.cells) == 1
    tool.write_atomically(nb, tmp_path / "99_tiny.ipynb")
    assert tool.check() == 0
    nb.cells[4].source += "\n# changed"
    tool.write_atomically(nb, tmp_path / "99_tiny.ipynb")
    assert tool.check() == 1 and "99_tiny.ipynb differs" in capsys.readouterr().out


def test_times_table(tool, tmp_path):
    nb = tool.from_source(tmp_path / "99_tiny.py")
    tool.add_record(nb, RECORD)
    tool.write_atomically(nb, tmp_path / "99_tiny.ipynb")
    tool.write_atomically(tool.from_source(tmp_path / "99_tiny.py"), tmp_path / "98_old.ipynb")
    table = tool.times_table().splitlines()
    assert table[0] == (
        "| notebook | `smoke` build | `cpu` build | `gpu` build | `gpu` training on a T4 "
        "(estimate, 5 TFLOP/s sustained) | stored outputs |"
    )
    assert table[2] == "| 98_old | – | – | – | under 1 s | not recorded |"  # no recipe: nothing trains
    assert table[3] == (
        "| 99_tiny | – | 2 min 15 s (CPU (2 cores)) | – | under 1 s | `cpu`, cifar10 (local copy: "
        "cifar10-jpeg), 2025-01-02 |"
    )


def test_the_gpu_estimate_counts_a_lessons_recipes():
    from cnnlessons.runs.estimate import T4_TRAINING_FLOPS, notebook_gpu_seconds, recipe_trainings
    from cnnlessons.runs.recipes import RECIPES

    [vgg] = recipe_trainings(RECIPES["02_vggnet/vgg"], "gpu")
    assert vgg.train_images == 45_000 and vgg.epochs == 15 and vgg.flops_per_image > 0
    kernels = recipe_trainings(RECIPES["02_vggnet/kernels"], "gpu")
    stacks = recipe_trainings(RECIPES["02_vggnet/stacks"], "gpu")  # the ledger's: on all three seeds
    expected = (
        vgg.flops + sum(t.flops for t in kernels) + 3 * sum(t.flops for t in stacks)
    ) / T4_TRAINING_FLOPS
    assert notebook_gpu_seconds("02_vggnet", RECIPES) == pytest.approx(expected)
    assert notebook_gpu_seconds("99_tiny", RECIPES) == 0


def test_build_runs_in_the_profile_on_the_data_and_records_it(tool, tmp_path, capsys):
    data = tmp_path / "cifar10-jpeg"
    data.mkdir()
    assert tool.build(["99_tiny"], profile="cpu", data=data) == 0
    assert "99_tiny: where the time goes: no cell over 10 s" in capsys.readouterr().out
    nb = nbformat.read(tmp_path / "99_tiny.ipynb", as_version=4)
    assert not any("execution" in c.metadata for c in nb.cells)  # no timings stored
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert printed == "cpu cifar10-jpeg\n"
    meta = nb.metadata["cnnlessons"]
    assert meta["profile"] == "cpu" and meta["data"] == "cifar10 (local copy: cifar10-jpeg)"
    assert meta["device"] == tool.device_name() and meta["seconds"] > 0
    assert "the `cpu` profile on cifar10 (local copy: cifar10-jpeg)" in nb.cells[3].source
    assert str(tmp_path) not in nbformat.writes(nb)  # no machine path in the stored notebook
    # a smoke run timed without replacing the stored outputs
    assert tool.build(["99_tiny"], profile="smoke", keep_outputs=True) == 0
    again = nbformat.read(tmp_path / "99_tiny.ipynb", as_version=4)
    assert "".join(o.get("text", "") for o in again.cells[-1].outputs) == "cpu cifar10-jpeg\n"
    assert set(again.metadata["cnnlessons"]["build_times"]) == {"smoke", "cpu"}
    assert again.metadata["cnnlessons"]["profile"] == "cpu"
    assert tool.build(["99_tiny"], profile="cpu", data=tmp_path / "missing") == 2
    assert tool.data_name("cpu", data, "a JPEG copy") == "cifar10 (local copy: a JPEG copy)"
    assert tool.data_name("smoke", data) == "digits (embedded)"
    assert tool.data_name("gpu", None) == "cifar10 (downloaded)"


def test_where_the_time_goes_names_the_slow_cells_under_their_headings(tool):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · Title\n\n## 1. Training"),
        nbformat.v4.new_code_cell("train()"),
        nbformat.v4.new_code_cell("plot()"),
        nbformat.v4.new_markdown_cell("## 2. Look inside"),
        nbformat.v4.new_code_cell("look()"),
    ]
    stamps = {1: ("10:00:00", "10:04:05"), 2: ("10:04:05", "10:04:07"), 4: ("10:04:07", "10:04:30")}
    for i, (a, b) in stamps.items():
        nb.cells[i].metadata["execution"] = {
            "iopub.execute_input": f"2026-12-08T{a}.000000Z",
            "shell.execute_reply": f"2026-12-08T{b}.000000Z",
        }
    times = tool.cell_seconds(nb)
    assert times == [(1, 245.0), (2, 2.0), (4, 23.0)]
    assert not any("execution" in c.metadata for c in nb.cells)
    assert (
        tool.where_the_time_goes(nb, times) == "cell 1 (1. Training) 4 min 05 s; cell 4 (2. Look inside) 23 s"
    )


def test_the_stored_notebooks_match_their_sources(capsys):
    """Every stored notebook has its source's cells, tags and slide types, and every source its
    current badge and setup cell: what CI compares is what the sources say."""
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check() == 0, capsys.readouterr().out


def test_retag_copies_tags_and_keeps_outputs(tool, tmp_path):
    nb = tool.from_source(tmp_path / "99_tiny.py")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="cpu cifar10\n")]
    nbformat.write(nb, tmp_path / "99_tiny.ipynb")
    (tmp_path / "99_tiny.py").write_text(
        SOURCE.replace("# %%\nimport os", '# %% tags=["nbval-ignore-output"]\nimport os')
    )
    assert tool.retag(["99_tiny"]) == 0
    stored = nbformat.read(tmp_path / "99_tiny.ipynb", as_version=4)
    assert stored.cells[1].metadata["tags"] == ["nbval-ignore-output"]
    assert stored.cells[1].outputs[0]["text"] == "cpu cifar10\n"
    (tmp_path / "99_tiny.py").write_text(SOURCE.replace("import os", "import sys"))
    assert tool.retag(["99_tiny"]) == 1  # another cell: that needs a build, not a retag
