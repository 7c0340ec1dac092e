"""`book build --format print`: the print-on-demand interior and wrap-around cover, read
back with pikepdf (boxes, output intent, document information) and pypdfium2 (the
barcode's bars, the spine's text), and `book verify` on them."""

from __future__ import annotations

import ctypes
import re
import shutil
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from stdnum import ean
from stdnum import isbn as stdnum_isbn

from book.options import edition_from_env
from book.pdf.wrap_cover import write_cover
from book.pipeline import load_book
from book.source.config import PAPERS
from tests.conftest import MINI, cli

MM = 25.4 / 72  # millimetres per PDF point
ISBN = "978-1-56619-909-4"
PRINT_TABLE = '\n[print]\ntrim = "6x9in"\nbleed = "0.125in"\nmarks = true\npaper = "cream-55lb"\n'

# EAN-13 digit patterns, written out from the standard (GS1 General Specifications 5.2.1):
# L (odd parity) codes; G codes are the R codes reversed; R codes are L's complement.
L_CODES = ("0001101", "0011001", "0010011", "0111101", "0100011",
           "0110001", "0101111", "0111011", "0110111", "0001011")
R_CODES = tuple(code.translate(str.maketrans("01", "10")) for code in L_CODES)
G_CODES = tuple(code[::-1] for code in R_CODES)
FIRST_DIGIT = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
               "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")


