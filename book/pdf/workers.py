"""Chunked layout: the print edition's chunks (chunks.py) laid out in worker processes,
each written as its own PDF, kept in the chunk cache (cache.py) and joined by the stitcher.
Where forking is not safe (background.can_fork), the same work runs here, in order.

A chunk lays out the same wherever it falls (every chunk opens on a recto), except for its
folios: so a worker takes the folio margin boxes off (and notes the pages that had one),
and the folios come from folio sheets, small documents of numbered pages that show only
the folio, which the stitcher lays over those pages. A chunk is then cached by its content
alone, and a chapter that grows by a page costs its own layout, not its followers'.

Page references across chunks converge in rounds, as LaTeX's do: a round lays out the
chunks whose printed page numbers changed; a cold build needs two, an edit usually one."""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..background import SerialPool, can_fork, init_process
from ..errors import BuildError
from ..model import Book, Rendition
from . import weasy
from .cache import ChunkCache
from .chunks import SHEET, BookLayout, Laid, Placed, place, sheets_for, split
from .edition import pdf_bytes
from .layout import low_resolution, page_marks, paginate, print_styles

MAX_ROUNDS = 6
PROJECTED = 0.9  # of the pages the chunks not laid out yet are expected to make

# What a worker inherits from the parent (fork), or finds here when the pool is serial.
_JOB: dict = {}


def _lay_out(task: tuple[str, str, tuple[str, ...]]) -> Laid | BaseException:
    """In a worker: lay one chunk out without its folios, write its PDF into the cache,
    say what it holds."""
    key, html, part_ids = task
    book, cache = _JOB["book"], _JOB["cache"]
    # The chunk before is cyclic garbage (WeasyPrint's boxes point at one another) that
    # the collector, run less often in a layout (weasy.py), leaves for long: collected
    # here, a worker stays the size of one chunk (TRPL's peak: 775 MB summed, now 662).
    gc.collect()
    try:
        with weasy.margins("chunk") as noted:
            document = paginate(book, Rendition("pdf", (), html))
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for name in page.anchors:  # an element that runs over pages: its first one
                anchors.setdefault(name, number)
        marks, warnings = page_marks(document, set(part_ids)), low_resolution(book, document)
        folios = tuple(sorted(set(noted)))
        pdf = cache.put(key, pdf_bytes(book, document, _JOB["variant"]),
                        pages=len(document.pages), anchors=anchors,
                        marks=[list(m.__dict__.values()) for m in marks],
                        warnings=warnings, folios=folios)
        return Laid(key, len(document.pages), anchors, marks, warnings, folios, pdf)
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        return exc


def _folio_sheet(first: int) -> tuple[int, Path] | BaseException:
    """In a worker: the folio sheet whose page 1 is the book's page `first`."""
    book, cache = _JOB["book"], _JOB["cache"]
    try:
        fetcher, fonts, sheets = print_styles(book)
        numbering = weasy.stylesheet(f"@page :first {{ counter-reset: page {first - 1} }}",
                                     fonts)
        html = '<div style="break-after: page"></div>' * SHEET + "<div></div>"
        with weasy.margins("sheet"):
            document = weasy.render(f"<html><body>{html}</body></html>",
                                    sheets + [numbering], fonts, fetcher=fetcher, tagged=False)
        key = cache.key(f"folio sheet {first}")
        return first, cache.put(key, document.write_pdf())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        return exc


def _raised(result: Any) -> Any:
    if isinstance(result, BaseException):
        raise result  # as the single-document layout would have raised it
    return result


def lay_out(book: Book, rendition: Rendition, cache: ChunkCache, variant: str, jobs: int,
            folios: bool = True, progress: Callable[[str], None] = lambda message: None,
            ) -> BookLayout:
    """Every chunk of the print edition laid out and written, and (when `folios`, for the
    PDF) its folio sheets."""
    weasy.load()  # once, before the fork, rather than in every worker

    pages = cache.page_map()
    done: dict[str, Laid] = {}  # this build's layouts, by cache key
    _JOB.update(book=book, cache=cache, variant=variant)
    # Workers end without tearing down, so WeasyPrint cannot remove its copies of the
    # fonts: they make them here, and this folder goes with the pool.
    with tempfile.TemporaryDirectory(prefix="book-layout-") as scratch, \
            _pool(jobs, scratch) as pool:
        feed = _Feed(pool, max(1, jobs))
        sheets = _Sheets(feed, cache, folios)
        for round_ in range(MAX_ROUNDS):
            # the last rounds print every page: a spread decision that keeps moving its
            # reference cannot stop the references from settling
            chunks = split(rendition, pages, spreads=round_ < MAX_ROUNDS - 2)
            keys = [cache.key(c.html) for c in chunks]
            laid = [done.get(key) or cache.get(key) for key in keys]
            # the dearest first, so that no worker is left with a long one at the end
            todo = [(key, c.html, c.part_ids) for key, c, entry in sorted(
                zip(keys, chunks, laid, strict=True), key=lambda row: -row[1].cost)
                if entry is None]
            sizes = {key: len(chunk.html) for key, chunk in zip(keys, chunks, strict=True)}
            total = sum(sizes.values())
            known = sum(entry.pages for entry in laid if entry is not None)
            size = sum(sizes[key] for key, entry in zip(keys, laid, strict=True) if entry)
            sheets.expect(known, size / total)
            if todo:
                for result in feed.map(_lay_out, todo):
                    done[result.key] = result
                    known, size = known + result.pages, size + sizes[result.key]
                    sheets.expect(known, size / total)
                progress(f"laid out {len(todo)} of {len(chunks)} chunks (round {round_ + 1})")
            placed = place(_leading(keys, laid, done))  # every chunk, once todo is done
            sheets.start(placed)  # made while the next round lays out
            final = {name: p.offset + page for p in placed for name, page in p.laid.anchors.items()}
            if all(final.get(name, 0) == page for c in chunks for name, page in c.refs):
                cache.remember_pages(final)
                return BookLayout(placed, sheets.finish(placed))
            pages = final
    raise BuildError(f"PDF: page references did not settle after {MAX_ROUNDS} layout rounds")


