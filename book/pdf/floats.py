"""Deferred floats: a figure, table or key-figures box that does not fit where it is called
goes to the top of its page, after the text that fills the page, or is scaled down a
little, so no body page is left with a hole.

The convention is the one LaTeX follows for its floats: a float that does not fit where
it is called goes to the top of the next page (its "t" placement) and the text runs on
under it, the paragraph the page turns in included: that paragraph is cut where the page
turns and the float stands between its halves, which are set as the whole was (the first
half's last line justified, the second not indented), so it reads as one paragraph.

WeasyPrint has no page floats: a block that does not fit on what is left of a page goes to
the next one and leaves the rest of the page white. Here the print document is laid out,
and in each chapter the first body page filled to less than MIN_FILL of its text block
(its last page may be short; judged by its ink: INK) whose next page opens with such a
block (or a heading kept with one) is mended, the first way that works:

1. a figure is scaled down to fit the hole, or the figure that ends the page with the
   hole so that the float after it fits too, never under MIN_SCALE of its natural height
   (tables and boxes are not scaled): nothing moves;
2. the block, with the floats called right after it (a run), goes to the top of the page
   with the hole: before the first paragraph that starts on it after any float and after
   the chapter's title or, when none does, into the paragraph the page opens in, cut at
   the page's first line (Cut), as many of the run as fit there;
3. the run goes after the paragraphs that follow it, as many as fill the hole, never
   past another float (figures keep their order and numbers), past a heading only when
   one follows the run at once; never so that more than two floats end a chapter after
   its last text (one shares the page the text ends on, one stands on the last page;
   a third would leave a hole);
4. the run goes after what text there is before the next float (the next layout sees
   the rest of the hole, the run grown by the float it now meets).

A table taller than LONG of the text block is no float from the next layout on, nor is a
float that runs over pages (a table taller than a page, which `break-inside: avoid`
cannot keep whole: WeasyPrint sends it to the next page after a hole and breaks it
there anyway): it starts where it is called and breaks across pages, as LaTeX's
longtable does and printed reference books set long tables. Deferring one would take
the text that follows it away from it, page after page, and cost a layout a step.

A chapter whose last page holds no more than LEFTOVER lines of text, and nothing else,
has them pulled back as a compositor would: as many paragraphs on its last pages as
there are lines to pull back are set a line shorter by tracking them closer (letter-
spacing, TRACKING: 10 or 20 thousandths of an em; measured on generated text, 20 set six
paragraphs in eight a line shorter where word spaces 50 thousandths narrower set none),
those whose last lines are shortest for their length; where too few can be, paragraphs
whose last lines are nearly full are set a line longer by tracking them looser, so the
last page carries more than LEFTOVER lines. A leftover counts as a fault after the holes
and bad hyphenation, and a paragraph tracked for nothing as less still, so tracking
that mends nothing is not kept.

Only the first hole of a chapter: a change moves every page after it, so the next is
judged on the next layout. The document is laid out again, at most ROUNDS times. Each
part (chapter, back matter) opens on a recto, so its pages depend on it alone: each is
judged apart, stops changing when it has no fault left, nothing to change or PATIENCE
rounds without fewer faults, and is kept as it was in its round with the fewest faults.
Every decision thus reads one part's own pages and rounds, and a chapter ends alike laid
out alone (chunked layout) or in the whole book.

What this cannot mend: a run of floats taller than a page with no text left in the
chapter to go between them still leaves a short page."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import lxml.html

from . import hyphens, ranges, weasy

MIN_FILL = 0.85  # of the text block's height: less is a hole
INK = 0.01  # of the text block: how much lower a page's boxes reach than its ink (the
# half-leading and descent under its last line), so a hole is judged as a reader sees it
MIN_SCALE = 0.75  # a figure is never printed smaller than this of its natural height
LONG = 0.5  # of the text block's height: a taller table breaks where it is called
ROUNDS = 16
PATIENCE = 9  # rounds without fewer faults than the best before the layout stops trying
LEFTOVER = 2  # lines of text a chapter's last page holds, at most, to be pulled back
TRACKING = (0.01, 0.02)  # em a paragraph's letters may be set closer: 10 or 20 units
REACH = 1.5  # share of each line's width that tracking by 1 em frees (measured: 0.02 em
# took 4 % off the generated text's lines), less a margin for where lines can break
SLACK = 32.0  # CSS px taken off a scaled figure beyond the overflow: its margins, rounding
FLOW = "data-flow"  # stamped on every block of a chapter's flow, to find it on the pages
IMAGE = "data-flow-image"  # on a figure's image: its figure's FLOW key
FLOATS: set[tuple[str, str | None]] = {
    ("figure", "photo"), ("aside", "key-figures"), ("table", None)}
PARTS: set[tuple[str, str | None]] = {("section", "chapter"), ("section", "backmatter")}
_HEADINGS: set[str] = {"h1", "h2", "h3", "h4", "h5", "h6"}


def settled(html: str, lay_out: Callable[[str], Any]) -> Any:
    """`html` laid out by `lay_out` (html → WeasyPrint document) with every float that
    would leave a hole deferred and every paragraph that hyphenates badly set again
    (hyphens.py); each part (chapter, back matter) as it was in the round that left it the
    fewest faults, the page-range lists then set from the pages their targets landed on
    (ranges.py). The rounds' layouts leave out the margin boxes the kept one gets."""
    with weasy.margins_last():
        document = _mended(html, lay_out)
    return weasy.finished(document)


