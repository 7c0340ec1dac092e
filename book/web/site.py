"""The web edition emitter: a folder of HTML pages with the images, CSS, fonts, search index
and downloadable editions they use, ready to publish as it is. The folder is built apart and
renamed whole into the build's new edition set, so a failure leaves the previous edition whole."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import BuildError
from ..model import Book, Download, Metadata
from ..output import destination
from ..render.cover import make_cover
from ..render.html import render_web
from ..render.theme import font_files, stylesheet, theme_file, theme_text

FORMATS = ("pdf", "epub")  # the editions the web edition offers for download
SEARCH_DIR = "pagefind"
OFFLINE_WORKER = "sw.js"  # at the folder's root, so its scope is the whole edition
# Pagefind writes ready-made search interfaces too; the edition has its own (book.js).
_UNUSED_SEARCH_FILES = re.compile(r"pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)")
# Regions whose paper is US Letter (CLDR's paperSize data); everywhere else prints on A4.
LETTER_REGIONS = frozenset({"US", "CA", "MX", "PR", "PH", "CL", "CO", "CR", "GT", "PA", "SV",
                            "VE", "BZ", "DO", "NI"})
LIKELY_REGION = {"en": "US", "es": "ES", "fr": "FR", "pt": "PT"}  # a tag without a region


@dataclass(frozen=True)
class WebResult:
    path: Path
    size: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offer:
    """The editions the web edition offers: their files by name, what its home page says
    about them, and which were neither built now nor found in the output folder."""

    files: dict[str, bytes]
    downloads: tuple[Download, ...]
    missing: tuple[str, ...]


def download_name(book: Book, fmt: str) -> str:
    """An edition's file name in the web folder: as `book release` publishes it
    (`<slug>-<edition>.pdf`) when the build has an edition label."""
    version = f"-{book.edition.version}" if book.edition.version else ""
    return f"{book.meta.slug}{version}.{fmt}"


def offer(book: Book, out_dir: Path,
          built: Mapping[str, tuple[bytes, int | None]] = {}) -> Offer:  # noqa: B006 - read only
    """The PDF and EPUB for the home page: those `built` in this run (bytes and page
    count), else the ones already in `out_dir` from an earlier build."""
    files: dict[str, bytes] = {}
    downloads, missing = [], []
    for fmt in FORMATS:
        data, pages = built.get(fmt, (b"", None))
        if not data:
            existing = out_dir / f"{book.meta.slug}.{fmt}"
            if not existing.is_file():
                missing.append(fmt)
                continue
            data = existing.read_bytes()
            pages = _pdf_pages(data) if fmt == "pdf" else None
        name = download_name(book, fmt)
        files[name] = data
        downloads.append(Download(fmt, name, len(data), hashlib.sha256(data).hexdigest(), pages))
    return Offer(files, tuple(downloads), tuple(missing))


def _pdf_pages(data: bytes) -> int | None:
    """The page count of a PDF from an earlier build (None when it cannot be read)."""
    import io

    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError:
        return None


def paper_size(language: str) -> str:
    """A4 or Letter, from the region of the book's language tag (`en-GB` → A4)."""
    subtags = language.replace("_", "-").split("-")
    region = next((s.upper() for s in subtags[1:] if len(s) == 2 or s.isdigit()),
                  LIKELY_REGION.get(subtags[0].lower(), ""))
    return "letter" if region in LETTER_REGIONS else "A4"


