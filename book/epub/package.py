"""The EPUB emitter: EbookLib assembles the package, then the zip is rewritten so the
output is deterministic (mimetype first and stored, sorted entries, fixed timestamps) and
written atomically."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ebooklib import epub
from lxml import etree

from .. import fragments
from ..errors import BuildError
from ..model import Book, Part, Rendition, media_type
from ..output import atomic_write
from ..render.cover import make_cover
from ..render.html import build_date, chapter_content
from ..render.i18n import strings_for
from ..render.script import chapter_script, is_rtl
from ..render.theme import font_files, stylesheet

CSS_NAME = "book.css"
EPUB_NS = "http://www.idpf.org/2007/ops"


@dataclass(frozen=True)
class EpubResult:
    path: Path
    size: int


def _accessibility(book: Book, ebook: epub.EpubBook, paginated: bool) -> None:
    """Accessibility metadata derived from what the book actually contains."""
    has_images = bool(book.figures) or any(c.image_paths for c in book.chapters)
    modes = ["textual"] + (["visual"] if has_images else [])
    for mode in modes:
        ebook.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    ebook.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
    features = ["tableOfContents", "readingOrder", "structuralNavigation"]
    described = has_images and _all_images_have_alt(book)
    if described:
        features.append("alternativeText")
    if paginated:
        features += ["pageBreakMarkers", "pageNavigation"]
    for feature in features:
        ebook.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    ebook.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    strings = strings_for(book.meta)
    summary = strings.words("a11y-summary", "Text with headings, a navigable table of contents "
                            "and footnotes linked both ways.")
    if described:
        summary += " " + strings.words("a11y-images", "Every image has a text alternative; "
                                       "captions and credits are in the text.")
    ebook.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
    ebook.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.2 Level AA",
                       {"property": "dcterms:conformsTo"})


def _all_images_have_alt(book: Book) -> bool:
    from lxml import html

    for chapter in book.chapters:
        root = html.fragment_fromstring(chapter_content(chapter) or "<p></p>", create_parent="div")
        if any(not (img.get("alt") or "").strip() for img in root.iter("img")):
            return False
    return all(f.photo.alt.strip() for f in book.figures)


def _metadata(book: Book, ebook: epub.EpubBook, paginated: bool) -> None:
    meta = book.meta
    ebook.set_identifier(meta.identifier)
    ebook.title = meta.title  # for EbookLib's nav and NCX; the metadata says more:
    ebook.add_metadata("DC", "title", meta.title, {"id": "title-main"})
    ebook.add_metadata(None, "meta", "main", {"refines": "#title-main", "property": "title-type"})
    if meta.subtitle:
        ebook.add_metadata("DC", "title", meta.subtitle, {"id": "title-sub"})
        ebook.add_metadata(None, "meta", "subtitle",
                           {"refines": "#title-sub", "property": "title-type"})
    ebook.set_language(meta.language)
    if is_rtl(meta.language):  # page-progression-direction="rtl" on the spine
        ebook.set_direction("rtl")
    for index, person in enumerate(meta.contributors):
        uid = f"contributor-{index}"
        tag = "creator" if person.role == "author" else "contributor"
        ebook.add_metadata("DC", tag, person.name, {"id": uid})
        ebook.add_metadata(None, "meta", person.marc,
                           {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
    ebook.add_metadata("DC", "publisher", meta.publisher)
    ebook.add_metadata("DC", "rights", meta.rights)
    ebook.add_metadata("DC", "date", meta.date)
    if meta.description:
        ebook.add_metadata("DC", "description", meta.description)
    for keyword in meta.keywords:
        ebook.add_metadata("DC", "subject", keyword)
    if meta.based_on:
        ebook.add_metadata("DC", "source", meta.based_on)
    if paginated:
        strings = strings_for(meta)
        source = (strings.words("print-source-edition", "%(title)s, print edition (PDF, "
                                "edition %(edition)s)", title=meta.title,
                                edition=book.edition.version) if book.edition.version
                  else strings.words("print-source", "%(title)s, print edition (PDF)",
                                     title=meta.title))
        ebook.add_metadata("DC", "source", source,
                           {"id": "print-source"})
        ebook.add_metadata(None, "meta", "pagination",
                           {"refines": "#print-source", "property": "source-of"})
    if book.edition.version:  # with the identifier and dcterms:modified, names the release
        ebook.add_metadata(None, "meta", book.edition.version, {"property": "schema:version"})
    _accessibility(book, ebook, paginated)


def _stylesheet(book: Book) -> epub.EpubItem:
    css = stylesheet("epub", book)
    css += "\n".join(a.data.decode("utf-8") for a in book.extra_css)
    return epub.EpubItem(uid="style", file_name=CSS_NAME, media_type="text/css",
                         content=css.encode("utf-8"))


def _finish_nav(nav: bytes, rendition: Rendition, book: Book) -> bytes:
    """EbookLib's nav document, finished: its landmarks hidden (they are for the reading
    system's menus, not the reading order), and the page-list built from the print layout."""
    tree = etree.fromstring(nav)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    body = tree.find("x:body", ns)
    if body is None:
        raise ValueError("EbookLib's nav document has no <body>")
    if is_rtl(book.meta.language):  # EbookLib writes the nav without its direction
        tree.set("dir", "rtl")
    for landmarks in body.iterfind("x:nav", ns):
        if landmarks.get(f"{{{EPUB_NS}}}type") == "landmarks":
            landmarks.set("hidden", "hidden")
            for heading in landmarks.iterfind("x:h2", ns):  # EbookLib writes "Guide"
                heading.text = strings_for(book.meta).words("landmarks", "Guide")
    if not rendition.pages:
        return etree.tostring(tree, xml_declaration=True, encoding="utf-8")
    files = {p.id for p in rendition.parts}
    page_nav = etree.SubElement(body, f"{{{ns['x']}}}nav", {
        f"{{{EPUB_NS}}}type": "page-list", "id": "page-list", "hidden": "hidden"})
    etree.SubElement(page_nav, f"{{{ns['x']}}}h2").text = strings_for(book.meta).words(
        "page-list", "Pages")
    items = etree.SubElement(page_nav, f"{{{ns['x']}}}ol")
    for mark in rendition.pages:
        href = f"{mark.part}.xhtml#page-{mark.label}" if mark.part in files else "nav.xhtml"
        link = etree.SubElement(etree.SubElement(items, f"{{{ns['x']}}}li"),
                                f"{{{ns['x']}}}a", {"href": href})
        link.text = strings_for(book.meta).digits(mark.label)  # the print edition's folio
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def _package_language(opf: bytes, language: str) -> bytes:
    """EbookLib leaves xml:lang off the package element; reading systems and Ace want it."""
    tree = etree.fromstring(opf)
    tree.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def _check_structure(name: str, data: bytes, book: Book) -> list[str]:
    """The content-model rules EPUBCheck enforces, checked on one finished XHTML part: raw
    HTML is repaired at parse, so what is left is refused here rather than shipped in an
    EPUB that fails EPUBCheck. Each problem names the part, its line and the chapter."""
    tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    sources = {f"EPUB/{c.id}.xhtml": c.path for c in book.chapters}
    where = f" (from {sources[name]})" if name in sources else ""
    return [f"{name}:{element.sourceline}{where}: {message}"
            for element, _, message in fragments.content_model_problems(tree)]


