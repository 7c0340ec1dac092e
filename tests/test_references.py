"""Numbered cross-references (issue 22), on a fixture book (tests/fixtures/references/ beside
the mini project): each `[](#label)` prints its number and, in the PDF, the page its target
is on (read from the PDF, both layouts); in the EPUB and the web edition it is a link to
the target; unknown and duplicate labels are located errors; numbering per chapter."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree
from lxml import html as lxml_html

from conftest import MINI, NS, REPO, EpubView, PdfView, cli, normalize
from helpers import error_lines, line_of

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
]


def make_project(root: Path, numbering: str = "") -> Path:
    project = root / "project"
    shutil.copytree(MINI, project)
    for source in (FIXTURE / "chapters").iterdir():
        shutil.copy(source, project / "chapters" / source.name)
    manifest = project / "book.toml"
    text = re.sub(r"^chapters = .*$", "chapters = " + str(CHAPTERS).replace("'", '"'),
                  manifest.read_text("utf-8"), flags=re.M)
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
    outs = {}
    for layout in ("chunked", "single"):
        out = root / f"out-{layout}"
        formats = [] if layout == "chunked" else ["--format", "pdf"]
        result = cli(["build", str(project), "--out", str(out), "--layout", layout,
                      "--quiet", *formats])
        assert result.returncode == 0, result.stderr
        outs[layout] = out
    return outs


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_every_reference_prints_its_number_and_the_page_of_its_target(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    labels = pdf.reader.page_labels
    found = []
    for text in pdf.texts[3:]:  # past the title page, colophon and contents
        found += re.findall(r"((?:[Tt]able|section|figure) \d+(?:\.\d+)?|see them)"
                            r", page (\d+)", " ".join(text.split()))
    assert [ref for ref, _ in found] == [ref for ref, _ in EXPECTED]
    for (ref, page), (_, target) in zip(found, EXPECTED, strict=True):
        index = labels.index(page)
        assert normalize(target) in pdf.norm[index], (ref, page, target)


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_reference_links_go_to_the_target_page(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    checked = 0
    for index in range(len(pdf.texts)):
        for text, dest in pdf.link_annotations(index):
            match = re.match(r"\s*((?:[Tt]able|section|figure) [\d.]+), page", text)
            if not match:  # a link broken over two lines, or another kind of link
                continue
            target = dict(EXPECTED)[match.group(1)]
            page, _ = pdf.resolve_dest(dest)
            assert normalize(target) in pdf.norm[page], (text, page)
            checked += 1
    assert checked >= 6


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
        "table 2.1", "section 2.1", "table 3.1"]
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
