"""The print-on-demand cover (`--format print`): one PDF/X-4 page that wraps the book, back
panel, spine and front panel side by side, with the bleed and crop marks of [print].

The spine is as wide as the interior is thick: its real page count over the paper's pages
per inch ([print] paper or ppi), so it follows every edit. Title and author run down the
spine when it is wide enough to hold them; the back carries the description as a blurb and,
for a book with an ISBN, its EAN-13 barcode (python-barcode's SVG). The front is the book's
cover image, or the generated cover's design (book/render/cover.py) set in type. Text stays
SAFE_MM inside the trim and SPINE_SAFE_MM off the folds, where a trimmer's drift cannot
reach it."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from pathlib import Path

import barcode  # type: ignore[import-untyped]
from barcode.writer import SVGWriter  # type: ignore[import-untyped]

from ..model import Book
from ..output import atomic_write
from ..render.cover import ACCENT, GROUND, INK
from ..render.html import build_date
from ..render.theme import FACES, PRESS_DPI, THEME, font_faces
from . import weasy
from .edition import PdfResult
from .layout import PROJECT_URL
from .printready import press_css, press_pdf

MM_PER_INCH = 25.4
SAFE_MM = 10.0  # text and barcode this far inside the trim
SPINE_SAFE_MM = 1.5  # spine text this far from each fold
SPINE_TEXT_MM = 6.0  # narrower spines carry no text
# EAN-13 bars at 80 % of nominal size (0.33 mm modules), the smallest size book trade
# scanners are specified to read reliably.
MODULE_MM = 0.264
BAR_HEIGHT_MM = 18.0


@dataclass(frozen=True)
class Wrap:
    """The cover's geometry in millimetres, without the bleed: panels left to right."""

    trim: tuple[float, float]
    spine: float

    @property
    def width(self) -> float:
        return 2 * self.trim[0] + self.spine

    @property
    def front_left(self) -> float:
        return self.trim[0] + self.spine


def spine_width(pages: int, ppi: float) -> float:
    """The spine in millimetres: `pages` leaves' worth of paper at `ppi` pages per inch."""
    return pages / ppi * MM_PER_INCH


def ean13_svg(digits: str) -> str:
    """The ISBN's EAN-13 barcode as an inline <svg> (no XML declaration or DOCTYPE), its
    check digit computed by python-barcode from the first twelve."""
    code = barcode.get("ean13", digits[:12], writer=SVGWriter())
    if code.get_fullcode() != digits:
        raise ValueError(f"EAN-13 of {digits[:12]} is {code.get_fullcode()}, not {digits}")
    out = io.BytesIO()
    code.write(out, options={"module_width": MODULE_MM, "module_height": BAR_HEIGHT_MM,
                             "quiet_zone": 3.0, "font_size": 8, "text_distance": 3.5,
                             "background": "white", "foreground": "black"})
    text = out.getvalue().decode("utf-8")
    return text[text.index("<svg"):]


def _rgb(colour: tuple[int, int, int]) -> str:
    return "rgb({}, {}, {})".format(*colour)


def cover_html(book: Book, wrap: Wrap, image: str = "") -> str:
    """The cover page: `image` is the URL of the book's cover image ('' for the generated
    design)."""
    meta, bleed = book.meta, book.meta.press.bleed
    width, height = wrap.trim
    authors = ", ".join(a.name for a in meta.authors)
    esc = html.escape
    if image:
        front = (f'<img class="art" src="{esc(image)}" alt="{esc(meta.title)}" '
                 f'style="left: {wrap.front_left}mm; top: -{bleed}mm; '
                 f'width: {width + bleed}mm; height: {height + 2 * bleed}mm">')
    else:
        subtitle = f'<p class="subtitle">{esc(meta.subtitle)}</p>' if meta.subtitle else ""
        front = (f'<div class="front" style="left: {wrap.front_left}mm"><div class="frame">'
                 f'<h1>{esc(meta.title)}</h1><hr>{subtitle}<p class="authors">{esc(authors)}</p>'
                 f'<p class="publisher">{esc(meta.publisher)}</p></div></div>')
    spine = ""
    if wrap.spine >= SPINE_TEXT_MM:
        length = height - 2 * SAFE_MM
        size = min(wrap.spine - 2 * SPINE_SAFE_MM, 4.0)  # in mm: 11pt at most
        spine = (f'<div class="spine" style="left: {width + wrap.spine / 2 - length / 2}mm; '
                 f'top: {height / 2 - wrap.spine / 2}mm; width: {length}mm; '
                 f'height: {wrap.spine}mm; line-height: {wrap.spine}mm; font-size: {size}mm">'
                 f'<b>{esc(meta.title)}</b> <span>{esc(authors)}</span></div>')
    code = f'<div class="barcode">{ean13_svg(meta.isbn)}</div>' if meta.isbn else ""
    blurb = f'<p class="blurb">{esc(meta.description)}</p>' if meta.description else ""
    back = (f'<div class="back"><p class="back-title">{esc(meta.title)}</p>{blurb}'
            f'<p class="back-publisher">{esc(meta.publisher)}</p>{code}</div>')
    when = build_date(book).strftime("%Y-%m-%dT%H:%M:%SZ")  # never the clock: reproducible
    return (f'<!DOCTYPE html><html lang="{esc(meta.language)}"><head><meta charset="utf-8">'
            f'<title>{esc(meta.title)}: cover</title><meta name="author" content="{esc(authors)}">'
            f'<meta name="dcterms.created" content="{when}">'
            f'<meta name="dcterms.modified" content="{when}"></head>'
            f'<body>{back}{spine}{front}</body></html>')


