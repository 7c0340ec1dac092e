"""Books in two directions (issue 20): an English book with a Persian chapter (front
matter `lang: fa`, `dir: rtl`) and a Persian book with an English chapter (`lang: en`,
`dir: ltr`), tests/fixtures/mixed/, our own text. A chapter's documents carry its
language and direction (EPUB XHTML with lang, xml:lang and dir; its section in the web
page and the print document), its lines, lists and tables run its way, while the pages
(spine direction, running heads, folios) stay the book's. Numbers come in the book's
digits: the Persian book's folios, contents, page references, note numbers and dates in
Persian digits (۱۲۳), the English book's in Western ones; a chapter's own lists count in
its language's. Pages are read back with pypdfium2, EPUBs with EPUBCheck."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2
import pytest
from lxml import etree

from book.options import Edition
from book.pipeline import load_book
from book.render.html import render_print
from book.render.i18n import _strings, numbering_system
from book.render.theme import book_cjk_region, stylesheet, with_numerals
from conftest import REPO, EpubCheckRun, EpubView, cli, epubcheck_summary
from helpers import one_error, run_builds

FIXTURES = REPO / "tests" / "fixtures" / "mixed"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Output folders: 'en-fa' (every edition), 'fa-en' (PDF laid out as one document,
    EPUB) and 'fa-en-chunked' (PDF laid out in chunks, whose page numbers are written by
    the layout, not counted by CSS)."""
    base = tmp_path_factory.mktemp("mixed")
    jobs = {
        "en-fa": ["build", str(FIXTURES / "en-fa"), "--out", str(base / "en-fa")],
        "fa-en": ["build", str(FIXTURES / "fa-en"), "--out", str(base / "fa-en"),
                  "--format", "pdf", "--format", "epub", "--layout", "single"],
        "fa-en-chunked": ["build", str(FIXTURES / "fa-en"), "--out",
                          str(base / "fa-en-chunked"), "--format", "pdf", "--layout",
                          "chunked", "--jobs", "1"],
    }
    run_builds({name: job + ["--quiet"] for name, job in jobs.items()}, at_once=2)
    return {name: base / name for name in jobs}


def _pdf(folder: Path) -> Path:
    return next(folder.glob("*.pdf"))


def _epub(folder: Path) -> EpubView:
    return EpubView(next(folder.glob("*.epub")))


def _lines(page) -> list[tuple[str, float, float]]:
    """(text, left, right) of each line of a pypdfium2 page, top to bottom: pdfium's text
    runs (words, or runs of words) joined while their middles lie within 4pt, the text in
    visual order, run by run, left to right (a run's own text is as pdfium gives it)."""
    textpage = page.get_textpage()
    runs = []
    for index in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(index)
        runs.append(((bottom + top) / 2, left, right,
                     textpage.get_text_bounded(left, bottom, right, top).strip()))
    lines: list[tuple[float, list]] = []
    for run in sorted(runs, key=lambda run: -run[0]):
        if lines and lines[-1][0] - run[0] < 4:
            lines[-1][1].append(run)
        else:
            lines.append((run[0], [run]))
    return [(" ".join(text for _, _, _, text in sorted(line, key=lambda run: run[1])),
             min(run[1] for run in line), max(run[2] for run in line)) for _, line in lines]


def _pages(pdf: Path) -> list[list[tuple[str, float, float]]]:
    document = pypdfium2.PdfDocument(str(pdf))
    return [_lines(page) for page in document]


def _page_with(pages, word: str) -> list[tuple[str, float, float]]:
    """The lines of the first page with `word` (one word: pdfium may give a right-to-left
    page's runs of Latin words in reverse order)."""
    return next(lines for lines in pages if any(word in text for text, *_ in lines))


def _flush(lines, column: tuple[float, float]) -> tuple[int, int]:
    """How many of the lines short of the column (under 0.9 of it) stand against its right
    edge, and how many against its left."""
    left, right = column
    short = [line for line in lines if line[2] - line[1] < 0.9 * (right - left)]
    return (sum(right - line[2] < 3 for line in short), sum(line[1] - left < 3 for line in short))


