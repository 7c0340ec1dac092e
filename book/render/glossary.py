"""Glossary links for the renderers: the first use of each term in a chapter links to its
definition, and where each term is first used (the glossary template lists them)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import ahocorasick  # type: ignore[import-not-found]  # a C extension without stubs
from lxml import html

from .. import fragments
from ..model import PAGE_REF, Book, Term

SKIP = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "figcaption", "dt"}


@functools.lru_cache(maxsize=4)
def _automaton(terms: tuple[Term, ...]) -> ahocorasick.Automaton | None:
    """Every form of every term (forms written in lower case also capitalized) in one
    Aho-Corasick automaton: a text is searched in one pass, however many terms (an
    alternation regex of 20,000 forms takes minutes)."""
    automaton = ahocorasick.Automaton()
    for term in terms:
        for form in term.forms:
            variants = [form, form[0].upper() + form[1:]] if form == form.lower() else [form]
            for variant in variants:
                if variant not in automaton:  # the first term to claim a form keeps it
                    automaton.add_word(variant, (len(variant), term.id))
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return automaton


_WORD = re.compile(r"\w")


def _uses(automaton: ahocorasick.Automaton, text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, term id) of each whole-word use in `text`, leftmost first and, at one
    place, the longest form."""
    found = sorted((end + 1 - length, -length, term_id)
                   for end, (length, term_id) in automaton.iter(text))
    last = 0
    for start, negative_length, term_id in found:
        end = start - negative_length
        if start < last or (start and _WORD.match(text[start - 1])) or (
                end < len(text) and _WORD.match(text[end])):
            continue
        yield start, end, term_id
        last = end


def _skipped(element) -> bool:
    while element is not None:
        classes = (element.get("class") or "").split()
        if element.tag in SKIP or "footnote" in classes:
            return True
        element = element.getparent()
    return False


# What print sets before the glossary's page number after a term's first use.
TERM_PAGE_PREFIX = "\u2009\u2192"


def link_terms(root: html.HtmlElement, terms: tuple[Term, ...], chapter_id: str,
               epub: bool, page_ref: bool) -> dict[str, str]:
    """Wrap the first use of each term in a link to its definition (marked as a page
    reference for print: `page_ref`); returns term id → the link's id."""
    automaton = _automaton(terms)
    if automaton is None:
        return {}
    by_id = {t.id: t for t in terms}
    linked: dict[str, str] = {}
    for element, slot in list(fragments.text_slots(root)):
        container = element if slot == "text" else element.getparent()
        if _skipped(container):
            continue
        text = getattr(element, slot)
        pieces: list = []
        last = 0
        for start, end, term_id in _uses(automaton, text):
            if term_id in linked:
                continue
            ref_id = f"{chapter_id}--gref-{term_id.split('--', 1)[-1]}"
            linked[term_id] = ref_id
            link = root.makeelement("a", {"class": "glossary-term", "href": f"#{term_id}",
                                          "id": ref_id, "title": _plain(by_id[term_id].definition)})
            if epub:
                link.set("epub:type", "glossref")
                link.set("role", "doc-glossref")
            if page_ref:
                link.set(PAGE_REF, TERM_PAGE_PREFIX)
            link.text = text[start:end]
            pieces.append((text[last:start], link))
            last = end
        if not pieces:
            continue
        setattr(element, slot, pieces[0][0])
        anchor = None
        for index, (_, link) in enumerate(pieces):
            link.tail = pieces[index + 1][0] if index + 1 < len(pieces) else text[last:]
            if anchor is not None:
                anchor.addnext(link)
            elif slot == "text":
                element.insert(0, link)
            else:
                element.addnext(link)
            anchor = link
    return linked


def _plain(markup: str) -> str:
    return html.fragment_fromstring(markup or " ", create_parent="span").text_content()


def term_uses(book: Book, parse) -> dict[str, list[tuple[str, str, str]]]:
    """Term id → (chapter id, chapter short title, link id) for each chapter that uses it."""
    uses: dict[str, list[tuple[str, str, str]]] = {}
    terms = book.terms
    for chapter in book.chapters:
        if chapter.kind != "chapter" or not terms:
            continue
        linked = link_terms(parse(chapter.body), terms, chapter.id, epub=False, page_ref=False)
        for term_id, ref_id in linked.items():
            uses.setdefault(term_id, []).append((chapter.id, chapter.short_title, ref_id))
    return uses

