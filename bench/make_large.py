"""Generate a large synthetic book in this project's format, the same every run (seeded):
100 chapters, about 200,000 words, 100 images, footnotes, tables, code blocks and links
across chapters. Also writes `pandoc.md`, the same content in plain pandoc Markdown, so the
benchmark can give pandoc identical input.

    python bench/make_large.py OUT_DIR [--chapters N] [--words N]
"""

from __future__ import annotations

import argparse
import random
import shutil
import zlib
from pathlib import Path

from book_toml import write_book_toml
from PIL import Image, ImageDraw

WORDS = ("the region road corridor border city army ceasefire treaty alliance government "
         "people valley mountain river report statement minister president war peace blockade "
         "village checkpoint convoy winter harvest history language church market school "
         "bridge station archive letter council assembly province district map record").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, words: int) -> str:
    text, count = [], 0
    while count < words:
        s = sentence(rng)
        text.append(s)
        count += len(s.split())
    return " ".join(text)


def image(path: Path, index: int) -> None:
    """A flat-colour PNG (1600×1067) that compresses small but prints above 150 dpi."""
    rng = random.Random(index)
    img = Image.new("RGB", (1600, 1067), tuple(rng.randint(120, 220) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randint(0, 1400), rng.randint(0, 900)
        draw.ellipse((x, y, x + 200, y + 160), fill=tuple(rng.randint(40, 120) for _ in range(3)))
    img.save(path, "PNG", optimize=True)


def generate(out: Path, chapters: int = 100, words: int = 200_000, seed: int = 7) -> None:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "chapters").mkdir(parents=True)
    (out / "assets" / "photos").mkdir(parents=True)
    per_chapter = words // chapters
    names = [f"{n:03d}-chapter.md" for n in range(1, chapters + 1)]
    photos, pandoc = [], []
    for n, name in enumerate(names, start=1):
        title = f"Chapter {n}: the {rng.choice(WORDS)} and the {rng.choice(WORDS)}"
        body = [f"---\ntitle: \"{title}\"\nshort_title: Chapter {n}\n---\n"]
        plain = [f"# {title}\n"]
        written, section = 0, 0
        while written < per_chapter:
            if written == 0 or rng.random() < 0.15:
                section += 1
                heading = f"## Section {section}"
                body.append(heading)
                plain.append(heading)
            para = paragraph(rng, rng.randint(80, 160))
            if rng.random() < 0.2:
                para += f"[^n{written}]"
                note = f"[^n{written}]: {sentence(rng)}"
                body.append(para + "\n\n" + note)
                plain.append(para.replace("[^n", f"[^c{n}n") + "\n\n"
                             + note.replace("[^n", f"[^c{n}n"))
            else:
                body.append(para)
                plain.append(para)
            written += len(para.split())
            if rng.random() < 0.05:
                target = rng.choice(names)
                link = f"See [section 1 of {target[:3]}]({target}#section-1)."
                body.append(link)
                plain.append(f"See section 1 of {target[:3]}.")
            if rng.random() < 0.04:
                table = "| Year | Event |\n|---|---|\n" + "\n".join(
                    f"| {1900 + rng.randint(0, 120)} | {sentence(rng)} |" for _ in range(4))
                body.append(table)
                plain.append(table)
            if rng.random() < 0.03:
                code = "```\n" + "\n".join(sentence(rng) for _ in range(3)) + "\n```"
                body.append(code)
                plain.append(code)
        photo = f"photo-{n:03d}"
        image(out / "assets" / "photos" / f"{photo}.png", n)
        caption = sentence(rng)
        photos.append(f'[{photo}]\nfile = "photos/{photo}.png"\ncaption = "{caption}"\n'
                      f'credit = "Bench Photographer {n}"\nalt = "Generated panel {n}."\n'
                      f'source = "Generated"\nlicence = "own"\n')
        body.insert(3, f"![](photo:{photo})")
        plain.insert(2, f"![{caption} Photo: Bench Photographer {n}](assets/photos/{photo}.png)")
        (out / "chapters" / name).write_text("\n\n".join(body) + "\n", "utf-8")
        pandoc.append("\n\n".join(plain))
    (out / "assets" / "photos.toml").write_text("\n".join(photos), "utf-8")
    write_book_toml(out, {"title": "A Large Synthetic Book", "language": "en", "slug": "large",
                          "publisher": "Bench Press", "rights": "Generated text for benchmarks",
                          "identifier": f"urn:uuid:{zlib.crc32(str(seed).encode()):08x}"
                                        "-0000-4000-8000-000000000000",
                          "date": "2026-01-01"}, [f"chapters/{name}" for name in names],
                    "Bench Generator")
    (out / "pandoc.md").write_text("---\ntitle: A Large Synthetic Book\nlang: en\n---\n\n"
                                   + "\n\n".join(pandoc) + "\n", "utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--chapters", type=int, default=100)
    parser.add_argument("--words", type=int, default=200_000)
    args = parser.parse_args()
    generate(args.out, args.chapters, args.words)
    print(args.out)
