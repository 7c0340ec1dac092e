"""Code blocks in every edition: syntax highlighting with Pygments, and long lines wrapped
for print. Source marks each block with its language (`<code class="language-rust">`, as
Markdown writes it) and nothing else; how the block looks is decided here.

Highlighting gives each token a class (Pygments' short names: `k` keyword, `c1` comment…)
and the colours come from one stylesheet (`stylesheet`), so the EPUB reader's night mode
or the web page's dark scheme can switch palettes. The palettes are accessible-pygments'
a11y-light and a11y-dark, whose colours meet WCAG AA (4.5:1) on their backgrounds; print
uses the light one, dark enough to stay legible in greyscale, with comments in italics."""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import cast

from lxml import html
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.style import Style
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES, Comment, Text, _TokenType
from pygments.util import ClassNotFound

LIGHT, DARK = "a11y-light", "a11y-dark"
BLOCK_CLASS = "highlight"  # on the <pre> of every highlighted block
CONTINUED_CLASS = "code-continued"  # the mark that starts a wrapped line's continuation
CONTINUED_MARK = "→"  # Source Sans Pro has it; Noto Mono has no arrows
# Print (base.css, print.css): text is 10.5 pt; <pre> is 0.85 em with 0.7 em of padding
# on each side, and its <code> 0.85 em again; Noto Mono's advance is 1229/2048 em.
_PRE_PT = 0.85 * 10.5
_ADVANCE_MM = 1229 / 2048 * 0.85 * _PRE_PT * 25.4 / 72
_PADDING_MM = 2 * 0.7 * _PRE_PT * 25.4 / 72
# Columns each enclosing element takes from a block (list indent 1.5 em; quote margins).
_INDENT_COLUMNS = {"li": 3, "dd": 3, "blockquote": 6}
_BREAK_AFTER = re.compile(r"[\s,;({\[]|->|=>|::|\.")


def _style_by_name(name: str) -> type[Style]:
    """A Pygments style by name. The a11y styles' package configures the root logger at
    INFO when imported (logging.basicConfig), which would print every library's progress
    log on stderr: the root logger is put back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return get_style_by_name(name)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@cache
def _lexer(language: str) -> Lexer | None:
    """Pygments' lexer for a Markdown info word (mdBook's `rust,ignore` names rust), or
    None when Pygments does not know the language (the block stays plain)."""
    name = re.split(r"[,\s{]", language, maxsplit=1)[0].strip().lower()
    if not name:
        return None
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _css_class(kind: _TokenType) -> str:
    """The short class Pygments gives a token type ('' for plain text)."""
    while kind not in STANDARD_TYPES:
        kind = cast(_TokenType, kind.parent)  # Token, the root, is a standard type
    return STANDARD_TYPES[kind]


def _language(code: html.HtmlElement) -> str:
    return next((c[len("language-"):] for c in (code.get("class") or "").split()
                 if c.startswith("language-")), "")


def _lines(text: str, lexer: Lexer | None) -> list[list[tuple[str, str]]]:
    """The block's lines, each as (class, text) runs."""
    runs = ([(_css_class(kind), value) for kind, value in lexer.get_tokens(text)]
            if lexer else [("", text)])
    lines: list[list[tuple[str, str]]] = [[]]
    for css, value in runs:
        for index, piece in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if piece:
                lines[-1].append((css, piece))
    return lines


