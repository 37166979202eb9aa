"""The library in Korean: the catalogs against the source, the translations against their
placeholders and the glossary, Korean where it is asked for and English by default, Hangul in
figures from the shipped font, and grading in the notebook's language."""

from __future__ import annotations

import ast
import collections
import importlib.util
import io
import logging
import re
import string
import warnings
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cnnlessons import i18n  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "ko" / "glossary.md"


@pytest.fixture(scope="module")
def tool():
    """tools/i18n.py, which extracts and compiles the catalogs with Babel."""
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def korean(tool):
    return tool.read_po(tool.po_path("ko"))


@pytest.fixture
def english(monkeypatch):
    """No language chosen and none in the environment; whatever a test chooses is undone after it,
    matplotlib's settings included."""
    monkeypatch.delenv(i18n.ENV, raising=False)
    i18n.set_language(None)
    with matplotlib.rc_context():
        yield
        monkeypatch.delenv(i18n.ENV, raising=False)
        i18n.set_language(None)


# --- the catalogs ----------------------------------------------------------------------------


def placeholders(text: str) -> collections.Counter:
    """The ``{name!r:spec}`` fields and ``%(name)s`` of ``text``, as written (``{{`` is no field)."""
    found: collections.Counter = collections.Counter()
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is not None:
            found[
                "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            ] += 1
    found.update(re.findall(r"%\([^)]*\)[#0 +-]*\d*(?:\.\d+)?[a-zA-Z]", text))
    return found


def catalog_problems(template, catalog) -> list[str]:
    """Every message of ``template`` missing from ``catalog``, untranslated there, or translated
    with other placeholders than its English."""
    translated = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalog if m.id}
    problems = []
    for message in template:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        entry = translated.get(key)
        strings = [] if entry is None else list(entry.string if isinstance(key, tuple) else [entry.string])
        if entry is None or entry.fuzzy or not strings or not all(strings):
            problems.append(f"untranslated: {key!r}")
            continue
        english = [key] if isinstance(key, str) else list(key)
        wanted = placeholders(english[-1])  # Korean has one form: the plural's placeholders
        for text in strings:
            if placeholders(text) != wanted:
                problems.append(f"placeholders differ: {key!r} -> {text!r}")
    return problems


def test_the_placeholder_reader_sees_fields_conversions_specs_and_percent_names():
    assert placeholders("{a} {b!r} {c:,} {d:.1%} {{x}} %(e)s %(f)5.2f") == collections.Counter(
        ["{a}", "{b!r}", "{c:,}", "{d:.1%}", "%(e)s", "%(f)5.2f"]
    )


def test_every_message_of_the_template_is_translated_with_the_same_placeholders(tool, korean):
    assert catalog_problems(tool.read_po(tool.TEMPLATE), korean) == []


def test_a_missing_translation_and_a_changed_placeholder_fail(tool, korean):
    from babel.messages.catalog import Catalog

    template = Catalog()
    for text in ("{label}: passed", "{n:,} parameters", "plain"):
        template.add(text)
    template.add(("{count} claim", "{count} claims"))
    catalog = Catalog(locale="ko")
    catalog.add("{label}: passed", "{label}: 통과했습니다")
    catalog.add("{n:,} parameters", "매개변수 {n}개")  # the format spec is lost
    catalog.add("plain", "")
    catalog.add(("{count} claim", "{count} claims"), ("주장 {counts}건",))
    assert sorted(catalog_problems(template, catalog)) == sorted(
        [
            "placeholders differ: ('{count} claim', '{count} claims') -> '주장 {counts}건'",
            "placeholders differ: '{n:,} parameters' -> '매개변수 {n}개'",
            "untranslated: 'plain'",
        ]
    )