def web_files(book: Book, offered: Offer, scratch: Path | None = None) -> dict[str, bytes]:
    """Every file of the web edition by its path inside the folder; `book serve` serves
    this same dict from memory. `scratch` holds the search indexer's working folder (a
    build keeps it inside its output; None is the system's temporary folder)."""
    rendition = render_web(book, offered.downloads)
    files: dict[str, bytes] = {"index.html": rendition.html.encode("utf-8")}
    for part in rendition.parts:
        files[f"{part.id}.html"] = part.html.encode("utf-8")
    css = (stylesheet("web", book)
           + f"\n@media print {{ @page {{ size: {paper_size(book.meta.language)}; }} }}\n"
           + "\n".join(a.data.decode("utf-8") for a in book.extra_css))
    files["book.css"] = css.encode("utf-8")
    files["book.js"] = theme_file("book.js")
    files.update((f"fonts/{name}", data) for name, data in font_files(book, "web").items())
    for asset in book.assets:
        files[asset.path] = asset.data
    if not book.meta.cover:
        files["cover.png"] = _drawn_cover(book.meta)
    files.update(search_index(files, scratch))
    files[OFFLINE_WORKER] = offline_worker(files)
    files.update(offered.files)
    return files


def offline_worker(files: Mapping[str, bytes]) -> bytes:
    """The service worker (theme/sw.js) that keeps these files in the browser, so pages and
    search work offline once loaded (Pagefind fetches its index piece by piece, per query).
    Its version is a digest of the files: a new edition replaces the cache, the same
    edition gives the same bytes. The PDF and EPUB are not kept: they are downloads."""
    names = sorted(files)
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    header = ('"use strict";\n'
              f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
              f"const FILES = {json.dumps(names, indent=0)};\n")
    return (header + theme_text(OFFLINE_WORKER)).encode("utf-8")


@functools.lru_cache(maxsize=2)
def _drawn_cover(meta: Metadata) -> bytes:
    """The cover drawn from the metadata (a third of a second: `book serve` draws it again
    only when the metadata changes)."""
    return make_cover(meta)


def search_index(files: Mapping[str, bytes], scratch: Path | None = None) -> dict[str, bytes]:
    """Pagefind's index of the pages (each chapter's <main>), made by its binary from the
    `pagefind` package in a folder under `scratch`: the same pages give the same bytes.
    The folder is named as output.clean_stale() removes it after a killed build."""
    with tempfile.TemporaryDirectory(prefix=".book-search.", suffix=".tmp", dir=scratch) as tmp:
        site = Path(tmp)
        for name, data in files.items():
            if name.endswith(".html"):
                (site / name).write_bytes(data)
        proc = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site),
                               "--output-subdir", SEARCH_DIR, "--silent"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"web edition: the search index failed: "
                             f"{(proc.stderr or proc.stdout).strip()}")
        bundle = site / SEARCH_DIR
        index = {f"{SEARCH_DIR}/{p.relative_to(bundle).as_posix()}": p.read_bytes()
                 for p in sorted(bundle.rglob("*"))
                 if p.is_file() and not _UNUSED_SEARCH_FILES.fullmatch(p.name)}
        # Emptied by full paths, so the folder's removal touches only the folder itself
        # (rmtree names files relative to open folders, which a disk audit cannot place).
        for path in sorted(site.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
        return index


def emit_web(book: Book, out_dir: Path,
             built: Mapping[str, tuple[bytes, int | None]] = {}) -> WebResult:  # noqa: B006
    """Write `<slug>-web/` in a staging folder and rename it whole into the new edition set;
    `built` holds the PDF and EPUB this run made (bytes, pages), which it offers."""
    out_dir.mkdir(parents=True, exist_ok=True)
    offered = offer(book, out_dir, built)
    warnings = tuple(f"web edition: no {fmt.upper()} to offer for download ({book.meta.slug}."
                     f"{fmt} is not in {out_dir}; build it with --format {fmt})"
                     for fmt in offered.missing)
    final = out_dir / f"{book.meta.slug}-web"
    place = destination(final)
    place.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=place.parent))
    staging.chmod(0o755)
    try:
        files = web_files(book, offered, place.parent)
        for name, data in files.items():
            target = staging / name
            if staging.resolve() not in target.resolve().parents:  # never outside the edition
                raise BuildError(f"web edition: refusing to write '{name}' outside its folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if place.exists():
            shutil.rmtree(place)
        staging.rename(place)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WebResult(final, sum(len(d) for d in files.values()), warnings)
