"""slugify: GitHub-style heading anchors, as the README documents (book/source/markdown.py)."""

from __future__ import annotations

import pytest

from book.source.markdown import slugify


@pytest.mark.parametrize("text, slug", [
    ("The blockade", "the-blockade"),
    ("Spaces   inside", "spaces---inside"),  # each space a hyphen, none collapsed
    ("What's next? (2023–24)", "whats-next-202324"),  # punctuation, the en dash too, goes
    ("Already-hyphenated words", "already-hyphenated-words"),
    ("snake_case stays", "snake_case-stays"),  # connector punctuation stays
    ("Ստեփանակերտ", "ստեփանակերտ"),  # letters of any script stay
    ("使用 + 运算符", "使用--运算符"),
    ("? operator", "-operator"),
    ("x²", "x"),  # other numbers go, as on GitHub
    ("?!…", "section"),  # nothing left: a fallback, never an empty id
    ("", "section"),
])
def test_slugify(text, slug):
    assert slugify(text) == slug
