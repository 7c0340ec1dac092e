"""weasy.html_tree reads the builder's print HTML into the tree WeasyPrint's own parser
(tinyhtml5) makes, ten times faster: element for element, with the same attributes,
text and tails, but for the whitespace around <head> and <body>, which lays nothing out."""

from __future__ import annotations

import pytest
import tinyhtml5

from book.pdf import weasy
from book.pdf.chunks import split
from book.pipeline import edition_from_env, load_book
from book.render.html import render_print
from conftest import REPO


def nodes(element, depth: int = 0, out: list | None = None) -> list:
    """(depth, tag, attributes, text, tail) of every node, in document order; the text and
    tails of the document's top (html, head, body and the blocks in it) only where they
    are more than whitespace."""
    out = [] if out is None else out
    tag = element.tag if isinstance(element.tag, str) else "comment"
    text, tail = element.text or "", element.tail or ""
    out.append((depth, tag, sorted(element.attrib.items()) if tag != "comment" else [],
                text.strip() if depth <= 1 else text, tail.strip() if depth <= 2 else tail))
    for child in element:
        nodes(child, depth + 1, out)
    return out


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    book = load_book(REPO, edition_from_env())
    return [chunk.html for chunk in split(render_print(book), {})]


def test_the_print_html_reads_as_tinyhtml5_reads_it(chunks):
    plain = [html for html in chunks if not weasy._FOREIGN.search(html)]
    assert len(plain) > 5
    for html in plain:
        assert nodes(weasy.html_tree(html)) == nodes(
            tinyhtml5.parse(html, namespace_html_elements=False))


def test_weasyprint_reads_plain_html_so_and_foreign_content_with_tinyhtml5(monkeypatch):
    weasy.load()
    from weasyprint import HTML

    read = []
    monkeypatch.setattr(weasy, "html_tree", lambda html: read.append(html) or tinyhtml5.parse(
        html, namespace_html_elements=False))
    HTML(string="<html><head></head><body><p>plain</p></body></html>")
    HTML(string="<html><head></head><body><p><svg></svg></p></body></html>")
    assert read == ["<html><head></head><body><p>plain</p></body></html>"]


def test_what_it_cannot_read_goes_to_tinyhtml5():
    weasy.load()
    from weasyprint import HTML

    svg = HTML(string='<p>a <svg viewBox="0 0 1 1"><path d="M0 0"/></svg> b</p>')
    element = next(e for e in svg.etree_element.iter() if "svg" in str(e.tag))
    assert element.tag == "{http://www.w3.org/2000/svg}svg"
    assert element.get("viewBox") == "0 0 1 1"  # its case kept: libxml2 lowers it
    html = "<html><head></head><body><p>a<!-- note -->b <?php x ?>c</p></body></html>"
    assert nodes(weasy.html_tree(html)) == nodes(  # nothing lost around what is no element
        tinyhtml5.parse(html, namespace_html_elements=False))
