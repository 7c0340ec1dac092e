"""Numbered cross-references: labels (`{#tbl-…}`, `{#sec-…}`, `{#eq-…}`, `{#box-…}`, a
photo's `fig-<id>`) and links to them (`[](#tbl-losses)`). Parse finds both with their lines;
assemble numbers every label per book or per chapter, points each reference at its label
and marks an empty link with what it names (kind and number: REF_KIND, REF_NUMBER), which
render words in the book's language ("table 2", "tableau 2"). Print adds the page. An
empty link to a chapter (`[](03-tensions.md)`) is marked the same way with the chapter's
number, or given its title when chapters are not numbered.

Syntax follows pandoc and Quarto: a table takes its caption and label from the line right
after it (`: Losses by side {#tbl-losses}`, with or without a blank line between), a
heading takes `{#sec-…}` at its end, display math `{#eq-…}` after its closing `$$`, and a
key-figures box `{#box-…}` at the end of its info string (as Quarto labels code listings)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from markdown_it.token import Token

from .. import fragments
from ..errors import Collector, did_you_mean
from ..model import REF_CAPITAL, REF_KIND, REF_NUMBER, XREF_CLASS, Chapter, CrossRef, Figure, Label

# Label prefix → what the reference calls its target.
KINDS = {"fig": "figure", "tbl": "table", "sec": "section", "eq": "equation", "box": "box"}
LABEL = re.compile(r"(fig|tbl|sec|eq|box)-[\w.:-]+")
XREF_SLOT = "_xref-"  # href `#_xref-N`: the chapter's Nth cross-reference
TABLE_LABEL_CLASS = "table-label"  # the span in a table caption assemble fills ("Table 2.")
SECTION_NUMBER_CLASS = "section-number"  # the span before a labelled heading's text
_CAPTION = re.compile(r"^:\s+(?P<text>.*?)\s*(?:\{#(?P<label>tbl-[\w.:-]+)\})?\s*$", re.S)
NUMBERING = ("book", "chapter")


def is_reference(href: str) -> bool:
    """Whether a link's href names a label (`#tbl-losses`), not a heading or a chapter."""
    return href.startswith("#") and bool(LABEL.fullmatch(href[1:]))


def _caption_match(inline: Token) -> re.Match | None:
    return _CAPTION.match(inline.content) if inline.type == "inline" else None


def _caption_row(tokens: list[Token], close: int) -> int | None:
    """The start of the table's last row when it is a caption line markdown-it took for a
    row (no blank line between table and caption): its first cell reads `: …`, the rest
    are empty."""
    start = max(i for i in range(close) if tokens[i].type == "tr_open")
    if tokens[start - 1].type == "thead_open":  # a header row is never a caption
        return None
    cells = [t for t in tokens[start:close] if t.type == "inline"]
    if cells and _caption_match(cells[0]) and not any(c.content.strip() for c in cells[1:]):
        return start
    return None


def _caption_tokens(inline: Token, found: re.Match) -> list[Token]:
    """`<caption><span class=table-label></span>text</caption>`: the inline token keeps
    its children (links in a caption are walked as the body's), without `: ` and the
    label."""
    children = list(inline.children or [])
    if children and children[0].type == "text":
        children[0].content = re.sub(r"^:\s+", "", children[0].content)
    if found.group("label") and children and children[-1].type == "text":
        children[-1].content = re.sub(r"\s*\{#[^{}]*\}\s*$", "", children[-1].content)
    inline.children, inline.content = children, found.group("text")
    opening, closing = Token("caption_open", "caption", 1), Token("caption_close", "caption", -1)
    marker = Token("html_inline", "", 0)
    marker.content = f'<span class="{TABLE_LABEL_CLASS}"></span>' if found.group("label") else ""
    inline.children.insert(0, marker)
    return [opening, inline, closing]


