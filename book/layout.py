"""paginate: the print rendition laid out into pages by WeasyPrint, before any PDF bytes
exist. The PDF emitter writes these pages; the EPUB takes its page-list from where they
start; resolution warnings come from the sizes they give images. WeasyPrint's logged
errors (a missing image, a refused fetch) fail the build."""

from __future__ import annotations

import logging
import shutil

from .errors import BuildError
from .model import Book, PageMark, Rendition
from .theme import THEME, stylesheet

MIN_DPI = 150
# WeasyPrint names each image in the PDF after its URL, so the project is served under this
# fixed URL: the checkout's folder never reaches the PDF and clones anywhere give the same bytes.
PROJECT_URL = "file:///book-project/"


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


PAGE = "\0page\0"  # where a warning's page number goes once the page is numbered


def low_resolution(book: Book, document) -> tuple[tuple[int, str], ...]:
    """Images that print under MIN_DPI at the size the layout gave them: (page of the
    document, warning with PAGE where the book's page number goes)."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    assets = {a.path: a for a in book.assets}
    photos = {f.photo.file: f.photo for f in book.figures}
    warnings = []
    for number, page in enumerate(document.pages, start=1):
        for box in _boxes(page._page_box):
            src = box.element.get("src") if isinstance(box, ReplacedBox) else None
            asset = assets.get(src or "")
            if not asset or not asset.width or not box.width:
                continue
            dpi = asset.width / (box.width / 96)
            if dpi < MIN_DPI:
                photo = photos.get(asset.path)
                where = f"assets/photos.toml:{photo.line}: photo '{photo.id}'" if photo else asset.path
                warnings.append((number, f"{where} prints at {dpi:.0f} dpi on page {PAGE} (under "
                                         f"{MIN_DPI} dpi); supply an image at least "
                                         f"{int(asset.width * MIN_DPI / dpi) + 1} pixels wide"))
    return tuple(warnings)


def numbered(warnings: tuple[tuple[int, str], ...], first_page: int = 1) -> tuple[str, ...]:
    """low_resolution's warnings for a document whose first page is `first_page`."""
    return tuple(text.replace(PAGE, str(first_page + page - 1)) for page, text in warnings)


class _ErrorLog(logging.Handler):
    """Collects WeasyPrint's ERROR records while one document renders."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# Stylesheets parsed and fonts registered, per project and CSS: a layout worker lays out
# many chunks with one set (parsing the theme and loading its fonts costs ~0.1 s a time).
_STYLES: dict = {}  # by (root, CSS); "book": the Book last laid out, with its entry


def print_styles(book: Book):
    """(url fetcher, font configuration, stylesheets) for laying out `book`'s print edition."""
    from . import engine

    engine.load()
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from .fetch import ProjectFetcher

    last = _STYLES.get("book")
    if last and last[0] is book:  # the same Book: no need to scan its text for its faces
        return last[1]
    theme = stylesheet("print", book)
    key = (book.root, theme, tuple((css.path, css.data) for css in book.extra_css))
    if key not in _STYLES:
        class Fetcher(ProjectFetcher):
            def fetch(self, url: str, headers=None):
                if url.startswith(PROJECT_URL):
                    url = book.root.resolve().as_uri() + "/" + url[len(PROJECT_URL):]
                return super().fetch(url, headers)

        fetcher = Fetcher([book.root, THEME])
        fonts = FontConfiguration()
        sheets = [CSS(string=theme, base_url=str(THEME) + "/", url_fetcher=fetcher,
                      font_config=fonts)]
        sheets += [CSS(string=css.data.decode("utf-8"), base_url=PROJECT_URL + css.path,
                       url_fetcher=fetcher, font_config=fonts) for css in book.extra_css]
        _STYLES.clear()
        _STYLES[key] = (fetcher, fonts, sheets)
    _STYLES["book"] = (book, _STYLES[key])
    return _STYLES[key]


def release_styles() -> None:
    """Forget the parsed stylesheets and remove WeasyPrint's temporary copies of their
    fonts, which it would remove only when the process tears down (cli.run ends it
    without)."""
    for key, (_, fonts, *_) in _STYLES.items():
        folder = getattr(fonts, "_folder", None) if key != "book" else None
        if folder:  # where the FontConfiguration copied the fonts
            shutil.rmtree(folder, ignore_errors=True)
    _STYLES.clear()


def paginate(book: Book, rendition: Rendition):
    """Lay the print document out into pages (a weasyprint Document) without writing."""
    fetcher, fonts, sheets = print_styles(book)  # loads WeasyPrint (engine.load)
    from weasyprint import HTML

    from .fetch import RefusedFetch, refusal

    log = _ErrorLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(log)
    try:
        document = HTML(string=rendition.html, base_url=PROJECT_URL,
                        url_fetcher=fetcher).render(stylesheets=sheets, font_config=fonts,
                                                    pdf_tags=True)
    except RefusedFetch as exc:
        raise refusal(book, exc) from None  # an input error, located where it is written
    finally:
        logger.removeHandler(log)
    if log.messages:
        raise BuildError("PDF: " + "; ".join(dict.fromkeys(log.messages)))
    return document


def _first_content(box, chain: list):
    """The first text or image box laid out on a page, with its ancestor boxes."""
    from weasyprint.formatting_structure.boxes import ReplacedBox, TextBox

    if isinstance(box, ReplacedBox) or (isinstance(box, TextBox) and box.text.strip()):
        return box, chain
    for child in getattr(box, "children", None) or ():
        found = _first_content(child, chain + [box])
        if found:
            return found
    return None


def page_marks(document, part_ids: set[str]) -> tuple[PageMark, ...]:
    """Where each page of the laid-out print edition starts. Pages with no content of
    their own (blanks) share the next page's place."""
    marks: list[PageMark | None] = []
    for number, page in enumerate(document.pages, start=1):
        found = _first_content(page._page_box.children[0], []) if page._page_box.children else None
        mark = None
        if found:
            box, chain = found
            elements = [b.element for b in chain + [box] if b.element is not None]
            elements = list(dict.fromkeys(elements))
            for depth, element in enumerate(elements):
                if element.get("id") in part_ids and depth + 1 < len(elements):
                    children = [c for c in element if isinstance(c.tag, str)]
                    block = elements[depth + 1]
                    index = children.index(block) if block in children else -1
                    text = box.text.strip() if hasattr(box, "text") else ""
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
