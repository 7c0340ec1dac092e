"""The typed, frozen document model that passes between the stages.

load → Sources; parse → Chapter; assemble → Book; render → Rendition. Every stage reads the
model and returns new values; nothing mutates a Book after assemble builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import Problem

ROLES = {
    "author": "aut",
    "editor": "edt",
    "contributor": "ctb",
    "photographer": "pht",
    "illustrator": "ill",
    "translator": "trl",
    "designer": "bkd",
    "source": "ant",  # MARC "bibliographic antecedent": reporting the book is based on
}

MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".svgz": "image/svg+xml",
    ".webp": "image/webp",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".css": "text/css",
}


def media_type(path: str) -> str | None:
    """The media type the editions declare for a file, by its extension (None: not one)."""
    return MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())


FIGURE_KINDS = ("photo", "map", "chart", "illustration")
LICENCES = ("stand-in", "licensed", "public-domain", "cc-by", "cc-by-sa", "own")


@dataclass(frozen=True)
class Contributor:
    name: str
    role: str  # a key of ROLES
    note: str = ""

    @property
    def marc(self) -> str:
        """The MARC relator code EPUB metadata wants for this role."""
        return ROLES[self.role]


@dataclass(frozen=True)
class PrintSetup:
    """book.toml's [print] table, in millimetres: the trim (the page a reader holds),
    the bleed a print-on-demand service asks for, crop marks, and the paper's pages per
    inch, from which the cover's spine width follows."""

    trim: tuple[float, float] = (148.0, 210.0)  # A5
    bleed: float = 3.0
    marks: bool = False
    ppi: float = 444.0  # pages per inch of the paper ([print] paper or ppi)
    paper: str = "white-50lb"  # the name the ppi came from ("" when ppi is given)
    recto: str = "all"  # which parts open on a right-hand page: all | chapters


@dataclass(frozen=True)
class Metadata:
    """What book.toml says about the book as a whole."""

    title: str
    subtitle: str
    language: str
    slug: str
    publisher: str
    rights: str
    identifier: str
    date: str
    description: str
    keywords: tuple[str, ...]
    based_on: str
    contributors: tuple[Contributor, ...]
    chapter_paths: tuple[str, ...]
    cover: str = ""
    base_url: str = ""  # where the web edition is published ([web] base-url), "" unknown
    page_list: bool = True  # the EPUB maps the print edition's pages ([epub] page-list)
    link_base: str = ""  # [links] base: where links that leave the book are resolved
    math: bool = True  # [markdown] math: `$…$` is math
    corrections: bool = False  # [release] corrections: a release adds a Corrections page
    press: PrintSetup = PrintSetup()  # [print]: trim, bleed, marks, paper
    isbn: str = ""  # the printed edition's ISBN-13, digits only ("" none): the cover's barcode
    numbering: str = "book"  # [references] numbering: "book" or "chapter"
    number_chapters: bool = False  # [print] number-chapters: "Chapter 3" in every edition
    bibliography: str = ""  # the .bib or CSL-JSON file citations name ("" none)
    csl: str = ""  # the project's CSL style ("" the shipped Chicago author-date)
    strings: tuple[tuple[str, str], ...] = ()  # [strings]: the builder's words overridden
    numerals: str = ""  # "native", "latin" or "" (the language's CLDR default)

    @property
    def authors(self) -> tuple[Contributor, ...]:
        return tuple(c for c in self.contributors if c.role == "author")


@dataclass(frozen=True)
class Photo:
    """One entry of the photo manifest."""

    id: str
    file: str  # project-relative path
    caption: str
    credit: str
    alt: str
    source: str
    licence: str
    subject: str = ""
    line: int | None = None
    kind: str = "photo"  # photo | map | chart | illustration

    @property
    def is_stand_in(self) -> bool:
        return self.licence == "stand-in"


@dataclass(frozen=True)
class Asset:
    """A file an edition embeds: image or font. `path` is project-relative (POSIX)."""

    path: str
    data: bytes
    media_type: str
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str


@dataclass(frozen=True)
class Footnote:
    number: int
    id: str  # the note's anchor id
    ref_id: str  # the call's anchor id
    html: str