def test_the_template_holds_the_messages_of_todays_source(tool):
    stored = tool.message_ids(tool.read_po(tool.TEMPLATE))
    extracted = tool.message_ids(tool.extract())
    assert stored == extracted, (
        f"cnnlessons/locale/cnnlessons.pot is out of date (new: {sorted(extracted - stored)[:3]}, "
        f"gone: {sorted(stored - extracted)[:3]}): run `python tools/i18n.py update`, translate, `compile`"
    )
    assert len(extracted) > 250  # the extraction sees the wrapped messages at all


def test_the_shipped_mo_is_the_po_compiled(tool, korean):
    assert tool.compiled(tool.mo_path("ko")) == tool.expected_compiled(korean), (
        "cnnlessons/locale/ko/LC_MESSAGES/cnnlessons.mo is stale: run `python tools/i18n.py compile`"
    )


def _imports_gettext(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("i18n")
        and any(alias.name == "_" for alias in node.names)
        for node in ast.walk(tree)
    )


def gettext_misuses(tree: ast.Module) -> list[str]:
    """Where a module that translates with ``_`` rebinds ``_`` (a throwaway name in a function
    or a loop, which makes the next ``_("...")`` call an int), or gives ``_`` an f-string (which
    no catalog can hold)."""
    found = []
    scopes = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    inside_comprehension: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, scopes):
            for generator in node.generators:
                inside_comprehension.update(id(n) for n in ast.walk(generator.target))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            if id(node) not in inside_comprehension:
                found.append(f"line {node.lineno}: `_` rebound")
        elif isinstance(node, ast.arg) and node.arg == "_":
            found.append(f"line {node.lineno}: `_` as a parameter")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_")
            and node.args
            and isinstance(node.args[0], ast.JoinedStr)
        ):
            found.append(f"line {node.lineno}: an f-string in {node.func.id}()")
    return found


def test_no_module_that_translates_rebinds_its_gettext_or_translates_an_f_string():
    found = {}
    for path in sorted((ROOT / "cnnlessons").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _imports_gettext(tree) and (misuses := gettext_misuses(tree)):
            found[str(path.relative_to(ROOT))] = misuses
    assert not found, found
    planted = ast.parse(
        "from ..i18n import _\n"
        "def f(pairs):\n"
        "    for _, b in pairs:\n"
        "        pass\n"
        "    return [a for a, _ in pairs], _(f'{b}')\n"
    )
    assert gettext_misuses(planted) == ["line 3: `_` rebound", "line 5: an f-string in _()"]


# --- the glossary ----------------------------------------------------------------------------


def glossary(text: str) -> list[dict[str, object]]:
    """The rows of the glossary's table: the English looked for, the Korean term, the rejected."""
    start, end = text.index("<!-- glossary -->"), text.index("<!-- end of glossary -->")
    rows = []
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0].startswith(("English", "---")):
            continue
        found, _term, korean, meaning, rejected = cells
        rows.append(
            {
                "found": found,
                "korean": korean,
                "meaning": meaning,
                "rejected": [r.strip() for r in rejected.split(";") if r.strip()],
            }
        )
    return rows


def glossary_problems(rows, pairs) -> list[str]:
    """For (English, Korean) message pairs: a Korean without the term its English calls for, or
    with a rejected variant."""
    problems = []
    for english, korean in pairs:
        for row in rows:
            if re.search(r"(?<![A-Za-z_])" + re.escape(row["found"]), english, flags=re.IGNORECASE):
                if row["korean"] not in korean:
                    problems.append(f"{row['korean']} missing: {english!r} -> {korean!r}")
            for variant in row["rejected"]:
                if variant in korean:
                    problems.append(f"{variant} (use {row['korean']}): {korean!r}")
    return problems


def _pairs(catalog) -> list[tuple[str, str]]:
    pairs = []
    for m in catalog:
        if m.id:
            english = m.id if isinstance(m.id, str) else " / ".join(m.id)
            strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
            pairs += [(english, s) for s in strings]
    return pairs


