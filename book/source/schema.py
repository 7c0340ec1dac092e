"""The one schema of what a project declares: book.toml, assets/photos.toml, data pages,
front matter and book.toml's [check] table are each a Schema of typed fields. A field
validates its value and documents itself (its doc is the README's table row and the hint
of a missing key); a Schema checks a whole table and collects every problem, located and
tagged with a rule id of book/lint/rules.py, so one mistake never hides the next."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from stdnum import isbn

from ..errors import Collector, did_you_mean
from .tomlfile import TomlDoc


def _report(problems: Collector, path: str, line: int | None, message: str, hint: str,
            rule_id: str) -> None:
    """Add a problem with a rule id that the schema's declaration names (tests/test_schema
    checks each one is catalogued)."""
    problems.add(path, line, message, hint, rule_id)


class Invalid(Exception):
    """Why a field refuses a value: `problem` ends the schema's sentence ("'slug' must be
    …"), unless `whole` says it is the whole message; `rule` overrides the schema's."""

    def __init__(self, problem: str, hint: str = "", rule: str = "", whole: bool = False):
        super().__init__(problem)
        self.problem, self.hint, self.rule, self.whole = problem, hint, rule, whole


class Place(Protocol):
    """Where a table's keys are written, so each problem names its line."""

    @property
    def path(self) -> str: ...

    def line(self, key: str) -> int | None: ...

    def child(self, key: str, index: int = 0) -> Place: ...

    def start(self) -> int | None: ...


@dataclass(frozen=True)
class TomlPlace:
    """A table of a TOML file: `table` is its dotted name ('' for the top), `index` which
    of an array of tables."""

    doc: TomlDoc
    table: str = ""
    index: int = 0

    @property
    def path(self) -> str:
        return self.doc.path

    def line(self, key: str) -> int | None:
        return self.doc.line(key, self.table, self.index)

    def child(self, key: str, index: int = 0) -> TomlPlace:
        return TomlPlace(self.doc, f"{self.table}.{key}" if self.table else key, index)

    def start(self) -> int | None:
        """The line of the table's header (none for the top of the file)."""
        return self.doc.table_line(self.table, self.index) if self.table else None


@dataclass(frozen=True)
class KeyLines:
    """A flat mapping whose keys' lines are known (YAML front matter); nested keys are not
    located."""

    file: str
    lines: dict[str, int]

    @property
    def path(self) -> str:
        return self.file

    def line(self, key: str) -> int | None:
        return self.lines.get(key)

    def child(self, key: str, index: int = 0) -> KeyLines:
        return KeyLines(self.path, {})

    def start(self) -> int | None:
        return None


@dataclass(frozen=True)
class Entry:
    """One valid table of an array of tables, with the line it starts at."""

    line: int | None
    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Field:
    """One key: whether it is required, its default, what it means, and how it is checked.
    `says` replaces the schema's wording for any bad or missing value (hint: `example`);
    `rule` replaces the schema's rule id for a bad value."""

    doc: str
    required: bool = False
    default: Any = None
    rule: str = ""
    says: str = ""
    example: str = ""

    def validate(self, value: Any) -> Any:
        """The value to use, or Invalid."""
        return value

    def nested(self, value: Any, key: str, place: Place, problems: Collector,
               schema: Schema, label: str) -> tuple[bool, Any]:
        """Check what a table-like value holds: (whether the value can be used, the value)."""
        return True, value

    def absent(self) -> Any:
        """The value of a key that is not written."""
        return self.default

    def heading(self, name: str) -> str:
        """How the README names a key that heads a table of its own ('' for a plain key);
        `name` is the dotted name."""
        return ""

    def rules(self) -> set[str]:
        """The rule ids this field gives of its own (besides the schema's)."""
        return {self.rule} if self.rule else set()

    def children(self) -> Schema | None:
        """The schema of the tables this field holds, if it holds any."""
        return None


@dataclass(frozen=True, kw_only=True)
class Text(Field):
    """A string; blank only when `blank`; matching `pattern` when given (else `form`)."""

    default: Any = ""
    blank: bool = False
    pattern: str = ""
    form: str = ""
    expect: str = "must be a string"  # the problem when the value is no string
    filled: str = "must not be empty"  # the problem when it is blank

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid(self.expect)
        if not self.blank and not value.strip():
            raise Invalid(self.filled)
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise Invalid(self.form)
        return value


@dataclass(frozen=True, kw_only=True)
class LanguageTag(Text):
    """A BCP 47 language tag ('en', 'en-GB', 'zh-Hans', 'fa'): the book's language, or a
    chapter's when it is written in another."""

    pattern: str = r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*"
    form: str = "must be a BCP 47 language tag such as 'en' or 'en-GB'"


