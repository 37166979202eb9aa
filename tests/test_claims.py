"""cnnlessons.claims: the verdict rule on made-up paired runs, the registry, the ledger's output and
its recheck; and tools/notebooks.py's copy of the ledger into the metadata and its check."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import pathlib
import re

import nbformat
import pytest

from cnnlessons.claims import CLAIMS, MIMETYPE, check_row, judge, ledger_bundle, recheck, show_ledger
from cnnlessons.course import LESSONS

ROOT = pathlib.Path(__file__).resolve().parent.parent
COURSE = ROOT.parent / "shared" / "COURSE.md"


def arms(**by_arm: dict) -> dict:
    """``arms(deeper={"test_acc": [.75, .76]})``: lists become ``{seed: value}`` from seed 0."""
    return {
        arm.replace("_", " "): {
            name: dict(enumerate(v)) if isinstance(v, list) else v for name, v in figures.items()
        }
        for arm, figures in by_arm.items()
    }


# --- the rule ---------------------------------------------------------------------------------


def test_a_directional_claim_is_shown_when_every_seed_has_the_sign_and_the_mean_clears_the_margin():
    j = judge(
        "vgg.depth", arms(deeper={"test_acc": [0.75, 0.76, 0.74]}, shallower={"test_acc": [0.73, 0.74, 0.72]})
    )
    assert j.verdict == "shown" and "clears the margin of 1.5 points" in j.reason
    assert list(j.differences) == [0, 1, 2]
    assert all(math.isclose(d, 2.0) for d in j.differences.values()) and math.isclose(j.mean, 2.0)


def test_one_seed_against_the_sign_is_not_shown_whatever_the_mean():
    j = judge(
        "vgg.depth",
        arms(deeper={"test_acc": [0.80, 0.80, 0.716]}, shallower={"test_acc": [0.70, 0.70, 0.72]}),
    )
    assert j.mean > 1.5
    assert j.verdict == "not shown"
    assert j.reason == "seed 2's difference is -0.4 points, against the claimed sign"


def test_a_mean_under_the_margin_is_not_shown():
    j = judge("vgg.depth", arms(deeper={"test_acc": [0.71, 0.72]}, shallower={"test_acc": [0.70, 0.71]}))
    assert j.verdict == "not shown"
    assert j.reason == (
        "every seed's difference has the claimed sign, but their mean, +1.0 points, "
        "is under the margin of 1.5 points"
    )


def test_a_mean_on_the_margin_clears_it_despite_rounding():
    # 0.83 - 0.81 is 1.9999999999999907 points in floats: the margin of 2 is met, not missed
    j = judge(
        "alexnet.augmentation",
        arms(augmented={"test_acc": [0.83], "gap": [0.05]}, plain={"test_acc": [0.81], "gap": [0.10]}),
    )
    assert j.differences[0] < 2 and j.verdict == "shown"


def test_a_lower_claim_and_an_at_most_condition():
    good = arms(
        residual_deep={"train_error": [0.05, 0.06]},
        plain_deep={"train_error": [0.12, 0.11]},
        residual_shallow={"train_error": [0.07, 0.06]},
    )
    assert judge("resnet.shortcuts", good).verdict == "shown"
    worse = arms(
        residual_deep={"train_error": [0.05, 0.08]},
        plain_deep={"train_error": [0.12, 0.13]},
        residual_shallow={"train_error": [0.07, 0.06]},
    )
    j = judge("resnet.shortcuts", worse)
    assert j.verdict == "not shown" and j.conditions[0].holds and not j.conditions[1].holds
    assert j.reason == (
        "training error not above the shallow residual net's: no, seed 1's difference "
        "is +2.0 points, above 0 points"
    )


def test_about_equal_is_breached_by_one_seed():
    close = arms(identity={"test_acc": [0.80, 0.81, 0.79]}, projection={"test_acc": [0.81, 0.80, 0.80]})
    assert judge("resnet.identity_vs_projection", close).verdict == "shown"
    far = arms(identity={"test_acc": [0.80, 0.81, 0.77]}, projection={"test_acc": [0.81, 0.80, 0.80]})
    j = judge("resnet.identity_vs_projection", far)
    assert j.verdict == "not shown"
    assert j.reason == "seed 2's difference is -3.0 points, outside the margin of 1.5 points"


def test_a_compound_claim_fails_when_one_condition_fails():
    figures = arms(
        reduced={"test_acc": [0.83, 0.84], "weights": 1e5, "flops": 3e6},
        naive={"test_acc": [0.81, 0.81], "weights": 4e5, "flops": 5e6},
    )
    j = judge("googlenet.reductions", figures)
    assert [c.holds for c in j.conditions] == [True, True, False]
    assert j.verdict == "not shown"
    assert j.reason == "FLOPs at least 90% of the naive net's: no, seed 0's ratio is 1.67, above 1.11"
    equal_flops = arms(
        reduced={"test_acc": [0.83, 0.84], "flops": 5.2e6}, naive={"test_acc": [0.81, 0.81], "flops": 5e6}
    )
    assert judge("googlenet.reductions", equal_flops).verdict == "shown"
    with pytest.raises(ValueError, match=r"figures\['naive'\]\['flops'\]: missing"):
        judge("googlenet.reductions", {**equal_flops, "naive": {"test_acc": {0: 0.8, 1: 0.8}}})


@pytest.mark.parametrize(
    "gap, acc, verdict, failing",
    [
        ([0.04, 0.05], [0.72, 0.73], "shown", None),
        (
            [0.04, 0.05],
            [0.715, 0.72],
            "not shown",
            "test accuracy higher by at least 1 point",
        ),  # +0.75 points
        ([0.08, 0.09], [0.72, 0.73], "not shown", "the train/test gap smaller by at least 5 points"),  # -3.75
    ],
)
def test_dropout_needs_both_the_smaller_gap_and_the_higher_accuracy(gap, acc, verdict, failing):
    j = judge(
        "alexnet.dropout",
        arms(
            dropout={"gap": gap, "test_acc": acc}, no_dropout={"gap": [0.12, 0.125], "test_acc": [0.71, 0.71]}
        ),
    )
    assert j.verdict == verdict
    assert (failing is None) == j.reason.startswith("both conditions hold")
    if failing:
        assert j.reason.startswith(f"{failing}: no, ")


def test_batch_norm_is_compared_with_the_better_no_bn_run_seed_by_seed():
    figures = arms(
        **{
            "bn, high rate": {"test_acc": [0.80, 0.80]},
            "no bn, high rate": {"test_acc": [0.60, 0.78]},
            "no bn, low rate": {"test_acc": [0.76, 0.70]},
        }
    )
    j = judge("googlenet.batch_norm", figures)
    assert [round(d, 6) for d in j.differences.values()] == [4.0, 2.0]  # against .76, then .78
    assert j.verdict == "shown"  # mean 3.0; against the low rate alone (better on average) it would be 7.0
    figures["bn, high rate"]["test_acc"][1] = 0.79
    j = judge("googlenet.batch_norm", figures)
    assert j.verdict == "not shown" and "their mean, +2.5 points, is under the margin of 3 points" in j.reason


def test_relu_against_tanh_is_a_ratio_of_epochs():
    assert (
        judge(
            "alexnet.relu_vs_tanh", arms(relu={"epochs_to_target": [3, 4]}, tanh={"epochs_to_target": [8, 8]})
        ).verdict
        == "shown"
    )
    j = judge(
        "alexnet.relu_vs_tanh", arms(relu={"epochs_to_target": [3, 5]}, tanh={"epochs_to_target": [8, 8]})
    )
    assert j.verdict == "not shown" and j.reason == "seed 1's ratio is 0.625, above 0.5"


def test_the_summary_needs_the_table_complete():
    accs = {"googlenet": 0.80, "resnet": 0.82, "densenet": 0.83, "alexnet": 0.70, "vgg": 0.76}
    figures = {m: {"test_acc": {0: a, 1: a}, "row_complete": True} for m, a in accs.items()}
    assert judge("summary.five_models", figures).verdict == "shown"
    figures["vgg"]["row_complete"] = {0: True, 1: False}
    j = judge("summary.five_models", figures)
    assert j.verdict == "not shown" and j.reason.endswith("seed 1: the check fails")


def test_json_seed_keys_give_the_same_verdict():
    figures = arms(deeper={"test_acc": [0.75, 0.76]}, shallower={"test_acc": [0.73, 0.74]})
    as_json = json.loads(json.dumps(figures))
    assert judge("vgg.depth", as_json).differences == judge("vgg.depth", figures).differences


def test_not_tested_needs_a_reason():
    j = judge("vgg.depth", why="the smoke profile trains one epoch")
    assert (
        j.verdict == "not tested"
        and j.mean is None
        and j.row()["why"] == "the smoke profile trains one epoch"
    )
    with pytest.raises(ValueError, match="why"):
        judge("vgg.depth")


@pytest.mark.parametrize(
    "claim_id, figures, message",
    [
        ("vgg.deep", {}, r"claim_id: expected one of the registered claims .*got 'vgg.deep'"),
        (
            "vgg.depth",
            arms(deeper={"test_acc": [0.75, 0.76]}, shallower={"test_acc": [0.73]}),
            r"figures\['shallower'\]\['test_acc'\]: seed 1 is missing",
        ),
        (
            "vgg.depth",
            arms(deeper={"test_acc": {}}, shallower={"test_acc": [0.73]}),
            r"figures\['deeper'\]\['test_acc'\]: no seeds",
        ),
        (
            "vgg.depth",
            arms(deeper={"test_acc": [math.nan]}, shallower={"test_acc": [0.73]}),
            r"figures\['deeper'\]\['test_acc'\]\[0\]: expected a finite number, got nan",
        ),
        (
            "vgg.depth",
            arms(deeper={"test_acc": [75.0]}, shallower={"test_acc": [0.73]}),
            r"expected a fraction in \[0, 1\] \(0.734 for 73.4%\), got 75.0",
        ),
        (
            "vgg.depth",
            arms(deeper={"test_acc": [-0.1]}, shallower={"test_acc": [0.73]}),
            r"fraction in \[0, 1\]",
        ),
        (
            "vgg.depth",
            arms(deeper={"test_acc": [0.7]}, shalower={"test_acc": [0.73]}),
            r"unknown arm 'shalower'",
        ),
        (
            "vgg.depth",
            arms(deeper={"test_acc": [True]}, shallower={"test_acc": [0.73]}),
            r"expected a number",
        ),
        ("vgg.depth", arms(deeper={"test_acc": 0.7}, shallower={"test_acc": 0.73}), r"figures: no seeds"),
        (
            "alexnet.relu_vs_tanh",
            arms(relu={"epochs_to_target": [0]}, tanh={"epochs_to_target": [8]}),
            r"expected a positive number",
        ),
    ],
)
def test_bad_input_is_refused_by_name(claim_id, figures, message):
    with pytest.raises(ValueError, match=message):
        judge(claim_id, figures)


# --- the registry -----------------------------------------------------------------------------


def test_the_registry_is_read_only_and_its_claims_are_whole():
    with pytest.raises(TypeError):
        CLAIMS["x"] = CLAIMS["vgg.depth"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CLAIMS["vgg.depth"].margin = 0  # type: ignore[misc]
    for cid, claim in CLAIMS.items():
        assert claim.id == cid and claim.lesson in {f"0{n}" for n in range(1, 8)}  # 01-07
        assert claim.conditions and all(c.words for c in claim.conditions)
        assert claim.kind in ("higher", "lower", "about equal", "at most")
    assert CLAIMS["resnet.identity_vs_projection"].kind == "about equal"
    assert (CLAIMS["alexnet.dropout"].kind, CLAIMS["alexnet.dropout"].margin) == ("lower", 5.0)


def course_table() -> dict[str, list[str]]:
    text = COURSE.read_text()
    section = text[text.index("## The claims ledger") :]
    section = section[: section.index("\n## ", 1)]
    rows = re.findall(r"^\| `([\w.]+)` \| (.+) \|$", section, re.MULTILINE)
    return {cid: [cell.strip() for cell in rest.split(" | ")] for cid, rest in rows}


@pytest.mark.skipif(not COURSE.exists(), reason="the course map is not beside this checkout")
def test_the_registry_holds_the_course_maps_claims_in_its_words():
    # the course map may list the claims of a lesson still to be written; a lesson's package may
    # register its claims before its notebook is among the course's LESSONS (07's, for now)
    lessons = {name[:2] for name in LESSONS} | {c.lesson for c in CLAIMS.values()}
    table = {cid: row for cid, row in course_table().items() if row[0] in lessons}
    assert set(CLAIMS) == set(table) and len(table) >= 12
    for cid, (lesson, claim, shown_when, paper) in table.items():
        c = CLAIMS[cid]
        assert (c.lesson, c.claim, c.shown_when, c.paper) == (lesson, claim, shown_when, paper), cid


# --- the ledger -------------------------------------------------------------------------------


def ledger() -> list[dict]:
    shown = judge("vgg.depth", arms(deeper={"test_acc": [0.75, 0.76]}, shallower={"test_acc": [0.73, 0.74]}))
    not_shown = judge(
        "vgg.small_kernels",
        arms(
            **{
                "3x3 stack": {"test_acc": [0.75, 0.76], "weights": 2e5},
                "large kernel": {"test_acc": [0.745, 0.749], "weights": 3e5},
            }
        ),
    )
    return [
        shown.row(),
        not_shown.row(budget="the gpu profile's 30 epochs", converged="converged: +2.1 points"),
        judge("alexnet.dropout", why="the smoke profile has no fully connected overfitting to cut").row(),
        check_row("vgg.receptive_field", "two 3x3 layers see 5x5", "section 2.3", "5x5", True),
    ]


def test_rows_carry_the_figures_and_say_why():
    rows = ledger()
    assert [r["verdict"] for r in rows] == ["shown", "not shown", "not tested", "shown"]
    for row in rows:
        assert {"id", "claim", "paper", "measured", "verdict"} <= row.keys()
    assert set(rows[0]["seeds"]) == {"0", "1"} and math.isclose(rows[0]["mean"], 2.0)
    assert rows[0]["figures"]["deeper"]["test_acc"] == {"0": 0.75, "1": 0.76} and "why" not in rows[0]
    assert rows[1]["why"] == (
        "test accuracy higher by at least 1.5 points: no, every seed's difference has "
        "the claimed sign, but their mean, +0.8 points, is under the margin of 1.5 "
        "points; the gpu profile's 30 epochs; converged: +2.1 points"
    )
    assert (
        "weights: 3x3 stack 200,000; large kernel 300,000; 3x3 stack / large kernel: 0.667 (every seed)"
        in rows[1]["measured"]
    )
    assert "test accuracy: 3x3 stack 75.0%, 76.0%; large kernel 74.5%, 74.9%;" in rows[1]["measured"]
    assert check_row("vgg.rf", "c", "p", "m", False)["verdict"] == "not shown"
    with pytest.raises(ValueError, match="id: 'vgg.depth' is an effect claim"):
        check_row("vgg.depth", "c", "p", "m", True)
    with pytest.raises(ValueError, match="holds: expected True or False"):
        check_row("vgg.rf", "c", "p", "m", 1)  # type: ignore[arg-type]


def test_the_ledger_output_is_html_text_and_json(capsys):
    rows = ledger()
    bundle = ledger_bundle(rows)
    assert set(bundle) == {"text/html", "text/plain", MIMETYPE}
    assert json.loads(json.dumps(bundle[MIMETYPE])) == {"claims": rows}
    html = bundle["text/html"]
    assert html.startswith("<table>") and html.count("<tr>") == 5 and "<code>vgg.depth</code>" in html
    text = bundle["text/plain"]
    assert text.splitlines()[0] == "Claims ledger: 4 claims (2 shown, 1 not shown, 1 not tested)"
    assert "[not shown] vgg.small_kernels: a stack of 3x3 convolutions" in text
    assert "    why:      the smoke profile has no fully connected overfitting to cut" in text
    show_ledger(rows)  # outside IPython: the text
    assert capsys.readouterr().out == text + "\n"


def test_in_ipython_the_ledger_is_displayed_as_a_bundle(monkeypatch):
    pytest.importorskip("IPython")
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    show_ledger(ledger())
    [(bundle, raw)] = shown
    assert raw and set(bundle) == {"text/html", "text/plain", MIMETYPE}


def test_recheck_catches_a_tampered_verdict_or_figure():
    rows = ledger()
    assert recheck(rows) == []
    tampered = json.loads(json.dumps(rows))
    tampered[1]["verdict"] = "shown"
    [line] = recheck(tampered)
    assert line.startswith(
        "vgg.small_kernels: stored verdict 'shown', but the verdict function gives 'not shown'"
    )
    with pytest.raises(ValueError, match="rows: expected verdicts that the verdict function gives"):
        ledger_bundle(tampered)
    figures = json.loads(json.dumps(rows))
    figures[0]["figures"]["deeper"]["test_acc"]["1"] = 0.70
    assert recheck(figures)[0].startswith("vgg.depth: stored verdict 'shown', but the verdict function gives")
    mean = json.loads(json.dumps(rows))
    mean[0]["mean"] = 3.0
    assert recheck(mean) == [
        "vgg.depth: its per-seed figures or mean differ from those of its stored figures"
    ]
    others = json.loads(json.dumps(rows))
    others[2]["verdict"] = "shown"  # a not-tested claim has no figures to be shown by
    others[3]["verdict"] = "not shown"
    others.append(dict(rows[0]))
    others.append({"id": "x"})
    assert recheck(others) == [
        "alexnet.dropout: stored verdict 'shown', but the verdict function gives 'not tested' "
        "(the smoke profile has no fully connected overfitting to cut)",
        "vgg.receptive_field: stored verdict 'not shown', but its check holds",
        "vgg.depth: more than one row",
        "row 5: expected the keys id, claim, paper, measured, "
        "verdict; missing claim, paper, measured, verdict",
    ]


# --- tools/notebooks.py: the build's copy and check --------------------------------------------

SOURCE = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 02 · A tiny lesson

# %%
print("the claims ledger")
"""