def _deterministic_zip(raw: bytes, when: dt.datetime, rendition: Rendition,
                       book: Book) -> bytes:
    """Rewrite EbookLib's zip: mimetype first and stored, entries sorted, fixed times; the
    nav is finished here (EbookLib's own page-list would list every epub:type); every
    XHTML part is checked against the content model on its way in."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    invalid: list[str] = []
    with zipfile.ZipFile(out, "w") as target:
        names = sorted(n for n in source.namelist() if n != "mimetype")
        for name in ["mimetype"] + names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = source.read(name)
            if name.endswith("/nav.xhtml"):
                data = _finish_nav(data, rendition, book)
            elif name.endswith(".opf"):
                data = _package_language(data, book.meta.language)
            if name.endswith(".xhtml"):
                invalid += _check_structure(name, data, book)
            target.writestr(info, data)
    if invalid:
        raise BuildError("EPUB parts break HTML's content model, which EPUBCheck refuses:\n"
                         + "\n".join(invalid))
    return out.getvalue()


def ebook_direction(language: str) -> str | None:
    """EbookLib's `direction` of a document: 'rtl' puts dir="rtl" on its html and body
    (EPUBCheck refuses the CSS direction property, CSS-001); None leaves it out."""
    return "rtl" if is_rtl(language) else None


def _cover_page(book: Book, image: str, style: epub.EpubItem) -> epub.EpubHtml:
    """EbookLib's own cover page says only "Cover"; a reader deserves the cover's words."""
    meta = book.meta
    strings = strings_for(meta)
    alt = strings.words("cover-alt", "Cover: %(title)s", title=meta.title) + \
        (f". {meta.subtitle}" if meta.subtitle else "") + f". {meta.publisher}."
    page = epub.EpubHtml(uid="cover", file_name="cover.xhtml",
                         title=strings.words("cover", "Cover"),
                         lang=meta.language)
    page.direction = ebook_direction(meta.language)
    page.content = (f'<section epub:type="cover" class="cover"><img src="{escape(image)}" '
                    f'alt="{escape(alt)}" role="doc-cover"/></section>').encode()
    page.add_item(style)
    return page


# The structural semantics reading systems act on, by the kind of page render made.
PART_SEMANTICS = {"titlepage": ("titlepage", ""), "colophon": ("colophon", "doc-colophon"),
                  "contributors": ("contributors", ""), "credits": ("credits", "doc-credits"),
                  "bibliography": ("bibliography", "doc-bibliography")}


def _with_semantics(part: Part) -> str:
    """A front- or back-matter part's markup with its epub:type (and ARIA role) on the
    section that holds it."""
    if part.kind not in PART_SEMANTICS:
        return part.html
    root = fragments.parse(part.html)
    section = next((e for e in root if e.tag == "section"), None)
    if section is None:
        return part.html
    epub_type, role = PART_SEMANTICS[part.kind]
    section.set("epub:type", epub_type)
    if role:
        section.set("role", role)
    return fragments.inner(root, xhtml=True)


def build_epub(book: Book, rendition: Rendition) -> bytes:
    """The EPUB's bytes, made in memory so that nothing is written until they are whole."""
    ebook = epub.EpubBook()
    _metadata(book, ebook, bool(rendition.pages))
    style = _stylesheet(book)
    ebook.add_item(style)
    for name, data in font_files(book, "epub").items():  # CJK subsets: no tofu left to chance
        ebook.add_item(epub.EpubItem(uid=f"font-{Path(name).stem}", file_name=f"fonts/{name}",
                                     media_type=media_type(name), content=data))
    cover_asset = next((a for a in book.assets if a.path == book.meta.cover), None)
    if cover_asset:
        cover_name, cover_bytes = "cover" + Path(cover_asset.path).suffix, cover_asset.data
    else:
        cover_name, cover_bytes = "cover.png", make_cover(book.meta)
    ebook.set_cover(cover_name, cover_bytes, create_page=False)
    ebook.add_item(_cover_page(book, cover_name, style))
    for asset in book.assets:
        if asset.path != book.meta.cover:
            ebook.add_item(epub.EpubItem(uid=f"img-{len(ebook.items)}", file_name=asset.path,
                                         media_type=asset.media_type, content=asset.data))
    documents = []
    chapters = {c.id: c for c in book.chapters}
    for part in rendition.parts:
        # A chapter in another language or direction (front matter) is its own document's
        # (lang, xml:lang and dir on its html); the spine keeps the book's direction.
        language, direction = (chapter_script(book.meta.language, chapters[part.id])
                               if part.id in chapters else (book.meta.language, ""))
        doc = epub.EpubHtml(uid=part.id, file_name=f"{part.id}.xhtml", title=part.title,
                            lang=language, content=_with_semantics(part).encode())
        doc.direction = ebook_direction(book.meta.language)
        if direction and (direction == "rtl" or doc.direction):
            doc.direction = direction
        if "<math" in part.html:  # EPUB 3 wants documents with MathML marked
            doc.properties.append("mathml")
        doc.add_item(style)
        ebook.add_item(doc)
        documents.append((part, doc))
    strings = strings_for(book.meta)
    contents = strings.words("contents", "Contents")
    nav = epub.EpubNav(title=contents)
    nav.direction = ebook_direction(book.meta.language)
    nav.add_item(style)
    ebook.add_item(nav)
    ebook.add_item(epub.EpubNcx())
    # a numbered chapter's entry starts with its number, as the printed contents do
    ebook.toc = [epub.Link(f"{p.id}.xhtml", f"{p.number} {p.title}" if p.number else p.title,
                           p.id) for p, _ in documents
                 if p.kind in ("chapter", "bibliography", "credits", "contributors",
                               "revisions")]
    front = [d for p, d in documents if p.kind in ("titlepage", "colophon")]
    rest = [d for p, d in documents if p.kind not in ("titlepage", "colophon")]
    ebook.spine = ["cover"] + front + [nav] + rest
    ebook.guide = [{"type": "cover", "href": "cover.xhtml",
                    "title": strings.words("cover", "Cover")},
                   {"type": "toc", "href": "nav.xhtml", "title": contents}]
    first_chapter = next((p for p, _ in documents if p.kind == "chapter"), documents[0][0])
    ebook.guide.append({"type": "text", "href": f"{first_chapter.id}.xhtml",
                        "title": strings.words("start", "Start")})
    if book.index_page is not None:  # EPUB Indexes: the index is a landmark
        ebook.guide.append({"type": "index", "href": f"{book.index_page.id}.xhtml",
                            "title": strings.words("index", "Index")})
    credits = next((p for p, _ in documents if p.kind == "credits"), None)
    if credits:
        ebook.guide.append({"type": "credits", "href": f"{credits.id}.xhtml",
                            "title": credits.title})
    when = build_date(book)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "book.epub"
        try:
            epub.write_epub(str(target), ebook, {
                "epub3_pages": False, "raise_exceptions": True,
                "compresslevel": 0,  # compressed once, by _deterministic_zip
                "mtime": when.replace(tzinfo=None),
                "play_order": {"enabled": True, "start_from": 1},
            })
        except Exception as exc:  # EbookLib raises bare exceptions from lxml and zipfile
            raise BuildError(f"EPUB: {exc}") from exc
        raw = target.read_bytes()
    return _deterministic_zip(raw, when, rendition, book)


def write_epub(book: Book, data: bytes, out_dir: Path) -> EpubResult:
    """Write `<slug>.epub` atomically, so a failed build leaves the previous one."""
    path = out_dir / f"{book.meta.slug}.epub"
    atomic_write(path, data)
    return EpubResult(path, len(data))
