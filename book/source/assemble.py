"""assemble: parsed chapters + photo manifest + assets → one frozen Book. Resolves photo
ids, numbers figures and checks every internal link against the anchors that exist."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import Collector, did_you_mean
from ..model import Asset, Book, Chapter, Edition, Figure, Metadata, Photo, Revision, figure_id

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

    by_path = {c.path: c for c in chapters}
    figure_ids = {figure_id(p) for p in placed}
    for chapter in chapters:
        for link in chapter.links:
            if not link.target_path:
                if link.anchor not in figure_ids:
                    problems.add(chapter.path, link.line,
                                 f"link '{link.raw}' names a photo that is not placed in the book",
                                 did_you_mean(link.anchor[4:], [i[4:] for i in figure_ids]),
                                 rule="link-photo-unplaced")
                continue
            target = by_path.get(link.target_path)
            if target is None:
                problems.add(chapter.path, link.line,
                             f"link '{link.raw}' points at '{link.target_path}', "
                             "which is not a chapter of the book",
                             did_you_mean(link.target_path, by_path), rule="link-chapter-missing")
            elif link.anchor not in target.anchor_ids:
                known = [h.id.split("--", 1)[1] for h in target.headings]
                wanted = link.anchor.split("--", 1)[-1]
                problems.add(chapter.path, link.line,
                             f"link '{link.raw}': no heading '#{wanted}' in {target.path}",
                             did_you_mean(wanted, known), rule="link-fragment-missing")
    problems.raise_if_any()
    numbered = tuple(replace(c, number=i) for i, c in enumerate(chapters, start=1))
    return Book(root=root, meta=meta, chapters=numbered, figures=tuple(figures),
                assets=assets, edition=edition, extra_css=styles, revisions=revisions)
