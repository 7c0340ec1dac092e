"""The one schema (book/source/schema.py): each field type on small inputs, a Schema's
collected and located problems, the rule ids they carry, and the README's key tables, which
must be the schemas' own. Pure and fast: nothing is built."""

from __future__ import annotations

import datetime
import re
import tomllib

import pytest

from book.errors import Collector
from book.lint.check import CHECK
from book.lint.rules import ERROR, RULES
from book.source.config import BOOK, CONTRIBUTOR, EPUB
from book.source.datapages import EVENT, PAGE, TERM
from book.source.frontmatter import FRONT_MATTER
from book.source.load import PHOTO
from book.source.schema import (
    Choice,
    Date,
    Flag,
    Identifier,
    Invalid,
    KeyLines,
    Prose,
    Schema,
    TableList,
    Text,
    TextList,
    TomlPlace,
)
from book.source.tomlfile import parse_toml
from conftest import REPO

SCHEMAS = {"book.toml": BOOK, "contributors": CONTRIBUTOR, "epub": EPUB, "photos": PHOTO,
           "front matter": FRONT_MATTER, "data page": PAGE, "event": EVENT, "term": TERM,
           "check": CHECK}


def refusal(spec, value) -> str:
    with pytest.raises(Invalid) as caught:
        spec.validate(value)
    return caught.value.problem


# ---------------------------------------------------------------- field types

def test_text():
    spec = Text(doc="d")
    assert spec.validate("Tide pools") == "Tide pools"
    assert refusal(spec, 3) == "must be a string"
    assert refusal(spec, "  ") == "must not be empty"
    assert Text(doc="d", blank=True).validate("") == ""
    slug = Text(doc="d", pattern=r"[a-z]+(-[a-z]+)*", form="must be a slug")
    assert slug.validate("rock-pools") == "rock-pools"
    assert refusal(slug, "Rock Pools") == "must be a slug"


def test_prose_says_one_thing_for_every_bad_value():
    assert {refusal(Prose(doc="d"), v) for v in (None, 5, ["x"], "", " \n")} == {
        "must be non-empty text"}


@pytest.mark.parametrize("value, problem", [
    ("1 May 2024", "must be a date as YYYY-MM-DD"),
    ("2024-5-1", "must be a date as YYYY-MM-DD"),
    ("2023-02-30", "must be a real date"),
    ("2024-13-01", "must be a real date"),
    ("2023-02-29", "must be a real date"),  # not a leap year
    (datetime.datetime(2024, 5, 1, 12), "must be a date as YYYY-MM-DD"),
    (20240501, "must be a string"),
])
def test_date_refuses(value, problem):
    assert refusal(Date(doc="d"), value) == problem


def test_date_accepts_text_and_toml_dates():
    assert Date(doc="d").validate("2024-02-29") == "2024-02-29"
    assert Date(doc="d").validate(datetime.date(2024, 5, 1)) == "2024-05-01"


@pytest.mark.parametrize("value", [
    "urn:uuid:5a078980-e7c6-4eb9-9319-c6a237771268",
    "urn:isbn:978-0-306-40615-7",
    "urn:isbn:9780306406157",
    "urn:isbn:0-306-40615-2",
    "urn:isbn:080442957X",
    "https://example.org/books/tide-pools",
    "http://example.org/b",
])
def test_identifier_accepts(value):
    assert Identifier(doc="d").validate(value) == value


@pytest.mark.parametrize("value, problem", [
    ("urn:uuid:not-a-uuid", "no valid UUID"),
    ("urn:uuid:5a078980e7c64eb99319c6a237771268", "no valid UUID"),  # not the URN form
    ("urn:isbn:978-0-306-40615-8", "no valid ISBN"),  # wrong check digit
    ("urn:isbn:12345", "no valid ISBN"),
    ("ftp://example.org/b", "must be urn:uuid:<UUID>, urn:isbn:<ISBN> or an http(s) URL"),
    ("https://", "must be urn:uuid:<UUID>, urn:isbn:<ISBN> or an http(s) URL"),
    ("tide-pools-1", "must be urn:uuid:<UUID>, urn:isbn:<ISBN> or an http(s) URL"),
    ("", "must not be empty"),
])
def test_identifier_refuses(value, problem):
    assert problem in refusal(Identifier(doc="d"), value)


