"""Deferred floats: a figure, table or key-figures box that does not fit where it is called
goes after the text that fills the page, or is scaled down a little, so no body page is
left with a hole.

WeasyPrint has no page floats: a block that does not fit on what is left of a page goes to
the next one and leaves the rest of the page white. Here the print document is laid out,
every page whose text block is filled to less than MIN_FILL and whose next page opens
with such a block (or a heading kept with one) in the same chapter is found, and:

1. the block, with the floats called right after it (a run keeps together), is moved in
   the flow after the paragraphs that fill the hole, as many as their measured heights
   say, never past another float, so figures keep their order and numbers;
2. when a heading follows the float at once, so that no paragraph can be moved before
   it, the float goes past the heading and the paragraphs under it (the only way);
3. when no text follows it in its chapter, a figure alone is scaled down to fit the
   hole, never under MIN_SCALE of its laid-out height (tables and boxes are not scaled).

The document is then laid out again, at most ROUNDS times, as a change moves the pages
after it. Every decision reads one chapter's own pages (each chapter opens on a recto),
so a chapter settles the same laid out alone (chunked layout) or in the whole book. A
chapter's last page may stay short."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.html

from . import hyphens, ranges, weasy

MIN_FILL = 0.85  # of the text block's height: less is a hole
MIN_SCALE = 0.8  # a figure is never printed smaller than this of its natural height
ROUNDS = 6
SLACK = 20.0  # CSS px taken off a scaled figure beyond the overflow: margins, rounding
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
    would leave a hole deferred and every paragraph that hyphenates badly set again
    (hyphens.py); the document of the round that left the fewest faults, its page-range
    lists then set from the pages their targets landed on (ranges.py)."""
    root = lxml.html.document_fromstring(html)
    blocks: dict[str, Any] = {}
    for number, part in enumerate(e for e in root.iter() if _is(e, PARTS)):
        for index, child in enumerate(c for c in part if isinstance(c.tag, str)):
            key = f"{number}.{index}"
            child.set(FLOW, key)
            blocks[key] = child
    floats = {key for key, block in blocks.items() if _is(block, FLOATS)}
    natural: dict[str, float] = {}  # a scaled figure's image height before scaling
    setters = hyphens.stamp(root)
    html = _serialised(root)
    document = lay_out(html)
    best = (float("inf"), html)
    for round_ in range(ROUNDS + 1):
        holes, moves, scales = _deferrals(document, blocks, floats, natural)
        broken = hyphens.faults(document)
        faults = holes + len(broken)
        if faults < best[0]:
            best = (faults, html)
        if not faults or round_ == ROUNDS or not (moves or scales or broken):
            break
        for key in broken:
            hyphens.unhyphenate(setters[key])
        for block, place in moves:
            if block.getparent().index(place) < block.getparent().index(block):
                _move_before(block, place)
            else:
                _move_after(block, place)
        for image, height in scales:
            image.set("style", f"max-height: {height:.1f}px")
        html = _serialised(root)
        document = lay_out(html)
    # A change can open a hole further on: the round with the fewest faults is kept, laid
    # out again if it was not the last (the layout leaves state behind: weasy.margins).
    kept = document if best[1] is html else lay_out(best[1])
    return ranges.filled(best[1], kept, lay_out)


def _is(element: Any, kinds: set[tuple[str, str | None]]) -> bool:
    """Whether an element is one of (tag, class or None for any) `kinds`."""
    classes = (element.get("class") or "").split() if isinstance(element.tag, str) else []
    return any(element.tag == tag and (kind is None or kind in classes) for tag, kind in kinds)


