"""The builder on a project other than the explainer: tests/projects/mini."""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit

import pikepdf
import pytest
from lxml import etree

from conftest import (
    HOSTILE,
    NS,
    EpubView,
    epubcheck_summary,
    normalize,
    note_call_pattern,
    note_text_pattern,
    slug,
    squash,
)

REQUIRED_LINKS = {("chapters/one.md", "two.md", "shore-crabs"),
                  ("chapters/two.md", "one.md", "anemones")}


def cross_links(src):
    """(chapter, link, target chapter, heading text) for each link to a chapter heading."""
    found = []
    for chapter in src.chapters:
        for link in chapter.links:
            target_path = posixpath.normpath(
                posixpath.join(posixpath.dirname(chapter.path), link.target))
            target = src.chapter(target_path)
            headings = [text for _, text in target.headings if slug(text) == link.fragment]
            assert len(headings) == 1, f"{chapter.path}:{link.line}: no heading #{link.fragment}"
            found.append((chapter, link, target, headings[0]))
    assert {(c.path, link.target, link.fragment) for c, link, _, _ in found} >= REQUIRED_LINKS
    return found


def test_both_editions_are_built(mini_build, mini_pdf, mini_epub, mini_src):
    assert mini_build.pdf.stat().st_size > 0 and mini_build.epub.stat().st_size > 0
    assert str(mini_build.pdf) in mini_build.stdout and str(mini_build.epub) in mini_build.stdout
    assert len(mini_pdf.reader.pages) > len(mini_src.chapters)
    assert mini_epub.zip.testzip() is None


def test_mini_epubcheck_reports_nothing(epubcheck_reports):
    counts, messages = epubcheck_summary(epubcheck_reports["mini"])
    assert counts == (0, 0, 0), f"EPUBCheck fatals/errors/warnings {counts}:\n{messages}"


def test_chapter_title_from_first_heading(mini_src, mini_epub, mini_pdf):
    from_heading = [c for c in mini_src.chapters if c.title_from_heading]
    assert [c.path for c in from_heading] == ["chapters/two.md"]
    chapter = from_heading[0]
    index = mini_src.chapters.index(chapter)
    doc = mini_epub.chapter_docs()[index]
    # The heading becomes the title, once: not repeated in the body.
    assert mini_epub.h1_texts(doc) == [chapter.title]
    texts = [squash("".join(h.itertext())) for h in
             mini_epub.tree(doc).xpath("//xhtml:h1|//xhtml:h2|//xhtml:h3", namespaces=NS)]
    assert texts.count(chapter.title) == 1
    assert squash("".join(mini_epub.tree(doc).xpath("//xhtml:title", namespaces=NS)[0]
                          .itertext())) == chapter.title
    # PDF: a top-level bookmark, and the page it opens shows the title once.
    top = [(t, p) for d, t, p in mini_pdf.outline() if d == 0]
    assert [t for t, _ in top] == (["Contents"] + mini_src.titles + mini_src.backmatter_titles)
    page = dict(top)[chapter.title]
    assert mini_pdf.norm[page].startswith(normalize(chapter.title))
    assert mini_pdf.norm[page].count(normalize(chapter.title)) == 1


def test_cross_chapter_links_resolve_in_epub(mini_src, mini_epub):
    docs = mini_epub.chapter_docs()
    for chapter, link, target, heading in cross_links(mini_src):
        doc = docs[mini_src.chapters.index(chapter)]
        anchors = [a for a in mini_epub.tree(doc).xpath("//xhtml:a[@href]", namespaces=NS)
                   if squash("".join(a.itertext())) == link.text]
        assert len(anchors) == 1, f"link {link.text!r} not found once in {doc}"
        href = anchors[0].get("href")
        target_doc = mini_epub.join(doc, href)
        assert target_doc == docs[mini_src.chapters.index(target)], (
            f"{link.text!r} → {href!r}, expected a link into the XHTML of {target.path}")
        fragment = urlsplit(href).fragment
        elements = mini_epub.tree(target_doc).xpath(f"//*[@id='{fragment}']")
        assert len(elements) == 1, f"{href!r}: id {fragment!r} not found once in {target_doc}"
        element = elements[0]
        assert element.tag in {f"{{{NS['xhtml']}}}h{n}" for n in range(1, 7)}, element.tag
        assert squash("".join(element.itertext())) == heading