def test_flag():
    assert Flag(doc="d").validate(False) is False
    assert refusal(Flag(doc="d"), "no") == "must be true or false"
    assert refusal(Flag(doc="d"), 0) == "must be true or false"


def test_choice():
    plain = Choice(doc="d", choices=("a", "b"))
    assert plain.validate("b") == "b"
    assert refusal(plain, "c") == "must be one of: a, b"
    named = Choice(doc="d", choices=("author", "editor"), blank=True,
                   unknown="unknown role '{value}'", unknown_rule="contributor-unknown-role")
    with pytest.raises(Invalid) as caught:
        named.validate("auther")
    bad = caught.value
    assert (bad.problem, bad.hint, bad.rule, bad.whole) == (
        "unknown role 'auther'", "did you mean 'author'?", "contributor-unknown-role", True)
    with pytest.raises(Invalid) as caught:
        named.validate("")
    assert caught.value.hint == "use one of: author, editor"


def test_text_list():
    spec = TextList(doc="d", filled="is empty")
    assert spec.validate(["a", "b"]) == ["a", "b"]
    assert refusal(spec, "a") == "must be a list"
    assert refusal(spec, ["a", 3]) == "must be a list of non-empty strings"
    assert refusal(spec, ["a", " "]) == "must be a list of non-empty strings"
    assert refusal(spec, []) == "is empty"
    assert TextList(doc="d").validate([]) == []


# ---------------------------------------------------------------- a whole table

TOML = """\
titel = "Rock Pools"
language = 3
date = "2023-02-30"

[[people]]
name = "Ada"
rol = "author"

[[people]]
name = ""
"""

PEOPLE = Schema({"name": Text(required=True, doc="Who."),
                 "role": Text(required=True, doc="What they did.")},
                unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value",
                missing_rule="contributor-missing-{key}")
SMALL = Schema({"title": Text(required=True, doc="The title."),
                "language": Text(required=True, doc="The language."),
                "date": Date(required=True, doc="The date."),
                "rights": Text(required=True, doc="The rights."),
                "subtitle": Text(blank=True, doc="The subtitle."),
                "people": TableList(required=True, doc="People.", schema=PEOPLE)},
               unknown_rule="manifest-unknown-key", bad_rule="manifest-bad-value",
               missing_rule="manifest-missing-key")


def test_schema_collects_every_problem_located_with_its_rule():
    doc = parse_toml("book.toml", TOML)
    problems = Collector()
    values = SMALL.check(doc.data, TomlPlace(doc), problems)
    found = sorted((p.line or 0, p.message, p.hint, p.rule) for p in problems.problems)
    assert found == [
        (0, "missing required key 'rights'", "The rights.", "manifest-missing-key"),
        (1, "unknown key 'titel'", "did you mean 'title'?", "manifest-unknown-key"),
        (2, "'language' must be a string", "", "manifest-bad-value"),
        (3, "'date' must be a real date", "", "manifest-bad-value"),
        (7, "unknown key 'people.rol'", "did you mean 'role'?", "manifest-unknown-key"),
        (9, "missing required key 'people.role'", "What they did.", "contributor-missing-role"),
        (10, "'people.name' must not be empty", "", "manifest-bad-value"),
    ]  # a misspelt key ('titel', 'rol') is not also called missing
    assert values == {"subtitle": "", "people": []}  # the valid values and the defaults


def test_valid_entries_come_back_with_their_lines():
    doc = parse_toml("p.toml", '[[people]]\nname = "Ada"\nrole = "author"\n\n'
                               '[[people]]\nname = "Ben"\n')
    problems = Collector()
    values = SMALL.check(doc.data, TomlPlace(doc), problems)
    [ada] = values["people"]
    assert (ada.line, ada.values) == (1, {"name": "Ada", "role": "author"})
    assert [(p.line, p.rule) for p in problems.problems if p.rule.startswith("contributor")] == [
        (5, "contributor-missing-role")]


