"""Where things sit on the printed page, and how the EPUB maps the print edition's pages:
nothing outside the trim box, a page-list that points at markers placed where each PDF page
really starts, landmarks, pop-up footnotes and the accessibility metadata."""

from __future__ import annotations

import re

import pypdfium2
import pypdfium2.raw as pdfium_c

from conftest import NS, normalize

EPUB_TYPE = f"{{{NS['epub']}}}type"


def test_nothing_extends_outside_the_trim_box(explainer_pdf):
    """Every text run, image and path on every page lies inside the page (the A5 trim).
    (Shadings, the contents leaders' dots, report their unclipped pattern space: WeasyPrint
    clips them to their box, so they are left out.)"""
    pdf = pypdfium2.PdfDocument(str(explainer_pdf.path))
    checked = 0
    for index in range(len(pdf)):
        page = pdf[index]
        width, height = page.get_size()
        for obj in page.get_objects(max_depth=3):
            if obj.type not in (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH,
                                pdfium_c.FPDF_PAGEOBJ_IMAGE):
                continue
            left, bottom, right, top = obj.get_bounds()
            assert left >= -0.5 and bottom >= -0.5 and right <= width + 0.5 \
                and top <= height + 0.5, (index + 1, obj.type, (left, bottom, right, top))
            checked += 1
    assert checked > 500  # text runs, paths and images of 35 pages


def _page_list(epub) -> list[tuple[str, str]]:
    nav = epub.tree(epub.nav_name)
    lists = [n for n in nav.iter(f"{{{NS['xhtml']}}}nav") if n.get(EPUB_TYPE) == "page-list"]
    assert len(lists) == 1, "the nav has no (or several) page-list"
    return [(a.text, a.get("href")) for a in lists[0].iter(f"{{{NS['xhtml']}}}a")]


def test_page_list_covers_every_pdf_page_in_order(explainer_epub, explainer_pdf):
    entries = _page_list(explainer_epub)
    pages = range(1, len(explainer_pdf.texts) + 1)
    assert [label for label, _ in entries] == [str(n) for n in pages]


def test_page_list_targets_are_pagebreak_markers(explainer_epub):
    for label, href in _page_list(explainer_epub):
        path = explainer_epub.join(explainer_epub.nav_name, href)
        fragment = href.partition("#")[2]
        if not fragment:  # the contents page is the nav document itself
            assert path == explainer_epub.nav_name, href
            continue
        marker = explainer_epub.tree(path).xpath(f"//*[@id='{fragment}']")
        assert marker, href
        assert marker[0].get(EPUB_TYPE) == "pagebreak" and marker[0].get("role") == "doc-pagebreak"
        assert marker[0].get("aria-label") == label


def test_markers_sit_where_the_print_pages_start(explainer_epub, explainer_pdf):
    """A marker inside a paragraph is followed by the text that opens that PDF page. A page
    that starts inside a hyphenated word gets its marker before that word, so the check
    starts at the next word."""
    checked = 0
    for label, href in _page_list(explainer_epub):
        path, fragment = explainer_epub.join(explainer_epub.nav_name, href), href.partition("#")[2]
        if not fragment:
            continue
        marker = explainer_epub.tree(path).xpath(f"//*[@id='{fragment}']")[0]
        if marker.getparent().tag != f"{{{NS['xhtml']}}}p":
            continue
        text = (marker.tail or "") + "".join(
            "".join(s.itertext()) + (s.tail or "") for s in marker.itersiblings())
        following = normalize(text.split(None, 1)[1])[:24]
        page = int(label) - 1
        opening = re.sub(r"\d", "", explainer_pdf.norm[page])[:200]
        assert following and following in opening, (label, following, opening[:60])
        checked += 1
    assert checked >= 3, "too few mid-paragraph page breaks to check"


def test_landmarks_and_ncx(explainer_epub):
    nav = explainer_epub.tree(explainer_epub.nav_name)
    landmarks = [n for n in nav.iter(f"{{{NS['xhtml']}}}nav") if n.get(EPUB_TYPE) == "landmarks"]
    assert landmarks, "no landmarks nav"
    kinds = {a.get(EPUB_TYPE) for a in landmarks[0].iter(f"{{{NS['xhtml']}}}a")}
    assert {"cover", "toc", "bodymatter", "credits"} <= kinds, kinds
    ncx = [i for i in explainer_epub.manifest.values()
           if i["media-type"] == "application/x-dtbncx+xml"]
    assert ncx, "no NCX for EPUB 2 reading systems"
    points = explainer_epub.tree(ncx[0]["name"]).xpath("//ncx:navPoint", namespaces=NS)
    assert len(points) >= len(explainer_epub.chapter_docs())


def test_footnotes_are_pop_up_asides_with_back_links(explainer_epub):
    notes = 0
    for name in explainer_epub.chapter_docs():
        tree = explainer_epub.tree(name)
        for ref in tree.xpath("//xhtml:a[contains(@class, 'noteref')]", namespaces=NS):
            assert ref.get(EPUB_TYPE) == "noteref" and ref.get("role") == "doc-noteref"
            target = tree.xpath(f"//*[@id='{ref.get('href').lstrip('#')}']")
            assert target and target[0].tag == f"{{{NS['xhtml']}}}aside", ref.get("href")
            assert target[0].get(EPUB_TYPE) == "footnote"
            backs = target[0].xpath(".//xhtml:a[@role='doc-backlink']/@href", namespaces=NS)
            assert f"#{ref.get('id')}" in backs or any(
                tree.xpath(f"//*[@id='{b.lstrip('#')}']") for b in backs)
            notes += 1
    assert notes >= 5


def test_accessibility_metadata_is_computed(explainer_epub):
    features = set(explainer_epub.meta("schema:accessibilityFeature"))
    assert {"tableOfContents", "readingOrder", "alternativeText", "pageBreakMarkers"} <= features
    assert explainer_epub.meta("schema:accessibilityHazard") == ["none"]
    assert explainer_epub.meta("schema:accessibilitySummary")
    assert explainer_epub.meta("dcterms:conformsTo") == [
        "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert "pagination" in explainer_epub.meta("source-of")


def test_access_modes_follow_the_content(mini_epub):
    """The mini book has images, so it is visual too; the mode follows the content."""
    assert set(mini_epub.meta("schema:accessMode")) == {"textual", "visual"}


def test_cover_page_reads_out_the_cover(explainer_epub, explainer_src):
    """The generated cover's text alternative carries what the cover shows."""
    cover = next(i["name"] for i in explainer_epub.manifest.values()
                 if i["name"].endswith("cover.xhtml"))
    images = explainer_epub.tree(cover).xpath("//xhtml:img", namespaces=NS)
    assert len(images) == 1
    alt = images[0].get("alt")
    assert explainer_src.meta["title"] in alt and explainer_src.meta["publisher"] in alt