def _mended(html: str, lay_out: Callable[[str], Any]) -> Any:
    root = lxml.html.document_fromstring(html)
    blocks: dict[str, Any] = {}
    parts: dict[str, Any] = {}  # part number → its element
    for number, section in enumerate(e for e in root.iter() if _is(e, PARTS)):
        parts[str(number)] = section
        for index, child in enumerate(c for c in section if isinstance(c.tag, str)):
            key = f"{number}.{index}"
            child.set(FLOW, key)
            blocks[key] = child
    floats = {key for key, block in blocks.items() if is_float(block)}
    for key in floats:
        for image in blocks[key].iter("img"):
            image.set(IMAGE, key)
    natural: dict[str, float] = {}  # a scaled figure's image height before scaling
    setters = hyphens.stamp(root)
    owner = {element.get(hyphens.LINE): number for number, section in parts.items()
             for element in section.iter(*hyphens.SETTERS)}  # "" for what is in no part
    html = _serialised(root)
    document = lay_out(html)
    # Each part is judged apart (it opens on a recto: its pages depend on it alone), so
    # a part laid out alone (chunked layout) ends as it does in the whole book.
    # part → (fewest faults, a copy of it then, that round); the last round it was judged
    best: dict[str, tuple[tuple[float, ...], Any, int]] = {}
    judged: dict[str, int] = {}
    tracked: dict[str, int] = {}  # part → paragraphs tracked closer or looser (_leftovers)
    since: dict[str, int] = {}
    live = {"", *parts}
    for round_ in range(ROUNDS + 1):
        laid = _measured(document)
        long = _long(laid, blocks, floats)  # they break where they are called from now on
        for key in long:
            _add_style(blocks[key], "break-inside: auto")
        floats -= long
        holes, moves, scales = _deferrals(laid, blocks, floats, natural)
        broken = hyphens.faults(document)
        leftovers = _leftovers(laid, blocks)
        for part in sorted(live):
            # holes and bad hyphenation, then a leftover, then paragraphs tracked
            faults = (holes.get(part, 0) + sum(owner.get(key, "") == part for key in broken),
                      part in leftovers, tracked.get(part, 0))
            fewest = best[part][0] if part in best else (float("inf"),)
            if faults < fewest:
                since[part] = 0
            if faults <= fewest:  # ties go to the later round
                best[part] = (faults, copy.deepcopy(parts[part]) if part else None, round_)
            judged[part] = round_
            since[part] = since.get(part, 0) + 1
            changes = (part in moves or part in scales or bool(leftovers.get(part))
                       or any(key.split(".")[0] == part for key in long)
                       or any(owner.get(key, "") == part for key in broken))
            if (not any(faults[:2]) or round_ == ROUNDS or since[part] > PATIENCE
                    or not changes):
                live.discard(part)
        if not live:
            break
        for part in live & moves.keys():
            for block, place in moves[part]:
                if isinstance(place, Cut):  # floats go between a paragraph's halves
                    place = (place.second if place.second is not None
                             else cut(place, blocks, setters, owner))
                if block.getparent().index(place) < block.getparent().index(block):
                    _move_before(block, place)
                else:
                    _move_after(block, place)
        for part in live & scales.keys():
            for image, height in scales[part]:
                image.set("style", f"max-height: {height:.1f}px")
        for part in live - moves.keys() - {owner.get(key, "") for key in broken}:
            for paragraph, tracking in leftovers.get(part, []):  # nothing else to mend
                _add_style(paragraph, f"letter-spacing: {tracking}em")
                tracked[part] = tracked.get(part, 0) + 1
        # Page ranges from this layout's pages: the next one prints them, most often
        # right, so `ranges.filled` need not lay the book out once more for them.
        ranges.fill(root, weasy.anchor_pages(document))
        restyled_only = _serialised(root) == html  # only paragraphs set again
        mended = {key for key in broken if owner.get(key, "") in live}
        for key in mended:
            hyphens.unhyphenate(setters[key])
        html = _serialised(root)
        again = hyphens.relaid(document, mended) if restyled_only else None
        document = None  # the old pages go before the next layout is made: peak memory
        document = again or lay_out(html)
    # A change can open a hole further on: each part goes back to its best round, and
    # the book is laid out again if one did (the layout leaves state behind:
    # weasy.margins). A part whose best round was its last keeps its page-range lists
    # as ranges.fill has set them since.
    for part, (_, kept, round_) in best.items():
        if kept is not None and round_ != judged[part]:
            parts[part].getparent().replace(parts[part], kept)
    restored = _serialised(root)
    if restored != html:
        document = None  # as above
        document = lay_out(restored)
    return ranges.filled(restored, document, lay_out)


