"""Chunked layout: the print edition's chunks (book/chunking.py) laid out in worker
processes, each written as its own PDF, kept in the output folder's cache and joined by the
stitcher.

A chunk lays out the same wherever it falls (every chunk opens on a recto), except for its
folios: so a worker takes the folio margin boxes off (and notes the pages that had one),
and the folios come from folio sheets, small documents of numbered pages that show only
the folio, which the stitcher lays over those pages. A chunk is then cached by its content
alone, and a chapter that grows by a page costs its own layout, not its followers'.

Page references across chunks converge in rounds, as LaTeX's do: a round lays out the
chunks whose printed page numbers changed; a cold build needs two, an edit usually one."""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import signal
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .chunking import split
from .errors import BuildError
from .model import Book, PageMark, Rendition

MAX_ROUNDS = 6
SHEET = 50  # pages per folio sheet
PR_SET_PDEATHSIG = 1  # prctl option (Linux): a signal for the child when its parent dies


@dataclass(frozen=True)
class Laid:
    """One chunk laid out and written on its own; its pages count from 1."""

    key: str
    pages: int
    anchors: dict[str, int]  # anchor id → page of the chunk
    marks: tuple[PageMark, ...]  # labels are pages of the chunk
    warnings: tuple[tuple[int, str], ...]  # (page of the chunk, text; see layout.numbered)
    folios: tuple[int, ...]  # pages of the chunk whose folio was taken off
    pdf: Path


@dataclass(frozen=True)
class Placed:
    """A laid-out chunk where it falls in the book."""

    laid: Laid
    offset: int  # pages of the book before the chunk's first page

    @property
    def end(self) -> int:
        return self.offset + self.laid.pages


@dataclass(frozen=True)
class BookLayout:
    """The chunks in book order, and the folio sheets their folios come from."""

    chunks: tuple[Placed, ...]
    sheets: dict[int, Path]  # first folio page of a sheet → its PDF

    @property
    def pages(self) -> int:
        return self.chunks[-1].end if self.chunks else 0

    def folio_pages(self) -> list[int]:
        return folio_pages(self.chunks)


def folio_pages(chunks: tuple[Placed, ...]) -> list[int]:
    """The book's pages that carry a folio."""
    return [placed.offset + page for placed in chunks for page in placed.laid.folios]


def sheets_for(chunks: tuple[Placed, ...]) -> list[int]:
    """The folio sheets (by first page) the folios of `chunks` are on."""
    return sorted({sheet_of(page)[0] for page in folio_pages(chunks)})


def start_after(end: int) -> int:
    """Where the next chunk starts: every chunk opens on a recto, after a blank verso when
    the chunk before ends on a recto."""
    return end + 1 + (end % 2)


def place(laid: list[Laid]) -> tuple[Placed, ...]:
    placed, end = [], 0
    for entry in laid:
        placed.append(Placed(entry, start_after(end) - 1))
        end = placed[-1].end
    return tuple(placed)


def sheet_of(page: int) -> tuple[int, int]:
    """(first page of the folio sheet holding `page`'s folio, index of `page` in it). A
    sheet's page 0 is an unused odd page before its first (WeasyPrint's :first rules apply
    to it), so that the sheet's pages are rectos and versos as the book's are."""
    first = (page - 2) // SHEET * SHEET + 2
    return first, page - first + 1


