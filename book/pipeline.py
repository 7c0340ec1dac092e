"""The only place that runs the stages in order: load → parse → assemble → render → emit."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .model import Book, Edition, Rendition
from .options import DEFAULT_FORMATS, FORMATS, LayoutOptions, edition_from_env
from .output import all_or_nothing, output_lock

if TYPE_CHECKING:
    from .errors import Problem
    from .model import Chapter
    from .source.includes import Expanded

# The layout a build uses unless told otherwise (frozen, so one shared default is safe).
DEFAULT_LAYOUT = LayoutOptions()


@dataclass
class Written:
    """One output file and what it cost."""

    format: str
    path: Path
    size: int
    seconds: float
    pages: int | None = None
    data: bytes = field(default=b"", repr=False)  # the PDF's or EPUB's, for the web edition


@dataclass
class BuildReport:
    book: Book
    written: list[Written] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _read_chapter(root: Path, math: bool, memo: dict, source: tuple[str, str]
                  ) -> tuple[Expanded | None, Chapter | None, list[Problem]]:
    """(its includes expanded, the chapter or data page parsed, the problems) of one source
    of `chapters`; `memo` keeps parses by (path, text, [markdown] math)."""
    from .errors import BookError
    from .source.datapages import parse_data_page
    from .source.includes import expand
    from .source.parse import parse_chapter

    path, text = source
    expansion = None
    try:
        if path.endswith(".md"):  # mdBook's {{#include}}, {{#title}}…
            expansion = expand(root, path, text)
            text = expansion.text
        key = (path, text, math)
        if key not in memo:
            memo[key] = (parse_data_page(path, text) if path.endswith(".toml")
                         else parse_chapter(path, text, math))
        return expansion, memo[key], []
    except BookError as exc:
        return expansion, None, list(exc.problems)


def load_book(root: Path, edition: Edition, memo: dict | None = None) -> Book:
    """Everything up to the frozen Book; raises BookError listing every input problem.
    `memo` keeps parsed chapters by (path, text, [markdown] math) so a long-running preview
    re-parses only the chapters whose text changed. (The stages are imported here: a PDF
    build loads the book in a forked process, and the parent, which lays it out, never
    needs them.)"""
    from .background import in_parallel
    from .errors import BookError
    from .render.i18n import word_problems
    from .render.index import unused
    from .source.assemble import assemble, wanted_assets
    from .source.changelog import parse_changelog
    from .source.load import CHANGELOG, load_project, read_assets

    sources = load_project(root)
    words_errors, words_warnings = word_problems(sources.meta, sources.manifest.line)
    # A preview's memo is filled here; a build reads a large book's chapters in parallel
    shared = (sources.root, sources.meta.math, {} if memo is None else memo)
    results = in_parallel(_read_chapter, sources.chapters, *shared, size=0 if memo is not None
                          else sum(len(text) for _, text in sources.chapters))
    chapters, problems, expanded = [], list(words_errors), {}
    for (path, _), (expansion, chapter, found) in zip(sources.chapters, results, strict=True):
        if expansion is not None:
            expanded[path] = expansion
        if chapter is not None:
            chapters.append(chapter)
        problems.extend(found)
    # Every later stage runs even after problems, on what could be read, so one run
    # reports them all (a broken link does not hide a missing image).
    parsed = tuple(chapters)
    try:
        assets = read_assets(sources.root, wanted_assets(sources.meta, parsed, sources.photos))
    except BookError as exc:
        problems.extend(exc.problems)
        assets = ()
    try:
        revisions = parse_changelog(CHANGELOG, sources.changelog) if sources.changelog else ()
    except BookError as exc:
        problems.extend(exc.problems)
        revisions = ()
    try:
        book = assemble(sources.root, sources.meta, parsed, sources.photos, assets,
                        sources.styles, edition, revisions)
    except BookError as exc:
        problems.extend(exc.problems)

    def located(found: Iterable[Problem]) -> list[Problem]:
        """Problems in a chapter with includes, at the lines they were written on."""
        return [expanded[p.path].locate(p) if p.path in expanded else p for p in found]

    if problems:
        raise BookError(located(problems))
    book, index_warnings = unused(book)  # an index that lists nothing is left out
    return replace(book, warnings=tuple(located(book.warnings)) + tuple(words_warnings)
                   + tuple(index_warnings))


def build(root: Path, out_dir: Path, formats: tuple[str, ...] = DEFAULT_FORMATS,
          edition: Edition | None = None, progress=lambda message: None,
          layout: LayoutOptions = DEFAULT_LAYOUT) -> BuildReport:
    """Build the requested editions; each is written atomically or not at all."""
    started = time.perf_counter()
    edition = edition or edition_from_env()
    if "pdf" in formats:
        book, rendition = _loaded_while_engine_starts(root, edition)
    else:
        book, rendition = load_book(root, edition), None
    progress(f"loaded {len(book.chapters)} chapters, {len(book.figures)} figures "
             f"in {time.perf_counter() - started:.2f}s")
    return emit_book(book, out_dir, formats, progress, layout, rendition)


def _loaded(root: Path, edition: Edition) -> tuple[Book, Rendition]:
    from .render.html import render_print

    book = load_book(root, edition)
    return book, render_print(book)


def _loaded_while_engine_starts(root: Path, edition: Edition) -> tuple[Book, Rendition]:
    """The book loaded and its print edition rendered in a forked process while this one
    imports WeasyPrint (a quarter of a second of every cold build): on two cores, the
    two take the time of the longer. (In `book serve`, WeasyPrint stays loaded.)"""
    from .background import Background
    from .pdf import weasy

    if weasy.loaded():
        return _loaded(root, edition)
    loading = Background(_loaded, root, edition)
    try:
        weasy.load()
        return loading.result()
    finally:
        loading.stop()


def emit_book(book: Book, out_dir: Path, formats: tuple[str, ...] = DEFAULT_FORMATS,
              progress=lambda message: None, layout: LayoutOptions = DEFAULT_LAYOUT,
              rendition: Rendition | None = None) -> BuildReport:
    """Write the editions of a loaded book (a release checks the Book before building
    it); `rendition` is its print edition when it is already rendered."""
    from .render.coverage import uncovered
    # Characters no embedded font has would print as tofu: warned at their first use.
    report = BuildReport(book, warnings=[str(w) for w in (*book.warnings, *uncovered(book))])
    with output_lock(out_dir), all_or_nothing(out_dir):  # every edition switched at once
        _emit(book, formats, out_dir, report, progress, layout, rendition)
    return report


def _emit(book: Book, formats: tuple[str, ...], out_dir: Path, report: BuildReport,
          progress, layout: LayoutOptions, rendition: Rendition | None) -> None:
    """Lay the print edition out once: the PDF is written from it and the EPUB takes its
    page-list from it (so an EPUB built alone is the same file as one built with the PDF;
    the chunked layout's cache makes that layout cheap after the first build). A book
    whose EPUB has no page-list ([epub] page-list = false) builds its EPUB without it."""
    printed = None
    if "pdf" in formats or ("epub" in formats and book.meta.page_list):
        from .pdf.edition import lay_out_print

        if rendition is None:
            from .render.html import render_print

            rendition = render_print(book)
        began = time.perf_counter()
        printed = lay_out_print(book, rendition, out_dir, layout, "pdf" in formats, progress)
        from .pdf.weasy import mismatch
        report.warnings.extend(filter(None, [mismatch()]))
        progress(f"laid out {printed.pages} pages in {time.perf_counter() - began:.2f}s")
    epub = None
    if printed is not None and {"pdf", "epub"} <= set(formats):
        from .background import Background
        epub = Background(_epub_data, book, printed.marks)  # while the PDF is written
    try:
        for fmt in sorted(formats, key=FORMATS.index):  # the web edition offers the others
            _write(fmt, book, printed, epub, out_dir, report)
            progress(f"wrote {report.written[-1].path.name}")
    finally:
        if epub is not None:
            epub.stop()


def _epub_data(book: Book, marks) -> bytes:
    from .epub.package import build_epub
    from .render.html import render_epub
    return build_epub(book, render_epub(book, marks if book.meta.page_list else ()))


def _write(fmt: str, book: Book, printed, epub, out_dir: Path, report: BuildReport) -> None:
    """Write one edition and note what it cost."""
    began = time.perf_counter()
    if fmt == "pdf":
        result = printed.write(out_dir)
        report.written.append(Written("pdf", result.path, result.size,
                                      time.perf_counter() - began, result.pages, result.data))
        report.warnings.extend(result.warnings)
    elif fmt == "print":  # the print-on-demand interior, then its cover (from its page count)
        from .pdf.printready import write_print
        from .pdf.wrap_cover import write_cover
        interior = write_print(book, out_dir)
        report.written.append(Written("print", interior.path, interior.size,
                                      time.perf_counter() - began, interior.pages))
        began = time.perf_counter()
        cover = write_cover(book, interior.pages, out_dir)
        report.written.append(Written("cover", cover.path, cover.size,
                                      time.perf_counter() - began, cover.pages))
        report.warnings.extend(interior.warnings + cover.warnings)
    elif fmt == "epub":
        from .epub.package import write_epub
        data = epub.result() if epub else _epub_data(book, printed.marks if printed else ())
        result = write_epub(book, data, out_dir)
        report.written.append(Written("epub", result.path, result.size,
                                      time.perf_counter() - began, data=data))
    elif fmt == "html":  # after the PDF and EPUB (FORMATS' order), which it offers
        from .web.site import emit_web
        result = emit_web(book, out_dir, {w.format: (w.data, w.pages) for w in report.written})
        report.written.append(Written("html", result.path, result.size,
                                      time.perf_counter() - began))
        report.warnings.extend(result.warnings)