def test_the_glossary_has_every_term_with_a_definition_and_its_rejected_variants():
    rows = glossary(GLOSSARY.read_text(encoding="utf-8"))
    terms = {row["korean"] for row in rows}
    assert {
        "합성곱",
        "수용 영역",
        "잔차 블록",
        "스킵 연결",
        "병목",
        "조밀 블록",
        "성장률",
        "전환 레이어",
        "배치 정규화",
        "전역 평균 풀링",
        "기울기 소실",
        "ReLU",
        "dropout",
        "Inception",
    } <= terms
    for row in rows:
        assert str(row["meaning"]).endswith("다."), row  # one sentence, 합니다체
        assert row["rejected"], row
    transition = next(row for row in rows if row["korean"] == "전환 레이어")
    assert "전이 레이어" in transition["rejected"]


def test_the_korean_catalog_uses_the_glossary_terms_and_no_rejected_variant(korean):
    rows = glossary(GLOSSARY.read_text(encoding="utf-8"))
    pairs = _pairs(korean)
    assert glossary_problems(rows, pairs) == []
    # the rule has something to bite on, and bites
    assert any("convolution" in english for english, _k in pairs)
    assert glossary_problems(rows, [("the transition block ends", "전이 레이어는 끝납니다")]) == [
        "전환 레이어 missing: 'the transition block ends' -> '전이 레이어는 끝납니다'",
        "전이 레이어 (use 전환 레이어): '전이 레이어는 끝납니다'",
    ]
    assert glossary_problems(rows, [("a 3x3 convolution", "3x3 컨볼루션")]) == [
        "합성곱 missing: 'a 3x3 convolution' -> '3x3 컨볼루션'",
        "컨볼루션 (use 합성곱): '3x3 컨볼루션'",
    ]


# --- choosing the language -------------------------------------------------------------------


def test_english_is_the_default_and_the_environment_or_set_language_choose_korean(english, monkeypatch):
    assert i18n.get_language() == "en"
    assert i18n._("epoch") == "epoch"
    monkeypatch.setenv(i18n.ENV, "ko_KR.UTF-8")
    assert i18n.get_language() == "ko" and i18n._("epoch") == "에포크"
    assert i18n.set_language("en") == "en" and i18n._("epoch") == "epoch"  # the notebook's choice wins
    monkeypatch.delenv(i18n.ENV)
    assert i18n.set_language("KO") == "ko" and i18n._("epoch") == "에포크"
    with i18n.using("en"):
        assert i18n._("epoch") == "epoch"
    assert i18n.set_language(None) == "en"
    with pytest.raises(ValueError, match="language must be one of en, ko, got 'fr'"):
        i18n.set_language("fr")
    monkeypatch.setenv(i18n.ENV, "xx")
    with pytest.raises(ValueError, match="CNNLESSONS_LANG must be one of en, ko, got 'xx'"):
        i18n.get_language()


def _wrong_output_size(size, kernel_size, stride=1, padding=0):
    return (size + padding - kernel_size) // stride + 1  # forgets that padding is on both sides


def _not_yet(*args, **kwargs):
    raise NotImplementedError()


def _right_output_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def test_check_messages_are_korean_when_asked_and_english_by_default(english, capsys):
    from cnnlessons import ExerciseFailed, NotAttempted, check
    from cnnlessons.exercises.core import library_answers_allowed

    def message(answer, error=ExerciseFailed) -> str:
        with pytest.raises(error) as info, library_answers_allowed():
            check("alexnet.conv_output_size", answer)
        return str(info.value)

    assert message(_wrong_output_size) == (
        "alexnet.conv_output_size: conv_output_size(224, 11, stride=4, padding=2) returned 54; "
        "expected 55. Look at the padding: it is added on both sides of the input"
    )
    assert message(_not_yet, NotAttempted) == (
        "alexnet.conv_output_size: not attempted — replace `raise NotImplementedError()` with your answer"
    )
    i18n.set_language("ko")
    assert message(_wrong_output_size) == (
        "alexnet.conv_output_size: conv_output_size(224, 11, stride=4, padding=2)이(가) 54을(를) "
        "반환했습니다. 기대한 값은 55입니다. 패딩을 보십시오: 패딩은 입력의 양쪽에 더해집니다"
    )
    assert "아직 답을 작성하지 않았습니다" in message(_not_yet, NotAttempted)
    capsys.readouterr()
    with library_answers_allowed():
        check("alexnet.conv_output_size", _right_output_size)
    assert capsys.readouterr().out.startswith("✔ alexnet.conv_output_size: 통과했습니다 (")


