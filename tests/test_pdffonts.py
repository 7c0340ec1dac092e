"""merge_fonts: a PDF joined from separately rendered WeasyPrint chunks keeps one font
program per face, and still renders, extracts and validates as before."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pypdfium2
import pytest
import weasyprint
from fontTools.ttLib import TTFont
from PIL import ImageChops

from book.pdf.fonts import merge_fonts

FONTS = Path(__file__).resolve().parent.parent / "book" / "render" / "theme" / "fonts"
CSS = """
@font-face { font-family: Body; src: url(SourceSerifPro-Regular.ttf); }
@font-face { font-family: Body; font-weight: bold; src: url(SourceSerifPro-Bold.ttf); }
@font-face { font-family: Armenian; src: url(NotoSerifArmenian-Regular.ttf); }
@font-face { font-family: Code; src: url(NotoMono-Regular.ttf); }
body { font-family: Body, Armenian; font-size: 11pt; }
code { font-family: Code; }
"""
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua. ")
CHUNKS = (
    f"<p>{LOREM * 3} Hello fi world <b>bold words</b> Բարեւ ձեզ</p>"
    "<p style='font-size: 20pt'>Big x\u00a0y</p>",
    f"<p>{LOREM * 2} Zebra quokka <b>JUMPS 1234</b> <code>mono(42)</code></p>",
    # U+E000 is in no font: WeasyPrint gives this chunk's serif font a custom /Encoding.
    f"<p>{LOREM} Hello again &amp; \ufb01nal Հայաստան \ue000 <code>x = 1</code></p>",
)
FACES = {"SourceSerifPro-Regular", "SourceSerifPro-Bold", "NotoSerifArmenian-Regular",
         "NotoMono"}


def _joined() -> bytes:
    """The chunks rendered separately, as the builder does, and concatenated."""
    pdf = pikepdf.new()
    for body in CHUNKS:
        html = (f"<html lang='en'><head><title>Chunk</title><style>{CSS}</style></head>"
                f"<body>{body}</body></html>")
        data = weasyprint.HTML(string=html, base_url=f"{FONTS}/").write_pdf(
            pdf_variant="pdf/ua-1", pdf_tags=True)
        pdf.pages.extend(pikepdf.open(io.BytesIO(data)).pages)
    return _save(pdf)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _merged(data: bytes, font_files: list[Path]) -> bytes:
    pdf = pikepdf.open(io.BytesIO(data))
    merge_fonts(pdf, font_files)
    return _save(pdf)


@pytest.fixture(scope="module")
def before() -> bytes:
    return _joined()


@pytest.fixture(scope="module")
def after(before: bytes) -> bytes:
    return _merged(before, sorted(FONTS.glob("*.ttf")))


def _programs(data: bytes) -> dict[str, set[bytes]]:
    """PostScript name -> the distinct embedded font programs of that face used by pages;
    fails if a CIDFont has no embedded program."""
    pdf = pikepdf.open(io.BytesIO(data))
    found: dict[str, set[bytes]] = {}
    for page in pdf.pages:
        for key in page.Resources.Font:
            cid_font = page.Resources.Font[key].DescendantFonts[0]
            descriptor = cid_font.FontDescriptor
            (program,) = [descriptor[k] for k in ("/FontFile2", "/FontFile3") if k in descriptor]
            raw = program.read_bytes()
            found.setdefault(TTFont(io.BytesIO(raw))["name"].getDebugName(6), set()).add(raw)
    return found


def test_each_face_is_embedded_once(before: bytes, after: bytes) -> None:
    assert set(_programs(before)) == FACES
    assert len(_programs(before)["SourceSerifPro-Regular"]) == len(CHUNKS)
    assert {name: len(programs) for name, programs in _programs(after).items()} == dict.fromkeys(
        FACES, 1)


def test_names_are_consistent(after: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(after))
    for page in pdf.pages:
        for key in page.Resources.Font:
            font = page.Resources.Font[key]
            descriptor = font.DescendantFonts[0].FontDescriptor
            program = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
            name = re.escape(program["name"].getDebugName(6))
            assert font.BaseFont == font.DescendantFonts[0].BaseFont == descriptor.FontName
            assert re.fullmatch(rf"/[A-Z]{{6}}\+{name}", str(font.BaseFont))


def test_file_is_much_smaller(before: bytes, after: bytes) -> None:
    assert len(after) < 0.7 * len(before), (len(before), len(after))


def test_type0_fonts_that_agree_are_merged(after: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(after))
    fonts = {page.Resources.Font[key].objgen: page.Resources.Font[key]
             for page in pdf.pages for key in page.Resources.Font}
    names = sorted(str(font.BaseFont).split("+")[1] for font in fonts.values())
    # The third chunk's serif font keeps its own custom /Encoding, so stays apart.
    assert names == sorted([*FACES, "SourceSerifPro-Regular"])


def test_text_is_unchanged(before: bytes, after: bytes) -> None:
    old, new = pypdfium2.PdfDocument(before), pypdfium2.PdfDocument(after)
    assert len(old) == len(new) == len(CHUNKS)
    for old_page, new_page in zip(old, new, strict=True):
        text = old_page.get_textpage().get_text_range()
        assert "Lorem" in text
        assert new_page.get_textpage().get_text_range() == text
    assert ([page.extract_text() for page in pypdf.PdfReader(io.BytesIO(after)).pages]
            == [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(before)).pages])


def test_pages_render_the_same(before: bytes, after: bytes) -> None:
    old, new = pypdfium2.PdfDocument(before), pypdfium2.PdfDocument(after)
    for old_page, new_page in zip(old, new, strict=True):
        old_image = old_page.render(scale=3).to_pil().convert("L")
        new_image = new_page.render(scale=3).to_pil().convert("L")
        histogram = ImageChops.difference(old_image, new_image).histogram()
        differing = sum(histogram[32:])  # pixels off by more than an eighth of the range
        assert differing <= old_image.width * old_image.height // 10000


def test_qpdf_check_passes(after: bytes, tmp_path: Path) -> None:
    path = tmp_path / "merged.pdf"
    path.write_bytes(after)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_output_is_deterministic(before: bytes, after: bytes) -> None:
    assert _merged(before, sorted(FONTS.glob("*.ttf"), reverse=True)) == after


def test_faces_without_a_file_are_left_alone(before: bytes) -> None:
    files = [path for path in FONTS.glob("*.ttf") if path.name != "NotoMono-Regular.ttf"]
    merged = _programs(_merged(before, files))
    assert merged["NotoMono"] == _programs(before)["NotoMono"]
    assert len(merged["NotoMono"]) == 2
    assert len(merged["SourceSerifPro-Regular"]) == 1