def _leading(keys: list[str], cached: list[Laid | None], done: dict[str, Laid]) -> list[Laid]:
    """The layouts, in book order, of the chunks before the first one not laid out yet."""
    ready: list[Laid] = []
    for key, entry in zip(keys, cached, strict=True):
        laid = done.get(key) or entry
        if laid is None:
            break
        ready.append(laid)
    return ready


def _pool(jobs: int, scratch: str) -> Any:
    """A pool of `jobs` forked workers, or the serial pool where forking is not safe."""
    if not can_fork():
        return SerialPool()
    # The objects the workers inherit are frozen for them: their collections (every chunk,
    # and the full ones in a layout) skip the parent's whole book, which they never free,
    # and leave its memory pages shared. The parent's own collections go on as before.
    gc.freeze()
    try:
        return multiprocessing.get_context("fork").Pool(
            max(1, jobs), initializer=init_process, initargs=(os.getpid(), scratch))
    finally:
        gc.unfreeze()


class _Feed:
    """Work handed to the pool as workers come free, `jobs` tasks at a time, rather than
    queued all at once: what turns out to be needed on the way (a folio sheet) goes before
    the chunks still waiting, not after them all."""

    def __init__(self, pool: Any, jobs: int) -> None:
        self.pool, self.jobs, self.running = pool, jobs, 0
        self.first: deque[tuple[Callable, Any, Callable]] = deque()  # (function, argument,
        self.rest: deque[tuple[Callable, Any, Callable]] = deque()  # what takes its result)
        self.results: queue.SimpleQueue = queue.SimpleQueue()

    def soon(self, function: Callable, argument: Any, then: Callable[[Any], None]) -> None:
        """Run function(argument) before the work waiting, then `then` with its result."""
        self.first.append((function, argument, then))
        self._fill()

    def map(self, function: Callable, arguments: list) -> Iterator:
        """function(argument) for each argument, in the order they finish."""
        finished: deque = deque()
        self.rest.extend((function, argument, finished.append) for argument in arguments)
        self._fill()
        for _ in arguments:
            while not finished:
                self._next()
            yield finished.popleft()

    def wait(self) -> None:
        """Until everything handed in has run."""
        while self.running or self.first or self.rest:
            self._next()

    def _next(self) -> None:
        then, result = self.results.get()
        self.running -= 1
        then(_raised(result))
        self._fill()

    def _fill(self) -> None:
        while self.running < self.jobs and (self.first or self.rest):
            function, argument, then = (self.first or self.rest).popleft()
            self.running += 1

            def done(result: Any, then: Callable = then) -> None:  # in the pool's thread
                self.results.put((then, result))
            self.pool.apply_async(function, (argument,), callback=done, error_callback=done)


class _Sheets:
    """The folio sheets a book's folios are on: from the cache, or made in the pool as
    soon as they are known to be needed."""

    def __init__(self, feed: _Feed, cache: ChunkCache, wanted: bool) -> None:
        self.feed, self.cache, self.wanted = feed, cache, wanted
        self.found: dict[int, Path] = {}
        self.asked: set[int] = set()

    def expect(self, pages: int, share: float) -> None:
        """The sheets of the pages the book is to have, made while its chunks are laid out:
        `pages` laid out so far, from `share` of its HTML; the rest projected at the same
        pages per character, less PROJECTED's margin (a sheet made for nothing costs a
        quarter of a second; one made late, a worker's wait)."""
        ahead = pages / share - pages if 0 < share < 1 else 0
        self._ask(range(2, pages + int(ahead * PROJECTED) + 1, SHEET))

    def start(self, chunks: tuple[Placed, ...]) -> None:
        self._ask(sheets_for(chunks))

    def finish(self, chunks: tuple[Placed, ...]) -> dict[int, Path]:
        self.start(chunks)
        self.feed.wait()
        return {first: self.found[first] for first in sheets_for(chunks)} if self.wanted else {}

    def _ask(self, firsts: Iterable[int]) -> None:
        if not self.wanted:
            return
        for first in firsts:
            if first in self.asked:
                continue
            self.asked.add(first)
            path = self.cache.sheet(first)
            if path is not None:
                self.found[first] = path
            else:
                self.feed.soon(_folio_sheet, first, lambda made: self.found.update([made]))

