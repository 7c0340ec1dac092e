"""book.toml: its schema, and validation that reports every problem at once with its line."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import Collector, did_you_mean
from ..model import ROLES, Contributor, Metadata, chapter_id, clashing_id
from .tomlfile import TomlDoc

MANIFEST = "book.toml"


@dataclass(frozen=True)
class Field:
    """One book.toml key: its type, whether it is required, and what it means."""

    kind: type | tuple[type, ...]
    required: bool
    doc: str
    check: Callable[[Any], str] | None = None  # returns an error message or ''


def _slug(value: str) -> str:
    return "" if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value) else \
        "must be lower-case letters, digits and single hyphens (e.g. 'my-book')"


def _language(value: str) -> str:
    return "" if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value) else \
        "must be a BCP 47 language tag such as 'en' or 'en-GB'"


def _date(value: Any) -> str:
    text = str(value)
    return "" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else "must be a date as YYYY-MM-DD"


def _nonempty(value: str) -> str:
    return "" if value.strip() else "must not be empty"


def _string_list(value: list) -> str:
    return "" if all(isinstance(v, str) and v.strip() for v in value) else \
        "must be a list of non-empty strings"


FIELDS: dict[str, Field] = {
    "title": Field(str, True, "The book's title.", _nonempty),
    "subtitle": Field(str, False, "Subtitle printed under the title."),
    "language": Field(str, True, "BCP 47 language tag of the text.", _language),
    "slug": Field(str, True, "File-name stem of the editions (`<slug>.pdf`).", _slug),
    "publisher": Field(str, True, "Publisher named on the title page and in metadata.", _nonempty),
    "rights": Field(str, True, "Copyright and licence statement.", _nonempty),
    "identifier": Field(str, True, "Stable identifier, e.g. urn:uuid:… or an ISBN URN.", _nonempty),
    "date": Field((str, datetime.date), True, "Publication date, YYYY-MM-DD.", _date),
    "description": Field(str, False, "One-paragraph description for metadata."),
    "keywords": Field(list, False, "Subject keywords.", _string_list),
    "based_on": Field(str, False, "Credit for the source material, printed in the colophon."),
    "cover": Field(str, False, "Cover image path; without it a cover is generated."),
    "chapters": Field(list, True, "Chapter files in reading order.", _string_list),
    "contributors": Field(list, True, "[[contributors]] tables: name, role, note."),
    "check": Field(dict, False, "[check] table: warnings `book check` silences (ignore, files)."),
    "epub": Field(dict, False, "[epub] table: page-list."),
}

EPUB_FIELDS: dict[str, Field] = {
    "page-list": Field(bool, False, "Whether the EPUB maps the print edition's pages (default "
                                    "true); false builds an EPUB alone without laying out the "
                                    "print edition."),
}

CONTRIBUTOR_FIELDS: dict[str, Field] = {
    "name": Field(str, True, "The person's or group's name.", _nonempty),
    "role": Field(str, True, "One of: " + ", ".join(ROLES) + "."),
    "note": Field(str, False, "What they did, printed on the contributors page."),
}


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", list: "a list", dict: "a table", bool: "true or false"}
    first = kind[0] if isinstance(kind, tuple) else kind
    return names.get(first, first.__name__)


def _check_table(doc: TomlDoc, data: dict, fields: dict[str, Field], problems: Collector,
                 table: str = "", index: int = 0, label: str = "") -> None:
    misspelt: set[str] = set()
    for key, value in data.items():
        name = f"{label}{key}"
        if key not in fields:
            hint = did_you_mean(key, fields)
            misspelt.update(k for k in fields if hint == f"did you mean '{k}'?")
            problems.add(doc.path, doc.line(key, table, index), f"unknown key '{name}'",
                         hint, rule="manifest-unknown-key")
            continue
        spec = fields[key]
        if not isinstance(value, spec.kind):
            problems.add(doc.path, doc.line(key, table, index),
                         f"'{name}' must be {_type_name(spec.kind)}", rule="manifest-bad-value")
            continue
        message = spec.check(value) if spec.check else ""
        if message:
            problems.add(doc.path, doc.line(key, table, index), f"'{name}' {message}",
                         rule="manifest-bad-value")
    for key, spec in fields.items():
        if spec.required and key not in data and key not in misspelt:
            line = doc.table_line(table, index) if table else None
            problems.add(doc.path, line, f"missing required key '{label}{key}'", spec.doc,
                         rule=f"contributor-missing-{key}" if label else "manifest-missing-key")


def _check_chapter_ids(doc: TomlDoc, chapters: list, problems: Collector) -> None:
    """Each chapter's file stem becomes its id in every edition (anchors, EPUB file names),
    so two chapters may not share one, nor take one the builder gives its own parts."""
    owners: dict[str, str] = {}
    for path in dict.fromkeys(p for p in chapters if isinstance(p, str)):
        cid = chapter_id(path)
        if cid in owners:
            problems.add(doc.path, doc.value_line(path, "chapters"),
                         f"chapter '{path}' gets the id '{cid}', as '{owners[cid]}' does",
                         "rename one of the files", rule="manifest-chapter-id")
        elif clashing_id(cid):
            problems.add(doc.path, doc.value_line(path, "chapters"),
                         f"chapter '{path}' gets the id '{cid}', which the builder uses itself",
                         "rename the file", rule="manifest-chapter-id")
        owners.setdefault(cid, path)


def parse_config(doc: TomlDoc) -> Metadata:
    """Validate a parsed book.toml and build the metadata; all problems raise together."""
    problems = Collector()
    data = doc.data
    _check_table(doc, data, FIELDS, problems)
    contributors: list[Contributor] = []
    raw_contributors = data.get("contributors", [])
    for index, entry in enumerate(raw_contributors if isinstance(raw_contributors, list) else []):
        if not isinstance(entry, dict):
            problems.add(doc.path, doc.line("contributors"), "each contributor must be a table",
                         rule="manifest-bad-value")
            continue
        _check_table(doc, entry, CONTRIBUTOR_FIELDS, problems, "contributors", index,
                     "contributors.")
        role = entry.get("role")
        if isinstance(role, str) and role not in ROLES:
            problems.add(doc.path, doc.line("role", "contributors", index),
                         f"unknown contributor role '{role}'",
                         did_you_mean(role, ROLES) or "use one of: " + ", ".join(ROLES),
                         rule="contributor-unknown-role")
        elif isinstance(entry.get("name"), str) and isinstance(role, str):
            contributors.append(Contributor(entry["name"], role, str(entry.get("note", ""))))
    if isinstance(raw_contributors, list) and not raw_contributors and "contributors" in data:
        problems.add(doc.path, doc.line("contributors"), "at least one contributor is needed",
                     rule="contributor-no-author")
    epub = data.get("epub", {})
    if isinstance(epub, dict):
        _check_table(doc, epub, EPUB_FIELDS, problems, "epub", 0, "epub.")
    chapters = data.get("chapters", [])
    if isinstance(chapters, list):
        seen: dict[str, int] = {}
        for path in (p for p in chapters if isinstance(p, str)):
            seen[path] = seen.get(path, 0) + 1
            if seen[path] > 1:  # point at the repeat itself
                problems.add(doc.path, doc.value_line(path, "chapters", seen[path]),
                             f"chapter '{path}' is listed twice",
                             rule="manifest-chapter-twice")
        _check_chapter_ids(doc, chapters, problems)
        if not chapters and "chapters" in data:  # (a missing key is reported as such)
            problems.add(doc.path, doc.line("chapters"), "'chapters' is empty",
                         rule="manifest-bad-value")
    problems.raise_if_any()
    if not any(c.role == "author" for c in contributors):
        problems.add(doc.path, doc.table_line("contributors"),
                     "no contributor has the role 'author'", "the book needs a creator",
                     rule="contributor-no-author")
        problems.raise_if_any()
    return Metadata(
        title=data["title"],
        subtitle=data.get("subtitle", ""),
        language=data["language"],
        slug=data["slug"],
        publisher=data["publisher"],
        rights=data["rights"],
        identifier=data["identifier"],
        date=str(data["date"]),
        description=data.get("description", ""),
        keywords=tuple(data.get("keywords", ())),
        based_on=data.get("based_on", ""),
        contributors=tuple(contributors),
        chapter_paths=tuple(chapters),
        cover=data.get("cover", ""),
        page_list=epub.get("page-list", True) if isinstance(epub, dict) else True,
    )
