"""The PDF emitter: writes the pages paginate laid out, atomically, with the edition's
identifier and metadata."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .layout import low_resolution, numbered
from .model import Book
from .output import atomic_write


@dataclass(frozen=True)
class PdfResult:
    """The written PDF, its page count and size, and any resolution warnings."""

    path: Path
    pages: int
    size: int
    warnings: tuple[str, ...] = ()


def pdf_bytes(book: Book, document, variant: str = "pdf/ua-1") -> bytes:
    """A laid-out document as PDF; `variant` is 'pdf/ua-1' (tagged) or 'pdf/a-3b' (archival)."""
    identifier = hashlib.sha256(
        f"{book.meta.identifier}|{book.edition.version}".encode()).hexdigest()[:32].encode()
    # Custom information keys, so the file alone tells which edition and commit it is.
    document.metadata.custom.update({key: value for key, value in (
        ("Edition", book.edition.version), ("Commit", book.edition.commit)) if value})
    return document.write_pdf(pdf_variant=variant, pdf_identifier=identifier,
                               pdf_tags=True, custom_metadata=True)


def emit_pdf(book: Book, document, out_dir: Path, variant: str = "pdf/ua-1") -> PdfResult:
    """Write a laid-out document (see pdf_bytes)."""
    data = pdf_bytes(book, document, variant)
    path = out_dir / f"{book.meta.slug}.pdf"
    atomic_write(path, data)
    return PdfResult(path, len(document.pages), len(data),
                     numbered(low_resolution(book, document)))
