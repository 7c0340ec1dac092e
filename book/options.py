"""Build options every command shares, kept light so the CLI can decide whether to build
at all before it imports the pipeline."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .errors import BookError
from .model import Edition

FORMATS = ("pdf", "epub", "html", "print")
# What `book build` makes unless told: the print-on-demand interior and cover ("print")
# lay the book out a second time, so they are made when asked for, and by `book release`.
DEFAULT_FORMATS = FORMATS[:3]
LAST_SECOND = 4354819198  # 2107-12-31T23:59:58Z: the last time a zip entry can carry


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as seconds, None when unset; a malformed value is refused, never
    replaced by the clock, since the caller asked for reproducible dates."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > LAST_SECOND:
        raise BookError.at("SOURCE_DATE_EPOCH", None,
                           f"must be a whole number of seconds, not '{text}'",
                           "seconds since 1970 up to 2107, e.g. git log -1 --format=%ct")
    return int(text)


def edition_from_env(version: str = "") -> Edition:
    """Dates come from SOURCE_DATE_EPOCH when it is set, so builds reproduce; without it the
    clock stamps the files' metadata, and the printed date is the book's own."""
    epoch = source_date_epoch()
    if epoch is None:
        return Edition(version=version, timestamp=int(time.time()), dated=False)
    return Edition(version=version, timestamp=epoch)


@dataclass(frozen=True)
class LayoutOptions:
    """How the print edition is laid out: 'single' (one WeasyPrint document), 'chunked'
    (chunks in `jobs` worker processes, stitched; see book/pdf/workers.py) or 'auto'; `cache`
    False ignores the chunks kept from earlier builds (--clean)."""

    mode: str = "auto"
    jobs: int = 0  # 0: one per core
    cache: bool = True
    variant: str = "pdf/ua-1"  # or 'pdf/a-3b' (archival)
