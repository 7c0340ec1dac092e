"""No holes: every body page of the PDF is filled to at least 85 % of its text block, but a
chapter's last page. Fill is measured from the PDF itself: the lowest text or image object
inside the text block (A5, margins 18 mm top and 20 mm bottom, as print.css sets them),
on the explainer and on a generated book with many figures of every shape, laid out as one
document and in chunks. And no chapter ends on a page of one or two lines (generated books
of text alone), nor does one break words badly at a page's foot."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from pdflines import body_lines
from PIL import Image

from conftest import REPO
from helpers import run_builds

sys.path.insert(0, str(REPO / "bench"))
from make_large import image, paragraph, sentence  # noqa: E402

MIN_FILL = 0.85
MM = 72 / 25.4
TOP_MARGIN, BOTTOM_MARGIN = 18 * MM, 20 * MM


def fills(pdf: Path) -> list[float | None]:
    """Each page's fill of its text block from 0 to 1; None for a page with nothing in it."""
    document = pdfium.PdfDocument(pdf)
    result: list[float | None] = []
    for page in document:
        height = page.get_height()
        top, bottom = height - TOP_MARGIN, BOTTOM_MARGIN
        lowest = None
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_TEXT,
                                            pdfium_c.FPDF_PAGEOBJ_IMAGE), max_depth=5):
            _, low, _, high = obj.get_bounds()
            if low >= bottom - 1 and high <= top + 1:  # in the text block, not a folio or head
                lowest = low if lowest is None else min(lowest, low)
        result.append(None if lowest is None else (top - lowest) / (top - bottom))
    return result


def chapter_starts(pdf: Path) -> set[int]:
    """Page indexes where the outline's top-level entries (chapters, back matter) open."""
    document = pdfium.PdfDocument(pdf)
    starts = set()
    for item in document.get_toc():
        dest = item.get_dest()
        if item.level == 0 and dest is not None and dest.get_index() is not None:
            starts.add(dest.get_index())
    return starts


def short_body_pages(pdf: Path) -> list[tuple[int, float]]:
    """(page number, fill) of the body pages under MIN_FILL that do not end a chapter."""
    measured, starts = fills(pdf), chapter_starts(pdf)
    first = min(starts)
    short = []
    for index in range(first, len(measured) - 1):
        fill, following = measured[index], measured[index + 1]
        ends_chapter = index + 1 in starts or following is None or (
            index + 2 in starts and measured[index + 1] is None)
        if fill is not None and not ends_chapter and fill < MIN_FILL:
            short.append((index + 1, round(fill, 2)))
    return short


def figures_book(root: Path, chapters: int = 4, per_chapter: int = 7, seed: int = 3) -> Path:
    """A book whose chapters call many figures (wide, square and tall), tables and text
    between them: the floats WeasyPrint would leave holes before."""
    rng = random.Random(seed)
    (root / "chapters").mkdir(parents=True)
    (root / "assets" / "photos").mkdir(parents=True)
    photos, names = [], []
    for n in range(1, chapters + 1):
        body = [f"---\ntitle: \"Chapter {n}\"\nshort_title: Chapter {n}\n---\n"]
        for f in range(per_chapter):
            body.append(paragraph(rng, rng.randint(60, 180)))
            if f % 3 == 2:
                body.append(f"## Section {n}.{f}")
            name = f"photo-{n}-{f}"
            shape = rng.choice([(1600, 1067), (1200, 1200), (1000, 1500)])
            image(root / "assets" / "photos" / f"{name}.png", n * 10 + f)
            with Image.open(root / "assets" / "photos" / f"{name}.png") as picture:
                picture.resize(shape).save(root / "assets" / "photos" / f"{name}.png")
            photos.append(f'[{name}]\nfile = "photos/{name}.png"\ncaption = "{sentence(rng)}"\n'
                          f'credit = "Generated"\nalt = "Generated panel."\nlicence = "own"\n')
            body.append(f"![](photo:{name})")
            if rng.random() < 0.3:
                body.append("| Year | Event |\n|---|---|\n" + "\n".join(
                    f"| {1900 + i} | {sentence(rng)} |" for i in range(rng.randint(4, 9))))
        body.append(paragraph(rng, 200))
        names.append(f"chapters/{n:02d}.md")
        (root / names[-1]).write_text("\n\n".join(body) + "\n", "utf-8")
    (root / "assets" / "photos.toml").write_text("\n".join(photos), "utf-8")
    return _book_toml(root, "Figures Everywhere", "figures", 17, names)


