"""book.toml: its schema, and the checks across keys (chapter ids, an author) that the
schema cannot make; every problem is reported at once with its line."""

from __future__ import annotations

from ..errors import Collector
from ..model import ROLES, Contributor, Metadata, PrintSetup, chapter_id
from .limits import MAX_KEYWORDS
from .schema import (
    Choice,
    Date,
    Flag,
    Identifier,
    Isbn,
    LanguageTag,
    Length,
    Mapping,
    Number,
    PageSize,
    Prose,
    Schema,
    Table,
    TableList,
    Text,
    TextList,
    TomlPlace,
)
from .tomlfile import TomlDoc

MANIFEST = "book.toml"


CONTRIBUTOR = Schema({
    "name": Text(required=True, doc="The person's or group's name."),
    "role": Choice(required=True, doc="One of: " + ", ".join(ROLES) + ".", choices=tuple(ROLES),
                   blank=True, unknown="unknown contributor role '{value}'",
                   unknown_rule="contributor-unknown-role"),
    "note": Text(blank=True, doc="What they did, printed on the contributors page."),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value",
    missing_rule="contributor-missing-{key}")

EPUB = Schema({
    "page-list": Flag(default=True, doc="`true` (default): the EPUB maps the print edition's "
                      "pages (page-list, page-break markers), so it takes the print layout; "
                      "`false`: no page-list, and an EPUB built alone lays nothing out."),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

LINKS = Schema({
    "base": Text(blank=True, doc="The URL the book is published under (mdBook's site), e.g. "
                 "`https://doc.rust-lang.org/book/`: a link that leaves the book (`../std/`, "
                 "`/about/`, a file that is not a chapter) becomes an absolute link resolved "
                 "against it with the chapter's path; without it such a link is a warning and "
                 "plain text.", pattern=r"https?://[^\s#?]+/",
                 form="must be an http(s) URL ending in '/', e.g. 'https://example.org/book/'"),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

MARKDOWN = Schema({
    "math": Flag(default=True, doc="`true` (default): `$…$` and `$$…$$` are math; `false`: "
                 "dollars are text, as in an mdBook without a math preprocessor "
                 "(`book import mdbook` sets it so)."),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

WEB = Schema({
    "base-url": Text(blank=True, doc="The URL the web edition is published at, e.g. "
                     "`https://example.org/book/`: its pages then name their canonical URL, "
                     "and link previews and library metadata get absolute addresses.",
                     pattern=r"https?://[^\s#?]+/",
                     form="must be an http(s) URL ending in '/', e.g. 'https://example.org/book/'"),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

REFERENCES = Schema({
    "numbering": Choice(default="book", doc="How figures, tables and equations are numbered: "
                        "`book` (default: 1, 2, 3… through the book) or `chapter` (2.1, 2.2… "
                        "in chapter 2). Sections are always numbered in their chapter (2.3).",
                        choices=("book", "chapter")),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

# Trim sizes by name, in millimetres (width, height).
TRIMS = (("a5", (148.0, 210.0)), ("6x9in", (152.4, 228.6)), ("5.5x8.5in", (139.7, 215.9)),
         ("royal", (156.0, 234.0)))
# Pages per inch of common print-on-demand papers: the cover's spine is pages / ppi inches
# wide. Typical figures; the service's own goes in `ppi`.
PAPERS = {"white-50lb": 444, "cream-50lb": 400, "cream-55lb": 360}
RECTO = ("all", "chapters")  # [print] recto: which parts open on a right-hand page

PRINT = Schema({
    "trim": PageSize(default=(148.0, 210.0), named=TRIMS, doc="The printed page: `a5` (default), "
                     "`6x9in`, `5.5x8.5in`, `royal` (156x234mm) or `WxH` with a unit "
                     "(`150x230mm`); the margins scale with it."),
    "bleed": Length(default=3.0, most=3.5, doc="How far the print interior and cover "
                    "extend past the trim (`--format print`), e.g. `3mm` (default) or "
                    "`0.125in`; at most 3.5mm (WeasyPrint's BleedBox reaches 10pt past the "
                    "trim at most)."),
    "marks": Flag(default=False, doc="`true`: crop marks on the print interior and cover."),
    "paper": Choice(default="white-50lb", choices=tuple(PAPERS), doc="The paper, for the "
                    "cover's spine width: " + ", ".join(f"`{name}` ({ppi} pages per inch)"
                                                       for name, ppi in PAPERS.items())
                    + "; default `white-50lb`."),
    "ppi": Number(least=100, most=1000, doc="The paper's pages per inch as the print "
                  "service gives it (instead of `paper`), e.g. `444`."),
    "number-chapters": Flag(default=False, doc="`true`: chapters are numbered in every "
                            "edition (\"Chapter 3\" over the title, numbers in the "
                            "contents, `[](03-x.md)` printed \"chapter 3\"); timelines, "
                            "glossaries and the back matter never are."),
    "recto": Choice(default="all", choices=RECTO, doc="Which parts open on a right-hand "
                    "page in print: `all` (default: every chapter, data page and back-matter "
                    "page) or `chapters` (the entries of `chapters`; the back matter runs "
                    "on, each part on a new page)."),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

RELEASE = Schema({
    "corrections": Flag(default=False, doc="`true`: `book release` adds a Corrections page "
                        "after the last chapter: what changed in the text since the previous "
                        "version tag, with the page of that print edition where it stood "
                        "(see `book changes`)."),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value")

BOOK = Schema({
    "title": Text(required=True, doc="The book's title."),
    "subtitle": Text(blank=True, doc="Subtitle printed under the title."),
    "language": LanguageTag(required=True,
                            doc="BCP 47 language tag of the text, e.g. `en`, `en-GB`."),
    "numerals": Choice(choices=("native", "latin"), default="",
                       doc="The digits of the numbers the builder writes (page numbers, "
                       "figure and note numbers, dates): `native`, the language's own (۱۲۳ "
                       "in Persian, ١٢٣ in Arabic), or `latin` (123). Default: what CLDR "
                       "gives the language tag: `fa` native, `ar` latin, `ar-EG` native."),
    "slug": Text(required=True, doc="File-name stem of the editions (`<slug>.pdf`): lower-case "
                 "letters, digits and single hyphens.",
                 pattern=r"[a-z0-9]+(-[a-z0-9]+)*",
                 form="must be lower-case letters, digits and single hyphens (e.g. 'my-book')"),
    "publisher": Text(required=True, doc="Publisher named on the title page and in metadata."),
    "rights": Text(required=True, doc="Copyright and licence statement."),
    "identifier": Identifier(required=True, doc="Stable identifier: `urn:uuid:<UUID>`, "
                             "`urn:isbn:<ISBN-10 or ISBN-13>` or an http(s) URL."),
    "date": Date(required=True, doc="Publication date, `YYYY-MM-DD` (a real calendar date)."),
    "description": Text(blank=True, doc="One-paragraph description for metadata."),
    "keywords": TextList(doc="Subject keywords."),
    "based_on": Text(blank=True, doc="Credit for the source material, printed in the colophon."),
    "cover": Text(blank=True, doc="Cover image path; without it the builder draws one from "
                                  "title, subtitle and publisher."),
    "strings": Mapping(doc="The builder's words overridden, by key: `contents = \"Table of "
                       "contents\"` (the keys are listed under Languages).",
                       values=Prose(doc="The words the edition prints.")),
    "bibliography": Text(blank=True, doc="The bibliography the text cites (`[@key]`): a "
                         "BibTeX (`.bib`) or CSL-JSON (`.json`) file in the project.",
                         pattern=r"[^\s].*\.(bib|json)", form="must be a .bib or .json file"),
    "csl": Text(blank=True, doc="The CSL style citations follow (a `.csl` file in the "
                "project); default: Chicago author-date, which the builder ships.",
                pattern=r"[^\s].*\.csl", form="must be a .csl file"),
    "chapters": TextList(required=True, doc="Chapter files in reading order.", filled="is empty"),
    "contributors": TableList(required=True, doc="Who made the book; at least one `author`.",
                              schema=CONTRIBUTOR, not_table="each contributor must be a table"),
    "check": Table(doc="Warnings `book check` silences: `ignore`, `[check.files]` (see "
                       "`book check`)."),
    "epub": Table(doc="Options of the EPUB edition.", schema=EPUB),
    "links": Table(doc="Where links that leave the book point: `base`.", schema=LINKS),
    "markdown": Table(doc="How the Markdown is read: `math`.", schema=MARKDOWN),
    "web": Table(doc="Options of the web edition: `base-url`.", schema=WEB),
    "release": Table(doc="Options of `book release`: `corrections`.", schema=RELEASE),
    "print": Table(doc="The printed book: `trim`, `number-chapters`, `recto`, and for "
                   "`--format print` `bleed`, `marks`, `paper` or `ppi`.", schema=PRINT),
    "isbn": Isbn(blank=True, doc="The printed edition's ISBN (10 or 13 digits, hyphens "
                 "allowed): its EAN-13 barcode goes on the back of the print cover."),
    "references": Table(doc="Numbered cross-references: `numbering`.", schema=REFERENCES),
}, unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value",
    missing_rule="manifest-missing-key")


def _check_chapter_ids(doc: TomlDoc, chapters: list, problems: Collector) -> None:
    """A chapter's id is its path without the extension (model.chapter_id), so only `x.md`
    listed beside `x.toml` can share one."""
    owners: dict[str, str] = {}
    for path in dict.fromkeys(p for p in chapters if isinstance(p, str)):
        cid = chapter_id(path)
        if cid in owners:
            problems.add(doc.path, doc.value_line(path, "chapters"),
                         f"chapter '{path}' gets the id '{cid}', as '{owners[cid]}' does",
                         "rename one of the files", rule="manifest-chapter-id")
        owners.setdefault(cid, path)


def _press(values: dict) -> PrintSetup:
    """The [print] table as the model holds it: the paper's ppi looked up unless given."""
    ppi = values.get("ppi")
    return PrintSetup(trim=values["trim"], bleed=values["bleed"], marks=values["marks"],
                      ppi=ppi or float(PAPERS[values["paper"]]),
                      paper="" if ppi else values["paper"], recto=values["recto"])


def parse_config(doc: TomlDoc) -> Metadata:
    """Validate a parsed book.toml and build the metadata; all problems raise together."""
    problems = Collector()
    values = BOOK.check(doc.data, TomlPlace(doc), problems)
    if doc.data.get("contributors") == []:
        problems.add(doc.path, doc.line("contributors"), "at least one contributor is needed",
                     rule="contributor-no-author")
    chapters = doc.data.get("chapters", [])
    if isinstance(chapters, list):
        seen: dict[str, int] = {}
        for path in (p for p in chapters if isinstance(p, str)):
            seen[path] = seen.get(path, 0) + 1
            if seen[path] > 1:  # point at the repeat itself
                problems.add(doc.path, doc.value_line(path, "chapters", seen[path]),
                             f"chapter '{path}' is listed twice",
                             rule="manifest-chapter-twice")
        _check_chapter_ids(doc, chapters, problems)
    press = doc.data.get("print")
    if isinstance(press, dict) and {"paper", "ppi"} <= press.keys():
        problems.add(doc.path, doc.line("ppi", "print"), "[print] gives both 'paper' and 'ppi'",
                     "keep one: 'ppi' is the paper's pages per inch", rule="manifest-bad-value")
    problems.raise_if_any()
    if len(values["keywords"] or ()) > MAX_KEYWORDS:
        problems.add(doc.path, doc.line("keywords"), f"{len(values['keywords']):,} keywords; "
                     f"at most {MAX_KEYWORDS}", rule="limit-keywords")
        problems.raise_if_any()
    contributors = [Contributor(e.values["name"], e.values["role"], e.values["note"])
                    for e in values["contributors"]]
    if not any(c.role == "author" for c in contributors):
        problems.add(doc.path, doc.table_line("contributors"),
                     "no contributor has the role 'author'", "the book needs a creator",
                     rule="contributor-no-author")
        problems.raise_if_any()
    return Metadata(
        title=values["title"],
        subtitle=values["subtitle"],
        language=values["language"],
        numerals=values["numerals"],
        slug=values["slug"],
        publisher=values["publisher"],
        rights=values["rights"],
        identifier=values["identifier"],
        date=values["date"],
        description=values["description"],
        keywords=tuple(values["keywords"]),
        based_on=values["based_on"],
        contributors=tuple(contributors),
        chapter_paths=tuple(values["chapters"]),
        cover=values["cover"],
        page_list=values["epub"]["page-list"],
        base_url=values["web"]["base-url"],
        link_base=values["links"]["base"],
        math=values["markdown"]["math"],
        corrections=values["release"]["corrections"],
        press=_press(values["print"]),
        isbn=values["isbn"],
        numbering=values["references"]["numbering"],
        number_chapters=values["print"]["number-chapters"],
        bibliography=values["bibliography"],
        csl=values["csl"],
        strings=tuple(sorted(values["strings"].items())),
    )
