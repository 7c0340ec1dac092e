"""The print edition laid out, by either path, behind one face: its page count, where each
page starts (the EPUB's page-list) and a way to write the PDF.

- single: one WeasyPrint document for the whole book (layout.paginate).
- chunked: chunks laid out in worker processes and cached (parallel.py), then joined
  (stitch.py). Both give the same pages, numbers, outline, links and tags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .model import Book, PageMark, Rendition
from .output import atomic_write
from .pdf import PdfResult

if TYPE_CHECKING:
    from .pipeline import LayoutOptions


@dataclass(frozen=True)
class Printed:
    pages: int
    marks: tuple[PageMark, ...]
    write: Callable[[Path], PdfResult]


def lay_out_print(book: Book, rendition: Rendition, out_dir: Path, options: LayoutOptions,
                  chunked: bool, pdf: bool, progress) -> Printed:
    """The print edition (`rendition`) laid out; `pdf` False when only its page marks are
    wanted."""
    if not chunked:
        from .layout import page_marks, paginate
        from .pdf import emit_pdf

        document = paginate(book, rendition)
        return Printed(len(document.pages), page_marks(document, {p.id for p in rendition.parts}),
                       lambda folder: emit_pdf(book, document, folder, options.variant))
    from .cache import builder_digest
    from .layout import numbered
    from .parallel import ChunkCache, context_key, default_jobs, lay_out

    cache = ChunkCache(out_dir, context_key(book, options.variant, builder_digest()),
                       options.cache)
    layout = lay_out(book, rendition, cache, options.variant, options.jobs or default_jobs(),
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
        from .stitch import stitch
        from .theme import FACES, FONTS

        data = stitch(layout, [FONTS / face.file for face in FACES])
        path = folder / f"{book.meta.slug}.pdf"
        atomic_write(path, data)
        return PdfResult(path, layout.pages, len(data), warnings)

    return Printed(layout.pages, tuple(marks), write)
