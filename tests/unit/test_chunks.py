"""Chunking the print edition (book/pdf/chunks.py): which parts go together, how links
across chunks are rewritten, and where laid-out chunks and their folios fall."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html as lxml_html

from book.model import PAGE_REF, Part, Rendition
from book.pdf.chunks import (
    LINK_BASE,
    SHEET,
    Laid,
    folio_pages,
    place,
    sheet_of,
    sheets_for,
    split,
    start_after,
)

HEAD = ('<html><head><title>T</title>\n<meta name="dcterms.created" content="2024-01-01"/>\n'
        '</head><body class="print">')
TAIL = "</body></html>"


def part(id_: str, kind: str, body: str) -> Part:
    return Part(id_, kind, id_.title(), f'<section id="{id_}">{body}</section>')


PARTS = (
    part("title", "titlepage", "<h1>Book</h1>"),
    part("toc", "toc", f'<a href="#one" {PAGE_REF}="">One</a> <a href="#two-x">Two</a>'),
    part("one", "chapter", '<p id="one-p">See <a href="#two-x">two</a> and <a href="#one-p">'
                           'here</a> and <a href="https://example.org/">out</a>.</p>'),
    part("two", "chapter", f'<h2 id="two-x">X</h2><a href="#one" {PAGE_REF}="">back</a>'),
    part("credits", "credits", "<p>Credits</p>"),
    part("contributors", "contributors", "<p>People</p>"),
)
RENDITION = Rendition("pdf", PARTS, HEAD + "".join(p.html for p in PARTS) + TAIL)


def links(chunk_html: str) -> list[tuple[str, str | None]]:
    """(href, data-page) of every link in a chunk, in order."""
    tree = lxml_html.fromstring(chunk_html)
    return [(a.get("href"), a.get("data-page")) for a in tree.iter("a")]


def test_front_matter_each_chapter_and_back_matter_are_chunks():
    chunks = split(RENDITION, {})
    assert [c.part_ids for c in chunks] == [("title", "toc"), ("one",), ("two",),
                                            ("credits", "contributors")]
    assert [c.index for c in chunks] == [0, 1, 2, 3]


def test_a_book_without_chapters_is_one_chunk():
    parts = (PARTS[0], PARTS[4])
    chunks = split(Rendition("pdf", parts, HEAD + TAIL), {})
    assert [c.part_ids for c in chunks] == [("title", "credits")]


def test_links_to_other_chunks_point_at_the_link_base():
    front, one, two, _ = split(RENDITION, {})
    assert links(front.html) == [(LINK_BASE + "one", "0"), (LINK_BASE + "two-x", None)]
    # a link inside its own chunk and an external one are left as they are
    assert links(one.html) == [(LINK_BASE + "two-x", None), ("#one-p", None),
                               ("https://example.org/", None)]
    assert links(two.html) == [(LINK_BASE + "one", "0")]


def test_page_references_print_the_known_page_and_are_listed():
    front, one, two, _ = split(RENDITION, {"one": 7, "two-x": 9})
    assert front.refs == (("one", 7),)  # only links marked as page references
    assert links(front.html)[0] == (LINK_BASE + "one", "7")
    assert one.refs == ()
    assert two.refs == (("one", 7),)


def test_only_the_first_chunk_keeps_the_dates():
    chunks = split(RENDITION, {})
    assert "dcterms.created" in chunks[0].html
    assert all("dcterms.created" not in c.html for c in chunks[1:])
    for chunk in chunks:
        assert chunk.html.startswith("<html><head><title>T</title>")
        assert chunk.html.rstrip().endswith(TAIL)


def test_a_chunk_holds_exactly_its_parts():
    chunks = split(RENDITION, {})
    for chunk in chunks:
        ids = set(lxml_html.fromstring(chunk.html).xpath("//section/@id"))
        assert ids == set(chunk.part_ids)


# ------------------------------------------------------------------- placing chunks

def laid(pages: int, folios: tuple[int, ...] = ()) -> Laid:
    return Laid(f"key{pages}", pages, {}, (), (), folios, Path("unused.pdf"))


@pytest.mark.parametrize("end, start", [(0, 1), (1, 3), (2, 3), (3, 5), (10, 11)])
def test_every_chunk_starts_on_a_recto(end, start):
    assert start_after(end) == start
    assert start % 2 == 1


def test_place_counts_pages_and_blank_versos():
    placed = place([laid(3), laid(4), laid(1), laid(2)])
    # 3 pages, a blank verso (4), then pages 5-8, then 9, a blank (10), then 11-12
    assert [p.offset for p in placed] == [0, 4, 8, 10]
    assert [p.end for p in placed] == [3, 8, 9, 12]
    assert place([]) == ()


def test_folio_pages_are_book_pages():
    placed = place([laid(3, folios=(2, 3)), laid(2, folios=(1, 2))])
    assert folio_pages(placed) == [2, 3, 5, 6]


@pytest.mark.parametrize("page, sheet", [
    (2, (2, 1)), (3, (2, 2)), (SHEET + 1, (2, SHEET)),
    (SHEET + 2, (SHEET + 2, 1)), (2 * SHEET + 1, (SHEET + 2, SHEET)),
])
def test_sheet_of(page, sheet):
    assert sheet_of(page) == sheet


def test_sheets_keep_rectos_and_versos():
    """Page 0 of a sheet is an unused odd page, so sheet page i has the parity of book page
    first + i - 1 and every sheet starts on an even book page."""
    for page in range(2, 5 * SHEET):
        first, index = sheet_of(page)
        assert first % 2 == 0 and 1 <= index <= SHEET
        assert first + index - 1 == page


def test_sheets_for_lists_each_sheet_once():
    placed = place([laid(SHEET + 10, folios=(2, 3, SHEET + 5))])
    assert sheets_for(placed) == [2, SHEET + 2]