def _measured(document: Any) -> list[tuple[Any, tuple[float, float], list]]:
    """(page, its text block's top and bottom, its blocks of the flow: weasy.marked_blocks)
    for each page of a layout, read once a round."""
    return [(page, weasy.text_block(page), weasy.marked_blocks(page, FLOW))
            for page in document.pages]


def _long(laid: list, blocks: dict[str, Any], floats: set[str]) -> set[str]:
    """The floats that run over pages, and the tables taller than LONG of a page: these
    break where they are called, as LaTeX's longtable does, and as printed reference
    books set long tables (their heads repeated on each page)."""
    heights: dict[str, float] = {}
    seen: dict[str, int] = {}
    for _, (top, bottom), marked in laid:
        for key, start, end in marked:
            if key in floats:
                seen[key] = seen.get(key, 0) + 1
                heights[key] = heights.get(key, 0.0) + (end - start) / (bottom - top)
    return {key for key, count in seen.items()
            if count > 1 or (blocks[key].tag == "table" and heights[key] > LONG)}


def _leftovers(laid: list, blocks: dict[str, Any]) -> dict[str, list[tuple[Any, float]]]:
    """By part whose last page holds no more than LEFTOVER lines of text and nothing else,
    the paragraphs on its three last pages to track (TRACKING, in em: less than 0 sets
    closer), none tracked before: as many as there are lines to pull back, those whose
    last lines are shortest for their length (the least for each line to take on), set
    closer; or else as many as the last page lacks lines to hold more than LEFTOVER,
    those whose last lines are nearly full, set looser; none when too few are within
    REACH."""
    pages: dict[str, list[tuple[Any, list]]] = {}  # part → (page, its blocks)
    for page, _, marked in laid:
        for part in {key.split(".")[0] for key, *_ in marked}:
            pages.setdefault(part, []).append((page, marked))
    found: dict[str, list[tuple[Any, float]]] = {}
    for part, own in pages.items():
        last, marked = own[-1]
        leftover = weasy.lines(last)
        if (len(own) < 2 or not leftover or len(leftover) > LEFTOVER
                or any(blocks[key].tag != "p" for key, *_ in marked)):
            continue
        lines: dict[str, list[str]] = {}
        for page, _ in own[-3:]:
            for element, text in weasy.lines(page):
                key = element.get(FLOW) if element is not None else None
                if key in blocks and blocks[key].tag == "p" and key.split(".")[0] == part:
                    lines.setdefault(key, []).append(text)
        full = max(len(text) for texts in lines.values() for text in texts)
        last = {key: len(texts[-1]) / full for key, texts in lines.items() if len(texts) >= 3
                and "letter-spacing" not in (blocks[key].get("style") or "")}
        # set tighter, a line less each; or else looser, a line more each, so that the
        # last page carries more than LEFTOVER lines
        for sign, wanted in ((-1, len(leftover)), (1, LEFTOVER + 1 - len(leftover))):
            ease = sorted(((share if sign < 0 else 1 - share) / (len(lines[key]) - 1), key)
                          for key, share in last.items())
            found[part] = [(blocks[key], sign * min(t for t in TRACKING if need <= REACH * t))
                           for need, key in ease[:wanted] if need <= REACH * TRACKING[-1]]
            if len(found[part]) == wanted:
                break
            found[part] = []
    return found


