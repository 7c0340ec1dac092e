"""Draw the stand-in panels printed in place of photographs the book may not reproduce.

For every photo in assets/photos.toml with licence = "stand-in", write a PNG at
assets/<file> naming the subject and crediting the original photographer. The
output is deterministic: the same manifest gives byte-identical files.

Usage: python scripts/make_standins.py [PROJECT_DIR]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parent.parent
FONTS = REPO / "book" / "render" / "theme" / "fonts"
MANIFEST = "assets/photos.toml"

SIZE = (1800, 1200)
SUPERSAMPLE = 2  # the hatch is drawn larger and scaled down so its lines are smooth
BACKGROUND = (234, 230, 223)
HATCH = (222, 217, 208)
BORDER = (176, 168, 156)
CARD = (246, 243, 238)
HEADING_INK = (122, 112, 99)
SUBJECT_INK = (52, 47, 42)
NOTE_INK = (92, 85, 76)

MARGIN = 48  # from the image edge to the border frame
CARD_WIDTH = 1360
CARD_PADDING = 72
TEXT_WIDTH = CARD_WIDTH - 2 * CARD_PADDING
SUBJECT_SIZES = (84, 76, 68, 60, 54)  # largest size that fits in MAX_SUBJECT_LINES wins
MAX_SUBJECT_LINES = 3
HEADING = "STAND-IN IMAGE"
HEADING_CAP = 24  # cap height of the 34 px heading face
NOTICE = "Not reproduced: the photograph is not licensed to this book."


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A project font, laid out the same way whether or not libraqm is installed."""
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap of `text` into lines no wider than `width` pixels."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and face.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def balanced_wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Wrap into as few lines as `wrap` would, but as evenly long as possible."""
    lines = wrap(text, face, width)
    while width > 0 and len(narrower := wrap(text, face, width - 8)) == len(lines):
        lines, width = narrower, width - 8
    return lines


def fit_subject(subject: str) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest subject face whose wrapped lines fit the card."""
    for size in SUBJECT_SIZES:
        face = font("SourceSerifPro-Regular.ttf", size)
        lines = balanced_wrap(subject, face, TEXT_WIDTH)
        if len(lines) <= MAX_SUBJECT_LINES:
            break
    return face, lines


def background() -> Image.Image:
    """Warm-grey panel with a faint diagonal hatch inside a darker frame."""
    scale = SUPERSAMPLE
    width, height = SIZE[0] * scale, SIZE[1] * scale
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    step = 40 * scale
    for x in range(-height, width, step):
        draw.line([(x, height), (x + height, 0)], fill=HATCH, width=3 * scale)
    inset = MARGIN * scale
    draw.rectangle([inset, inset, width - inset - 1, height - inset - 1],
                   outline=BORDER, width=3 * scale)
    return img.resize(SIZE, Image.Resampling.LANCZOS)


def tracked_text(draw: ImageDraw.ImageDraw, centre_x: int, baseline: int, text: str,
                 face: ImageFont.FreeTypeFont, tracking: int, fill: tuple[int, int, int]) -> None:
    """Draw `text` centred on `centre_x`, with `tracking` extra pixels between letters."""
    advances = [face.getlength(char) for char in text]
    x = centre_x - (sum(advances) + tracking * (len(text) - 1)) / 2
    for char, advance in zip(text, advances, strict=True):
        draw.text((x, baseline), char, font=face, fill=fill, anchor="ls")
        x += advance + tracking


def render(subject: str, credit: str) -> Image.Image:
    """The stand-in panel for one photograph."""
    heading = font("SourceSansPro-Semibold.ttf", 34)
    subject_face, subject_lines = fit_subject(subject)
    credit_face = font("SourceSerifPro-Regular.ttf", 40)
    credit_lines = wrap(f"Original photograph: {credit}", credit_face, TEXT_WIDTH)
    notice_face = font("SourceSerifPro-It.ttf", 34)
    notice_lines = wrap(NOTICE, notice_face, TEXT_WIDTH)

    # (text, face, ink, distance from the previous baseline) for each line under the heading.
    rows: list[tuple[str, ImageFont.FreeTypeFont, tuple[int, int, int], int]] = []
    subject_pitch = round(subject_face.size * 1.22)
    for i, line in enumerate(subject_lines):
        rows.append((line, subject_face, SUBJECT_INK, 120 if i == 0 else subject_pitch))
    for i, line in enumerate(credit_lines):
        rows.append((line, credit_face, NOTE_INK, 92 if i == 0 else 54))
    for i, line in enumerate(notice_lines):
        rows.append((line, notice_face, NOTE_INK, 62 if i == 0 else 46))
    text_height = HEADING_CAP + sum(gap for *_, gap in rows)
    card_height = text_height + 2 * CARD_PADDING + 12  # room for descenders on the last line

    img = background()
    draw = ImageDraw.Draw(img)
    left = (SIZE[0] - CARD_WIDTH) // 2
    top = (SIZE[1] - card_height) // 2
    draw.rounded_rectangle([left, top, left + CARD_WIDTH, top + card_height], radius=10,
                           fill=CARD, outline=BORDER, width=2)

    centre = SIZE[0] // 2
    baseline = top + CARD_PADDING + HEADING_CAP
    tracked_text(draw, centre, baseline, HEADING, heading, 8, HEADING_INK)
    draw.line([(centre - 36, baseline + 34), (centre + 36, baseline + 34)], fill=BORDER, width=2)
    for text, face, ink, gap in rows:
        baseline += gap
        draw.text((centre, baseline), text, font=face, fill=ink, anchor="ms")
    return img


def main(argv: list[str] | None = None) -> int:
    """Write a stand-in PNG for every stand-in photo in the project's manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", type=Path, default=REPO,
                        help="book project folder (default: this repository)")
    root = parser.parse_args(argv).project.resolve()
    manifest = root / MANIFEST
    try:
        photos = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"{manifest}: {exc}", file=sys.stderr)
        return 1
    for photo in photos.values():
        if photo.get("licence") != "stand-in":
            continue
        target = root / "assets" / photo["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        render(photo.get("subject") or photo["caption"], photo["credit"]).save(
            target, "PNG", optimize=True)
        print(target.relative_to(root).as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