@pytest.fixture
def tool(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "NOTEBOOKS", tmp_path)
    source = tmp_path / "02_tiny.py"
    source.write_text(SOURCE)
    module.sync_source(source)
    return module


def stored(tool, tmp_path, rows: list[dict] | None) -> nbformat.NotebookNode:
    """The tiny lesson as a build stores it, its last cell showing ``rows`` as the ledger."""
    nb = tool.from_source(tmp_path / "02_tiny.py")
    if rows is not None:
        nb.cells[-1].outputs = [nbformat.v4.new_output("display_data", data=ledger_bundle(rows))]
    tool.copy_claims(nb)
    return nb


def checked(tool, tmp_path, nb, capsys) -> tuple[int, list[str]]:
    tool.write_atomically(nb, tmp_path / "02_tiny.ipynb")
    status = tool.check()
    return status, capsys.readouterr().out.splitlines()


def test_the_build_copies_the_ledger_into_the_metadata_and_check_agrees(tool, tmp_path, capsys):
    nb = stored(tool, tmp_path, ledger())
    assert nb.metadata["cnnlessons"]["claims"] == json.loads(json.dumps(ledger()))
    nbformat.validate(nb)  # a JSON mimetype of our own is valid nbformat
    assert checked(tool, tmp_path, nb, capsys) == (0, [])
    nb.cells[-1].outputs = []
    tool.copy_claims(nb)
    assert "claims" not in nb.metadata["cnnlessons"]


