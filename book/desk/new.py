"""`book new DIR`: a small project that builds and passes `book check --strict` at once,
so a new editor starts from a working book and learns each feature from its example."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import unicodedata
import uuid
from pathlib import Path
from string import Template

from PIL import Image, ImageDraw

from ..errors import BookError

TEMPLATE = Path(__file__).with_name("template")
PLACEHOLDER = "assets/placeholder.png"
PLACEHOLDER_SIZE = (1200, 800)  # prints at over 150 dpi across the A5 text column
SAMPLE_CHAPTER = "chapters/01-start.md"
# The sample text is English: another language's dictionary would flag every word.
NOT_ENGLISH_CHECK = f"""
# The sample chapter is in English; delete this table once it holds your own text.
[check.files]
"{SAMPLE_CHAPTER}" = ["spelling-unknown"]
"""


def _toml(text: str) -> str:
    """A TOML basic string: JSON's escapes (\\", \\\\, \\n, \\uXXXX) are TOML's."""
    return json.dumps(text, ensure_ascii=False)


def slug_of(title: str) -> str:
    """The editions' file-name stem: lower-case letters, digits and single hyphens."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words)[:60].strip("-") or "book"


def draw_placeholder(path: Path) -> None:
    """A grey panel with a frame: the same bytes on every run (no date, no randomness)."""
    width, height = PLACEHOLDER_SIZE
    image = Image.new("RGB", PLACEHOLDER_SIZE, (214, 214, 208))
    draw = ImageDraw.Draw(image)
    margin = 60
    draw.rectangle((margin, margin, width - margin, height - margin),
                   outline=(120, 120, 112), width=8)
    draw.line((margin, margin, width - margin, height - margin), fill=(160, 160, 150), width=4)
    draw.line((margin, height - margin, width - margin, margin), fill=(160, 160, 150), width=4)
    image.save(path, format="PNG", optimize=True)


def new_project(dest: Path, title: str, language: str, author: str,
                today: dt.date | None = None) -> list[str]:
    """Write the project into `dest` (absent or empty); return the files written."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BookError.at(str(dest), None, "the folder is not empty",
                           "choose a new folder; book new never overwrites files")
    date = (today or dt.date.today()).isoformat()
    values = {
        "title": _toml(title), "language": _toml(language), "slug": _toml(slug_of(title)),
        "author": _toml(author), "rights": _toml(f"© {date[:4]} {author}. All rights reserved."),
        "identifier": _toml(f"urn:uuid:{uuid.uuid4()}"), "date": _toml(date),
        "check": "" if language.lower().split("-")[0] == "en" else NOT_ENGLISH_CHECK,
    }
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(TEMPLATE.rglob("*")):
        if source.is_dir():
            continue
        rel = source.relative_to(TEMPLATE).as_posix()
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel == "book.toml":
            target.write_text(Template(source.read_text("utf-8")).substitute(values), "utf-8")
        else:
            shutil.copyfile(source, target)
        written.append(rel)
    draw_placeholder(dest / PLACEHOLDER)
    return sorted([*written, PLACEHOLDER])
