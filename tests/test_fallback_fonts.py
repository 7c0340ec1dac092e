"""The theme's fallback faces: box drawing in code (DejaVu Sans Mono, at the code's advance),
symbols in text (DejaVu Sans, Noto Sans Symbols 2) and emoji (Noto Emoji, monochrome) print
from the theme's own fonts in every edition, enter an edition only when its text needs
them, and travel in EPUB and web editions as subsets of the book's characters."""

from __future__ import annotations

import ctypes
import itertools
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest

from conftest import REPO, EpubCheckRun, cli, epubcheck_summary

FIXTURE = REPO / "tests" / "fixtures" / "fallback"
FONTS = REPO / "book" / "render" / "theme" / "fonts"
FALLBACKS = {"DejaVuSansMono.ttf": "─├└", "DejaVuSans.ttf": "⌘→∀",
             "NotoSansSymbols2-Regular.ttf": "🛈", "NotoEmoji-Regular.ttf": "💡"}
TREE = ("book-test/", "├── book", "└── src", "├── chapter_1.md", "└── SUMMARY.md")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fallback")
    proc = cli(["build", str(FIXTURE), "--out", str(out), "--quiet"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr  # no "no font covers" warning
    return out


def _base_fonts(pdf_path: Path) -> set[str]:
    """The families of the fonts the PDF's pages use, without subset tags or dashes."""
    with pikepdf.open(pdf_path) as pdf:
        return {str(font.BaseFont).lstrip("/").split("+")[-1].replace("-", "").rstrip(",")
                for page in pdf.pages for font in page.Resources.get("/Font", {}).values()}


def test_pdf_embeds_the_fallback_faces(built):
    fonts = _base_fonts(built / "fallback-fonts.pdf")
    assert {"DejaVuSansMono", "DejaVuSans", "NotoSansSymbols2", "NotoEmoji"} <= fonts, fonts


def test_pdf_text_has_the_characters(built):
    text = subprocess.run(["pdftotext", "-layout", str(built / "fallback-fonts.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for line in TREE:
        assert line in text, line
    for char in "⌘→∀≤💡🛈":
        assert char in text, char


def _origins(page, needle: str) -> list[tuple[str, float, str]]:
    """(character, x of its origin, font name) for each character of `needle` on the page."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    start = textpage.get_text_range().index(needle)
    found = []
    for index in range(start, start + len(needle)):
        x, y = ctypes.c_double(), ctypes.c_double()
        raw.FPDFText_GetCharOrigin(textpage, index, x, y)
        name = ctypes.create_string_buffer(128)
        raw.FPDFText_GetFontInfo(textpage, index, name, 128, ctypes.c_int())
        found.append((needle[index - start], x.value, name.value.decode()))
    return found


def test_box_drawing_in_code_keeps_the_monospace_advance(built):
    """A tree line mixes DejaVu Sans Mono's box drawing and Noto Mono's letters: every
    character still steps by the same advance (within 0.5 %), so the columns line up."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(built / "fallback-fonts.pdf"))
    page = next(p for p in document if "├── book" in p.get_textpage().get_text_range())
    line = _origins(page, "├── book")
    assert {font.split("+")[-1] for _, _, font in line} == {"DejaVu-Sans-Mono", "Noto-Mono"}
    steps = [b[1] - a[1] for a, b in itertools.pairwise(line)]
    assert max(steps) - min(steps) < 0.005 * min(steps), steps


@pytest.mark.parametrize("edition", ["epub", "web"])
def test_editions_carry_fallback_subsets(built, edition):
    """Each fallback file is a cut of the book's characters (far under the whole face) that
    still has the characters the book asks of it."""
    import uharfbuzz as hb

    if edition == "epub":
        with zipfile.ZipFile(built / "fallback-fonts.epub") as archive:
            files = {Path(n).name: archive.read(n) for n in archive.namelist()
                     if n.startswith("EPUB/fonts/")}
    else:
        files = {p.name: p.read_bytes() for p in (built / "fallback-fonts-web" / "fonts").iterdir()}
    for name, chars in FALLBACKS.items():
        assert len(files[name]) < (FONTS / name).stat().st_size / 10, name
        covered = set(hb.Face(hb.Blob(files[name])).unicodes)
        assert {ord(c) for c in chars} <= covered, name


def test_epubcheck_reports_nothing(built, tmp_path):
    run = EpubCheckRun({"fallback": built / "fallback-fonts.epub"}, tmp_path)
    counts, text = epubcheck_summary(run.reports()["fallback"])
    assert counts == (0, 0, 0), text


def test_a_book_without_those_characters_carries_no_fallback():
    """The explainer (no box drawing, symbols or emoji) keeps its faces and font stacks."""
    from book.options import edition_from_env
    from book.pipeline import load_book
    from book.render.theme import faces_for, stylesheet

    explainer = load_book(REPO, edition_from_env())
    assert not [f.file for f in faces_for(explainer) if f.needs.endswith("fallback")]
    for edition in ("print", "epub", "web"):
        assert "DejaVu" not in stylesheet(edition, explainer)
        assert "Noto Emoji" not in stylesheet(edition, explainer)


def test_fallbacks_close_the_font_stacks():
    """Text stacks end with the text fallbacks before their generic family; the code stack
    has the code fallback after the code font and the script faces, then the same."""
    from book.render.theme import FACES, with_script_fonts

    css = with_script_fonts('p { font-family: "Source Serif Pro", "Noto Naskh Arabic", serif; }'
                            '\npre { font-family: "Noto Mono", monospace; }', None, FACES)
    symbols = '"DejaVu Sans", "Noto Sans Symbols 2", "Noto Emoji"'
    assert f'"Noto Naskh Arabic", {symbols}, serif;' in css
    assert f'"Noto Naskh Arabic", "DejaVu Sans Mono", {symbols}, monospace;' in css


def test_generated_cover_sets_a_symbol_title_in_a_face_that_has_it():
    from book.render.cover import _face

    latin = "SourceSerifPro-Semibold.ttf"
    assert _face("Field notes", latin, "en", 40).getname()[0] == "Source Serif Pro"
    assert _face("Keyboard ⌘ shortcuts", latin, "en", 40).getname()[0] == "DejaVu Sans"
    assert _face("🛈", latin, "en", 40).getname()[0] == "Noto Sans Symbols2"
