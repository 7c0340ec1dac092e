"""Split the print rendition into chunks that can be laid out apart: the front matter, each
chapter, and the back matter. Worker processes lay chunks out in parallel and an unchanged
chunk comes back from the cache; the stitcher joins their PDFs.

Every chunk starts on a recto, as it does in the whole book, so a chunk lays out the same
wherever it falls. The only thing it cannot know alone is where another chunk's anchors
land: a page reference (a link marked PAGE_REF: contents, picture credits, cross-references,
glossary) carries the book's page number as `data-page` (print.css prints it in place of
target-counter, which counts the chunk's pages), and a link to another chunk points at
LINK_BASE, which the stitcher turns back into a link to the named destination.

A laid-out chunk (Laid) is placed in the book (Placed) after the chunks before it; its
folios come from folio sheets of SHEET pages (see workers.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .. import fragments
from ..model import PAGE_REF, RUN_ON, PageMark, Part, Rendition
from . import ranges
from .floats import is_float
from .spreads import SAME_SPREAD, facing, references

# A scheme of the builder's own, never a real address; and not http(s):, so that a link to
# another chunk lays out as the internal link it is (print.css sets links that leave the
# book without hyphens).
LINK_BASE = "book-chunk:#"
SHEET = 50  # pages per folio sheet


@dataclass(frozen=True)
class Chunk:
    """One separately laid-out piece of the print edition."""

    index: int
    part_ids: tuple[str, ...]
    html: str
    refs: tuple[tuple[str, int], ...]  # (anchor in another chunk, page number printed)
    floats: int = 0  # floats it holds: each may cost it a layout round (floats.py)

    @property
    def cost(self) -> int:
        """What laying it out is expected to cost, to lay out the dearest chunks first."""
        return len(self.html) * (1 + self.floats)


def _groups(parts: tuple[Part, ...]) -> list[tuple[Part, ...]]:
    """Front matter, then one chunk per chapter or data page, then the back matter; back
    matter that runs on (RUN_ON: it may open on a verso) is laid out with the last chapter,
    since a chunk always opens on a recto."""
    chapters = [i for i, p in enumerate(parts) if p.kind == "chapter"]
    if not chapters:
        return [parts]
    first, last = chapters[0], chapters[-1]
    groups = [parts[:first]] if first else []
    groups += [(p,) for p in parts[first:last + 1]]
    back = parts[last + 1:]
    if back and _runs_on(back[0]):
        groups[-1] += back
    elif back:
        groups.append(back)
    return groups


def _runs_on(part: Part) -> bool:
    root = fragments.parse(part.html)
    return next(c for c in root if isinstance(c.tag, str)).get(RUN_ON) is not None


_METADATA = re.compile(r'<meta name="dcterms\.[a-z]+" content="[^"]*"/>\n?')


def _shell(html: str) -> tuple[str, str]:
    """The document around the parts: everything up to the end of <body ...>, and after."""
    start = html.index(">", html.index("<body")) + 1
    return html[:start] + "\n", html[html.rindex("</body>"):]


def split(rendition: Rendition, pages: dict[str, int], spreads: bool = True
          ) -> tuple[Chunk, ...]:
    """The chunks of a print rendition; `pages` gives the page of every anchor known so far
    (an unknown one prints 0 until the next round). With `spreads`, a cross-reference to
    another chunk that faces its target on those pages prints no page (spreads.py decides
    the same within a chunk); its own page joins the chunk's refs, so a round that moves it
    lays the chunk out again."""
    groups = _groups(rendition.parts)
    trees = [[fragments.parse(p.html) for p in group] for group in groups]
    owner: dict[str, int] = {}
    for index, roots in enumerate(trees):
        for root in roots:
            for element in root.iter():
                element_id = element.get("id") if isinstance(element.tag, str) else None
                if element_id:
                    owner[element_id] = index
    head, tail = _shell(rendition.html)
    chunks = []
    for index, (group, roots) in enumerate(zip(groups, trees, strict=True)):
        refs: dict[str, int] = {}
        for root in roots:
            # Page ranges (ranges.py) are set here from the book's pages, not by the
            # chunk's own layout, which counts the chunk's: every target counts, shown or not.
            refs.update((name, pages.get(name, 0)) for name in ranges.targets(root))
            ranges.fill(root, pages)
            ranges.settle(root)
            cross_references = references(root)
            for anchor in root.iter("a"):
                href = anchor.get("href") or ""
                target = unquote(href[1:])  # lxml's HTML writer percent-encodes non-ASCII hrefs
                if not href.startswith("#"):
                    continue
                if owner.get(target, index) != index:
                    anchor.set("href", LINK_BASE + target)
                # A page reference inside the chunk too: target-counter would count the
                # chunk's pages, not the book's (a cross-reference to a table nearby).
                if anchor.get(PAGE_REF) is not None:
                    refs[target] = pages.get(target, 0)
                    anchor.set("data-page", ranges.numeral(refs[target], rendition.digits))
                name = anchor.get("id")
                if (spreads and name in cross_references and owner.get(target, index) != index):
                    refs[name] = pages.get(name, 0)
                    if facing(pages.get(name), pages.get(target)):
                        anchor.set(SAME_SPREAD, "")
        body = "\n".join(fragments.inner(root) for root in roots)
        # Only the first chunk's metadata (dates) reaches the book's PDF: the others leave
        # it out, so that their content alone keys them in the cache.
        shell = head if index == 0 else _METADATA.sub("", head)
        chunks.append(Chunk(index, tuple(p.id for p in group), shell + body + "\n" + tail,
                            tuple(sorted(refs.items())),
                            sum(is_float(e) for root in roots for e in root.iter())))
    return tuple(chunks)


@dataclass(frozen=True)
class Laid:
    """One chunk laid out and written on its own; its pages count from 1."""

    key: str
    pages: int
    anchors: dict[str, int]  # anchor id → page of the chunk
    marks: tuple[PageMark, ...]  # labels are pages of the chunk
    warnings: tuple[tuple[int, str], ...]  # (page of the chunk, text; see layout.numbered)
    folios: tuple[int, ...]  # pages of the chunk whose folio was taken off
    pdf: Path


@dataclass(frozen=True)
class Placed:
    """A laid-out chunk where it falls in the book."""

    laid: Laid
    offset: int  # pages of the book before the chunk's first page

    @property
    def end(self) -> int:
        return self.offset + self.laid.pages


@dataclass(frozen=True)
class BookLayout:
    """The chunks in book order, and the folio sheets their folios come from."""

    chunks: tuple[Placed, ...]
    sheets: dict[int, Path]  # first folio page of a sheet → its PDF

    @property
    def pages(self) -> int:
        return self.chunks[-1].end if self.chunks else 0

    def folio_pages(self) -> list[int]:
        return folio_pages(self.chunks)


def folio_pages(chunks: tuple[Placed, ...]) -> list[int]:
    """The book's pages that carry a folio."""
    return [placed.offset + page for placed in chunks for page in placed.laid.folios]


def sheets_for(chunks: tuple[Placed, ...]) -> list[int]:
    """The folio sheets (by first page) the folios of `chunks` are on."""
    return sorted({sheet_of(page)[0] for page in folio_pages(chunks)})


def start_after(end: int) -> int:
    """Where the next chunk starts: every chunk opens on a recto, after a blank verso when
    the chunk before ends on a recto."""
    return end + 1 + (end % 2)


def place(laid: list[Laid]) -> tuple[Placed, ...]:
    placed, end = [], 0
    for entry in laid:
        placed.append(Placed(entry, start_after(end) - 1))
        end = placed[-1].end
    return tuple(placed)


def sheet_of(page: int) -> tuple[int, int]:
    """(first page of the folio sheet holding `page`'s folio, index of `page` in it). A
    sheet's page 0 is an unused odd page before its first (WeasyPrint's :first rules apply
    to it), so that the sheet's pages are rectos and versos as the book's are."""
    first = (page - 2) // SHEET * SHEET + 2
    return first, page - first + 1