def test_flat_keys_of_front_matter():
    problems = Collector()
    FRONT_MATTER.check({"titel": "x", "short_title": 5}, KeyLines("one.md", {"titel": 2,
                                                                               "short_title": 3}),
                       problems)
    assert [(p.line, str(p), p.rule) for p in problems.problems] == [
        (2, "one.md:2: unknown front matter key 'titel' (did you mean 'title'?)",
         "front-matter-unknown-key"),
        (3, "one.md:3: front matter 'short_title' must be non-empty text", "front-matter-type")]


def test_book_toml_refuses_impossible_date_and_bad_identifier():
    text = (REPO / "book.toml").read_text("utf-8")
    text = re.sub(r'(?m)^date = .*$', 'date = "2023-02-30"', text)
    text = re.sub(r'(?m)^identifier = .*$', 'identifier = "urn:isbn:978-0-306-40615-8"', text)
    doc = parse_toml("book.toml", text)
    problems = Collector()
    BOOK.check(doc.data, TomlPlace(doc), problems)
    lines = text.splitlines()
    assert {(lines[p.line - 1].split(" =")[0], p.message, p.rule) for p in problems.problems} == {
        ("date", "'date' must be a real date", "manifest-bad-value"),
        ("identifier", "'identifier' has no valid ISBN after 'urn:isbn:' ('978-0-306-40615-8')",
         "manifest-bad-value")}


def book_tomls() -> list[str]:
    """The explainer's book.toml and every test project's that is valid TOML."""
    found = ["book.toml"]
    for path in sorted((REPO / "tests").glob("**/book.toml")):
        try:
            tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError:
            continue
        found.append(str(path.relative_to(REPO)))
    return found


@pytest.mark.parametrize("path", book_tomls())
def test_every_book_toml_of_the_repository_passes(path):
    """The explainer's and the test projects' identifiers and dates are valid (fixtures of
    `book check` that break book.toml on purpose break other keys)."""
    doc = parse_toml(path, (REPO / path).read_text("utf-8"))
    problems = Collector()
    BOOK.check(doc.data, TomlPlace(doc), problems)
    assert not [p for p in problems.problems if re.match(r"'(identifier|date)'", p.message)]


# ---------------------------------------------------------------- rule ids and the README

@pytest.mark.parametrize("name", SCHEMAS)
def test_every_rule_a_schema_gives_is_a_catalogued_error(name):
    rules = SCHEMAS[name].rules()
    assert "" not in rules and rules <= set(RULES), sorted(rules - set(RULES))
    assert {RULES[rule].severity for rule in rules} == {ERROR}


def readme_tables() -> list[str]:
    """Every key table of README.md (a block of '|' lines under a key/required header)."""
    text = (REPO / "README.md").read_text("utf-8")
    blocks = re.findall(r"(?m)^\| key \| required \| meaning \|\n(?:\|.*\n?)+", text)
    return [block.rstrip("\n") for block in blocks]


README_TABLES = {"book.toml": BOOK.markdown(), "[check]": CHECK.markdown("check"),
                 "front matter": FRONT_MATTER.markdown(), "photos.toml": PHOTO.markdown(),
                 "data pages": PAGE.markdown()}


@pytest.mark.parametrize("name", README_TABLES)
def test_readme_table_is_the_schema(name):
    """The README lists exactly the schema's keys, with their required flag and doc; paste
    the expected table to update it."""
    assert README_TABLES[name] in readme_tables(), README_TABLES[name]


def test_readme_has_no_other_key_table():
    assert sorted(readme_tables()) == sorted(README_TABLES.values())


def test_readme_rows_follow_the_schema_keys():
    """Independent of the rendering: each row of the book.toml table names a key of the
    schema (or of a table in it), in order, with 'yes' exactly for a required one."""
    rows = [re.match(r"\| (.*?) \| (yes|no) \|", line).groups()
            for line in BOOK.markdown().splitlines()[2:]]
    expected = []
    for key, spec in BOOK.fields.items():
        inner = spec.children()
        expected.append((key, spec.required))
        expected += [(f"{key}.{k}", s.required) for k, s in (inner.fields.items() if inner else ())]
    named = [(".".join(re.findall(r"`\[*([^`\]]+)\]*`", heading)), flag == "yes")
             for heading, flag in rows]
    assert named == expected
