"""render: Book → Rendition. One set of templates gives the print document, the EPUB's
XHTML parts and the web pages; render never changes the Book."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, replace
from typing import Any, cast
from urllib.parse import unquote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__, fragments
from ..background import in_parallel
from ..model import (
    BLOCK_SLOT,
    PAGE_DIGITS,
    PAGE_RANGES,
    PAGE_REF,
    REF_CAPITAL,
    REF_KIND,
    REF_NUMBER,
    RUN_ON,
    XREF_CLASS,
    Book,
    Chapter,
    Download,
    Footnote,
    PageMark,
    Part,
    Rendition,
)
from . import code, i18n, occurrences
from .index import groups as index_groups
from .math import typeset as typeset_math
from .script import is_rtl, script_attributes


def _role_labels(strings: i18n.Strings) -> dict[str, str]:
    """The heading of each contributor role on the contributors page."""
    return {
        "author": strings.pgettext("role-author", "Written by"),
        "editor": strings.pgettext("role-editor", "Edited by"),
        "contributor": strings.pgettext("role-contributor", "Contributors"),
        "photographer": strings.pgettext("role-photographer", "Photography"),
        "illustrator": strings.pgettext("role-illustrator", "Illustration"),
        "translator": strings.pgettext("role-translator", "Translation"),
        "designer": strings.pgettext("role-designer", "Design"),
        "source": strings.pgettext("role-source", "Source reporting"),
    }

_ENV = Environment(loader=PackageLoader("book.render", "templates"), autoescape=True,
                   undefined=StrictUndefined, keep_trailing_newline=True,
                   extensions=["jinja2.ext.i18n"])
_ENV.install_gettext_callables(**i18n.TEMPLATE_CALLABLES, newstyle=True)  # type: ignore[attr-defined]
_ENV.globals["number"] = i18n.template_number
_ENV.globals["date"] = i18n.template_date
_ENV.globals["version"] = __version__
_ENV.globals["PAGE_REF"] = PAGE_REF
_ENV.globals["PAGE_RANGES"] = PAGE_RANGES
_ENV.globals["PAGE_DIGITS"] = PAGE_DIGITS
_ENV.globals["is_rtl"] = is_rtl  # dir="rtl" on the documents of a right-to-left book


def _chapter_attributes(chapter: Chapter) -> Markup:
    """`lang` and `dir` on a chapter's section where its front matter sets it apart from
    the book (the values are validated tags and directions)."""
    return Markup(script_attributes(i18n.current().language, chapter))


_ENV.globals["script_attributes"] = _chapter_attributes
# Any: the template's macros are attributes mypy cannot see.
_PARTS: Any = _ENV.get_template("parts.html.j2").module
_REFERENCES: Any = _ENV.get_template("references.html.j2").module
_INDEX: Any = _ENV.get_template("index.html.j2").module


@dataclass(frozen=True)
class TocEntry:
    kind: str
    title: str
    href: str
    number: str = ""  # a numbered chapter's number ("" none)


def _reference_words(strings: i18n.Strings, kind: str, number: str) -> str:
    """What a reference to a numbered target says in the book's language ("table 2")."""
    words = {
        "figure": strings.pgettext("ref-figure", "figure %(number)s"),
        "table": strings.pgettext("ref-table", "table %(number)s"),
        "section": strings.pgettext("ref-section", "section %(number)s"),
        "equation": strings.pgettext("ref-equation", "equation (%(number)s)"),
        "chapter": strings.pgettext("ref-chapter", "chapter %(number)s"),
        "box": strings.pgettext("ref-box", "box %(number)s"),
    }
    return words[kind] % {"number": strings.number(number)}


def chapter_number(book: Book, chapter: Chapter) -> str:
    """The number a chapter shows ("" when the book does not number its chapters, or for a
    data page: assemble numbers written chapters only)."""
    return str(chapter.number) if book.meta.number_chapters and chapter.number else ""