@dataclass(frozen=True)
class Link:
    """An internal link found while parsing, checked by assemble."""

    line: int
    target_path: str  # project-relative chapter path; "" for a photo link
    anchor: str  # global id the href points at ('' for the chapter's start)
    raw: str
    slot: str = ""  # the id parse wrote as the href (`#<slot>`), which assemble resolves


@dataclass(frozen=True)
class Label:
    """A numbered target an author labels (`{#tbl-…}`, `{#sec-…}`, `{#eq-…}`): its label,
    kind (a key of references.KINDS), the id of its element and where it is defined.
    `position` places a section among its chapter's headings ((2,) the second `##`,
    (2, 1) the first `###` under it); assemble numbers the others in reading order."""

    name: str
    kind: str
    anchor: str
    line: int
    position: tuple[int, ...] = ()


@dataclass(frozen=True)
class CrossRef:
    """A link to a label (`[](#tbl-losses)`): parse writes `#<slot>` as its href, and
    assemble points it at the label's element and, when the text is empty, fills it with
    the label's number ("table 2")."""

    line: int
    label: str
    slot: str


@dataclass(frozen=True)
class Citation:
    """A citation as written (`[@a, p. 4; @b]` or narrative `@a`): its works as (key,
    locator label, locator) and the id of the <cite> that holds it in the chapter."""

    line: int
    items: tuple[tuple[str, str, str], ...]
    id: str
    narrative: bool
    text: str


@dataclass(frozen=True)
class Reference:
    """One entry of the bibliography: a cited work formatted by the CSL style (inline
    HTML) and the chapters that cite it, as (chapter id, id of its first citation there),
    as the glossary lists where a term is used."""

    key: str
    id: str
    html: str
    cited_at: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Term:
    """A glossary entry: the forms that count as a use of it in the text, and its
    definition (inline HTML)."""

    id: str
    term: str
    forms: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class IndexEntry:
    """An entry of the book's index as index.toml lists it: the forms whose every use in
    the text is a locator, its sub-entries (each an IndexEntry of its own, `parent` its
    heading's term), and "see" (the preferred entries, instead of locators) or "see
    also" (related entries) by their terms."""

    id: str
    term: str
    forms: tuple[str, ...]
    line: int
    see: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    subentries: tuple[IndexEntry, ...] = ()
    parent: str = ""


@dataclass(frozen=True)
class IndexMark:
    """A place the text marks for the index (`[the corridor]{index="Lachin corridor"}`):
    the entry's term, its sub-entry ("" none), the id of the <span> around the marked text,
    the line it is written on and the id of the entry it is filed under (assemble's)."""

    term: str
    sub: str
    anchor: str
    line: int
    entry: str = ""


# The attribute of the empty <div> that stands in a chapter's body where one of its blocks
# goes: its value is the block's index in Chapter.blocks (render puts the block's markup there).
BLOCK_SLOT = "data-block"


# The attribute print sets on every link whose target's page number it prints: print.css
# prints the number after the link (the attribute's value first), and the chunked layout
# hands the page number to references that cross chunks.
PAGE_REF = "data-page-ref"

# The class of every resolved cross-reference (`[](#tbl-losses)`): print adds the page of
# its target to each one, the other editions leave it a link.
XREF_CLASS = "xref"

# The attribute of an element that lists page references as pages: its value names the
# targets of its links (each marked PAGE_REF), and once the layout knows their pages the
# list is set again with each page once and runs of pages merged ("14–16"): pdf/ranges.py.
PAGE_RANGES = "data-page-ranges"
# Beside it, the book's ten digits (0-9 in its numbering system): the pages are written in
# them, as the page counter prints its own.
PAGE_DIGITS = "data-page-digits"

# What assemble leaves on a cross-reference whose text the builder writes (an empty
# `[](#tbl-losses)`, `[](03-x.md)`), for render to say in the book's language: the kind of
# target (figure, table, section, equation, chapter), its number, and whether it opens a
# sentence. A numbered table's label and an equation's number carry REF_NUMBER too.
REF_KIND = "data-ref-kind"
REF_NUMBER = "data-ref-number"
REF_CAPITAL = "data-ref-capital"

# Print marks each back-matter part that may open on any page ([print] recto = "chapters")
# with this attribute: print.css breaks before it to a new page, not to a recto, and the
# chunked layout lays the back matter out with the last chapter, where it runs on.
RUN_ON = "data-run-on"


