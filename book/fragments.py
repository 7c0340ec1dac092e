"""Small lxml helpers for renderers: parse an HTML fragment into a tree they can rewrite,
and serialize it back as HTML or XHTML."""

from __future__ import annotations

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


def fragment_elements(markup: str) -> list[html.HtmlElement]:
    """Parse markup holding elements only (template output) into a list of elements."""
    return list(parse(markup))
