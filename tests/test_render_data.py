"""Fast tests of the model's data and the markup render makes of it, without building an
edition: key-figures boxes, timeline and glossary pages are data after parsing; templates
make their markup; one attribute (PAGE_REF) marks every page reference print prints, for
print.css and for the chunked layout alike."""

from __future__ import annotations

import re
import shutil

import pytest
import tinycss2
from lxml import html

from book.errors import BookError
from book.model import (
    BLOCK_SLOT,
    PAGE_RANGES,
    PAGE_REF,
    Edition,
    KeyFigures,
    Part,
    Rendition,
    TimelineEvent,
    chapter_id,
)
from book.pdf.chunks import LINK_BASE, split
from book.pipeline import load_book
from book.render.html import render_epub, render_print, render_web
from book.render.theme import THEME
from book.source.datapages import parse_data_page
from book.source.parse import parse_chapter
from conftest import MINI

KEY_FIGURES = """
```key-figures Tide in numbers
twice | a day the sea *draws back*
8 hours | uncovered, upper shore
```
"""
GLOSSARY = '''kind = "glossary"
title = "Glossary"
intro = "Words the *guide* uses."

[[terms]]
term = "rock pool"
definition = "A small sea with a lid of sky."

[[terms]]
term = "barnacle"
definition = "A crustacean glued to rock."
'''
ONE, TWO = chapter_id("chapters/one.md"), chapter_id("chapters/two.md")
GLOSSARY_ID = chapter_id("chapters/glossary.toml")
TIMELINE_ID = chapter_id("chapters/timeline.toml")
TIMELINE = '''kind = "timeline"
title = "Timeline"

[[events]]
date = "Spring <tide>"
title = "The *sea* draws back"
note = "The shore is left to itself."
link = "one.md#rock-pools"

[[events]]
date = "Neap tide"
title = "Little change"
note = "The pools stay full."
'''


def _xpath(markup: str, query: str) -> list:
    return html.fragment_fromstring(markup, create_parent="div").xpath(query)


def test_key_figures_are_data_in_a_slot():
    chapter = parse_chapter("chapters/a.md", "# Title\n\nBefore.\n" + KEY_FIGURES + "\nAfter.\n")
    assert chapter.blocks == (KeyFigures("Tide in numbers", (
        ("twice", "a day the sea <em>draws back</em>"),
        ("8 hours", "uncovered, upper shore"))),)
    assert "key-figures" not in chapter.body and "<aside" not in chapter.body
    slots = _xpath(chapter.body, f"//div[@{BLOCK_SLOT}]")
    assert [s.get(BLOCK_SLOT) for s in slots] == ["0"]
    assert slots[0].getprevious().text == "Before."


def test_raw_html_may_not_forge_a_block_slot():
    text = "# Title\n\nText.\n\n<div data-block=\"0\"></div>\n"
    with pytest.raises(BookError) as caught:
        parse_chapter("chapters/a.md", text)
    [problem] = caught.value.problems
    assert problem.line == 5 and BLOCK_SLOT in problem.message


def test_key_figures_line_without_a_bar_is_located():
    text = "# Title\n\n```key-figures\n12 | months\nno bar here\n```\n"
    with pytest.raises(BookError) as caught:
        parse_chapter("chapters/a.md", text)
    assert [p.line for p in caught.value.problems] == [5]


def test_data_pages_carry_data_not_markup():
    timeline = parse_data_page("chapters/timeline.toml", TIMELINE)
    assert timeline.body == ""
    assert timeline.events == (
        TimelineEvent("Spring <tide>", "The <em>sea</em> draws back",
                      "The shore is left to itself.", f"{ONE}--rock-pools"),
        TimelineEvent("Neap tide", "Little change", "The pools stay full.", ""))
    glossary = parse_data_page("chapters/glossary.toml", GLOSSARY)
    assert glossary.body == "" and glossary.intro == "Words the <em>guide</em> uses."
    assert [t.term for t in glossary.terms] == ["barnacle", "rock pool"]  # sorted


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    project = tmp_path_factory.mktemp("data") / "project"
    shutil.copytree(MINI, project)
    one = project / "chapters" / "one.md"
    one.write_text(one.read_text("utf-8") + KEY_FIGURES, "utf-8")
    (project / "chapters" / "glossary.toml").write_text(GLOSSARY, "utf-8")
    (project / "chapters" / "timeline.toml").write_text(TIMELINE, "utf-8")
    manifest = project / "book.toml"
    manifest.write_text(re.sub(
        r"^chapters = .*$", 'chapters = ["chapters/one.md", "chapters/two.md", '
        '"chapters/timeline.toml", "chapters/glossary.toml"]',
        manifest.read_text("utf-8"), flags=re.M), "utf-8")
    return load_book(project, Edition("", 1700000000))


def _part(rendition: Rendition, part_id: str) -> str:
    return next(p.html for p in rendition.parts if p.id == part_id)