def cover_css(book: Book, wrap: Wrap) -> str:
    """The cover's page (trim, bleed, marks) and the generated cover's colours and type."""
    width, height = wrap.trim
    return "\n".join([font_faces(FACES), press_css(book.meta.press), f"""
@page {{ size: {wrap.width}mm {height}mm; margin: 0; background: {_rgb(GROUND)}; }}
html, body {{ margin: 0; color: {_rgb(INK)}; font-family: "Source Serif Pro", serif; }}
body {{ position: relative; width: {wrap.width}mm; height: {height}mm; }}
.art {{ position: absolute; object-fit: cover; }}
.front {{ position: absolute; top: 0; width: {width}mm; height: {height}mm; }}
.frame {{ position: absolute; inset: {0.075 * width}mm; border: 0.9mm solid {_rgb(ACCENT)};
  text-align: center; padding: {0.19 * height}mm {SAFE_MM}mm 0; }}
.front h1 {{ font-weight: 600; font-size: {0.094 * width}mm; line-height: 1.2; margin: 0; }}
.front hr {{ width: {0.2 * width}mm; border: 0; border-top: 0.9mm solid {_rgb(ACCENT)};
  margin: 6mm auto; }}
.subtitle {{ font-style: italic; font-size: {0.044 * width}mm; margin: 0 0 6mm; }}
.authors {{ font-family: "Source Sans Pro", sans-serif; font-size: {0.035 * width}mm; }}
.publisher {{ position: absolute; left: 0; right: 0; bottom: {0.1 * height}mm;
  font-family: "Source Sans Pro", sans-serif; font-weight: 600; letter-spacing: 0.08em;
  text-transform: uppercase; color: {_rgb(ACCENT)}; font-size: {0.035 * width}mm; }}
.spine {{ position: absolute; transform: rotate(90deg); text-align: center;
  white-space: nowrap; overflow: hidden; font-family: "Source Sans Pro", sans-serif; }}
.spine span {{ color: {_rgb(ACCENT)}; margin-left: 0.8em; }}
.back {{ position: absolute; left: {SAFE_MM}mm; top: {SAFE_MM}mm;
  width: {width - 2 * SAFE_MM}mm; height: {height - 2 * SAFE_MM}mm; }}
.back-title {{ font-weight: 600; font-size: 6mm; margin: 8mm 0 6mm; line-height: 1.2; }}
.blurb {{ font-size: 3.9mm; line-height: 1.45; hyphens: manual; }}
.back-publisher {{ position: absolute; left: 0; bottom: 0; margin: 0; color: {_rgb(ACCENT)};
  font-family: "Source Sans Pro", sans-serif; font-weight: 600; font-size: 3.2mm;
  letter-spacing: 0.08em; text-transform: uppercase; }}
.barcode {{ position: absolute; right: 0; bottom: 0; line-height: 0; }}
"""])


def _cover_image(book: Book, wrap: Wrap) -> tuple[str, tuple[str, ...]]:
    """The cover image's URL ('' for the generated design) and, when it has too few pixels
    to fill the front panel with its bleed at PRESS_DPI, a warning saying how many."""
    asset = next((a for a in book.assets if a.path == book.meta.cover), None)
    if asset is None:
        return "", ()
    if not asset.width or not asset.height:  # SVG: scales without loss
        return PROJECT_URL + asset.path, ()
    bleed = book.meta.press.bleed
    inches = (wrap.trim[0] + bleed) / MM_PER_INCH, (wrap.trim[1] + 2 * bleed) / MM_PER_INCH
    dpi = min(asset.width / inches[0], asset.height / inches[1])  # object-fit: cover crops
    if dpi >= PRESS_DPI:
        return PROJECT_URL + asset.path, ()
    need = tuple(int(side * PRESS_DPI) + 1 for side in inches)
    return PROJECT_URL + asset.path, (
        f"book.toml: cover '{asset.path}' prints at {dpi:.0f} dpi on the print cover (under "
        f"{PRESS_DPI} dpi); supply an image of at least {need[0]}x{need[1]} pixels",)


def write_cover(book: Book, pages: int, out_dir: Path) -> PdfResult:
    """Lay out and write dist/<slug>-cover.pdf for an interior of `pages` pages."""
    from .layout import print_styles

    press = book.meta.press
    wrap = Wrap(press.trim, spine_width(pages, press.ppi))
    image, warnings = _cover_image(book, wrap)
    fetcher, fonts, _ = print_styles(book)
    sheet = weasy.stylesheet(cover_css(book, wrap), fonts, str(THEME) + "/", fetcher)
    with weasy.ErrorLog() as log:
        document = weasy.render(cover_html(book, wrap, image), [sheet], fonts, PROJECT_URL,
                                fetcher)
    if log.messages:
        from ..errors import BuildError
        raise BuildError("print cover: " + "; ".join(dict.fromkeys(log.messages)))
    data = press_pdf(book, document, "cover", InteriorPages=str(pages),
                     PagesPerInch=f"{press.ppi:g}", SpineMM=f"{wrap.spine:.3f}")
    path = out_dir / f"{book.meta.slug}-cover.pdf"
    atomic_write(path, data)
    return PdfResult(path, len(document.pages), len(data), warnings)

