"""The message catalogs of the library (``cnnlessons/locale``), with Babel.

    python tools/i18n.py extract   # the source's messages -> cnnlessons/locale/cnnlessons.pot
    python tools/i18n.py update    # extract, then merge the template into every language's .po
    python tools/i18n.py compile   # every .po -> its .mo (committed: `pip install git+...` needs no step)
    python tools/i18n.py check     # the template, catalogs and .mo agree with the source; all translated

A message is any literal inside ``_()``, ``N_()`` or ``ngettext()`` in ``cnnlessons/``; a
``# Translators:`` comment just above it reaches the catalog. After changing messages: ``update``,
translate the new entries of ``cnnlessons/locale/ko/LC_MESSAGES/cnnlessons.po`` (empty ``msgstr``),
then ``compile``. ``tests/test_i18n.py`` fails while any of this is undone.
"""

from __future__ import annotations

import datetime
import gettext
import io
import pathlib
import sys

from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cnnlessons"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "cnnlessons.pot"
LANGUAGES = ("ko",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
"""Fixed header dates: a catalog changes only when its messages do."""
TEAM = "the cnnlessons maintainers (see README.md)"
"""Who to write to about a message: the course's issues (its address lives in cnnlessons/course.py)."""
HEADER = (
    "# The messages of cnnlessons, the library of a course on CNNs.\n"
    "# Extracted from cnnlessons/ by tools/i18n.py; distributed under the course's licence (MIT).\n"
    "#"
)


def po_path(language: str) -> pathlib.Path:
    return LOCALE / language / "LC_MESSAGES" / "cnnlessons.po"


def mo_path(language: str) -> pathlib.Path:
    return po_path(language).with_suffix(".mo")


def extract() -> Catalog:
    """The template: every message of the package's source, in file order."""
    catalog = Catalog(
        project="cnnlessons",
        header_comment=HEADER,
        creation_date=DATE,
        revision_date=DATE,
        msgid_bugs_address=TEAM,
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(
            message,
            None,
            [(f"cnnlessons/{pathlib.PurePath(filename).as_posix()}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def dump_po(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    # file names without line numbers: a moved line does not change the catalog
    pofile.write_po(buffer, catalog, include_lineno=False, width=100)
    return buffer.getvalue()


def dump_mo(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def read_po(path: pathlib.Path) -> Catalog:
    with open(path, "rb") as f:
        return pofile.read_po(f)


def message_ids(catalog: Catalog) -> set:
    """The catalog's message ids (a plural message's is the pair of its singular and plural)."""
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def update() -> None:
    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(dump_po(template))
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            catalog = read_po(path)
        else:
            catalog = Catalog(locale=language, header_comment=HEADER, project="cnnlessons", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.creation_date = catalog.revision_date = DATE
        catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = TEAM
        catalog.fuzzy = False
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dump_po(catalog))
        print(f"{path.relative_to(ROOT)}: {len(untranslated(catalog))} untranslated")


def compile_all() -> None:
    for language in LANGUAGES:
        mo_path(language).write_bytes(dump_mo(read_po(po_path(language))))


def untranslated(catalog: Catalog) -> list:
    """The ids of the messages without a translation (or marked fuzzy)."""
    missing = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        if m.fuzzy or not all(strings):
            missing.append(m.id)
    return missing


def compiled(path: pathlib.Path) -> dict:
    """What gettext reads from a .mo: msgid (or (msgid, n) for plurals) -> msgstr, header left out."""
    with open(path, "rb") as f:
        catalog = dict(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)
    return catalog


def expected_compiled(catalog: Catalog) -> dict:
    """What ``compiled`` should read from the .mo of ``catalog``."""
    buffer = io.BytesIO(dump_mo(catalog))
    found = dict(gettext.GNUTranslations(buffer)._catalog)  # type: ignore[attr-defined]
    found.pop("", None)
    return found


def check() -> list[str]:
    """What is out of date, one line each; empty when all agrees."""
    problems = []
    template = extract()
    if not TEMPLATE.exists() or message_ids(read_po(TEMPLATE)) != message_ids(template):
        problems.append(f"{TEMPLATE.relative_to(ROOT)} is not the source's messages: run `update`")
    for language in LANGUAGES:
        catalog = read_po(po_path(language))
        if gone := message_ids(template) - message_ids(catalog):
            problems.append(f"{language}: {len(gone)} messages missing from its .po: run `update`")
        if missing := untranslated(catalog):
            problems.append(f"{language}: {len(missing)} messages untranslated, e.g. {missing[0]!r}")
        if not mo_path(language).exists() or compiled(mo_path(language)) != expected_compiled(catalog):
            problems.append(f"{language}: its .mo is not its .po compiled: run `compile`")
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "extract":
        TEMPLATE.write_bytes(dump_po(extract()))
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        problems = check()
        print("\n".join(problems) or "the catalogs are up to date")
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