def _persian(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", PERSIAN_DIGITS))


# --------------------------------------------------------------------------- documents

def test_each_chapter_document_carries_its_language_and_direction(builds):
    english = _epub(builds["en-fa"])
    persian_chapter = english.tree("EPUB/chapters.two.xhtml")
    assert (persian_chapter.get("lang"), persian_chapter.get(XML_LANG),
            persian_chapter.get("dir")) == ("fa", "fa", "rtl")
    body = persian_chapter.find("{http://www.w3.org/1999/xhtml}body")
    assert body.get("dir") == "rtl"
    english_chapter = english.tree("EPUB/chapters.one.xhtml")
    assert (english_chapter.get("lang"), english_chapter.get("dir")) == ("en", None)
    spine = english.opf.find("{http://www.idpf.org/2007/opf}spine")
    assert spine.get("page-progression-direction") in (None, "ltr")  # the book's

    persian = _epub(builds["fa-en"])
    english_chapter = persian.tree("EPUB/chapters.two.xhtml")
    assert (english_chapter.get("lang"), english_chapter.get(XML_LANG),
            english_chapter.get("dir")) == ("en", "en", "ltr")
    assert persian.tree("EPUB/chapters.one.xhtml").get("dir") == "rtl"
    spine = persian.opf.find("{http://www.idpf.org/2007/opf}spine")
    assert spine.get("page-progression-direction") == "rtl"


def test_the_persian_epubs_page_list_names_the_folios_in_persian_digits(builds):
    """The page-list and each page-break marker name the print page as its folio reads
    (۵), while the marker's id keeps ASCII digits."""
    epub = _epub(builds["fa-en"])
    nav = epub.tree("EPUB/nav.xhtml")
    page_list = next(n for n in nav.iter("{http://www.w3.org/1999/xhtml}nav")
                     if n.get("{http://www.idpf.org/2007/ops}type") == "page-list")
    labels = [a.text for a in page_list.iter("{http://www.w3.org/1999/xhtml}a")]
    assert labels and all(re.fullmatch("[۰-۹]+", label) for label in labels), labels
    markers = [span for span in epub.tree("EPUB/chapters.one.xhtml").iter(
        "{http://www.w3.org/1999/xhtml}span") if span.get("role") == "doc-pagebreak"]
    assert markers and all(span.get("aria-label") == _persian(int(span.get("id")[5:]))
                           for span in markers), [m.attrib for m in markers]


def test_the_web_page_marks_the_chapter_section(builds):
    page = (builds["en-fa"] / "mixed-en-fa-web" / "chapters.two.html").read_text("utf-8")
    root = etree.HTML(page)
    assert root.get("lang") == "en"  # the page's navigation speaks the book's language
    section = root.xpath("//section[@id='chapters.two']")[0]
    assert (section.get("lang"), section.get("dir")) == ("fa", "rtl")


def test_epubcheck_passes_both_books(builds, tmp_path):
    run = EpubCheckRun({name: next(builds[name].glob("*.epub")) for name in ("en-fa", "fa-en")},
                       tmp_path)
    for name, report in run.reports().items():
        counts, messages = epubcheck_summary(report)
        assert counts == (0, 0, 0), f"{name}:\n{messages}"


# --------------------------------------------------------------------------- print

def test_the_persian_chapter_is_set_right_to_left_in_an_english_book(builds):
    """Its short lines (title, a paragraph's last line, the line before its list) stand
    against the column's right edge, the English chapter's against the left. Its list
    numbers stand right of their items, in Persian digits, and its table's first column
    is the rightmost."""
    pages = _pages(_pdf(builds["en-fa"]))
    english, persian = _page_with(pages, "twice"), _page_with(pages, "دریاهای")
    column = (min(line[1] for line in english), max(line[2] for line in english))
    right, left = _flush(persian, column)
    assert right >= 3 and left == 0, persian
    right, left = _flush(english, column)
    assert left >= 3 and right == 0, english

    items = [text for text, *_ in persian if "برگردانید" in text or "جلبک" in text]
    assert [text[-1] for text in items] == ["۱", "۲"], items  # rightmost: the number
    header = next(text for text, *_ in persian if "ساکنان" in text)
    assert header.endswith("منطقه"), header  # the first column, rightmost
    assert any(text.startswith("1. Walk") for text, *_ in english)


def test_the_persian_books_numbers_are_in_persian_digits(builds):
    """Folios, contents (a dotted leader from each number to its title, inside the
    column), cross-references in the English chapter (their table's and section's
    numbers and pages), the table's label, the section's number, the note number and the
    colophon's date: Persian digits, in both layouts; the English chapter's own list
    counts 1, 2, 3. Running heads stand as the book's: the chapter's on the left-hand
    page (a right-to-left book's recto), the book's title on the right."""
    for name in ("fa-en", "fa-en-chunked"):
        pages = _pages(_pdf(builds[name]))
        folios = {number: lines[-1][0] for number, lines in enumerate(pages, start=1)
                  if lines and re.fullmatch(r"[0-9۰-۹]+", lines[-1][0])}
        assert len(folios) >= 2, (name, folios)
        assert all(text == _persian(number) for number, text in folios.items()), folios
        for number in folios:  # page 1 is a left-hand page: odd pages are on the left
            head, left, right = pages[number - 1][0]
            assert (head, left < 100, right > 300) == (
                ("جنوب", True, False) if number % 2 else ("دو ساحل", False, True)), number
        contents = _page_with(pages, "Northern")  # number, dotted leader, title
        assert len(contents) == 4 and all(re.match(r"[۰-۹]+( \.){10,} \S", text)
                                          for text, *_ in contents[1:]), contents
        chapter = _page_with(pages, "twice")
        reference = next(text for text, *_ in chapter if "صفحه" in text)
        assert re.search(r"[۰-۹]+ (، )?ٔ? ?صفحه", reference), reference  # page ۷
        assert not re.search("[0-9]", reference), reference  # "جدول ۱": the table's number
        labelled = [text for lines in pages for text, *_ in lines if "مناطق" in text]
        assert len(labelled) == 2, labelled  # the section's heading (۱.۱), the table's label
        assert all("۱" in text and not re.search("[0-9]", text) for text in labelled), labelled
        assert any(text.startswith("1. ") for text, *_ in chapter)
        colophon = " ".join(text for text, *_ in _page_with(pages, "Press"))
        assert "۲۰۲۳" in colophon and "2023" not in colophon, colophon
        opening = _page_with(pages, "دریاهای")
        assert opening[-1][0].endswith("۱"), opening[-1]  # the footnote's number


def test_the_english_chapter_of_the_persian_book_is_hyphenated(builds):
    """Persian has no hyphenation patterns, so the Persian book is set without; its
    English chapter (`lang: en`) is hyphenated with the English ones ("nei-ther")."""
    document = pypdfium2.PdfDocument(str(_pdf(builds["fa-en"])))
    texts = [page.get_textpage().get_text_range() for page in document]
    english = next(text for text in texts if "twice" in text)
    assert re.search("[\ufffe\x02]", english), english  # pdfium's mark of a line-end hyphen
    assert not any(re.search("[\ufffe\x02]", text) for text in texts if "دریاهای" in text)


def test_the_english_book_keeps_western_digits(builds):
    pages = _pages(_pdf(builds["en-fa"]))
    contents = _page_with(pages, "Contents")
    assert [text.split()[-1] for text, *_ in contents[1:]] == ["5", "7", "9"]
    chapter = " ".join(text for text, *_ in _page_with(pages, "twice"))
    assert re.search(r"page 7", chapter), chapter
    colophon = " ".join(text for text, *_ in _page_with(pages, "Press."))
    assert "November 14, 2023" in colophon


# --------------------------------------------------------------------------- input

@pytest.mark.parametrize("front, message", [
    ("dir: up", "front matter 'dir' must be 'rtl' or 'ltr', not 'up'"),
    ("lang: 12", "front matter 'lang' must be a string"),
    ("lang: persian language", "front matter 'lang' must be a BCP 47 language tag"),
])
def test_a_bad_dir_or_lang_is_a_located_error(tmp_path, front, message):
    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "en-fa", project)
    chapter = project / "chapters" / "two.md"
    key = front.split(":")[0]
    text = re.sub(rf"^{key}: .*$", front, chapter.read_text("utf-8"), flags=re.M)
    chapter.write_text(text, "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "epub"])
    assert result.returncode == 2, result.stderr
    line = text.splitlines().index(front) + 1
    assert one_error(result.stderr).startswith(f"error: chapters/two.md:{line}: {message}")


def test_a_bad_numerals_value_is_a_located_error(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "fa-en", project)
    manifest = project / "book.toml"
    manifest.write_text(manifest.read_text("utf-8").replace(
        'language = "fa"\n', 'language = "fa"\nnumerals = "arabic"\n'), "utf-8")
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "epub"])
    assert result.returncode == 2
    assert one_error(result.stderr) == \
        "error: book.toml:4: 'numerals' must be one of: native, latin"


