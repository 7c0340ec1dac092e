"""A generated cover for books whose manifest names no cover image: title, subtitle and
publisher set in the theme's fonts, deterministic PNG bytes."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..model import Metadata

SIZE = (1600, 2400)
INK = (245, 240, 230)
GROUND = (38, 52, 64)
ACCENT = (196, 120, 64)


def _centered(draw: ImageDraw.ImageDraw, y: int, lines: list[str], font, fill) -> int:
    for line in lines:
        left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
        draw.text(((SIZE[0] - (right - left)) // 2, y), line, font=font, fill=fill)
        y += int((bottom - top) * 1.35)
    return y


def make_cover(meta: Metadata, fonts: Path) -> bytes:
    """A PNG cover from the metadata alone, so a book without a cover image still has one."""
    image = Image.new("RGB", SIZE, GROUND)
    draw = ImageDraw.Draw(image)
    title = ImageFont.truetype(str(fonts / "SourceSerifPro-Semibold.ttf"), 150)
    subtitle = ImageFont.truetype(str(fonts / "SourceSerifPro-It.ttf"), 70)
    small = ImageFont.truetype(str(fonts / "SourceSansPro-Semibold.ttf"), 56)
    draw.rectangle((120, 120, SIZE[0] - 120, SIZE[1] - 120), outline=ACCENT, width=6)
    y = _centered(draw, 620, textwrap.wrap(meta.title, 16, break_on_hyphens=False), title, INK)
    draw.line((SIZE[0] // 2 - 160, y + 40, SIZE[0] // 2 + 160, y + 40), fill=ACCENT, width=6)
    if meta.subtitle:
        lines = textwrap.wrap(meta.subtitle, 34, break_on_hyphens=False)
        _centered(draw, y + 130, lines, subtitle, INK)
    _centered(draw, SIZE[1] - 360, [meta.publisher.upper()], small, ACCENT)
    out = io.BytesIO()
    image.save(out, "PNG")  # optimize=True saves 3% of 108 KB for four times the time
    return out.getvalue()