class ChunkCache:
    """Laid-out chunks and folio sheets in OUT/.book-cache/chunks, keyed by their content
    and everything else their layout reads (builder, theme, styles, assets, PDF variant).
    Each entry's PDF is checked against the sha256 its record holds, so a file a crash left
    short is never used."""

    def __init__(self, out_dir: Path, context: str, enabled: bool = True) -> None:
        self.folder = out_dir / ".book-cache" / "chunks"
        self.context = context
        self.enabled = enabled

    def key(self, content: str) -> str:
        return hashlib.sha256(f"{self.context}|{content}".encode()).hexdigest()[:40]

    def _record(self, key: str) -> dict | None:
        if not self.enabled:
            return None
        try:
            record = json.loads((self.folder / f"{key}.json").read_text("utf-8"))
            pdf = (self.folder / f"{key}.pdf").read_bytes()
        except (OSError, ValueError):
            return None
        return record if hashlib.sha256(pdf).hexdigest() == record.get("sha256") else None

    def get(self, key: str) -> Laid | None:
        record = self._record(key)
        try:
            return Laid(key, record["pages"], record["anchors"],
                        tuple(PageMark(*m) for m in record["marks"]),
                        tuple((p, t) for p, t in record["warnings"]), tuple(record["folios"]),
                        self.folder / f"{key}.pdf") if record else None
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, key: str, data: bytes, **record) -> Path:
        pdf = self.folder / f"{key}.pdf"
        _keep(pdf, data)
        _keep(self.folder / f"{key}.json",
              json.dumps({"sha256": hashlib.sha256(data).hexdigest(), **record}).encode())
        return pdf

    def sheet(self, first: int) -> Path | None:
        key = self.key(f"folio sheet {first}")
        return self.folder / f"{key}.pdf" if self._record(key) is not None else None

    def page_map(self) -> dict[str, int]:
        """The last build's anchor pages: the first guess for this build's references."""
        try:
            return json.loads((self.folder / "pages.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def remember_pages(self, pages: dict[str, int]) -> None:
        _keep(self.folder / "pages.json", json.dumps(pages, sort_keys=True).encode())


def _keep(path: Path, data: bytes) -> None:
    """Write a cache file whole under its name (not an edition: no staging, no fsync; the
    record's sha256 catches a file a crash left short)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def context_key(book: Book, variant: str, builder: str) -> str:
    """Everything a chunk's layout reads besides its HTML."""
    from .theme import stylesheet

    h = hashlib.sha256(f"{__version__}|{builder}|{variant}|{book.meta.identifier}|"
                       f"{book.edition.version}|{book.edition.commit}|"
                       f"{stylesheet('print', book)}".encode())
    for asset in book.assets + book.extra_css:
        h.update(f"{asset.path}\0".encode())
        h.update(hashlib.sha256(asset.data).digest())
    return h.hexdigest()


# What a worker process inherits from the parent (fork).
_JOB: dict = {}


def _is_folio(box) -> bool:
    """A margin box that prints the page number."""
    return any(kind in ("counter()", "counters()") and args[0] == "page"
               for kind, args in box.style["content"] if isinstance(args, tuple))


def _sort_margin_boxes() -> None:
    """Have WeasyPrint's margin boxes (made once the whole document is laid out) leave out
    the folios from a chunk, noting their pages, and keep only the folios on a sheet."""
    import weasyprint.layout as wl

    original = wl.make_margin_boxes

    def margin_boxes(context, page, state):
        for box in original(context, page, state):
            if _is_folio(box) == _JOB["sheet"]:
                yield box
            elif not _JOB["sheet"]:
                _JOB["folios"].append(context.current_page)

    wl.make_margin_boxes = margin_boxes


def _lay_out(task: tuple[str, str, tuple[str, ...]]) -> Laid | BaseException:
    """In a worker: lay one chunk out, write its PDF into the cache, say what it holds."""
    from .layout import low_resolution, page_marks, paginate
    from .pdf import pdf_bytes

    key, html, part_ids = task
    book, cache = _JOB["book"], _JOB["cache"]
    _JOB.update(sheet=False, folios=[])
    try:
        document = paginate(book, Rendition("pdf", (), html))
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for name in page.anchors:  # an element that runs over pages: its first one
                anchors.setdefault(name, number)
        marks, warnings = page_marks(document, set(part_ids)), low_resolution(book, document)
        folios = tuple(sorted(set(_JOB["folios"])))
        pdf = cache.put(key, pdf_bytes(book, document, _JOB["variant"]),
                        pages=len(document.pages), anchors=anchors,
                        marks=[list(m.__dict__.values()) for m in marks],
                        warnings=warnings, folios=folios)
        return Laid(key, len(document.pages), anchors, marks, warnings, folios, pdf)
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        return exc


def _folio_sheet(first: int) -> tuple[int, Path] | BaseException:
    """In a worker: the folio sheet whose page 1 is the book's page `first`."""
    from weasyprint import CSS, HTML

    from .layout import print_styles

    book, cache = _JOB["book"], _JOB["cache"]
    _JOB["sheet"] = True
    try:
        fetcher, fonts, sheets = print_styles(book)
        numbering = CSS(string=f"@page :first {{ counter-reset: page {first - 1} }}",
                        font_config=fonts)
        html = '<div style="break-after: page"></div>' * SHEET + "<div></div>"
        document = HTML(string=f"<html><body>{html}</body></html>", url_fetcher=fetcher).render(
            stylesheets=sheets + [numbering], font_config=fonts)
        key = cache.key(f"folio sheet {first}")
        return first, cache.put(key, document.write_pdf())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        return exc
    finally:
        _JOB["sheet"] = False


def _init_worker(parent: int, scratch: str) -> None:
    """A layout worker: a forked process that also leaves the folios to the sheets."""
    _init_process(parent, scratch)
    _sort_margin_boxes()


def _init_process(parent: int, scratch: str | None = None) -> None:
    # The parent answers Ctrl-C and SIGTERM and ends the pool; a worker just stops. A
    # worker must not outlive a killed parent either: it would hold the output lock.
    # Its temporary files go in `scratch`, which the parent removes.
    if scratch:
        tempfile.tempdir = scratch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _run(send, parent: int, function, args) -> None:
    _init_process(parent)
    try:
        send.send(function(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        send.send(exc)


class Background:
    """function(*args) run in a forked process while the parent goes on (the book loads
    while WeasyPrint is imported; the EPUB is built while the PDF is written); the process
    is killed if the parent gives up."""

    def __init__(self, function, *args) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(send, os.getpid(), function, args))
        self._process.start()
        send.close()

    def result(self):
        try:
            value = self._receive.recv()
        except EOFError:
            raise BuildError("a background build process died") from None
        finally:
            self._process.join()
        if isinstance(value, BaseException):
            raise value
        return value

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _results(results):
    for result in results:
        if isinstance(result, BaseException):
            raise result  # as the single-document layout would have raised it
        yield result


def lay_out(book: Book, rendition: Rendition, cache: ChunkCache, variant: str, jobs: int,
            folios: bool = True, progress=lambda message: None) -> BookLayout:
    """Every chunk of the print edition laid out and written, and (when `folios`, for the
    PDF) its folio sheets."""
    from . import engine

    engine.load()  # once, before the fork, rather than in every worker

    pages = cache.page_map()
    done: dict[str, Laid] = {}  # this build's layouts, by cache key
    context = multiprocessing.get_context("fork")
    _JOB.update(book=book, cache=cache, variant=variant, sheet=False)
    # Workers end without tearing down, so WeasyPrint cannot remove its copies of the
    # fonts: they make them here, and this folder goes with the pool.
    with tempfile.TemporaryDirectory(prefix="book-layout-") as scratch, \
            context.Pool(max(1, jobs), initializer=_init_worker,
                         initargs=(os.getpid(), scratch)) as pool:
        sheets = _Sheets(pool, cache, folios)
        for round_ in range(MAX_ROUNDS):
            chunks = split(rendition, pages)
            keys = [cache.key(c.html) for c in chunks]
            laid = [done.get(key) or cache.get(key) for key in keys]
            todo = [(key, c.html, c.part_ids) for key, c, entry in zip(keys, chunks, laid)
                    if entry is None]
            if todo:
                for result in _results(pool.imap(_lay_out, todo)):
                    done[result.key] = result
                    ready = [done.get(key) or entry for key, entry in zip(keys, laid)]
                    ready = ready[:ready.index(None)] if None in ready else ready
                    sheets.start(place(ready))  # for the pages placed so far
                progress(f"laid out {len(todo)} of {len(chunks)} chunks (round {round_ + 1})")
                laid = [done.get(key) or entry for key, entry in zip(keys, laid)]
            placed = place(laid)
            sheets.start(placed)  # made while the next round lays out
            final = {name: p.offset + page for p in placed for name, page in p.laid.anchors.items()}
            if all(final.get(name, 0) == page for c in chunks for name, page in c.refs):
                cache.remember_pages(final)
                return BookLayout(placed, sheets.finish(placed))
            pages = final
    raise BuildError(f"PDF: page references did not settle after {MAX_ROUNDS} layout rounds")


class _Sheets:
    """The folio sheets a book's folios are on: from the cache, or made in the pool, in
    the background as soon as a round tells which pages carry folios."""

    def __init__(self, pool, cache: ChunkCache, wanted: bool) -> None:
        self.pool, self.cache, self.wanted = pool, cache, wanted
        self.found: dict[int, Path] = {}
        self.pending: dict[int, object] = {}

    def start(self, chunks: tuple[Placed, ...]) -> None:
        if not self.wanted:
            return
        for first in sheets_for(chunks):
            if first in self.found or first in self.pending:
                continue
            path = self.cache.sheet(first)
            if path is not None:
                self.found[first] = path
            else:
                self.pending[first] = self.pool.apply_async(_folio_sheet, (first,))

    def finish(self, chunks: tuple[Placed, ...]) -> dict[int, Path]:
        self.start(chunks)
        self.found.update(_results(result.get() for result in self.pending.values()))
        self.pending.clear()
        return {first: self.found[first] for first in sheets_for(chunks)} if self.wanted else {}


def default_jobs() -> int:
    """Worker processes: one per core the process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