def is_float(element: Any) -> bool:
    """Whether an element is a float this module may defer."""
    return _is(element, FLOATS)


def _is(element: Any, kinds: set[tuple[str, str | None]]) -> bool:
    """Whether an element is one of (tag, class or None for any) `kinds`."""
    classes = (element.get("class") or "").split() if isinstance(element.tag, str) else []
    return any(element.tag == tag and (kind is None or kind in classes) for tag, kind in kinds)


def _serialised(root: Any) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def _deferrals(pages: list, blocks: dict[str, Any], floats: set[str], natural: dict[str, float]
               ) -> tuple[dict[str, int], dict[str, list[tuple[Any, Any]]],
                          dict[str, list[tuple[Any, float]]]]:
    """By part: the number of body pages filled under MIN_FILL (its last page aside), and
    (float, block to put it after or before) and (image, height to scale it to) for its
    first hole that can be filled. Only the first: a change moves every page after it, so
    a later hole is judged again on the next layout."""
    moves: dict[str, list[tuple[Any, Any]]] = {}
    scales: dict[str, list[tuple[Any, float]]] = {}
    holes: dict[str, int] = {}
    for before, (here_page, area, here), (page, _, there) in zip(
            [None, *pages], pages, pages[1:], strict=False):
        if not here or not there:
            continue
        top, bottom = area
        chapter = here[-1][0].split(".")[0]
        if there[0][0].split(".")[0] != chapter:
            continue  # the chapter's last page may be short
        hole = bottom - max(b[2] for b in here)
        if (bottom - hole - top) / (bottom - top) >= MIN_FILL + INK:
            continue
        holes[chapter] = holes.get(chapter, 0) + 1
        opener = there[0][0]
        if blocks[opener].tag in _HEADINGS and len(there) > 1:
            opener = there[1][0]  # a heading kept with the float after it
        if chapter in moves or opener not in floats or any(b[0] == opener for b in here):
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
            moves[chapter], scales[chapter] = change
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
    place: Any = _page_top(here, earlier, blocks, floats, run[0])
    if place is not None:
        start = next(b[1] for b in here if b[0] == place.get(FLOW))
    else:  # no paragraph starts there: the one the page turns in is cut
        place, start = _page_turn(pages[0], here, earlier, blocks, floats, run[0]), top
    if place is not None:  # as many of the run as fit under what stays above them
        room = bottom - SLACK - start
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
    return first if _reaches(first, block, floats) else None


def _reaches(first: Any, block: Any, floats: set[str]) -> bool:
    """Whether `block` follows `first` with no other float between them."""
    for sibling in first.itersiblings():
        if sibling is block:
            return True
        if sibling.get(FLOW) in floats:
            return False
    return False


