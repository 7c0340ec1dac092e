"""One embedded copy of each font face in a PDF joined from separately rendered chunks.

WeasyPrint subsets every face anew for each chunk it renders, so a book concatenated from
chapter PDFs carries one font program per face per chapter. merge_fonts re-subsets each
theme face once, from the original file, to the union of the glyphs the chunks use. Glyph
ids are retained by both subsetters, so content streams, /W widths and /ToUnicode maps stay
valid unchanged and only the font dictionaries need rewriting.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
import uharfbuzz as hb  # type: ignore[import-untyped]  # ships no types
from fontTools.ttLib import TTFont, TTLibError

from ..render.theme import font_blob

_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")

# WeasyPrint maps a glyph to the first character it drew it for: a space glyph first met
# as a thin or no-break space would make every space of that chunk copy and search as one.
# A glyph mapped to a single space character maps to the plain space instead.
_SPACES = {b"00a0", b"2000", b"2001", b"2002", b"2003", b"2004", b"2005", b"2006", b"2007",
           b"2008", b"2009", b"200a", b"202f", b"205f", b"3000"}

# One claim is ("w", glyph id) -> width or ("u", code) -> UTF-16BE hex of its text.
Claims = dict[tuple[str, int], int | Decimal | bytes]


@dataclass
class _Bucket:
    """Type0 fonts of one face that can become one font object: they agree on every
    width and Unicode mapping they share. claims is None for a font that must stay alone
    (a custom /Encoding or a /ToUnicode this module does not parse)."""

    fonts: list[pikepdf.Object]
    claims: Claims | None = field(default_factory=dict)


def merge_fonts(pdf: pikepdf.Pdf, font_files: Iterable[Path]) -> None:
    """Embed each face that matches one of font_files (by PostScript name) once, in place.

    Every CIDFont of such a face gets one shared FontDescriptor and font program, subset
    from the original file to the union of the glyphs in their /W arrays; Type0 fonts whose
    widths and Unicode maps agree are merged into one, with the union of both. Faces that
    match no file are left as they are. A collection (.ttc: Noto CJK) offers each of its
    faces."""
    sources: dict[str, tuple[Path, int]] = {}
    for path in sorted(font_files):
        blob = font_blob(path)
        for index in range(hb.Face(blob).count):
            name = hb.Face(blob, index).get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME)
            sources.setdefault(name, (path, index))
    slots = list(_font_slots(pdf))
    seen: set[tuple[int, int]] = set()
    faces: dict[str, list[pikepdf.Object]] = {}
    for fonts, key in slots:
        font = fonts[key]
        if font.is_indirect and font.objgen not in seen:
            seen.add(font.objgen)
            name = _face_name(font)
            if name in sources:
                faces.setdefault(name, []).append(font)
    replace: dict[tuple[int, int], pikepdf.Object] = {}
    for name, fonts_of_face in faces.items():
        _share_font_program(pdf, name, sources[name], fonts_of_face)
        for bucket in _buckets(fonts_of_face):
            head = bucket.fonts[0]
            if bucket.claims is not None:  # merged, or with its spaces mapped plainly
                _write_claims(pdf, head, bucket.claims)
            replace.update((font.objgen, head) for font in bucket.fonts[1:])
    for fonts, key in slots:
        if fonts[key].objgen in replace:
            fonts[key] = replace[fonts[key].objgen]


def _font_slots(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Object, pikepdf.Name]]:
    """(/Font resource dictionary, key) of every font used by pages and, recursively, by
    their form XObjects and patterns, in document order: keys are sorted because pikepdf
    dictionaries have no stable order."""
    seen: set[tuple[int, int]] = set()

    def walk(holder: pikepdf.Object) -> Iterator[tuple[pikepdf.Object, pikepdf.Name]]:
        if holder.objgen in seen:
            return
        seen.add(holder.objgen)
        resources = holder.get("/Resources")
        if resources is None:
            return
        fonts = resources.get("/Font")
        if fonts is not None:
            for key in sorted(fonts.keys()):
                yield fonts, pikepdf.Name(key)
        for group in ("/XObject", "/Pattern"):
            objects = resources.get(group)
            if objects is not None:
                for key in sorted(objects.keys()):
                    if objects[key].is_indirect:
                        yield from walk(objects[key])

    for page in pdf.pages:
        yield from walk(page.obj)


def _face_name(font: pikepdf.Object) -> str | None:
    """PostScript name of the program embedded by a Type0 font, read from the program
    itself: WeasyPrint names fonts after the CSS family, not the face."""
    if font.get("/Subtype") != "/Type0":
        return None
    cid_font = font.DescendantFonts[0]
    if cid_font.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None  # glyph ids are not the CIDs of /W
    descriptor = cid_font.get("/FontDescriptor")
    if descriptor is None:
        return None
    programs = [descriptor[key] for key in ("/FontFile2", "/FontFile3") if key in descriptor]
    if not programs:
        return None
    try:
        return _postscript_name(TTFont(io.BytesIO(programs[0].read_bytes()), lazy=True))
    except (TTLibError, KeyError):  # not an sfnt (bare CFF) or no name table
        return None


def _postscript_name(font: TTFont) -> str:
    return font["name"].getDebugName(6)


def _widths(cid_font: pikepdf.Object) -> dict[int, int | Decimal]:
    """A CIDFont's /W array as glyph id -> width (CIDToGIDMap is /Identity)."""
    items, i = list(cid_font.get("/W", [])), 0
    widths: dict[int, Any] = {}  # pikepdf hands numbers back as int or Decimal, typed Object
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            widths.update((first + n, width) for n, width in enumerate(items[i + 1]))
            i += 2
        else:
            widths.update((cid, items[i + 2]) for cid in range(first, int(items[i + 1]) + 1))
            i += 3
    return widths


