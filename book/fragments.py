"""Small lxml helpers for renderers: parse an HTML fragment into a tree they can rewrite,
walk its text, and serialize it back as HTML or XHTML."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, cast

from lxml import etree, html


def parse(markup: str) -> html.HtmlElement:
    """Wrap `markup` in a <div> so a renderer can walk and rewrite it."""
    return html.fragment_fromstring(markup or "", create_parent="div")


def inner(root: html.HtmlElement, xhtml: bool = False) -> str:
    """Serialize the children of `root` (and its leading text)."""
    method: Literal["xml", "html"] = "xml" if xhtml else "html"
    children = (etree.tostring(child, method=method, encoding="unicode") for child in root)
    return _escape(root.text or "") + "".join(children)


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


# --------------------------------------------------------------------------- content model
# The HTML content-model rules EPUBCheck enforces (RSC-005) that raw HTML in Markdown can
# break: source repairs a chapter's markup with them, and the EPUB emitter checks its XHTML
# parts with the same table, so no build says success over an EPUB that EPUBCheck refuses.
PHRASING_ONLY = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "abbr", "b", "bdi", "bdo",
                 "cite", "code", "dfn", "em", "i", "kbd", "mark", "q", "s", "samp", "small",
                 "span", "strong", "sub", "sup", "time", "u", "var", "rt", "rp"}
FLOW_ONLY = BLOCKS | {"table", "tbody", "thead", "tfoot", "tr", "td", "th", "li", "dd", "dt",
                      "figcaption", "caption", "colgroup", "col"}
PARENTS = {  # element: the parents it may have
    "li": {"ul", "ol", "menu"},
    "dt": {"dl", "div"}, "dd": {"dl", "div"},
    "tr": {"table", "thead", "tbody", "tfoot"},
    "td": {"tr"}, "th": {"tr"},
    "thead": {"table"}, "tbody": {"table"}, "tfoot": {"table"}, "caption": {"table"},
    "colgroup": {"table"}, "col": {"colgroup", "table"},
    "rt": {"ruby"}, "rp": {"ruby"},
    "figcaption": {"figure"},
}
INTEGER_ATTRIBUTES = {"img": ("width", "height"), "td": ("colspan", "rowspan"),
                      "th": ("colspan", "rowspan"), "ol": ("start",)}
_NON_NEGATIVE = re.compile(r"\s*\d+\s*")
_INTEGER = re.compile(r"\s*-?\d+\s*")


def _name(element: etree._Element) -> str:
    """The local name of an element of an HTML or XHTML tree ('' for comments)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _bad_integer(tag: str, attribute: str, value: str) -> bool:
    pattern = _INTEGER if attribute == "start" else _NON_NEGATIVE
    return not pattern.fullmatch(value) or (attribute in ("colspan", "rowspan")
                                            and int(value) == 0)


