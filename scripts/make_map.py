"""Draw the explainer's locator map of the South Caucasus as a PNG.

Boundaries come from Natural Earth (public domain) through the npm package `world-atlas`
(TopoJSON, 1:10m), installed into .cache/geo on first use. Natural Earth has no polygon for
Nagorno-Karabakh, so its outline here is an approximate hand-placed shape, labelled as such
on the map and in the caption. Deterministic: same data, same bytes.

    python scripts/make_map.py [OUT.png]
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "book" / "render" / "theme" / "fonts"
ATLAS = ROOT / ".cache" / "geo" / "node_modules" / "world-atlas" / "countries-10m.json"
ATLAS_PACKAGE = "world-atlas@2.0.2"
OUT = ROOT / "assets" / "figures" / "locator-map.png"

SIZE = (2400, 1700)
WEST, EAST, SOUTH, NORTH = 42.6, 51.0, 37.9, 42.6
SEA, LAND, BORDER, INK = (214, 228, 236), (238, 235, 228), (150, 146, 140), (40, 40, 40)
FILLS = {"Azerbaijan": (226, 214, 190), "Armenia": (214, 222, 203)}
ACCENT = (176, 92, 44)

# Approximate outline of the former autonomous region (lon, lat); not from boundary data.
KARABAKH = [(46.18, 40.27), (46.55, 40.30), (46.88, 40.12), (47.05, 39.88), (47.02, 39.62),
            (46.86, 39.42), (46.62, 39.38), (46.45, 39.52), (46.35, 39.78), (46.22, 40.02)]
CORRIDOR = [(46.34, 39.51), (46.55, 39.64), (46.75, 39.82)]  # Goris – Lachin – Stepanakert
PLACES = {"Yerevan": (44.51, 40.18), "Baku": (49.87, 40.41), "Stepanakert": (46.75, 39.82)}
COUNTRY_LABELS = {"ARMENIA": (44.75, 40.72), "AZERBAIJAN": (48.15, 40.95), "GEORGIA": (44.1, 42.15),
                  "IRAN": (47.2, 38.25), "TURKEY": (43.1, 39.15), "RUSSIA": (47.3, 42.45)}
SEA_LABEL = ("Caspian Sea", (50.45, 39.6))


def ensure_atlas() -> Path:
    """Install the Natural Earth TopoJSON package from the npm registry if it is missing."""
    if not ATLAS.is_file():
        subprocess.run(["npm", "install", "--prefix", str(ATLAS.parents[2]), "--ignore-scripts",
                        "--no-audit", "--no-fund", "--loglevel=error", ATLAS_PACKAGE], check=True)
    return ATLAS


def decode(topology: dict) -> dict[str, list[list[tuple[float, float]]]]:
    """TopoJSON country geometries → rings of (lon, lat), keyed by country name."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)

    def ring(indices: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for index in indices:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(arc[1:] if points else arc)
        return points

    shapes: dict[str, list[list[tuple[float, float]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        polygons = (geometry["arcs"] if geometry["type"] == "MultiPolygon"
                    else [geometry.get("arcs", [])])
        if geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        shapes[name] = [ring(r) for polygon in polygons for r in polygon]
    return shapes


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular, scaled by the cosine of the middle latitude."""
    k = math.cos(math.radians((NORTH + SOUTH) / 2))
    width = (EAST - WEST) * k
    x = (lon - WEST) * k / width * SIZE[0]
    y = (NORTH - lat) / (NORTH - SOUTH) * SIZE[1]
    return x, y


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, face, fill=INK,
          anchor: str = "mm", halo: bool = True) -> None:
    if halo:
        draw.text(xy, text, font=face, fill=fill, anchor=anchor, stroke_width=6,
                  stroke_fill=(255, 255, 255))
    else:
        draw.text(xy, text, font=face, fill=fill, anchor=anchor)


def draw_map(shapes: dict[str, list[list[tuple[float, float]]]]) -> Image.Image:
    image = Image.new("RGB", SIZE, SEA)
    draw = ImageDraw.Draw(image)
    for name, rings in sorted(shapes.items()):
        for points in rings:
            if len(points) > 2:
                draw.polygon([project(*p) for p in points], fill=FILLS.get(name, LAND))
    for _name, rings in sorted(shapes.items()):
        for points in rings:
            if len(points) > 2:
                draw.line([project(*p) for p in [*points, points[0]]], fill=BORDER, width=3)
    outline = [project(*p) for p in KARABAKH]
    hatch = Image.new("L", SIZE, 0)
    ImageDraw.Draw(hatch).polygon(outline, fill=255)
    stripes = Image.new("L", SIZE, 0)
    stripe_draw = ImageDraw.Draw(stripes)
    for offset in range(-SIZE[1], SIZE[0], 22):
        stripe_draw.line([(offset, SIZE[1]), (offset + SIZE[1], 0)], fill=255, width=5)
    mask = Image.composite(stripes, Image.new("L", SIZE, 0), hatch)
    image.paste(Image.new("RGB", SIZE, ACCENT), (0, 0), mask)
    draw.line(outline + [outline[0]], fill=ACCENT, width=6, joint="curve")
    draw.line([project(*p) for p in CORRIDOR], fill=(120, 40, 30), width=12, joint="curve")

    country, city = font("SourceSansPro-Semibold.ttf", 58), font("SourceSansPro-Semibold.ttf", 64)
    small = font("SourceSansPro-Regular.ttf", 50)
    for text, (lon, lat) in COUNTRY_LABELS.items():
        label(draw, project(lon, lat), text, country, fill=(110, 104, 96), halo=False)
    label(draw, project(*SEA_LABEL[1]), SEA_LABEL[0], font("SourceSerifPro-It.ttf", 58),
          fill=(70, 100, 120), halo=False)
    for name, (lon, lat) in PLACES.items():
        x, y = project(lon, lat)
        draw.ellipse((x - 13, y - 13, x + 13, y + 13), fill=INK, outline=(255, 255, 255), width=4)
        anchor, dx = ("lm", 26) if name != "Stepanakert" else ("lm", 30)
        label(draw, (x + dx, y), name, city, anchor=anchor)
    nx, ny = project(46.95, 40.22)
    label(draw, (nx, ny), "Nagorno-Karabakh", city, fill=ACCENT, anchor="lm")
    cx, cy = project(46.4, 39.45)
    label(draw, (cx - 20, cy + 40), "Lachin corridor", small, fill=(120, 40, 30), anchor="rm")

    legend = (40, SIZE[1] - 300, 1240, SIZE[1] - 40)
    draw.rectangle(legend, fill=(255, 255, 255), outline=BORDER, width=3)
    x0, y0 = legend[0] + 30, legend[1] + 35
    draw.rectangle((x0, y0, x0 + 70, y0 + 48), fill=ACCENT)
    label(draw, (x0 + 95, y0 + 24), "Nagorno-Karabakh (approximate outline)", small,
          anchor="lm", halo=False)
    draw.line((x0, y0 + 110, x0 + 70, y0 + 110), fill=(120, 40, 30), width=14)
    label(draw, (x0 + 95, y0 + 110), "Lachin corridor, the road to Armenia", small,
          anchor="lm", halo=False)
    label(draw, (x0, y0 + 195),
          "Boundaries: Natural Earth (public domain). Schematic, not to survey.",
          font("SourceSansPro-It.ttf", 40), anchor="lm", halo=False)
    return image


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    topology = json.loads(ensure_atlas().read_text("utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    draw_map(decode(topology)).save(out, "PNG", optimize=True)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
