"""The explainer's print edition, built once per session from the repository root."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import (
    EDITION,
    PdfView,
    epoch_datetime,
    normalize,
    note_call_pattern,
    note_text_pattern,
    squash,
)


def top_level(pdf):
    return [(title, page) for depth, title, page in pdf.outline() if depth == 0]


def opener_pages(pdf, src) -> dict[str, int]:
    """Title → 0-based page for every chapter and back-matter opener: the one page whose
    text starts with that title."""
    openers = {}
    for title in src.titles + src.backmatter_titles:
        pages = pdf.pages_starting_with(title)
        assert len(pages) == 1, f"{title!r} opens pages {[p + 1 for p in pages]}, expected one"
        openers[title] = pages[0]
    return openers


def test_opens_with_pikepdf_and_pypdf(explainer_pdf):
    assert len(explainer_pdf.pike.pages) == len(explainer_pdf.reader.pages) > 0
    assert not explainer_pdf.reader.is_encrypted


def test_outline_lists_contents_chapters_and_back_matter(explainer_pdf, explainer_src):
    expected = ["Contents"] + explainer_src.titles + explainer_src.backmatter_titles
    assert [title for title, _ in top_level(explainer_pdf)] == expected


def test_outline_entries_land_on_their_pages(explainer_pdf, explainer_src):
    openers = opener_pages(explainer_pdf, explainer_src)
    for title, page in top_level(explainer_pdf):
        if title == "Contents":
            assert explainer_pdf.page_lines(page)[0] == "Contents"
        else:
            assert page == openers[title], (
                f"bookmark {title!r} points at page {page + 1}, the title opens page "
                f"{openers[title] + 1}")
    # Section bookmarks land on a page that shows that heading as a line of its own.
    for depth, title, page in explainer_pdf.outline():
        if depth > 0:
            assert squash(title) in explainer_pdf.page_lines(page), (
                f"bookmark {title!r} points at page {page + 1}, which does not show it")


def test_section_bookmarks_are_the_chapter_headings(explainer_pdf, explainer_src):
    outline = explainer_pdf.outline()
    for chapter in explainer_src.chapters:
        start = next(i for i, (d, t, _) in enumerate(outline) if d == 0 and t == chapter.title)
        children = []
        for depth, title, _ in outline[start + 1:]:
            if depth == 0:
                break
            if depth == 1:
                children.append(title)
        assert children == [text for level, text in chapter.headings if level == 2]


def _unnumbered(title: str) -> str:
    """A contents entry's title without its chapter number ([print] number-chapters)."""
    return re.sub(r"^\d+ ", "", title)


def contents_entries(pdf) -> list[tuple[str, int]]:
    """(title, printed page number) from the contents page: 'Title . . . . 12' or 'Title', '12'."""
    page = next(p for t, p in top_level(pdf) if t == "Contents")
    entries, pending = [], ""
    for line in pdf.page_lines(page)[1:]:
        match = re.match(r"^(?P<title>.*?)\s*(?:\.\s*){2,}(?P<page>\d+)$", line)
        if match:
            entries.append((_unnumbered(squash(pending + " " + match["title"])),
                            int(match["page"])))
            pending = ""
        elif line.isdigit() and pending:  # a leader drawn, not typed: the number alone
            entries.append((_unnumbered(pending), int(line)))
            pending = ""
        elif line and not line.isdigit():
            pending = squash(pending + " " + line)
    return entries


def test_contents_page_numbers_are_the_real_pages(explainer_pdf, explainer_src):
    entries = contents_entries(explainer_pdf)
    assert [t for t, _ in entries] == explainer_src.titles + explainer_src.backmatter_titles
    openers = opener_pages(explainer_pdf, explainer_src)
    for title, printed in entries:
        assert printed == openers[title] + 1, (
            f"contents says {title!r} is on page {printed}, it opens page {openers[title] + 1}")


def test_folios_match_physical_pages(explainer_pdf):
    """Every text page after the front matter, except the openers of chapters and back
    matter, prints its 1-based position as its folio (so the contents can be trusted);
    openers and blank pages print none."""
    openers = {page for depth, _, page in explainer_pdf.outline() if depth == 0}
    first_chapter = min(p for p in openers if p > 0)
    checked = 0
    for index in range(first_chapter, len(explainer_pdf.texts)):
        lines = explainer_pdf.page_lines(index)
        if index in openers or not lines:
            assert not (lines and lines[-1] == str(index + 1)), f"page {index + 1} prints a folio"
            continue
        assert lines[-1] == str(index + 1), f"page {index + 1} ends with {lines[-1]!r}"
        checked += 1
    assert checked >= 10


def test_text_has_every_photo_caption_and_credit(explainer_pdf, explainer_src):
    assert explainer_src.placed_photos
    text = explainer_pdf.full_text
    for photo_id in explainer_src.placed_photos:
        photo = explainer_src.photos[photo_id]
        assert normalize(photo["caption"]) in text, f"caption of {photo_id} missing"
        assert normalize(photo["credit"]) in text, f"credit of {photo_id} missing"


