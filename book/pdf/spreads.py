"""Cross-references that print their target's page only when it helps: "table 2, page 14"
when the table is over the page, "table 2" when it is on the same spread as the reference
(the two facing pages a reader sees at once), as careful reference books do.

WeasyPrint cannot know where a box falls while it lays it out, so this is a decision made
after layout: the print document is laid out, the page of every cross-reference (each has
an id in print) and of its target is read from the pages, the references that face their
target are marked SAME_SPREAD (print.css leaves their page out) and the document is laid
out again. Leaving a page out shortens the text after it, which can move a reference off
its target's spread: a reference stays marked only while it still faces its target, so the
marked set shrinks each round and the result is never wrong, at worst a page printed that
could have been left out. The chunked layout decides the same way for references to
another chunk (chunks.split), from the pages of the previous round.

The book opens on a recto (page 1, alone); pages 2k and 2k+1 face each other, as chunks.py
places every chunk (each opens on a recto, an odd page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import lxml.html

from ..model import PAGE_REF, XREF_CLASS
from . import weasy

SAME_SPREAD = "data-same-spread"
MAX_ROUNDS = 4  # layouts after the first; past them every reference prints its page


def spread(page: int) -> int:
    """The spread a 1-based page is on (page 1 alone, then 2–3, 4–5…)."""
    return page // 2


def facing(source: int | None, target: int | None) -> bool:
    """Whether a reference on page `source` sees its target on page `target` (None: not
    known) without turning the page."""
    return source is not None and target is not None and spread(source) == spread(target)


def references(root: Any) -> dict[str, Any]:
    """The cross-references of a print document that print a page, by their id."""
    return {a.get("id"): a for a in root.iter("a")
            if XREF_CLASS in (a.get("class") or "").split() and a.get(PAGE_REF) is not None
            and a.get("id") and (a.get("href") or "").startswith("#")}


def _facing_now(refs: dict[str, Any], pages: dict[str, int]) -> set[str]:
    return {name for name, anchor in refs.items()
            if facing(pages.get(name), pages.get(unquote(anchor.get("href")[1:])))}


def settled(html: str, document: Any, lay_out: Callable[[str], Any]) -> Any:
    """`document` (`html` laid out by `lay_out`) laid out again with the references that
    face their targets marked SAME_SPREAD, until every marked one still does."""
    root = lxml.html.document_fromstring(html)
    refs = references(root)
    marked: set[str] = set()  # the references `document` was laid out with marked
    for round_ in range(MAX_ROUNDS + 1):
        now = _facing_now(refs, weasy.anchor_pages(document))
        if marked <= now and (marked or not now):
            return document
        marked = marked & now if marked else now
        if not marked or round_ == MAX_ROUNDS:
            break
        for name, anchor in refs.items():
            if name in marked:
                anchor.set(SAME_SPREAD, "")
            else:
                anchor.attrib.pop(SAME_SPREAD, None)
        document = lay_out(lxml.html.tostring(root, encoding="unicode",
                                              doctype="<!DOCTYPE html>"))
    return lay_out(html)  # no decision held: every reference prints its page
