"""The web edition emitter: a folder of HTML pages with the images, CSS and fonts they use.
The folder is built beside the old one and swapped in by rename, so a failure leaves the
previous edition whole."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..model import Book, Rendition
from ..output import destination
from ..errors import BuildError
from ..render.theme import FONTS, faces_for, stylesheet


@dataclass(frozen=True)
class WebResult:
    path: Path
    size: int


def web_files(book: Book, rendition: Rendition) -> dict[str, bytes]:
    """Every file of the web edition by its path inside the folder; `book serve` serves
    this same dict from memory."""
    files: dict[str, bytes] = {"index.html": rendition.html.encode("utf-8")}
    for part in rendition.parts:
        files[f"{part.id}.html"] = part.html.encode("utf-8")
    css = stylesheet("web", book) + "\n".join(a.data.decode("utf-8") for a in book.extra_css)
    files["book.css"] = css.encode("utf-8")
    for face in faces_for(book):
        files[f"fonts/{face.file}"] = (FONTS / face.file).read_bytes()
    for asset in book.assets:
        files[asset.path] = asset.data
    return files


def emit_web(book: Book, rendition: Rendition, out_dir: Path) -> WebResult:
    """Write `<slug>-web/` beside the old folder and swap it in once every file is there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{book.meta.slug}-web"
    place = destination(final)
    place.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=place.parent))
    staging.chmod(0o755)
    try:
        files = web_files(book, rendition)
        for name, data in files.items():
            target = staging / name
            if staging.resolve() not in target.resolve().parents:  # never outside the edition
                raise BuildError(f"web edition: refusing to write '{name}' outside its folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if place.exists():
            shutil.rmtree(place)
        staging.rename(place)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WebResult(final, sum(len(d) for d in files.values()))
