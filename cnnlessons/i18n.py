"""The language the library speaks: English by default, Korean on request.

A notebook chooses its language in its setup cell (``setup_notebook(language="ko")``, or
``cnnlessons.set_language("ko")`` anywhere); without that, the environment variable
``CNNLESSONS_LANG`` decides (``ko``, ``ko_KR.UTF-8`` and ``en`` are understood), else English.
``using(language)`` chooses one for a block of code (and its thread only: the grader writes
several notebooks' feedback at once).

Every message a learner reads goes through gettext: ``_("...")`` (or ``ngettext``) where the
text is shown, and ``N_("...")`` to mark a text kept in a table until then. The catalogs are
``locale/<language>/LC_MESSAGES/cnnlessons.po`` (the sources, with the template
``locale/cnnlessons.pot``) and their compiled ``.mo`` beside them, shipped as package data;
``python tools/i18n.py`` extracts, updates and compiles them. In Korean, figures draw Hangul with
the shipped NanumGothic (``fonts/``, SIL Open Font License), registered with matplotlib here.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "DEFAULT",
    "ENV",
    "FONT",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "get_language",
    "ngettext",
    "set_language",
    "translations",
    "use_hangul_font",
    "using",
]

LANGUAGES = {"en": "English", "ko": "한국어"}
"""The languages the library speaks: code -> its own name."""
DEFAULT = "en"
ENV = "CNNLESSONS_LANG"
DOMAIN = "cnnlessons"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
FONT = Path(__file__).resolve().parent / "fonts" / "NanumGothic.ttf"
"""The Hangul font figures use in Korean (regular weight; its licence is ``fonts/OFL.txt``)."""
HANGUL_FAMILY = "NanumGothic"

# Mutated in place, never rebound: the grader's check process watches the library's names.
_STATE: dict[str, str | None] = {"chosen": None}
_OVERRIDE: contextvars.ContextVar[str | None] = contextvars.ContextVar("cnnlessons_language", default=None)
_FONTS: set[str] = set()


def _normalise(value: object, what: str) -> str:
    """``value`` as a language code of ``LANGUAGES`` (``"ko_KR.UTF-8"`` -> ``"ko"``)."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be one of {', '.join(LANGUAGES)}, got {type(value).__name__}")
    code = re.split(r"[-_.@]", value.strip().lower(), maxsplit=1)[0]
    if code not in LANGUAGES:
        raise ValueError(f"{what} must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return code


def get_language() -> str:
    """The active language: ``using``'s, else ``set_language``'s, else ``CNNLESSONS_LANG``'s,
    else English."""
    chosen = _OVERRIDE.get() or _STATE["chosen"]
    if chosen:
        return chosen
    env = os.environ.get(ENV, "").strip()
    return _normalise(env, ENV) if env else DEFAULT


def set_language(language: str | None) -> str:
    """Speak ``language`` (``"en"`` or ``"ko"``) from now on; None goes back to
    ``CNNLESSONS_LANG`` (else English). Korean also registers the Hangul font for figures.
    Returns the active language."""
    _STATE["chosen"] = None if language is None else _normalise(language, "language")
    active = get_language()
    translations(active)
    if active == "ko":
        use_hangul_font()
    return active


@contextlib.contextmanager
def using(language: str) -> Iterator[str]:
    """Speak ``language`` inside the block (in this thread or task only)."""
    token = _OVERRIDE.set(_normalise(language, "language"))
    try:
        yield _OVERRIDE.get() or DEFAULT
    finally:
        _OVERRIDE.reset(token)


@functools.cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language == DEFAULT:
        return gettext.NullTranslations()  # the messages are written in English
    # No fallback: a package without its compiled catalog should fail loudly, not speak English.
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language])


def translations(language: str | None = None) -> gettext.NullTranslations:
    """The catalog of ``language`` (default: the active one)."""
    language = get_language() if language is None else _normalise(language, "language")
    catalog = _catalog(language)
    if language == "ko" and "matplotlib" in sys.modules:
        use_hangul_font()  # Korean labels are about to be drawn: give them their glyphs
    return catalog


def _(message: str) -> str:
    """``message`` in the active language."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` for ``n``, in the active language."""
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it (``_`` translates it where shown)."""
    return message


def use_hangul_font() -> str:
    """Register the shipped Hangul font with matplotlib and add it to ``font.family`` as the
    fallback for glyphs the first families lack, so that Latin text keeps its font and Hangul
    gets NanumGothic's. Idempotent; never downloads anything. Returns the family's name."""
    import matplotlib
    from matplotlib import font_manager

    if str(FONT) not in _FONTS:
        font_manager.fontManager.addfont(str(FONT))
        _FONTS.add(str(FONT))
    families = matplotlib.rcParams["font.family"]
    families = [families] if isinstance(families, str) else list(families)
    if HANGUL_FAMILY not in families:
        # matplotlib >= 3.6 falls back glyph by glyph along the list; older ones use the first
        # family found for the whole text, so there Hangul must come first.
        version = tuple(int(p) for p in re.findall(r"\d+", matplotlib.__version__)[:2])
        families = families + [HANGUL_FAMILY] if version >= (3, 6) else [HANGUL_FAMILY, *families]
        matplotlib.rcParams["font.family"] = families
    return HANGUL_FAMILY
