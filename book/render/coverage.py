"""Which characters of a book no font of its edition can draw: each would print as tofu
(an empty box) or fall to whatever font the reader's machine has. The faces are the
theme's for the book (theme.faces_for: its fallbacks for symbols, box drawing and emoji
among them, and the Noto CJK face of its language), read from their cmap tables; every
such character is a located warning."""

from __future__ import annotations

import html
from pathlib import Path

from ..errors import Problem
from ..model import Book
from .theme import (
    CJK_DIR,
    CJK_INDEX,
    book_cjk_region,
    book_text,
    cmap,
    drawn,
    drawn_text,
    faces_for,
)

MAX_WARNINGS = 20  # distinct characters reported one by one; the rest are counted


def cjk_faces(region: str | None) -> list[tuple[Path, int]]:
    """The installed Noto CJK faces (serif and sans, regular and bold) of `region`."""
    if region is None:
        return []
    files = ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc")
    return [(CJK_DIR / name, CJK_INDEX[region]) for name in files if (CJK_DIR / name).is_file()]


def book_faces(book: Book) -> list[tuple[Path, int]]:
    """The faces the editions of `book` set its text in."""
    return [(face.path, 0) for face in faces_for(book)] + \
        cjk_faces(book_cjk_region(book))


def uncovered(book: Book) -> list[Problem]:
    """A warning at the first line that uses each character no face of the book has."""
    covered = frozenset().union(*(cmap(path, index) for path, index in book_faces(book)))
    text = drawn_text(book_text(book))
    missing = sorted(c for c in set(text) if drawn(c) and ord(c) not in covered)
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