def content_model_problems(root: etree._Element) -> list[tuple[etree._Element, str, str]]:
    """Each element of `root` that breaks a rule of the table above, as (element, kind of
    rule, what is wrong): kinds are parent, list, caption, inline, nested-link, number, id."""
    found: list[tuple[etree._Element, str, str]] = []
    seen_ids: set[str] = set()
    for element in root.iter():
        tag = _name(element)
        if not tag:
            continue
        parent = element.getparent()
        parent_tag = _name(parent) if parent is not None else ""
        if tag in PARENTS and parent is not None and parent_tag not in PARENTS[tag]:
            found.append((element, "parent", f"<{tag}> inside <{parent_tag}>"))
        if tag == "dt" or tag == "dd":
            grand = parent.getparent() if parent is not None else None
            if parent_tag == "div" and (grand is None or _name(grand) != "dl"):
                found.append((element, "parent", f"<{tag}> inside a <div> that is not in a <dl>"))
        if tag in ("ul", "ol") and any(_name(c) not in ("li", "") for c in element):
            found.append((element, "list", f"<{tag}> holds an element that is not <li>"))
        if tag == "figure":
            children = [c for c in element if _name(c)]
            captions = [c for c in children if _name(c) == "figcaption"]
            if len(captions) > 1:
                found.append((element, "caption", "<figure> has more than one <figcaption>"))
            elif captions and captions[0] not in (children[0], children[-1]):
                found.append((element, "caption",
                              "<figcaption> is neither first nor last in <figure>"))
        if tag in PHRASING_ONLY:
            block = next((c for c in element if _name(c) in FLOW_ONLY), None)
            if block is not None:
                found.append((element, "inline", f"<{_name(block)}> inside <{tag}>"))
        if tag == "a" and any(_name(a) == "a" for a in element.iterancestors()):
            found.append((element, "nested-link", "<a> inside another <a>"))
        for attribute in INTEGER_ATTRIBUTES.get(tag, ()):
            value = element.get(attribute)
            if value is not None and _bad_integer(tag, attribute, value):
                found.append((element, "number",
                              f"<{tag} {attribute}=\"{value}\"> is not a valid number"))
        anchor = element.get("id")
        if anchor is not None:
            if not anchor or any(ch.isspace() for ch in anchor):
                found.append((element, "id", f"id \"{anchor}\" is empty or has spaces"))
            elif anchor in seen_ids:
                found.append((element, "id", f"id \"{anchor}\" is used twice"))
            seen_ids.add(anchor)
    return found


def repair_content_model(root: html.HtmlElement) -> None:
    """Rewrite a sanitized HTML fragment so it keeps every rule of the table above, as
    browsers show it: a caption outside a figure makes its <div> a figure (or becomes a
    <div>), what follows a figure's caption moves before it, misplaced list and table parts
    become <div>s, bad numbers and repeated ids are dropped, nested links and inline
    elements around blocks are unwrapped."""
    unwrap_misnested(root)
    for caption in list(root.iter("figcaption")):
        parent = caption.getparent()
        if parent is not None and parent.tag == "div" and parent is not root:
            parent.tag = "figure"
        elif parent is None or parent.tag != "figure":
            caption.tag = "div"
            caption.set("class", ((caption.get("class") or "") + " caption").strip())
    for figure in root.iter("figure"):
        captions = [c for c in figure if c.tag == "figcaption"]
        for extra in captions[1:]:
            extra.tag = "div"
        if captions and [c for c in figure if isinstance(c.tag, str)][0] is not captions[0]:
            caption = captions[0]
            for sibling in list(caption.itersiblings()):
                if sibling.tag == "br" and not (sibling.tail or "").strip():
                    figure.remove(sibling)  # spacing after the caption: it ends the figure
                elif isinstance(sibling.tag, str):
                    caption.addprevious(sibling)
            figure.append(caption)
    for _ in range(4):  # a fix can expose another (a heading that held a list item)
        problems = content_model_problems(root)
        for element, kind, _ in problems:
            _repair(cast(html.HtmlElement, element), kind)  # an lxml.html tree's elements
        if not problems:
            return


def _repair(element: html.HtmlElement, kind: str) -> None:
    """Mend one problem content_model_problems found, the way a browser would show it."""
    tag = str(element.tag)
    if kind == "nested-link":
        element.drop_tag()
    elif kind == "id":
        del element.attrib["id"]
    elif kind == "number":
        for attribute in INTEGER_ATTRIBUTES[tag]:
            value = element.get(attribute)
            if value is not None and _bad_integer(tag, attribute, value):
                del element.attrib[attribute]
    elif kind == "list":
        for child in [c for c in element if isinstance(c.tag, str) and c.tag != "li"]:
            item = child.makeelement("li", {})
            child.addprevious(item)
            item.append(child)
    elif kind == "parent" and tag not in ("rt", "rp"):
        element.tag = "div"
    elif kind == "inline":
        element.drop_tag()  # an inline element around a block: keep its content
