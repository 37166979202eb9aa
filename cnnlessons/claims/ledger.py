"""The ledger cell that ends a lesson: its rows rechecked by the rule, shown as a table, and kept
as JSON (``MIMETYPE``) for the notebook build. The table speaks the active language; the JSON keeps
the ids and verdict words in English in every language."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..i18n import N_, _, ngettext
from .definitions import CLAIMS, ROW_KEYS, TOLERANCE, VERDICTS
from .rule import Judgement, judge

MIMETYPE = "application/vnd.cnnlessons.claims+json"


def recheck(rows: list[Mapping[str, Any]]) -> list[str]:
    """The rows whose stored verdict (or figures) the verdict function, run again, disagrees with;
    one line each, starting with the claim's id. Empty when every row agrees."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or (missing := [k for k in ROW_KEYS if k not in row]):
            problems.append(
                f"row {i}: expected the keys {', '.join(ROW_KEYS)}"
                + (f"; missing {', '.join(missing)}" if isinstance(row, Mapping) else "")
            )
            continue
        rid, stored = row["id"], row["verdict"]
        if rid in seen:
            problems.append(f"{rid}: more than one row")
        seen.add(rid)
        if stored not in VERDICTS:
            problems.append(f"{rid}: verdict {stored!r} is none of {', '.join(VERDICTS)}")
            continue
        if rid not in CLAIMS:
            holds = row.get("holds")
            if not isinstance(holds, bool):
                problems.append(f"{rid}: not a registered effect claim, and no check ('holds') to verify")
            elif stored != ("shown" if holds else "not shown"):
                problems.append(
                    f"{rid}: stored verdict {stored!r}, but its check {'holds' if holds else 'fails'}"
                )
            continue
        claim = CLAIMS[rid]
        if (row["claim"], row["paper"]) != (claim.claim, claim.paper):
            problems.append(f"{rid}: its claim or paper text differs from the registry's")
        try:
            again = judge(rid, row.get("figures"), why=row.get("why") or "no figures")
        except ValueError as error:
            problems.append(f"{rid}: the verdict function rejects its stored figures: {error}")
            continue
        if again.verdict != stored:
            problems.append(
                f"{rid}: stored verdict {stored!r}, but the verdict function gives "
                f"{again.verdict!r} ({again.reason})"
            )
        elif stored != "not tested" and not _same(row.get("seeds"), row.get("mean"), again):
            problems.append(f"{rid}: its per-seed figures or mean differ from those of its stored figures")
        if row.get("reference") is not None:
            problems += _recheck_reference(rid, row["reference"])
    return problems


def _recheck_reference(rid: str, entry: Any) -> list[str]:
    """The column "trained to the end": no verdict from one seed; else the rule's, again."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("seeds"), list) or not entry["seeds"]:
        return [f"{rid}: its reference entry needs the seeds it was trained on"]
    if len(entry["seeds"]) < 2:
        if entry.get("verdict") is not None:
            return [f"{rid}: a verdict trained to the end needs two seeds at least; it has one"]
        return []
    try:
        again = judge(rid, entry.get("figures"))
    except ValueError as error:
        return [f"{rid}: the verdict function rejects its figures trained to the end: {error}"]
    if again.verdict != entry.get("verdict"):
        return [
            f"{rid}: stored verdict trained to the end {entry.get('verdict')!r}, but the verdict "
            f"function gives {again.verdict!r} ({again.reason})"
        ]
    return []


VERDICT_WORDS = {"shown": N_("shown"), "not shown": N_("not shown"), "not tested": N_("not tested")}
"""Each verdict as the ledger shows it (translated); the rows keep the English word."""


def verdict_word(verdict: str) -> str:
    """``verdict`` (``shown``, ``not shown``, ``not tested``) in the active language."""
    return _(VERDICT_WORDS[verdict]) if verdict in VERDICT_WORDS else verdict


def _end(row: Mapping[str, Any]) -> str:
    entry = row.get("reference")
    if not entry:
        return ""
    seeds = ", ".join(map(str, entry["seeds"]))
    verdict = verdict_word(entry["verdict"]) if entry["verdict"] else _("one seed, no verdict")
    return _("{measured} (seeds {seeds}) [{verdict}]").format(
        measured=entry["measured"], seeds=seeds, verdict=verdict
    )


def _same(seeds: Any, mean: Any, again: Judgement) -> bool:
    want = {str(s): v for s, v in again.differences.items()}
    if not isinstance(seeds, Mapping) or set(seeds) != set(want) or not isinstance(mean, (int, float)):
        return False
    return (
        again.mean is not None
        and all(math.isclose(seeds[s], want[s], abs_tol=TOLERANCE) for s in want)
        and math.isclose(mean, again.mean, abs_tol=TOLERANCE)
    )


def _text(rows: Sequence[Mapping[str, Any]]) -> str:
    counts = ", ".join(
        _("{count} {verdict}").format(count=n, verdict=verdict_word(v))
        for v in VERDICTS
        if (n := sum(r["verdict"] == v for r in rows))
    )
    lines = [
        ngettext(
            "Claims ledger: {count} claim ({counts})", "Claims ledger: {count} claims ({counts})", len(rows)
        ).format(count=len(rows), counts=counts or _("none"))
    ]
    for row in rows:
        lines += [
            "",
            f"[{verdict_word(row['verdict'])}] {row['id']}: {row['claim']}",
            "    " + _("paper:    {paper}").format(paper=row["paper"]),
            "    " + _("measured: {measured}").format(measured=row["measured"]),
        ]
        if end := _end(row):
            lines.append("    " + _("to the end: {end}").format(end=end))
        if row.get("why"):
            lines.append("    " + _("why:      {why}").format(why=row["why"]))
    return "\n".join(lines)


_COLOURS = {"shown": "#1a7f37", "not shown": "#b35900", "not tested": "#6e7781"}


def _html(rows: Sequence[Mapping[str, Any]]) -> str:
    e = html.escape
    head = "".join(
        f"<th style='text-align:left'>{e(h)}</th>"
        for h in (_("claim"), _("the paper"), _("this run"), _("trained to the end"), _("verdict"))
    )
    body = []
    for row in rows:
        why = f"<br><small>{e(row['why'])}</small>" if row.get("why") else ""
        body.append(
            f"<tr><td style='text-align:left'><code>{e(row['id'])}</code><br>{e(row['claim'])}</td>"
            f"<td style='text-align:left'>{e(row['paper'])}</td>"
            f"<td style='text-align:left'>{e(row['measured'])}</td>"
            f"<td style='text-align:left'>{e(_end(row))}</td>"
            f"<td style='text-align:left'><b style='color:{_COLOURS[row['verdict']]}'>"
            f"{e(verdict_word(row['verdict']))}</b>{why}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def ledger_bundle(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The ledger cell's output: an HTML table, the same in plain text, and the rows as JSON
    (``MIMETYPE``), which the notebook build copies into the notebook's metadata.

    Raises ValueError when ``recheck`` finds a row whose verdict the rule does not give.
    """
    if problems := recheck(rows):
        raise ValueError("rows: expected verdicts that the verdict function gives; " + "; ".join(problems))
    plain = [dict(r) for r in rows]
    return {"text/plain": _text(plain), "text/html": _html(plain), MIMETYPE: {"claims": plain}}


def show_ledger(rows: list[Mapping[str, Any]]) -> None:
    """Show the ledger as a lesson's cell output (printed as text outside IPython)."""
    bundle = ledger_bundle(rows)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(bundle["text/plain"])
        return
    display(bundle, raw=True)