def _book_toml(root: Path, title: str, slug: str, number: int, names: list[str]) -> Path:
    """Write a generated book's book.toml, its chapters `names` in order; give `root`."""
    listed = "".join(f'  "{name}",\n' for name in names)
    (root / "book.toml").write_text(f'''title = "{title}"
language = "en"
slug = "{slug}"
publisher = "Test Press"
rights = "Generated text for tests"
identifier = "urn:uuid:00000000-0000-4000-8000-0000000000{number:02d}"
date = "2026-01-01"
chapters = [
{listed}]

[[contributors]]
name = "Test Generator"
role = "author"
''', "utf-8")
    return root


def text_book(root: Path, chapters: int = 6, seed: int = 3) -> Path:
    """A book of text alone, chapters of 8 to 14 paragraphs. Laid out as it comes, its
    fourth chapter ends on a page of two lines, after a full page of paragraphs whose last
    lines are short."""
    rng = random.Random(seed)
    (root / "chapters").mkdir(parents=True)
    names = []
    for n in range(1, chapters + 1):
        body = [f"---\ntitle: \"Chapter {n}\"\n---\n"]
        body += [paragraph(rng, rng.randint(30, 150)) for _ in range(rng.randint(8, 14))]
        names.append(f"chapters/{n:02d}.md")
        (root / names[-1]).write_text("\n\n".join(body) + "\n", "utf-8")
    return _book_toml(root, "Leftovers", "leftovers", 18, names)


def long_table_book(root: Path) -> Path:
    """A chapter whose table of 90 rows, taller than a page, is called half-way down a
    page, between paragraphs."""
    rng = random.Random(5)
    (root / "chapters").mkdir(parents=True)
    rows = "".join(f"| row {n} | the value of row {n} |\n" for n in range(1, 91))
    body = ['---\ntitle: "Long Table"\n---\n',
            *(paragraph(rng, 60) for _ in range(3)),
            "The table of values follows.\n\n| Row | Value |\n|---|---|\n" + rows,
            "The text after the table.", *(paragraph(rng, 60) for _ in range(3))]
    (root / "chapters" / "01.md").write_text("\n\n".join(body), "utf-8")
    rows = "".join(f"| line {n} | the value of line {n} |\n" for n in range(1, 25))
    body = ['---\ntitle: "Half a Page"\n---\n', *(paragraph(rng, 60) for _ in range(4)),
            "The second table follows.\n\n| Line | Value |\n|---|---|\n" + rows,
            "The text after the second table.", *(paragraph(rng, 60) for _ in range(3))]
    (root / "chapters" / "02.md").write_text("\n\n".join(body), "utf-8")
    return _book_toml(root, "Long Table", "long-table", 19, ["chapters/01.md", "chapters/02.md"])


def chapter_ends(pdf: Path) -> list[tuple[int, int]]:
    """(page number, lines of running text on it) of the last page of every part of the
    book (outline entry) that runs over more than one page."""
    lines, starts = body_lines(pdf), sorted(chapter_starts(pdf))
    ends = []
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        pages = [index for index in range(start, end) if lines[index]]
        if len(pages) > 1:
            ends.append((pages[-1] + 1, len(lines[pages[-1]])))
    return ends


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """PDF and project of generated books: text_book's seed 3 laid out as one document
    ("single") and in chunks ("chunked"), its seed 4 as one document ("loose"),
    figures_book's seed 4 as one document ("figures") and long_table_book in chunks
    ("table")."""
    base = tmp_path_factory.mktemp("generated")
    projects = {"text-3": text_book(base / "text-3", seed=3),
                "text-4": text_book(base / "text-4", seed=4),
                "figures-4": figures_book(base / "figures-4", seed=4),
                "long-table": long_table_book(base / "long-table")}
    books = {"single": ("text-3", "single"), "chunked": ("text-3", "chunked"),
             "loose": ("text-4", "single"), "figures": ("figures-4", "single"),
             "table": ("long-table", "chunked")}
    run_builds({name: ["build", str(projects[book]), "--out", str(base / name), "--format",
                       "pdf", "--layout", layout, "--quiet"]
                for name, (book, layout) in books.items()}, 2)
    return {name: (next((base / name).glob("*.pdf")), projects[book])
            for name, (book, _) in books.items()}


