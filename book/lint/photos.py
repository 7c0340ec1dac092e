"""Photo rules the build does not enforce: manifest entries never placed, and photos too
small to print well, estimated from the print geometry the theme declares."""

from __future__ import annotations

import math

from ..errors import Problem
from ..model import Book
from ..render.theme import MIN_DPI, Geometry
from ..source.load import PHOTO_MANIFEST
from ..source.markdown import markdown_engine
from ..source.tomlfile import TomlDoc

MM_PER_INCH = 25.4
PHOTO_SCHEME = "photo:"
_MD = markdown_engine()


def placed_photos(text: str) -> set[str]:
    """Photo ids a chapter's Markdown places (`![](photo:id)`), read from the source so
    that a chapter the build cannot parse still counts."""
    return {str(child.attrGet("src"))[len(PHOTO_SCHEME):]
            for token in _MD.parse(text, {}) for child in token.children or []
            if child.type == "image" and str(child.attrGet("src")).startswith(PHOTO_SCHEME)}


def unused_photos(manifest: TomlDoc, placed: set[str]) -> list[Problem]:
    """Manifest entries that no chapter places."""
    return [Problem(PHOTO_MANIFEST, manifest.table_line(photo_id),
                    f"photo '{photo_id}' is never placed in a chapter",
                    f"place it with '![](photo:{photo_id})' or remove it from the manifest",
                    "photo-unused")
            for photo_id in manifest.data if photo_id not in placed]


def low_resolution(book: Book) -> list[Problem]:
    """Placed photos with too few pixels to fill the text column (or the photo height cap,
    for tall ones) of the book's trim at MIN_DPI. Without layout this is the size the theme
    aims for."""
    page = Geometry(*book.meta.press.trim)
    sizes = {asset.path: (asset.width, asset.height) for asset in book.assets}
    problems = []
    for figure in book.figures:
        width, height = sizes.get(figure.photo.file, (0, 0))
        if not width or not height:  # SVG: scales without loss
            continue
        print_mm = min(page.column, page.max_photo_height * width / height)
        dpi = width / (print_mm / MM_PER_INCH)
        if dpi < MIN_DPI:
            needed = math.ceil(MIN_DPI * print_mm / MM_PER_INCH)
            problems.append(Problem(
                PHOTO_MANIFEST, figure.photo.line,
                f"photo '{figure.photo.id}' is {width}×{height} px: at {print_mm:.0f} mm wide "
                f"in print it would be {dpi:.0f} dpi, under {MIN_DPI}",
                f"supply an image at least {needed} px wide", "photo-low-resolution"))
    return problems
