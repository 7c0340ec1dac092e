"""Page ranges: a list of page references (an element marked PAGE_RANGES, as the index
and the glossary print them) set as the pages its targets land on, each page once and runs
of pages merged, `3, 7–9, 14` (an en dash), which target-counter() cannot do: a number
there does not know its neighbours.

The list is filled from the pages a layout gave its targets: in the single document, from
each of floats.settled's layouts for the next (the book's first layout prints the lists
with target-counter(), each later one the pages the one before found), and laid out again
only when the last layout's pages differ from those it printed (`filled`); in the chunked
one, from the book's pages a chunk is split with (chunks.split's rounds). The pages are
written in the book's digits, which the list names (PAGE_DIGITS; `numeral`). Each page
links to the first of its targets there (a range's end to the first on its last page).
The lists stand after the text they point into (an index, a glossary), so the layout
again moves no target; a second one settles a list whose new length moved the page after
it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import lxml.html

from ..model import PAGE_DIGITS, PAGE_RANGES, PAGE_REF
from . import weasy

DASH = "\u2013"
RUN_CLASS = "page-run"  # one page or range of a list, kept on one line
ROUNDS = 3


def runs(pages: list[int]) -> list[tuple[int, int]]:
    """Distinct pages as (first, last) runs of consecutive pages, in order."""
    merged: list[tuple[int, int]] = []
    for page in sorted(set(pages)):
        if merged and page == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], page)
        else:
            merged.append((page, page))
    return merged


def numeral(page: int, digits: str) -> str:
    """A page number as the builder writes it into print: in `digits`, the book's ten digits
    (the page counter's own numbering, `۱۴` in a Persian book)."""
    return str(page).translate(str.maketrans("0123456789", digits))


def targets(root: Any) -> set[str]:
    """Every anchor the page-range lists in `root` name."""
    return {name for element in root.iter() if isinstance(element.tag, str)
            for name in (element.get(PAGE_RANGES) or "").split()}


def fill(root: Any, pages: Mapping[str, int]) -> bool:
    """Set every page-range list in `root` from `pages` (anchor → page; one it lacks
    prints 0 until a later round knows it); whether any list changed."""
    changed = False
    for element in [e for e in root.iter() if isinstance(e.tag, str) and e.get(PAGE_RANGES)]:
        names = element.get(PAGE_RANGES).split()
        digits = element.get(PAGE_DIGITS) or "0123456789"
        first_on: dict[int, str] = {}
        for name in names:
            first_on.setdefault(pages.get(name, 0), name)
        wanted = runs(list(first_on))
        shown = _shown(element)
        if shown == wanted or not shown and [pages.get(n, 0) for n in names] == [
                first for first, last in wanted if first == last]:
            continue  # as filled, or as target-counter() prints it: each page once, no run
        changed = True
        for child in list(element):
            element.remove(child)
        element.text = None
        for index, (first, last) in enumerate(wanted):
            run = element.makeelement("span", {"class": RUN_CLASS})  # never broken: print.css
            for page in [first] if first == last else [first, last]:
                if len(run):
                    run[-1].tail = DASH
                run.append(element.makeelement("a", {
                    "href": f"#{first_on[page]}", PAGE_REF: "",
                    "data-page": numeral(page, digits)}))
            run.tail = ", " if index + 1 < len(wanted) else None
            element.append(run)
    return changed


def filled(html: str, document: Any, lay_out: Callable[[str], Any]) -> Any:
    """`document`, laid out from `html`, with its page-range lists set from the pages
    their targets landed on: laid out again until the lists read as their pages."""
    for _ in range(ROUNDS):
        if PAGE_RANGES not in html:
            break
        root = lxml.html.document_fromstring(html)
        if not fill(root, weasy.anchor_pages(document)):
            break
        html = lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
        document = lay_out(html)
    return document


def settle(root: Any) -> None:
    """Take the page-range marks off `root`'s lists once they are filled for good (a
    chunk's: its own layout must not fill them again from the chunk's pages)."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.get(PAGE_RANGES) is not None:
            del element.attrib[PAGE_RANGES]
            element.attrib.pop(PAGE_DIGITS, None)


def _shown(element: Any) -> list[tuple[int, int]]:
    """The runs a filled list shows now ([] before its first fill)."""
    shown: list[tuple[int, int]] = []
    for run in element:
        pages = [link.get("data-page") for link in run.iter("a")]
        if run.get("class") != RUN_CLASS or None in pages:
            return []
        shown.append((int(pages[0]), int(pages[-1])))
    return shown
