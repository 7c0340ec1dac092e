"""The print edition: laid out by either path behind one face (its page count, where each
page starts for the EPUB's page-list, and a way to write the PDF), and written atomically
with the edition's identifier and metadata.

- single: one WeasyPrint document for the whole book (layout.paginate).
- chunked: chunks laid out in worker processes and cached (workers.py), then joined
  (stitch.py). Both give the same pages, numbers, outline, links and tags."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tinycss2

from ..model import Book, PageMark, Rendition
from ..options import LayoutOptions
from ..output import atomic_write
from ..render.html import chapter_content
from ..render.script import is_rtl
from . import weasy
from .layout import low_resolution, numbered

# Below this many words, laying the book out as one document is as fast as in chunks
# (measured on the explainer and generated books: bench/README.md).
CHUNKED_FROM_WORDS = 8000
# What chunks cannot share: each other's strings and counters.
_SHARED_FUNCTIONS = {"target-counter", "target-counters", "target-text", "string"}
_SHARED_COUNTERS = {"page", "pages"}


@dataclass(frozen=True)
class PdfResult:
    """The written PDF, its page count and size, and any resolution warnings."""

    path: Path
    pages: int
    size: int
    warnings: tuple[str, ...] = ()
    data: bytes = field(default=b"", repr=False)  # what was written (the web edition offers it)


@dataclass(frozen=True)
class Printed:
    """The laid-out print edition: its pages, where each starts, and its writer."""

    pages: int
    marks: tuple[PageMark, ...]
    write: Callable[[Path], PdfResult]


def pdf_bytes(book: Book, document: Any, variant: str = "pdf/ua-1", **extra: Any) -> bytes:
    """A laid-out document as PDF; `variant` is 'pdf/ua-1' (tagged), 'pdf/a-3b' (archival)
    or 'pdf/x-4' (print-ready; `extra` write options give its output intent: printready.py)."""
    identifier = hashlib.sha256(
        f"{book.meta.identifier}|{book.edition.version}".encode()).hexdigest()[:32].encode()
    # Custom information keys, so the file alone tells which edition and commit it is.
    document.metadata.custom.update({key: value for key, value in (
        ("Edition", book.edition.version), ("Commit", book.edition.commit)) if value})
    data: bytes = document.write_pdf(pdf_variant=variant, pdf_identifier=identifier,
                                     pdf_tags=True, custom_metadata=True, **extra,
                                     finisher=_right_to_left if is_rtl(book.meta.language)
                                     else None)
    return data


def _right_to_left(document: Any, pdf: Any) -> None:
    """Viewers lay a right-to-left book's spreads out from right to left (the chunked
    layout keeps the first chunk's catalog, so it has this too)."""
    import pydyf
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"Direction": "/R2L"})


def _shares_pages(tokens: list) -> bool:
    """Whether CSS tokens use a string, a cross-reference or a page counter."""
    for token in tokens:
        if token.type == "function":
            name = token.lower_name
            args = {t.lower_value for t in token.arguments if t.type == "ident"}
            if name in _SHARED_FUNCTIONS or (
                    name in ("counter", "counters") and args & _SHARED_COUNTERS):
                return True
            if _shares_pages(token.arguments):
                return True
        elif token.type in ("() block", "[] block", "{} block") and _shares_pages(token.content):
            return True
    return False


def chunked_layout_allowed(book: Book) -> bool:
    """Chunks cannot see each other's strings or counters: a project stylesheet that uses
    them (string-set, string(), target-counter(), counter(page), counter(pages)) needs the
    single-document layout. So does a WeasyPrint the chunked layout was not written for."""
    if not weasy.compatible():
        return False
    return not any(_rules_share_pages(tinycss2.parse_stylesheet(
        sheet.data.decode("utf-8"), skip_comments=True, skip_whitespace=True))
        for sheet in book.extra_css)


def _rules_share_pages(rules: list) -> bool:
    """Whether CSS rules, or the rules nested in them (@media blocks, @page margin boxes),
    set or use a string, a cross-reference or a page counter."""
    for rule in rules:
        if rule.type not in ("qualified-rule", "at-rule"):
            continue  # a parse error: WeasyPrint skips it too
        if _shares_pages(rule.prelude or []):
            return True
        for item in tinycss2.parse_blocks_contents(rule.content or [], skip_comments=True,
                                                   skip_whitespace=True):
            if item.type == "declaration":
                if item.lower_name == "string-set" or _shares_pages(item.value):
                    return True
            elif _rules_share_pages([item]):
                return True
    return False


def chunked_layout_pays(book: Book) -> bool:
    """Whether the book is big enough for parallel layout to beat one document."""
    words = sum(len(re.sub(r"<[^>]+>", " ", chapter_content(c)).split()) for c in book.chapters)
    return words >= CHUNKED_FROM_WORDS


def lay_out_print(book: Book, rendition: Rendition, out_dir: Path, options: LayoutOptions,
                  pdf: bool, progress: Callable[[str], None]) -> Printed:
    """The print edition (`rendition`) laid out; `pdf` False when only its page marks are
    wanted."""
    chunked = chunked_layout_allowed(book) and (options.mode == "chunked" or (
        options.mode == "auto" and chunked_layout_pays(book)))
    if not chunked:
        return _single(book, rendition, options)
    return _chunked(book, rendition, out_dir, options, pdf, progress)


def _single(book: Book, rendition: Rendition, options: LayoutOptions) -> Printed:
    from .layout import page_marks, paginate

    document = paginate(book, rendition)

    def write(folder: Path) -> PdfResult:
        data = pdf_bytes(book, document, options.variant)
        path = folder / f"{book.meta.slug}.pdf"
        atomic_write(path, data)
        return PdfResult(path, len(document.pages), len(data),
                         numbered(low_resolution(book, document)), data)

    return Printed(len(document.pages), page_marks(document, {p.id for p in rendition.parts}),
                   write)


def _chunked(book: Book, rendition: Rendition, out_dir: Path, options: LayoutOptions,
             pdf: bool, progress: Callable[[str], None]) -> Printed:
    from ..background import cores
    from ..fingerprint import builder_digest
    from ..render.theme import FACES, FONTS
    from .cache import ChunkCache, context_key
    from .stitch import stitch
    from .workers import lay_out

    cache = ChunkCache(out_dir, context_key(book, options.variant, builder_digest()),
                       options.cache)
    layout = lay_out(book, rendition, cache, options.variant, options.jobs or cores(),
                     pdf, progress)
    marks: list[PageMark] = []
    end = 0
    for placed in layout.chunks:
        moved = [PageMark(str(placed.offset + int(m.label)), m.part, m.block, m.text)
                 for m in placed.laid.marks]
        if moved:  # a blank verso before the chunk shares the place of its first page
            marks += [PageMark(str(blank), moved[0].part, moved[0].block, moved[0].text)
                      for blank in range(end + 1, placed.offset + 1)]
        marks += moved
        end = placed.end
    warnings = tuple(w for p in layout.chunks for w in numbered(p.laid.warnings, p.offset + 1))

    def write(folder: Path) -> PdfResult:
        data = stitch(layout, [FONTS / face.file for face in FACES])
        path = folder / f"{book.meta.slug}.pdf"
        atomic_write(path, data)
        return PdfResult(path, layout.pages, len(data), warnings, data)

    return Printed(layout.pages, tuple(marks), write)