PROSE = "must be non-empty text"


@dataclass(frozen=True, kw_only=True)
class Prose(Text):
    """Text a reader sees (captions, titles, notes): a string that is not blank."""

    expect: str = PROSE
    filled: str = PROSE


@dataclass(frozen=True, kw_only=True)
class Date(Text):
    """A calendar date written YYYY-MM-DD, as a string or a TOML date."""

    def validate(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            value = str(value)  # (a TOML datetime prints with its time, and is refused)
        text = super().validate(value)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise Invalid("must be a date as YYYY-MM-DD")
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            raise Invalid("must be a real date") from None
        return text


@dataclass(frozen=True, kw_only=True)
class Identifier(Text):
    """A stable, resolvable book identifier: urn:uuid:<uuid>, urn:isbn:<ISBN-10 or -13
    with a valid check digit> or an http(s) URL."""

    def validate(self, value: Any) -> Any:
        text = super().validate(value)
        scheme, _, rest = text.partition(":")
        nid, _, nss = rest.partition(":")
        if scheme.lower() == "urn" and nid.lower() == "uuid":
            try:
                if str(uuid.UUID(nss)) == nss.lower():
                    return text
            except ValueError:
                pass
            raise Invalid(f"has no valid UUID after 'urn:uuid:' ('{nss}')",
                          "e.g. urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "book")))
        if scheme.lower() == "urn" and nid.lower() == "isbn":
            if isbn.is_valid(nss):
                return text
            raise Invalid(f"has no valid ISBN after 'urn:isbn:' ('{nss}')",
                          "an ISBN-10 or ISBN-13 with its check digit")
        url = urlsplit(text)
        if url.scheme in ("http", "https") and url.hostname and not re.search(r"\s", text):
            return text
        raise Invalid("must be urn:uuid:<UUID>, urn:isbn:<ISBN> or an http(s) URL")


_MM_PER = {"mm": 1.0, "cm": 10.0, "in": 25.4}


def _millimetres(text: str) -> float | None:
    """'3mm', '0.125in', '1cm' in millimetres; None when the text is no such length."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mm|cm|in)", text.strip().lower())
    return float(found[1]) * _MM_PER[found[2]] if found else None


@dataclass(frozen=True, kw_only=True)
class Length(Text):
    """A length written with its unit ('3mm', '0.125in'), as millimetres, at most `most`."""

    most: float = 10.0

    def validate(self, value: Any) -> Any:
        mm = _millimetres(super().validate(value))
        if mm is None:
            raise Invalid("must be a length in mm, cm or in, e.g. '3mm' or '0.125in'")
        if mm > self.most:
            raise Invalid(f"must be at most {self.most:g}mm")
        return mm


@dataclass(frozen=True, kw_only=True)
class PageSize(Text):
    """A page size: one of `named` (name → width and height in mm) or 'WxH' with a unit
    ('6x9in', '150x230mm'), as (width, height) in millimetres."""

    named: tuple[tuple[str, tuple[float, float]], ...] = ()

    def validate(self, value: Any) -> Any:
        text = super().validate(value).strip().lower()
        sizes = dict(self.named)
        if text in sizes:
            return sizes[text]
        found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*x\s*(\d+(?:\.\d+)?)\s*(mm|cm|in)", text)
        if not found:
            raise Invalid("must be a named size (" + ", ".join(sizes) + ") or WIDTHxHEIGHT "
                          "with a unit, e.g. '6x9in' or '150x230mm'")
        width, height = (float(found[i]) * _MM_PER[found[3]] for i in (1, 2))
        if not (70 <= width <= 300 and 100 <= height <= 400):
            raise Invalid("must be between 70x100mm and 300x400mm")
        return (width, height)


@dataclass(frozen=True, kw_only=True)
class Number(Field):
    """A number (integer or float) from `least` to `most`."""

    least: float = 0.0
    most: float = float("inf")

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Invalid("must be a number")
        if not self.least <= value <= self.most:
            raise Invalid(f"must be from {self.least:g} to {self.most:g}")
        return float(value)


@dataclass(frozen=True, kw_only=True)
class Isbn(Text):
    """An ISBN-10 or ISBN-13 with a valid check digit, as its 13 digits (the EAN-13 a
    barcode prints)."""

    def validate(self, value: Any) -> Any:
        text = super().validate(value)
        if not text.strip():
            return ""
        if not isbn.is_valid(text):
            raise Invalid(f"is no valid ISBN ('{text}')", "an ISBN-10 or ISBN-13 with its "
                          "check digit, e.g. '978-3-16-148410-0'")
        return isbn.to_isbn13(isbn.compact(text))


@dataclass(frozen=True, kw_only=True)
class Flag(Field):
    """true or false."""

    def validate(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Invalid("must be true or false")
        return value


@dataclass(frozen=True, kw_only=True)
class Choice(Text):
    """One of `choices`. Another string is refused with `unknown` (a whole message naming
    `{value}`, with a "did you mean" hint; rule `unknown_rule`) when given, else as "must
    be one of: …"."""

    choices: tuple[str, ...] = ()
    unknown: str = ""
    unknown_rule: str = ""

    def validate(self, value: Any) -> Any:
        text = super().validate(value)
        if text in self.choices:
            return text
        listed = ", ".join(self.choices)
        if not self.unknown:
            raise Invalid(f"must be one of: {listed}")
        raise Invalid(self.unknown.format(value=text),
                      did_you_mean(text, self.choices) or f"use one of: {listed}",
                      self.unknown_rule, whole=True)

    def rules(self) -> set[str]:
        return super().rules() | ({self.unknown_rule} if self.unknown_rule else set())


@dataclass(frozen=True, kw_only=True)
class TextList(Field):
    """A list of non-blank strings; empty only when `filled` is ''."""

    default: Any = ()
    expect: str = "must be a list"
    items: str = "must be a list of non-empty strings"
    filled: str = ""

    def validate(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise Invalid(self.expect)
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise Invalid(self.items)
        if self.filled and not value:
            raise Invalid(self.filled)
        return value


@dataclass(frozen=True, kw_only=True)
class Table(Field):
    """A table, its keys checked by `schema` (any keys when None)."""

    schema: Schema | None = None
    holds: ClassVar[tuple[type, str]] = (dict, "must be a table")  # and what another is told

    def validate(self, value: Any) -> Any:
        kind, problem = self.holds
        if not isinstance(value, kind):
            raise Invalid(problem)
        return value

    def nested(self, value: Any, key: str, place: Place, problems: Collector,
               schema: Schema, label: str) -> tuple[bool, Any]:
        if self.schema is None:
            return True, value
        return self.schema.checked(value, place.child(key), problems,
                                   where=place.child(key).start(), label=f"{label}{key}.")

    def absent(self) -> Any:
        return self.schema.defaults() if self.schema else {}

    def heading(self, name: str) -> str:
        return f"`[{name}]`"

    def children(self) -> Schema | None:
        return self.schema


@dataclass(frozen=True, kw_only=True)
class TableList(Table):
    """An array of tables, each checked as a Table's value is; one that is no table is
    refused as `not_table` (hint: `not_table_hint`). Its value is the valid entries (the
    others are reported and left out)."""

    schema: Schema
    not_table: str = "each entry must be a table"
    not_table_hint: str = ""
    holds: ClassVar[tuple[type, str]] = (list, "must be a list")

    def nested(self, value: Any, key: str, place: Place, problems: Collector,
               schema: Schema, label: str) -> tuple[bool, Any]:
        entries = []
        for index, item in enumerate(value):
            where = place.child(key, index).start() or place.line(key)
            if not isinstance(item, dict):
                _report(problems, place.path, where, self.not_table, self.not_table_hint,
                        schema.bad_rule)
                continue
            ok, values = self.schema.checked(item, place.child(key, index), problems,
                                             where=where, label=f"{label}{key}.", owner=key)
            if ok:
                entries.append(Entry(where, values))
        return True, entries

    def absent(self) -> Any:
        return []

    def heading(self, name: str) -> str:
        return f"`[[{name}]]`"


@dataclass(frozen=True, kw_only=True)
class Mapping(Field):
    """A table of free names (file patterns…), each value checked by `values`. Its value
    holds the valid ones (the others are reported and left out)."""

    values: Field
    default: Any = None

    def validate(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise Invalid("must be a table")
        return value

    def nested(self, value: Any, key: str, place: Place, problems: Collector,
               schema: Schema, label: str) -> tuple[bool, Any]:
        good = {}
        for name, item in value.items():
            ok, checked = schema.take(self.values, str(name), item, place.child(key), problems,
                                      label=f"{label}{key}.", where=place.line(key))
            if ok:
                good[name] = checked
        return True, good

    def absent(self) -> Any:
        return {}

    def heading(self, name: str) -> str:
        return f"`[{name}]`"

    def rules(self) -> set[str]:
        return super().rules() | self.values.rules()


@dataclass(frozen=True)
class Schema:
    """The keys of one table and the wording of its problems. Messages may name `{name}`
    (the key with its table's prefix), `{key}` and `{owner}` (e.g. the photo's id);
    `missing_rule` may name `{key}`. `otherwise` is the hint for an unknown key that is
    close to no known one."""

    fields: dict[str, Field]
    unknown_rule: str
    bad_rule: str
    missing_rule: str = ""
    unknown: str = "unknown key '{name}'"
    bad: str = "'{name}' {problem}"
    missing: str = "missing required key '{name}'"
    otherwise: str = ""

    def check(self, data: dict, place: Place, problems: Collector, *, where: int | None = None,
              label: str = "", owner: str = "") -> dict[str, Any]:
        """Validate `data`, adding a problem for each unknown, bad or missing key (a
        required key is not called missing when an unknown one is a misspelling of it);
        the valid values, with the defaults of the keys not written (a default of None
        leaves the key out). `where` locates what has no line of its own."""
        values: dict[str, Any] = {}
        misspelt: set[str] = set()
        for raw_key, value in data.items():
            key = str(raw_key)
            spec = self.fields.get(key)
            if spec is None:
                hint = did_you_mean(key, self.fields)
                misspelt.update(k for k in self.fields if hint == f"did you mean '{k}'?")
                _report(problems, place.path, place.line(key) or where,
                        self.unknown.format(name=label + key, key=key, owner=owner),
                        hint or self.otherwise, self.unknown_rule)
                continue
            ok, checked = self.take(spec, key, value, place, problems, label=label,
                                    owner=owner, where=where)
            if ok:
                values[key] = checked
        for key, spec in self.fields.items():
            if key in data:
                continue
            if spec.required and key not in misspelt:
                message = spec.says or self.missing.format(name=label + key, key=key,
                                                           owner=owner)
                _report(problems, place.path, where, message,
                        spec.example if spec.says else spec.doc, self.missing_rule.format(key=key))
            elif not spec.required and spec.absent() is not None:
                values[key] = spec.absent()
        return values

    def checked(self, data: dict, place: Place, problems: Collector, *, where: int | None,
                label: str, owner: str = "") -> tuple[bool, dict[str, Any]]:
        """(whether `check` found nothing wrong, the valid values): a nested table or an
        entry of an array of tables with a problem is left out."""
        before = len(problems.problems)
        values = self.check(data, place, problems, where=where, label=label, owner=owner)
        return len(problems.problems) == before, values

    def take(self, spec: Field, key: str, value: Any, place: Place, problems: Collector, *,
             label: str = "", owner: str = "", where: int | None = None) -> tuple[bool, Any]:
        """One value checked by its field: (whether it is valid, the value to use)."""
        line = place.line(key) or where
        try:
            checked = spec.validate(value)
        except Invalid as bad:
            if bad.whole:
                message, hint = bad.problem, bad.hint
            elif spec.says:
                message, hint = spec.says, spec.example
            else:
                message = self.bad.format(name=label + key, key=key, owner=owner,
                                          problem=bad.problem)
                hint = bad.hint
            _report(problems, place.path, line, message, hint,
                    bad.rule or spec.rule or self.bad_rule)
            return False, None
        return spec.nested(checked, key, place, problems, self, label)

    def defaults(self) -> dict[str, Any]:
        return {key: spec.absent() for key, spec in self.fields.items()
                if not spec.required and spec.absent() is not None}

    def rules(self) -> set[str]:
        """Every rule id a problem found by this schema (or its users) can carry."""
        found = {self.unknown_rule, self.bad_rule}
        for key, spec in self.fields.items():
            found |= spec.rules()
            if spec.required:
                found.add(self.missing_rule.format(key=key))
            inner = spec.children()
            if inner:
                found |= inner.rules()
        return found

    def markdown(self, table: str = "") -> str:
        """The README's table of these keys (of the TOML table `table`): key, whether it
        is required, meaning."""
        rows = ["| key | required | meaning |", "|---|---|---|"]
        rows += self._rows(table, f"`[{table}]`" if table else "")
        return "\n".join(rows)

    def _rows(self, table: str, header: str) -> list[str]:
        rows = []
        for key, spec in self.fields.items():
            full = f"{table}.{key}" if table else key
            own = spec.heading(full)
            heading = own or (f"{header} `{key}`" if header else f"`{key}`")
            meaning = spec.doc.replace("|", "\\|")
            rows.append(f"| {heading} | {'yes' if spec.required else 'no'} | {meaning} |")
            inner = spec.children()
            if inner:
                rows += inner._rows(full, own)
        return rows
