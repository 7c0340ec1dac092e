"""Build options every command shares, kept light so the CLI can decide whether to build
at all before it imports the pipeline."""

from __future__ import annotations

import os
import time

from .model import Edition

FORMATS = ("pdf", "epub", "html")


def edition_from_env(version: str = "") -> Edition:
    """Dates come from SOURCE_DATE_EPOCH when it is set, so builds reproduce."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    timestamp = int(epoch) if epoch.isdigit() else int(time.time())
    return Edition(version=version, timestamp=timestamp)
