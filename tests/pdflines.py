"""The lines of a PDF's pages as a reader sees them, measured with pdfium: each line's text,
its font size and its box in points (origin at the foot of the page)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

BODY_SIZE = 14.0  # print.css: the running text's 10.5pt, as pdfium gives it (CSS px)


@dataclass
class Line:
    text: str
    size: float  # the largest font size on the line, pt
    left: float
    right: float
    bottom: float
    top: float
    chars: list[tuple[str, float, float, float, float]]  # (char, left, right, size, bottom)


def page_lines(pdf: Path) -> list[list[Line]]:
    """Every page's lines, top to bottom: characters joined while their baselines agree.
    Read once per file version (the session's PDFs are measured by many tests, a few
    seconds each); callers must not change what they get."""
    stat = pdf.stat()
    return _page_lines(str(pdf), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _page_lines(pdf: str, mtime_ns: int, size: int) -> list[list[Line]]:
    """page_lines of `pdf`; mtime_ns and size only key the cache (a rewritten file is read
    again)."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        text = page.get_textpage()
        lines: list[Line] = []
        for index in range(text.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(text.raw, index))
            char = "-" if char == "\x02" else char  # pdfium's mark of a hyphen at a line end
            if char in "\r\n":
                continue
            size = pdfium_c.FPDFText_GetFontSize(text.raw, index)
            left, bottom, right, top = text.get_charbox(index, loose=True)
            if char == " " and (right - left) < 0.01:
                continue
            line = lines[-1] if lines else None
            if line and top > line.bottom and bottom < line.top and left >= line.left:
                line.text += char
                line.chars.append((char, left, right, size, bottom))
                line.size = max(line.size, size)
                line.right = max(line.right, right)
                line.bottom, line.top = min(line.bottom, bottom), max(line.top, top)
            else:
                lines.append(Line(char, size, left, right, bottom, top,
                                  [(char, left, right, size, bottom)]))
        pages.append([line for line in lines if line.text.strip()])
    return pages


def body_lines(pdf: Path) -> list[list[Line]]:
    """Each page's lines of running text (body size), without footnotes, captions, heads
    and folios, which are set smaller."""
    return [[line for line in lines if abs(line.size - BODY_SIZE) < 0.3]
            for lines in page_lines(pdf)]
