"""Citations in pandoc's syntax (`[@key]`, `[@key, p. 4]`, `[@a; @b]`, narrative `@key`),
formatted by citeproc-py with a CSL style: the project's (`csl` in book.toml) or the
Chicago author-date style the builder ships (book/source/csl/, CC BY-SA 3.0, from the CSL
styles repository). The bibliography (`bibliography`, BibTeX or CSL-JSON) lists exactly
the works cited.

A markdown-it rule reads citations before the link rule does, so `[@key]` never becomes a
link or a reference-style link's text; parse records each with its line and renders a
`<cite>` holding the text as written, which assemble replaces with the formatted citation
(or leaves as written: a bare `@word` in a book without a bibliography is plain text)."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from .. import fragments
from ..errors import BookError, Collector, did_you_mean
from ..model import Chapter, Citation, Reference
from .config import MANIFEST
from .paths import OutsideProject, resolve_inside

SHIPPED_STYLE = Path(__file__).parent / "csl" / "chicago-author-date.csl"
CITE_CLASS = "citation"
_KEY = r"[\w][\w:.#$%&+?<>~/-]*?"  # pandoc's key: internal punctuation, none at the end
_ITEM = re.compile(rf"\s*@(?P<key>{_KEY})(?:,\s*(?P<locator>[^;]+?))?\s*")
_BARE = re.compile(rf"@(?P<key>{_KEY})(?![\w:.#$%&+?<>~/-]*\w)")
# Locator labels as written → CSL's locator terms; a bare number is a page.
LOCATORS = {"p.": "page", "pp.": "page", "page": "page", "pages": "page", "ch.": "chapter",
            "chap.": "chapter", "chapter": "chapter", "sec.": "section", "section": "section",
            "§": "section", "para.": "paragraph", "¶": "paragraph", "fig.": "figure",
            "n.": "note", "vol.": "volume", "l.": "line", "ll.": "line"}


def _locator(text: str) -> tuple[str, str] | None:
    """`p. 4` → ("page", "4"); `12–14` → ("page", "12–14"); None when not a locator."""
    label, _, value = text.strip().partition(" ")
    if label.lower() in LOCATORS and value.strip():
        return LOCATORS[label.lower()], value.strip()
    return ("page", text.strip()) if text.strip()[:1].isdigit() else None


def _bracketed(state: StateInline, silent: bool) -> bool:
    """`[@a, p. 4; @b]`: every item a key with an optional locator, not followed by a
    link's `(` or `[` (then it is a link, as in pandoc)."""
    if state.src[state.pos] != "[":
        return False
    end = state.src.find("]", state.pos)
    inner = state.src[state.pos + 1:end] if end > 0 else ""
    if not inner or "[" in inner or "@" not in inner or state.src[end + 1:end + 2] in ("(", "["):
        return False
    items = []
    for piece in inner.split(";"):
        found = _ITEM.fullmatch(piece)
        locator = _locator(found.group("locator")) if found and found.group("locator") else None
        if not found or (found.group("locator") and locator is None):
            return False
        items.append((found.group("key"), *(locator or ("", ""))))
    if not silent:
        token = state.push("citation", "cite", 0)
        token.content, token.meta = state.src[state.pos:end + 1], {"items": items}
    state.pos = end + 1
    return True


def _bare(state: StateInline, silent: bool) -> bool:
    """`@key` after a space or at the start of a line (not inside an address: `a@b.org`)."""
    if state.src[state.pos] != "@" or (state.pos and (state.src[state.pos - 1].isalnum()
                                                       or state.src[state.pos - 1] in "_@.")):
        return False
    found = _BARE.match(state.src, state.pos)
    if not found:
        return False
    if not silent:
        token = state.push("citation", "cite", 0)
        token.content = found.group(0)
        token.meta = {"items": [(found.group("key"), "", "")], "narrative": True}
    state.pos = found.end()
    return True


def _render(renderer, tokens: list[Token], index: int, options, env) -> str:
    token = tokens[index]
    return (f'<cite class="{CITE_CLASS}" id="{html.escape(token.meta.get("id", ""))}">'
            f"{html.escape(token.content)}</cite>")


def citation_plugin(md: MarkdownIt) -> None:
    """Read citations before links (and bare `@key` before plain text)."""
    md.inline.ruler.before("link", "citation", _bracketed)
    md.inline.ruler.before("link", "citation_bare", _bare)
    md.add_render_rule("citation", _render)


