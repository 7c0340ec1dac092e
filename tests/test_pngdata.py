"""PNGs reach the PDF with their own IDAT data when that is lossless (book/pngdata.py):
the pixels a reader sees are the source's, and any PNG the PDF cannot take as it is goes
through WeasyPrint's own re-encoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from book.pdf.png import idat
from conftest import EXPLAINER


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


def test_photos_in_the_pdf_have_the_source_pixels(explainer_pdf):
    """Every image drawn in the explainer PDF decodes to the pixels of its source file."""
    import pikepdf

    sources: dict[tuple[int, int], list[bytes]] = {}
    for path in list((EXPLAINER / "assets" / "photos").glob("*.png")) + [
            EXPLAINER / "assets" / "figures" / "locator-map.png"]:
        image = Image.open(path).convert("RGB")
        sources.setdefault(image.size, []).append(image.tobytes())
    compared = 0
    for page in explainer_pdf.pike.pages:
        for _, xobject in page.get_images().items():
            embedded = pikepdf.PdfImage(xobject).as_pil_image().convert("RGB")
            if embedded.size in sources:
                assert embedded.tobytes() in sources[embedded.size]
                compared += 1
    assert compared >= sum(len(images) for images in sources.values())
