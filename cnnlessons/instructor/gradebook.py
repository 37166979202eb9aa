"""One record per graded submission, and everything made from records.

``grade`` writes ``records/<name>.json`` (atomically) as each submission finishes. The gradebook
(``gradebook.csv``, ``gradebook.md``), the learners' feedback reports (``feedback/<name>.md``),
``gradebook merge`` of several shards and ``grade --resume`` all read these records and nothing
else, so they cannot disagree.

A record holds the submission's name, the SHA-256 of its notebook, the grading ``key`` (what its
result depends on: the instructor's check cells, the profile, the time limits, the kernel and the
library's source), one result per exercise and the notebook's language (``submission``'s rule;
absent from the JSON: English). The learner's feedback report speaks that language, as do the
results' details; the gradebook's own words are the instructor's, in English.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..i18n import N_, _, ngettext, using
from ._files import atomic_write

__all__ = [
    "ExerciseResult",
    "GradebookError",
    "Record",
    "feedback_markdown",
    "gradebook_csv",
    "gradebook_markdown",
    "merge",
    "read_records",
    "record_path",
    "write_outputs",
]

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
FORMAT = 1
RECORDS, FEEDBACK = "records", "feedback"


class GradebookError(ValueError):
    """Records that cannot be read or joined; the message names the file or folder."""


@dataclasses.dataclass
class ExerciseResult:
    status: str
    details: str = ""


@dataclasses.dataclass
class Record:
    """The result of grading one submission."""

    name: str
    """The submission as given (its path), the gradebook's row label."""
    notebook_sha256: str
    key: dict
    results: dict[str, ExerciseResult]
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    graded_at: str = ""
    language: str = "en"
    """The notebook's language: its feedback's and its details' (``submission.notebook_language``)."""

    @property
    def passed(self) -> int:
        return sum(r.status == PASSED for r in self.results.values())

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        if data["language"] == "en":
            del data["language"]  # an English record reads as before languages came
        data["format"] = FORMAT
        return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError(f"not a format-{FORMAT} grading record")
        data["results"] = {k: ExerciseResult(**v) for k, v in data["results"].items()}
        return cls(**data)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def file_name(name: str) -> str:
    """A file name for submission ``name``: readable, and distinct for distinct names."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.removesuffix(".ipynb")).strip("._")[-80:] or "notebook"
    return f"{readable}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def record_path(out_dir: str | Path, name: str) -> Path:
    return Path(out_dir) / RECORDS / (file_name(name) + ".json")


def write_record(out_dir: str | Path, record: Record) -> Path:
    path = record_path(out_dir, record.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, record.to_json())


def read_records(out_dir: str | Path) -> list[Record]:
    """Every record under ``out_dir/records``, sorted by submission name."""
    folder = Path(out_dir) / RECORDS
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            records.append(Record.from_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise GradebookError(f"{path} is not a readable grading record ({error})") from None
    return sorted(records, key=lambda r: r.name)


# --- the gradebook ---------------------------------------------------------------------------


def exercise_columns(records: Sequence[Record]) -> list[str]:
    """The exercises of all records: the course's order first, then any others as found."""
    from .. import lessons  # noqa: F401  registers every lesson's checkers
    from ..exercises import EXERCISES

    found: list[str] = []
    for record in records:
        found += [e for e in record.results if e not in found]
    return [e for e in EXERCISES if e in found] + [e for e in found if e not in EXERCISES]


def _row(record: Record, columns: Sequence[str]) -> tuple[list[str], str, str]:
    cells, details = [], []
    for exercise_id in columns:
        result = record.results.get(exercise_id)
        if result is None:  # another lesson's exercise
            cells.append("")
            continue
        cells.append(result.status)
        if result.status != PASSED and result.details:
            details.append(f"{exercise_id}: {result.details}")
    details += record.notes
    passed = sum(c == PASSED for c in cells)
    return cells, f"{passed}/{len(record.results)}", "; ".join(details)


def _md(text: str, limit: int | None = None) -> str:
    text = " ".join(text.split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def gradebook_markdown(records: Sequence[Record], details_limit: int = 300) -> str:
    """The gradebook as a Markdown table: one row per submission, one column per exercise."""
    columns = exercise_columns(records)
    header = ["submission", *(f"`{c}`" for c in columns), "passed", "details"]
    lines = [_md_row(header), _md_row(["---"] * len(header))]
    for record in records:
        cells, total, details = _row(record, columns)
        lines.append(_md_row([_md(record.name), *cells, total, _md(details, details_limit)]))
    return "\n".join(lines) + "\n"


def gradebook_csv(records: Sequence[Record]) -> str:
    columns = exercise_columns(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *columns, "passed", "details"])
    for record in records:
        cells, total, details = _row(record, columns)
        writer.writerow([record.name, *cells, total, details])
    return buffer.getvalue()


