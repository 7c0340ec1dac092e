"""Numbered chapters, references to chapters and equations, the same-spread rule and
`[print] recto` (issues 17 and 22), on the cross-reference fixture book with
`[print] number-chapters = true`: openers and contents carry the numbers in every edition,
`[](losses.md)` prints "chapter 2" (in the PDF with the page of the chapter unless it faces
the reference), `$$…$$ {#eq-growth}` is numbered "(1)" beside the formula in every edition,
a French book says all of it in French, and `recto = "chapters"` lets the back matter open
on a verso."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html
from test_references import make_project

from conftest import NS, EpubView, PdfView, cli, normalize
from helpers import error_lines, line_of

# Added to the fixture's method chapter (its third and last chapter).
GROWTH = "$$\nL_t = L_0 \\left(1 + \\frac{r}{100}\\right)^{t}\n$$"
LINKS = ("\n\nGrowth follows [](#eq-growth). The counts come from [](losses.md), whose "
         "sources are in [](losses.md#sec-sources); the book opens with [](one.md).[^m]\n\n"
         "[^m]: The prices are those of [](#tbl-prices).\n")
# Each reference of the method chapter as the English book prints it, and text its target
# shows, in reading order.
METHOD_REFS = [("table 2.1", "Table 2.1. Losses by side"), ("section 2.1", "2.1 Sources"),
               ("table 3.1", "Table 3.1. Prices"), ("box 3.1", "Box 3.1. Tides at the pier"),
               ("equation (3.1)", "(3.1)"),
               ("chapter 2", "Chapter 2 Losses"), ("chapter 2", "2.1 Sources"),
               ("chapter 1", "Chapter 1"), ("table 3.1", "Table 3.1. Prices")]  # in a note
REF = r"(?:table|section|figure|equation|chapter|box) \(?\d+(?:\.\d+)*\)?"
# Added to the losses chapter: paragraphs that run it onto a second page, a verso, and a
# last reference there to the next chapter, which opens on the recto facing it.
FILLER = ("The counts in this chapter were gathered from the reports of both sides, from "
          "the hospitals that took in the wounded and from the village registers that "
          "listed who had left, and each figure was checked against at least two of these "
          "before it was entered in a table. ") * 3
LAST = "The next chapter sets out the method, in [](#sec-method).\n"


def numbered_project(root: Path, language: str = "", recto: str = "") -> Path:
    project = make_project(root, numbering="chapter")
    method = project / "chapters" / "method.md"
    text = method.read_text("utf-8")
    assert GROWTH in text
    method.write_text(text.replace(GROWTH, GROWTH + " {#eq-growth}") + LINKS, "utf-8")
    losses = project / "chapters" / "losses.md"
    losses.write_text(losses.read_text("utf-8") + "\n" + f"\n{FILLER}\n" * 2 + "\n" + LAST,
                      "utf-8")
    manifest = project / "book.toml"
    toml = manifest.read_text("utf-8")
    if language:
        toml = re.sub(r'^language = ".*"$', f'language = "{language}"', toml, flags=re.M)
    toml += "\n[print]\nnumber-chapters = true\n" + (f'recto = "{recto}"\n' if recto else "")
    manifest.write_text(toml, "utf-8")
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("numbers")
    project = numbered_project(root)
    outs = {}
    for layout in ("chunked", "single"):
        out = root / f"out-{layout}"
        formats = [] if layout == "chunked" else ["--format", "pdf"]
        result = cli(["build", str(project), "--out", str(out), "--layout", layout, "--quiet",
                      *formats])
        assert result.returncode == 0, result.stderr
        outs[layout] = out
    return outs


def references_in(pdf: PdfView, pattern: str, start: int = 0) -> list[tuple[str, int | None, int]]:
    """(reference text, page it prints or None, 0-based page it is on), in reading order."""
    found = []
    for index, text in enumerate(pdf.texts[start:], start=start):
        flat = " ".join(text.split())
        for match in re.finditer(rf"({pattern})(?:, \w+\.? (\d+))?", flat):
            found.append((match[1], int(match[2]) if match[2] else None, index))
    return found


def spread(index: int) -> int:
    """The spread of a 0-based page (page 1 alone, then 2–3, 4–5…)."""
    return (index + 1) // 2


def method_page(pdf: PdfView) -> int:
    return next(i for i, t in enumerate(pdf.texts) if "We compared" in t)


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_references_print_a_page_only_when_the_target_is_over_the_page(built, layout):
    """Each reference of the method chapter prints its words; it prints a page exactly when
    its target is not on the reference's spread, and that page shows the target."""
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    start = method_page(pdf)
    found = references_in(pdf, REF, start)
    assert [ref for ref, _, _ in found] == [ref for ref, _ in METHOD_REFS]
    labels = pdf.reader.page_labels
    faced = printed = 0
    for (ref, page, at), (_, target) in zip(found, METHOD_REFS, strict=True):
        if page is None:  # the target is on this page or the one facing it
            near = [i for i in range(len(pdf.texts)) if spread(i) == spread(at)]
            assert any(normalize(target) in pdf.norm[i] for i in near), (ref, at + 1)
            faced += 1
        else:
            index = labels.index(str(page))
            assert normalize(target) in pdf.norm[index], (ref, page, target)
            assert spread(index) != spread(at), (ref, page, at + 1)
            printed += 1
    assert faced and printed  # the fixture has both kinds


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_reference_facing_its_target_across_chapters_prints_no_page(built, layout):
    """The losses chapter ends on a verso with a reference to the method chapter's
    section, which opens the recto beside it: no page (in the chunked layout the two are
    laid out apart, and the decision comes from the pages of the previous round)."""
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    [(ref, page, at)] = [found for found in references_in(pdf, REF) if found[0] == "section 3.2"
                         and "The next chapter sets out" in pdf.texts[found[2]]]
    target = next(i for i, t in enumerate(pdf.norm) if "32howwecounted" in t)
    assert (at + 1) % 2 == 0 and target == at + 1, (at + 1, target + 1)
    assert page is None, pdf.texts[at]


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_openers_and_contents_are_numbered(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    for number, title in enumerate(["Life between the tides", "Losses", "Method"], start=1):
        [opener] = pdf.pages_starting_with(f"Chapter {number} {title}")
        assert pdf.texts[opener].split("\n")[0].strip() == f"Chapter {number}"
    contents = next(i for i, t in enumerate(pdf.texts) if t.startswith("Contents"))
    lines = [" ".join(line.split()) for line in pdf.texts[contents].split("\n")]
    assert [re.match(r"(\d) ", line)[1] for line in lines if re.match(r"\d [A-Z]", line)] \
        == ["1", "2", "3"]
    assert any(line.startswith("References") for line in lines)  # back matter: no number


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_equation_number_beside_its_formula(built, layout):
    """The number is text at the right of the text block, on the line of the formula."""
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    index = next(i for i, t in enumerate(pdf.texts) if "Compounded over" in t)
    page = pdf.pdfium[index]
    textpage = page.get_textpage()
    found = textpage.search("(3.1)", match_case=True).get_next()
    assert found, pdf.texts[index]
    left, bottom, right, top = textpage.get_charbox(found[0] + found[1] - 1)
    width = page.get_width()
    assert right > 0.75 * width  # at the end of the measure, not after the formula
    formula = [o.get_bounds() for o in page.get_objects(max_depth=5)
               if o.type == 2 and o.get_bounds()[3] > bottom and o.get_bounds()[1] < top]
    assert formula  # glyph outlines of the formula on the number's line


def test_epub_and_web_number_chapters_equations_and_word_references(built):
    epub = EpubView(built["chunked"] / "tide-pools.epub")
    name = next(n for n in epub.chapter_docs() if n.endswith("chapters.method.xhtml"))
    doc = epub.tree(name)
    [label] = doc.xpath("//xhtml:p[@class='chapter-number']", namespaces=NS)
    assert "".join(label.itertext()) == "Chapter 3"
    [equation] = doc.xpath("//xhtml:div[contains(@class, 'numbered')]", namespaces=NS)
    assert equation.get("id").endswith("--eq-growth")
    assert equation.xpath(".//m:math/@alttext", namespaces={"m": "http://www.w3.org/1998/Math/MathML"})
    assert "".join(equation.xpath(".//xhtml:span[@class='equation-number']//text()",
                                  namespaces=NS)) == "(3.1)"
    refs = doc.xpath("//xhtml:a[@class='xref']", namespaces=NS)
    assert ["".join(a.itertext()) for a in refs] == [ref for ref, _ in METHOD_REFS]
    for anchor in refs:  # each a link to its target, no page
        target = epub.join(name, anchor.get("href"))
        fragment = anchor.get("href").partition("#")[2]
        assert not fragment or epub.tree(target).xpath(f"//*[@id='{fragment}']")
    web = built["chunked"] / "tide-pools-web"
    page = lxml_html.parse(str(web / "chapters.method.html")).getroot()
    assert [a.text_content() for a in page.xpath("//a[@class='xref']")] == [
        ref for ref, _ in METHOD_REFS]
    assert page.xpath("//p[@class='chapter-number']")[0].text_content() == "Chapter 3"
    [number] = page.xpath("//div[contains(@class, 'numbered')][.//math]"
                          "/span[@class='equation-number']/text()")
    assert number == "(3.1)"
    home = lxml_html.parse(str(web / "index.html")).getroot()
    numbers = [s.text_content()
               for s in home.xpath("//nav[@id='contents']//span[@class='toc-number']")]
    assert numbers == ["1", "2", "3"]


def test_epub_passes_epubcheck(built):
    result = cli(["verify", str(built["chunked"] / "tide-pools.epub")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ace_finds_no_violation(built, tmp_path):
    """DAISY Ace on the numbered book: chapter labels, numbered equations, chapter links."""
    from test_ace import run_ace, violations

    report = run_ace(built["chunked"] / "tide-pools.epub", tmp_path)
    assert report["earl:result"]["earl:outcome"] == "pass", violations(report)


def test_french_book_says_its_references_in_french(tmp_path):
    project = numbered_project(tmp_path, language="fr")
    out = tmp_path / "out"
    result = cli(["build", str(project), "--out", str(out), "--format", "pdf", "--format",
                  "html", "--quiet"])
    assert result.returncode == 0, result.stderr
    page = lxml_html.parse(str(out / "tide-pools-web" / "chapters.method.html")).getroot()
    assert [a.text_content() for a in page.xpath("//a[@class='xref']")] == [
        "tableau 2.1", "section 2.1", "tableau 3.1", "encadré 3.1", "équation (3.1)",
        "chapitre 2", "chapitre 2", "chapitre 1", "tableau 3.1"]
    assert page.xpath("//aside[@id]//span[@class='box-label']")[0].text_content() == \
        "Encadré 3.1."
    assert page.xpath("//p[@class='chapter-number']")[0].text_content() == "Chapitre 3"
    assert page.xpath("//caption/span[@class='table-label']")[0].text_content() == \
        "Tableau 3.1."
    pdf = PdfView(out / "tide-pools.pdf")
    text = " ".join(" ".join(pdf.texts).split())
    assert "Chapitre 3" in text and "Tableau 2.1." in text
    french = r"(?:tableau|section|équation|chapitre|encadré) \(?\d+(?:\.\d+)*\)?"
    found = references_in(pdf, french, method_page(pdf))
    assert len(found) == len(METHOD_REFS)
    assert re.search(french + r", page \d+", text)
    for english in ("table 2.1", "Chapter 3", "equation (", "Table 3.1."):
        assert english not in text


def test_unknown_and_duplicate_equation_labels_are_located_errors(tmp_path):
    project = numbered_project(tmp_path)
    method = project / "chapters" / "method.md"
    text = method.read_text("utf-8").replace("[](#eq-growth)", "[](#eq-growht)")
    method.write_text(text + "\n$$\nx = 1\n$$ {#eq-growth}\n", "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2
    first, second = [number for number, line in enumerate(
        method.read_text("utf-8").split("\n"), start=1) if "{#eq-growth}" in line]
    assert error_lines(result.stderr) == [  # in the order of their lines
        f"error: chapters/method.md:{line_of(method, '[](#eq-growht)')}: cross-reference "
        "'#eq-growht' names no label in the book (did you mean 'eq-growth'?)",
        f"error: chapters/method.md:{second}: label 'eq-growth' is already defined at "
        f"chapters/method.md:{first} (a label names one figure, table, section or "
        "equation in the whole book; rename one of them)"]


def _openers(pdf: PdfView, titles: list[str]) -> dict[str, int]:
    return {title: pdf.pages_starting_with(title)[0] for title in titles}


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_recto_chapters_lets_back_matter_open_on_any_page(tmp_path, layout):
    """recto = "all": every part opens on an odd page; "chapters": the chapters still do,
    the back matter runs on with no blank page before any of its parts."""
    pdfs = {}
    for recto in ("all", "chapters"):
        project = numbered_project(tmp_path / recto, recto=recto)
        out = tmp_path / recto / "out"
        result = cli(["build", str(project), "--out", str(out), "--format", "pdf",
                      "--layout", layout, "--quiet"])
        assert result.returncode == 0, result.stderr
        pdfs[recto] = PdfView(out / "tide-pools.pdf")
    chapters = ["Chapter 1", "Chapter 2", "Chapter 3"]
    for recto, pdf in pdfs.items():
        back = [t for d, t, _ in pdf.outline() if d == 0][-3:]  # References, credits…
        assert back[0] == "References"
        openers = _openers(pdf, chapters + back)
        assert all(openers[c] % 2 == 0 for c in chapters), openers  # 0-based: a recto
        if recto == "all":
            assert all(openers[b] % 2 == 0 for b in back), openers
        else:
            assert all(pdf.texts[openers[b] - 1].strip() for b in back), openers
    assert len(pdfs["chapters"].texts) < len(pdfs["all"].texts)


# The explainer's references to chapters ([](03-tensions.md#the-blockade) …), as printed,
# with text their targets show.
EXPLAINER_REFS = {"chapter 3": "Why did tensions reignite?", "chapter 1": "The one-day offensive",
                  "chapter 5": "What roles did Russia and Turkey play?"}


def test_explainer_prints_chapter_and_page_where_it_helps(explainer_pdf):
    """The explainer numbers its chapters: each "chapter N" it links prints the page of its
    target unless the target faces it, and the text's own "chapter 3" is chapter 3."""
    found = references_in(explainer_pdf, r"chapter \d")
    linked = [(ref, page, at) for ref, page, at in found if ref in EXPLAINER_REFS]
    assert len(linked) >= 4
    labels = explainer_pdf.reader.page_labels
    assert any(page for _, page, _ in linked)
    for ref, page, at in linked:
        [opener] = explainer_pdf.pages_starting_with(f"{ref} {EXPLAINER_REFS[ref]}")
        assert normalize(f"{ref} {EXPLAINER_REFS[ref]}") in explainer_pdf.norm[opener]
        if page is not None:
            index = labels.index(str(page))
            assert opener <= index and spread(index) != spread(at), (ref, page, at + 1)
            if ref != "chapter 3":  # links to the chapter itself: its first page
                assert index == opener
            else:  # to its heading "The blockade"
                assert "theblockade" in explainer_pdf.norm[index]