def test_check_fails_when_the_metadata_and_the_ledger_disagree(tool, tmp_path, capsys):
    nb = stored(tool, tmp_path, ledger())
    nb.metadata["cnnlessons"]["claims"][0]["measured"] = "something else"
    assert checked(tool, tmp_path, nb, capsys) == (
        1,
        [
            "02_tiny.ipynb: vgg.depth: its metadata (cnnlessons.claims) "
            "and the ledger output disagree (run build)"
        ],
    )
    del nb.metadata["cnnlessons"]["claims"]
    assert checked(tool, tmp_path, nb, capsys)[1] == [
        "02_tiny.ipynb: its ledger output is not in the metadata, cnnlessons.claims (run build)"
    ]
    without = stored(tool, tmp_path, None)
    without.metadata["cnnlessons"]["claims"] = ledger()[:1]
    assert checked(tool, tmp_path, without, capsys) == (
        1,
        [
            "02_tiny.ipynb: vgg.depth: in the metadata, but the notebook has no ledger output (run build)",
            "02_tiny.ipynb: no claims ledger output (its effect claims: vgg.small_kernels, vgg.depth)",
        ],
    )


def test_check_fails_on_a_verdict_the_rule_does_not_give(tool, tmp_path, capsys):
    nb = stored(tool, tmp_path, ledger())
    for rows in (nb.cells[-1].outputs[0].data[MIMETYPE]["claims"], nb.metadata["cnnlessons"]["claims"]):
        rows[1]["verdict"] = "shown"  # tampered in both places alike
    status, lines = checked(tool, tmp_path, nb, capsys)
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith(
        "02_tiny.ipynb: vgg.small_kernels: stored verdict 'shown', but the verdict function gives 'not shown'"
    )


def test_a_lesson_without_its_ledger_or_a_row_fails_the_check(tool, tmp_path, capsys, monkeypatch):
    assert tool.LEDGER_REQUIRED  # every lesson 01-06 has its ledger
    nb = stored(tool, tmp_path, None)
    monkeypatch.setattr(tool, "LEDGER_REQUIRED", False)
    assert checked(tool, tmp_path, nb, capsys) == (0, [])
    monkeypatch.setattr(tool, "LEDGER_REQUIRED", True)
    assert checked(tool, tmp_path, nb, capsys) == (
        1,
        ["02_tiny.ipynb: no claims ledger output (its effect claims: vgg.small_kernels, vgg.depth)"],
    )
    with_ledger = stored(tool, tmp_path, ledger())  # vgg.depth and vgg.small_kernels both have rows
    assert checked(tool, tmp_path, with_ledger, capsys) == (0, [])
    with_ledger = stored(tool, tmp_path, ledger()[:1])
    assert checked(tool, tmp_path, with_ledger, capsys) == (
        1,
        ["02_tiny.ipynb: vgg.small_kernels: no row in the claims ledger"],
    )
