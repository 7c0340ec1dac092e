"""Draw the test book's two images: the photo `anemone` and the plain-Markdown snail.

Flat colours keep the PNGs small; the output is deterministic (no metadata), so
re-running leaves the committed files byte-identical.

Usage: python tests/projects/make_mini_images.py
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent / "mini" / "assets"
SUPERSAMPLE = 2  # drawn larger and scaled down so curves are smooth


def smooth(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale a supersampled drawing down to its final size."""
    return img.resize(size, Image.Resampling.LANCZOS)


def anemone() -> Image.Image:
    """A red anemone on a grey rock under blue water, 1600×1067."""
    s = SUPERSAMPLE
    width, height = 1600 * s, 1067 * s
    img = Image.new("RGB", (width, height), (46, 104, 140))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, width, 300 * s], fill=(70, 132, 165))  # lighter water near the surface
    draw.ellipse([-200 * s, 720 * s, 1800 * s, 1500 * s], fill=(112, 110, 104))  # rock
    cx, base, top = 800 * s, 800 * s, 560 * s
    draw.rounded_rectangle([cx - 110 * s, top, cx + 110 * s, base + 40 * s], radius=60 * s,
                           fill=(150, 28, 36))  # column
    for i in range(28):
        angle = math.pi * (0.05 + 0.9 * i / 27)  # fan of tentacles over the top
        reach = (260 if i % 2 else 320) * s
        tip = (cx - reach * math.cos(angle), top + 20 * s - reach * math.sin(angle))
        draw.line([(cx, top + 30 * s), tip], fill=(196, 52, 64), width=16 * s)
        draw.ellipse([tip[0] - 13 * s, tip[1] - 13 * s, tip[0] + 13 * s, tip[1] + 13 * s],
                     fill=(226, 96, 108))
    draw.ellipse([cx - 120 * s, top - 40 * s, cx + 120 * s, top + 70 * s],
                 fill=(120, 20, 30))  # disc
    for x, y in ((360, 880), (1240, 860), (1100, 960)):  # a few limpets
        draw.chord([(x - 50) * s, (y - 40) * s, (x + 50) * s, (y + 40) * s], 180, 360,
                   fill=(196, 186, 160))
    return smooth(img, (1600, 1067))


def snail() -> Image.Image:
    """A spiral snail shell on cream paper, 800×800."""
    s = SUPERSAMPLE
    size = 800 * s
    img = Image.new("RGB", (size, size), (248, 243, 230))
    draw = ImageDraw.Draw(img)
    centre = size / 2
    draw.ellipse([centre - 300 * s, centre - 300 * s, centre + 300 * s, centre + 300 * s],
                 fill=(222, 190, 140))
    turns, rate, pen = 3.5, 0.22, 7 * s
    growth = 270 * s / math.exp(rate * 2 * math.pi * turns)
    for step in range(2000):  # a logarithmic spiral inked as a run of overlapping dots
        theta = 2 * math.pi * turns * step / 1999
        radius = growth * math.exp(rate * theta)
        x, y = centre + radius * math.cos(theta), centre + radius * math.sin(theta)
        draw.ellipse([x - pen, y - pen, x + pen, y + pen], fill=(110, 70, 40))
    return smooth(img, (800, 800))


def main() -> None:
    """Write both images into tests/projects/mini/assets/."""
    for rel, image in (("photos/anemone.png", anemone()), ("snail.png", snail())):
        target = ASSETS / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, "PNG", optimize=True)
        print(target.relative_to(ASSETS.parent).as_posix())


if __name__ == "__main__":
    main()