def table_captions(tokens: list[Token], unique_id: Callable[[str], str]) -> list[Token]:
    """Move each table's caption line into the table as its <caption>, and give a labelled
    table the id `<chapter>--<label>`."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        out.append(tok)
        i += 1
        if tok.type != "table_close":
            continue
        opening = max(j for j, t in enumerate(out) if t.type == "table_open")
        close_at = len(out) - 1
        row = _caption_row(out, close_at)
        caption: list[Token] = []
        found, written = None, out[opening]  # written: the caption line's token
        if row is not None:
            written = out[row]
            inline = next(t for t in out[row:close_at] if t.type == "inline")
            found = _caption_match(inline)
            caption = _caption_tokens(inline, found) if found else []
            del out[row:close_at - 1]  # the row; tbody_close and table_close stay
            if out[-3].type == "tbody_open":  # the caption was the only body row
                del out[-3:-1]
        elif (i + 2 < len(tokens) and tokens[i].type == "paragraph_open"
              and tokens[i + 2].type == "paragraph_close"):
            found = _caption_match(tokens[i + 1])
            written = tokens[i]
            if found:
                caption = _caption_tokens(tokens[i + 1], found)
                i += 3
        if found and found.group("label"):
            out[opening].attrSet("id", unique_id(found.group("label")))
            out[opening].meta["label"] = (found.group("label"), written)
        out[opening + 1:opening + 1] = caption
    return out


def collect_labels(tokens: list[Token], line_of: Callable[[Token], int]) -> list[Label]:
    """The chapter's labelled headings and tables in reading order, after parse gave them
    their ids; a section's position counts every heading of the chapter."""
    labels: list[Label] = []
    counters: list[int] = []
    for tok in tokens:
        if tok.type == "heading_open":
            depth = max(int(tok.tag[1]) - 2, 0)
            counters = counters[:depth + 1] + [0] * (depth + 1 - len(counters))
            counters[depth] += 1
            name = str(tok.meta.get("id") or "")
            if name.startswith("sec-"):
                labels.append(Label(name, "section", str(tok.attrGet("id")), line_of(tok),
                                    tuple(counters)))
        elif tok.type == "table_open" and tok.meta.get("label"):
            name, written = tok.meta["label"]
            labels.append(Label(name, "table", str(tok.attrGet("id")), line_of(written)))
        elif tok.type == "math_block" and tok.meta.get("label"):
            name, written = tok.meta["label"]
            labels.append(Label(name, "equation", str(tok.attrGet("id")), line_of(written)))
    return labels


def label_equations(tokens: list[Token], unique_id: Callable[[str], str]) -> None:
    """Give each labelled display formula (`$$…$$ {#eq-energy}`) the id
    `<chapter>--<label>`, as a labelled table has."""
    for tok in tokens:
        if tok.type == "math_block" and tok.meta.get("label"):
            tok.attrSet("id", unique_id(tok.meta["label"][0]))


def chapter_numbers(chapters: tuple[Chapter, ...]) -> dict[str, int]:
    """The number of each written chapter (1, 2, 3…): data pages (timeline, glossary) and
    the back matter are not counted, so the sixth file after a timeline is chapter 6 if it
    is the sixth chapter."""
    written = (c for c in chapters if c.kind == "chapter")
    return {c.id: n for n, c in enumerate(written, start=1)}


@dataclass(frozen=True)
class Target:
    """A numbered label as the book shows it."""

    label: Label
    number: str
    path: str  # the chapter that defines it

    @property
    def kind(self) -> str:
        return KINDS[self.label.name.split("-", 1)[0]]


def number_labels(chapters: tuple[Chapter, ...], figures: tuple[Figure, ...], numbering: str,
                  problems: Collector) -> dict[str, Target]:
    """Every label of the book with its number; a label defined twice is an error at its
    second place. Figures keep the numbers assemble gave them."""
    targets: dict[str, Target] = {}
    by_chapter = {c.id: c for c in chapters}
    for figure in figures:
        label = Label(figure.id, "figure", figure.id, 0)
        targets[figure.id] = Target(label, figure.label, by_chapter[figure.chapter_id].path)
    counts: dict[str, int] = {}
    numbers = chapter_numbers(chapters)
    for chapter in chapters:
        index = numbers.get(chapter.id, 0)
        if numbering == "chapter":
            counts = {}
        for label in chapter.labels:
            first = targets.get(label.name)
            if first is not None:
                where = f"{first.path}:{first.label.line}" if first.label.line else first.path
                problems.add(chapter.path, label.line,
                             f"label '{label.name}' is already defined at {where}",
                             "a label names one figure, table, section or equation in the "
                             "whole book; rename one of them", rule="label-duplicate")
                continue
            if label.kind == "section":
                number = ".".join(map(str, (index, *label.position)))
            else:
                counts[label.kind] = counts.get(label.kind, 0) + 1
                count = counts[label.kind]
                number = f"{index}.{count}" if numbering == "chapter" else str(count)
            targets[label.name] = Target(label, number, chapter.path)
    return targets


