"""Real public books, as their authors wrote them (tests/books/<name>/: excerpts with their
licences and SOURCE.md, Markdown untouched): each builds with exit 0, its EPUB passes
EPUBCheck with no error, every chapter is in the PDF outline, and no text leaves the
page's type area. Each book is built once per session, all at once.

The Chinese (trpl-zh-cn) and Persian (mdlearn-fa) books are held to the same properties,
and to those of their scripts (issue 20):
- trpl-zh-cn: every CJK character drawn with a glyph of the Noto CJK SC faces (no tofu,
  no machine font), and no line of the PDF opening with closing punctuation or ending
  with opening punctuation (the line-breaking rules of Chinese);
- mdlearn-fa: the PDF's paragraphs laid out right to left (their short last lines flush
  right) with /Direction /R2L, `dir="rtl"` on every EPUB document and the spine's
  page-progression-direction="rtl" (the web edition's root: tests/test_scripts.py).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from conftest import REPO, EpubCheckRun, EpubView, PdfView, cli, epubcheck_summary

BOOKS = REPO / "tests" / "books"
NAMES = ("rbe", "halo2-book", "trpl-zh-cn", "mdlearn-fa")
MM = 72 / 25.4
# The print page's type area is inside 16–18 mm side margins and an 18 mm head; running
# heads and folios sit in the margins but well inside these bounds. Text past them spilled.
SIDE_LIMIT_MM, HEAD_LIMIT_MM = 12, 6


@dataclasses.dataclass
class RealBuild:
    name: str
    project: Path
    out: Path
    code: int
    stderr: str
    chapters: list[str]

    def edition(self, suffix: str) -> Path:
        return next(self.out.glob(f"*{suffix}"))


@dataclasses.dataclass
class RealBooks:
    builds: dict[str, RealBuild]
    epubcheck: EpubCheckRun | None


@pytest.fixture(scope="session")
def real_books(tmp_path_factory) -> RealBooks:
    """Every book built into its own folder (two at a time: each build lays out in
    parallel already), then EPUBCheck started on every EPUB in one JVM."""
    base = tmp_path_factory.mktemp("real-books")
    builds: dict[str, RealBuild] = {}
    for pair in (NAMES[:2], NAMES[2:]):
        procs = {name: cli(["build", str(BOOKS / name), "--out", str(base / name),
                            "--format", "pdf", "--format", "epub", "--quiet"], wait=False)
                 for name in pair}
        for name, proc in procs.items():
            _, stderr = proc.communicate(timeout=600)
            chapters = tomllib.loads((BOOKS / name / "book.toml").read_text("utf-8"))["chapters"]
            builds[name] = RealBuild(name, BOOKS / name, base / name, proc.returncode, stderr,
                                     chapters)
    epubs = {name: b.edition(".epub") for name, b in builds.items()
             if b.code == 0 and list(b.out.glob("*.epub"))}
    return RealBooks(builds, EpubCheckRun(epubs, base / "epubcheck") if epubs else None)


def built(real_books: RealBooks, name: str) -> RealBuild:
    build = real_books.builds[name]
    assert build.code == 0, f"{name} did not build (exit {build.code}):\n{build.stderr}"
    assert "Traceback" not in build.stderr, build.stderr
    return build


@pytest.mark.parametrize("name", NAMES)
def test_real_book_builds_unchanged(real_books, name):
    build = built(real_books, name)
    assert build.edition(".pdf").stat().st_size > 0
    assert build.edition(".epub").stat().st_size > 0


@pytest.mark.parametrize("name", NAMES)
def test_real_book_epub_passes_epubcheck(real_books, name):
    built(real_books, name)
    assert real_books.epubcheck is not None
    (fatals, errors, _), text = epubcheck_summary(real_books.epubcheck.reports()[name])
    assert (fatals, errors) == (0, 0), text


@pytest.mark.parametrize("name", NAMES)
def test_every_chapter_is_in_the_pdf_outline(real_books, name):
    build = built(real_books, name)
    epub = EpubView(build.edition(".epub"))
    chapter_docs = epub.chapter_docs()
    assert len(chapter_docs) == len(build.chapters)
    titles = [epub.h1_texts(doc)[0] for doc in chapter_docs]
    pdf = PdfView(build.edition(".pdf"))
    outline = [title for depth, title, _ in pdf.outline() if depth == 0]
    missing = [t for t in titles if not any(_same(t, o) for o in outline)]
    assert not missing, f"chapters missing from the outline: {missing}\noutline: {outline}"


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@pytest.mark.parametrize("name", NAMES)
def test_no_text_leaves_the_type_area(real_books, name):
    """Every drawn character's box lies inside the page, clear of its outer margin band:
    a code line, URL or table too wide for the column would reach past it."""
    import pypdfium2

    build = built(real_books, name)
    pdf = pypdfium2.PdfDocument(str(build.edition(".pdf")))
    spilled = []
    for index in range(len(pdf)):
        page = pdf[index]
        width, height = page.get_size()
        text = page.get_textpage()
        chars = text.get_text_range()
        for at in range(text.count_chars()):
            if at >= len(chars) or chars[at].isspace():
                continue
            left, bottom, right, top = text.get_charbox(at)
            if (left < SIDE_LIMIT_MM * MM or right > width - SIDE_LIMIT_MM * MM
                    or bottom < HEAD_LIMIT_MM * MM or top > height - HEAD_LIMIT_MM * MM):
                line = text.get_text_bounded(0, bottom - 1, width, top + 1).strip()
                spilled.append(f"page {index + 1}: {chars[at]!r} at x {left:.0f}–{right:.0f} "
                               f"of {width:.0f} pt: {line[:80]!r}")
    assert not spilled, "\n".join(spilled[:20])


def test_long_code_lines_wrap_with_a_mark(real_books):
    """Rust by Example has code lines longer than the print column: they are cut, and each
    continuation starts with the mark; every line of code stays in the column (above)."""
    build = built(real_books, "rbe")
    text = "".join(PdfView(build.edition(".pdf")).texts)
    assert "→" in text


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _drawn_characters(path: Path) -> list[tuple[str, int, str]]:
    """(font's BaseFont, glyph id, text) for every glyph the PDF's ToUnicode maps name,
    over the fonts of its pages (Identity-H: the code is the glyph id; 0 is .notdef)."""
    import pikepdf

    found = []
    with pikepdf.open(path) as pdf:
        fonts = {font.objgen: font for page in pdf.pages
                 for font in page.obj.Resources.get("/Font", {}).values()}
        for font in fonts.values():
            to_unicode = font.get("/ToUnicode")
            if to_unicode is None:
                continue
            for block in re.findall(rb"beginbfchar(.*?)endbfchar", to_unicode.read_bytes(), re.S):
                for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
                    found.append((str(font.BaseFont), int(code, 16),
                                  bytes.fromhex(text.decode()).decode("utf-16-be", "replace")))
    return found


def test_chinese_characters_are_drawn_by_the_simplified_chinese_faces(real_books):
    build = built(real_books, "trpl-zh-cn")
    cjk = [(font, glyph, text) for font, glyph, text in _drawn_characters(
        build.edition(".pdf")) if _CJK.search(text)]
    assert len({text for _, _, text in cjk}) > 300  # the excerpt's hanzi, all of them
    tofu = [text for _, glyph, text in cjk if glyph == 0]
    assert not tofu, f"drawn as .notdef: {tofu}"
    elsewhere = {font for font, _, _ in cjk if not re.search(r"Noto.*CJK.*SC", font)}
    assert not elsewhere, f"CJK characters in fonts other than Noto CJK SC: {elsewhere}"


def test_chinese_lines_break_by_the_rules_of_chinese(real_books):
    """No line starts with a closing mark (，。、；：？！）」』》) or ends with an opening one."""
    import pypdfium2

    build = built(real_books, "trpl-zh-cn")
    pdf = pypdfium2.PdfDocument(str(build.edition(".pdf")))
    lines = [line.strip() for index in range(len(pdf))
             for line in pdf[index].get_textpage().get_text_range().splitlines() if line.strip()]
    assert len(lines) > 200
    opening = [line for line in lines if line[0] in "，。、；：？！）」』》"]
    closing = [line for line in lines if line[-1] in "（「『《"]
    assert not opening and not closing, (opening[:5], closing[:5])


def _line_boxes(page) -> list[tuple[float, float]]:
    """(left, right) of each text line of a pypdfium2 page, lines told apart by baseline."""
    text = page.get_textpage()
    lines: dict[int, list[float]] = {}
    for at in range(text.count_chars()):
        if text.get_text_range(at, 1).isspace():
            continue
        left, bottom, right, _ = text.get_charbox(at)
        box = lines.setdefault(round(bottom), [left, right])
        box[0], box[1] = min(box[0], left), max(box[1], right)
    return [(left, right) for left, right in lines.values()]


def test_persian_paragraphs_are_laid_out_right_to_left(real_books):
    """A paragraph's short last line sits against the right edge of the column, not the
    left; and the PDF tells viewers to lay spreads out from the right."""
    import pikepdf
    import pypdfium2

    build = built(real_books, "mdlearn-fa")
    pdf = pypdfium2.PdfDocument(str(build.edition(".pdf")))
    flush_right = flush_left = 0
    for index in range(4, len(pdf)):  # body pages, after the front matter
        boxes = _line_boxes(pdf[index])
        if len(boxes) < 8:
            continue
        column_left, column_right = min(b[0] for b in boxes), max(b[1] for b in boxes)
        for left, right in boxes:
            if right - left < 0.6 * (column_right - column_left):  # a short line
                flush_right += column_right - right < 3
                flush_left += left - column_left < 3
    assert flush_right > 10 and flush_right > 3 * flush_left, (flush_right, flush_left)
    with pikepdf.open(build.edition(".pdf")) as doc:
        assert doc.Root.ViewerPreferences.Direction == "/R2L"


def test_persian_epub_is_right_to_left(real_books):
    build = built(real_books, "mdlearn-fa")
    epub = EpubView(build.edition(".epub"))
    spine = epub.opf.find("{http://www.idpf.org/2007/opf}spine")
    assert spine.get("page-progression-direction") == "rtl"
    assert all(epub.tree(name).get("dir") == "rtl" for name in epub.xhtml_names)