def font_dicts(resources, seen=None):
    """Every font dictionary reachable from a resources dictionary (fonts of form XObjects,
    patterns and Type3 glyph procedures included)."""
    import pikepdf

    seen = set() if seen is None else seen
    if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
        return
    seen.add(resources.objgen)
    for font in (resources.get("/Font") or {}).values():
        yield font
        if "/Resources" in font:
            yield from font_dicts(font.Resources, seen)
    for group in ("/XObject", "/Pattern"):
        for obj in (resources.get(group) or {}).values():
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) and "/Resources" in obj:
                yield from font_dicts(obj.Resources, seen)


def all_fonts(pdf):
    fonts = {}
    for page in pdf.pike.pages:
        for font in font_dicts(page.Resources):
            fonts[font.objgen] = font
    return list(fonts.values())


def test_all_fonts_are_embedded(explainer_pdf):
    fonts = all_fonts(explainer_pdf)
    assert fonts
    for font in fonts:
        targets = list(font.DescendantFonts) if font.Subtype == "/Type0" else [font]
        for target in targets:
            if target.get("/Subtype") == "/Type3":
                continue  # glyphs are drawn by content streams, nothing to embed
            descriptor = target.get("/FontDescriptor")
            assert descriptor is not None, f"{target.get('/BaseFont')} has no descriptor"
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                f"{target.get('/BaseFont')} is not embedded")


def mapped_text(font) -> str:
    """The characters a font's ToUnicode map covers (for diagnostics)."""
    if "/ToUnicode" not in font:
        return ""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    chars = []
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for target in re.findall(r"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", block):
            chars.append(bytes.fromhex(target).decode("utf-16-be", "replace"))
    return "".join(chars)


def test_fonts_are_the_theme_fonts(explainer_pdf):
    """Text is set in the theme's Source Serif Pro and Source Sans Pro; no fallback font
    (a system font picked up for a glyph the theme lacks) may appear."""
    families: dict[str, str] = {}
    for font in all_fonts(explainer_pdf):
        name = str(font.BaseFont).lstrip("/")
        name = name.split("+", 1)[1] if re.match(r"^[A-Z]{6}\+", name) else name
        family = re.sub(r"[^A-Za-z]", "", name)
        families[family] = families.get(family, "") + mapped_text(font)
    assert any(f.startswith("SourceSerifPro") for f in families), families
    others = {f: "".join(sorted(set(chars))) for f, chars in families.items()
              if not f.startswith(("SourceSerifPro", "SourceSansPro"))}
    assert not others, "fonts outside the theme, with the characters set in them: " + ", ".join(
        f"{f}: {' '.join(f'U+{ord(c):04X}' for c in chars)}" for f, chars in others.items())


def test_metadata_title_and_language(explainer_pdf, explainer_src):
    meta = explainer_src.meta
    assert explainer_pdf.reader.metadata.title == meta["title"]
    with explainer_pdf.pike.open_metadata() as xmp:
        assert xmp.get("dc:title") == meta["title"]
    assert str(explainer_pdf.pike.Root.Lang) == meta["language"]
    authors = [c["name"] for c in meta["contributors"] if c["role"] == "author"]
    for name in authors:
        assert name in explainer_pdf.reader.metadata.author


def test_dates_come_from_source_date_epoch(explainer_pdf):
    stamp = epoch_datetime().strftime("D:%Y%m%d%H%M%S")
    info = explainer_pdf.pike.docinfo
    assert str(info["/CreationDate"]).startswith(stamp)
    assert str(info["/ModDate"]).startswith(stamp)
    with explainer_pdf.pike.open_metadata() as xmp:
        stamp = epoch_datetime().strftime("%Y-%m-%dT%H:%M:%S")
        assert xmp.get("xmp:ModifyDate", "").startswith(stamp)


def structure_elements(node):
    """(type, element) for every structure element under `node`, in document order."""
    import pikepdf

    if isinstance(node, pikepdf.Array):
        for child in node:
            yield from structure_elements(child)
    elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
        yield str(node.S).lstrip("/"), node
        if "/K" in node:
            yield from structure_elements(node.K)


def test_tagged_structure_tree(explainer_pdf, explainer_src):
    root = explainer_pdf.pike.Root
    assert "/StructTreeRoot" in root
    assert bool(root.MarkInfo.Marked)
    elements = list(structure_elements(root.StructTreeRoot.K))
    kinds = [kind for kind, _ in elements]
    assert kinds[0] == "Document"
    opened = len(explainer_src.titles) + len(explainer_src.backmatter_titles)
    assert kinds.count("H1") >= opened
    assert kinds.count("H2") >= sum(1 for c in explainer_src.chapters
                                    for level, _ in c.headings if level == 2)
    figures = [str(element.get("/Alt", "")) for kind, element in elements if kind == "Figure"]
    assert figures == [explainer_src.photos[p]["alt"] for p in explainer_src.placed_photos]


