"""Numbered cross-references and citations (issue 22), on a fixture book
(tests/fixtures/references/ beside the mini project): each `[](#label)` prints its number
and, in the PDF, the page its target is on (read from the PDF, both layouts); in the EPUB
and the web edition it is a link to the target; unknown and duplicate labels are located
errors; numbering per chapter. Citations are formatted in Chicago author-date, the
bibliography lists exactly the works cited, with links back; unknown keys are errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pypdfium2.raw as raw
import pytest
from lxml import etree
from lxml import html as lxml_html

from conftest import MINI, NS, REPO, EpubView, PdfView, cli, normalize
from helpers import build_both_layouts, error_lines, line_of

FIXTURE = REPO / "tests" / "fixtures" / "references"
CHAPTERS = ["chapters/one.md", "chapters/losses.md", "chapters/method.md"]
# What each reference prints, and text its target shows (the caption, numbered heading or
# figure label), in reading order of the references.
EXPECTED = [
    ("table 1", "Table 1. Losses by side"),
    ("section 3.2", "3.2 How we counted"),
    ("figure 1", "Figure 1. A beadlet anemone"),
    ("Table 2", "Table 2. People"),
    ("see them", "Table 2. People"),
    ("table 1", "Table 1. Losses by side"),
    ("section 2.1", "2.1 Sources"),
    ("table 3", "Table 3. Prices"),
    ("box 1", "Box 1. Tides at the pier"),  # a key-figures box's label
]


def make_project(root: Path, numbering: str = "") -> Path:
    project = root / "project"
    shutil.copytree(MINI, project)
    for source in (FIXTURE / "chapters").iterdir():
        shutil.copy(source, project / "chapters" / source.name)
    shutil.copy(FIXTURE / "references.bib", project / "references.bib")
    manifest = project / "book.toml"
    text = re.sub(r"^chapters = .*$", 'bibliography = "references.bib"\nchapters = '
                  + str(CHAPTERS).replace("'", '"'), manifest.read_text("utf-8"), flags=re.M)
    if numbering:
        text += f'\n[references]\nnumbering = "{numbering}"\n'
    manifest.write_text(text, "utf-8")
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The fixture book built once per layout; the EPUB and web edition come with the
    chunked build."""
    root = tmp_path_factory.mktemp("references")
    project = make_project(root)
    return build_both_layouts(project, root)


