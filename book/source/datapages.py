"""Pages made from data files listed among the chapters: a timeline and a glossary.
Each TOML file becomes a Chapter, so ordering, contents, links and every edition treat it
like any other chapter."""

from __future__ import annotations

import posixpath
from html import escape

from ..errors import BookError, Collector, did_you_mean
from .markdown import render_inline, slugify
from ..model import Chapter, Link, Term, chapter_id
from .tomlfile import TomlDoc, parse_toml

KINDS = ("timeline", "glossary")
PAGE_KEYS = {"kind": "timeline or glossary", "title": "Page title", "intro": "Text before the list",
             "events": "[[events]] of a timeline", "terms": "[[terms]] of a glossary"}
EVENT_KEYS = {"date": "When (as the source gives it)", "title": "What happened, in a few words",
              "note": "One sentence", "link": "Optional chapter link, e.g. 02-x.md#heading"}
TERM_KEYS = {"term": "The term", "definition": "A short definition",
             "also": "Other forms that count as a use (list)"}


def _check_entries(doc: TomlDoc, table: str, keys: dict[str, str], required: tuple[str, ...],
                   problems: Collector) -> list[dict]:
    """The entries of `table` fit to build the page from; each one that is not a table, or
    has a wrong, unknown or missing value, is reported and left out."""
    entries = doc.data.get(table, [])
    if not isinstance(entries, list) or not entries:
        problems.add(doc.path, doc.line(table), f"the page needs at least one [[{table}]] entry")
        return []
    good = []
    for index, entry in enumerate(entries):
        where = doc.table_line(table, index) or doc.line(table)  # (an inline array: its key)
        if not isinstance(entry, dict):
            problems.add(doc.path, where, f"each '{table}' entry must be a table",
                         f"write it as [[{table}]]")
            continue
        before = len(problems.problems)
        for key, value in entry.items():
            line = doc.line(key, table, index) or where
            if key not in keys:
                problems.add(doc.path, line, f"unknown key '{key}' in [[{table}]]",
                             did_you_mean(key, keys))
            elif key == "also":
                if not (isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)):
                    problems.add(doc.path, line, "'also' must be a list of text")
            elif not isinstance(value, str) or not value.strip():
                problems.add(doc.path, line, f"'{key}' must be non-empty text")
        for key in (k for k in required if k not in entry):
            problems.add(doc.path, where, f"[[{table}]] entry has no '{key}'", keys[key])
        if len(problems.problems) == before:
            good.append({**entry, "_line": where or 0})
    return good


def parse_data_page(path: str, text: str) -> Chapter:
    """A timeline or glossary TOML file → a Chapter whose body lists its entries."""
    doc = parse_toml(path, text)
    problems = Collector()
    for key in doc.data:
        if key not in PAGE_KEYS:
            problems.add(path, doc.line(key), f"unknown key '{key}'", did_you_mean(key, PAGE_KEYS))
    kind = doc.data.get("kind")
    if kind not in KINDS:
        raise BookError.at(path, doc.line("kind") or 1, f"'kind' must be one of: {', '.join(KINDS)}")
    title = doc.data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(path, doc.line("title") or 1, "the page needs a 'title'")
    cid = chapter_id(path)
    intro = doc.data.get("intro", "")
    if not isinstance(intro, str):
        problems.add(path, doc.line("intro"), "'intro' must be text")
    body = f'<p class="intro">{render_inline(intro)}</p>\n' if isinstance(intro, str) and intro else ""
    links: list[Link] = []
    terms: list[Term] = []
    if kind == "timeline":
        events = _check_entries(doc, "events", EVENT_KEYS, ("date", "title", "note"), problems)
        items = []
        for event in events:
            more = ""
            if "link" in event:
                target, _, frag = event["link"].partition("#")
                target_path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
                target_cid = chapter_id(target_path)
                anchor = f"{target_cid}--{frag}" if frag else target_cid
                links.append(Link(event["_line"], target_path, anchor, event["link"]))
                more = f' <a class="timeline-link" href="#{escape(anchor)}">More</a>'
            items.append(f'<li><p class="timeline-date">{escape(event["date"])}</p>'
                         f'<p class="timeline-title">{render_inline(event["title"])}</p>'
                         f'<p class="timeline-note">{render_inline(event["note"])}{more}</p></li>')
        body += '<ol class="timeline">\n' + "\n".join(items) + "\n</ol>\n"
    else:
        entries = _check_entries(doc, "terms", TERM_KEYS, ("term", "definition"), problems)
        rows = []
        for entry in sorted(entries, key=lambda e: (e["term"].casefold(), e["_line"])):
            term_id = f"{cid}--{slugify(entry['term'])}"
            if any(t.id == term_id for t in terms):  # one id, one definition
                problems.add(path, entry["_line"], f"the term '{entry['term']}' is defined twice")
                continue
            forms = tuple(dict.fromkeys([entry["term"], *entry.get("also", [])]))
            definition = render_inline(entry["definition"])
            terms.append(Term(term_id, entry["term"], forms, definition))
            rows.append(f'<dt id="{term_id}">{escape(entry["term"])}</dt>\n'
                        f'<dd>{definition}</dd>')
        body += '<dl class="glossary">\n' + "\n".join(rows) + "\n</dl>\n"
    problems.raise_if_any()
    return Chapter(id=cid, path=path, title=str(title).strip(), short_title=str(title).strip(),
                   body=body, headings=(), footnotes=(), photo_ids=(), image_paths=(),
                   links=tuple(links), kind=str(kind), terms=tuple(terms))
