"""No silent loss: Markdown generated from a grammar (paragraphs, lists, quotes, emphasis,
code, tables, footnotes, links, raw HTML, nested at random depths) is built into the web
and EPUB editions, and every word of the input must be in both, or the build must refuse
the input with a located error (exit 2). markdown-it drops the rest of a chapter once its
tokens nest past its limit; this catches that and any other truncation. Fixed seed: the
same corpus runs in CI every time."""

from __future__ import annotations

import itertools
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits_support import build, epub_text, project, web_text

_counter = itertools.count()


@st.composite
def word(draw) -> str:
    """A word no edition rewrites and that occurs once: w<number>."""
    return f"w{next(_counter)}x{draw(st.integers(0, 9))}"


def inline() -> st.SearchStrategy[str]:
    words = st.lists(word(), min_size=1, max_size=4).map(" ".join)
    return st.recursive(words, lambda inner: st.one_of(
        inner.map(lambda t: f"*{t}*"), inner.map(lambda t: f"**{t}**"),
        words.map(lambda t: f"`{t}`"), inner.map(lambda t: f"[{t}](https://example.org/)"),
        inner.map(lambda t: f"<span>{t}</span>"), inner.map(lambda t: f"<em>{t}</em>"),
        st.tuples(inner, inner).map(" ".join)), max_leaves=6)


def blocks(depth: int) -> st.SearchStrategy[list[str]]:
    """Block sequences whose containers nest up to `depth` deep."""
    leaf = st.one_of(
        inline(),
        st.tuples(inline(), inline()).map(lambda c: f"| a | b |\n|---|---|\n| {c[0]} | {c[1]} |"),
        st.lists(word(), min_size=1, max_size=3).map(lambda w: "```\n" + " ".join(w) + "\n```"),
        inline().map(lambda t: f"<div>\n\n{t}\n\n</div>"),
    )
    if depth == 0:
        return st.lists(leaf, min_size=1, max_size=3)
    inner = blocks(depth - 1)
    return st.lists(st.one_of(
        leaf,
        inner.map(lambda b: _prefix("> ", "> ", b)),
        inner.map(lambda b: _prefix("- ", "  ", b)),
        inner.map(lambda b: _prefix("1. ", "   ", b)),
    ), min_size=1, max_size=3)


def _prefix(first: str, rest: str, body: list[str]) -> str:
    lines = "\n\n".join(body).split("\n")
    return "\n".join([first + lines[0], *((rest + line) if line else rest.rstrip()
                                          for line in lines[1:])])


@st.composite
def chapters(draw) -> str:
    body = draw(blocks(draw(st.integers(0, 16)) if draw(st.booleans()) else 2))
    notes = draw(st.lists(inline(), max_size=3))
    text = "\n\n".join(body)
    text += "".join(f" [^{n}]" for n in range(len(notes)))
    text += "\n\n" + "\n".join(f"[^{n}]: {note}" for n, note in enumerate(notes))
    return "# Title\n\n" + text + "\n"


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(chapters())
def test_every_word_reaches_every_edition(chapter: str) -> None:
    words = re.findall(r"w\d+x\d", chapter)
    with tempfile.TemporaryDirectory() as folder:
        root = project(Path(folder), chapter)
        code, stderr = build(root, "html", "epub")
        if code == 2:
            assert re.fullmatch(r"(error: chapters/one\.md:\d+: (.* nested \d+ deep; at most "
                                r"\d+|footnote '\d+' is never referred to) \(.*\)\n)+",
                                stderr), stderr
            return
        assert code == 0, stderr
        for edition, text in (("web", web_text(root)), ("EPUB", epub_text(root))):
            missing = [w for w in words if w not in text]
            assert not missing, f"{edition} edition lost {missing[:5]} of:\n{chapter}"