def _word_references(root, print_: bool = False) -> None:
    """Fill each reference assemble marked (REF_KIND) with its words, capitalised where it
    opens a sentence, and each numbered table's label ("Table 2."). Print keeps REF_KIND:
    print.css keeps the words on one line ("chapter 3", never "chapter / 3")."""
    strings = i18n.current()
    for element in root.iter("a", "span"):
        if element.get("class") == "section-number":  # a labelled heading's, from assemble
            element.text = str(strings.number(element.text or ""))
        number = element.attrib.pop(REF_NUMBER, None)
        if number is None:
            continue
        if element.tag == "span":  # a table's caption label
            element.text = strings.pgettext("table-label", "Table %(number)s.") % {
                "number": strings.number(number)}
            continue
        kind = element.get(REF_KIND, "") if print_ else element.attrib.pop(REF_KIND)
        text = _reference_words(strings, kind, number)
        if element.attrib.pop(REF_CAPITAL, None) is not None:
            text = text[:1].upper() + text[1:]
        element.text = text


def build_date(book: Book) -> dt.datetime:
    """The edition's date as UTC: every date an edition prints or records comes from it."""
    return dt.datetime.fromtimestamp(book.edition.timestamp, tz=dt.UTC)


def _note_body(note: Footnote, href_for=None, book: Book | None = None) -> Markup:
    """A footnote's paragraphs as inline content (for a float or an aside's single <p>);
    `href_for` points its links across parts (EPUB, web), as the chapter body's; with
    `book`, the uses of index entries in it are marked (occurrences.py)."""
    root = fragments.parse(note.html)
    if book is not None:
        occurrences.mark(root, book, note.id, epub=False, page_ref=False, glossary=False)
    _word_references(root)
    for anchor in root.iter("a") if href_for else ():
        href = anchor.get("href") or ""
        if href.startswith("#"):
            anchor.set("href", href_for(unquote(href[1:])))
    return Markup(" ".join(fragments.inner(para) for para in root))


def _place_blocks(root, chapter: Chapter) -> None:
    """Put the box each of the chapter's blocks makes where its slot stands in the body."""
    for slot in [e for e in root.iter("div") if e.get(BLOCK_SLOT) is not None]:
        block = chapter.blocks[int(slot.get(BLOCK_SLOT))]
        number = slot.get(REF_NUMBER)  # a labelled box's, from assemble: "Box 1."
        label = (i18n.current().pgettext("box-label", "Box %(number)s.") % {
            "number": i18n.current().number(number)} if number else "")
        box = fragments.parse(str(_PARTS.key_figures(block, label)))[0]
        if slot.get("id"):
            box.set("id", slot.get("id"))
        box.tail = slot.tail
        slot.getparent().replace(slot, box)


def _data_page(chapter: Chapter, uses: occurrences.Found, *, page_refs: bool,
               xhtml: bool) -> str:
    """The markup of a timeline, glossary or index page's entries."""
    if chapter.kind == "timeline":
        return str(_PARTS.timeline(chapter, page_refs))
    if chapter.kind == "index":
        return str(_INDEX.index(chapter, index_groups(chapter, uses), page_refs, xhtml))
    return str(_PARTS.glossary(chapter, uses.glossary, page_refs, xhtml))


def chapter_content(chapter: Chapter) -> str:
    """Everything a chapter shows as one edition-neutral markup: its body with its blocks in
    place, or a data page's entries. For what measures a chapter's text (its words, the
    scripts it needs fonts for)."""
    if chapter.kind != "chapter":
        return _data_page(chapter, occurrences.Found(), page_refs=False, xhtml=False)
    root = fragments.parse(chapter.body)
    _place_blocks(root, chapter)
    return fragments.inner(root)


