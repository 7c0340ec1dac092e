"""The spell-check of `book check` (rule `spelling-unknown`, a warning): every word of a
chapter's prose that the Hunspell dictionary of the book's language does not know, at its
line and column, with up to three suggestions.

Library: pyenchant, a ctypes binding (no compiler needed) to libenchant, whose Hunspell
provider is the C++ engine LibreOffice and Firefox use, reading Debian's hunspell-* packages
(scripts/install-system-deps installs them). It is kept up (releases through 2025) and
checks a word in microseconds; spylls (pure-Python Hunspell) is some hundred times slower
and unreleased since 2022, and the cyhunspell/hunspell bindings need compiling and have been
unmaintained since 2021/2018. Only the Hunspell provider is used, so the verdicts do not
depend on whether aspell happens to be installed too.

Prose is what the typography rules read (typography.prose_runs: code, URLs, link targets,
raw HTML and front matter masked). Known besides the dictionary: the project's words.txt
(one word a line, # comments), the glossary's terms, the contributors' names and the photo
credits. Words in capitals (acronyms: CSTO, UN) and words with digits are not checked. Each
distinct word is looked up once, so a book's cost grows with its vocabulary, not its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ..errors import Problem
from ..source.config import MANIFEST
from .typography import prose_runs

RULE = "spelling-unknown"
WORDS_FILE = "words.txt"
SUGGESTIONS = 3
# Hunspell's suggestions cost tens of milliseconds a word (its checks, microseconds): only
# the first distinct unknown words of a run get them, so a draft full of foreign names
# is still checked in seconds.
SUGGESTED_WORDS = 100
# A word: letters, with apostrophes inside ("don't", "Babayev’s"); a hyphenated word is
# checked part by part.
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_NAME_PART = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# The region a bare language tag means when several are installed.
_DEFAULT_REGION = {"en": "en_US", "fr": "fr_FR", "de": "de_DE", "es": "es_ES", "ru": "ru_RU",
                   "pt": "pt_PT", "it": "it_IT", "nl": "nl_NL"}


class Dictionary:
    """One Hunspell dictionary, with each word's verdict and suggestions remembered."""

    def __init__(self, handle) -> None:
        self._handle = handle
        self.tag: str = handle.tag
        self.suggested = 0  # distinct words asked for suggestions so far
        self.knows = lru_cache(maxsize=None)(self._knows)
        self.suggest = lru_cache(maxsize=None)(self._suggest)

    def _knows(self, word: str) -> bool:
        plain = word.replace("’", "'")
        stem = plain[:-2] if plain.endswith("'s") else ""  # a possessive: reporting's
        return bool(self._handle.check(plain) or (stem and self._handle.check(stem)))

    def _suggest(self, word: str) -> tuple[str, ...]:
        self.suggested += 1
        if self.suggested > SUGGESTED_WORDS:
            return ()
        found = self._handle.suggest(word.replace("’", "'"))
        return tuple(dict.fromkeys(s for s in found if " " not in s))[:SUGGESTIONS]


def _broker():
    """An Enchant broker, or None when libenchant is not installed."""
    try:
        import enchant  # type: ignore[import-untyped]  # pyenchant ships no types
    except ImportError:
        return None
    return enchant.Broker()


def dictionary_for(language: str) -> Dictionary | None:
    """The Hunspell dictionary for a BCP 47 tag: the exact region (en-GB → en_GB), else the
    language's usual region, else any installed region of it; None when there is none."""
    broker = _broker()
    if broker is None:
        return None
    tags = sorted({tag for tag, _ in broker.list_dicts()})
    parts = language.replace("-", "_").split("_")
    base = parts[0].lower()
    wanted = [f"{base}_{parts[1].upper()}" if len(parts) > 1 else base,
              _DEFAULT_REGION.get(base, base), base]
    wanted += [tag for tag in tags if tag.split("_")[0] == base]
    for tag in dict.fromkeys(t for t in wanted if t in tags):
        broker.set_ordering(tag, "hunspell")  # else Enchant may answer with aspell
        handle = broker.request_dict(tag)
        if handle.provider.name == "hunspell":
            return Dictionary(handle)
    return None


def known_words(names: Iterable[str], words_txt: str | None) -> frozenset[str]:
    """Words that are right whatever the dictionary says: each word of the names (glossary
    terms, contributors, credits) and each line of words.txt."""
    known = {part for name in names for part in _NAME_PART.findall(name)}
    known |= {word for name in names for word in _WORD.findall(name)}
    for line in (words_txt or "").splitlines():
        word = line.strip()
        if word and not word.startswith("#"):
            known.add(word)
    return frozenset(known)


def _skipped(word: str, known: frozenset[str]) -> bool:
    if len(word) < 2 or word.isupper() or word in known or not word.isalpha() and \
            not re.fullmatch(r"[^\W\d_]+(?:['’][^\W\d_]+)*", word):  # digits: 20th, x86
        return True
    stem = re.sub(r"['’]s$", "", word)  # a name's possessive: Babayev’s
    return stem in known or word.lower() in known or word.capitalize() in known


def check_spelling(path: str, text: str, dictionary: Dictionary,
                   known: frozenset[str]) -> list[Problem]:
    """Every word of the chapter's prose that neither the dictionary nor `known` has."""
    problems = []
    for run in prose_runs(path, text):
        for match in _WORD.finditer(run.text):
            word = match.group()
            if _skipped(word, known) or dictionary.knows(word):
                continue
            line, col = run.where(match.start())
            suggestions = dictionary.suggest(word)
            hint = (f"did you mean {', '.join(suggestions)}? " if suggestions else "") + \
                f"else add it to {WORDS_FILE}"
            problems.append(Problem(path, line, f"'{word}' is not in the {dictionary.tag} "
                                    "dictionary", hint, RULE, col))
    return problems


def no_dictionary(language: str, line: int | None, path: str = MANIFEST) -> Problem:
    """The one warning for a language without an installed dictionary: the book's (at
    book.toml's `language`), or a chapter's (at its front matter's `lang`)."""
    base = language.split("-")[0].lower()
    return Problem(path, line, f"no spelling dictionary is installed for language "
                   f"'{language}', so the prose was not spell-checked",
                   f"install Debian's hunspell-{base} package (or hunspell-{base}-*)", RULE)
