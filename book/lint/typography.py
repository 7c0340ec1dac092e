"""Typography and heading rules, run on a chapter's Markdown source. They look at prose
only: code spans and blocks, URLs, link targets, raw HTML tags and their attributes, and
the front matter are masked out first, so `"` in `<a href="…">` or `--` in code is fine."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.token import Token

from ..errors import BookError, Problem
from ..source.frontmatter import split_front_matter
from ..source.markdown import markdown_engine

_MD = markdown_engine()
_HIDE = "\x00"  # stands in for masked characters: not a space, quote, dash or bracket

_MASKS = [re.compile(p) for p in (
    r"(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)",  # code spans
    r"<!--[\s\S]*?-->",  # HTML comments
    r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*>",  # autolinks
    r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>",  # HTML tags with their attributes
    r"(?<=\])\(\s*(?:<[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))*)"  # link and image targets
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)",  # ... with their titles
    r"\b(?:https?|ftp|mailto):[^\s<>\x00]+|\bwww\.[^\s<>\x00]+",  # bare URLs
    r"\\[!-/:-@\[-`{-~]",  # backslash escapes
    r"\[\^[^\]\s]+\]:?",  # footnote references and labels
    r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);",  # character references
)]
_RAW_TEXT = re.compile(r"<(script|style)\b[\s\S]*?</\1\s*>", re.IGNORECASE)

_SIMPLE = [
    ("typo-straight-quote", re.compile('"'), "straight double quote '\"'", "use “ or ”"),
    ("typo-straight-quote", re.compile("'"), "straight apostrophe or single quote \"'\"",
     "use ’ for an apostrophe, ‘ and ’ for quotes"),
    ("typo-double-hyphen", re.compile(r"(?<!-)---(?!-)"), "'---' written for a dash",
     "use an em dash (—)"),
    ("typo-double-hyphen", re.compile(r"(?<!-)(?:--|-{4,})(?!-)"), "'--' written for a dash",
     "use an en dash (–) for ranges, an em dash (—) in a sentence"),
    ("typo-spaced-hyphen", re.compile(r"(?<=\S)[ \t]+(-)(?=[ \t]+\S)"),
     "spaced hyphen used as a dash", "use an em dash (—), or an en dash (–) with spaces"),
    ("typo-double-space", re.compile(r"(?<=\S)[ \t]{2,}(?=\S)"), "more than one space between "
     "words", "use a single space"),
    ("typo-ellipsis", re.compile(r"\.{3,}|\.(?: \.){2,}"), "dots written for an ellipsis",
     "use an ellipsis (…)"),
]
_PAIRS = {"“": "”", "«": "»", "(": ")", "[": "]", "‘": "’"}
_CLOSERS = {close: open_ for open_, close in _PAIRS.items()}


@dataclass(frozen=True)
class _Prose:
    """A run of prose from one block, non-prose masked out, and where each of its lines
    starts in the file (0-based line and column)."""

    text: str
    starts: tuple[tuple[int, int], ...]

    def where(self, index: int) -> tuple[int, int]:
        """1-based (line, column) in the file of character `index`."""
        row = self.text.count("\n", 0, index)
        line_start = self.text.rfind("\n", 0, index) + 1
        line, col = self.starts[row]
        return line + 1, col + index - line_start + 1


def _body_offset(path: str, text: str) -> tuple[int, bool] | None:
    """Lines before the Markdown body and whether the front matter gives the title; None
    when the front matter is never closed (the builder reports that)."""
    try:
        fm = split_front_matter(path, text)
        return fm.body_offset, bool(str(fm.data.get("title", "")).strip())
    except BookError:  # broken YAML: the builder reports it; still lint the body
        lines = text.splitlines()
        end = next((n for n in range(1, len(lines)) if lines[n].rstrip() in ("---", "...")), None)
        return None if end is None else (end + 1, True)


def _locate(source: list[str], first: int, content: str, cursor: dict[int, int]) -> tuple:
    """Where each line of a token's content starts in the file: markdown-it strips list
    and quote markers and indentation, so each content line is found in its source line."""
    starts = []
    for number, piece in enumerate(content.split("\n")):
        index = first + number
        line = source[index] if index < len(source) else ""
        tail, want = line.rstrip(), piece.rstrip()
        if index not in cursor and want and tail.endswith(want):
            col = len(tail) - len(want)
        else:
            col = max(line.find(piece, cursor.get(index, 0)), 0)
        cursor[index] = col + len(piece)
        starts.append((index, col))
    return tuple(starts)


def _mask(text: str, patterns) -> str:
    for pattern in patterns:
        text = pattern.sub(lambda m: re.sub(r"[^\n]", _HIDE, m.group(0)), text)
    return text


def _prose(tokens: list[Token], source: list[str], offset: int) -> list[_Prose]:
    cursor: dict[int, int] = {}
    runs = []
    for token in tokens:
        first = token.map[0] + offset if token.map else 0
        if token.type == "fence" and token.info.split()[:1] == ["key-figures"]:
            first += 1  # a key-figures box: its lines are prose under the opening fence
        elif token.type not in ("inline", "html_block"):
            continue
        if not token.map or not token.content:
            continue
        starts = _locate(source, first, token.content, cursor)
        masks = [_RAW_TEXT, *_MASKS[1:]] if token.type == "html_block" else _MASKS
        runs.append(_Prose(_mask(token.content, masks), starts))
    return runs


def _balance(path: str, run: _Prose) -> list[Problem]:
    """Quotes and brackets that open without closing or close without opening. A lone ’
    is an apostrophe, so it only closes a ‘ that is open."""
    problems, stack = [], []
    for index, char in enumerate(run.text):
        if char in _PAIRS:
            stack.append((char, index))
        elif char in _CLOSERS:
            opener = _CLOSERS[char]
            if any(c == opener for c, _ in stack):
                while stack:
                    top, at = stack.pop()
                    if top == opener:
                        break
                    problems.append(_unclosed(path, run, top, at))
            elif char != "’":
                problems.append(_unopened(path, run, char, index))
    problems.extend(_unclosed(path, run, char, at) for char, at in stack)
    return problems


def _rule_for(char: str) -> str:
    return "typo-unbalanced-bracket" if char in "()[]" else "typo-unbalanced-quote"


def _unclosed(path: str, run: _Prose, char: str, index: int) -> Problem:
    line, col = run.where(index)
    return Problem(path, line, f"'{char}' is never closed in this paragraph",
                   f"add the closing '{_PAIRS[char]}' or remove this one", _rule_for(char), col)


def _unopened(path: str, run: _Prose, char: str, index: int) -> Problem:
    line, col = run.where(index)
    return Problem(path, line, f"'{char}' closes nothing in this paragraph",
                   f"add the opening '{_CLOSERS[char]}' or remove this one", _rule_for(char), col)


def _headings(path: str, tokens: list[Token], offset: int, titled: bool) -> list[Problem]:
    """A heading deeper than one below the previous one; the chapter title is level 1."""
    problems, previous = [], 1
    for token in tokens:
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        if not titled:  # the first heading is the chapter title
            titled = True
            continue
        if level > previous + 1:
            problems.append(Problem(
                path, token.map[0] + offset + 1 if token.map else 1,
                f"heading level {level} follows level {previous}",
                f"use '{'#' * (previous + 1)}' or add the missing level", "heading-skip", 1))
        previous = level
    return problems


def check_typography(path: str, text: str) -> list[Problem]:
    """Every typographic and heading-level finding in one chapter's source."""
    start = _body_offset(path, text)
    if start is None:
        return []
    offset, titled = start
    lines = text.splitlines(keepends=True)
    source = [line.rstrip("\r\n") for line in lines]
    tokens = _MD.parse("".join(lines[offset:]), {})
    problems = _headings(path, tokens, offset, titled)
    for run in _prose(tokens, source, offset):
        for rule, pattern, message, hint in _SIMPLE:
            for match in pattern.finditer(run.text):
                line, col = run.where(match.start(pattern.groups))  # the hyphen, if grouped
                problems.append(Problem(path, line, message, hint, rule, col))
        problems.extend(_balance(path, run))
    return problems