def figure_numbers(figures: list[Figure], chapters: tuple[Chapter, ...],
                   numbering: str) -> list[Figure]:
    """Figures numbered per chapter (`3.2`) when the book says so; per book they keep the
    running number assemble gave them."""
    if numbering != "chapter":
        return figures
    index = chapter_numbers(chapters)
    counts: dict[str, int] = {}
    out = []
    for figure in figures:
        counts[figure.chapter_id] = counts.get(figure.chapter_id, 0) + 1
        number = f"{index[figure.chapter_id]}.{counts[figure.chapter_id]}"
        out.append(replace(figure, numbered=number))
    return out


def _sentence_start(anchor) -> bool:
    """Whether a link opens its paragraph or a sentence: its filled text is capitalized."""
    previous = anchor.getprevious()
    before = (previous.tail if previous is not None else anchor.getparent().text) or ""
    if previous is not None and not before.strip():
        return False
    return not before.strip() or before.rstrip().endswith((".", "!", "?"))


def mark(anchor, kind: str, number: str) -> None:
    """Mark a link whose text is empty as a reference to a `kind` numbered `number`, for
    render to word; a link with text of its own keeps it."""
    anchor.set("class", XREF_CLASS)
    if anchor.text_content().strip() or len(anchor):
        return
    anchor.set(REF_KIND, kind)
    anchor.set(REF_NUMBER, number)
    if _sentence_start(anchor):
        anchor.set(REF_CAPITAL, "")


def _fill(markup: str, chapter: Chapter, slots: dict[str, Target | None],
          targets: dict[str, Target]) -> str:
    """Point each cross-reference at its label and mark it for its words; number the
    chapter's labelled tables, headings and equations."""
    if XREF_SLOT not in markup and not chapter.labels:
        return markup
    root = fragments.parse(markup)
    for anchor in list(root.iter("a")):
        href = anchor.get("href") or ""
        if not href.startswith(f"#{XREF_SLOT}") or href[1:] not in slots:
            continue
        target = slots[href[1:]]
        if target is None:
            anchor.drop_tag()
            continue
        anchor.set("href", f"#{target.label.anchor}")
        mark(anchor, target.kind, target.number)
    mine = {t.label.anchor: t for t in targets.values() if t.path == chapter.path}
    for element in root.iter("table", "div", "h2", "h3", "h4", "h5", "h6"):
        target = mine.get(element.get("id") or "")
        if target is None:
            continue
        if element.tag == "div":  # a formula, or a key-figures box's slot: render numbers
            element.set(REF_NUMBER, target.number)
        elif element.tag == "table":
            for span in element.iter("span"):
                if span.get("class") == TABLE_LABEL_CLASS:
                    span.set(REF_NUMBER, target.number)
                    span.tail = " " + (span.tail or "")
                    break
        else:
            span = element.makeelement("span", {"class": SECTION_NUMBER_CLASS})
            span.text, span.tail = target.number, " " + (element.text or "")
            element.text = None
            element.insert(0, span)
    return fragments.inner(root)


def resolve(chapters: tuple[Chapter, ...], figures: tuple[Figure, ...], numbering: str,
            problems: Collector, complete: bool = True) -> tuple[Chapter, ...]:
    """Every chapter with its cross-references pointing at their labels and its labels
    numbered; a reference to a label that does not exist is an error at its line, unless
    a chapter could not be parsed (`complete` False): the label may be in it."""
    targets = number_labels(chapters, figures, numbering, problems)
    out = []
    for chapter in chapters:
        slots: dict[str, Target | None] = {}
        for ref in chapter.xrefs:
            slots[ref.slot] = targets.get(ref.label)
            if ref.label not in targets and complete:
                problems.add(chapter.path, ref.line,
                             f"cross-reference '#{ref.label}' names no label in the book",
                             did_you_mean(ref.label, targets) or
                             "label a table with ': Caption {#tbl-…}', a heading with "
                             "'{#sec-…}', an equation with '{#eq-…}', a key-figures box "
                             "with '{#box-…}'", rule="xref-unknown")
        if not slots and not chapter.labels:
            out.append(chapter)
            continue
        out.append(replace(
            chapter, body=_fill(chapter.body, chapter, slots, targets),
            footnotes=tuple(replace(n, html=_fill(n.html, replace(chapter, labels=()), slots,
                                                  targets)) for n in chapter.footnotes)))
    return tuple(out)


def reference(line: int, href: str, index: int) -> CrossRef:
    """The record of one cross-reference, the `index`th of its chapter."""
    return CrossRef(line, href[1:], f"{XREF_SLOT}{index}")
