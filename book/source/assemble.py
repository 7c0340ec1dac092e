"""assemble: parsed chapters + photo manifest + assets → one frozen Book. Resolves photo
ids, numbers figures and checks every internal link against the anchors that exist."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from pathlib import Path
from typing import cast
from urllib.parse import urljoin, urlsplit

from .. import fragments
from ..errors import Collector, Problem, did_you_mean
from ..model import (
    XREF_CLASS,
    Asset,
    Book,
    Chapter,
    Edition,
    Figure,
    Link,
    Metadata,
    Photo,
    Revision,
    chapter_id,
    figure_id,
)
from . import citations, references
from .index import resolve as resolve_index
from .parse import LINK_SLOT
from .paths import OutsideProject, resolve_inside

PHOTO_MANIFEST = "assets/photos.toml"


def wanted_assets(meta: Metadata, chapters: tuple[Chapter, ...],
                  photos: dict[str, Photo]) -> dict[str, tuple[str, int | None]]:
    """Every image the book embeds (project-relative path → first place that names it)."""
    wanted: dict[str, tuple[str, int | None]] = {}
    for chapter in chapters:
        for photo_id, _line in chapter.photo_ids:
            if photo_id in photos:
                wanted.setdefault(photos[photo_id].file, (PHOTO_MANIFEST, photos[photo_id].line))
        for path, line in chapter.image_paths:
            wanted.setdefault(path, (chapter.path, line))
    if meta.cover:
        wanted.setdefault(meta.cover, ("book.toml", None))
    return wanted


def assemble(root: Path, meta: Metadata, chapters: tuple[Chapter, ...], photos: dict[str, Photo],
             assets: tuple[Asset, ...], styles: tuple[Asset, ...], edition: Edition,
             revisions: tuple[Revision, ...] = ()) -> Book:
    """The one Book every renderer reads; raises every dangling photo or link together."""
    problems = Collector()
    figures: list[Figure] = []
    placed: dict[str, str] = {}
    for chapter in chapters:
        for photo_id, line in chapter.photo_ids:
            if photo_id not in photos:
                problems.add(chapter.path, line,
                             f"photo '{photo_id}' is not in {PHOTO_MANIFEST}",
                             did_you_mean(photo_id, photos), rule="photo-unknown")
            elif photo_id in placed:
                problems.add(chapter.path, line,
                             f"photo '{photo_id}' is already placed in {placed[photo_id]}",
                             "a photo can appear once; link to it with [text](photo:id)",
                             rule="photo-placed-twice")
            else:
                placed[photo_id] = chapter.path
                figures.append(Figure(len(figures) + 1, photos[photo_id], chapter.id))

    figure_ids = {figure_id(p) for p in placed}
    links = _Links(root, meta, chapters, figure_ids, problems)
    chapters = tuple(links.resolve(chapter) for chapter in chapters)
    figures = references.figure_numbers(figures, chapters, meta.numbering)
    chapters = references.resolve(chapters, tuple(figures), meta.numbering, problems,
                                  complete=len(chapters) == len(meta.chapter_paths))
    chapters, works = citations.resolve(root, chapters, meta.bibliography, meta.csl, problems)
    chapters, unlisted = resolve_index(chapters, problems)
    problems.raise_if_any()
    numbers = references.chapter_numbers(chapters)
    numbered = tuple(replace(c, number=numbers.get(c.id, 0)) for c in chapters)
    return Book(root=root, meta=meta, chapters=numbered, figures=tuple(figures),
                assets=assets, edition=edition, extra_css=styles, revisions=revisions,
                references=works,
                warnings=tuple(w for c in chapters for w in c.warnings) + tuple(links.warnings)
                + tuple(unlisted))


class _Links:
    """Resolves every internal link of the book. A link to a chapter or one of its anchors
    keeps it; a fragment naming the chapter's title heading goes to the chapter's start; a
    fragment that no longer exists (a renamed heading) is a warning and falls back to its
    chapter; a link that leaves the book (`../std/index.html`, `/about/`, a file that is not
    a chapter) becomes an absolute link under `[links] base`, or else a warning and plain
    text. Photo links and data pages' links to chapters that do not exist are errors."""

    def __init__(self, root: Path, meta: Metadata, chapters: tuple[Chapter, ...],
                 figure_ids: set[str], problems: Collector):
        self.root, self.meta, self.figure_ids, self.problems = root, meta, figure_ids, problems
        self.by_path = {c.path: c for c in chapters}
        self.numbers = references.chapter_numbers(chapters) if meta.number_chapters else {}
        self.listed = set(meta.chapter_paths)  # a listed chapter that failed to parse is
        self.warnings: list[Problem] = []  # reported apart: its links are not checked
        folders = [posixpath.dirname(c) for c in meta.chapter_paths] or [""]
        self.web_root = posixpath.commonpath(folders) if all(folders) else ""

    def warn(self, chapter: Chapter, link: Link, message: str, hint: str, rule: str) -> None:
        self.warnings.append(Problem(chapter.path, link.line, message, hint, rule))

    def target(self, chapter: Chapter, link: Link) -> str | None:
        """Where the link goes: `#anchor`, an absolute URL, or None (plain text)."""
        target = self.by_path.get(link.target_path)
        if target is None and link.target_path in self.listed:
            return f"#{chapter_id(link.target_path)}"
        if target is None and self.misspelt(link):
            self.problems.add(chapter.path, link.line,
                              f"link '{link.raw}' points at '{link.target_path}', "
                              "which is not a chapter of the book",
                              did_you_mean(link.target_path, self.by_path),
                              rule="link-chapter-missing")
            return None
        if target is None:
            return self.outside(chapter, link)
        if link.anchor in target.anchor_ids:
            return f"#{link.anchor}"
        if link.anchor == target.title_id:
            return f"#{target.id}"
        known = [h.id.split("--", 1)[1] for h in target.headings]
        wanted = link.anchor.split("--", 1)[-1]
        hint = did_you_mean(wanted, known) or "the link goes to the chapter's start"
        self.warn(chapter, link, f"link '{link.raw}': no heading '#{wanted}' in {target.path}",
                  hint, "link-fragment-missing")
        return f"#{target.id}"

    def misspelt(self, link: Link) -> bool:
        """A link written to a .md file that is nowhere in the project: a typo, not a
        page elsewhere (mdBook's `x.html` may be one, and so leaves the book)."""
        if not urlsplit(link.raw).path.endswith(".md"):
            return False
        try:
            return not resolve_inside(self.root, link.target_path).is_file()
        except OutsideProject:
            return False

    def outside(self, chapter: Chapter, link: Link) -> str | None:
        """A link that leaves the book: absolute under [links] base, else plain text."""
        if self.meta.link_base:
            page = posixpath.relpath(chapter.path, self.web_root or ".")
            return urljoin(urljoin(self.meta.link_base, page), link.raw)
        written = urlsplit(link.raw).path
        listed = written.endswith(".md") and not link.target_path.startswith(("/", "../"))
        where = (f"points at '{link.target_path}', which is not in 'chapters'" if listed
                 else "leaves the book")
        self.warn(chapter, link, f"link '{link.raw}' {where}",
                  "set [links] base in book.toml to make it an absolute link; "
                  "until then it is plain text", "link-outside-book")
        return None

    def resolve(self, chapter: Chapter) -> Chapter:
        """The chapter with every link slot in its body and notes pointing where it goes."""
        slots: dict[str, str | None] = {}
        named: dict[str, Chapter] = {}  # slot → the chapter of the book it goes to
        fallbacks: dict[str, str] = {}
        for link in chapter.links:
            if link.slot:
                slots[link.slot] = self.target(chapter, link)
                if slots[link.slot] is not None and link.target_path in self.by_path:
                    named[link.slot] = self.by_path[link.target_path]
            elif not link.target_path:
                if link.anchor not in self.figure_ids:
                    self.problems.add(chapter.path, link.line,
                                      f"link '{link.raw}' names a photo that is not placed "
                                      "in the book",
                                      did_you_mean(link.anchor[4:],
                                                   [i[4:] for i in self.figure_ids]),
                                      rule="link-photo-unplaced")
            elif link.target_path not in self.by_path:
                self.problems.add(chapter.path, link.line,
                                  f"link '{link.raw}' points at '{link.target_path}', "
                                  "which is not a chapter of the book",
                                  did_you_mean(link.target_path, self.by_path),
                                  rule="link-chapter-missing")
            else:  # a data page's link: its entries carry the anchor itself
                # (its target chapter is in the book, so target() gives "#anchor", not None)
                fallbacks[link.anchor] = cast(str, self.target(chapter, link))[1:]
        if not slots and not fallbacks:
            return chapter
        return replace(
            chapter, body=self.fill_slots(chapter.body, slots, named),
            footnotes=tuple(replace(n, html=self.fill_slots(n.html, slots, named))
                            for n in chapter.footnotes),
            events=tuple(replace(e, anchor=fallbacks.get(e.anchor, e.anchor))
                         for e in chapter.events))

    def fill_slots(self, markup: str, slots: dict[str, str | None],
                   named: dict[str, Chapter]) -> str:
        """Point each link slot (`href="#_link-N"`) where it resolved (None leaves its
        text); a link to a chapter whose text is empty (`[](03-x.md)`) names the chapter:
        its number when chapters are numbered, else its title."""
        if LINK_SLOT not in markup:
            return markup
        root = fragments.parse(markup)
        for anchor in list(root.iter("a")):
            slot = (anchor.get("href") or "")[1:]
            if slot not in slots:
                continue
            if slots[slot] is None:
                anchor.drop_tag()
                continue
            anchor.set("href", slots[slot])
            target = named.get(slot)
            if target is None or anchor.text_content().strip() or len(anchor):
                continue
            if target.id in self.numbers:
                references.mark(anchor, "chapter", str(self.numbers[target.id]))
            else:
                anchor.text = target.title
                anchor.set("class", XREF_CLASS)
        return fragments.inner(root)
