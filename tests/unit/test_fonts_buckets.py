"""fonts._buckets: Type0 fonts of one face are grouped, in document order, with the first
bucket whose widths and Unicode mappings they agree with (book/pdf/fonts.py)."""

from __future__ import annotations

import pikepdf
import pytest

from book.pdf.fonts import _buckets


@pytest.fixture
def pdf():
    return pikepdf.new()


def type0(pdf: pikepdf.Pdf, widths: list, mapping: dict[int, str],
          encoding: str = "/Identity-H", cmap: bytes | None = None) -> pikepdf.Object:
    """A Type0 font as WeasyPrint writes one: /W widths in its CIDFont, and a ToUnicode
    CMap with one bfchar block mapping glyph ids to text."""
    pairs = b"\n".join(b"<%04x> <%s>" % (gid, text.encode("utf-16-be").hex().encode())
                       for gid, text in mapping.items())
    data = cmap if cmap is not None else (
        b"begincmap\n%d beginbfchar\n%s\nendbfchar\nendcmap" % (len(mapping), pairs))
    cid_font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
                                  W=pikepdf.Array(widths))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, Encoding=pikepdf.Name(encoding),
        DescendantFonts=pikepdf.Array([pdf.make_indirect(cid_font)]),
        ToUnicode=pikepdf.Stream(pdf, data)))


def groups(fonts: list) -> list[list[int]]:
    """The buckets as lists of indexes into `fonts`."""
    index = {font.objgen: i for i, font in enumerate(fonts)}
    return [[index[f.objgen] for f in bucket.fonts] for bucket in _buckets(fonts)]


def test_fonts_that_agree_share_a_bucket_with_the_union_of_their_claims(pdf):
    a = type0(pdf, [3, [250, 500]], {3: " ", 4: "a"})  # glyphs 3 and 4
    b = type0(pdf, [4, [500, 600]], {4: "a", 5: "b"})  # glyph 4 agrees, 5 is new
    [bucket] = _buckets([a, b])
    assert [f.objgen for f in bucket.fonts] == [a.objgen, b.objgen]
    assert bucket.claims == {("w", 3): 250, ("w", 4): 500, ("w", 5): 600,
                             ("u", 3): b"0020", ("u", 4): b"0061", ("u", 5): b"0062"}


def test_a_width_that_differs_opens_a_new_bucket(pdf):
    fonts = [type0(pdf, [4, [500]], {4: "a"}), type0(pdf, [4, [510]], {4: "a"}),
             type0(pdf, [4, [500]], {4: "a"})]
    assert groups(fonts) == [[0, 2], [1]]  # the third joins the first bucket it agrees with


def test_a_glyph_mapped_to_other_text_opens_a_new_bucket(pdf):
    fonts = [type0(pdf, [4, [500]], {4: "a"}), type0(pdf, [4, [500]], {4: "\u00e4"})]
    assert groups(fonts) == [[0], [1]]


def test_single_spaces_count_as_the_plain_space(pdf):
    """A glyph first met as a no-break or thin space maps like a space (see _SPACES)."""
    fonts = [type0(pdf, [3, [250]], {3: "\u00a0"}), type0(pdf, [3, [250]], {3: " "}),
             type0(pdf, [3, [250]], {3: "\u2009"})]
    [bucket] = _buckets(fonts)
    assert bucket.claims == {("w", 3): 250, ("u", 3): b"0020"}


def test_ranges_in_w_are_read(pdf):
    """/W holds `first [w1 w2 …]` and `first last w` entries."""
    font = type0(pdf, [10, 12, 300, 20, [400, 410]], {})
    [bucket] = _buckets([font])
    assert bucket.claims == {("w", 10): 300, ("w", 11): 300, ("w", 12): 300,
                             ("w", 20): 400, ("w", 21): 410}


@pytest.mark.parametrize("kind", ["custom encoding", "bfrange"])
def test_fonts_this_module_cannot_read_stay_alone(pdf, kind):
    odd = (type0(pdf, [4, [500]], {4: "a"}, encoding="/WinAnsiEncoding")
           if kind == "custom encoding" else
           type0(pdf, [4, [500]], {}, cmap=b"1 beginbfrange\n<0004> <0005> <0061>\nendbfrange"))
    plain = type0(pdf, [4, [500]], {4: "a"})
    buckets = _buckets([plain, odd, type0(pdf, [4, [500]], {4: "a"})])
    assert [len(b.fonts) for b in buckets] == [2, 1]
    assert buckets[1].fonts[0].objgen == odd.objgen and buckets[1].claims is None