@dataclass(frozen=True)
class KeyFigures:
    """A "by the numbers" box: its title (plain text) and its rows as (value, label) inline
    HTML. It stands in its chapter's body at a BLOCK_SLOT."""

    title: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TimelineEvent:
    """One entry of a timeline page: date as the source gives it (plain text), title and
    note as inline HTML, and the anchor of the chapter or heading it links to ('' none)."""

    date: str
    title: str
    note: str
    anchor: str = ""


@dataclass(frozen=True)
class Chapter:
    """One parsed chapter. `body` is sanitized HTML whose internal hrefs are `#global-id`;
    what the book shows from data (key-figures boxes, a timeline's events, a glossary's
    terms, a data page's intro) stays data here, and render's templates make its markup."""

    id: str
    path: str  # project-relative source path
    title: str
    short_title: str
    body: str
    headings: tuple[Heading, ...]
    footnotes: tuple[Footnote, ...]
    photo_ids: tuple[tuple[str, int], ...]  # (photo id, line)
    image_paths: tuple[tuple[str, int], ...]  # (project-relative image path, line)
    links: tuple[Link, ...]
    kind: str = "chapter"  # chapter | timeline | glossary | index
    number: int = 0
    terms: tuple[Term, ...] = ()  # a glossary page's entries
    intro: str = ""  # a data page's text before its entries (inline HTML)
    events: tuple[TimelineEvent, ...] = ()  # a timeline page's entries
    blocks: tuple[KeyFigures, ...] = ()  # by index, for the BLOCK_SLOTs of `body`
    warnings: tuple[Problem, ...] = ()  # located problems its editions work around
    anchors: tuple[str, ...] = ()  # ids of raw HTML anchors (<a id>, <a name>) in `body`
    title_id: str = ""  # the id the title heading would have: links to it go to the start
    labels: tuple[Label, ...] = ()  # numbered targets defined here, in reading order
    xrefs: tuple[CrossRef, ...] = ()  # links to labels, resolved by assemble
    citations: tuple[Citation, ...] = ()  # in reading order, footnotes' after the body's
    language: str = ""  # front matter `lang`: its BCP 47 tag ("" the book's)
    direction: str = ""  # front matter `dir`: "rtl" or "ltr" ("" its language's)
    index_marks: tuple[IndexMark, ...] = ()  # places the text marks for the index
    index_entries: tuple[IndexEntry, ...] = ()  # an index page's entries (index.toml)

    @property
    def anchor_ids(self) -> frozenset[str]:
        ids = {self.id}
        ids.update(h.id for h in self.headings)
        ids.update(f.id for f in self.footnotes)
        ids.update(f.ref_id for f in self.footnotes)
        ids.update(figure_id(p) for p, _ in self.photo_ids)
        ids.update(t.id for t in self.terms)
        ids.update(self.anchors)
        ids.update(label.anchor for label in self.labels)
        ids.update(citation.id for citation in self.citations)
        ids.update(mark.anchor for mark in self.index_marks)
        return frozenset(ids)


def figure_id(photo_id: str) -> str:
    """The anchor of a placed photo, shared by every edition and by `photo:` links."""
    return f"fig-{photo_id}"


@dataclass(frozen=True)
class Figure:
    """A photo as placed in the book, numbered in reading order."""

    number: int
    photo: Photo
    chapter_id: str
    numbered: str = ""  # "3.2" when the book numbers per chapter ([references] numbering)

    @property
    def id(self) -> str:
        return figure_id(self.photo.id)

    @property
    def label(self) -> str:
        """The number the book prints: per chapter ("3.2") or per book ("7")."""
        return self.numbered or str(self.number)


@dataclass(frozen=True)
class Revision:
    """One edition in CHANGELOG.md: its version, date and changes by kind (Added, Fixed,
    Corrections…); items are inline HTML."""

    version: str
    date: str
    sections: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Edition:
    """What stamps this build: its version label and the date every output carries."""

    version: str
    timestamp: int  # seconds since the epoch (SOURCE_DATE_EPOCH or the clock)
    commit: str = ""
    dated: bool = True  # False: the timestamp is the clock's, never printed (the book's date is)


