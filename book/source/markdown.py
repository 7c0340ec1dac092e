"""Markdown and HTML primitives shared by the parsers: the Markdown engines, heading slugs
and the raw-HTML allow-list. Kept apart so parse reads as the chapter-level flow."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from .. import fragments
from ..model import BLOCK_SLOT
from .limits import MARKDOWN_MAX_NESTING, MAX_SPAN

ALLOWED_TAGS = {
    "a", "abbr", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code",
    "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
    "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    "var", "wbr",
}
GENERIC_ATTRIBUTES = {"id", "class", "lang", "dir", "title", "role"}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "div": {BLOCK_SLOT},  # parse's slots for key-figures boxes (raw HTML may not use it)
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def markdown_engine() -> MarkdownIt:
    """CommonMark with GFM tables, footnotes and typographic quotes and dashes."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": True,
                                   "maxNesting": MARKDOWN_MAX_NESTING})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    # Every link and image becomes a token, whatever its scheme (markdown-it would leave
    # `file:` or `javascript:` ones as text): parse then refuses them with their line.
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # markdown-it's hook
    return md


def _inline_engine() -> MarkdownIt:
    """Inline Markdown for text kept in data files, which no chapter check sees: no images,
    no raw HTML, and links only to http(s) and mailto URLs (any other stays plain text)."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["replacements", "smartquotes"]).disable("image")
    md.validateLink = lambda url: urlsplit(url).scheme in URL_SCHEMES  # type: ignore[method-assign]
    return md


_INLINE = _inline_engine()


def render_inline(text: str) -> str:
    """One line of a timeline, glossary or changelog as clean inline HTML."""
    return clean_html(_INLINE.renderInline(text))


# Every attribute HTML reads a URL from (nh3 checks the scheme of only some of them, so
# `cite="javascript:…"` would pass); srcset holds a list of them.
URL_ATTRIBUTES = {"href", "src", "cite", "longdesc", "poster", "srcset", "background",
                  "formaction", "action", "data", "ping", "codebase", "manifest", "usemap",
                  "itemtype", "itemid", "profile", "xlink:href", "lowsrc", "dynsrc"}
_SPANS = {"colspan", "rowspan"}


def _allowed_url(url: str) -> bool:
    """A relative URL or one with an allowed scheme (urlsplit drops the tabs, newlines and
    leading control characters that browsers ignore, as in `java\tscript:`)."""
    return urlsplit(url.strip()).scheme.lower() in URL_SCHEMES | {""}


def _attribute_value(tag: str, name: str, value: str) -> str | None:
    """nh3's per-attribute filter: URL attributes by scheme; colspan and rowspan clamped
    to 1..MAX_SPAN (a cell spanning a million columns hangs the print layout)."""
    if name in URL_ATTRIBUTES:
        urls = [c.strip().split()[0] for c in value.split(",") if c.strip()] \
            if name == "srcset" else [value]
        return value if all(_allowed_url(url) for url in urls) else None
    if name in _SPANS:
        digits = value.strip()
        if not (digits.isascii() and digits.isdecimal()):
            return None
        return str(min(max(int(digits[:9]), 1), MAX_SPAN))
    return value


def clean_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes (scripts, iframes, event
    handlers and javascript: URLs never reach an edition), then repair what breaks HTML's
    content model (a caption outside its figure, a block inside a link…), which EPUBCheck
    refuses, the way a browser shows it."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"*": GENERIC_ATTRIBUTES, **ALLOWED_ATTRIBUTES},
        url_schemes=URL_SCHEMES,
        attribute_filter=_attribute_value,
        link_rel=None,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )
    root = fragments.parse(cleaned)
    fragments.repair_content_model(root)
    return fragments.inner(root)


def slugify(text: str) -> str:
    """A heading's anchor as GitHub (and so most Markdown books' links) makes it: lower
    case; letters, marks and digits of every script, `_` and `-` kept, every other
    character dropped; each space a hyphen, none collapsed (`使用 + 运算符` → `使用--运算符`,
    `? operator` → `-operator`). An empty result becomes 'section' (an id cannot be empty)."""
    kept = []
    for char in text.lower():
        if char == " ":
            kept.append("-")
        elif char == "-" or unicodedata.category(char)[0] in "LM" or \
                unicodedata.category(char) in ("Nd", "Nl", "Pc"):
            kept.append(char)
    return "".join(kept) or "section"