def _chapter_body(book: Book, chapter: Chapter, *, inline_notes: bool, xhtml: bool,
                  href_for, uses: occurrences.Found) -> str:
    """Mark glossary terms and index entries, fill block and figure slots, place footnotes
    and rewrite links for one edition; `inline_notes` is print's (notes in the text, page
    references), `xhtml` adds the epub:type semantics EPUB readers act on."""
    if chapter.kind == "chapter":
        root = fragments.parse(chapter.body)
        code.highlight(root, wrap=inline_notes)  # before the terms: code links no term
        occurrences.mark(root, book, chapter.id, epub=xhtml, page_ref=inline_notes)
        _place_blocks(root, chapter)  # after the terms: a box's text links no term
    else:
        root = fragments.parse(_data_page(chapter, uses, page_refs=inline_notes, xhtml=xhtml))
    figures = {f.id: f for f in book.figures if f.chapter_id == chapter.id}
    for slot in list(root.iter("figure")):
        if "photo" in (slot.get("class") or "").split() and slot.get("id") in figures:
            fig = figures[cast(str, slot.get("id"))]
            new = fragments.parse(str(_PARTS.figure(fig, fig.photo.file)))[0]
            parent = slot.getparent()
            assert parent is not None  # a slot lies inside the parsed body, never at its root
            parent.replace(slot, new)
    notes = {n.id: n for n in chapter.footnotes}
    for anchor in list(root.iter("a")):
        href = anchor.get("href") or ""
        if inline_notes and "noteref" in (anchor.get("class") or ""):
            note = notes.get(unquote(href[1:]))
            if note and anchor.get("id") == note.ref_id:
                span = fragments.parse(
                    f'<span class="footnote" id="{note.id}"><a class="footnote-back" '
                    f'href="#{note.ref_id}">{i18n.current().number(note.number)}</a> '
                    f'{_note_body(note, book=book)}</span>')[0]
                anchor.addnext(span)
                span.tail, anchor.tail = anchor.tail, None
        if "noteref" in (anchor.get("class") or ""):  # its number, in the book's digits
            anchor.text = i18n.current().digits(anchor.text or "")
        if xhtml and "noteref" in (anchor.get("class") or ""):
            anchor.set("epub:type", "noteref")
        if href.startswith("#"):
            anchor.set("href", href_for(unquote(href[1:])))  # lxml's HTML escapes non-ASCII
    xref_ids = itertools.count(1)
    for anchor in root.iter("a") if inline_notes else ():  # the notes' too, placed in the text
        if anchor.get("class") == XREF_CLASS:
            anchor.set(PAGE_REF, i18n.current().pgettext("page-ref", ", page "))
            # its page, read after layout, tells whether it faces its target (pdf/spreads.py)
            anchor.set("id", f"{chapter.id}--xref{next(xref_ids)}")
    _word_references(root, print_=inline_notes)  # after the notes: print's are in the text
    typeset_math(root, print_=inline_notes)
    return fragments.inner(root, xhtml=xhtml)


def _contributor_groups(book: Book) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    labels = _role_labels(i18n.current())
    for person in book.meta.contributors:
        groups.setdefault(labels[person.role], []).append(person)
    return list(groups.items())


def _front_and_back(book: Book, date_text: str,
                    page_refs: bool) -> tuple[list[Part], list[Part]]:
    front = [
        Part("title-page", "titlepage", book.meta.title, str(_PARTS.title_page(book.meta))),
        Part("colophon", "colophon", i18n.current().pgettext("colophon", "Colophon"),
             str(_PARTS.colophon(book, date_text, book.stand_ins))),
    ]
    back: list[Part] = []
    chapters_by_id = {c.id: c for c in book.chapters}
    strings = i18n.current()
    if book.references:
        titles = {c.id: c.short_title for c in book.chapters}
        back.append(Part("bibliography", "bibliography",
                         strings.pgettext("references", "References"),
                         str(_REFERENCES.bibliography(book.references, titles, page_refs))))
    if book.figures:
        title = (strings.pgettext("photo-credits", "Photo credits")
                 if all(f.photo.kind == "photo" for f in book.figures)
                 else strings.pgettext("picture-credits", "Picture credits"))
        back.append(Part("photo-credits", "credits", title,
                         str(_PARTS.photo_credits(title, book.figures, chapters_by_id, page_refs))))
    back.append(Part("contributors", "contributors",
                     strings.pgettext("contributors", "Contributors"),
                     str(_PARTS.contributors(_contributor_groups(book)))))
    if book.revisions:
        back.append(Part("revision-history", "revisions",
                         strings.pgettext("revision-history", "Revision history"),
                         str(_PARTS.revision_history(book.revisions))))
    return front, back


