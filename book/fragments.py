"""Small lxml helpers for renderers: parse an HTML fragment into a tree they can rewrite,
walk its text, and serialize it back as HTML or XHTML."""

from __future__ import annotations

from typing import Iterator

from lxml import etree, html


def parse(markup: str) -> html.HtmlElement:
    """Wrap `markup` in a <div> so a renderer can walk and rewrite it."""
    return html.fragment_fromstring(markup or "", create_parent="div")


def inner(root: html.HtmlElement, xhtml: bool = False) -> str:
    """Serialize the children of `root` (and its leading text)."""
    method = "xml" if xhtml else "html"
    text = _escape(root.text or "")
    return text + "".join(etree.tostring(child, method=method, encoding="unicode") for child in root)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_slots(element: html.HtmlElement) -> Iterator[tuple[html.HtmlElement, str]]:
    """Every text run inside `element` in reading order, as (element, 'text'|'tail'): where
    glossary links and page-break markers go in without disturbing the markup around them."""
    if isinstance(element.tag, str) and element.text:
        yield element, "text"
    for child in element:
        yield from text_slots(child)
        if child.tail:
            yield child, "tail"


PHRASING = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "i", "ins",
            "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
            "u", "var", "p", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption",
            "dt", "pre"}
BLOCKS = {"address", "article", "aside", "blockquote", "div", "dl", "figure", "footer", "h1",
          "h2", "h3", "h4", "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table",
          "ul", "figcaption", "dd", "dt", "li", "caption"}


def unwrap_misnested(root: html.HtmlElement) -> None:
    """HTML parsing of unclosed tags can put blocks inside inline elements (`<em><p>`),
    which XHTML forbids: unwrap such inline elements, keeping their content."""
    changed = True
    while changed:
        changed = False
        for element in list(root.iter()):
            if element is root or not isinstance(element.tag, str) or element.tag not in PHRASING:
                continue
            if any(isinstance(child.tag, str) and child.tag in BLOCKS for child in element):
                element.drop_tag()
                changed = True
                break
