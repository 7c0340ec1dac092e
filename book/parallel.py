"""Chunked layout: the print edition's chunks (book/chunking.py) laid out in worker
processes, each written as its own PDF, kept in the output folder's cache and joined by the
stitcher.

A chunk's layout does not depend on where it falls, but its folios do. A worker lays its
chunk out, posts the chunk's page count, waits for the counts of the chunks before it (laid
out by then, or on the way, since chunks are handed out in order), and only then makes the
margin boxes, with the page counter shifted to the book's numbering.

Page references across chunks converge in rounds, as LaTeX's do: a round lays out the
chunks whose printed numbers or place changed; most builds need one or two."""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import signal
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .chunking import Chunk, split
from .errors import BuildError
from .model import Book, PageMark, Rendition

MAX_ROUNDS = 6
PR_SET_PDEATHSIG = 1  # prctl option (Linux): a signal for the child when its parent dies
FAILED = -2  # a chunk's slot in the shared page counts when its layout failed


@dataclass(frozen=True)
class Laid:
    """One chunk as laid out and written: where it starts, what it holds."""

    key: str
    offset: int  # pages of the book before the chunk's first page
    pages: int
    anchors: dict[str, int]  # anchor id → page of the book
    marks: tuple[PageMark, ...]
    warnings: tuple[str, ...]
    pdf: Path

    @property
    def end(self) -> int:
        return self.offset + self.pages


def start_after(end: int) -> int:
    """Where the next chunk starts: every chunk opens on a recto, after a blank verso when
    the chunk before ends on a recto."""
    return end + 1 + (end % 2)


class ChunkCache:
    """Laid-out chunks in OUT/.book-cache/chunks, keyed by the chunk's HTML and everything
    else its layout reads (builder, theme, styles, assets, PDF variant). Each entry's PDF is
    checked against the sha256 its record holds, so a half-written one is never used."""

    def __init__(self, out_dir: Path, context: str, enabled: bool = True) -> None:
        self.folder = out_dir / ".book-cache" / "chunks"
        self.context = context
        self.enabled = enabled

    def key(self, chunk: Chunk) -> str:
        return hashlib.sha256(f"{self.context}|{chunk.key}".encode()).hexdigest()[:40]

    def get(self, chunk: Chunk) -> Laid | None:
        if not self.enabled:
            return None
        key = self.key(chunk)
        try:
            record = json.loads((self.folder / f"{key}.json").read_text("utf-8"))
            pdf = self.folder / f"{key}.pdf"
            if hashlib.sha256(pdf.read_bytes()).hexdigest() != record["sha256"]:
                return None
            return Laid(key, record["offset"], record["pages"], record["anchors"],
                        tuple(PageMark(*m) for m in record["marks"]), tuple(record["warnings"]),
                        pdf)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, data: bytes, offset: int, pages: int, anchors: dict[str, int],
            marks: tuple[PageMark, ...], warnings: tuple[str, ...]) -> Laid:
        pdf = self.folder / f"{key}.pdf"
        _keep(pdf, data)
        record = {"sha256": hashlib.sha256(data).hexdigest(), "offset": offset, "pages": pages,
                  "anchors": anchors, "marks": [list(m.__dict__.values()) for m in marks],
                  "warnings": list(warnings)}
        _keep(self.folder / f"{key}.json", json.dumps(record).encode())
        return Laid(key, offset, pages, anchors, marks, warnings, pdf)

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
    h = hashlib.sha256(f"{__version__}|{builder}|{variant}|{book.meta.identifier}|"
                       f"{book.edition.version}|{book.edition.commit}".encode())
    for asset in book.assets + book.extra_css:
        h.update(f"{asset.path}\0".encode())
        h.update(hashlib.sha256(asset.data).digest())
    return h.hexdigest()


# What a worker process inherits from the parent (fork) and shares with its siblings.
_JOB: dict = {}


def _wait_for_offset(index: int, pages: int) -> int:
    """Post this chunk's page count; wait for the chunks before it; return its offset."""
    counts, ready = _JOB["counts"], _JOB["ready"]
    with ready:
        counts[index] = pages
        ready.notify_all()
        ready.wait_for(lambda: all(counts[j] != -1 for j in range(index)))
        if any(counts[j] == FAILED for j in range(index)):
            raise _Cancelled()
        end = 0
        for j in range(index):
            end = start_after(end) - 1 + counts[j]
        return start_after(end) - 1


class _Cancelled(Exception):
    """An earlier chunk failed: this one's numbering cannot be known."""


def _shift_folios() -> None:
    """Make WeasyPrint's margin boxes (made after the whole chunk is laid out) count pages
    from the chunk's place in the book; the rest of the layout is untouched."""
    import weasyprint.layout as wl

    original = wl.make_margin_boxes

    def shifted(context, page, state):
        if _JOB.get("offset") is None:
            _JOB["offset"] = _wait_for_offset(_JOB["index"], len(context.page_maker) - 1)
        counters = dict(state[1])
        counters["page"] = [n + _JOB["offset"] for n in counters.get("page", [])]
        return original(context, page, (state[0], counters, *state[2:]))

    wl.make_margin_boxes = shifted


