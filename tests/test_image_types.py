"""Images as real books ship them: WebP (a core EPUB 3.3 type) with its size read; an SVG
with the public SVG 1.1 DOCTYPE Graphviz and Illustrator write, accepted with the DOCTYPE
dropped from the bytes the editions get; .svgz gzipped or not. Entities stay refused."""

from __future__ import annotations

import gzip
import io

import pytest
from PIL import Image

from book.errors import BookError
from book.source.load import read_assets

DOCTYPE = (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n')
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
       b'<rect width="4" height="4"/></svg>')


def _read(tmp_path, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    return read_assets(tmp_path, {name: ("chapters/a.md", 3)})[0]


def test_webp_is_read_with_its_size(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (7, 5), "red").save(out, "WEBP")
    asset = _read(tmp_path, "x.webp", out.getvalue())
    assert (asset.media_type, asset.width, asset.height) == ("image/webp", 7, 5)


def test_public_svg_doctype_is_dropped(tmp_path):
    asset = _read(tmp_path, "d.svg", b'<?xml version="1.0"?>\n' + DOCTYPE + SVG)
    assert b"DOCTYPE" not in asset.data and SVG in asset.data


@pytest.mark.parametrize("packed", [False, True])
def test_svgz_is_plain_svg_for_the_editions(tmp_path, packed):
    asset = _read(tmp_path, "z.svgz", gzip.compress(SVG) if packed else SVG)
    assert (asset.media_type, asset.data) == ("image/svg+xml", SVG)


@pytest.mark.parametrize("prolog", [
    DOCTYPE.replace(b">\n", b' [<!ENTITY e "x">]>\n'),  # internal subset
    b'<!DOCTYPE svg SYSTEM "file:///etc/passwd">\n',  # any other DOCTYPE
])
def test_other_doctypes_and_entities_stay_refused(tmp_path, prolog):
    with pytest.raises(BookError) as caught:
        _read(tmp_path, "e.svg", prolog + SVG)
    assert str(caught.value).startswith("chapters/a.md:3: SVG 'e.svg' refused")