def _spread(index: int) -> int:
    """The spread of a 0-based page: the first page alone, then 2–3, 4–5…"""
    return (index + 1) // 2


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_every_reference_prints_its_number_and_the_page_of_its_target(built, layout):
    """Its page only when the target is not on the reference's spread (issue 22); then
    that page shows the target."""
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    labels = pdf.reader.page_labels
    found = []
    for index, text in enumerate(pdf.texts[3:], start=3):  # past title, colophon, contents
        found += [(match[1], match[2], index) for match in re.finditer(
            # not the captions ("Table 1. Losses…")
            r"((?:table|section|figure|box) \d+(?:\.\d+)?|Table \d+(?![.\d])|see them)"
            r"(?:, page (\d+))?",
            " ".join(text.split()))]
    assert [ref for ref, _, _ in found] == [ref for ref, _ in EXPECTED]
    faced = 0
    for (ref, page, at), (_, target) in zip(found, EXPECTED, strict=True):
        if page is None:
            near = [i for i in range(len(pdf.texts)) if _spread(i) == _spread(at)]
            assert any(normalize(target) in pdf.norm[i] for i in near), (ref, at + 1)
            faced += 1
            continue
        index = labels.index(page)
        assert normalize(target) in pdf.norm[index], (ref, page, target)
        assert _spread(index) != _spread(at), (ref, page, at + 1)
    assert 0 < faced < len(EXPECTED)


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_reference_links_go_to_the_target_page(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    checked = 0
    for index in range(len(pdf.texts)):
        for text, dest in pdf.link_annotations(index):
            match = re.match(r"\s*((?:[Tt]able|section|figure|box) [\d.]+)\s*(?:, page|$)", text)
            if not match:  # a link broken over two lines, or another kind of link
                continue
            target = dict(EXPECTED)[match.group(1)]
            page, _ = pdf.resolve_dest(dest)
            assert normalize(target) in pdf.norm[page], (text, page)
            checked += 1
    assert checked >= 5


def _xrefs(doc) -> list:
    return doc.xpath("//*[local-name()='a'][contains(concat(' ', @class, ' '), ' xref ')]")


def _target_text(element) -> str:
    """What a reader sees at the target: a table's caption, a heading, a figure's caption."""
    if element.tag.endswith("table"):
        element = next(c for c in element if c.tag.endswith("caption"))
    elif element.tag.endswith("figure"):
        element = next(c for c in element.iter() if str(c.tag).endswith("figcaption"))
    return normalize(" ".join("".join(element.itertext()).split()))


def test_epub_references_link_to_their_targets(built):
    epub = EpubView(built["chunked"] / "tide-pools.epub")
    seen = []
    for name in epub.chapter_docs():
        for anchor in _xrefs(epub.tree(name)):
            href = anchor.get("href")
            target_doc = epub.join(name, href)
            fragment = unquote(urlsplit(href).fragment)
            targets = epub.tree(target_doc).xpath(f"//*[@id='{fragment}']")
            assert len(targets) == 1, href
            seen.append((normalize("".join(anchor.itertext())), _target_text(targets[0])))
    assert len(seen) == len(EXPECTED)
    for (text, target), (ref, expected) in zip(seen, EXPECTED, strict=True):
        assert text == normalize(ref)
        assert target.startswith(normalize(expected)), (target, expected)


def test_web_references_link_to_their_targets(built):
    web = built["chunked"] / "tide-pools-web"
    seen = []
    for name in ("chapters.losses.html", "chapters.method.html"):
        doc = lxml_html.parse(str(web / name)).getroot()
        for anchor in _xrefs(doc):
            parts = urlsplit(anchor.get("href"))
            target_doc = lxml_html.parse(str(web / (parts.path or name))).getroot()
            targets = target_doc.xpath(f"//*[@id='{unquote(parts.fragment)}']")
            assert len(targets) == 1, anchor.get("href")
            seen.append((normalize(anchor.text_content()), _target_text(targets[0])))
    assert [normalize(ref) for ref, _ in EXPECTED] == [text for text, _ in seen]
    for (_, target), (_, expected) in zip(seen, EXPECTED, strict=True):
        assert target.startswith(normalize(expected))


def test_epub_passes_epubcheck(built):
    result = cli(["verify", str(built["chunked"] / "tide-pools.epub")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_numbering_per_chapter(tmp_path):
    project = make_project(tmp_path, numbering="chapter")
    out = tmp_path / "out"
    result = cli(["build", str(project), "--out", str(out), "--format", "html", "--quiet"])
    assert result.returncode == 0, result.stderr
    web = out / "tide-pools-web"
    losses = lxml_html.parse(str(web / "chapters.losses.html")).getroot()
    method = lxml_html.parse(str(web / "chapters.method.html")).getroot()
    one = lxml_html.parse(str(web / "chapters.one.html")).getroot()
    assert [a.text_content() for a in _xrefs(losses)] == [
        "table 2.1", "section 3.2", "figure 1.1", "Table 2.2", "see them"]
    assert [a.text_content() for a in _xrefs(method)] == [
        "table 2.1", "section 2.1", "table 3.1", "box 3.1"]
    assert method.xpath("//aside[@id]")[0].text_content().startswith("Box 3.1. Tides")
    captions = [c.text_content() for c in losses.iter("caption")]
    assert captions[0].startswith("Table 2.1. ") and captions[1].startswith("Table 2.2. ")
    assert one.xpath("//figcaption")[0].text_content().startswith("Figure 1.1. ")


DUPLICATE = ("a label names one figure, table, section or equation in the whole book; "
             "rename one of them")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("[](#tbl-prices)", "[](#tbl-price)",
     ["{new}: cross-reference '#tbl-price' names no label in the book "
      "(did you mean 'tbl-prices'?)"]),
    ("{#tbl-prices}", "{#tbl-losses}",
     ["{ref}: cross-reference '#tbl-prices' names no label in the book "
      "(did you mean 'tbl-displaced'?)",
      "{new}: label 'tbl-losses' is already defined at chapters/losses.md:{table} "
      f"({DUPLICATE})"]),
    ("## Scope", "## Scope {#sec-sources}",
     ["{new}: label 'sec-sources' is already defined at chapters/losses.md:{section} "
      f"({DUPLICATE})"]),
])
def test_unknown_and_duplicate_labels_are_located_errors(tmp_path, old, new, expected):
    """Each at the line of the reference or of the second label, naming the first."""
    project = make_project(tmp_path)
    method = project / "chapters" / "method.md"
    method.write_text(method.read_text("utf-8").replace(old, new), "utf-8")
    losses = project / "chapters" / "losses.md"
    places = {"new": f"chapters/method.md:{line_of(method, new)}",
              "ref": f"chapters/method.md:{line_of(method, '[](#tbl-')}",
              "table": line_of(losses, "{#tbl-losses}"),
              "section": line_of(losses, "{#sec-sources}")}
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "error: " + line.format(**places) for line in expected], result.stderr


