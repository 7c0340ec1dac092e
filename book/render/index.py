"""The index page's rows: every entry with its locators (occurrences.find), sorted by the
Unicode Collation Algorithm (pyuca's DUCET order, which no locale setting of the machine
changes) and grouped under their first letter."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from pyuca import Collator  # type: ignore[import-untyped]  # no stubs

from ..model import Chapter, IndexEntry
from .occurrences import Found, Locator


@dataclass(frozen=True)
class Row:
    """One line of the index: an entry or sub-entry, its locators in reading order, its
    "see" or "see also" targets as (term, id) and its sub-entries."""

    id: str
    term: str
    locators: tuple[Locator, ...]
    see: tuple[tuple[str, str], ...] = ()
    see_also: tuple[tuple[str, str], ...] = ()
    subentries: tuple[Row, ...] = ()


@functools.cache
def _collator() -> Collator:
    return Collator()  # reads the DUCET table once per process


def sort_key(term: str) -> tuple:
    """Collation key of a term: letters before case and accents, as a reader looks."""
    return tuple(_collator().sort_key(term))


def letter(term: str) -> str:
    """The group a term goes under: its first letter without accents, capitalized; a
    term that starts with a digit or sign goes under '#'."""
    first = unicodedata.normalize("NFD", term.strip()[:1] or "#")[0]
    return first.upper() if first.isalpha() else "#"


def groups(page: Chapter, found: Found) -> list[tuple[str, list[Row]]]:
    """(letter, rows) in collation order; an entry with no locator, no "see" and no
    sub-entry with locators is left out (its forms are nowhere in the text)."""
    ids = {e.term.casefold(): e.id for e in page.index_entries}

    listed = {e.term.casefold() for e in page.index_entries
              if found.index.get(e.id) or any(found.index.get(s.id) for s in e.subentries)}

    def targets(terms: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """The (term, id) of the entries named that the index lists."""
        kept = [(t, ids[t.casefold()]) for t in terms if t.casefold() in listed]
        return tuple(sorted(kept, key=lambda pair: sort_key(pair[0])))

    def row(entry: IndexEntry) -> Row:
        subs = tuple(sorted((row(s) for s in entry.subentries if found.index.get(s.id)),
                            key=lambda r: sort_key(r.term)))
        return Row(entry.id, entry.term, tuple(found.index.get(entry.id, ())),
                   targets(entry.see), targets(entry.see_also), subs)

    rows = [r for r in map(row, page.index_entries) if r.locators or r.see or r.subentries]
    grouped: dict[str, list[Row]] = {}
    for kept in sorted(rows, key=lambda r: sort_key(r.term)):
        grouped.setdefault(letter(kept.term), []).append(kept)
    return list(grouped.items())
