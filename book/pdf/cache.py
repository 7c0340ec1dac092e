"""The chunk cache: laid-out chunks and folio sheets kept in the output folder's
`.book-cache/chunks/`, keyed by their content and everything else their layout reads."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .. import __version__
from ..fingerprint import sealed, unsealed
from ..model import Book, PageMark
from ..render.theme import stylesheet
from .chunks import Laid


class ChunkCache:
    """Laid-out chunks and folio sheets in OUT/.book-cache/chunks, keyed by their content
    and everything else their layout reads (builder, theme, styles, assets, PDF variant).
    Each record is sealed with this machine's key (fingerprint.seal: a record placed in
    the folder by anything but this user's builds is ignored) and holds its PDF's sha256,
    so neither a forged nor a short file is ever used."""

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
            record = unsealed(f"{key}.json", (self.folder / f"{key}.json").read_bytes())
            pdf = (self.folder / f"{key}.pdf").read_bytes()
        except OSError:
            return None
        if record is None or hashlib.sha256(pdf).hexdigest() != record.get("sha256"):
            return None
        return record

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
              sealed(f"{key}.json", {"sha256": hashlib.sha256(data).hexdigest(), **record}))
        return pdf

    def sheet(self, first: int) -> Path | None:
        key = self.key(f"folio sheet {first}")
        return self.folder / f"{key}.pdf" if self._record(key) is not None else None

    def page_map(self) -> dict[str, int]:
        """The last build's anchor pages: the first guess for this build's references."""
        try:
            pages = unsealed("pages.json", (self.folder / "pages.json").read_bytes())
        except OSError:
            return {}
        return pages or {}

    def remember_pages(self, pages: dict[str, int]) -> None:
        _keep(self.folder / "pages.json", sealed("pages.json", pages))


def _keep(path: Path, data: bytes) -> None:
    """Write a cache file whole under its name (not an edition: no staging, no fsync; the
    sealed record's sha256 catches a file a crash left short)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def context_key(book: Book, variant: str, builder: str) -> str:
    """Everything a chunk's layout reads besides its HTML."""

    h = hashlib.sha256(f"{__version__}|{builder}|{variant}|{book.meta.identifier}|"
                       f"{book.edition.version}|{book.edition.commit}|"
                       f"{stylesheet('print', book)}".encode())
    for asset in book.assets + book.extra_css:
        h.update(f"{asset.path}\0".encode())
        h.update(hashlib.sha256(asset.data).digest())
    return h.hexdigest()