def test_caption_line_without_label_captions_the_table(tmp_path):
    project = make_project(tmp_path)
    method = project / "chapters" / "method.md"
    method.write_text(method.read_text("utf-8").replace(
        "with the prices in [](#tbl-prices).", "with the prices below.").replace(
        " {#tbl-prices}", ""), "utf-8")
    out = tmp_path / "out"
    result = cli(["build", str(project), "--out", str(out), "--format", "epub", "--quiet"])
    assert result.returncode == 0, result.stderr
    epub = EpubView(out / "tide-pools.epub")
    name = next(n for n in epub.chapter_docs() if n.endswith("chapters.method.xhtml"))
    tables = epub.tree(name).xpath("//xhtml:table", namespaces=NS)
    assert len(tables) == 1 and tables[0].get("id") is None
    caption = tables[0].xpath("xhtml:caption", namespaces=NS)
    assert ["".join(c.itertext()) for c in caption] == ["Prices in the market"]
    assert not tables[0].xpath(".//xhtml:td[starts-with(normalize-space(), ':')]",
                               namespaces=NS)
    assert etree.tostring(tables[0]).count(b"<caption") == 1


# Chicago author-date: (Author Year, locator); items joined by "; "; a narrative citation
# names the author in the sentence with the year in parentheses.
CITATIONS = ["(Hodge and Sariyeva 2023, 4)", "(Hodge and Sariyeva 2023; de Waal 2013)",
             "de Waal (2013)", "(de Waal 2013, 240–245)"]
CITED = {"bib-hodge2023": "Hodge, N., and G. Sariyeva. 2023.", "bib-dewaal2013": "Black Garden"}


def _citations(doc) -> list:
    return doc.xpath("//*[local-name()='cite'][@class='citation']")


def test_web_citations_follow_the_style_and_link_to_the_bibliography(built):
    web = built["chunked"] / "tide-pools-web"
    losses = lxml_html.parse(str(web / "chapters.losses.html")).getroot()
    bibliography = lxml_html.parse(str(web / "bibliography.html")).getroot()
    cites = _citations(losses)
    assert [c.text_content() for c in cites] == CITATIONS
    for cite in cites:
        for link in cite.iter("a"):
            page, _, fragment = link.get("href").partition("#")
            assert page == "bibliography.html" and bibliography.get_element_by_id(fragment) \
                is not None
    entries = bibliography.xpath("//ul[@class='bibliography-entries']/li")
    assert {e.get("id") for e in entries} == set(CITED)  # the uncited work is left out
    for entry in entries:
        assert CITED[entry.get("id")] in entry.text_content()
        backs = entry.xpath(".//a[@role='doc-backlink']")
        assert [b.text_content() for b in backs] == ["Losses"]
        page, _, fragment = backs[0].get("href").partition("#")
        target = lxml_html.parse(str(web / page)).getroot().get_element_by_id(fragment)
        assert target.tag == "cite" and CITED[entry.get("id")] and entry.get("id") in {
            unquote(a.get("href")).partition("#")[2] for a in target.iter("a")}
    assert "Nobody" not in bibliography.text_content()


