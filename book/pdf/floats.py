"""Deferred floats: a figure, table or key-figures box that does not fit where it is called
goes to the top of its page, after the text that fills the page, or is scaled down a
little, so no body page is left with a hole.

WeasyPrint has no page floats: a block that does not fit on what is left of a page goes to
the next one and leaves the rest of the page white. Here the print document is laid out,
and in each chapter the first body page filled to less than MIN_FILL of its text block
(its last page may be short) whose next page opens with such a block (or a heading kept
with one) is mended, the first way that works:

1. a figure is scaled down to fit the hole, or the figure that ends the page with the
   hole so that the float after it fits too, never under MIN_SCALE of its natural height
   (tables and boxes are not scaled): nothing moves;
2. the block, with the floats called right after it (a run), goes to the top of the page
   with the hole: before the first paragraph that starts on it after any float and after
   the chapter's title, as many of the run as fit there;
3. the run goes after the paragraphs that follow it, as many as fill the hole, never
   past another float (figures keep their order and numbers), past a heading only when
   one follows the run at once; never so that more than two floats end a chapter after
   its last text (one shares the page the text ends on, one stands on the last page;
   a third would leave a hole);
4. the run goes after what text there is before the next float (the next layout sees
   the rest of the hole, the run grown by the float it now meets).

Only the first hole of a chapter: a change moves every page after it, so the next is
judged on the next layout. The document is laid out again, at most ROUNDS times, and
the round with the fewest faults is kept (PATIENCE rounds without fewer end the search).
Every decision reads one chapter's own pages (each chapter opens on a recto), so a
chapter is mended alike laid out alone (chunked layout) or in the whole book.

What this cannot mend: floats that outrun their chapter's text (a run of figures taller
than a page with no paragraph left to go between them) still leave a short page; a
paragraph is never split to put a float inside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lxml.html

from . import hyphens, ranges, weasy

MIN_FILL = 0.85  # of the text block's height: less is a hole
MIN_SCALE = 0.75  # a figure is never printed smaller than this of its natural height
ROUNDS = 12
PATIENCE = 5  # rounds without fewer faults than the best before the layout stops trying
SLACK = 32.0  # CSS px taken off a scaled figure beyond the overflow: its margins, rounding
FLOW = "data-flow"  # stamped on every block of a chapter's flow, to find it on the pages
IMAGE = "data-flow-image"  # on a figure's image: its figure's FLOW key
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
    for key in floats:
        for image in blocks[key].iter("img"):
            image.set(IMAGE, key)
    natural: dict[str, float] = {}  # a scaled figure's image height before scaling
    setters = hyphens.stamp(root)
    html = _serialised(root)
    document = lay_out(html)
    best, since_best = (float("inf"), html), 0
    for round_ in range(ROUNDS + 1):
        holes, moves, scales = _deferrals(document, blocks, floats, natural)
        broken = hyphens.faults(document)
        faults = holes + len(broken)
        if faults < best[0]:
            since_best = 0
        if faults <= best[0]:  # ties go to the later round: a chapter laid out alone
            best = (faults, html)  # (chunked) then keeps what it keeps in the whole book
        since_best += 1
        if (not faults or round_ == ROUNDS or since_best > PATIENCE
                or not (moves or scales or broken)):
            break
        for block, place in moves:
            if block.getparent().index(place) < block.getparent().index(block):
                _move_before(block, place)
            else:
                _move_after(block, place)
        for image, height in scales:
            image.set("style", f"max-height: {height:.1f}px")
        # Page ranges from this layout's pages: the next one prints them, most often
        # right, so `ranges.filled` need not lay the book out once more for them.
        ranges.fill(root, weasy.anchor_pages(document))
        restyled_only = _serialised(root) == html  # only paragraphs set again
        for key in broken:
            hyphens.unhyphenate(setters[key])
        html = _serialised(root)
        document = (restyled_only and hyphens.relaid(document, broken)) or lay_out(html)
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
    """The number of body pages filled under MIN_FILL (a chapter's last page aside), and
    (float, block to put it after or before) and (image, height to scale it to) for the
    first hole of each chapter that can be filled. Only the first: a change moves every
    page after it, so a later hole is judged again on the next layout."""
    pages = [(p, weasy.text_block(p), weasy.marked_blocks(p, FLOW)) for p in document.pages]
    moves: list[tuple[Any, Any]] = []
    scales: list[tuple[Any, float]] = []
    holes = 0
    settling: set[str] = set()  # chapters with a change this round
    for before, (here_page, area, here), (page, _, there) in zip(
            [None, *pages], pages, pages[1:], strict=False):
        if not here or not there:
            continue
        top, bottom = area
        chapter = here[-1][0].split(".")[0]
        if there[0][0].split(".")[0] != chapter:
            continue  # the chapter's last page may be short
        hole = bottom - max(b[2] for b in here)
        if (bottom - hole - top) / (bottom - top) >= MIN_FILL:
            continue
        holes += 1
        opener = there[0][0]
        if blocks[opener].tag in _HEADINGS and len(there) > 1:
            opener = there[1][0]  # a heading kept with the float after it
        if chapter in settling or opener not in floats or any(b[0] == opener for b in here):
            continue
        run = [blocks[opener]]  # floats called one after the other go together
        for sibling in run[0].itersiblings():
            if sibling.get(FLOW) not in floats:
                break
            run.append(sibling)
        heights = {b[0]: b[2] - b[1] for b in there}
        earlier = {b[0] for b in before[2]} if before else set()
        change = _fix(run, hole, heights, (top, bottom), here, earlier, blocks, floats,
                      (here_page, page), natural)
        if change is not None:
            settling.add(chapter)
            found_moves, found_scales = change
            moves += found_moves
            scales += found_scales
    return holes, moves, scales


def _fix(run: list[Any], hole: float, heights: dict[str, float], area: tuple[float, float],
         here: list[tuple[str, float, float]], earlier: set[str], blocks: dict[str, Any],
         floats: set[str], pages: tuple[Any, Any], natural: dict[str, float]
         ) -> tuple[list[tuple[Any, Any]], list[tuple[Any, float]]] | None:
    """(moves, scales) that fill the hole before a run of floats, the first way that works
    (the module's list): scale its first figure, or the figure that ends the page with
    the hole so that the run's first float fits under it; put as much of it as fits at the top of
    the page with the hole; defer it past text that fills the hole; defer it past what
    text there is. None when nothing helps."""
    top, bottom = area
    overflow = heights[run[0].get(FLOW)] - hole
    scaled = _scaled(pages[1], run[0], overflow, natural)
    if not scaled and here[-1][0] in floats:  # or the figure above the hole, making room
        scaled = _scaled(pages[0], blocks[here[-1][0]], overflow, natural)
    if scaled:
        return [], [scaled]
    place = _page_top(here, earlier, blocks, floats, run[0])
    if place is not None:  # as many of the run as fit under what stays above them
        room = bottom - SLACK - next(b[1] for b in here if b[0] == place.get(FLOW))
        fit = []
        for block in run:
            room -= heights.get(block.get(FLOW), bottom - top)
            if room < 0:
                break
            fit.append(block)
        if fit:
            return [(block, place) for block in fit], []
    deferred = _deferred(run, hole, heights, floats, whole=True)
    if deferred:
        return deferred, []
    deferred = _deferred(run, hole, heights, floats, whole=False)
    if deferred:
        return deferred, []
    return None


def _deferred(run: list[Any], hole: float, heights: dict[str, float], floats: set[str],
              whole: bool) -> list[tuple[Any, Any]]:
    """(float, block to put it after) for a run deferred past the text that follows it
    (_filler), its own section's first; none when no text follows, or when more than two
    floats would then end their chapter (after the last text, one float can share the
    page its end falls on and one stand on the chapter's last page; a third leaves a
    hole)."""
    for past_headings in (False, True):
        after = _filler(run[-1], hole, heights, floats, past_headings, whole)
        if after is None:
            continue
        rest = [b for b in after.itersiblings() if isinstance(b.tag, str)]
        if len(run) + len(rest) <= 2 or any(b.get(FLOW) not in floats for b in rest):
            return [(block, after) for block in reversed(run)]
    return []


def _page_top(here: list[tuple[str, float, float]], earlier: set[str], blocks: dict[str, Any],
              floats: set[str], block: Any) -> Any:
    """The first block of text that starts on a page (`here`; `earlier`: the keys on the
    page before) after any float on it and after its chapter's title, for a run of floats
    to go before instead of leaving a hole after the page; None when there is none or a
    float lies between it and `block` (floats keep their order)."""
    starts = [key for key, *_ in here if key not in earlier]
    last_float = max((i for i, key in enumerate(starts) if key in floats), default=-1)
    starts = [key for key in starts[last_float + 1:] if blocks[key].tag not in _HEADINGS
              and any(b.tag == "h1" for b in blocks[key].itersiblings(preceding=True))]
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
            past_headings: bool, whole: bool) -> Any:
    """The last of the blocks after `block` that together fill `hole`, stopping before
    another float (and a heading unless `past_headings`); None when no text follows, or
    when `whole` and the text before the next stop does not fill the hole."""
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
            return last
    return None if whole else last


def _scaled(page: Any, figure: Any, overflow: float,
            natural: dict[str, float]) -> tuple[Any, float] | None:
    """(image, height) that makes `figure` on `page` `overflow` px shorter, or None when
    it holds no image or that would take it under MIN_SCALE of its natural height."""
    key = figure.get(FLOW)
    for image, height in weasy.image_heights(page):
        if image.get(IMAGE) == key:  # the layout's own element: found by its mark
            natural.setdefault(key, height)
            target = height - max(overflow, 0.0) - SLACK
            return (next(figure.iter("img")), target) if (
                target >= MIN_SCALE * natural[key]) else None
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