def _wrap(line: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    """A line cut into pieces at most `width` columns wide (continuations two narrower,
    for the mark), after a space or punctuation when one falls in the second half."""
    text = "".join(piece for _, piece in line)
    cuts: list[int] = []
    start = 0
    while len(text) - start > (width if not cuts else width - 2):
        room = width if not cuts else width - 2
        window = text[start:start + room]
        found = [m.end() for m in _BREAK_AFTER.finditer(window) if m.end() > room // 2]
        cut = start + (found[-1] if found else room)
        cuts.append(cut)
        start = cut
    if not cuts:
        return [line]
    pieces: list[list[tuple[str, str]]] = [[]]
    position, bounds = 0, iter(cuts + [len(text)])
    bound = next(bounds)
    for css, value in line:
        while value:
            take = value[: bound - position]
            pieces[-1].append((css, take))
            position += len(take)
            value = value[len(take):]
            if position == bound and (value or bound < len(text)):
                pieces.append([])
                bound = next(bounds)
    return [p for p in pieces if p]


def print_columns() -> int:
    """How many characters of a print code block fit across the page's column."""
    from .theme import COLUMN_MM  # the theme package imports render.html, which imports us

    return int((COLUMN_MM - _PADDING_MM) / _ADVANCE_MM)


def _columns(code: html.HtmlElement) -> int:
    """How many characters fit across one print code block, inside lists and quotes."""
    taken = sum(_INDENT_COLUMNS.get(str(a.tag), 0) for a in code.iterancestors())
    return max(print_columns() - taken, 20)


def highlight(root: html.HtmlElement, wrap: bool) -> None:
    """Colour every `<pre><code class="language-…">` under `root` by token classes; with
    `wrap` (print), cut lines too long for the column, each continuation opened by a mark."""
    for code in list(root.iter("code")):
        pre = code.getparent()
        if pre is None or pre.tag != "pre" or len(code):
            continue
        lexer = _lexer(_language(code))
        if lexer is None and not wrap:
            continue
        text = code.text or ""
        code.text = None
        pre.set("class", " ".join(filter(None, [pre.get("class"), BLOCK_CLASS])))
        last = None
        lines = _lines(text, lexer)
        for number, line in enumerate(lines):
            pieces = _wrap(line, _columns(code)) if wrap else [line]
            for index, piece in enumerate(pieces):
                if index:
                    last = _append(code, last, "\n")
                    mark = html.Element("span", {"class": CONTINUED_CLASS,
                                                 "aria-hidden": "true"})
                    mark.text = CONTINUED_MARK
                    code.append(mark)
                    last = mark
                for css, value in piece:
                    if css:
                        span = html.Element("span", {"class": css})
                        span.text = value
                        code.append(span)
                        last = span
                    else:
                        last = _append(code, last, value)
            if number < len(lines) - 1:
                last = _append(code, last, "\n")


def _append(code: html.HtmlElement, last: html.HtmlElement | None, text: str):
    """Add plain text after the last child of `code` (or as its text); the new last."""
    if last is None:
        code.text = (code.text or "") + text
    else:
        last.tail = (last.tail or "") + text
    return last


def _rules(style_name: str, scope: str) -> list[str]:
    """The block's colours and one rule per token class of a Pygments style, under
    `scope`: background and text colour are always set together, so a reader's night mode
    that changes one never leaves the other unreadable. Comments are italic, so they stay
    apart from code in greyscale print."""
    style = _style_by_name(style_name)
    text = style.style_for_token(Text)["color"]
    rules = [f"{scope} {{ background: {style.background_color}; color: #{text}; }}"]
    for kind, short in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        found = style.style_for_token(kind)
        declarations = [f"color: #{found['color']}"] if found["color"] else []
        if found["italic"] or (kind in Comment and kind not in Comment.Preproc):
            declarations.append("font-style: italic")
        if found["bold"]:
            declarations.append("font-weight: 600")
        if short and declarations:
            rules.append(f"{scope} .{short} {{ {'; '.join(declarations)}; }}")
    return rules


def stylesheet(edition: str) -> str:
    """The highlighting CSS of one edition: the light palette, and for the EPUB and the web
    the dark one under prefers-color-scheme: dark. In the EPUB a highlighted block is the
    one box with a fill of its own, since its tokens need their background: it sets both,
    so a reader's night or sepia mode shows it as a light (or, where the reader says it is
    dark, a dark) panel, never dark tokens on a dark page."""
    scope = f"pre.{BLOCK_CLASS}"
    css = _rules(LIGHT, scope)
    if edition != "print":
        css.append("@media (prefers-color-scheme: dark) {\n  "
                   + "\n  ".join(_rules(DARK, scope)) + "\n}")
    css.append(f".{CONTINUED_CLASS} {{ display: inline-block; width: 2ch; "
               'font-family: "Source Sans Pro", sans-serif; color: #515151; }')
    return "\n".join(css) + "\n"
