"""Hyphenation a typesetter allows: no word broken across a page turn (a page's last line
ends whole) and at most MAX_RUN hyphenated lines in a row. CSS has hyphenate-limit-lines
and WeasyPrint does not, so the laid-out pages are read: a paragraph that breaks a word
at a page's foot or hyphenates more than MAX_RUN lines running is set again without
automatic hyphenation (`hyphens: manual`), in the layout rounds floats.settled runs: in
the HTML for the rounds that lay it out again, and in the laid-out document itself when
nothing else changed (`relaid`, a few pages set again instead of the whole document)."""

from __future__ import annotations

import itertools
import re
from typing import Any

from . import weasy

MAX_RUN = 2
LINE = "data-line"  # stamped on every element that sets lines of text, to find it again
SETTERS = {"p", "li", "dd", "dt", "td", "th", "figcaption", "blockquote"}
_TAIL = re.compile(r"(\w+)-$")
_HEAD = re.compile(r"^(\w+)")


def stamp(root: Any) -> dict[str, Any]:
    """Mark every element that sets lines in `root`'s body with LINE: key → element."""
    setters: dict[str, Any] = {}
    for element in root.iter(*SETTERS):
        key = str(len(setters))
        element.set(LINE, key)
        setters[key] = element
    return setters


def faults(document: Any) -> set[str]:
    """LINE keys of the paragraphs that break a word at a page's foot or hyphenate more
    than MAX_RUN lines in a row."""
    laid = [(number, element, text) for number, page in enumerate(document.pages)
            for element, text in weasy.lines(page)]
    found: set[str] = set()
    run = 0
    for (page, element, text), (next_page, following, next_text) in itertools.pairwise(laid):
        key = element.get(LINE) if element is not None else None
        broken = key is not None and following is element and hyphenated(
            text, next_text, "".join(element.itertext()))
        run = run + 1 if broken else 0
        if key is not None and broken and (next_page != page or run > MAX_RUN):
            found.add(key)
    return found


def hyphenated(line: str, next_line: str, source: str) -> bool:
    """Whether `line` ends in a hyphen the layout put in a word of `source` (not a hyphen
    the text has, as in 'one-day')."""
    tail, head = _TAIL.search(line.rstrip()), _HEAD.match(next_line.lstrip())
    if not tail or not head:
        return False
    source = source.replace("\u00ad", "")
    return (tail[1] + head[1]) in source and f"{tail[1]}-{head[1]}" not in source


def unhyphenate(element: Any) -> None:
    """Set `element` without automatic hyphenation."""
    style = element.get("style")
    element.set("style", f"{style}; hyphens: manual" if style else "hyphens: manual")


def relaid(document: Any, keys: set[str]) -> Any:
    """`document` with the paragraphs `keys` set again without automatic hyphenation, as
    `unhyphenate` sets them in the HTML; None when it cannot be relaid (weasy.relaid)."""
    return weasy.relaid(document, LINE, keys, {"hyphens": "manual"})