def _date_text(book: Book) -> str:
    """The edition's date as the book's language writes it (Babel's long format:
    'September 19, 2023' in en-US, '19 September 2023' in en-GB), from SOURCE_DATE_EPOCH
    or the release's commit; a build without either prints the book's own date."""
    when = build_date(book).date() if book.edition.dated else dt.date.fromisoformat(
        str(book.meta.date))
    return i18n.strings_for(book.meta).date(when.isoformat())


def _run_on(part: Part) -> Part:
    """A back-matter part marked to open on the next page, recto or verso."""
    root = fragments.parse(part.html)
    next(c for c in root if isinstance(c.tag, str)).set(RUN_ON, "")
    return Part(part.id, part.kind, part.title, fragments.inner(root))


def _print_chapter(book: Book, uses: occurrences.Found, chapter: Chapter) -> Part:
    body = _chapter_body(book, chapter, inline_notes=True, xhtml=False,
                         href_for=_in_document, uses=uses)
    return Part(chapter.id, "chapter", chapter.title, str(_PARTS.chapter(
        chapter, Markup(body), [], False, chapter_number(book, chapter))))


def _in_document(anchor: str) -> str:
    return f"#{anchor}"


@i18n.in_book_words
def render_print(book: Book) -> Rendition:
    """One HTML document for WeasyPrint: front matter, contents, chapters, back matter
    (which, with `[print] recto = "chapters"`, opens on any page)."""
    front, back = _front_and_back(book, _date_text(book), page_refs=True)
    if book.meta.press.recto == "chapters":
        back = [_run_on(part) for part in back]
    uses = occurrences.find(book, fragments.parse)
    # a large book's chapters are set in parallel (TRPL: highlighting its code, 0.8 s)
    chapters = in_parallel(_print_chapter, book.chapters, book, uses,
                           size=sum(len(c.body) for c in book.chapters))
    numbers = {c.id: chapter_number(book, c) for c in book.chapters}
    entries = [TocEntry("chapter", p.title, f"#{p.id}", numbers[p.id]) for p in chapters]
    entries += [TocEntry("backmatter", p.title, f"#{p.id}") for p in back]
    toc = Part("contents", "toc", i18n.current().pgettext("contents", "Contents"),
               str(_PARTS.contents(entries, page_refs=True)))
    parts = tuple(front + [toc] + chapters + back)
    html = _ENV.get_template("print.html.j2").render(
        meta=book.meta, parts=parts, body_class="print",
        iso_datetime=build_date(book).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return Rendition("pdf", parts, html, digits=i18n.current().digits("0123456789"))


def _place_mark(section, blocks: list, mark: PageMark) -> None:
    """Insert an EPUB page-break marker where the print page `mark` starts; `blocks` are
    the section's top-level elements as they were before any marker went in."""
    span = section.makeelement("span", {"id": f"page-{mark.label}", "role": "doc-pagebreak",
                                        "aria-label": i18n.current().digits(mark.label)})
    span.set("epub:type", "pagebreak")
    if not 0 <= mark.block < len(blocks):
        section.insert(0, span)
        return
    block = blocks[mark.block]
    for length in (32, 16, 10):
        words = mark.text[:length].split()
        if sum(map(len, words)) < 6:
            break
        pattern = re.compile(r"\s+".join(map(re.escape, words)))
        for element, slot in fragments.text_slots(block):
            text = getattr(element, slot)
            found = pattern.search(text)
            if not found:
                continue
            index = found.start()
            while index > 0 and not text[index - 1].isspace():
                index -= 1
            if element is block and slot == "text" and not text[:index].strip():
                break
            setattr(element, slot, text[:index])
            span.tail = text[index:]
            if slot == "text":
                element.insert(0, span)
            else:
                element.addnext(span)
            return
        else:
            continue
        break
    block.addprevious(span)


def _mark_pages(markup: str, marks: list[PageMark], xhtml: bool) -> str:
    root = fragments.parse(markup)
    section = next(c for c in root if isinstance(c.tag, str))
    blocks = [c for c in section if isinstance(c.tag, str)]
    for mark in marks:
        _place_mark(section, blocks, mark)
    return fragments.inner(root, xhtml=xhtml)


def _split_parts(book: Book, ext: str, xhtml: bool,
                 marks: tuple[PageMark, ...] = ()) -> tuple[Part, ...]:
    """One body per part (front matter, chapter, back matter); links across parts point
    at `<part><ext>#id`. Shared by the EPUB and the web edition."""
    front, back = _front_and_back(book, _date_text(book), page_refs=False)
    owner: dict[str, str] = {}
    for chapter in book.chapters:
        for anchor_id in chapter.anchor_ids:
            owner[anchor_id] = chapter.id
    for part in back:
        owner[part.id] = part.id
    owner.update((work.id, "bibliography") for work in book.references)
    uses = occurrences.find(book, fragments.parse)
    for locator in uses.anchors():
        owner[locator.anchor] = locator.chapter

    def href_for_from(current: str):
        def href_for(anchor: str) -> str:
            target = owner.get(anchor, current)
            if target == current:
                return f"#{anchor}"
            return f"{target}{ext}" if anchor == target else f"{target}{ext}#{anchor}"
        return href_for

    chapters = []
    for c in book.chapters:
        body = _chapter_body(book, c, inline_notes=False, xhtml=xhtml,
                             href_for=href_for_from(c.id), uses=uses)
        notes = [{"id": n.id, "ref_id": n.ref_id, "number": n.number,
                  "body": _note_body(n, href_for_from(c.id), book)}
                 for n in c.footnotes]
        chapters.append(Part(c.id, "chapter", c.title,
                             str(_PARTS.chapter(c, Markup(body), notes, xhtml,
                                                chapter_number(book, c))),
                             chapter_number(book, c)))
    back_parts = []
    for part in back:
        root = fragments.parse(part.html)
        for anchor in root.iter("a"):
            href = anchor.get("href") or ""
            if href.startswith("#"):
                anchor.set("href", href_for_from(part.id)(href[1:]))
        back_parts.append(Part(part.id, part.kind, part.title, fragments.inner(root, xhtml=xhtml)))
    parts = front + chapters + back_parts
    if not marks:
        return tuple(parts)
    by_part: dict[str, list[PageMark]] = {}
    for mark in marks:
        by_part.setdefault(mark.part, []).append(mark)
    return tuple(replace(p, html=_mark_pages(p.html, by_part[p.id], xhtml))
                 if p.id in by_part else p for p in parts)


@i18n.in_book_words
def render_epub(book: Book, marks: tuple[PageMark, ...] = ()) -> Rendition:
    """XHTML bodies, one per part, for EbookLib to wrap, with a page-break marker where
    each print page starts (`marks`, from the print layout)."""
    return Rendition("epub", _split_parts(book, ".xhtml", True, marks), "", marks)


@i18n.in_book_words
def render_web(book: Book, downloads: tuple[Download, ...] = ()) -> Rendition:
    """One HTML page per part and a search page, each with the book's navigation; `html`
    is the home page: cover, title, description, the `downloads` and the contents."""
    parts = _split_parts(book, ".html", xhtml=False)
    contents = [TocEntry(p.kind, p.title, f"{p.id}.html", p.number) for p in parts
                if p.kind in ("chapter", "bibliography", "credits", "contributors",
                              "revisions")]
    template = _ENV.get_template("web.html.j2")
    when = build_date(book)
    common = {"meta": book.meta, "edition": book.edition, "downloads": downloads,
              "cover": book.meta.cover or "cover.png", "base_url": book.meta.base_url,
              "date_text": _date_text(book), "iso_date": when.strftime("%Y-%m-%d"),
              "contents": contents, "script_words": i18n.script_words(i18n.current()),
              "index_page": book.index_page}
    pages = []
    for index, part in enumerate(parts):
        pages.append(Part(part.id, part.kind, part.title, template.render(
            common, page=part.id, title=part.title, body=Markup(part.html),
            prev=parts[index - 1] if index else None,
            next=parts[index + 1] if index + 1 < len(parts) else None)))
    search = i18n.current().pgettext("search", "Search")
    pages.append(Part("search", "search", search, template.render(
        common, page="search", title=search, body="", prev=None, next=None)))
    home = template.render(common, page="index", title=book.meta.title, body="", prev=None,
                           next=parts[0])
    return Rendition("html", tuple(pages), home)
