"""The index (issue 22), on a fixture book (tests/fixtures/index/ over the mini project):
index.toml's entries and the places the text marks with `[text]{.index}` are listed with
the pages they are on in the PDF (read back from the PDF, both layouts: every page listed
holds the term, every chapter page that holds it is listed, runs merged as `3–5`), with
"see" and "see also"; in the EPUB as EPUB Indexes 1.1 markup whose locators and
cross-references land where they say (EPUBCheck and Ace clean); on the web as links to
the places. Bad index.toml entries and marks are located errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import html as lxml_html

from conftest import MINI, NS, REPO, EpubView, PdfView, cli, squash
from helpers import build_both_layouts, error_lines, line_of

FIXTURE = REPO / "tests" / "fixtures" / "index"
CHAPTERS = ["chapters/shore.md", "chapters/crabs.md", "chapters/index.toml"]
# Each entry the index lists, with the forms its pages must show (index.toml's and the
# marked text); a sub-entry under its entry as "entry / sub".
FORMS = {
    "barnacle": ["barnacle", "barnacles"],
    "limpet": ["limpet", "limpets"],
    "limpet / homing of": ["that makes it easy to count"],
    "hermit crab": ["hermit crab"],
    "hermit crab / shells": ["shell", "shells"],
    "photosynthesis": ["photosynthesis"],  # long: hyphenated at line ends, were it allowed
    "periwinkle": ["periwinkle"],  # in a footnote only
    "Rachel Carson": ["Rachel Carson"],
    "Harbour wall": ["the old harbour wall"],
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def make_project(root: Path) -> Path:
    project = root / "project"
    shutil.copytree(MINI, project)
    for source in (FIXTURE / "chapters").iterdir():
        shutil.copy(source, project / "chapters" / source.name)
    manifest = project / "book.toml"
    manifest.write_text(re.sub(r"^chapters = .*$", "chapters = " + str(CHAPTERS).replace(
        "'", '"'), manifest.read_text("utf-8"), flags=re.M), "utf-8")
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The fixture book built once per layout; the EPUB and web edition come with the
    chunked build."""
    root = tmp_path_factory.mktemp("index")
    project = make_project(root)
    return build_both_layouts(project, root)


def _has(text: str, form: str) -> bool:
    """Whether `form` is used as whole words in a page's text (any line breaks)."""
    words = r"\s+".join(map(re.escape, form.split()))
    return re.search(rf"(?<!\w){words}(?!\w)", text, re.IGNORECASE) is not None


def _index_lines(pdf: PdfView) -> tuple[int, list[str]]:
    """The first page of the index (0-based) and its text lines, through its last page."""
    first = next(i for i, text in enumerate(pdf.texts) if text.lstrip().startswith("Index"))
    lines = []
    for text in pdf.texts[first:]:
        lines += [squash(line) for line in text.splitlines() if line.strip()]
    return first, lines[1:]


def _pages(listed: str) -> list[int]:
    pages = []
    for run in listed.split(","):
        first, _, last = run.strip().partition("\u2013")
        pages += range(int(first), int(last or first) + 1)
    return pages


