"""Deferred floats: a figure, table or key-figures box that does not fit where it is called
goes after the text that fills the page, so no body page is left with a hole.

WeasyPrint has no page floats: a block that does not fit on what is left of a page goes to
the next one and leaves the rest of the page white. Here the print document is laid out,
every page whose text block is filled to less than MIN_FILL and whose next page opens
with such a block (or a heading kept with one) in the same chapter is found, and the block,
with any floats called right after it, is moved in the flow after the paragraphs that
fill the hole (as many as their measured heights say, never past a heading or another
float, so figures keep their order), and the document laid out again: at most ROUNDS
times, as moving one block changes the pages after it. A chapter's last page may stay
short. Known limit: consecutive floats taller than a page still leave holes (scaling
them is not done yet)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import lxml.html

from . import weasy

MIN_FILL = 0.85  # of the text block's height: less is a hole
ROUNDS = 6
FLOW = "data-flow"  # stamped on every block of a chapter's flow, to find it on the pages
FLOATS: set[tuple[str, str | None]] = {
    ("figure", "photo"), ("aside", "key-figures"), ("table", None)}
PARTS: set[tuple[str, str | None]] = {("section", "chapter"), ("section", "backmatter")}
_HEADINGS: set[str] = {"h1", "h2", "h3", "h4", "h5", "h6"}


def fill(page: Any) -> float:
    """How much of a page's text block its flow fills, from 0 to 1 (1 for a page without
    flow of its own, such as a blank)."""
    top, bottom = weasy.text_block(page)
    blocks = weasy.marked_blocks(page, FLOW)
    if not blocks or bottom <= top:
        return 1.0
    return min(1.0, (max(b[2] for b in blocks) - top) / (bottom - top))


def settled(html: str, lay_out: Callable[[str], Any]) -> Any:
    """`html` laid out by `lay_out` (html → WeasyPrint document) with every float that
    would leave a hole deferred; the document of the last layout."""
    root = lxml.html.document_fromstring(html)
    blocks: dict[str, Any] = {}
    for number, part in enumerate(e for e in root.iter() if _is(e, PARTS)):
        for index, child in enumerate(c for c in part if isinstance(c.tag, str)):
            key = f"{number}.{index}"
            child.set(FLOW, key)
            blocks[key] = child
    floats = {key for key, block in blocks.items() if _is(block, FLOATS)}
    document = lay_out(_serialised(root))
    for _ in range(ROUNDS):
        moves = _deferrals(document, blocks, floats)
        if not moves:
            break
        for block, after in moves:
            _move_after(block, after)
        document = lay_out(_serialised(root))
    return document


def _is(element: Any, kinds: set[tuple[str, str | None]]) -> bool:
    """Whether an element is one of (tag, class or None for any) `kinds`."""
    classes = (element.get("class") or "").split() if isinstance(element.tag, str) else []
    return any(element.tag == tag and (kind is None or kind in classes) for tag, kind in kinds)


def _serialised(root: Any) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def _deferrals(document: Any, blocks: dict[str, Any],
               floats: set[str]) -> list[tuple[Any, Any]]:
    """(float, block to put it after) for each hole a float leaves."""
    pages = [(weasy.text_block(p), weasy.marked_blocks(p, FLOW)) for p in document.pages]
    moves: list[tuple[Any, Any]] = []
    for (area, here), (_, there) in itertools.pairwise(pages):
        if not here or not there:
            continue
        top, bottom = area
        chapter = here[-1][0].split(".")[0]
        opener = there[0][0]
        if blocks[opener].tag in _HEADINGS and len(there) > 1:
            opener = there[1][0]  # a heading kept with the float after it
        if (opener not in floats or opener.split(".")[0] != chapter
                or any(b[0] == opener for b in here)):
            continue
        hole = bottom - max(b[2] for b in here)
        if (bottom - hole - top) / (bottom - top) >= MIN_FILL:
            continue
        run = [blocks[opener]]  # floats called one after the other go together
        for sibling in run[0].itersiblings():
            if sibling.get(FLOW) not in floats:
                break
            run.append(sibling)
        after = _filler(run[-1], hole, {b[0]: b[2] - b[1] for b in there}, floats)
        if after is not None:
            moves += [(block, after) for block in reversed(run)]
    return moves


def _filler(block: Any, hole: float, heights: dict[str, float], floats: set[str]) -> Any:
    """The last of the blocks after `block` that together fill `hole`, stopping before a
    heading or another float; None when no text follows it."""
    filled, last = 0.0, None
    for sibling in block.itersiblings():
        key = sibling.get(FLOW)
        if not isinstance(sibling.tag, str) or sibling.tag in _HEADINGS or key in floats:
            break  # floats keep their order (and their numbers)
        last = sibling
        filled += heights.get(key, hole)  # not on the next page either: it is long
        if filled >= hole:
            break
    return last


def _move_after(block: Any, after: Any) -> None:
    """Move `block` to just after `after`, keeping the text around both in place."""
    previous = block.getprevious()
    if block.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + block.tail
        else:
            parent = block.getparent()
            parent.text = (parent.text or "") + block.tail
    block.tail = after.tail
    after.tail = None
    after.addnext(block)
