"""Where the glossary's terms and the index's entries occur in the text, found in one pass
over each chapter, and the places (locators) each edition points at: the one mechanism
behind the glossary's "used on" pages and the index.

Each use of a form is one Aho-Corasick match, whole words only, the longest form at one
place. The first use of a glossary term in a chapter becomes a link to its definition;
every use of an index entry's form gets an id (the glossary's link's, when it is one) that
the index points at; in print, every other use of a glossary term is wrapped too, so that
no name is hyphenated. Places the author marks (`[text]{.index}`) come from parse."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import ahocorasick  # type: ignore[import-not-found]  # a C extension without stubs
from lxml import html

from .. import fragments
from ..model import PAGE_REF, Book, IndexEntry, Term

# Text that is never a use: links, headings, code, captions, definitions' terms; a note's
# text is marked apart (index uses only, with ids of the note's own).
SKIP = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "figcaption", "dt"}
GLOSSARY, INDEX = "glossary", "index"

# What print sets before the glossary's page number after a term's first use.
TERM_PAGE_PREFIX = "\u2009\u2192"


@dataclass(frozen=True)
class Locator:
    """One place the index or glossary points at: the chapter, its short title (the
    locator's text outside print) and the id of the element at the place."""

    chapter: str
    title: str
    anchor: str


@dataclass
class Found:
    """Every locator of the book, by glossary term id and by index entry id, in reading
    order."""

    glossary: dict[str, list[Locator]] = field(default_factory=dict)
    index: dict[str, list[Locator]] = field(default_factory=dict)

    def anchors(self) -> Iterator[Locator]:
        for locators in (*self.glossary.values(), *self.index.values()):
            yield from locators


def index_forms(entries: tuple[IndexEntry, ...]) -> tuple[tuple[str, str], ...]:
    """(form, entry id) of every form of the index's entries and sub-entries."""
    return tuple((form, entry.id) for top in entries for entry in (top, *top.subentries)
                 for form in entry.forms)


@functools.lru_cache(maxsize=4)
def _automaton(terms: tuple[Term, ...],
               forms: tuple[tuple[str, str], ...]) -> ahocorasick.Automaton | None:
    """Every form of every glossary term and index entry (forms written in lower case also
    capitalized) in one Aho-Corasick automaton: a text is searched in one pass, however
    many terms (an alternation regex of 20,000 forms takes minutes). A form's value is its
    length and the (kind, id) of each term or entry it is a form of."""
    claims: dict[str, list[tuple[str, str]]] = {}
    named = [(f, (GLOSSARY, t.id)) for t in terms for f in t.forms]
    named += [(f, (INDEX, entry_id)) for f, entry_id in forms]
    for form, owner in named:
        variants = [form, form[0].upper() + form[1:]] if form == form.lower() else [form]
        for variant in variants:
            owners = claims.setdefault(variant, [])
            if not any(kind == owner[0] for kind, _ in owners):  # the first claim keeps it
                owners.append(owner)
    if not claims:
        return None
    automaton = ahocorasick.Automaton()
    for variant, owners in claims.items():
        automaton.add_word(variant, (len(variant), tuple(owners)))
    automaton.make_automaton()
    return automaton


_WORD = re.compile(r"\w")


def _uses(automaton: ahocorasick.Automaton,
          text: str) -> Iterator[tuple[int, int, tuple[tuple[str, str], ...]]]:
    """(start, end, owners) of each whole-word use in `text`, leftmost first and, at one
    place, the longest form."""
    found = sorted((end + 1 - length, -length, owners)
                   for end, (length, owners) in automaton.iter(text))
    last = 0
    for start, negative_length, owners in found:
        end = start - negative_length
        if start < last or (start and _WORD.match(text[start - 1])) or (
                end < len(text) and _WORD.match(text[end])):
            continue
        yield start, end, owners
        last = end


def _skipped(element) -> bool:
    while element is not None:
        classes = (element.get("class") or "").split()
        if element.tag in SKIP or "footnote" in classes:
            return True
        element = element.getparent()
    return False


def _plain(markup: str) -> str:
    return html.fragment_fromstring(markup or " ", create_parent="span").text_content()


def mark(root: html.HtmlElement, book: Book, chapter_id: str, *, epub: bool,
         page_ref: bool, glossary: bool = True) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Mark the uses of glossary terms and index entries in a chapter's `root`: the
    first use of each term links to its definition (marked as a page reference for print:
    `page_ref`), every use of an index entry gets an id starting with `chapter_id` (a
    note's id for a note's text, where no glossary term is linked: `glossary` False).
    Returns term id → the link's id, and (entry id, id) of each index use in order."""
    page = book.index_page
    automaton = _automaton(book.terms, index_forms(page.index_entries) if page else ())
    if automaton is None:
        return {}, []
    definitions = {t.id: t.definition for t in book.terms}
    linked: dict[str, str] = {}
    indexed: list[tuple[str, str]] = []
    for element, slot in list(fragments.text_slots(root)):
        container = element if slot == "text" else element.getparent()
        if _skipped(container):
            continue
        text = getattr(element, slot)
        pieces: list = []
        last = 0
        for start, end, owners in _uses(automaton, text):
            term = next((i for kind, i in owners if kind == GLOSSARY and glossary), None)
            entry = next((i for kind, i in owners if kind == INDEX), None)
            if term in linked:
                term = None
            if term is None and entry is None and not page_ref:
                continue
            if term is not None:
                ref_id = f"{chapter_id}--gref-{term.split('--', 1)[-1]}"
                linked[term] = ref_id
                wrapper = root.makeelement("a", {"class": "glossary-term", "href": f"#{term}",
                                                 "id": ref_id,
                                                 "title": _plain(definitions[term])})
                if epub:
                    wrapper.set("epub:type", "glossref")
                    wrapper.set("role", "doc-glossref")
                if page_ref:
                    wrapper.set(PAGE_REF, TERM_PAGE_PREFIX)
            elif entry is not None:
                ref_id = f"{chapter_id}--ix.{len(indexed) + 1}"
                wrapper = root.makeelement("span", {"class": "index-term", "id": ref_id})
            else:  # print: a later use of a glossary term, kept from hyphenation
                wrapper = root.makeelement("span", {"class": "term"})
            if entry is not None:
                indexed.append((entry, ref_id))
            wrapper.text = text[start:end]
            pieces.append((text[last:start], wrapper))
            last = end
        if not pieces:
            continue
        setattr(element, slot, pieces[0][0])
        anchor = None
        for index, (_, wrapper) in enumerate(pieces):
            wrapper.tail = pieces[index + 1][0] if index + 1 < len(pieces) else text[last:]
            if anchor is not None:
                anchor.addnext(wrapper)
            elif slot == "text":
                element.insert(0, wrapper)
            else:
                element.addnext(wrapper)
            anchor = wrapper
    return linked, indexed


def find(book: Book, parse: Callable[[str], html.HtmlElement]) -> Found:
    """Every locator of the glossary's terms (the first use in each chapter's body) and of
    the index's entries (every use, in the notes too, and every place marked for the
    index), in reading order; the same ids as `mark` gives each edition's chapters."""
    found = Found()
    for chapter in book.chapters:
        if chapter.kind != "chapter":
            continue
        linked, indexed = mark(parse(chapter.body), book, chapter.id, epub=False,
                               page_ref=False)
        for term_id, ref_id in linked.items():
            found.glossary.setdefault(term_id, []).append(
                Locator(chapter.id, chapter.short_title, ref_id))
        for note in chapter.footnotes:
            indexed += mark(parse(note.html), book, note.id, epub=False, page_ref=False,
                            glossary=False)[1]
        for entry_id, anchor in indexed + [(m.entry, m.anchor) for m in chapter.index_marks]:
            found.index.setdefault(entry_id, []).append(
                Locator(chapter.id, chapter.short_title, anchor))
    return found
