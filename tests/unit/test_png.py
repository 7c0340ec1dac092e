"""png.idat: which PNGs the PDF can take as they are (their IDAT data), and which go
through WeasyPrint's own re-encoding (book/pdf/png.py)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from book.pdf.png import idat


def png(mode: str, **save) -> bytes:
    image = Image.new(mode, (40, 30), 0)
    for x in range(40):
        image.putpixel((x, x % 30), (x * 6, 255 - x, 90) if mode.startswith("RGB") else x * 6)
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return out.getvalue()


def interlaced(data: bytes) -> bytes:
    """The same PNG with IHDR's interlace flag set (Pillow writes no interlaced PNGs)."""
    return data[:28] + b"\x01" + data[29:]


def test_plain_rgb_and_grey_pass_through():
    assert idat(png("RGB"), "RGB")
    assert idat(png("L"), "L")


@pytest.mark.parametrize("data, mode", [
    (interlaced(png("RGB")), "RGB"),  # Adam7 data is not the PDF's row order
    (png("RGBA"), "RGBA"),  # WeasyPrint splits the alpha off into a mask
    (png("RGB", transparency=(0, 0, 0)), "RGB"),
    (png("I;16"), "I;16"),
    (png("P"), "P"),
    (png("RGB"), "L"),  # the mode WeasyPrint declares must be the file's
    (b"GIF89a", "RGB"),
])
def test_other_pngs_are_re_encoded(data, mode):
    assert idat(data, mode) is None


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", len(body), kind) + body + struct.pack(">I", zlib.crc32(kind + body))


def split_idat(data: bytes, parts: int) -> bytes:
    """The same PNG with its one IDAT chunk cut into `parts` chunks."""
    start = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[start:start + 4])[0]
    body = data[start + 8:start + 8 + length]
    size = -(-len(body) // parts)
    pieces = b"".join(chunk(b"IDAT", body[i:i + size]) for i in range(0, len(body), size))
    return data[:start] + pieces + data[start + 12 + length:]


def test_the_data_is_the_zlib_stream_of_the_filtered_rows():
    """What the PDF stores with /Predictor 15: each row, a filter byte, then the pixels."""
    data = png("L")
    rows = zlib.decompress(idat(data, "L"))
    assert len(rows) == 30 * (1 + 40)
    image = Image.open(io.BytesIO(data))
    assert image.size == (40, 30)


def test_idat_chunks_are_joined_in_order():
    data = png("RGB")
    split = split_idat(data, 3)
    assert split != data and split.count(b"IDAT") == 3
    assert idat(split, "RGB") == idat(data, "RGB")


def test_a_file_cut_short_is_re_encoded():
    data = png("RGB")
    assert idat(data[:data.index(b"IEND") - 4], "RGB") is None  # no IEND
    assert idat(b"\x89PNG\r\n\x1a\n", "RGB") is None  # the signature alone
