"""The chunked layout's cache: an edited chapter is the only one laid out again, and the
rebuilt PDF equals a clean build of the same sources (same text on every page, same outline,
same page count, same links), whether the edit keeps the chapter's length or grows it. A
damaged cache entry is never used, and --clean ignores the cache."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import REPO, PdfView, cli

sys.path.insert(0, str(REPO / "bench"))
from make_large import generate, paragraph  # noqa: E402

CHAPTERS = 8


def laid_out(stderr: str) -> list[tuple[int, int]]:
    """(chunks laid out, chunks in the book) for each layout round the build reported."""
    return [(int(a), int(b)) for a, b in re.findall(r"laid out (\d+) of (\d+) chunks", stderr)]


def build(project: Path, out: Path, *extra: str) -> str:
    result = cli(["build", str(project), "--out", str(out), "--format", "pdf", "--format",
                  "epub", "--layout", "chunked", "--jobs", "2", *extra])
    assert result.returncode == 0, result.stderr
    return result.stderr


def same_pdf(a: Path, b: Path) -> None:
    """What a reader sees: page count, each page's text, the outline and every link."""
    left, right = PdfView(a), PdfView(b)
    assert len(left.texts) == len(right.texts)
    for number, (x, y) in enumerate(zip(left.texts, right.texts, strict=True), start=1):
        assert x == y, f"page {number} differs"
    assert left.outline() == right.outline()
    for page in range(len(left.texts)):
        links = [[(text, view.resolve_dest(dest)) for text, dest in view.link_annotations(page)]
                 for view in (left, right)]
        assert links[0] == links[1]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, Path, str]:
    """A generated book built once, chunked, into its own output folder."""
    root = tmp_path_factory.mktemp("incremental")
    project = root / "book"
    generate(project, CHAPTERS, CHAPTERS * 700)
    out = root / "out"
    return project, out, build(project, out)


def edit(project: Path, grow: bool) -> None:
    """Change the fourth chapter: a few words, or several paragraphs more."""
    path = project / "chapters" / "004-chapter.md"
    text = path.read_text("utf-8")
    if grow:
        import random

        rng = random.Random(4)
        extra = "\n\n".join(paragraph(rng, 120) for _ in range(8))
        text = text.replace("\n## Section 2", f"\n{extra}\n\n## Section 2", 1)
    else:  # in the body's last paragraph: not the title, which the contents lists
        head, body = text.rsplit("\n\n", 1)
        text = head + "\n\n" + body.replace(" the ", " a ", 3)
    path.write_text(text, "utf-8")


def test_a_cold_build_lays_out_every_chunk(book):
    _, _, stderr = book
    rounds = laid_out(stderr)
    assert rounds[0][0] == rounds[0][1] == CHAPTERS + 2  # front matter, chapters, back matter


@pytest.mark.parametrize("grow", [False, True], ids=["words", "paragraphs"])
def test_an_edited_chapter_rebuilds_to_the_clean_result(book, grow, tmp_path):
    project, out, _ = book
    edit(project, grow)
    stderr = build(project, out)
    rounds = laid_out(stderr)
    if not grow:  # the chapter alone (its page count is unchanged)
        assert rounds and rounds[0][0] == 1 and sum(n for n, _ in rounds) <= 2, stderr
    clean = tmp_path / "clean"
    build(project, clean, "--clean")
    same_pdf(out / "large.pdf", clean / "large.pdf")
    assert (out / "large.pdf").read_bytes() == (clean / "large.pdf").read_bytes()


def test_a_damaged_cache_entry_is_laid_out_again(book, tmp_path):
    project, out, _ = book
    for pdf in (out / ".book-cache" / "chunks").glob("*.pdf"):
        pdf.write_bytes(pdf.read_bytes()[:1000])  # as a crash mid-write would leave it
    (out / ".book-cache" / "chunks" / "pages.json").write_text("{not json")
    chapter = project / "chapters" / "001-chapter.md"  # a change, or the build is a no-op
    chapter.write_text(chapter.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    stderr = build(project, out)
    assert laid_out(stderr)[0][0] == CHAPTERS + 2, stderr
    clean = tmp_path / "clean"
    build(project, clean, "--clean")
    assert (out / "large.pdf").read_bytes() == (clean / "large.pdf").read_bytes()


def test_clean_ignores_the_cache(book):
    project, out, _ = book
    stderr = build(project, out, "--clean")
    assert laid_out(stderr)[0][0] == CHAPTERS + 2, stderr


def test_the_cache_lives_in_one_folder_of_the_output(book):
    project, out, _ = book
    assert not (project / ".book-cache").exists()
    entries = {p.relative_to(out).parts[0] for p in out.rglob("*") if p.is_file()}
    assert entries <= {"large.pdf", "large.epub", ".editions", ".book-cache", ".book.lock"}, entries
    shutil.rmtree(out / ".book-cache")
