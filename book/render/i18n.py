"""The builder's own words in the book's language. Every string an edition gets from the
builder (not from the author) is a gettext message whose context (msgctxt) is its key:
`pgettext("contents", "Contents")`. The catalogues are locale/<lang>/LC_MESSAGES/book.po,
read as they are (Babel's PO reader, compiled in memory), so nothing generated has to be
kept in step with them; book.toml's `[strings]` overrides any key."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from markupsafe import escape

from ..errors import Problem, did_you_mean
from ..model import Book, Metadata

P = ParamSpec("P")
R = TypeVar("R")

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "book"
SOURCE_LANGUAGE = "en"  # the msgids' language, and the fallback of every missing message
MANIFEST = "book.toml"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def shipped() -> tuple[str, ...]:
    """The catalogues the builder ships, by Babel locale name (`zh_Hans`)."""
    return tuple(sorted(p.name for p in LOCALE_DIR.iterdir() if catalogue_path(p.name).is_file()))


@functools.cache
def _catalogue(language: str) -> tuple[Catalog, Translations]:
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)  # fuzzy messages left out, as msgfmt does
    mo.seek(0)
    return catalog, Translations(mo, domain=DOMAIN)


def keys(language: str = SOURCE_LANGUAGE) -> frozenset[str]:
    """The keys a catalogue translates (not fuzzy, every plural form filled)."""
    catalog, _ = _catalogue(language)
    return frozenset(m.context for m in catalog if m.id and m.context and not m.fuzzy
                     and all(m.string if isinstance(m.string, tuple) else (m.string,)))


def formatting_locale(language: str) -> Locale:
    """The Babel locale dates and numbers are written in: the book's tag (`pt-BR`) whether
    or not a catalogue speaks it; English for a tag Babel does not know."""
    try:
        return Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return Locale(SOURCE_LANGUAGE)


def catalogue_for(language: str) -> str | None:
    """The shipped catalogue that best matches a language tag: the tag as Babel parses it,
    with its likely script from CLDR (`zh-CN` and `zh` → zh_Hans, `zh-TW` → none: zh_Hant
    is not shipped), then less specific. Not babel.negotiate_locale: it drops the script
    (`az-Cyrl` would get the Latin `az`). None when no catalogue matches."""
    try:
        locale = Locale.parse(language, sep="-")
    except (ValueError, UnknownLocaleError):
        return None
    likely = Locale.parse(get_global("likely_subtags").get(locale.language, locale.language))
    lang, script, region = locale.language, locale.script or likely.script, locale.territory
    wanted = [(lang, script, region), (lang, script)]
    if script == likely.script:  # a catalogue named by language alone is in its usual script
        wanted += [(lang, region), (lang,)]
    names = ("_".join(filter(None, parts)) for parts in wanted)
    return next((name for name in names if name in shipped()), None)


# The digits of each CLDR numbering system that CSS Counter Styles predefines a style for
# (WeasyPrint and browsers know them): system → (its zero, the counter style). The
# builder writes numbers in text with the digits and has CSS count pages in the style.
DIGITS = {
    "arab": ("\u0660", "arabic-indic"), "arabext": ("\u06f0", "persian"),
    "beng": ("\u09e6", "bengali"), "deva": ("\u0966", "devanagari"),
    "gujr": ("\u0ae6", "gujarati"), "guru": ("\u0a66", "gurmukhi"),
    "khmr": ("\u17e0", "khmer"), "knda": ("\u0ce6", "kannada"), "laoo": ("\u0ed0", "lao"),
    "mlym": ("\u0d66", "malayalam"), "mong": ("\u1810", "mongolian"),
    "mymr": ("\u1040", "myanmar"), "orya": ("\u0b66", "oriya"),
    "tamldec": ("\u0be6", "tamil"), "telu": ("\u0c66", "telugu"), "thai": ("\u0e50", "thai"),
    "tibt": ("\u0f20", "tibetan"),
}
LATIN = "latn"


def numbering_system(language: str, numerals: str = "") -> str:
    """The CLDR numbering system a book's numbers are written in: book.toml's `numerals`
    ("native": the language's own digits, "latin": 0-9), else CLDR's default for the tag
    (Persian's are its own, ۰-۹; Arabic's Latin, as in the Maghreb and the Gulf, but
    Arabic-Indic, ٠-٩, for ar-EG, ar-SA, ar-IQ…). Latin where CSS has no counter style
    for the system."""
    locale = formatting_locale(language)
    if numerals == "latin":
        return LATIN
    system = (locale.other_numbering_systems.get("native", LATIN) if numerals == "native"
              else locale.default_numbering_system)
    return system if system in DIGITS else LATIN


def counter_style(system: str) -> str:
    """The CSS counter style that counts in `system`'s digits (`decimal` for Latin)."""
    return DIGITS[system][1] if system in DIGITS else "decimal"


@dataclass(frozen=True)
class Strings:
    """The words of one book: its catalogue (None: English), its `[strings]` overrides,
    the locale its numbers are written in, its language tag, and the numbering system
    of its digits."""

    catalogue: str | None
    overrides: tuple[tuple[str, str], ...]
    locale: Locale
    language: str = SOURCE_LANGUAGE
    numbering: str = LATIN

    def pgettext(self, key: str, message: str) -> str:
        override = dict(self.overrides).get(key)
        if override is not None:
            return override
        if self.catalogue is None:
            return message
        return str(_catalogue(self.catalogue)[1].pgettext(key, message))

    def npgettext(self, key: str, singular: str, plural: str, count: int) -> str:
        override = dict(self.overrides).get(key)
        if override is not None:
            return override
        if self.catalogue is None:
            return singular if count == 1 else plural
        return _catalogue(self.catalogue)[1].npgettext(key, singular, plural, count)

    def plural_forms(self, key: str, singular: str, plural: str) -> dict[str, str]:
        """A plural message in each CLDR plural category of the locale (`one`, `few`…),
        for a script that picks one with Intl.PluralRules: each category's form is the
        catalogue's for the first count in it."""
        forms: dict[str, str] = {}
        for count in range(200):
            forms.setdefault(self.locale.plural_form(count),
                             self.npgettext(key, singular, plural, count))
        return forms

    def words(self, key: str, message: str, **values: object) -> str:
        """A message with its `%(name)s` placeholders filled (numbers written for the
        locale), for the Python side; templates call pgettext."""
        return self.pgettext(key, message) % {
            k: v if isinstance(v, str) else self.number(v) for k, v in values.items()}

    def overridden(self, key: str) -> bool:
        return key in dict(self.overrides)

    def number(self, value: object, pattern: str | None = None) -> object:
        """An int or float as the locale writes it, in the book's digits (`1 234,5`,
        `۱٬۲۳۴٫۵`; `pattern` is a CLDR number pattern such as `#,##0.0`); a number label
        ("3", "2.1") in the book's digits; anything else as it is. Every number the
        builder writes into text comes through here."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            # the locale's separators for the system (٬ ٫ for arabext), if it has any
            system = self.numbering if self.numbering in self.locale.number_symbols else LATIN
            return self.digits(format_decimal(value, format=pattern, locale=self.locale,
                                              numbering_system=system))
        if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)*", value):
            return self.digits(value)
        return value

    def digits(self, text: str) -> str:
        """`text` with its digits 0-9 in the book's numbering system (Babel formats
        numbers and dates with the locale's separators and words, but Latin digits)."""
        if self.numbering not in DIGITS:
            return text
        zero = ord(DIGITS[self.numbering][0])
        return text.translate({ord("0") + n: zero + n for n in range(10)})

    def date(self, iso: str) -> str:
        """A YYYY-MM-DD date in the locale's long format and the book's digits ('19
        septembre 2023', '۱۹ سپتامبر ۲۰۲۳')."""
        return self.digits(format_date(dt.date.fromisoformat(iso), format="long",
                                       locale=self.locale))


def strings_for(meta: Metadata) -> Strings:
    return _strings(meta.language, meta.strings, meta.numerals)


@functools.cache
def _strings(language: str, overrides: tuple[tuple[str, str], ...],
             numerals: str = "") -> Strings:
    return Strings(catalogue_for(language), overrides, formatting_locale(language), language,
                   numbering_system(language, numerals))


def script_words(strings: Strings) -> dict[str, object]:
    """The words the web edition's script (book.js) shows, which each page carries."""
    return {
        "glossary-entry": strings.pgettext("glossary-entry", "In the glossary"),
        "search-on-disk": strings.pgettext(
            "search-on-disk", "Search works once these pages are served by a web server (any "
            "static one will do); from files on disk, the contents lead to every chapter."),
        "searching": strings.pgettext("searching", "Searching…"),
        "search-none": strings.pgettext("search-none", "Nothing in the book matches “%(query)s”."),
        "search-found": strings.plural_forms("search-found", "%(count)s page matches “%(query)s”.",
                                             "%(count)s pages match “%(query)s”."),
        "search-failed": strings.pgettext("search-failed",
                                          "Search could not load its index (%(error)s)."),
    }


ENGLISH = Strings(SOURCE_LANGUAGE, (), Locale(SOURCE_LANGUAGE))
_SPEAKING: ContextVar[Strings] = ContextVar("speaking", default=ENGLISH)


@contextlib.contextmanager
def speaking(meta: Metadata) -> Iterator[Strings]:
    """While it lasts, templates and current() speak the book's language."""
    token = _SPEAKING.set(strings_for(meta))
    try:
        yield current()
    finally:
        _SPEAKING.reset(token)


def in_book_words(render: Callable[Concatenate[Book, P], R]) -> Callable[Concatenate[Book, P], R]:
    """Decorate a render entry point: its templates speak the book's language while it
    runs (the macros are shared, so the words are looked up when a template runs)."""
    @functools.wraps(render)
    def in_words(book: Book, *args: P.args, **kwargs: P.kwargs) -> R:
        with speaking(book.meta):
            return render(book, *args, **kwargs)
    return in_words


def current() -> Strings:
    return _SPEAKING.get()


# The callables jinja2.ext.i18n calls (new style: it fills `%(name)s`, escaping the values,
# and takes the message as markup: a catalogue's may hold some, a book.toml override is
# text and is escaped here).
def _template_pgettext(key: str, message: str) -> str:
    strings = current()
    text = strings.pgettext(key, message)
    return escape(text) if strings.overridden(key) else text


def _template_npgettext(key: str, singular: str, plural: str, count: int) -> str:
    strings = current()
    text = strings.npgettext(key, singular, plural, count)
    return escape(text) if strings.overridden(key) else text


def _template_gettext(message: str) -> str:
    return _template_pgettext("", message)


def _template_ngettext(singular: str, plural: str, count: int) -> str:
    return _template_npgettext("", singular, plural, count)


def template_number(value: object, pattern: str | None = None) -> object:
    """`number(n)` in templates: n as the book's locale writes it."""
    return current().number(value, pattern)


def template_date(iso: str) -> str:
    """`date("2024-03-01")` in templates: the date as the book's locale writes it."""
    return current().date(iso)


TEMPLATE_CALLABLES: dict[str, Callable] = {
    "gettext": _template_gettext, "ngettext": _template_ngettext,
    "pgettext": _template_pgettext, "npgettext": _template_npgettext,
}


def word_problems(meta: Metadata, line: Callable[[str, str], int | None]) -> tuple[
        list[Problem], list[Problem]]:
    """(errors, warnings) about the book's words: an override of a key the builder does
    not have is an error; a language without a catalogue, or a key its catalogue lacks,
    is one warning each (the English words are used). `line(key, table)` locates keys of
    book.toml."""
    known = keys()
    errors = []
    for key, _ in meta.strings:
        if key not in known:
            errors.append(Problem(MANIFEST, line(key, "strings"),
                                  f"[strings] has no key '{key}'",
                                  did_you_mean(key, sorted(known)) or "see the README's Languages",
                                  "manifest-unknown-key"))
    overridden = {key for key, _ in meta.strings}
    language = catalogue_for(meta.language)
    if language is None:
        if known <= overridden:
            return errors, []
        return errors, [Problem(MANIFEST, line("language", ""),
                                f"no catalogue of the builder's words for '{meta.language}'; "
                                "they are in English",
                                "translate them under [strings], or ship a catalogue",
                                "strings-untranslated")]
    missing = sorted(known - keys(language) - overridden)
    return errors, [Problem(MANIFEST, line("language", ""),
                            f"the '{language}' catalogue has no translation of '{key}'; "
                            "it is in English", f"add it under [strings] as {key} = \"…\"",
                            "strings-untranslated")
                    for key in missing]