def test_cross_chapter_links_land_on_the_heading_in_pdf(mini_src, mini_pdf):
    for chapter, link, _target, heading in cross_links(mini_src):
        pages = [i for i, text in enumerate(mini_pdf.norm) if normalize(link.text) in text]
        candidates = [(page, dest) for page in pages
                      for text, dest in mini_pdf.link_annotations(page)
                      if normalize(text) == normalize(link.text)]
        assert len(candidates) == 1, (
            f"{chapter.path}:{link.line}: expected one link annotation over {link.text!r}, "
            f"found {len(candidates)} on pages {[p + 1 for p in pages]}")
        _, dest = candidates[0]
        dest_page, dest_y = mini_pdf.resolve_dest(dest)
        heading_pages = [i for i in range(len(mini_pdf.texts))
                         if heading in mini_pdf.page_lines(i)]
        assert heading_pages == [dest_page], (
            f"{link.text!r} lands on page {dest_page + 1}; heading {heading!r} is on "
            f"{[p + 1 for p in heading_pages]}")
        assert dest_y is not None
        top = mini_pdf.text_top(dest_page, heading)
        assert -2 <= dest_y - top <= 36, (
            f"{link.text!r} lands at y={dest_y:.1f}, heading {heading!r} top is {top:.1f}")


@pytest.mark.parametrize("chapter_index", [0, 1])
def test_mini_footnotes_share_the_page_of_their_call(mini_src, mini_pdf, chapter_index):
    chapter = mini_src.chapters[chapter_index]
    assert chapter.notes
    for note in chapter.notes:
        pages = [i for i, t in enumerate(mini_pdf.norm) if note_text_pattern(note).search(t)]
        assert len(pages) == 1
        assert note_call_pattern(note).search(mini_pdf.norm[pages[0]])


# --------------------------------------------------------------------------- hostile markup

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "form"}


def test_hostile_project_epubcheck_reports_nothing(epubcheck_reports):
    counts, messages = epubcheck_summary(epubcheck_reports["hostile"])
    assert counts == (0, 0, 0), f"EPUBCheck fatals/errors/warnings {counts}:\n{messages}"


def test_hostile_markup_never_reaches_the_epub(session_builds):
    source = (HOSTILE / "chapters" / "one.md").read_text("utf-8")
    assert "<script>" in source and "onerror=" in source and "javascript:" in source
    epub = EpubView(session_builds.hostile.epub)
    problems = []
    for name in epub.xhtml_names:
        for element in epub.tree(name).iter():
            if not isinstance(element.tag, str):
                continue
            tag = etree.QName(element).localname.lower()
            if tag in DANGEROUS_TAGS:
                problems.append(f"{name}: <{tag}>")
            for attr, value in element.attrib.items():
                local = etree.QName(attr).localname.lower()
                if local.startswith("on"):
                    problems.append(f"{name}: <{tag} {local}=…>")
                if local in ("href", "src") and value.strip().lower().startswith(
                        ("javascript:", "file:", "data:text/html")):
                    problems.append(f"{name}: <{tag} {local}={value!r}>")
    assert not problems, "\n".join(problems)


def test_hostile_project_text_survives(session_builds):
    """Legal but unusual input is kept: non-Latin scripts reach the EPUB text intact."""
    source = (HOSTILE / "chapters" / "one.md").read_text("utf-8")
    line = next(line for line in source.splitlines() if line.startswith("Non-Latin:"))
    words = [w for w in line.split(":", 1)[1].split() if any(c.isalpha() for c in w)]
    assert len(words) >= 4
    epub = EpubView(session_builds.hostile.epub)
    text = " ".join("".join(epub.tree(n).itertext()) for n in epub.chapter_docs())
    for word in words:
        assert word in text, word


def test_hostile_pdf_has_no_actions_or_attachments(session_builds):
    pdf = pikepdf.open(session_builds.hostile.pdf)
    names = pdf.Root.get("/Names", {})
    assert "/JavaScript" not in names and "/EmbeddedFiles" not in names
    assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if str(obj.get("/S", "")) in ("/JavaScript", "/Launch", "/ImportData", "/SubmitForm"):
            raise AssertionError(f"action {obj.S} in object {obj.objgen}")
        if "/JS" in obj or "/AA" in obj:
            raise AssertionError(f"script trigger in object {obj.objgen}")
        uri = str(obj.get("/URI", ""))
        assert not uri.lower().startswith(("javascript:", "file:")), uri


def test_hostile_pdf_sets_every_script_in_shipped_fonts(session_builds):
    """Armenian, Arabic and code come from the theme's own Noto faces, and CJK from the Noto
    CJK collections the project's scripts install, never from fonts the machine happens to
    have."""
    import pikepdf

    from book.render.theme import FACES

    # A font is named after its family (Noto-Serif-Armenian) or its PostScript name
    # (NotoSerifArmenian-Regular), depending on the layout path: compare without dashes.
    shipped = {face.family.replace(" ", "") for face in FACES}
    shipped |= {f"Noto{style}CJK{region}" for style in ("Serif", "Sans")
                for region in ("SC", "TC", "JP", "KR")}
    used = set()
    with pikepdf.open(session_builds.hostile.pdf) as pdf:
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                name = str(font.BaseFont).lstrip("/").split("+")[-1].replace("-", "")
                used.add(next((s for s in shipped if name.startswith(s)), name))
    assert {"NotoSerifArmenian", "NotoMono", "NotoNaskhArabic"} <= used
    assert used <= shipped, used - shipped