def collect(tokens: list[Token], cid: str, found: list[Citation],
            where: Callable[[str, Token], int]) -> None:
    """Record each citation of `tokens` (appended to `found`, numbered on from it) and
    give its token the id `<chapter>--cite-N`; `where` gives the line of its text."""
    block: Token | None = None
    for tok in tokens:
        block = tok if tok.map else block
        for child in tok.children or []:
            if child.type != "citation":
                continue
            child.meta["id"] = f"{cid}--cite-{len(found) + 1}"
            found.append(Citation(
                where(child.content, block) if block else 0, tuple(child.meta["items"]),
                child.meta["id"], bool(child.meta.get("narrative")), child.content))


@dataclass(frozen=True)
class _Style:
    """A bibliography and the CSL style it is cited in."""

    source: object
    style: object
    path: str


def _read(root: Path, rel: str) -> str:
    """A file book.toml names, as text; its problems are located at book.toml."""
    try:
        path = resolve_inside(root, rel)
    except OutsideProject:
        raise BookError.at(MANIFEST, None, f"'{rel}' is outside the project",
                           rule="bibliography-unreadable") from None
    if not path.is_file():
        raise BookError.at(MANIFEST, None, f"file '{rel}' does not exist",
                           rule="bibliography-unreadable")
    try:
        return path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BookError.at(rel, None, f"cannot be read ({exc})",
                           rule="bibliography-unreadable") from None


def _load(root: Path, bibliography: str, csl: str) -> _Style:
    """Parse the bibliography and the style (imported here: citeproc takes a second to
    load, and only books that cite pay it)."""
    from citeproc import CitationStylesStyle  # type: ignore[import-untyped]  # no stubs
    from citeproc.source.bibtex import BibTeX  # type: ignore[import-untyped]
    from citeproc.source.json import CiteProcJSON  # type: ignore[import-untyped]

    text = _read(root, bibliography)
    try:
        if bibliography.endswith(".json"):
            source = CiteProcJSON(json.loads(text))
        else:
            source = BibTeX(io.StringIO(text))
    except json.JSONDecodeError as exc:
        raise BookError.at(bibliography, exc.lineno, f"not valid CSL-JSON: {exc.msg}",
                           rule="bibliography-invalid") from None
    except (ValueError, KeyError, TypeError, EOFError, AttributeError) as exc:
        raise BookError.at(bibliography, None, f"cannot be read as "
                           f"{'CSL-JSON' if bibliography.endswith('.json') else 'BibTeX'}: "
                           f"{exc or type(exc).__name__}", rule="bibliography-invalid") from None
    style_path = SHIPPED_STYLE
    if csl:
        _read(root, csl)  # refused like the bibliography when missing or outside
        style_path = resolve_inside(root, csl)
    try:
        style = CitationStylesStyle(str(style_path), validate=False)
    except Exception as exc:  # noqa: BLE001  # citeproc raises lxml's and its own errors
        raise BookError.at(csl, None, f"not a CSL style: {exc}",
                           rule="bibliography-invalid") from None
    return _Style(source, style, bibliography)


def _narrative(text: str) -> str:
    """An author-date citation as the sentence's subject: `(Hodge 2023)` → `Hodge (2023)`."""
    found = re.fullmatch(r"\((.+) (\S+)\)", text)
    return f"{found.group(1)} ({found.group(2)})" if found else text


def reference_id(key: str) -> str:
    """The bibliography entry's anchor: `bib-<key>`, characters outside [A-Za-z0-9_.-]
    written `_HEX_` (citation keys allow `:` `/` `#`…, which ids should not hold)."""
    return "bib-" + "".join(c if c.isascii() and (c.isalnum() or c in "_.-")
                            else f"_{ord(c):X}_" for c in key)