def test_book_check_spells_each_chapter_in_its_language(tmp_path):
    """A Persian chapter of an English book is not read against the English dictionary
    (one warning, at its `lang`: no Persian dictionary is installed); an English chapter
    of a Persian book is read against the English one."""
    result = cli(["check", str(FIXTURES / "en-fa")])
    warnings = [line for line in result.stdout.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and warnings[0].startswith("chapters/two.md:4:"), result.stdout
    assert "no spelling dictionary is installed for language 'fa'" in warnings[0]

    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "fa-en", project)
    chapter = project / "chapters" / "two.md"
    chapter.write_text(chapter.read_text("utf-8").replace("limpet", "limpett"), "utf-8")
    result = cli(["check", str(project)])
    assert "chapters/two.md:10:" in result.stdout and \
        "'limpett' is not in the en" in result.stdout, result.stdout


# --------------------------------------------------------------------------- units

@pytest.mark.parametrize("tag, numerals, system", [
    ("fa", "", "arabext"), ("fa", "latin", "latn"), ("ar", "", "latn"),
    ("ar", "native", "arab"), ("ar-EG", "", "arab"), ("ur", "native", "arabext"),
    ("en", "native", "latn"), ("fr", "", "latn"), ("bn", "", "beng")])
def test_numerals_default_to_cldr_and_follow_book_toml(tag, numerals, system):
    assert numbering_system(tag, numerals) == system