def test_holes_are_judged_by_the_ink(generated):
    """The layout measures boxes, which reach a little lower than the ink a reader sees:
    figures_book's seed 4 had two pages filled to 84.9 and 84.6 % of their ink that the
    layout took for full."""
    assert short_body_pages(generated["figures"][0]) == []


@pytest.mark.parametrize("layout", ["single", "chunked"])
def test_no_chapter_ends_in_a_line_or_two(generated, layout):
    """Seed 3's fourth chapter ended on a page of two lines after a page of paragraphs with
    short last lines: two are set closer and the page is gone."""
    ends = chapter_ends(generated[layout][0])
    assert len(ends) == 6  # every chapter runs over pages
    assert [(page, lines) for page, lines in ends if lines <= 2] == []
    assert ends == chapter_ends(generated["single"][0])


def test_a_chapter_too_tight_to_pull_back_carries_more(generated):
    """Seed 4's sixth chapter ended on a page of two lines that no paragraph could take
    back: one whose last line is nearly full is set looser, and the page holds three."""
    ends = chapter_ends(generated["loose"][0])
    assert len(ends) == 6
    assert [(page, lines) for page, lines in ends if lines <= 2] == []


def test_a_book_of_text_breaks_no_word_across_a_page_and_few_in_a_row(generated):
    """Laid out as it comes, 24 of seed 4's paragraphs break a word at a page's foot or
    hyphenate three lines running; 16 such faults were left in its PDF while weasy.relaid
    made again only the pages up to the first that ended as it did."""
    from test_typesetting import hyphenation_faults

    assert hyphenation_faults(*generated["loose"]) == []


def test_a_table_taller_than_a_page_starts_where_it_is_called(generated):
    """`break-inside: avoid` sent a table taller than a page to the next page, where it
    broke anyway, after a hole; deferring it as a float then walked it and the tables after
    it past all the text of TRPL's operators appendix, a layout round a step (13 rounds).
    Such a table is no float: it starts under the paragraph that calls it, as LaTeX's
    longtable does."""
    pdf = generated["table"][0]
    pages = [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf)]
    called = next(i for i, text in enumerate(pages) if "The table of values follows." in text)
    assert "row 1 " in pages[called].replace("\r\n", " ") + " "
    text = " ".join(pages).replace("\r\n", " ")
    assert text.index("row 90") < text.index("The text after the table.")
    assert short_body_pages(pdf) == []


def test_a_table_taller_than_half_a_page_breaks_where_it_is_called(generated):
    """A table of 24 lines called low on a page: kept whole, it would leave a hole or be
    deferred past the text after it; taller than half the text block, it breaks where it
    is called, as a printed reference book sets it."""
    pages = [page.get_textpage().get_text_range().replace("\r\n", " ") + " "
             for page in pdfium.PdfDocument(generated["table"][0])]
    called = next(i for i, text in enumerate(pages) if "The second table follows." in text)
    assert "line 1 " in pages[called] and "line 24 " not in pages[called]
    assert "line 24 " in pages[called + 1]
    assert "The text after the second table." in pages[called + 1]


def test_explainer_has_no_holes(explainer_build):
    assert short_body_pages(explainer_build.pdf) == []


@pytest.mark.parametrize("layout", ["single", "chunked"])
def test_a_book_of_figures_has_no_holes(figures_builds, layout):
    pdf = figures_builds[layout].pdf
    assert len(fills(pdf)) > 20  # long enough to have figures fall at page ends
    assert short_body_pages(pdf) == []
