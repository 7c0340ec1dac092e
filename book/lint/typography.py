"""Typography and heading rules, run on a chapter's Markdown source. They look at prose
only: code spans and blocks, URLs, link targets, raw HTML tags and their attributes, and
the front matter are masked out first, so `"` in `<a href="…">` or `--` in code is fine."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from markdown_it.token import Token

from ..errors import BookError, Problem
from ..source.frontmatter import split_front_matter
from ..source.markdown import markdown_engine

_MD = markdown_engine()
_HIDE = "\x00"  # stands in for masked characters: not a space, quote, dash or bracket

def _code_spans(text: str) -> Iterator[tuple[int, int]]:
    """Code spans as CommonMark pairs backticks: a run opens a span that the next run of
    the same length closes, else it is text. Linear: each run's next run of its length is
    found in one pass from the end (a regex would rescan the rest of the text per run)."""
    runs = [m.span() for m in re.finditer(r"`+", text)]
    following: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        following[index] = last_of_length.get(length)
        last_of_length[length] = index
    index = 0
    while index < len(runs):
        close = following[index]
        if close is None:
            index += 1
            continue
        yield runs[index][0], runs[close][1]
        index = close + 1


def _comments(text: str) -> Iterator[tuple[int, int]]:
    """HTML comments; once one is never closed, no later one can be."""
    start = text.find("<!--")
    while start >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            return
        yield start, end + 3
        start = text.find("<!--", end + 3)


_RAW_OPEN = re.compile(r"<(script|style)\b", re.IGNORECASE)
_RAW_CLOSE = {tag: re.compile(rf"</{tag}\s*+>", re.IGNORECASE) for tag in ("script", "style")}


def _raw_text(text: str) -> Iterator[tuple[int, int]]:
    """<script> and <style> elements with their content; a tag that is never closed is not
    searched for again (linear where a lazy regex is quadratic)."""
    position, unclosed = 0, set()
    while match := _RAW_OPEN.search(text, position):
        tag = match.group(1).lower()
        close = None if tag in unclosed else _RAW_CLOSE[tag].search(text, match.end())
        if close is None:
            unclosed.add(tag)
            position = match.end()
            continue
        yield match.start(), close.end()
        position = close.end()


def _matches(pattern: str) -> Callable[[str], Iterator[tuple[int, int]]]:
    compiled = re.compile(pattern)
    return lambda text: (m.span() for m in compiled.finditer(text))


# What is not prose, in masking order. Every pattern is linear on any input: possessive
# quantifiers where spaces could be shared between two of them (tests/test_limits.py
# times each on adversarial text).
_MASKS: list[Callable[[str], Iterator[tuple[int, int]]]] = [
    _code_spans,
    _comments,
    _matches(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*+>"),  # autolinks
    _matches(r"</?[A-Za-z][A-Za-z0-9-]*+(?:\s[^<>]*+)?/?>"),  # HTML tags with attributes
    _matches(r"(?<=\])\(\s*+(?:<[^<>\n]*+>|(?:[^()\s]|\([^()\s]*+\))*+)"  # link targets
             r"(?:\s++(?:\"[^\"]*+\"|'[^']*+'|\([^()]*+\)))?+\s*+\)"),  # ... with their titles
    _matches(r"\b(?:https?|ftp|mailto):[^\s<>\x00]++|\bwww\.[^\s<>\x00]++"),  # bare URLs
    _matches(r"\\[!-/:-@\[-`{-~]"),  # backslash escapes
    _matches(r"\[\^[^\]\s]++\]:?"),  # footnote references and labels
    _matches(r"(?<=\])\{[^{}\n]*+\}"),  # a bracketed span's attributes: {index="…"}
    _matches(r"&(?:#[0-9]++|#x[0-9a-fA-F]++|[A-Za-z][A-Za-z0-9]*+);"),  # character references
]

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


def _mask(text: str, finders) -> str:
    """`text` with every span the finders find hidden, newlines kept."""
    for find in finders:
        pieces, last = [], 0
        for start, end in find(text):
            hidden = re.sub(r"[^\n]", _HIDE, text[start:end])
            pieces += [text[last:start], hidden]
            last = end
        if pieces:
            text = "".join(pieces) + text[last:]
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
        masks = [_raw_text, *_MASKS[1:]] if token.type == "html_block" else _MASKS
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


def _parsed(path: str, text: str) -> tuple[list[Token], list[str], int, bool] | None:
    """The body's tokens, the file's lines, the lines before the body and whether the front
    matter gives the title; None when the front matter is never closed."""
    start = _body_offset(path, text)
    if start is None:
        return None
    offset, titled = start
    lines = text.splitlines(keepends=True)
    source = [line.rstrip("\r\n") for line in lines]
    return _MD.parse("".join(lines[offset:]), {}), source, offset, titled


def prose_runs(path: str, text: str) -> list[_Prose]:
    """A chapter's prose with everything else masked, as the typography rules see it (the
    spell-check reads the same prose)."""
    parsed = _parsed(path, text)
    return [] if parsed is None else _prose(*parsed[:3])


def check_typography(path: str, text: str) -> list[Problem]:
    """Every typographic and heading-level finding in one chapter's source."""
    parsed = _parsed(path, text)
    if parsed is None:
        return []
    tokens, source, offset, titled = parsed
    problems = _headings(path, tokens, offset, titled)
    for run in _prose(tokens, source, offset):
        for rule, pattern, message, hint in _SIMPLE:
            for match in pattern.finditer(run.text):
                line, col = run.where(match.start(pattern.groups))  # the hyphen, if grouped
                problems.append(Problem(path, line, message, hint, rule, col))
        problems.extend(_balance(path, run))
    return problems