@dataclass(frozen=True)
class Book:
    root: Path
    meta: Metadata
    chapters: tuple[Chapter, ...]
    figures: tuple[Figure, ...]
    assets: tuple[Asset, ...]
    edition: Edition
    extra_css: tuple[Asset, ...] = ()
    revisions: tuple[Revision, ...] = ()
    warnings: tuple[Problem, ...] = ()  # located problems the editions work around
    references: tuple[Reference, ...] = ()  # the bibliography: the works cited

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for c in self.chapters for t in c.terms)

    @property
    def index_page(self) -> Chapter | None:
        """The index page (an index.toml listed among the chapters), if the book has one."""
        return next((c for c in self.chapters if c.kind == "index"), None)

    @property
    def stand_ins(self) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.photo.is_stand_in)


# Ids the builder gives its own parts and files: front and back matter (title-page,
# colophon, contents, photo-credits, contributors, revision-history, and their headings),
# the web edition's index and search pages, and EbookLib's cover, nav, NCX and stylesheet items.
GENERATED_IDS = frozenset({
    "title-page", "colophon", "contents", "contents-title", "photo-credits",
    "photo-credits-title", "contributors", "contributors-title", "revision-history",
    "revision-history-title", "index", "cover", "cover-img", "nav", "toc", "ncx", "style",
    "page-list", "print-source", "search", "title-main", "title-sub",
})
_NUMBERED_IDS = re.compile(r"(img|page|contributor)-\d+|(font|fig)-.+")  # EPUB items, page breaks


def clashing_id(cid: str) -> bool:
    """Whether an id is one the builder makes itself: a generated part, an EPUB item, a page
    break or a figure. chapter_id never returns one."""
    return cid in GENERATED_IDS or bool(_NUMBERED_IDS.fullmatch(cid))


def _escape(char: str) -> str:
    return f"_{ord(char):X}_"


def _id_char(char: str) -> bool:
    """Letters and digits of any script that XML names allow (U+00C0 on; ASCII ones)."""
    return char.isalnum() and (char.isascii() or ord(char) >= 0xC0)


def chapter_id(path: str) -> str:
    """The id a chapter file gets everywhere (anchors, EPUB and web file names, manifest
    items): its whole project-relative path without `.md`/`.toml`, `/` written `.`, letters
    and digits of any script kept, and every other character escaped as `_HEX_` (`_` as
    `__`). The mapping is one-to-one, so no two files share an id (`cli/README.md` →
    `cli.README`, `format/README.md` → `format.README`), the result is an XML name, and it
    never holds `--` nor ends with `-`, so `<chapter>--<heading>` anchors stay unambiguous.
    A path whose id would be one the builder gives its own parts (`contributors.md`,
    `index.md`) has its first character escaped instead: no file is refused for its name."""
    stem = re.sub(r"\.(md|toml)$", "", path)
    out = []
    for index, char in enumerate(stem):
        following = stem[index + 1:index + 2]
        if char == "/":
            out.append(".")
        elif char == "_":
            out.append("__")
        elif char == "-" and index and following not in ("", "-", "/"):
            out.append("-")
        elif _id_char(char) and (index or not char.isdigit() or not char.isascii()):
            out.append(char)
        else:
            out.append(_escape(char))
    cid = "".join(out)
    return _escape(stem[0]) + cid[1:] if clashing_id(cid) else cid


@dataclass(frozen=True)
class PageMark:
    """Where a print page starts, in terms every edition shares: the part (chapter or
    front/back-matter id), the index of the top-level block in it (-1: the part's start)
    and the first characters of text on the page."""

    label: str
    part: str
    block: int
    text: str


@dataclass(frozen=True)
class Part:
    """One unit of an edition: a front-matter page, a chapter or a back-matter page."""

    id: str
    kind: str  # titlepage | colophon | toc | chapter | credits | contributors
    title: str
    html: str
    number: str = ""  # a numbered chapter's number, for the contents ("" none)


@dataclass(frozen=True)
class Download:
    """An edition file the web edition offers beside its pages: what its home page says
    about it (the checksum lets a reader check the file they got)."""

    format: str  # "pdf" | "epub"
    name: str  # file name inside the web folder
    size: int
    sha256: str
    pages: int | None = None


@dataclass(frozen=True)
class Rendition:
    """What render makes for one edition: its parts and, for print and web, the whole page."""

    format: str
    parts: tuple[Part, ...]
    html: str
    pages: tuple[PageMark, ...] = ()
    digits: str = "0123456789"  # the book's digits, for page numbers the layout writes
