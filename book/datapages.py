"""Pages made from data files listed among the chapters: a timeline and a glossary.
Each TOML file becomes a Chapter, so ordering, contents, links and every edition treat it
like any other chapter."""

from __future__ import annotations

import posixpath
from html import escape

from markdown_it import MarkdownIt

from .errors import BookError, Collector, did_you_mean
from .markup import slugify
from .model import Chapter, Link, Term, chapter_id
from .tomlfile import TomlDoc, parse_toml

KINDS = ("timeline", "glossary")
PAGE_KEYS = {"kind": "timeline or glossary", "title": "Page title", "intro": "Text before the list",
             "events": "[[events]] of a timeline", "terms": "[[terms]] of a glossary"}
EVENT_KEYS = {"date": "When (as the source gives it)", "title": "What happened, in a few words",
              "note": "One sentence", "link": "Optional chapter link, e.g. 02-x.md#heading"}
TERM_KEYS = {"term": "The term", "definition": "A short definition",
             "also": "Other forms that count as a use (list)"}
_INLINE = MarkdownIt("commonmark", {"typographer": True, "html": False}).enable(
    ["replacements", "smartquotes"])


def _inline(text: str) -> str:
    return _INLINE.renderInline(text)


def _check_entries(doc: TomlDoc, table: str, keys: dict[str, str], required: tuple[str, ...],
                   problems: Collector) -> list[dict]:
    entries = doc.data.get(table, [])
    if not isinstance(entries, list) or not entries:
        problems.add(doc.path, doc.line(table), f"the page needs at least one [[{table}]] entry")
        return []
    good = []
    for index, entry in enumerate(entries):
        where = doc.table_line(table, index)
        for key, value in entry.items():
            if key not in keys:
                problems.add(doc.path, doc.line(key, table, index), f"unknown key '{key}' in [[{table}]]",
                             did_you_mean(key, keys))
            elif key == "also":
                if not (isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)):
                    problems.add(doc.path, doc.line(key, table, index), "'also' must be a list of text")
            elif not isinstance(value, str) or not value.strip():
                problems.add(doc.path, doc.line(key, table, index), f"'{key}' must be non-empty text")
        missing = [k for k in required if k not in entry]
        for key in missing:
            problems.add(doc.path, where, f"[[{table}]] entry has no '{key}'", keys[key])
        if not missing:
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
    body = f'<p class="intro">{_inline(intro)}</p>\n' if isinstance(intro, str) and intro else ""
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
                         f'<p class="timeline-title">{_inline(event["title"])}</p>'
                         f'<p class="timeline-note">{_inline(event["note"])}{more}</p></li>')
        body += '<ol class="timeline">\n' + "\n".join(items) + "\n</ol>\n"
    else:
        entries = _check_entries(doc, "terms", TERM_KEYS, ("term", "definition"), problems)
        rows = []
        for entry in sorted(entries, key=lambda e: e["term"].casefold()):
            term_id = f"{cid}--{slugify(entry['term'])}"
            forms = tuple(dict.fromkeys([entry["term"], *entry.get("also", [])]))
            definition = _inline(entry["definition"])
            terms.append(Term(term_id, entry["term"], forms, definition))
            rows.append(f'<dt id="{term_id}">{escape(entry["term"])}</dt>\n'
                        f'<dd>{definition}</dd>')
        body += '<dl class="glossary">\n' + "\n".join(rows) + "\n</dl>\n"
    problems.raise_if_any()
    return Chapter(id=cid, path=path, title=str(title).strip(), short_title=str(title).strip(),
                   body=body, headings=(), footnotes=(), photo_ids=(), image_paths=(),
                   links=tuple(links), kind=str(kind), terms=tuple(terms))
