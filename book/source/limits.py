"""The limits a book's input must stay within, each far above what a real book reaches.
Past one the build stops with a located error (exit 2) instead of hanging, running out of
memory or losing text; below them every algorithm over the input is linear. The README's
"Limits" table lists the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html.parser import HTMLParser

from markdown_it.token import Token

MAX_NESTING = 12  # lists and block quotes inside one another
MAX_HTML_NESTING = 32  # raw HTML elements open inside one another
MAX_SPAN = 100  # a table cell's colspan and rowspan (larger values are clamped to it)
MAX_FOOTNOTES = 5_000  # footnotes in one chapter
MAX_CHAPTER_BYTES = 4 * 1024 * 1024  # one chapter's or data page's source text
MAX_GLOSSARY_TERMS = 5_000  # terms in one glossary
MAX_KEYWORDS = 100  # keywords in book.toml
MAX_SVG_ELEMENTS = 50_000  # elements in one SVG file
MAX_SVG_USES = 10_000  # elements an SVG's <use> references expand to, counted through each level
# markdown-it skips the rest of a chapter, silently, once its tokens nest this deep; kept
# well above what MAX_NESTING allows, so any chapter it would cut short is refused first.
MARKDOWN_MAX_NESTING = 4 * MAX_NESTING + 8

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}
# An element of these kinds closes an open one of the same kind (`<li>a<li>b`).
_SELF_CLOSING_SIBLINGS = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
_CONTAINERS = {"bullet_list_open": 1, "ordered_list_open": 1, "blockquote_open": 1,
               "bullet_list_close": -1, "ordered_list_close": -1, "blockquote_close": -1}


class _HtmlDepth(HTMLParser):
    """How deep raw HTML elements nest, fed piece by piece in reading order (an element may
    open in one block and close in another). Linear: one stack, no tree."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in VOID_ELEMENTS:
            return
        if tag in _SELF_CLOSING_SIBLINGS and self.open and self.open[-1] == tag:
            self.open.pop()
        self.open.append(tag)
        self.deepest = max(self.deepest, len(self.open))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """`<div/>` opens nothing that stays open."""

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:  # a stray end tag closes nothing
            while self.open.pop() != tag:
                pass


def nesting_problem(tokens: Iterable[Token], line_of: Callable[[Token], int]
                    ) -> tuple[int, str] | None:
    """(line, message) of the first place lists and quotes, or raw HTML elements, nest
    deeper than the editions can lay out, else None."""
    depth = 0
    html = _HtmlDepth()
    line = 1
    for token in tokens:
        line = line_of(token) or line
        depth += _CONTAINERS.get(token.type, 0)
        if depth > MAX_NESTING:
            return line, f"lists and quotes nested {depth} deep; at most {MAX_NESTING}"
        pieces = [token] if token.type == "html_block" else [
            child for child in token.children or [] if child.type == "html_inline"]
        for piece in pieces:
            html.feed(piece.content)
            if html.deepest > MAX_HTML_NESTING:
                return line, (f"raw HTML elements nested {html.deepest} deep; at most "
                              f"{MAX_HTML_NESTING}")
    return None
