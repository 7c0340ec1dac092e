"""PNGs reach the PDF with their own IDAT data when that is lossless (book/pdf/png.py):
the pixels a reader sees are the source's. Which PNGs pass through is tested on idat()
alone in tests/unit/test_png.py."""

from __future__ import annotations

from PIL import Image

from conftest import EXPLAINER


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
