"""Read TOML with line numbers: tomllib gives values only, so keys are located in the text
to let every problem point at its line."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from ..errors import BookError

# Possessive quantifiers keep both linear: a line of `[` and spaces must not backtrack.
_HEADER = re.compile(r"^\s*+\[\[?+([^\]]++)\]\]?+\s*+(?:#.*)?$")
_KEY = re.compile(r"""^\s*+("[^"]++"|'[^']++'|[A-Za-z0-9_.-]++)\s*+=""")


def _unquote(key: str) -> str:
    key = key.strip()
    return key[1:-1] if key[:1] in "\"'" else key


@dataclass(frozen=True)
class TomlDoc:
    """A parsed TOML file with a map from (table, index, key) to line numbers."""

    path: str
    data: dict
    lines: dict[tuple[str, int, str], int]
    table_lines: dict[tuple[str, int], int]
    text_lines: tuple[str, ...] = ()

    def value_line(self, value: str, key: str, nth: int = 1) -> int | None:
        """The line where a string value is written the `nth` time (e.g. one entry of a
        list), else `key`'s."""
        lines = [number for number, text in enumerate(self.text_lines, start=1)
                 if f'"{value}"' in text or f"'{value}'" in text]
        return lines[nth - 1] if len(lines) >= nth else self.line(key)

    def line(self, key: str, table: str = "", index: int = 0) -> int | None:
        return self.lines.get((table, index, key)) or self.table_lines.get((table, index))

    def table_line(self, table: str, index: int = 0) -> int | None:
        return self.table_lines.get((table, index))


def _deepest_line(text: str) -> int:
    """The line where bracket nesting first gets deep (for a value tomllib cannot nest)."""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            depth += 1 if char in "[{" else -1 if char in "]}" else 0
            if depth > 100:
                return number
    return 1


def parse_toml(path: str, text: str) -> TomlDoc:
    """Parse `text`; a syntax error becomes a BookError at the line tomllib reports."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise BookError.at(path, _deepest_line(text), "invalid TOML: arrays or tables nested "
                           "too deeply", rule="toml-syntax") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        if line is None and "end of document" in message:
            line = max(1, len(text.splitlines()))
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise BookError.at(path, line, f"invalid TOML: {message}", rule="toml-syntax",
                           col=col) from None
    lines: dict[tuple[str, int, str], int] = {}
    table_lines: dict[tuple[str, int], int] = {}
    counts: dict[str, int] = {}
    table, index = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header and not _KEY.match(raw):
            table = ".".join(_unquote(p) for p in header.group(1).strip().split("."))
            index = counts.get(table, 0)
            counts[table] = index + 1
            table_lines[(table, index)] = number
            continue
        key = _KEY.match(raw)
        if key:
            lines.setdefault((table, index, _unquote(key.group(1))), number)
    return TomlDoc(path, data, lines, table_lines, tuple(text.splitlines()))
