"""CHANGELOG.md (Keep a Changelog) → the book's revision history, one entry per edition."""

from __future__ import annotations

import datetime as dt
import re

from ..errors import BookError
from ..model import Revision
from .markdown import render_inline

_VERSION = re.compile(
    r"^\[?+(?P<version>[^\]\s]++)\]?+(?:\s++-\s++(?P<date>\d{4}-\d{2}-\d{2}))?+\s*+$")


def parse_changelog(path: str, text: str) -> tuple[Revision, ...]:
    """Each `## [X.Y.Z] - YYYY-MM-DD` section with its `### Kind` lists of changes.
    'Unreleased' is left out: it describes no edition yet."""
    revisions: list[dict] = []
    current: dict | None = None
    kind = "Changed"
    items: list[list[str]] | None = None  # each item's lines, joined at the end
    for number, line in enumerate(text.splitlines(), start=1):
        continued = line.startswith((" ", "\t")) and not re.match(r"^\s*[-*]\s", line)
        if items and continued and line.strip():
            items[-1].append(line.strip())
            continue
        if line.startswith("## "):
            match = _VERSION.match(line[3:].strip())
            if not match:
                raise BookError.at(path, number,
                                   f"cannot read the edition heading '{line.strip()}'",
                                   "write '## [1.2.0] - 2026-11-24'")
            if match["date"]:
                try:
                    dt.date.fromisoformat(match["date"])
                except ValueError:
                    raise BookError.at(path, number, f"'{match['date']}' is not a calendar date",
                                       "write the date as YYYY-MM-DD") from None
            current = {"version": match["version"], "date": match["date"] or "", "sections": {}}
            if current["version"].lower() != "unreleased":
                revisions.append(current)
            kind, items = "Changed", None
        elif line.startswith("### ") and current is not None:
            kind, items = line[4:].strip(), None
        elif re.match(r"^\s*[-*]\s+", line) and current is not None:
            items = current["sections"].setdefault(kind, [])
            items.append([re.sub(r"^\s*[-*]\s+", "", line).strip()])
    return tuple(Revision(r["version"], r["date"], tuple(
        (k, tuple(render_inline(" ".join(i)) for i in v)) for k, v in r["sections"].items()))
        for r in revisions)
