"""The print-on-demand interior (`--format print`): the print edition laid out at the
book's trim, with the bleed and crop marks [print] asks for, written as PDF/X-4.

Colour: the theme and the photos are RGB. PDF/X-4 accepts device-independent colour, so
the file carries the sRGB IEC 61966-2.1 profile (WeasyPrint's) as its OutputIntent and
as the colour space of its images; the print service's RIP converts to its own CMYK. A
service that wants a CMYK printing condition named in the file (e.g. FOGRA39) needs a
conversion this builder does not make (no CMYK profile ships with it).

The tagged PDF/UA edition for screens is not touched: this is a second layout of the
same rendition, with one more style sheet."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model import Book, PrintSetup
from ..output import atomic_write
from ..render.html import render_print
from ..render.theme import PRESS_DPI
from .edition import PdfResult, pdf_bytes
from .layout import low_resolution, numbered, paginate

VARIANT = "pdf/x-4"
OUTPUT_INTENT = "srgb"


def press_css(setup: PrintSetup) -> str:
    """The bleed and crop marks of the print files, for every page."""
    return f"@page {{ bleed: {setup.bleed}mm; marks: {'crop' if setup.marks else 'none'}; }}"


def press_pdf(book: Book, document: Any, part: str, **details: str) -> bytes:
    """A laid-out print file (`part` 'interior' or 'cover') as PDF/X-4 with the sRGB
    OutputIntent; `part` and `details` go into the document information, where `book
    verify` reads which checks apply."""
    document.output_intent = OUTPUT_INTENT  # images and groups in sRGB, not DeviceRGB
    document.metadata.custom.update({"PrintPart": part, "TrimMM": _pair(book.meta.press.trim),
                                     "BleedMM": f"{book.meta.press.bleed:g}", **details})
    return reproducible(pdf_bytes(book, document, VARIANT, output_intent=OUTPUT_INTENT),
                        f"{book.meta.identifier}|{book.edition.version}|{part}")


_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")
_FILE_ID = re.compile(rb"(/ID \[\([0-9a-f]{32}\) \()[0-9a-f]{32}\)")


def reproducible(data: bytes, name: str) -> bytes:
    """WeasyPrint gives PDF/X-4's XMP a random DocumentID (uuid4, in an uncompressed
    stream), and the trailer's second /ID is a digest of the file with it: both are replaced,
    at the same length (so no offset moves), by values derived from `name` and the rest of
    the file, so two builds of one edition give the same bytes."""
    stable = uuid.uuid5(uuid.NAMESPACE_URL, name)
    data = _DOCUMENT_ID.sub(f"xmp.did:{stable}".encode(), data, count=1)
    digest = hashlib.md5(_FILE_ID.sub(rb"\g<1>" + b"0" * 32 + b")", data),
                         usedforsecurity=False).hexdigest().encode()
    return _FILE_ID.sub(rb"\g<1>" + digest + b")", data, count=1)


def _pair(size: tuple[float, float]) -> str:
    return f"{size[0]:g}x{size[1]:g}"


def write_print(book: Book, out_dir: Path) -> PdfResult:
    """Lay out and write dist/<slug>-print.pdf; warnings name images printed under
    PRESS_DPI, with their page."""
    rendition = render_print(book)
    style = f"<style>{press_css(book.meta.press)}</style></head>"
    document = paginate(book, replace(rendition, html=rendition.html.replace("</head>", style, 1)))
    data = press_pdf(book, document, "interior")
    path = out_dir / f"{book.meta.slug}-print.pdf"
    atomic_write(path, data)
    warnings = numbered(low_resolution(book, document, PRESS_DPI))
    return PdfResult(path, len(document.pages), len(data), warnings)