_MARK = {PASSED: N_("✔ passed"), FAILED: N_("✘ failed"), NOT_ATTEMPTED: N_("– not attempted")}
_STATUS = {PASSED: N_("passed"), FAILED: N_("failed"), NOT_ATTEMPTED: N_("not attempted")}


def feedback_markdown(record: Record) -> str:
    """The learner's report, in the notebook's language: what passed, what failed and the
    checker's message."""
    with using(record.language):
        return _feedback(record)


def _feedback(record: Record) -> str:
    results = record.results
    lines = [
        _("# Feedback on `{name}`").format(name=record.name),
        "",
        ngettext(
            "{passed} of {count} exercise passed.", "{passed} of {count} exercises passed.", len(results)
        ).format(passed=record.passed, count=len(results)),
        "",
    ]
    if results:
        lines += [_("| exercise | result |"), "| --- | --- |"]
        lines += [
            f"| `{e}` | {_(_MARK[r.status]) if r.status in _MARK else r.status} |" for e, r in results.items()
        ]
        lines.append("")
    todo = [(e, r) for e, r in results.items() if r.status != PASSED]
    if todo:
        lines += [_("## What to look at"), ""]
        for exercise_id, result in todo:
            why = result.details or (
                _("replace `raise NotImplementedError()` with your answer")
                if result.status == NOT_ATTEMPTED
                else ""
            )
            status = _(_STATUS[result.status]) if result.status in _STATUS else result.status
            lines.append(f"- **`{exercise_id}`** ({status})" + (f": {' '.join(why.split())}" if why else ""))
        lines.append("")
    if record.notes:
        lines += (
            [_("## Notes from the grader"), ""] + [f"- {' '.join(n.split())}" for n in record.notes] + [""]
        )
    lines.append(
        _(
            "Graded {when} with the `{profile}` profile. Passed or not, the checks are the same ones "
            "your notebook runs: run it again after a fix to see the new result."
        ).format(when=record.graded_at or _("at an unknown time"), profile=record.key.get("profile", "?"))
    )
    return "\n".join(lines) + "\n"


def write_outputs(out_dir: str | Path, records: Sequence[Record]) -> tuple[Path, Path]:
    """The gradebook and one feedback report per record, all made from ``records``."""
    out = Path(out_dir)
    (out / FEEDBACK).mkdir(parents=True, exist_ok=True)
    for record in records:
        atomic_write(out / FEEDBACK / (file_name(record.name) + ".md"), feedback_markdown(record))
    csv_path = atomic_write(out / "gradebook.csv", gradebook_csv(records))
    md_path = atomic_write(out / "gradebook.md", gradebook_markdown(records))
    return csv_path, md_path


# --- shards ----------------------------------------------------------------------------------


def merge(out_dir: str | Path, shard_dirs: Iterable[str | Path]) -> list[Record]:
    """Join the records of several ``grade --shard`` outputs into one gradebook in ``out_dir``.

    Every shard must have been graded the same way (the same check cells, profile, limits,
    kernel and library source); a submission graded in two shards must agree.
    """
    by_name: dict[str, tuple[Record, Path]] = {}
    key = where_key = None
    for shard in map(Path, shard_dirs):
        if not (shard / RECORDS).is_dir():
            raise GradebookError(
                f"SHARD '{shard}' holds no grading records ({RECORDS}/); "
                "pass the --out folders of `cnnlessons grade --shard`"
            )
        for record in read_records(shard):
            if key is None:
                key, where_key = record.key, shard
            elif record.key != key:
                differ = sorted(k for k in set(key) | set(record.key) if key.get(k) != record.key.get(k))
                raise GradebookError(
                    f"SHARD '{shard}' was graded with another {', '.join(differ)} "
                    f"than '{where_key}'; grade every shard the same way"
                )
            if record.name in by_name and by_name[record.name][0].notebook_sha256 != record.notebook_sha256:
                raise GradebookError(
                    f"submission '{record.name}' differs between '{by_name[record.name][1]}' and '{shard}'"
                )
            by_name.setdefault(record.name, (record, shard))
    records = [by_name[name][0] for name in sorted(by_name)]
    out = Path(out_dir)
    for record in records:
        write_record(out, record)
    write_outputs(out, records)
    return records
