"""tools/prose.py: a run-dependent figure typed into a markdown cell is found; what the allow-list
lets through (cited figures, math and code, named constants) is not; ``check`` fails on a finding
outside the notebooks pending their rewrite. Read-only on the stored notebooks; no kernel."""

from __future__ import annotations

import importlib.util
import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tool():
    """tools/notebooks.py, loaded as the tests of the build load it (it puts the checkout on sys.path
    and imports tools.prose)."""
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def prose(tool):
    return tool.prose


@pytest.fixture(scope="module")
def stored() -> dict[str, nbformat.NotebookNode]:
    """Today's stored notebooks, read-only."""
    return {
        path.stem: nbformat.read(path, as_version=4)
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    }


def notebook(*markdown: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    """A notebook of a code cell followed by one markdown cell per text (each tagged ``tags``)."""
    cells = [nbformat.v4.new_code_cell("print(42.1)")]
    cells += [nbformat.v4.new_markdown_cell(text, metadata={"tags": tags or []}) for text in markdown]
    return nbformat.v4.new_notebook(cells=cells)


def figures(prose, text: str) -> list[str]:
    return [f.figure for f in prose.cell_findings(text)]


def test_a_planted_figure_is_found_with_its_notebook_cell_and_sentence(prose):
    nb = notebook(
        "## 2. Training\n\nThe net is small. It reached 42.1% test accuracy on\nthe test split. Next we look."
    )
    assert prose.figure_problems(nb, "99_tiny") == [
        "99_tiny: cell 1: '42.1%' in: It reached 42.1% test accuracy on the test split."
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("It reaches 85-90% test accuracy.", ["85-90%"]),
        ("ResNet-20 gets 30.2% against 27.5% for the other.", ["30.2%", "27.5%"]),
        ("ReLU needed 1.89 of tanh's epochs.", ["1.89"]),
        ("It trained for 12 epochs in 95 s, 3 min in all.", ["12 epochs", "95 s", "3 min"]),
        ("It ran 1,234 images per second, 2.3x the CPU's speed.", ["1,234 images per second", "2.3x"]),
        ("The DenseNet needs 3 times fewer weights: 0.4M.", ["3 times", "0.4M"]),
    ],
)
def test_each_kind_of_run_dependent_figure_is_found(prose, text, found):
    assert figures(prose, text) == found


def test_a_phrase_that_states_the_runs_outcome_is_found_even_in_a_cited_sentence(prose):
    assert figures(prose, "The paper's gain shows at 110 layers; here expect them to be close.") == ["expect"]
    assert figures(prose, "Both came out about even.") == ["came out", "about even"]


def test_plain_integers_dimensions_years_and_typed_arithmetic_are_no_figures(prose):
    text = (
        "Three blocks of 2 convolutions, 3x3 kernels on 32x32 images with 16, 32 and 64 channels, "
        "pixels 0-255, in 2014. Each needs 3 x 9 multiply-adds, floor((n + 2p - k) / s) + 1 times, "
        "at most 1/4 times the weights."
    )
    assert figures(prose, text) == []


def test_section_n_alone_is_the_lessons_own_section_not_a_citation(prose):
    assert figures(prose, "Section 1 measured 42.1% accuracy.") == ["42.1%"]
    assert figures(prose, "Two 3x3 layers lowered top-1 error by 7% (section 4.1).") == []


@pytest.mark.parametrize(
    "text",
    [
        "The paper reports 6.97% against 8.75% test error.",
        "ResNet-56 ends at 6.97% test error in the ResNet paper.",
        "Table 6 gives 6.97% against 8.75%.",
        "Its Figure 1 reaches 25.4% six times faster.",
        "The gain was 1.4% (its section 5).",
        "He et al. give 6.97% against 8.75%.",
        "A CIFAR DenseNet reaches 4.51% (Huang, 2017).",
        "The source's table gives 143.7M parameters.",
        "UvA's tutorial has DenseNet at 90.2% against ResNet's 91.1%.",
    ],
)
def test_allowed_a_figure_in_a_sentence_that_cites_its_source(prose, text):
    assert figures(prose, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The error is $e = 42.1\\%$ by definition.",
        "$$\\sigma = 0.37, \\quad 1.89 \\cdot x$$",
        "Call `fit(model, epochs=12)` with `lr=0.37`.",
        "```python\nprint(f'{acc:.1%}: 42.1%')\n```",
        "See [the run](https://example.org/run-42.1%25) above.",
    ],
)
def test_allowed_figures_inside_math_code_and_link_targets(prose, text):
    assert figures(prose, text) == []