def _lay_out(task: tuple[int, str, tuple[str, ...], str]) -> Laid | BaseException:
    """In a worker: lay one chunk out, write its PDF into the cache, return what it holds."""
    from .layout import page_marks, paginate, resolution_warnings
    from .pdf import pdf_bytes

    index, html, part_ids, key = task
    book, cache = _JOB["book"], _JOB["cache"]
    _JOB["index"], _JOB["offset"] = index, None
    try:
        document = paginate(book, Rendition("pdf", (), html))
        if _JOB["offset"] is None:  # no margin box was made: still take the chunk's place
            _JOB["offset"] = _wait_for_offset(index, len(document.pages))
        offset = _JOB["offset"]
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=offset + 1):
            for name in page.anchors:  # an element that runs over pages: its first one
                anchors.setdefault(name, number)
        return cache.put(key, pdf_bytes(book, document, _JOB["variant"]), offset,
                         len(document.pages), anchors,
                         page_marks(document, set(part_ids), offset + 1),
                         resolution_warnings(book, document, offset + 1))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        with _JOB["ready"]:
            _JOB["counts"][index] = FAILED
            _JOB["ready"].notify_all()
        return exc


def _init_worker(parent: int) -> None:
    # The parent answers Ctrl-C and SIGTERM and ends the pool; a worker just stops. A
    # worker must not outlive a killed parent either: it would hold the output lock.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    _shift_folios()


def lay_out(book: Book, rendition: Rendition, cache: ChunkCache, variant: str, jobs: int,
            progress=lambda message: None) -> list[Laid]:
    """Every chunk of the print edition laid out, numbered and written, in book order."""
    pages = cache.page_map() if cache.enabled else {}
    done: dict[str, Laid] = {}  # by cache key: this build's layouts
    context = multiprocessing.get_context("fork")
    chunks = split(rendition, pages)
    counts = context.Array("i", len(chunks), lock=False)
    _JOB.update(book=book, cache=cache, variant=variant, counts=counts,
                ready=context.Condition())
    with context.Pool(max(1, jobs), initializer=_init_worker,
                      initargs=(os.getpid(),)) as pool:
        for round_ in range(MAX_ROUNDS):
            chunks = split(rendition, pages)
            found = [done.get(cache.key(c)) or cache.get(c) for c in chunks]
            laid = _drop_misplaced(found)
            todo = [c for c, entry in zip(chunks, laid) if entry is None]
            if not todo:
                final = pages_of(laid)
                if all(dict(c.refs) == {k: final.get(k, 0) for k, _ in c.refs} for c in chunks):
                    cache.remember_pages(final)
                    return laid
                pages = final
                continue
            for i, entry in enumerate(laid):
                counts[i] = entry.pages if entry else -1
            tasks = [(c.index, c.html, c.part_ids, cache.key(c)) for c in todo]
            for result in pool.imap(_lay_out, tasks):
                if isinstance(result, BaseException):
                    _raise_first(result)
                done[result.key] = result
            progress(f"laid out {len(todo)} of {len(chunks)} chunks (round {round_ + 1})")
            pages = pages_of([done.get(cache.key(c)) or e for c, e in zip(chunks, found)])
    raise BuildError(f"PDF: page references did not settle after {MAX_ROUNDS} layout rounds")


def _raise_first(result: BaseException) -> None:
    if isinstance(result, _Cancelled):
        return  # the chunk that failed first reports the reason
    raise result  # as the single-document layout would have raised it


def _drop_misplaced(laid: list[Laid | None]) -> list[Laid | None]:
    """Keep a cached chunk only where it still falls (its folios are printed). Past a
    chunk still to be laid out, places are not known yet: those are checked next round."""
    kept: list[Laid | None] = []
    end: int | None = 0
    for entry in laid:
        if end is not None and entry is not None and entry.offset != start_after(end) - 1:
            entry = None
        kept.append(entry)
        end = entry.end if end is not None and entry is not None else None
    return kept


def pages_of(laid: list[Laid | None]) -> dict[str, int]:
    """Every anchor's page in the book. A chunk laid out for another place has its
    anchors moved to where it falls now (its pages are the same, only numbered anew)."""
    pages: dict[str, int] = {}
    end: int | None = 0
    for entry in laid:
        if entry is None:
            end = None
            continue
        offset = entry.offset if end is None else start_after(end) - 1
        pages.update({name: page + offset - entry.offset for name, page in entry.anchors.items()})
        end = None if end is None else offset + entry.pages
    return pages


def default_jobs() -> int:
    """Worker processes: one per core the process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