def test_a_block_check_speaks_korean_through_its_frame_and_hint(english):
    import torch.nn.functional as F
    from torch import nn

    from cnnlessons import ExerciseFailed, check
    from cnnlessons.exercises.core import library_answers_allowed

    class AvgPoolVGGBlock(nn.Module):  # average pooling where the contract has max pooling
        def __init__(self, num_convs, in_channels, out_channels):
            super().__init__()
            self.convs = nn.ModuleList(
                nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1)
                for i in range(num_convs)
            )

        def forward(self, x):
            for conv in self.convs:
                x = F.relu(conv(x))
            return F.avg_pool2d(x, 2, 2)

    i18n.set_language("ko")
    with pytest.raises(ExerciseFailed) as info, library_answers_allowed():
        check("vgg.vgg_block", AvgPoolVGGBlock)
    assert str(info.value).endswith("블록은 평균 풀링이 아니라 2x2 최대 풀링으로 끝납니다"), str(info.value)


def test_the_ledger_shows_korean_verdicts_and_keeps_english_ones_in_its_json(english):
    from cnnlessons.claims.ledger import MIMETYPE, ledger_bundle

    row = {"id": "demo.shape", "claim": "c", "paper": "p", "measured": "m", "verdict": "shown", "holds": True}
    assert "[shown] demo.shape" in ledger_bundle([row])["text/plain"]
    i18n.set_language("ko")
    bundle = ledger_bundle([row])
    assert bundle["text/plain"].startswith("주장 장부: 주장 1건 (확인됨 1건)")
    assert "[확인됨] demo.shape" in bundle["text/plain"] and ">확인됨</b>" in bundle["text/html"]
    assert bundle[MIMETYPE]["claims"][0]["verdict"] == "shown"


def test_plots_recipes_and_the_training_line_speak_korean(english):
    from cnnlessons.history import History
    from cnnlessons.plots import plot_history
    from cnnlessons.runs.announce import describe, headline
    from cnnlessons.runs.recipes import RECIPES

    run = History(
        label="a",
        epoch=[1, 2],
        train_loss=[2.0, 1.0],
        train_acc=[0.2, 0.5],
        val_loss=[2.1, 1.2],
        val_acc=[0.2, 0.4],
    )
    fig = plot_history(run, ("train_error", "val_error"))
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch", "epoch"]
    assert fig.axes[1].get_ylabel() == "validation error"
    plt.close(fig)
    recipe = next(iter(RECIPES.values()))
    i18n.set_language("ko")
    fig = plot_history(run, ("train_error", "val_error"))
    assert [ax.get_xlabel() for ax in fig.axes] == ["에포크", "에포크"]
    assert fig.axes[1].get_ylabel() == "검증 오류율"
    assert missing_glyphs(fig) == []
    plt.close(fig)
    assert " 에포크, 배치 " in describe(recipe, "smoke").splitlines()[1]
    assert headline("x", 3, 1, 95) == "x 학습: 실행 3개, 약 1분 35초; 1개는 실행 캐시에서 바로 불러옵니다"


def test_in_english_the_translated_lines_are_the_libraries_own_text(english):
    """``describe`` and ``profile_line`` say in the active language what ``Recipe.describe`` and
    ``Profile.__str__`` say in English, word for word."""
    from cnnlessons.notebook import profile_line
    from cnnlessons.profiles import PROFILES
    from cnnlessons.runs.announce import describe
    from cnnlessons.runs.recipes import RECIPES

    for profile in PROFILES.values():
        assert profile_line(profile) == str(profile)
        for recipe in RECIPES.values():
            assert describe(recipe, profile) == recipe.describe(profile), recipe.key


