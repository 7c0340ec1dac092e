"""Which characters of a book no font of its edition can draw: each would print as tofu
(an empty box) or fall to whatever font the reader's machine has. The faces are the
theme's for the book (theme.faces_for, and the Noto CJK face of its language), read
from their cmap tables; every such character is a located warning."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb  # type: ignore[import-untyped]  # ships no types

from ..errors import Problem
from ..model import Book
from .theme import CJK_DIR, CJK_INDEX, FONTS, book_cjk_region, book_text, faces_for, font_blob

MAX_WARNINGS = 20  # distinct characters reported one by one; the rest are counted
_TAG = re.compile(r"<[^>]*>")


@lru_cache(maxsize=32)
def cmap(path: Path, index: int = 0) -> frozenset[int]:
    """The code points a face (a file, or one face of a collection) has glyphs for, read
    by HarfBuzz (fontTools takes seconds over a CJK face's cmap, HarfBuzz under 1 ms)."""
    return frozenset(hb.Face(font_blob(path), index).unicodes)


def cjk_faces(region: str | None) -> list[tuple[Path, int]]:
    """The installed Noto CJK faces (serif and sans, regular and bold) of `region`."""
    if region is None:
        return []
    files = ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc")
    return [(CJK_DIR / name, CJK_INDEX[region]) for name in files if (CJK_DIR / name).is_file()]


def book_faces(book: Book) -> list[tuple[Path, int]]:
    """The faces the editions of `book` set its text in."""
    return [(FONTS / face.file, 0) for face in faces_for(book)] + \
        cjk_faces(book_cjk_region(book))


def _drawn(char: str) -> bool:
    """Whether a character needs a glyph: spaces, controls and format characters (joiners,
    direction marks) do not."""
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf", "Zs")


def uncovered(book: Book) -> list[Problem]:
    """A warning at the first line that uses each character no face of the book has."""
    covered = frozenset().union(*(cmap(path, index) for path, index in book_faces(book)))
    text = html.unescape(_TAG.sub("", book_text(book)))
    missing = sorted({c for c in text if _drawn(c) and ord(c) not in covered})
    if not missing:
        return []
    hint = "no theme font has it: use another character, or a face for its script"
    if book_cjk_region(book) and not cjk_faces(book_cjk_region(book)):
        hint = "the Noto CJK fonts are not installed: run scripts/install-fonts"
    problems = [Problem(*_first_use(book, char), f"no font covers U+{ord(char):04X} '{char}'",
                        hint) for char in missing[:MAX_WARNINGS]]
    if len(missing) > MAX_WARNINGS:
        problems.append(Problem("book.toml", None, f"and {len(missing) - MAX_WARNINGS} more "
                                "characters no font covers", hint))
    return problems


def _first_use(book: Book, char: str) -> tuple[str, int | None]:
    """(path, line) of the first chapter line holding `char`; else the first chapter whose
    text has it from elsewhere (an included listing), without a line; else book.toml
    (titles, metadata)."""
    for chapter in book.chapters:
        try:
            lines = (book.root / chapter.path).read_text("utf-8").splitlines()
        except (OSError, UnicodeError):
            continue
        for number, line in enumerate(lines, 1):
            if char in line:
                return chapter.path, number
    holder = next((c for c in book.chapters if char in html.unescape(c.body)), None)
    return (holder.path, None) if holder else ("book.toml", None)