def test_allowed_the_named_constants_each_with_a_one_word_reason(prose):
    assert prose.CONSTANTS, "the allow-list of constants is explicit, not empty"
    for figure, reason in prose.CONSTANTS.items():
        assert re.fullmatch(r"[a-zA-Z]+", reason), (figure, reason)
        assert figures(prose, f"It has {figure} in it.") == [], figure
    for figure in ("50,000", "10,000", "147,456", "40,960", "15.3%", "6.7%", "3.57%", "2.99%", "2.25%"):
        assert figure in prose.CONSTANTS
    assert figures(prose, "It has 50,001 in it.") == ["50,001"]  # a constant is exact, not a pattern


def test_the_cell_a_build_writes_is_not_scanned(prose):
    note = "*Stored outputs: the `cpu` profile, built in 7 min 54 s.*"
    assert prose.figure_problems(notebook(note, tags=["build-note"])) == []
    assert prose.figure_problems(notebook(note)) != []


def test_check_lines_fails_a_finding_outside_the_pending_notebooks_only(prose):
    nb = notebook("It reached 42.1% after 12 epochs.")
    notes, problems = prose.check_lines("99_tiny", nb, pending=frozenset())
    assert notes == [] and len(problems) == 2 and problems[0].startswith("99_tiny: cell 1: '42.1%'")
    notes, problems = prose.check_lines("99_tiny", nb, pending=frozenset({"99_tiny"}))
    assert problems == [] and notes[0].startswith("99_tiny: 2 stale figure(s)") and len(notes) == 3
    assert prose.check_lines("99_tiny", notebook("Three 3x3 layers.")) == ([], [])


def test_the_tools_check_fails_on_a_planted_figure_unless_the_notebook_is_pending(
    tool, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(tool, "NOTEBOOKS", tmp_path)
    source = tmp_path / "99_tiny.py"
    source.write_text(
        "# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n#       extension: .py\n"
        "#       format_name: percent\n# ---\n\n# %% [markdown]\n# # 99 · A tiny lesson\n#\n"
        "# It reaches 42.1% test accuracy.\n"
    )
    tool.sync_source(source)
    tool.write_atomically(tool.from_source(source), tmp_path / "99_tiny.ipynb")
    assert tool.check() == 1 and "99_tiny: cell 2: '42.1%'" in capsys.readouterr().out
    monkeypatch.setattr(tool.prose, "PENDING_REWRITE", frozenset({"99_tiny"}))
    assert tool.check() == 0
    assert "99_tiny: 1 stale figure(s) or long reason(s) (pending rewrite" in capsys.readouterr().out


def test_every_pending_notebook_exists(prose, stored):
    assert prose.PENDING_REWRITE <= set(stored)


@pytest.mark.parametrize(
    ("sentence", "found"),
    [
        (
            "It uses the checkpoint of its network trained to the end (85-90% test accuracy on CIFAR-10).",
            ["85-90%"],
        ),
        (
            "The variants tried on other seeds with these 2,500 images came out about even too.",
            ["came out", "about even"],
        ),
        ("On a CPU budget of a few epochs expect a modest accuracy.", ["expect"]),
        (
            "The gain shows at 110 layers and more; at the depth a CPU affords, expect them to be close.",
            ["expect"],
        ),
        ("Expect parity rather than a win.", ["Expect"]),
    ],
)
def test_the_stale_sentences_the_rewrite_removed_would_be_found(prose, sentence, found):
    """00, 01, 02, 04 and 05 said these before their rewrite (2026-12-07); typed again, each fails."""
    assert figures(prose, sentence) == found


def test_no_lesson_is_pending_its_rewrite_any_more(prose):
    assert prose.PENDING_REWRITE == frozenset()


@pytest.mark.parametrize("figure", ["30.2%", "27.5%", "1.89", "79.7%", "87.8%"])
def test_a_figure_a_stored_run_printed_is_never_let_through_in_markdown(prose, stored, figure):
    """Today these are only in code outputs; should one be typed into markdown, it is found."""
    for name, nb in stored.items():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown" and figure in prose.mask(cell.source):
                assert figure in [f.figure for f in prose.cell_findings(cell.source, name, i)], (name, i)


def test_a_ledger_reason_over_40_words_is_a_problem_outside_the_pending_set(prose):
    nb = nbformat.v4.new_notebook()
    short, long = " ".join(["word"] * 40), " ".join(["word"] * 41)
    nb.metadata["cnnlessons"] = {"claims": [{"id": "a.short", "why": short}, {"id": "a.long", "why": long}]}
    assert prose.reason_problems(nb, "99_tiny") == [
        "99_tiny: ledger row a.long: its reason has 41 words; at most 40"
    ]
    notes, problems = prose.check_lines("99_tiny", nb, pending=frozenset())
    assert notes == [] and len(problems) == 1 and "a.long" in problems[0]
    notes, problems = prose.check_lines("99_tiny", nb, pending=frozenset({"99_tiny"}))
    assert problems == [] and "a.long" in notes[1]
