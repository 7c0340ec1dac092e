"""The book's index as the sources give it: the entries of an index page (index.toml, a
data page of kind "index": terms with the forms whose uses the index lists, sub-entries,
"see" and "see also") and the places the text marks itself with a bracketed span,
`[Lachin corridor]{.index}` or `[the road]{index="Lachin corridor!blockade of"}`. Render
finds the forms' uses (render/occurrences.py, shared with the glossary) and lists them."""

from __future__ import annotations

from dataclasses import replace

from markdown_it.token import Token

from ..errors import Collector, Problem, did_you_mean
from ..model import Chapter, IndexEntry, IndexMark
from .markdown import slugify
from .schema import Entry, Prose, Schema, TableList, TextList

_WORDING = dict(unknown="unknown key '{key}' in [[{owner}]]", bad="'{key}' {problem}",
                missing="[[{owner}]] entry has no '{key}'",
                unknown_rule="data-page-unknown-key", bad_rule="data-page-bad-value",
                missing_rule="data-page-missing-key")
_ALSO = TextList(doc="Other forms whose uses the index lists under it.",
                 expect="must be a list of text", items="must be a list of text")
SUBENTRY = Schema({
    "term": Prose(required=True, doc="The sub-entry as the index lists it under its entry."),
    "also": _ALSO,
}, **_WORDING)
ENTRY = Schema({
    "term": Prose(required=True, doc="The entry as the index lists it; its uses in the text "
                                     "are the entry's pages."),
    "also": _ALSO,
    "see": TextList(doc="Entries to look under instead (\"see\"); such an entry lists no "
                        "pages.", expect="must be a list of text",
                    items="must be a list of text"),
    "see-also": TextList(doc="Related entries (\"see also\").", expect="must be a list of text",
                         items="must be a list of text"),
    "sub": TableList(doc="Sub-entries: `term` and `also`, as an entry's.", schema=SUBENTRY,
                     not_table="each 'sub' entry must be a table",
                     not_table_hint="write it as [[entries.sub]]"),
}, **_WORDING)

MARK_CLASS = "index-mark"  # the class of a marked span in a chapter's body
SUB_SEPARATOR = "!"  # `index="Entry!sub-entry"`, as makeindex writes it


def entry_id(page_id: str, term: str) -> str:
    """The anchor of an entry on the index page (a "see" links to it)."""
    return f"{page_id}--{slugify(term)}"


def read_entries(path: str, page_id: str, entries: list[Entry], lines: tuple[str, ...],
                 problems: Collector) -> tuple[IndexEntry, ...]:
    """index.toml's checked [[entries]] → IndexEntry values; a term or form written twice
    and a "see" entry that also lists pages are located errors."""
    found: list[IndexEntry] = []
    terms: dict[str, int] = {}
    forms: dict[str, tuple[str, int]] = {}

    def claim(form: str, term: str, line: int) -> None:
        key = form.casefold()
        if key in forms and forms[key][0] != term:
            problems.add(path, line, f"'{form}' is already a form of the index entry "
                         f"'{forms[key][0]}' (line {forms[key][1]})",
                         "a form names one entry; remove it from one of them",
                         rule="index-duplicate")
        forms.setdefault(key, (term, line))

    for entry in entries:
        values, line = entry.values, entry.line or 0
        term = values["term"].strip()
        if term.casefold() in terms:
            problems.add(path, line, f"the index entry '{term}' is listed twice (first at "
                         f"line {terms[term.casefold()]})", "merge the two entries",
                         rule="index-duplicate")
            continue
        terms[term.casefold()] = line
        see, see_also = tuple(values.get("see", ())), tuple(values.get("see-also", ()))
        subs = values.get("sub", [])
        if see and (see_also or subs or values.get("also")):
            problems.add(path, line, f"the index entry '{term}' says 'see' and also lists "
                         "pages ('also', 'sub' or 'see-also')",
                         "an entry either sends the reader elsewhere or lists pages",
                         rule="index-see-combined")
            continue
        own = tuple(dict.fromkeys([term, *values.get("also", ())]))
        for form in own if not see else ():
            claim(form, term, line)
        children: list[IndexEntry] = []
        seen: set[str] = set()
        for sub in subs:
            name = sub.values["term"].strip()
            sub_line = _value_line(lines, name) or sub.line or line
            if name.casefold() in seen:
                problems.add(path, sub_line, f"'{term}' has the sub-entry '{name}' twice",
                             "merge the two sub-entries", rule="index-duplicate")
                continue
            seen.add(name.casefold())
            sub_forms = tuple(dict.fromkeys([name, *sub.values.get("also", ())]))
            for form in sub_forms:
                claim(form, f"{term}, {name}", sub_line)
            children.append(IndexEntry(f"{entry_id(page_id, term)}.{slugify(name)}", name,
                                       sub_forms, sub_line, parent=term))
        found.append(IndexEntry(entry_id(page_id, term), term, own if not see else (), line,
                                see=see, see_also=see_also, subentries=tuple(children)))
    return tuple(found)


def _value_line(lines: tuple[str, ...], value: str) -> int | None:
    """The first line that writes `value` as a string."""
    for number, text in enumerate(lines, start=1):
        if f'"{value}"' in text or f"'{value}'" in text:
            return number
    return None