def resolve(root: Path, chapters: tuple[Chapter, ...], bibliography: str, csl: str,
            problems: Collector) -> tuple[tuple[Chapter, ...], tuple[Reference, ...]]:
    """Every citation formatted (linked to its bibliography entry) and the bibliography:
    the works cited, in the style's order, each with the places that cite it. A key not
    in the bibliography, or a bracketed citation in a book without one, is an error."""
    cited = [c for chapter in chapters for c in chapter.citations]
    if not cited:
        return chapters, ()
    if not bibliography:
        for chapter in chapters:
            for citation in chapter.citations:
                if not citation.narrative:
                    problems.add(chapter.path, citation.line,
                                 f"citation '{citation.text}' but book.toml names no "
                                 "bibliography", "add bibliography = \"references.bib\" "
                                 "(or .json) to book.toml", rule="citation-unknown")
        return _filled(chapters, {}), ()
    try:
        loaded = _load(root, bibliography, csl)
    except BookError as exc:
        problems.problems.extend(exc.problems)
        return chapters, ()
    from citeproc import Citation as CslCitation
    from citeproc import CitationItem, CitationStylesBibliography, Locator, formatter

    known = {str(k).lower() for k in loaded.source}  # type: ignore[attr-defined]
    order: list[str] = []
    for chapter in chapters:
        for citation in chapter.citations:
            for key, _, _ in citation.items:
                if key.lower() not in known:
                    problems.add(chapter.path, citation.line,
                                 f"citation key '@{key}' is not in {bibliography}",
                                 did_you_mean(key.lower(), known), rule="citation-unknown")
                elif key.lower() not in order:
                    order.append(key.lower())
    if not order:
        return _filled(chapters, {}), ()

    def csl_citation(items) -> CslCitation:
        return CslCitation([CitationItem(key.lower(), locator=Locator(label, value))
                            if label else CitationItem(key.lower()) for key, label, value in items])

    # Citations and the bibliography from two processors: citeproc-py lets a cited
    # locator leak into the entry of the bibliography when both come from one.
    citing = CitationStylesBibliography(loaded.style, loaded.source, formatter.html)
    listing = CitationStylesBibliography(loaded.style, loaded.source, formatter.html)
    alone = CitationStylesBibliography(loaded.style, loaded.source, formatter.html)
    for key in order:
        listing.register(CslCitation([CitationItem(key)]))
    texts: dict[str, str] = {}
    for citation in cited:
        if all(k.lower() in known for k, _, _ in citation.items):
            whole = csl_citation(citation.items)
            citing.register(whole)
            singles = [csl_citation([item]) for item in citation.items]
            for single in singles:
                alone.register(single)
            texts[citation.id] = _linked(str(citing.cite(whole, _ignore)),
                                         [str(alone.cite(s, _ignore)) for s in singles],
                                         citation)
    entries = [str(item) for item in listing.bibliography()]
    places: dict[str, dict[str, str]] = {}  # key → chapter id → its first citation there
    for chapter in chapters:
        for citation in chapter.citations:
            for key, _, _ in citation.items:
                if key.lower() in known:
                    places.setdefault(key.lower(), {}).setdefault(chapter.id, citation.id)
    references = tuple(Reference(key, reference_id(key), entry, tuple(places[key].items()))
                       for key, entry in zip(listing.keys, entries, strict=True))
    return _filled(chapters, texts), references


def _filled(chapters: tuple[Chapter, ...], texts: dict[str, str]) -> tuple[Chapter, ...]:
    return tuple(replace(c, body=_fill(c.body, texts), footnotes=tuple(
        replace(n, html=_fill(n.html, texts)) for n in c.footnotes)) if c.citations else c
        for c in chapters)


def _ignore(item: object) -> None:
    """citeproc's callback for a cited key it does not hold (checked before)."""


def _linked(text: str, parts: list[str], citation: Citation) -> str:
    """The citation's HTML (`text`) with each work linked to its bibliography entry: when
    its items formatted alone (`parts`) joined by `; ` make the whole citation, each is
    linked; else the whole links to the first work."""
    keys = [k.lower() for k, _, _ in citation.items]
    inner = [p[1:-1] if p.startswith("(") and p.endswith(")") else "" for p in parts]
    in_order = sorted(zip(keys, inner, strict=True), key=lambda pair: text.find(pair[1]))
    if len(parts) > 1 and all(inner) and f"({'; '.join(p for _, p in in_order)})" == text:
        role = ' role="doc-biblioref"'
        return "(" + "; ".join(f'<a href="#{reference_id(k)}"{role}>{p}</a>'
                               for k, p in in_order) + ")"
    if citation.narrative:
        text = _narrative(text)
    return f'<a href="#{reference_id(keys[0])}" role="doc-biblioref">{text}</a>'


def _fill(markup: str, texts: dict[str, str]) -> str:
    """Put each formatted citation in its `<cite>`; one that could not be formatted (a
    bare `@word` without a bibliography) keeps its text as written."""
    if CITE_CLASS not in markup:
        return markup
    root = fragments.parse(markup)
    for cite in list(root.iter("cite")):
        formatted = texts.get(cite.get("id") or "")
        if cite.get("class") != CITE_CLASS:
            continue
        if formatted is None:
            cite.drop_tag()
            continue
        new = fragments.parse(f'<cite class="{CITE_CLASS}" id="{cite.get("id")}">'
                              f"{formatted}</cite>")[0]
        new.tail = cite.tail
        parent = cite.getparent()
        assert parent is not None  # a citation lies inside a paragraph
        parent.replace(cite, new)
    return fragments.inner(root)