def _entries(lines: list[str]) -> dict[str, str]:
    """Entry (or "entry / sub") → its page list as printed, from the index's lines (a
    sub-entry follows its entry's line; a run-over line continues the one before)."""
    found: dict[str, str] = {}
    known = {key.split(" / ")[-1]: key for key in FORMS}
    for line in lines:
        match = re.match(r"^(.+?), ([\d\u2013, ]+)(?:;.*)?$", line)
        if match and match.group(1) in known:
            found[known[match.group(1)]] = match.group(2).strip(" ,")
    return found


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_index_pages_hold_their_terms_and_every_page_that_does_is_listed(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    labels = pdf.reader.page_labels
    first, lines = _index_lines(pdf)
    listed = _entries(lines)
    assert set(listed) == set(FORMS), lines
    body = range(3, first)  # past the title page, colophon and contents
    for key, printed in listed.items():
        pages = _pages(printed)
        assert pages == sorted(set(pages)), (key, printed)  # each page once, in order
        holding = {int(labels[i]) for i in body if any(_has(pdf.texts[i], form)
                                                       for form in FORMS[key])}
        if " / " not in key or key.startswith("hermit crab / "):  # forms: every use
            assert set(pages) == holding, (key, printed, sorted(holding))
        else:  # a marked place: its page holds the marked text
            assert set(pages) <= holding, (key, printed, sorted(holding))


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_runs_of_pages_are_merged_with_an_en_dash(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    listed = _entries(_index_lines(pdf)[1])
    assert "\u2013" in listed["barnacle"], listed["barnacle"]
    for printed in listed.values():
        runs = [run.strip() for run in printed.split(",")]
        ends = [(int(r.split("\u2013")[0]), int(r.split("\u2013")[-1])) for r in runs]
        for (_, last), (following, _) in zip(ends, ends[1:], strict=False):
            assert following > last + 1, printed  # adjacent runs would have merged


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_see_references_and_unused_entries(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    lines = _index_lines(pdf)[1]
    text = " ".join(lines)
    assert "sea acorn see barnacle" in text
    assert re.search(r"limpet, [\d\u2013, ]+; see also barnacle", text), text
    assert "seaweed" not in text  # index.toml's entry the text never uses
    letters = [line for line in lines if re.fullmatch(r"[A-Z]", line)]
    assert letters == ["B", "H", "L", "P", "R", "S"], lines


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_index_locators_link_to_the_pages_they_print(built, layout):
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    labels = pdf.reader.page_labels
    first = _index_lines(pdf)[0]
    checked = 0
    for index in range(first, len(pdf.texts)):
        for text, dest in pdf.link_annotations(index):
            if text.strip().isdigit():
                page, _ = pdf.resolve_dest(dest)
                assert labels[page] == text.strip()
                checked += 1
    assert checked >= 8


def _index_doc(epub: EpubView) -> str:
    return next(name for name in epub.spine if epub.tree(name).xpath(
        "//xhtml:section[@epub:type='index']", namespaces=NS))


def test_epub_index_follows_epub_indexes(built):
    epub = EpubView(built["chunked"] / "tide-pools.epub")
    name = _index_doc(epub)
    doc = epub.tree(name)
    [index] = doc.xpath("//xhtml:section[@epub:type='index']", namespaces=NS)
    assert index.get("role") == "doc-index"
    groups = index.xpath(".//xhtml:section[@epub:type='index-group']", namespaces=NS)
    assert [squash("".join(g.xpath("xhtml:h2", namespaces=NS)[0].itertext()))
            for g in groups] == ["B", "H", "L", "P", "R", "S"]
    entries = doc.xpath("//xhtml:li[@epub:type='index-entry']", namespaces=NS)
    terms = {}
    for entry in entries:
        own = [t for t in entry.xpath(".//*[@epub:type='index-term']", namespaces=NS)
               if t.getparent() is entry]
        assert len(own) == 1
        terms[squash("".join(own[0].itertext()))] = entry
    assert {"barnacle", "sea acorn", "limpet", "homing of", "hermit crab", "shells",
            "Rachel Carson", "Harbour wall", "photosynthesis", "periwinkle"} == set(terms)
    sub_list = terms["limpet"].xpath("xhtml:ul", namespaces=NS)[0]
    assert sub_list.get(EPUB_TYPE) == "index-entry-list"
    checked = 0
    for entry_name, entry in terms.items():
        key = next(k for k in FORMS if k.split(" / ")[-1] == entry_name) \
            if entry_name != "sea acorn" else None
        for locator in entry.xpath("xhtml:a[@epub:type='index-locator']", namespaces=NS):
            href = locator.get("href")
            target_doc = epub.join(name, href)
            fragment = unquote(urlsplit(href).fragment)
            target = epub.tree(target_doc).xpath(f"//*[@id='{fragment}']")
            assert len(target) == 1, href
            assert key and any(_has("".join(target[0].itertext()), f) for f in FORMS[key])
            checked += 1
    assert checked >= 8
    see = terms["sea acorn"].xpath(".//xhtml:a[@epub:type='index-xref-preferred']",
                                   namespaces=NS)
    also = terms["limpet"].xpath("xhtml:span/xhtml:a[@epub:type='index-xref-related']",
                                 namespaces=NS)
    for xref in see + also:
        assert xref.get("href") == "#" + terms["barnacle"].get("id")
        assert xref.xpath("xhtml:span/@epub:type", namespaces=NS) == ["index-term"]
    assert len(see) == len(also) == 1


def test_epub_landmarks_name_the_index(built):
    epub = EpubView(built["chunked"] / "tide-pools.epub")
    nav = epub.tree(epub.nav_name)
    landmarks = nav.xpath("//xhtml:nav[@epub:type='landmarks']//xhtml:a[@epub:type='index']",
                          namespaces=NS)
    assert len(landmarks) == 1 and landmarks[0].text == "Index"
    assert epub.join(epub.nav_name, landmarks[0].get("href")) == _index_doc(epub)


def test_epub_passes_epubcheck_and_ace(built, tmp_path):
    result = cli(["verify", str(built["chunked"] / "tide-pools.epub")])
    assert result.returncode == 0, result.stdout + result.stderr
    from test_ace import run_ace, violations

    report = run_ace(built["chunked"] / "tide-pools.epub", tmp_path)
    assert report["earl:result"]["earl:outcome"] == "pass", violations(report)


def test_web_index_links_to_the_places(built):
    web = built["chunked"] / "tide-pools-web"
    page = lxml_html.parse(str(web / "chapters.index.html")).getroot()
    assert page.xpath("//nav[@class='site-nav']/a[@href='chapters.index.html']")  # navigation
    links = page.xpath("//section[@role='doc-index']//a[contains(@class, 'use-ref')]")
    assert len(links) >= 8
    for link in links:
        parts = urlsplit(link.get("href"))
        target = lxml_html.parse(str(web / parts.path)).getroot()
        found = target.xpath(f"//*[@id='{unquote(parts.fragment)}']")
        assert len(found) == 1, link.get("href")
        title = target.xpath("//section[@data-short-title]/@data-short-title")[0]
        assert link.text_content() == title
    barnacle = page.xpath("//li[span[normalize-space()='barnacle']]/a")
    assert [a.text_content() for a in barnacle] == ["Upper shore"]  # a chapter once


@pytest.mark.parametrize(("change", "expected"), [
    (('term = "hermit crab"', 'term = "barnacle"'),
     "{toml}:{second}: the index entry 'barnacle' is listed twice (first at line {first}) "
     "(merge the two entries)"),
    (('see = ["barnacle"]', 'see = ["barnacles!"]'),
     "{toml}:{see}: the index entry 'sea acorn' refers to 'barnacles!', which is no entry "
     "of the index (did you mean 'barnacle'?)"),
    (('see = ["barnacle"]', 'see = ["barnacle"]\nsee-also = ["limpet"]'),
     "{toml}:{see}: the index entry 'sea acorn' says 'see' and also lists pages ('also', "
     "'sub' or 'see-also') (an entry either sends the reader elsewhere or lists pages)"),
    (('also = ["limpets"]', 'also = ["barnacles"]'),
     "{toml}:{limpet}: 'barnacles' is already a form of the index entry 'barnacle' (line "
     "{first}) (a form names one entry; remove it from one of them)"),
])
def test_bad_index_toml_is_a_located_error(tmp_path, change, expected):
    """Each at the entry's [[entries]] line (a form's: the entry that repeats it)."""
    project = make_project(tmp_path)
    toml = project / "chapters" / "index.toml"
    before = toml.read_text("utf-8")

    def entry(term: str) -> int:
        return before.splitlines().index(f'term = "{term}"')  # its header, the line before

    places = {"toml": "chapters/index.toml", "first": entry("barnacle"),
              "see": entry("sea acorn"), "limpet": entry("limpet"),
              "second": entry("hermit crab")}
    toml.write_text(before.replace(*change), "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == ["error: " + expected.format(**places)]


def test_a_mark_under_a_see_entry_is_a_located_error(tmp_path):
    project = make_project(tmp_path)
    shore = project / "chapters" / "shore.md"
    shore.write_text(shore.read_text("utf-8").replace("[Rachel Carson]{.index}",
                                                      "[Rachel Carson]{index=\"sea acorn\"}"))
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2
    toml = (project / "chapters" / "index.toml").read_text("utf-8").splitlines()
    header = toml.index('term = "sea acorn"')  # the [[entries]] line before it
    assert error_lines(result.stderr) == [
        f"error: chapters/shore.md:{line_of(shore, 'Rachel Carson')}: 'sea acorn' is a 'see' "
        f"entry of the index (chapters/index.toml:{header}) (mark it under 'barnacle')"]


@pytest.mark.parametrize("layout", ["chunked", "single"])
def test_no_indexed_name_is_hyphenated_in_print(built, layout):
    """Print sets every use of an index form (and the index) without hyphenation."""
    pdf = PdfView(built[layout] / "tide-pools.pdf")
    forms = {form for key, values in FORMS.items() if " / " not in key for form in values}
    broken = []
    for text in pdf.texts:
        lines = text.splitlines()
        for line, following in zip(lines, lines[1:], strict=False):
            tail = re.search(r"(\w+)-$", line.rstrip())
            head = re.match(r"\s*(\w+)", following)
            if tail and head and any(
                    (tail[1] + head[1]).lower() in form.lower().replace(" ", "")
                    or form.lower().startswith(tail[1].lower()) for form in forms):
                broken.append((line, following))
    assert not broken, broken


def test_an_index_with_neither_entries_nor_marks_is_a_located_error(tmp_path):
    project = make_project(tmp_path)
    (project / "chapters" / "index.toml").write_text('kind = "index"\ntitle = "Index"\n')
    for name in ("shore.md", "crabs.md"):
        chapter = project / "chapters" / name
        chapter.write_text(re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1",
                                  chapter.read_text("utf-8")), "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "error: chapters/index.toml:1: the index has no entries (list [[entries]] in it or "
        "mark places in the text with [text]{.index})"]


def test_a_mark_without_an_index_page_is_a_warning(tmp_path):
    project = make_project(tmp_path)
    manifest = project / "book.toml"
    manifest.write_text(manifest.read_text("utf-8").replace(', "chapters/index.toml"', ""),
                        "utf-8")
    (project / "chapters" / "index.toml").unlink()
    shore = project / "chapters" / "shore.md"
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 0, result.stderr
    assert (f"warning: chapters/shore.md:{line_of(shore, 'Rachel Carson')}: 'Rachel Carson' is "
            "marked for the index, but the book has no index page") in result.stderr


FA_BOOK = REPO / "tests" / "fixtures" / "mixed" / "fa-en"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def test_page_lists_are_in_the_books_digits_in_both_layouts(tmp_path):
    """A Persian book prints its index's pages in Persian digits, as its folios, whether
    the single-document layout or the chunked one wrote them (ranges.numeral)."""
    project = tmp_path / "fa"
    shutil.copytree(FA_BOOK, project)
    (project / "chapters" / "index.toml").write_text(
        'kind = "index"\ntitle = "نمایه"\n\n[[entries]]\nterm = "صدف"\n\n'
        '[[entries]]\nterm = "خرچنگ"\n', "utf-8")
    manifest = project / "book.toml"
    manifest.write_text(manifest.read_text("utf-8").replace(
        '"chapters/two.md"]', '"chapters/two.md", "chapters/index.toml"]'), "utf-8")
    for layout in ("single", "chunked"):
        out = tmp_path / layout
        result = cli(["build", str(project), "--out", str(out), "--layout", layout,
                      "--format", "pdf", "--quiet"])
        assert result.returncode == 0, result.stderr
        pdf = PdfView(out / "mixed-fa-en.pdf")
        index = [text for text in pdf.texts if "نمایه" in text][-1]  # after the contents
        assert "صدف" in index and "خرچنگ" in index, index
        assert "\u2013" in index, index  # the terms' pages run on: a range, filled by ranges.py
        assert not re.search(r"[0-9]", index), (layout, index)
        assert set(PERSIAN_DIGITS) & set(index), (layout, index)


def test_an_entry_the_text_never_uses_is_a_located_warning(tmp_path):
    project = make_project(tmp_path)
    index = project / "chapters" / "index.toml"
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert result.returncode == 0, result.stderr
    unused = [line for line in result.stderr.splitlines() if "left out" in line]
    line = line_of(index, 'term = "seaweed"') - 1  # its [[entries]], as the index's errors
    assert unused == [f"warning: chapters/index.toml:{line}: "
                      "the index entry 'seaweed' is left out: the text never uses it (check "
                      "its term and 'also' forms against the text)"]


def test_an_index_with_nothing_to_list_is_left_out_of_every_edition(tmp_path):
    """Entries the text never uses and a "see" to one of them: no edition has an index
    (an EPUB index without entries fails EPUBCheck), and one warning says why."""
    project = make_project(tmp_path)
    (project / "chapters" / "index.toml").write_text(
        'kind = "index"\ntitle = "Index"\n\n[[entries]]\nterm = "seaweed"\n\n'
        '[[entries]]\nterm = "kelp"\nsee = ["seaweed"]\n', "utf-8")
    for name in ("shore.md", "crabs.md"):  # no place marked for the index either
        chapter = project / "chapters" / name
        chapter.write_text(re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1",
                                  chapter.read_text("utf-8")), "utf-8")
    out = tmp_path / "out"
    result = cli(["build", str(project), "--out", str(out)])
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if "index" in line] == [
        "warning: chapters/index.toml:1: the index is left out: the text uses none of its "
        "entries (check the entries' terms and 'also' forms against the text, or mark places "
        "with [text]{.index})"]
    epub = EpubView(out / "tide-pools.epub")
    assert not any(b'epub:type="index"' in epub.zip.read(name) for name in epub.names), epub.names
    verified = cli(["verify", str(out / "tide-pools.epub")])  # EPUBCheck
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert not (out / "tide-pools-web" / "chapters.index.html").exists()
    pdf = PdfView(out / "tide-pools.pdf")
    assert not any(text.lstrip().startswith("Index") for text in pdf.texts)
    assert "Index" not in pdf.texts[[i for i, t in enumerate(pdf.texts) if "Contents" in t][0]]