def test_templates_make_the_data_pages(book):
    for rendition in (render_print(book), render_web(book)):
        timeline = _part(rendition, TIMELINE_ID)
        items = _xpath(timeline, "//ol[@class='timeline']/li")
        assert [li.xpath("string(p[@class='timeline-date'])") for li in items] == [
            "Spring <tide>", "Neap tide"]
        assert [a.get("href") for a in _xpath(timeline, "//a[@class='timeline-link']")] in (
            [[f"#{ONE}--rock-pools"], [f"{ONE}.html#{ONE}--rock-pools"]])
        glossary = _part(rendition, GLOSSARY_ID)
        assert _xpath(glossary, "string(//p[@class='intro'])") == "Words the guide uses."
        assert [dt.get("id") for dt in _xpath(glossary, "//dl[@class='glossary']/dt")] == [
            f"{GLOSSARY_ID}--barnacle", f"{GLOSSARY_ID}--rock-pool"]
        barnacle = _xpath(glossary, "//dl[@class='glossary']/dd")[0]  # used nowhere
        assert barnacle.text_content() == "A crustacean glued to rock."
    box = _xpath(_part(render_print(book), ONE), "//aside[@class='key-figures']")
    assert len(box) == 1 and box[0].xpath("string(p)") == "Tide in numbers"
    assert [dt.text_content() for dt in box[0].iter("dt")] == ["twice", "8 hours"]
    assert not box[0].xpath(".//a[@class='glossary-term']")  # a box links no term


def test_print_marks_every_page_reference_and_only_print(book):
    rendition = render_print(book)
    document = html.document_fromstring(rendition.html)
    marked = document.xpath(f"//a[@{PAGE_REF}]")
    expected = document.xpath(
        "//nav[@id='contents']//a | //*[@id='photo-credits']//dt/a"
        " | //a[@class='glossary-term'] | //*[@class='glossary-uses']//a"
        " | //a[@class='timeline-link']")  # the timeline's "See page N" in print
    assert set(marked) == set(expected)
    kinds = {a.get(PAGE_REF) for a in marked}
    # contents and uses, credits, terms, the timeline's "See page" (kept on one line by
    # print.css's nowrap)
    assert kinds == {"", ", page ", "\u2009\u2192", " "}
    [uses] = document.xpath("//*[@class='glossary-uses']")  # rock pool, in both chapters
    assert uses.text == " Pages\u00a0"  # never broken from its number
    assert len(uses.xpath(".//a")) == 2
    assert uses[0].get(PAGE_RANGES) == " ".join(a.get("href")[1:] for a in uses.xpath(".//a"))
    assert not document.xpath(f"//*[@{BLOCK_SLOT}]")
    for other in (render_epub(book), render_web(book)):
        for part in other.parts:
            assert PAGE_REF not in part.html and BLOCK_SLOT not in part.html, part.id
        assert "glossary-term" in _part(other, ONE)


def test_epub_glossary_semantics(book):
    glossary = _part(render_epub(book), GLOSSARY_ID)
    assert 'epub:type="glossterm"' in glossary and 'epub:type="glossdef"' in glossary
    assert re.search(rf'<span class="glossary-uses"> Used in: '
                     rf'<a href="{re.escape(ONE)}\.xhtml#[^"]+" class="use-ref">Tides</a>, '
                     rf'<a href="{re.escape(TWO)}\.xhtml#[^"]+" '
                     r'class="use-ref">Crabs and snails</a>\.</span>', glossary)


def _rendition(parts: list[Part]) -> Rendition:
    body = "".join(p.html for p in parts)
    return Rendition("pdf", tuple(parts), f"<html><head></head><body>\n{body}</body></html>")


def test_split_numbers_only_marked_references_across_chunks():
    parts = [
        Part("contents", "toc", "Contents",
             f'<nav><a href="#ch-a" {PAGE_REF}="">A</a><a href="#ch-b">B</a></nav>'),
        Part("ch-a", "chapter", "A", f'<section id="ch-a"><a href="#ch-b--x" {PAGE_REF}="">x</a>'
                                     f'<a href="#ch-a">self</a></section>'),
        Part("ch-b", "chapter", "B", '<section id="ch-b"><p id="ch-b--x">x</p></section>'),
    ]
    chunks = split(_rendition(parts), {"ch-a": 5, "ch-b--x": 9})
    assert [c.part_ids for c in chunks] == [("contents",), ("ch-a",), ("ch-b",)]
    front, first, _ = chunks
    assert front.refs == (("ch-a", 5),)
    links = _xpath(front.html.split("<body>")[1].split("</body>")[0], "//a")
    assert [(a.get("href"), a.get("data-page")) for a in links] == [
        (LINK_BASE + "ch-a", "5"), (LINK_BASE + "ch-b", None)]
    assert first.refs == (("ch-b--x", 9),)
    assert 'href="#ch-a"' in first.html  # a link inside its own chunk stays as it is


def test_print_css_prints_page_numbers_only_for_marked_links():
    """Every target-counter() and data-page in print.css is on a PAGE_REF selector, and both
    the single-document and the chunked forms exist."""
    sheet = tinycss2.parse_stylesheet((THEME / "print.css").read_text("utf-8"),
                                      skip_comments=True, skip_whitespace=True)
    numbering = []
    for rule in sheet:
        if rule.type != "qualified-rule":
            continue
        body = tinycss2.serialize(rule.content)
        if "target-counter" in body or "attr(data-page)" in body:
            numbering.append(tinycss2.serialize(rule.prelude).strip())
    assert numbering and all(f"a[{PAGE_REF}]" in s for s in numbering), numbering
    assert f"a[{PAGE_REF}]::after" in numbering
    assert f"a[{PAGE_REF}][data-page]::after" in numbering