def project(tmp_path: Path, extra_top: str = "", table: str = PRINT_TABLE) -> Path:
    """The mini project with top-level keys `extra_top` and the [print] table `table`."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    manifest = root / "book.toml"
    manifest.write_text(extra_top + manifest.read_text("utf-8") + table, "utf-8")
    return root


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> tuple[Path, Path, str]:
    """The mini project built with --format print: (interior, cover, stderr)."""
    root = project(tmp_path_factory.mktemp("print"), f'isbn = "{ISBN}"\n')
    result = cli(["build", str(root), "--out", str(root / "dist"), "--format", "print"])
    assert result.returncode == 0, result.stderr
    return root / "dist" / "tide-pools-print.pdf", root / "dist" / "tide-pools-cover.pdf", \
        result.stderr


def box_mm(page: pikepdf.Page, name: str) -> list[float]:
    return [float(v) * MM for v in page.obj[name]]


def size_mm(box: list[float]) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


def test_interior_boxes_intent_and_variant(printed):
    interior, _, _ = printed
    with pikepdf.open(interior) as pdf:
        assert len(pdf.pages) > 4
        for page in pdf.pages:
            trim, bleed = box_mm(page, "/TrimBox"), box_mm(page, "/BleedBox")
            assert size_mm(trim) == pytest.approx((152.4, 228.6), abs=0.05)  # 6 x 9 in
            # 0.125 in of bleed on every side, and the media holds it (marks drawn there)
            assert [t - b for t, b in zip(trim[:2], bleed[:2], strict=True)] == \
                pytest.approx([3.175, 3.175], abs=0.05)
            assert size_mm(bleed) == pytest.approx((152.4 + 6.35, 228.6 + 6.35), abs=0.05)
            assert size_mm(box_mm(page, "/MediaBox")) == pytest.approx(size_mm(bleed), abs=0.05)
        intents = list(pdf.Root.OutputIntents)
        assert [str(i.S) for i in intents] == ["/GTS_PDFX"]
        profile = intents[0].DestOutputProfile
        assert int(profile.N) == 3 and profile.read_bytes()[36:40] == b"acsp"  # an ICC profile
        with pdf.open_metadata() as xmp:
            assert xmp["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        assert str(pdf.docinfo.PrintPart) == "interior"


def test_margins_scale_with_the_trim(printed):
    """The text block of a 6x9in page is wider than A5's 114 mm, by the trim's ratio."""
    interior, _, _ = printed
    document = pdfium.PdfDocument(str(interior))
    page = document[4]  # a body page
    lefts, rights = [], []
    for obj in page.get_objects():
        if obj.type == pdfium.raw.FPDF_PAGEOBJ_TEXT:
            left, _, right, _ = obj.get_bounds()
            lefts.append(left)
            rights.append(right)
    column = (max(rights) - min(lefts)) * MM
    assert 114 * 152.4 / 148 - 2 < column <= 114 * 152.4 / 148 + 0.5


def test_cover_spine_from_the_interior_page_count(printed):
    interior, cover, _ = printed
    with pikepdf.open(interior) as inside, pikepdf.open(cover) as outside:
        pages = len(inside.pages)
        assert len(outside.pages) == 1
        page = outside.pages[0]
        spine = pages / PAPERS["cream-55lb"] * 25.4
        assert size_mm(box_mm(page, "/TrimBox")) == pytest.approx(
            (2 * 152.4 + spine, 228.6), abs=0.05)
        assert size_mm(box_mm(page, "/BleedBox")) == pytest.approx(
            (2 * 152.4 + spine + 6.35, 228.6 + 6.35), abs=0.05)
        assert [str(i.S) for i in outside.Root.OutputIntents] == ["/GTS_PDFX"]
        assert int(str(outside.docinfo.InteriorPages)) == pages


@pytest.mark.parametrize("pages, paper", [(24, "white-50lb"), (200, "cream-50lb"),
                                          (480, "cream-55lb"), (333, None)])
def test_spine_width_for_page_counts_and_papers(tmp_path, pages, paper):
    """Spine = pages / pages-per-inch: KDP's published white paper (0.002252 in a page)
    gives 444; `ppi` overrides the table."""
    table = f'\n[print]\npaper = "{paper}"\n' if paper else "\n[print]\nppi = 512\n"
    root = project(tmp_path, table=table)
    book = load_book(root, edition_from_env())
    result = write_cover(book, pages, tmp_path)
    ppi = {"white-50lb": 444, "cream-50lb": 400, "cream-55lb": 360, None: 512}[paper]
    with pikepdf.open(result.path) as pdf:
        width, height = size_mm(box_mm(pdf.pages[0], "/TrimBox"))
    assert (width, height) == pytest.approx((2 * 148 + pages / ppi * 25.4, 210), abs=0.05)
    text = " ".join(pdfium.PdfDocument(str(result.path))[0].get_textpage().get_text_range()
                    .split())
    spine_has_title = pages / ppi * 25.4 >= 6
    # the title is printed on the back and on the front; a third time on a wide spine
    assert text.count("A Small Field Guide") == (3 if spine_has_title else 2)


def ean13_from_modules(modules: str) -> str:
    """Decode 95 modules (1 bar, 0 space) with the tables above."""
    assert modules[:3] == "101" and modules[45:50] == "01010" and modules[92:] == "101"
    left, parity = "", ""
    for i in range(6):
        code = modules[3 + 7 * i:10 + 7 * i]
        table = "L" if code in L_CODES else "G"
        left += str((L_CODES if table == "L" else G_CODES).index(code))
        parity += table
    right = "".join(str(R_CODES.index(modules[50 + 7 * i:57 + 7 * i])) for i in range(6))
    return str(FIRST_DIGIT.index(parity)) + left + right


def test_barcode_bars_encode_the_isbn(printed):
    """The bars drawn on the back panel, read from their geometry as a scanner would:
    the narrowest bar is one module, each bar and gap a whole number of modules."""
    _, cover, _ = printed
    page = pdfium.PdfDocument(str(cover))[0]
    with pikepdf.open(cover) as pdf:
        trim = box_mm(pdf.pages[0], "/TrimBox")
    bars = []
    for obj in page.get_objects(max_depth=5):
        if obj.type != pdfium.raw.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = (v * MM for v in obj.get_bounds())
        fill = pdfium.raw.FPDFPageObj_GetFillColor
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        fill(obj.raw, r, g, b, a)
        black = (r.value, g.value, b.value) == (0, 0, 0)
        # bars: black, tall and thin, on the back panel (left of the spine)
        if black and top - bottom > 10 and right - left < 2 and right < trim[0] + 152.4:
            bars.append((left, right))
    bars.sort()
    module = min(right - left for left, right in bars)
    start = bars[0][0]
    modules = ["0"] * round((bars[-1][1] - start) / module)
    for left, right in bars:
        for i in range(round((left - start) / module), round((right - start) / module)):
            modules[i] = "1"
    digits = ean13_from_modules("".join(modules))
    assert digits == stdnum_isbn.to_isbn13(stdnum_isbn.compact(ISBN))
    assert ean.calc_check_digit(digits[:12]) == digits[12]


def test_verify_passes_warns_and_catches_a_wrong_spine(printed, tmp_path):
    interior, cover, _ = printed
    result = cli(["verify", str(interior), str(cover)])
    # Both pass; the snail drawn under 300 dpi is a warning, as print services give it.
    assert result.returncode == 0, result.stderr
    assert sorted(filter(None, result.stdout.splitlines())) == [
        f"{cover}: ok (PDF checks)", f"{interior}: ok (PDF checks)"]
    assert re.fullmatch(rf"{re.escape(str(interior))}: warning: page \d+: an image of 800x800 px "
                        r"prints at 1\d\d dpi \(under 300\)\n", result.stderr)
    # The interior grew after the cover was made: its spine no longer fits.
    stale = tmp_path / "tide-pools-cover.pdf"
    shutil.copy(cover, stale)
    with pikepdf.open(interior) as pdf:
        pdf.pages.extend([pdf.pages[-1]] * 40)
        pdf.save(tmp_path / "tide-pools-print.pdf")
    result = cli(["verify", str(stale)])
    assert result.returncode == 4
    assert "but tide-pools-print.pdf has" in result.stdout + result.stderr
    # A spine drawn at the wrong width.
    with pikepdf.open(cover) as pdf:
        pdf.docinfo["/PagesPerInch"] = pikepdf.String("200")
        pdf.save(tmp_path / "narrow-cover.pdf")
    result = cli(["verify", str(tmp_path / "narrow-cover.pdf")])
    assert result.returncode == 4 and "pages per inch need" in result.stdout + result.stderr


def test_low_resolution_images_are_warned_with_their_place(printed):
    """snail.png (800 px) across a 117 mm column prints near 170 dpi: under 300."""
    _, _, stderr = printed
    assert "assets/snail.png prints at" in stderr
    assert "(under 300 dpi); supply an image at least" in stderr


def test_default_trim_is_a5_without_bleed_outside_print(tmp_path):
    root = project(tmp_path, table="")
    result = cli(["build", str(root), "--out", str(root / "dist"), "--format", "pdf"])
    assert result.returncode == 0, result.stderr
    with pikepdf.open(root / "dist" / "tide-pools.pdf") as pdf:
        page = pdf.pages[0]
        assert size_mm(box_mm(page, "/MediaBox")) == pytest.approx((148, 210), abs=0.05)
        assert "/OutputIntents" not in pdf.Root  # the screen edition stays PDF/UA
    assert not (root / "dist" / "tide-pools-print.pdf").exists()


@pytest.mark.parametrize("top, table, message", [
    ('isbn = "978-1-56619-909-3"\n', "", "'isbn' is no valid ISBN ('978-1-56619-909-3')"),
    ("", '\n[print]\ntrim = "6by9"\n', "'print.trim' must be a named size"),
    ("", '\n[print]\nbleed = "8mm"\n', "'print.bleed' must be at most 3.5mm"),
    ("", '\n[print]\npaper = "cream-5lb"\n', "'print.paper' must be one of"),
    ("", '\n[print]\npaper = "cream-55lb"\nppi = 400\n', "gives both 'paper' and 'ppi'"),
])
def test_bad_print_settings_are_located_errors(tmp_path, top, table, message):
    root = project(tmp_path, top, table)
    result = cli(["build", str(root), "--out", str(root / "dist"), "--format", "print"])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = next(line for line in result.stderr.splitlines() if message in line)
    assert line.startswith(("error: book.toml:", "book.toml:"))


def test_print_files_reproduce(tmp_path, monkeypatch):
    """Two builds of one edition give the same bytes (PDF/X-4's XMP DocumentID and the
    trailer's /ID are derived, not random)."""
    from book.pdf.printready import write_print

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = project(tmp_path, f'isbn = "{ISBN}"\n')
    book = load_book(root, edition_from_env())
    first = [write_print(book, tmp_path / "a"), write_cover(book, 40, tmp_path / "a")]
    second = [write_print(book, tmp_path / "b"), write_cover(book, 40, tmp_path / "b")]
    for one, two in zip(first, second, strict=True):
        assert one.path.read_bytes() == two.path.read_bytes()
    with pikepdf.open(first[1].path) as pdf, pdf.open_metadata() as xmp:
        assert xmp["xmpMM:DocumentID"].startswith("xmp.did:")


def test_cover_art_fills_the_front_with_its_bleed(tmp_path):
    """A book's cover image covers the front panel out to the bleed; too few pixels for
    300 dpi there is a warning naming the file and the pixels needed."""
    root = project(tmp_path, 'cover = "assets/snail.png"\n', table="\n[print]\nppi = 400\n")
    book = load_book(root, edition_from_env())
    result = write_cover(book, 200, tmp_path)
    spine = 200 / 400 * 25.4
    images = [obj for obj in pdfium.PdfDocument(str(result.path))[0].get_objects()
              if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    assert len(images) == 1
    left, bottom, right, top = (v * MM for v in images[0].get_bounds())
    with pikepdf.open(result.path) as pdf:
        origin = box_mm(pdf.pages[0], "/TrimBox")[:2]  # page coordinates of the trim corner
    left, right = left - origin[0], right - origin[0]
    bottom, top = bottom - origin[1], top - origin[1]
    # scaled to cover (the square image is cropped at the sides), centred on the front
    assert left <= 148 + spine + 0.1 and right >= 2 * 148 + spine + 3 - 0.1
    assert (bottom, top) == pytest.approx((-3, 213), abs=0.1)
    assert (left + right) / 2 == pytest.approx(148 + spine + (148 + 3) / 2, abs=0.1)
    # 800 px over the panel's 216 mm of height with its bleed: 94 dpi; 300 dpi needs
    # 151 x 216 mm at 300 dpi = 1784 x 2552 px
    assert result.warnings == (
        "book.toml: cover 'assets/snail.png' prints at 94 dpi on the print cover (under 300 "
        "dpi); supply an image of at least 1784x2552 pixels",)


@pytest.mark.parametrize("trim, size", [("a5", (148, 210)), ("6x9in", (152.4, 228.6)),
                                        ("5.5x8.5in", (139.7, 215.9)), ("royal", (156, 234)),
                                        ("150x230mm", (150, 230)), ("13.5 x 21.5 cm", (135, 215))])
def test_trim_sizes_and_the_geometry_from_them(tmp_path, trim, size):
    """Named and WxH trims; the text column scales with the width from A5's 114 mm, and
    `book check`'s photo estimate uses the same column."""
    from book.render.theme import Geometry, page_css

    root = project(tmp_path, table=f'\n[print]\ntrim = "{trim}"\n')
    book = load_book(root, edition_from_env())
    assert book.meta.press.trim == pytest.approx(size)
    page = Geometry(*book.meta.press.trim)
    assert page.column == pytest.approx(114 * size[0] / 148, abs=0.02)
    assert f"size: {size[0]:g}mm {size[1]:g}mm" in page_css(page).replace(".0mm", "mm")
