"""Pages made from data files listed among the chapters: a timeline, a glossary, an index.
Each TOML file becomes a Chapter, so ordering, contents, links and every edition treat it
like any other chapter."""

from __future__ import annotations

import posixpath

from ..errors import Collector
from ..model import Chapter, IndexEntry, Link, Term, TimelineEvent, chapter_id
from .index import ENTRY, read_entries
from .limits import MAX_GLOSSARY_TERMS
from .markdown import render_inline, slugify
from .schema import Choice, Prose, Schema, TableList, Text, TextList, TomlPlace
from .tomlfile import TomlDoc, parse_toml

KINDS = ("timeline", "glossary", "index")
_ENTRY_WORDING = dict(unknown="unknown key '{key}' in [[{owner}]]", bad="'{key}' {problem}",
                      missing="[[{owner}]] entry has no '{key}'",
                      unknown_rule="data-page-unknown-key", bad_rule="data-page-bad-value",
                      missing_rule="data-page-missing-key")
EVENT = Schema({
    "date": Prose(required=True, doc="When it happened, as the source gives it."),
    "title": Prose(required=True, doc="What happened, in a few words."),
    "note": Prose(required=True, doc="One sentence on it."),
    "link": Prose(default=None, doc="A chapter or heading to read more, e.g. `02-x.md#heading`."),
}, **_ENTRY_WORDING)
TERM = Schema({
    "term": Prose(required=True, doc="The term as the glossary lists it."),
    "definition": Prose(required=True, doc="A short definition."),
    "also": TextList(doc="Other forms that count as a use of the term.",
                     expect="must be a list of text", items="must be a list of text"),
}, **_ENTRY_WORDING)
PAGE = Schema({
    "kind": Choice(required=True, doc="`timeline`, `glossary` or `index`.", choices=KINDS,
                   says=f"'kind' must be one of: {', '.join(KINDS)}"),
    "title": Prose(required=True, doc="The page title.", says="the page needs a 'title'"),
    "intro": Text(blank=True, doc="Text before the list.", expect="must be text"),
    "events": TableList(doc="The events of a timeline, in order.", schema=EVENT,
                        not_table="each 'events' entry must be a table",
                        not_table_hint="write it as [[events]]"),
    "terms": TableList(doc="The terms of a glossary (listed alphabetically).", schema=TERM,
                       not_table="each 'terms' entry must be a table",
                       not_table_hint="write it as [[terms]]"),
    "entries": TableList(doc="The entries of an index (sorted in the book's language).",
                         schema=ENTRY, not_table="each 'entries' entry must be a table",
                         not_table_hint="write it as [[entries]]"),
}, unknown_rule="data-page-unknown-key", bad_rule="data-page-bad-value",
    missing_rule="data-page-missing-key")


def _check_entries(doc: TomlDoc, table: str, values: dict, problems: Collector) -> list[dict]:
    """The valid entries of `table` to build the page from (the schema reported and left
    out the others); a page without any entry is refused."""
    if not doc.data.get(table):  # (not a list at all: the schema said so)
        problems.add(doc.path, doc.line(table), f"the page needs at least one [[{table}]] entry",
                     rule="data-page-no-entries")
    return [{**entry.values, "_line": entry.line or 0} for entry in values.get(table, [])]


def parse_data_page(path: str, text: str) -> Chapter:
    """A timeline or glossary TOML file → a Chapter carrying its intro and entries (render's
    templates list them)."""
    doc = parse_toml(path, text)
    problems = Collector()
    values = PAGE.check(doc.data, TomlPlace(doc), problems, where=1)
    kind = values.get("kind")
    if kind is None:  # which entries to check depends on it
        problems.raise_if_any()
    title = doc.data.get("title")
    cid = chapter_id(path)
    intro = doc.data.get("intro", "")
    links: list[Link] = []
    terms: list[Term] = []
    timeline: list[TimelineEvent] = []
    index: tuple[IndexEntry, ...] = ()
    if kind == "index":
        index = read_entries(path, cid, values.get("entries", []), doc.text_lines, problems)
    elif kind == "timeline":
        events = _check_entries(doc, "events", values, problems)
        for event in events:
            anchor = ""
            if "link" in event:
                target, _, frag = event["link"].partition("#")
                target_path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
                target_cid = chapter_id(target_path)
                anchor = f"{target_cid}--{frag}" if frag else target_cid
                links.append(Link(event["_line"], target_path, anchor, event["link"]))
            timeline.append(TimelineEvent(event["date"], render_inline(event["title"]),
                                          render_inline(event["note"]), anchor))
    else:
        entries = _check_entries(doc, "terms", values, problems)
        if len(entries) > MAX_GLOSSARY_TERMS:
            problems.add(path, entries[MAX_GLOSSARY_TERMS]["_line"], f"the glossary has "
                         f"{len(entries):,} terms; at most {MAX_GLOSSARY_TERMS:,}",
                         rule="limit-glossary-terms")
            entries = []
        defined: set[str] = set()
        for entry in sorted(entries, key=lambda e: (e["term"].casefold(), e["_line"])):
            term_id = f"{cid}--{slugify(entry['term'])}"
            if term_id in defined:  # one id, one definition
                problems.add(path, entry["_line"], f"the term '{entry['term']}' is defined twice")
                continue
            defined.add(term_id)
            forms = tuple(dict.fromkeys([entry["term"], *entry.get("also", [])]))
            terms.append(Term(term_id, entry["term"], forms, render_inline(entry["definition"])))
    problems.raise_if_any()
    return Chapter(id=cid, path=path, title=str(title).strip(), short_title=str(title).strip(),
                   body="", headings=(), footnotes=(), photo_ids=(), image_paths=(),
                   links=tuple(links), kind=str(kind), terms=tuple(terms),
                   intro=render_inline(intro) if isinstance(intro, str) else "",
                   events=tuple(timeline), index_entries=index)
