"""The index page's rows: every entry with its locators (occurrences.find), sorted by the
Unicode Collation Algorithm (pyuca's DUCET order, which no locale setting of the machine
changes) and grouped under their first letter."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, replace

from pyuca import Collator  # type: ignore[import-untyped]  # no stubs

from .. import fragments
from ..errors import Problem
from ..model import Book, Chapter, IndexEntry
from .occurrences import Found, Locator, find


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


def unused(book: Book) -> tuple[Book, list[Problem]]:
    """The book as its editions show it, and a warning (`index-unused`) at each index.toml
    entry or sub-entry the index leaves out because the text never uses it (an entry: nor
    its sub-entries; a "see" entry: those it refers to). An index left with nothing to list
    is no page of any edition, with one warning: EPUB Indexes requires entries, and a
    reader wants pages from an index."""
    page = book.index_page
    if page is None:
        return book, []
    found = find(book, fragments.parse)
    listed = {row.id for _, rows in groups(page, found) for row in rows}
    if not listed:
        return replace(book, chapters=tuple(c for c in book.chapters if c is not page)), [
            Problem(page.path, 1, "the index is left out: the text uses none of its entries",
                    "check the entries' terms and 'also' forms against the text, or mark "
                    "places with [text]{.index}", "index-unused")]
    return book, [_left_out(page.path, entry) for top in page.index_entries
                  for entry in ((top,) if top.id not in listed else top.subentries)
                  if entry.id not in listed and not found.index.get(entry.id)]


def _left_out(path: str, entry: IndexEntry) -> Problem:
    """The warning for an index.toml entry the index leaves out."""
    if entry.see:
        return Problem(path, entry.line, f"the index entry '{entry.term}' is left out: the "
                       "text uses none of the entries it refers to",
                       "remove it, or use one of those entries in the text", "index-unused")
    return Problem(path, entry.line, f"the index entry '{entry.term}' is left out: the text "
                   "never uses it", "check its term and 'also' forms against the text",
                   "index-unused")
