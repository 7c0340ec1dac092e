"""The PDF emitter: WeasyPrint lays out the print document, then the PDF is written
atomically. WeasyPrint's logged errors (a missing image, a refused fetch) fail the build."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError
from .model import Book, Rendition
from .output import atomic_write
from .theme import THEME


MIN_DPI = 150


@dataclass(frozen=True)
class PdfResult:
    path: Path
    pages: int
    size: int
    warnings: tuple[str, ...] = ()


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def resolution_warnings(book: Book, document) -> tuple[str, ...]:
    """Images that print under MIN_DPI at the size the layout gave them."""
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
                warnings.append(f"{where} prints at {dpi:.0f} dpi on page {number} (under "
                                f"{MIN_DPI} dpi); supply an image at least "
                                f"{int(asset.width * MIN_DPI / dpi) + 1} pixels wide")
    return tuple(warnings)


class _ErrorLog(logging.Handler):
    """Collects WeasyPrint's ERROR records while one document renders."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def layout(book: Book, rendition: Rendition):
    """Lay the print document out into pages (a weasyprint Document) without writing."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from .fetch import ProjectFetcher, RefusedFetch

    fetcher = ProjectFetcher([book.root, THEME])
    fonts = FontConfiguration()
    sheets = [CSS(filename=str(THEME / name), url_fetcher=fetcher, font_config=fonts)
              for name in ("base.css", "print.css")]
    sheets += [CSS(string=css.data.decode("utf-8"), base_url=str(book.root / css.path),
                   url_fetcher=fetcher, font_config=fonts) for css in book.extra_css]
    log = _ErrorLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(log)
    try:
        document = HTML(string=rendition.html, base_url=str(book.root) + "/",
                        url_fetcher=fetcher).render(stylesheets=sheets, font_config=fonts,
                                                    pdf_tags=True)
    except RefusedFetch as exc:
        raise BuildError(str(exc)) from None
    finally:
        logger.removeHandler(log)
    if log.messages:
        raise BuildError("PDF: " + "; ".join(dict.fromkeys(log.messages)))
    return document


def emit_pdf(book: Book, rendition: Rendition, out_dir: Path,
             variant: str = "pdf/ua-1") -> PdfResult:
    """Write the PDF; `variant` is 'pdf/ua-1' (tagged, accessible) or 'pdf/a-3b' (archival)."""
    document = layout(book, rendition)
    identifier = hashlib.sha256(
        f"{book.meta.identifier}|{book.edition.version}".encode()).hexdigest()[:32].encode()
    data = document.write_pdf(pdf_variant=variant, pdf_identifier=identifier,
                              pdf_tags=True, custom_metadata=True)
    path = out_dir / f"{book.meta.slug}.pdf"
    atomic_write(path, data)
    return PdfResult(path, len(document.pages), len(data), resolution_warnings(book, document))