def test_footnotes_sit_on_the_page_of_their_call(explainer_pdf, explainer_src):
    """Each note's text is printed with its number on the page that carries its call
    (the words just before the call, followed by the call number), inside its chapter."""
    openers = opener_pages(explainer_pdf, explainer_src)
    order = sorted(openers.values())
    notes_checked = 0
    for chapter in explainer_src.chapters:
        first = openers[chapter.title]
        last = next((p for p in order if p > first), len(explainer_pdf.texts)) - 1
        for note in chapter.notes:
            pages = [i for i, t in enumerate(explainer_pdf.norm)
                     if note_text_pattern(note).search(t)]
            assert len(pages) == 1, (
                f"{chapter.path} note [^{note.label}] ({note.number}) found on pages "
                f"{[p + 1 for p in pages]}")
            page = pages[0]
            assert first <= page <= last, (
                f"{chapter.path} note {note.number} on page {page + 1}, outside the chapter "
                f"(pages {first + 1}-{last + 1})")
            assert note_call_pattern(note).search(explainer_pdf.norm[page]), (
                f"{chapter.path} note {note.number} is on page {page + 1}, its call "
                f"('…{' '.join(note.before_call.split()[-3:])}' + {note.number}) is not")
            notes_checked += 1
    assert notes_checked == sum(len(c.notes) for c in explainer_src.chapters) > 0


def test_qpdf_check_passes(explainer_pdf):
    result = subprocess.run(["qpdf", "--check", str(explainer_pdf.path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_blank_pages_only_before_rectos_that_open_parts(explainer_pdf, explainer_src):
    openers = opener_pages(explainer_pdf, explainer_src)
    # [print] recto = "chapters": the entries of `chapters` open on rectos, the back matter
    # on the next page
    runs_on = explainer_src.meta.get("print", {}).get("recto") == "chapters"
    for title, page in openers.items():
        if runs_on and title in explainer_src.backmatter_titles:
            assert explainer_pdf.texts[page - 1].strip(), f"a blank page before {title!r}"
            continue
        assert (page + 1) % 2 == 1, f"{title!r} opens page {page + 1}, a verso"
    opener_set = set(openers.values())
    blanks = [i for i, text in enumerate(explainer_pdf.texts) if not text.strip()]
    for page in blanks:
        assert page + 1 in opener_set, (
            f"page {page + 1} has no text and does not precede a chapter or back-matter opener")
        gray = explainer_pdf.pdfium[page].render(scale=1).to_pil().convert("L")
        assert sum(gray.histogram()[:200]) == 0, f"blank page {page + 1} is not blank"


def test_colophon_names_stand_in_credits_date_and_edition(explainer_pdf, explainer_src):
    rights = normalize(explainer_src.meta["rights"])
    pages = [i for i, t in enumerate(explainer_pdf.norm) if rights in t]
    assert len(pages) == 1, f"rights statement on pages {[p + 1 for p in pages]}"
    colophon = explainer_pdf.norm[pages[0]]
    stand_ins = [p for p in explainer_src.placed_photos
                 if explainer_src.photos[p]["licence"] == "stand-in"]
    assert stand_ins
    for photo_id in stand_ins:
        assert normalize(explainer_src.photos[photo_id]["credit"]) in colophon, photo_id
    when = epoch_datetime()
    renderings = [f"{when.day} {when:%B %Y}", f"{when:%B} {when.day}, {when.year}",
                  when.strftime("%Y-%m-%d")]
    assert any(normalize(r) in colophon for r in renderings), explainer_pdf.texts[pages[0]]
    assert normalize(EDITION) in colophon
    assert normalize(explainer_src.meta["identifier"]) in colophon


@pytest.fixture(scope="module")
def render_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("renders")


def test_title_page_and_chapter_opener_render(explainer_pdf, explainer_src, render_dir):
    first_chapter = opener_pages(explainer_pdf, explainer_src)[explainer_src.titles[0]]
    for page in (0, first_chapter):
        image = explainer_pdf.pdfium[page].render(scale=2).to_pil()
        target = render_dir / f"page-{page + 1}.png"
        image.save(target)
        assert target.stat().st_size > 0
        gray = image.convert("L")
        dark = sum(gray.histogram()[:128])
        total = gray.width * gray.height
        assert dark > 0.002 * total, f"page {page + 1} renders (almost) blank: {dark} dark px"
        assert dark < 0.5 * total, f"page {page + 1} renders mostly dark"


def test_both_layouts_give_the_same_pages(session_builds):
    """The chunked layout (parallel, stitched) and the single document give the same page
    count, the same text on every page (spaces included) and the same outline."""
    chunked = PdfView(session_builds.explainer.pdf)
    single = PdfView(session_builds.explainer_single.pdf)
    assert len(chunked.texts) == len(single.texts)
    for number, (a, b) in enumerate(zip(chunked.texts, single.texts, strict=True), start=1):
        assert a == b, f"page {number} differs"
    assert chunked.outline() == single.outline()