def test_numbers_dates_and_labels_go_through_one_helper():
    persian, egyptian, french = _strings("fa", (), ""), _strings("ar-EG", (), ""), \
        _strings("fr", (), "")
    assert persian.number(1234.5) == "۱٬۲۳۴٫۵"
    assert persian.number("3.2") == "۳.۲"  # a figure label
    assert persian.number("1bc5e99") == "1bc5e99"  # no number: as it is
    assert persian.date("2023-09-19") == "۱۹ سپتامبر ۲۰۲۳"
    assert egyptian.number(7) == "٧"
    assert french.number(1234.5) == "1\u202f234,5" and french.date("2023-09-19") == \
        "19 septembre 2023"
    assert persian.words("page-count", "%(title)s", title="1984") == "1984"  # a title stays


def test_counters_take_the_books_numerals():
    css = ('@page { @bottom-center { content: counter(page); } }\n'
           'a::after { content: attr(data-page-ref) target-counter(attr(href url), page); }\n'
           'b::after { content: counters(item, ", ") counter(page, lower-roman); }')
    assert with_numerals(css, "persian") == (
        '@page { @bottom-center { content: counter(page, persian); } }\n'
        'a::after { content: attr(data-page-ref) target-counter(attr(href url), page, '
        'persian); }\n'
        'b::after { content: counters(item, ", ", persian) counter(page, lower-roman); }')
    assert with_numerals(css, "decimal") == css


def test_latin_numerals_and_chapter_hyphenation_in_the_theme(tmp_path):
    """book.toml's `numerals = "latin"` leaves a Persian book's counters decimal; a
    chapter's language picks its hyphenation (none for Persian, US patterns for `en`)."""
    persian = load_book(FIXTURES / "fa-en", Edition("", 1700000000))
    css = stylesheet("print", persian)
    assert "counter(page, persian)" in css and "ol { list-style-type: persian; }" in css
    assert '[lang="en"] { -weasy-lang: "en_US" !important; hyphens: auto; }' in css
    assert '[lang="en"] ol { list-style-type: decimal; }' in css
    english = load_book(FIXTURES / "en-fa", Edition("", 1700000000))
    css = stylesheet("print", english)
    assert '[lang="fa"] { hyphens: manual; }' in css
    assert "counter(page)" in css and "break-before: recto" not in css

    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "fa-en", project)
    manifest = project / "book.toml"
    manifest.write_text(manifest.read_text("utf-8").replace(
        'language = "fa"', 'language = "fa"\nnumerals = "latin"'), "utf-8")
    latin = load_book(project, Edition("", 1700000000))
    css = stylesheet("print", latin)
    assert "persian" not in css and "counter(page)" in css


def test_a_japanese_chapter_gets_the_japanese_face(tmp_path):
    """An English book with a chapter in Japanese (`lang: ja`) sets CJK text in Noto CJK
    JP (its kanji differ from the Chinese forms the SC face draws), and the chapter's
    section carries lang="ja", which cjk.css's :lang(ja) rules follow."""
    project = tmp_path / "book"
    shutil.copytree(FIXTURES / "en-fa", project)
    (project / "chapters" / "two.md").write_text(
        "---\ntitle: 潮だまり\nlang: ja\n---\n\n潮が引くと、岩の上に小さな海が残る。\n\n"
        "| 帯 | 時間 |\n|---|---|\n| 上 | 八時間 |\n\n: 帯 {#tbl-zones}\n", "utf-8")
    book = load_book(project, Edition("", 1700000000))
    assert book_cjk_region(book) == "JP"
    assert '"Source Serif Pro", "Noto Serif CJK JP"' in stylesheet("print", book)
    assert '<section class="chapter" id="chapters.two" lang="ja" role=' in \
        render_print(book).html