def _share_font_program(pdf: pikepdf.Pdf, name: str, source: tuple[Path, int],
                        fonts: list[pikepdf.Object]) -> None:
    """Point every CIDFont of a face at the first one's FontDescriptor, now holding the
    face subset once to the union of all their glyphs, under a name derived from them."""
    cid_fonts = [font.DescendantFonts[0] for font in fonts]
    glyphs = sorted(set().union(*(_widths(cid_font) for cid_font in cid_fonts)))
    digest = hashlib.sha256(f"{name}:{glyphs}".encode()).digest()
    base_name = pikepdf.Name("/" + "".join(chr(65 + b % 26) for b in digest[:6]) + "+" + name)
    descriptors = [cid_font.FontDescriptor for cid_font in cid_fonts]
    shared = descriptors[0]
    key = "/FontFile2" if "/FontFile2" in shared else "/FontFile3"
    data = _subset(source, glyphs)
    extra = {"Length1": len(data)} if key == "/FontFile2" else {"Subtype": pikepdf.Name.OpenType}
    shared[key] = pdf.make_stream(zlib.compress(data, 9), Filter=pikepdf.Name.FlateDecode, **extra)
    shared.FontName = base_name
    boxes = [list(descriptor.FontBBox) for descriptor in descriptors]
    shared.FontBBox = [min(b[0] for b in boxes), min(b[1] for b in boxes),
                       max(b[2] for b in boxes), max(b[3] for b in boxes)]
    flags = int(shared.Flags)
    for descriptor in descriptors:
        flags &= int(descriptor.Flags)  # FixedPitch holds only if it held in every chunk
    shared.Flags = flags
    if "/CIDSet" in shared:
        del shared["/CIDSet"]  # it listed one chunk's glyphs only
    for font, cid_font in zip(fonts, cid_fonts, strict=True):
        font.BaseFont = cid_font.BaseFont = base_name
        cid_font.FontDescriptor = shared


def _subset(source: tuple[Path, int], glyphs: list[int]) -> bytes:
    """The source face (file, index in its collection) reduced to glyphs, with glyph ids
    kept, by HarfBuzz's subsetter as WeasyPrint's own subsetting does: fontTools takes
    12 s on a CJK face of 65,000 glyphs, HarfBuzz a quarter of a second."""
    face = hb.Face(font_blob(source[0]), source[1])
    wanted = hb.SubsetInput()
    for glyph in glyphs:
        wanted.glyph_set.add(glyph)
    wanted.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                    | hb.SubsetFlags.NO_HINTING)
    for tag in ("GSUB", "GPOS", "SVG "):
        wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).add(int.from_bytes(tag.encode(), "big"))
    return bytes(hb.subset(face, wanted).blob.data)


def _claims(font: pikepdf.Object) -> Claims | None:
    """Widths and Unicode mappings a Type0 font relies on, or None if it cannot share."""
    to_unicode = font.get("/ToUnicode")
    if font.get("/Encoding") != "/Identity-H" or to_unicode is None:
        return None
    data = to_unicode.read_bytes()
    if b"bfrange" in data:
        return None
    claims: Claims = {("w", gid): width for gid, width in _widths(font.DescendantFonts[0]).items()}
    for block in _BFCHAR.findall(data):
        claims.update((("u", int(code, 16)), b"0020" if text.lower() in _SPACES else text.lower())
                      for code, text in _PAIR.findall(block))
    return claims


def _buckets(fonts: list[pikepdf.Object]) -> list[_Bucket]:
    """Fonts of one face grouped greedily, in document order, into the first bucket they
    agree with: a glyph reached from two characters (a space and a no-break space, say)
    maps to whichever the chunk met first, and its width is rounded at the first size met."""
    buckets: list[_Bucket] = []
    for font in fonts:
        claims = _claims(font)
        for bucket in buckets:
            if claims is not None and bucket.claims is not None and all(
                    bucket.claims.get(key, value) == value for key, value in claims.items()):
                bucket.fonts.append(font)
                bucket.claims.update(claims)
                break
        else:
            buckets.append(_Bucket([font], claims))
    return buckets


def _write_claims(pdf: pikepdf.Pdf, font: pikepdf.Object, claims: Claims) -> None:
    """Give a merged Type0 font the /W array and /ToUnicode CMap of all its chunks."""
    widths = {gid: value for (kind, gid), value in sorted(claims.items()) if kind == "w"}
    w: list = []
    for gid in widths:
        if gid - 1 not in widths:
            w += [gid, []]
        w[-1].append(widths[gid])
    font.DescendantFonts[0].W = pikepdf.Array(w)
    texts = [(code, text) for (kind, code), text in sorted(claims.items()) if kind == "u"]
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0",
             b">> def", b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    for start in range(0, len(texts), 100):  # at most 100 entries per block
        batch = texts[start:start + 100]
        lines += [b"%d beginbfchar" % len(batch),
                  *(b"<%04x> <%s>" % (code, text) for code, text in batch), b"endbfchar"]
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    font.ToUnicode = pdf.make_stream(zlib.compress(b"\n".join(lines), 9),
                                     Filter=pikepdf.Name.FlateDecode)
