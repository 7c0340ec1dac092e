"""Real public books, as their authors wrote them (tests/books/<name>/: excerpts with their
licences and SOURCE.md, Markdown untouched): each builds with exit 0, its EPUB passes
EPUBCheck with no error, every chapter is in the PDF outline, and no text leaves the
page's type area. Each book is built once per session, all at once.

The Chinese (trpl-zh-cn) and Persian (mdlearn-fa) books are held to the same properties,
which hold without CJK and right-to-left support. Issue 20 (languages and scripts) adds:
- trpl-zh-cn: every CJK character drawn with a font that has it (no tofu), and lines
  broken between CJK characters by the rules of Chinese;
- mdlearn-fa: the PDF's paragraphs laid out right to left, `dir="rtl"` on the EPUB's and
  the web edition's root, Persian digits and punctuation mirrored where they should be.
"""

from __future__ import annotations

import dataclasses
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
