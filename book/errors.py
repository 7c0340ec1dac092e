"""One error family for every problem with a book's input, so the CLI can print each as
`path:line: message (hint)` and never a traceback."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One located problem in the input."""

    path: str
    line: int | None
    message: str
    hint: str = ""
    rule: str = ""  # the `book check` rule id (book/rules), so check and build agree
    col: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        return escape_controls(f"{text} ({self.hint})" if self.hint else text)


_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def escape_controls(text: str) -> str:
    """`text` with control, line-separating and bidi-override characters written as escapes
    (`\\n`, `\\x1b`, `\\u202e`): a newline in a file name must not split a one-line error,
    nor an escape sequence repaint the terminal."""
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS
        else char for char in text)


class BookError(Exception):
    """Bad input: one or more problems, all reported together."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        # Rebuilt from its problems when it crosses from a layout worker to the parent.
        return (BookError, (self.problems,))

    @classmethod
    def at(cls, path: str | Path, line: int | None, message: str, hint: str = "",
           rule: str = "", col: int | None = None) -> BookError:
        """One problem, for input that cannot be read any further."""
        return cls([Problem(str(path), line, message, hint, rule, col)])


class BuildError(Exception):
    """An edition could not be produced although the input was valid (renderer failure)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint for a misspelt key or id, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


class Collector:
    """Gathers problems so validation reports all of them at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str | Path, line: int | None, message: str, hint: str = "",
            rule: str = "", col: int | None = None) -> None:
        self.problems.append(Problem(str(path), line, message, hint, rule, col))

    def raise_if_any(self) -> None:
        if self.problems:
            raise BookError(self.problems)