def _serialised(root: Any) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def _deferrals(document: Any, blocks: dict[str, Any], floats: set[str], natural: dict[str, float]
               ) -> tuple[int, list[tuple[Any, Any]], list[tuple[Any, float]]]:
    """The number of holes floats leave, and (float, block to put it after) and (image,
    height to scale it to) for those that can be filled."""
    pages = [(p, weasy.text_block(p), weasy.marked_blocks(p, FLOW)) for p in document.pages]
    moves: list[tuple[Any, Any]] = []
    scales: list[tuple[Any, float]] = []
    holes = 0
    for before, (_, area, here), (page, _, there) in zip(
            [None, *pages], pages, pages[1:], strict=False):
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
        holes += 1
        run = [blocks[opener]]  # floats called one after the other go together
        for sibling in run[0].itersiblings():
            if sibling.get(FLOW) not in floats:
                break
            run.append(sibling)
        heights = {b[0]: b[2] - b[1] for b in there}
        after = (_filler(run[-1], hole, heights, floats, past_headings=False)
                 or _filler(run[-1], hole, heights, floats, past_headings=True))
        if after is not None:
            moves += [(block, after) for block in reversed(run)]
        else:
            scaled = _scaled(page, run[0], heights[opener] - hole, natural) if len(
                run) == 1 else None
            if scaled:
                scales.append(scaled)
                continue
            earlier = {b[0] for b in before[2]} if before else set()
            top_block = _page_top(here, earlier, blocks, floats, run[0])
            if top_block is not None and sum(
                    heights.get(b.get(FLOW), bottom - top) for b in run) < 0.9 * (bottom - top):
                moves += [(block, top_block) for block in run]
    return holes, moves, scales


def _page_top(here: list[tuple[str, float, float]], earlier: set[str], blocks: dict[str, Any],
              floats: set[str], block: Any) -> Any:
    """The first block that starts on a page (`here`; `earlier`: the keys on the page
    before), for floats that no text follows to go to the top of the page instead, or
    None when a float lies between it and `block` (floats keep their order)."""
    starts = [key for key, *_ in here if key not in earlier]
    if not starts:
        return None
    first = blocks[starts[0]]
    for sibling in first.itersiblings():
        if sibling is block:
            return first
        if sibling.get(FLOW) in floats:
            return None
    return None


def _filler(block: Any, hole: float, heights: dict[str, float], floats: set[str],
            past_headings: bool) -> Any:
    """The last of the blocks after `block` that together fill `hole`, stopping before
    another float (and a heading unless `past_headings`); None when no text follows."""
    filled, last = 0.0, None
    for sibling in block.itersiblings():
        key = sibling.get(FLOW)
        if not isinstance(sibling.tag, str) or key in floats:
            break  # floats keep their order (and their numbers)
        if sibling.tag in _HEADINGS and not past_headings:
            break
        last = sibling
        filled += heights.get(key, hole)  # not on the next page either: it is long
        if filled >= hole and sibling.tag not in _HEADINGS:
            break
    return last


def _scaled(page: Any, figure: Any, overflow: float,
            natural: dict[str, float]) -> tuple[Any, float] | None:
    """(image, height) that makes `figure` on `page` `overflow` px shorter, or None when
    it holds no image or that would take it under MIN_SCALE of its natural height."""
    inside = set(figure.iter())
    for image, height in weasy.image_heights(page):
        if image in inside:
            key = figure.get(FLOW)
            natural.setdefault(key, height)
            target = height - overflow - SLACK
            return (image, target) if target >= MIN_SCALE * natural[key] else None
    return None


def _move_after(block: Any, after: Any) -> None:
    """Move `block` to just after `after`, keeping the text around both in place."""
    _lift(block)
    block.tail = after.tail
    after.tail = None
    after.addnext(block)


def _move_before(block: Any, before: Any) -> None:
    """Move `block` to just before `before`, keeping the text around both in place."""
    _lift(block)
    before.addprevious(block)


def _lift(block: Any) -> None:
    """Give the text after `block` to what is before it, as it is about to move."""
    previous = block.getprevious()
    if block.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + block.tail
        else:
            parent = block.getparent()
            parent.text = (parent.text or "") + block.tail
    block.tail = None
