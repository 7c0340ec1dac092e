"""The built-in theme: its CSS, and the open-licensed fonts every edition embeds. Script
fallbacks (Armenian, Georgian, Arabic) and the code font go into an edition only when its
text needs them, so a book pays for the faces it uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ...model import Book
from ..code import stylesheet as code_stylesheet
from ..html import chapter_content

THEME = Path(str(resources.files("book.render") / "theme"))
FONTS = THEME / "fonts"

# The print page's geometry, as print.css sets it (A5 page, 18 and 16 mm side margins,
# photos at most 95 mm tall): `book check` estimates print resolution from it before any
# layout; a test keeps the two in step.
COLUMN_MM = 148 - 18 - 16  # A5 width less both side margins
MAX_HEIGHT_MM = 95
MIN_DPI = 150  # images printed under this resolution get a warning


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    style: str
    file: str
    needs: str = ""  # "" always; "code"; else a regex character class of the script


_ARMENIAN = r"[\u0530-\u058f\ufb13-\ufb17]"
_GEORGIAN = r"[\u10a0-\u10ff\u2d00-\u2d2f]"
_ARABIC = r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"

FACES = (
    Face("Source Serif Pro", 400, "normal", "SourceSerifPro-Regular.ttf"),
    Face("Source Serif Pro", 400, "italic", "SourceSerifPro-It.ttf"),
    Face("Source Serif Pro", 600, "normal", "SourceSerifPro-Semibold.ttf"),
    Face("Source Serif Pro", 600, "italic", "SourceSerifPro-SemiboldIt.ttf"),
    Face("Source Serif Pro", 700, "normal", "SourceSerifPro-Bold.ttf"),
    Face("Source Sans Pro", 400, "normal", "SourceSansPro-Regular.ttf"),
    Face("Source Sans Pro", 400, "italic", "SourceSansPro-It.ttf"),
    Face("Source Sans Pro", 600, "normal", "SourceSansPro-Semibold.ttf"),
    Face("Noto Mono", 400, "normal", "NotoMono-Regular.ttf", "code"),
    Face("Noto Serif Armenian", 400, "normal", "NotoSerifArmenian-Regular.ttf", _ARMENIAN),
    Face("Noto Serif Georgian", 400, "normal", "NotoSerifGeorgian-Regular.ttf", _GEORGIAN),
    Face("Noto Naskh Arabic", 400, "normal", "NotoNaskhArabic-Regular.ttf", _ARABIC),
)


def faces_for(book: Book | None) -> tuple[Face, ...]:
    """The faces an edition of `book` uses (all of them when `book` is None)."""
    if book is None:
        return FACES
    text = "\n".join([book.meta.title, book.meta.subtitle] +
                     [c.title + chapter_content(c) + "".join(f.html for f in c.footnotes)
                      for c in book.chapters])
    has_code = bool(re.search(r"<(code|pre)\b", text))
    return tuple(f for f in FACES if not f.needs
                 or (f.needs == "code" and has_code)
                 or (f.needs != "code" and re.search(f.needs, text)))


def font_faces(faces: tuple[Face, ...], prefix: str = "fonts/") -> str:
    """@font-face rules for `faces`, with URLs relative to the stylesheet."""
    return "\n".join(f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; '
                     f'font-style: {f.style}; src: url("{prefix}{f.file}"); }}' for f in faces)


def stylesheet(edition: str, book: Book | None) -> str:
    """The theme's CSS for one edition ('print', 'epub' or 'web'), fonts first."""
    css = [font_faces(faces_for(book))]
    css += [(THEME / name).read_text("utf-8") for name in ("base.css", f"{edition}.css")]
    css.append(code_stylesheet(edition))
    return "\n".join(css)