def mark_spans(tokens: list[Token], chapter_id: str, where, first: int) -> list[IndexMark]:
    """The bracketed spans that mark a place for the index (`{.index}`, `{index="…"}`),
    each given the id its locators point at and located by `where(text, block)` (the
    line in the block that holds its text); `first` numbers them on from the chapter's
    marks so far. A bracketed span's own id is dropped: it would not be the chapter's."""
    marks: list[IndexMark] = []
    for block in tokens:
        children = block.children or []
        for position, tok in enumerate(children):
            if tok.type != "span_open":
                continue
            classes = str(tok.attrs.get("class", "")).split()
            named = str(tok.attrs.get("index", "")).strip()
            tok.attrs.pop("id", None)
            if "index" not in classes and not named:
                continue
            tok.attrs.pop("index", None)
            text = _span_text(children, position)
            term, _, sub = (named or text).partition(SUB_SEPARATOR)
            anchor = f"{chapter_id}--ixm.{first + len(marks) + 1}"
            tok.attrs["class"] = " ".join([MARK_CLASS] + [c for c in classes if c != "index"])
            tok.attrs["id"] = anchor
            marks.append(IndexMark(" ".join(term.split()), " ".join(sub.split()), anchor,
                                   where(text.split("\n")[0][:40], block)))
    return marks


def _span_text(children: list[Token], start: int) -> str:
    """The text of the span that opens at `children[start]`."""
    depth, text = 0, []
    for tok in children[start:]:
        depth += {"span_open": 1, "span_close": -1}.get(tok.type, 0)
        if depth == 0:
            break
        if tok.type in ("text", "code_inline"):
            text.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            text.append(" ")
    return "".join(text)


def resolve(chapters: tuple[Chapter, ...],
            problems: Collector) -> tuple[tuple[Chapter, ...], list[Problem]]:
    """The chapters with each index mark filed under its entry and the index page holding
    every entry (index.toml's, then those only marks name, sub-entries included). Every
    "see" and "see also" must name an entry, and no mark may file its text under a "see"
    entry; marks in a book with no index page give one warning (returned)."""
    page = next((c for c in chapters if c.kind == "index"), None)
    marks = [(c, m) for c in chapters for m in c.index_marks]
    if page is None:
        return chapters, [Problem(c.path, m.line, f"'{m.term}' is marked for the index, but "
                                  "the book has no index page", "list an index.toml (kind = "
                                  "\"index\") among the chapters in book.toml",
                                  "index-no-page") for c, m in marks[:1]]
    if not page.index_entries and not marks:
        problems.add(page.path, 1, "the index has no entries", "list [[entries]] in it or "
                     "mark places in the text with [text]{.index}", rule="data-page-no-entries")
    entries = {e.term.casefold(): e for e in page.index_entries}
    added: dict[str, IndexEntry] = {}  # entries only marks name, by folded term
    for chapter, mark in marks:
        folded = mark.term.casefold()
        target = entries.get(folded)
        if not mark.term:
            problems.add(chapter.path, mark.line, "an index mark names no entry",
                         "write [text]{.index} or [text]{index=\"Entry\"}",
                         rule="index-mark-invalid")
        elif target is not None and target.see:
            problems.add(chapter.path, mark.line, f"'{mark.term}' is a 'see' entry of the "
                         f"index ({page.path}:{target.line})",
                         f"mark it under {', '.join(repr(t) for t in target.see)}",
                         rule="index-mark-invalid")
        elif target is None and folded not in added:
            added[folded] = IndexEntry(entry_id(page.id, mark.term), mark.term, (), mark.line)
        top = target or added.get(folded)
        if top is not None and mark.sub and not any(
                s.term.casefold() == mark.sub.casefold() for s in top.subentries):
            sub = IndexEntry(f"{top.id}.{slugify(mark.sub)}", mark.sub, (), mark.line,
                             parent=top.term)
            top = replace(top, subentries=(*top.subentries, sub))
            (entries if target else added)[folded] = top
    names = [e.term for e in page.index_entries] + [e.term for e in added.values()]
    known = {name.casefold() for name in names}
    for entry in page.index_entries:
        for target_term in entry.see + entry.see_also:
            folded = target_term.casefold()
            if folded not in known or folded == entry.term.casefold():
                problems.add(page.path, entry.line, f"the index entry '{entry.term}' "
                             f"refers to '{target_term}', which is no entry of the index",
                             did_you_mean(target_term, names) or "add it to index.toml or "
                             "mark it in the text", rule="index-see-unknown")
            elif folded in entries and entries[folded].see:
                problems.add(page.path, entry.line, f"the index entry '{entry.term}' "
                             f"refers to '{target_term}', which itself says 'see'",
                             "refer to the entry it names", rule="index-see-unknown")
    every = {**entries, **added}

    def filed(mark: IndexMark) -> IndexMark:
        top = every.get(mark.term.casefold())
        if top is None:
            return mark
        sub = next((s for s in top.subentries if s.term.casefold() == mark.sub.casefold()),
                   None) if mark.sub else None
        return replace(mark, entry=(sub or top).id)

    whole = tuple(entries.values()) + tuple(added.values())
    return tuple(replace(c, index_entries=whole) if c is page else
                 replace(c, index_marks=tuple(filed(m) for m in c.index_marks))
                 if c.index_marks else c for c in chapters), []
