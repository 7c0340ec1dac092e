"""Glossary links for the renderers: the first use of each term in a chapter links to its
definition, and where each term is first used (the glossary template lists them)."""

from __future__ import annotations

import re

from lxml import html

from .. import fragments
from ..model import PAGE_REF, Book, Term

SKIP = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "figcaption", "dt"}


def _pattern(terms: tuple[Term, ...]) -> re.Pattern | None:
    """One regex for every form; forms written in lower case also match capitalized."""
    forms = sorted({(f, t.id) for t in terms for f in t.forms}, key=lambda p: -len(p[0]))
    if not forms:
        return None
    alternatives = []
    for index, (form, _) in enumerate(forms):
        body = re.escape(form)
        if form == form.lower():
            body = f"[{re.escape(form[0].upper())}{re.escape(form[0])}]{re.escape(form[1:])}"
        alternatives.append(f"(?P<t{index}>{body})")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"), [t for _, t in forms]


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
    compiled = _pattern(terms)
    if compiled is None:
        return {}
    pattern, ids = compiled
    by_id = {t.id: t for t in terms}
    linked: dict[str, str] = {}
    for element, slot in list(fragments.text_slots(root)):
        container = element if slot == "text" else element.getparent()
        if _skipped(container):
            continue
        text = getattr(element, slot)
        pieces: list = []
        last = 0
        for match in pattern.finditer(text):
            term_id = ids[int(match.lastgroup[1:])]
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
            link.text = match.group(0)
            pieces.append((text[last:match.start()], link))
            last = match.end()
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