def test_epub_bibliography_is_marked_and_linked(built):
    epub = EpubView(built["chunked"] / "tide-pools.epub")
    name = next(n for n in epub.xhtml_names if n.endswith("bibliography.xhtml"))
    section = epub.tree(name).xpath("//xhtml:section", namespaces=NS)[0]
    assert section.get(f"{{{NS['epub']}}}type") == "bibliography"
    assert section.get("role") == "doc-bibliography"
    ids = section.xpath(".//xhtml:li/@id", namespaces=NS)
    assert set(ids) == set(CITED)
    chapter = next(n for n in epub.chapter_docs() if n.endswith("chapters.losses.xhtml"))
    cites = epub.tree(chapter).xpath("//xhtml:cite", namespaces=NS)
    assert ["".join(c.itertext()) for c in cites] == CITATIONS
    for link in epub.tree(chapter).xpath("//xhtml:cite//xhtml:a", namespaces=NS):
        assert epub.join(chapter, link.get("href")) == name
        assert urlsplit(link.get("href")).fragment in ids
    assert name in {epub.join(epub.nav_name, h) for h in epub.tree(epub.nav_name).xpath(
        "//xhtml:nav[@epub:type='toc']//xhtml:a/@href", namespaces=NS)}


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_pdf_bibliography_gives_the_pages_that_cite(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    page = next(i for i, t in enumerate(pdf.texts) if t.startswith("References"))
    text = " ".join(pdf.texts[page].split())
    found = re.findall(r"Cited on page (\d+)\.", text)
    assert len(found) == 2, text
    for number in found:
        cited = " ".join(pdf.texts[pdf.reader.page_labels.index(number)].split())
        assert "(Hodge and Sariyeva 2023" in cited and "de Waal (2013)" in cited


@pytest.mark.parametrize(("change", "expected"), [
    (("[@hodge2023, p. 4]", "[@hodge2024, p. 4]"),
     "citation key '@hodge2024' is not in references.bib (did you mean 'hodge2023'?)"),
    (('bibliography = "references.bib"\n', ""),
     "citation '[@hodge2023, p. 4]' but book.toml names no bibliography (add bibliography = "
     '"references.bib" (or .json) to book.toml)'),
])
def test_citation_problems_are_located_errors(tmp_path, change, expected):
    project = make_project(tmp_path)
    losses = project / "chapters" / "losses.md"
    target = project / "book.toml" if change[0].startswith("bibliography") else losses
    target.write_text(target.read_text("utf-8").replace(*change), "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2
    line = line_of(losses, "Reporting from the first days")
    assert error_lines(result.stderr)[0] == f"error: chapters/losses.md:{line}: {expected}"


def test_csl_json_bibliography_and_no_link_parsing(tmp_path):
    """The same works as CSL-JSON cite the same; `[@key]` stays a citation even where a
    link reference definition of that name exists."""
    project = make_project(tmp_path)
    (project / "references.bib").unlink()
    (project / "references.json").write_text("""[
 {"id": "hodge2023", "type": "article-journal", "container-title": "CNN",
  "title": "Azerbaijan launches military operation in Nagorno-Karabakh",
  "author": [{"family": "Hodge", "given": "Nathan"}, {"family": "Sariyeva", "given": "Gulnara"}],
  "issued": {"date-parts": [[2023]]}},
 {"id": "deWaal2013", "type": "book", "publisher": "NYU Press",
  "title": "Black Garden", "author": [{"family": "de Waal", "given": "Thomas"}],
  "issued": {"date-parts": [[2013]]}}
]""", "utf-8")
    manifest = project / "book.toml"
    manifest.write_text(manifest.read_text("utf-8").replace("references.bib",
                                                            "references.json"), "utf-8")
    losses = project / "chapters" / "losses.md"
    losses.write_text(losses.read_text("utf-8") + "\n[@deWaal2013]: https://example.org/\n",
                      "utf-8")
    out = tmp_path / "out"
    result = cli(["build", str(project), "--out", str(out), "--format", "html", "--quiet"])
    assert result.returncode == 0, result.stderr
    page = lxml_html.parse(str(out / "tide-pools-web" / "chapters.losses.html")).getroot()
    assert [c.text_content() for c in _citations(page)] == CITATIONS
    assert not page.xpath("//a[@href='https://example.org/']")


MATHML = "http://www.w3.org/1998/Math/MathML"
FORMULAS = [("r = k/n", False), ("n \\geq 1", False), ("t", False),
            ("L_t = L_0 \\left(1 + \\frac{r}{100}\\right)^{t}", True),
            ("\\sum_{i=1}^{n} x_i^2", True)]


def test_formulas_are_mathml_with_alttext_in_epub_and_web(built):
    epub = EpubView(built["chunked"] / "tide-pools.epub")
    name = next(n for n in epub.chapter_docs() if n.endswith("chapters.method.xhtml"))
    maths = epub.tree(name).xpath("//m:math", namespaces={"m": MATHML})
    assert [(m.get("alttext"), m.get("display") == "block") for m in maths] == FORMULAS
    item = next(i for i in epub.manifest.values() if i["name"] == name)
    assert "mathml" in item["properties"]
    web = lxml_html.parse(str(built["chunked"] / "tide-pools-web" / "chapters.method.html"))
    assert [m.get("alttext") for m in web.getroot().iter("math")] == [t for t, _ in FORMULAS]
    text = web.getroot().text_content()
    assert "$5 or $10 stays text" in text and "$" not in text.replace("$5", "").replace("$10", "")


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_formulas_are_drawn_in_the_pdf_on_the_baseline(built, layout):
    """Print has no MathML: each formula is an SVG of outlines (no text, no font), and
    an inline one sits on the line: its bottom no lower than the text's descent."""
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    index = next(i for i, t in enumerate(pdf.texts) if "The loss rate is" in t)
    text = " ".join(pdf.texts[index].split())
    assert "The loss rate is , where GitHub’s form also works" in text  # drawn, not text
    assert "$5 or $10 stays text" in text
    page = pdf.pdfium[index]
    paths = [o for o in page.get_objects(max_depth=5) if o.type == raw.FPDF_PAGEOBJ_PATH]
    assert len(paths) > 20  # glyph outlines of five formulas
    textpage = page.get_textpage()
    found = textpage.search("The loss rate is", match_case=True).get_next()
    assert found
    line_bottom = min(textpage.get_charbox(i)[1] for i in range(found[0], found[0] + found[1]))
    line_top = max(textpage.get_charbox(i)[3] for i in range(found[0], found[0] + found[1]))
    beside = [o.get_bounds() for o in paths if line_bottom - 6 < o.get_bounds()[1] < line_top
              and o.get_bounds()[3] < line_top + 8]
    assert beside, "no formula drawn on the line of 'The loss rate is'"
    assert all(bottom > line_bottom - 5 for _, bottom, _, _ in beside)


def test_bad_tex_is_a_located_error(tmp_path):
    project = make_project(tmp_path)
    method = project / "chapters" / "method.md"
    method.write_text(method.read_text("utf-8").replace("$r = k/n$", "$r = \\left( k$"), "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2
    [line] = error_lines(result.stderr)
    assert line.startswith(f"error: chapters/method.md:{line_of(method, 'The loss rate')}: "
                           "formula 'r = \\left( k' cannot be typeset: "
                           "ExtraLeftOrMissingRightError"), line


def test_ace_finds_no_violation(built, tmp_path):
    """DAISY Ace on the fixture's EPUB: cross-references, citations, the References page
    and MathML."""
    from test_ace import run_ace, violations

    report = run_ace(built["chunked"] / "tide-pools.epub", tmp_path)
    assert report["earl:result"]["earl:outcome"] == "pass", violations(report)