@dataclass
class Cut:
    """Where a page turns inside a paragraph (`offset`: the first character of the
    page's first line, in _slots order), for floats to go between its two halves; `second`
    is the half after the turn once it is cut."""

    paragraph: Any
    offset: int
    second: Any = None


def _page_turn(page: Any, here: list[tuple[str, float, float]], earlier: set[str],
               blocks: dict[str, Any], floats: set[str], block: Any) -> Cut | None:
    """The paragraph that runs from the page before onto `page` (`here`: its blocks,
    `earlier`: the keys on the page before), cut at the page's first line, for a run of
    floats from `block` on to go to the top of the page; None when the page does not
    open so or a float lies between them."""
    key = here[0][0]
    paragraph = blocks[key]
    if key not in earlier or paragraph.tag != "p" or not _reaches(paragraph, block, floats):
        return None
    lines = [text for element, text in weasy.lines(page)
             if element is not None and element.get(FLOW) == key]
    words = lines[0].split()[:-1] if lines else []  # the last may be hyphenated
    if len(words) < 3:
        return None
    source = "".join(getattr(node, slot) or "" for node, slot in _slots(paragraph))
    pattern = r"(?<!\w)" + r"\s+".join("\u00ad?".join(map(re.escape, w)) for w in words)
    found = [m.start() for m in re.finditer(pattern, source)]
    rest = sum(len(line) + 1 for line in lines)  # the paragraph's end is on this page
    return Cut(paragraph, min(found, key=lambda at: abs(len(source) - rest - at))) if (
        found) else None


def _slots(element: Any) -> Iterator[tuple[Any, str]]:
    """(node, "text" or "tail") of the text in `element`, in reading order (its own tail
    aside)."""
    yield element, "text"
    for child in element:
        if isinstance(child.tag, str):
            yield from _slots(child)
        yield child, "tail"


def cut(place: Cut, blocks: dict[str, Any], setters: dict[str, Any], owner: dict[str, str]
        ) -> Any:
    """Cut `place`'s paragraph in two where the page turned, the halves set as the whole
    was (the first's last line justified, the second not indented), and return the second:
    a new block of the flow and a new setter of lines (hyphens.py)."""
    first = place.paragraph
    second = copy.deepcopy(first)
    first.tail = None
    _clip(first, 0, place.offset)
    _clip(second, place.offset, None)
    ids = {element.get("id") for element in first.iter()} - {None}
    for element in second.iter():  # an element in both halves keeps its id in the first
        if element.get("id") in ids:
            del element.attrib["id"]
    key, line = first.get(FLOW) + "+", str(len(setters))
    second.set(FLOW, key)
    second.set(hyphens.LINE, line)
    blocks[key], setters[line] = second, second
    owner[line] = owner.get(first.get(hyphens.LINE), "")
    _add_style(first, "text-align-last: justify")
    _add_style(second, "text-indent: 0")
    first.addnext(second)
    place.second = second
    return second


def _clip(element: Any, start: int, end: int | None) -> None:
    """Keep only the characters from `start` to `end` of `element`'s text (_slots order),
    and of the elements in it those that hold some of them or stand among them."""
    position = 0
    spans: dict[Any, list[int]] = {}
    for node, slot in list(_slots(element)):
        text = getattr(node, slot) or ""
        if slot == "text":
            spans[node] = [position, position]
        else:
            spans[node][1] = position
        low = max(start - position, 0)
        high = len(text) if end is None else min(max(end - position, 0), len(text))
        setattr(node, slot, text[low:high] if high > low else None)
        position += len(text)
    for node in reversed(list(element.iterdescendants())):
        begins, ends = spans.get(node, (0, 0))
        inside = (begins < ends and ends > start and (end is None or begins < end)) or (
            begins == ends and begins >= start and (end is None or begins < end))
        if not inside and node.getparent() is not None:
            _lift(node)
            node.getparent().remove(node)


def _add_style(element: Any, declaration: str) -> None:
    style = element.get("style")
    element.set("style", f"{style}; {declaration}" if style else declaration)


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
