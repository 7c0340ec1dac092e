"""paginate: the print rendition laid out into pages by WeasyPrint, before any PDF bytes
exist. The PDF is written from these pages; the EPUB takes its page-list from where they
start; resolution warnings come from the sizes they give images. WeasyPrint's logged
errors (a missing image, a refused fetch) fail the build."""

from __future__ import annotations

import shutil
from typing import Any

from ..errors import BuildError
from ..model import Book, PageMark, Rendition
from ..render.theme import MIN_DPI, THEME, stylesheet
from . import spreads, weasy
from .floats import settled

# WeasyPrint names each image in the PDF after its URL, so the project is served under this
# fixed URL: the checkout's folder never reaches the PDF and clones anywhere give the same bytes.
PROJECT_URL = "file:///book-project/"
PAGE = "\0page\0"  # where a warning's page number goes once the page is numbered


def low_resolution(book: Book, document: Any,
                   min_dpi: int = MIN_DPI) -> tuple[tuple[int, str], ...]:
    """Images that print under `min_dpi` at the size the layout gave them: (page of the
    document, warning with PAGE where the book's page number goes)."""
    assets = {a.path: a for a in book.assets}
    photos = {f.photo.file: f.photo for f in book.figures}
    warnings = []
    for number, page in enumerate(document.pages, start=1):
        for src, width in weasy.images(page):
            asset = assets.get(src)
            if not asset or not asset.width:
                continue
            dpi = asset.width / (width / 96)
            if dpi < min_dpi:
                photo = photos.get(asset.path)
                where = (f"assets/photos.toml:{photo.line}: photo '{photo.id}'" if photo
                         else asset.path)
                warnings.append((number, f"{where} prints at {dpi:.0f} dpi on page {PAGE} (under "
                                         f"{min_dpi} dpi); supply an image at least "
                                         f"{int(asset.width * min_dpi / dpi) + 1} pixels wide"))
    return tuple(warnings)


def numbered(warnings: tuple[tuple[int, str], ...], first_page: int = 1) -> tuple[str, ...]:
    """low_resolution's warnings for a document whose first page is `first_page`."""
    return tuple(text.replace(PAGE, str(first_page + page - 1)) for page, text in warnings)


# Stylesheets parsed and fonts registered, per project and CSS: a layout worker lays out
# many chunks with one set (parsing the theme and loading its fonts costs ~0.1 s a time).
_STYLES: dict = {}  # by (root, CSS); "book": the Book last laid out, with its entry


def print_styles(book: Book) -> tuple[Any, Any, list]:
    """(url fetcher, font configuration, stylesheets) for laying out `book`'s print edition."""
    weasy.load()
    from .fetch import ProjectFetcher

    last = _STYLES.get("book")
    if last and last[0] is book:  # the same Book: no need to scan its text for its faces
        return last[1]
    theme = stylesheet("print", book)
    key = (book.root, theme, tuple((css.path, css.data) for css in book.extra_css),
           tuple((a.path, id(a.data)) for a in book.assets))
    if key not in _STYLES:
        fetcher = ProjectFetcher(PROJECT_URL, book.assets)
        fonts = weasy.font_configuration()
        sheets = [weasy.stylesheet(theme, fonts, str(THEME) + "/", fetcher)]
        sheets += [weasy.stylesheet(css.data.decode("utf-8"), fonts, PROJECT_URL + css.path,
                                    fetcher) for css in book.extra_css]
        _STYLES.clear()
        _STYLES[key] = (fetcher, fonts, sheets)
    _STYLES["book"] = (book, _STYLES[key])
    return _STYLES[key]


def release_styles() -> None:
    """Forget the parsed stylesheets and remove WeasyPrint's temporary copies of their
    fonts, which it would remove only when the process tears down (cli.run ends it
    without)."""
    for key, (_, fonts, *_) in _STYLES.items():
        folder = weasy.font_folder(fonts) if key != "book" else None
        if folder:  # where the FontConfiguration copied the fonts
            shutil.rmtree(folder, ignore_errors=True)
    _STYLES.clear()


def paginate(book: Book, rendition: Rendition) -> Any:
    """Lay the print document out into pages (a weasyprint Document) without writing."""
    fetcher, fonts, sheets = print_styles(book)
    from .fetch import RefusedFetch, refusal

    try:
        with weasy.ErrorLog() as log:
            def lay_out(html: str) -> Any:  # floats deferred: floats.py
                return settled(html, lambda html: weasy.render(
                    html, sheets, fonts, PROJECT_URL, fetcher))
            # then pages left out of references that face their targets: spreads.py
            document = spreads.settled(rendition.html, lay_out(rendition.html), lay_out)
    except RefusedFetch as exc:
        raise refusal(book, exc) from None  # an input error, located where it is written
    if log.messages:
        raise BuildError("PDF: " + "; ".join(dict.fromkeys(log.messages)))
    return document


def page_marks(document: Any, part_ids: set[str]) -> tuple[PageMark, ...]:
    """Where each page of the laid-out print edition starts. Pages with no content of
    their own (blanks) share the next page's place."""
    marks: list[PageMark | None] = []
    for number, page in enumerate(document.pages, start=1):
        found = weasy.first_content(page)
        mark = None
        if found:
            text, elements = found
            for depth, element in enumerate(elements):
                if element.get("id") in part_ids and depth + 1 < len(elements):
                    children = [c for c in element if isinstance(c.tag, str)]
                    block = elements[depth + 1]
                    index = children.index(block) if block in children else -1
                    mark = PageMark(str(number), element.get("id"), index, text[:40])
                    break
        marks.append(mark)
    resolved: list[PageMark] = []
    following: PageMark | None = None
    for number in range(len(marks), 0, -1):
        mark = marks[number - 1]
        if mark is None and following is not None:
            mark = PageMark(str(number), following.part, following.block, following.text)
        if mark is not None:
            resolved.append(mark)
            following = mark
    return tuple(reversed(resolved))
