"""parse_toml: every key, table and array-of-tables entry is found at its line, and a
syntax error becomes one located BookError."""

from __future__ import annotations

import pytest

from book.errors import BookError
from book.source.tomlfile import parse_toml

TEXT = """\
title = "A book"  # line 1
"quoted key" = 1
dotted.key = 2

[epub]
page-list = true

[ 'quoted table' ]
x = 1

[[contributors]]
name = "A"
role = "author"

[[contributors]]
name = "B"
chapters = ["one.md",
            "two.md", "one.md"]
"""


@pytest.fixture(scope="module")
def doc():
    return parse_toml("book.toml", TEXT)


def test_values_are_parsed_by_tomllib(doc):
    assert doc.path == "book.toml"
    assert doc.data["title"] == "A book"
    assert doc.data["dotted"] == {"key": 2}
    assert [c["name"] for c in doc.data["contributors"]] == ["A", "B"]


@pytest.mark.parametrize("key, table, index, line", [
    ("title", "", 0, 1),
    ("quoted key", "", 0, 2),  # quotes are taken off
    ("dotted.key", "", 0, 3),  # a dotted key is kept whole
    ("page-list", "epub", 0, 6),
    ("x", "quoted table", 0, 9),
    ("name", "contributors", 0, 12),
    ("role", "contributors", 0, 13),
    ("name", "contributors", 1, 16),  # the second [[contributors]] entry
])
def test_keys_are_located(doc, key, table, index, line):
    assert doc.line(key, table, index) == line


def test_tables_are_located(doc):
    assert doc.table_line("epub") == 5
    assert doc.table_line("quoted table") == 8
    assert [doc.table_line("contributors", i) for i in range(3)] == [11, 15, None]


def test_a_missing_key_falls_back_to_its_table(doc):
    assert doc.line("role", "contributors", 1) == 15
    assert doc.line("nothing") is None


def test_value_line_finds_the_nth_occurrence(doc):
    assert doc.value_line("one.md", "chapters") == 17
    assert doc.value_line("two.md", "chapters") == 18
    assert doc.value_line("one.md", "chapters", nth=2) == 18
    assert doc.value_line("three.md", "title") == 1  # not written: the key's line


def error(text: str) -> tuple[str, int | None, int | None, str, str]:
    with pytest.raises(BookError) as caught:
        parse_toml("x.toml", text)
    [problem] = caught.value.problems
    return problem.path, problem.line, problem.col, problem.message, problem.rule


def test_a_syntax_error_is_located_at_its_line_and_column():
    path, line, col, message, rule = error('a = 1\nb = "open\nc = 3\n')
    assert (path, line, rule) == ("x.toml", 2, "toml-syntax")
    assert col is not None and col > 1
    assert message.startswith("invalid TOML: ")
    assert "line 2" not in message  # the location is in the problem, not repeated


def test_a_duplicate_key_points_at_the_second_one():
    assert error('a = 1\n\na = 2\n')[1] == 3


def test_an_error_at_the_end_of_the_document_points_at_the_last_line():
    _, line, _, message, _ = error('a = 1\nb = [1,\n')
    assert line == 2
    assert "end of document" not in message


def test_nesting_too_deep_points_at_the_line_where_it_gets_deep():
    text = "a = 1\nb = " + "[" * 90 + "\n" + "[" * 3000 + "]" * 3090 + "\n"
    _, line, _, message, rule = error(text)
    assert (line, rule) == (3, "toml-syntax")  # depth passes 100 on line 3
    assert "nested too deeply" in message