def test_no_file_that_decides_a_cached_run_is_translated():
    """The run cache keys every run on the source of ``runcache.DECIDING``: a message translated
    there would make every learner's cached run train again. Translations live beside them."""
    from cnnlessons.runs import runcache

    paths = [
        path
        for name in runcache.DECIDING
        for path in (
            [runcache.PACKAGE / name]
            if name.endswith(".py")
            else sorted((runcache.PACKAGE / name).rglob("*.py"))
        )
    ]
    assert len(paths) > 15
    assert [str(p.relative_to(ROOT)) for p in paths if "i18n" in p.read_text(encoding="utf-8")] == []


def test_setup_notebook_chooses_the_language_for_the_session(english, monkeypatch, capsys):
    from cnnlessons import setup_notebook

    monkeypatch.setenv("CNNLESSONS_PROFILE", "smoke")
    setup_notebook(quiet=False)
    assert capsys.readouterr().out.startswith("profile 'smoke': digits")
    setup_notebook(language="ko")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "프로필 'smoke': digits, 16x16 학습 이미지 500, 4 에포크, 배치 32"
    assert out[1].startswith("장치: ")
    assert i18n.get_language() == "ko" and i18n.HANGUL_FAMILY in matplotlib.rcParams["font.family"]


# --- Hangul in figures -----------------------------------------------------------------------


