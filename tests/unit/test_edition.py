"""chunked_layout_allowed: a project stylesheet that needs the whole document (strings,
cross-references, page counters) keeps the print edition in one layout (book/pdf/edition.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import tinycss2

from book.model import Asset
from book.pdf import weasy
from book.pdf.edition import _shares_pages, chunked_layout_allowed


def book_with(*sheets: str) -> SimpleNamespace:
    """What chunked_layout_allowed reads of a Book: its project stylesheets."""
    return SimpleNamespace(extra_css=tuple(Asset(f"css/{i}.css", css.encode(), "text/css")
                                           for i, css in enumerate(sheets)))


@pytest.mark.parametrize("value, shares", [
    ("counter(page)", True),
    ("counter(pages)", True),
    ("counters(page, '.')", True),
    ("COUNTER(Page)", True),  # CSS names are case-insensitive
    ("target-counter(attr(href), page)", True),
    ("target-text(attr(href))", True),
    ("string(chapter)", True),
    ("'p. ' calc(1 + counter(page))", True),  # inside another function
    ("counter(footnote)", False),
    ("counter(section) '.' counter(figure)", False),
    ("'page' page pages", False),  # the words alone
    ("url(page)", False),
])
def test_shares_pages(value, shares):
    assert _shares_pages(tinycss2.parse_component_value_list(value)) is shares


@pytest.fixture
def compatible(monkeypatch):
    monkeypatch.setattr(weasy, "compatible", lambda: True)


@pytest.mark.parametrize("css", [
    "",
    "p { color: red }\n/* counter(page) in a comment */",
    "h2::before { content: counter(section) }",
    ".page { margin: 0 }  .pages { content: 'pages' }",
])
def test_stylesheets_that_chunks_can_lay_out(compatible, css):
    assert chunked_layout_allowed(book_with(css))


@pytest.mark.parametrize("css", [
    "h1 { string-set: chapter content() }",
    "@page { @top-center { content: string(chapter) } }",
    "a::after { content: ' p. ' target-counter(attr(href), page) }",
    "@media print { .n::after { content: counter(pages) } }",
    "@page :left { @bottom-left { content: counter(page) } }",
])
def test_stylesheets_that_need_one_document(compatible, css):
    assert not chunked_layout_allowed(book_with(css))
    assert not chunked_layout_allowed(book_with("p { color: red }", css))  # any sheet


def test_another_weasyprint_version_needs_one_document(monkeypatch):
    monkeypatch.setattr(weasy, "compatible", lambda: False)
    assert not chunked_layout_allowed(book_with(""))