def missing_glyphs(fig) -> list[str]:
    """What matplotlib says about glyphs missing from the fonts while it renders ``fig`` to PNG
    (warnings, and log records where a version logs them)."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
    finally:
        logger.removeHandler(handler)
    said = [str(w.message) for w in caught] + records
    return [text for text in said if re.search(r"Glyph .* missing from", text)]


def _korean_figure(text: str):
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.set_title(text)
    ax.set_xlabel("에포크 (epoch) −1")
    ax.plot([0, 1], [0, 1], label="검증 오류율")
    ax.legend()
    return fig


def test_a_korean_figure_renders_every_glyph_with_the_shipped_font_and_fails_without_it(english, korean):
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):  # the planted fault: no Hangul font
        fig = _korean_figure("합성곱")
        missing = missing_glyphs(fig)
        plt.close(fig)
    assert missing and "missing from font(s) DejaVu Sans" in missing[0], missing

    assert i18n.FONT.is_file() and i18n.FONT.stat().st_size < 5_000_000
    assert (i18n.FONT.parent / "OFL.txt").read_text().count("SIL Open Font License") >= 1
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        i18n.use_hangul_font()
        assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", i18n.HANGUL_FAMILY]
        # every character the Korean catalog can put in a figure
        used = sorted({c for _e, k in _pairs(korean) for c in k if c.isprintable() and c not in "✔✘"})
        fig = _korean_figure("".join(used))
        assert missing_glyphs(fig) == []
        plt.close(fig)


# --- grading in the notebook's language ------------------------------------------------------


def _notebook(setup: str):
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 03"), nbformat.v4.new_code_cell(setup)]
    )


def test_grade_reads_the_language_from_the_setup_cell():
    from cnnlessons.course import setup_cell_source
    from cnnlessons.instructor.submission import notebook_language

    assert notebook_language(_notebook(setup_cell_source())) == "en"
    assert notebook_language(_notebook(setup_cell_source(language="ko"))) == "ko"
    assert notebook_language(_notebook('%matplotlib inline\nsetup_notebook(language="ko-KR")')) == "ko"
    assert notebook_language(_notebook("cnnlessons.setup_notebook(profile='cpu')")) == "en"
    assert notebook_language(_notebook('setup_notebook(language="fr")')) == "en"
    assert notebook_language(_notebook("x = 1")) == "en"


def test_feedback_speaks_the_records_language_and_english_records_read_as_before(english):
    from cnnlessons.instructor.gradebook import ExerciseResult, Record, feedback_markdown

    results = {
        "vgg.receptive_field": ExerciseResult("passed"),
        "vgg.conv_params": ExerciseResult("not attempted"),
    }
    record = Record("s.ipynb", "0" * 64, {"profile": "smoke"}, results, graded_at="2026-01-01T00:00:00+00:00")
    text = feedback_markdown(record)
    assert text.startswith("# Feedback on `s.ipynb`\n\n1 of 2 exercises passed.\n")
    assert '"language"' not in record.to_json()
    record.language = "ko"
    assert Record.from_json(record.to_json()).language == "ko"
    text = feedback_markdown(record)
    assert text.startswith("# `s.ipynb`에 대한 피드백\n\n연습 문제 2개 중 1개를 통과했습니다.\n")
    assert "| `vgg.conv_params` | – 시도하지 않음 |" in text
    assert "- **`vgg.conv_params`** (시도하지 않음): `raise NotImplementedError()`를 여러분의 답으로" in text
    assert i18n.get_language() == "en"  # the report's language did not leak


def test_the_graders_check_process_speaks_the_notebooks_language(tmp_path):
    import cloudpickle

    from cnnlessons.instructor import verdict

    def answer(size, kernel_size, stride=1, padding=0):
        raise NotImplementedError()

    (tmp_path / "answer.pkl").write_bytes(cloudpickle.dumps(answer))
    jobs = [verdict.Job("alexnet.conv_output_size", tmp_path / "answer.pkl")]
    status, message = verdict.decide(jobs, timeout=60, workdir=tmp_path, language="ko")[jobs[0].exercise_id]
    assert status == "not attempted" and "아직 답을 작성하지 않았습니다" in message, message


def test_grade_checks_a_korean_notebook_in_korean_and_keeps_the_gradebook_english(tmp_path, english):
    """End to end: a submission whose setup cell says ``language="ko"``, graded in its kernel and
    the grader's check process; an English submission beside it stays English."""
    from grading_notebooks import instructor_notebook, submission, write

    from cnnlessons.instructor import gradebook
    from cnnlessons.instructor.grade import grade

    teacher = write(
        instructor_notebook(["alexnet.conv_output_size", "vgg.receptive_field"]), tmp_path / "t.ipynb"
    )
    answers = {
        "alexnet.conv_output_size": "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
        "    return (size + padding - kernel_size) // stride + 1",
        "vgg.receptive_field": "def receptive_field(num_layers, kernel_size=3):\n"
        "    raise NotImplementedError()",
    }
    learner = submission(instructor_notebook(["alexnet.conv_output_size", "vgg.receptive_field"]), answers)
    english_copy = nbformat.from_dict(learner)
    learner.cells[
        1
    ].source += '\nfrom cnnlessons import setup_notebook\nsetup_notebook(language="ko", quiet=True)'
    write(learner, tmp_path / "subs" / "ko" / "t.ipynb")
    write(english_copy, tmp_path / "subs" / "en" / "t.ipynb")
    records = grade([tmp_path / "subs"], tmp_path / "out", instructor=[teacher], timeout=60, sandbox="off")
    by_language = {r.language: r for r in records}
    assert set(by_language) == {"en", "ko"}
    ko, en = by_language["ko"], by_language["en"]
    assert {e: r.status for e, r in ko.results.items()} == {
        "alexnet.conv_output_size": "failed",
        "vgg.receptive_field": "not attempted",
    }
    assert "패딩을 보십시오" in ko.results["alexnet.conv_output_size"].details
    assert "Look at the padding" in en.results["alexnet.conv_output_size"].details
    feedback = (tmp_path / "out" / "feedback" / (gradebook.file_name(ko.name) + ".md")).read_text(
        encoding="utf-8"
    )
    assert "연습 문제 2개 중 0개를 통과했습니다." in feedback and "## 살펴볼 점" in feedback
    book = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    assert book.startswith("submission,alexnet.conv_output_size,vgg.receptive_field,passed,details")
    assert ",failed,not attempted,0/2," in book
