"""`book import docx FILE.docx`: a chapter drafted in Word becomes a Markdown chapter of
the project. Pandoc's docx reader (the pandoc binary that pypandoc-binary ships) does the
converting — headings, emphasis, lists, tables, footnotes, links — better than mammoth,
whose Markdown writer has no tables or footnotes. Its document tree is then adjusted here:
each image goes to assets/ as a photo of the manifest, placed with ![](photo:ID) and given
the Word caption that follows it; a table whose header row Word did not mark gets its first
row as header. What Word cannot say (credit, licence, and alt text when the image has
none) is written as a TODO that `book check` reports at its line (photo-todo)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

from ..errors import BookError
from ..source.config import MANIFEST
from ..source.load import PHOTO_MANIFEST
from .new import slug_of

CAPTION_LABEL = re.compile(r"^(?:Figure|Fig\.|Photo|Image|Illustration|Map|Chart)\s*\d+\s*"
                           r"[:.–—-]\s*", re.IGNORECASE)
TODO = "TODO"


def _text(inlines: list) -> str:
    """The plain text of pandoc inlines."""
    parts = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            parts.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Emph", "Strong", "Underline", "Strikeout", "SmallCaps"):
            parts.append(_text(content))
        elif kind in ("Span", "Link", "Quoted"):
            parts.append(_text(content[1]))
    return "".join(parts).strip()


def _image_only(block: dict) -> dict | None:
    """The image of a paragraph that holds nothing else (spaces aside)."""
    if block["t"] not in ("Para", "Plain"):
        return None
    inlines = [n for n in block["c"] if n["t"] not in ("Space", "SoftBreak")]
    return inlines[0] if len(inlines) == 1 and inlines[0]["t"] == "Image" else None


def _header_row(table: dict) -> None:
    """Word marks no header row unless asked: the first body row becomes the header."""
    head, bodies = table["c"][3], table["c"][4]
    if head[1] or not bodies or not bodies[0][3]:
        return
    head[1] = [bodies[0][3].pop(0)]


class _Photos:
    """The photos an import adds: files copied into assets/, manifest entries in order."""

    def __init__(self, root: Path, media: Path, stem: str, taken: set[str]) -> None:
        self.root, self.media, self.stem, self.taken = root, media, stem, taken
        self.entries: list[dict[str, str]] = []

    def add(self, image: dict) -> str:
        target, alt = image["c"][2][0], _text(image["c"][1])
        number = len(self.entries) + 1
        while f"{self.stem}-{number}" in self.taken:
            number += 1
        photo_id = f"{self.stem}-{number}"
        self.taken.add(photo_id)
        source = Path(target) if Path(target).is_absolute() else self.media / target
        name = f"{photo_id}{source.suffix.lower()}"
        (self.root / "assets").mkdir(exist_ok=True)
        shutil.copyfile(source, self.root / "assets" / name)
        self.entries.append({"id": photo_id, "file": name, "alt": alt, "caption": ""})
        return photo_id


def _convert(blocks: list, photos: _Photos) -> list:
    """The blocks with images made photos (their captions taken) and table headers set."""
    out: list = []
    for block in blocks:
        if block["t"] == "Table":
            _header_row(block)
        if block["t"] == "Figure":  # an image with a Word caption pandoc recognised
            images = [i for i in map(_image_only, block["c"][2]) if i]
            if len(images) == 1:
                photo_id = photos.add(images[0])
                caption = " ".join(_text(b["c"]) for b in block["c"][1][1]
                                   if b["t"] in ("Para", "Plain"))
                photos.entries[-1]["caption"] = CAPTION_LABEL.sub("", caption)
                block = {"t": "Para", "c": [images[0]]}
                images[0]["c"] = [["", [], []], [], [f"photo:{photo_id}", ""]]
                out.append(block)
                continue
        image = _image_only(block)
        if image is not None:
            photo_id = photos.add(image)
            image["c"] = [["", [], []], [], [f"photo:{photo_id}", ""]]
        elif (out and photos.entries and block["t"] == "Para" and not photos.entries[-1]["caption"]
              and _image_only(out[-1]) and CAPTION_LABEL.match(_text(block["c"]))):
            photos.entries[-1]["caption"] = CAPTION_LABEL.sub("", _text(block["c"]))
            continue  # the caption is the manifest's, not the chapter's
        out.append(block)
    return out


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _manifest_text(entries: list[dict[str, str]], source: str) -> str:
    """Manifest tables for the imported images; what Word cannot tell is a TODO."""
    out = []
    for entry in entries:
        caption = entry["caption"] or f"{TODO}: the caption"
        alt = entry["alt"] if entry["alt"] and entry["alt"] != entry["caption"] else \
            f"{TODO}: describe what the image shows"
        out.append(f"\n[{entry['id']}]   # imported from {source}\n"
                   f"file = {_toml_string(entry['file'])}\n"
                   f"caption = {_toml_string(caption)}\n"
                   f"credit = \"{TODO}: who made the image, e.g. Name/Agency\"\n"
                   f"alt = {_toml_string(alt)}\n"
                   f"licence = \"licensed\"   # {TODO}: licensed, public-domain, cc-by, "
                   "cc-by-sa or own\n")
    return "".join(out)


def _closing_bracket(text: str, start: int) -> int:
    """The index of the `]` that closes the array opening at or after `start` (strings
    and comments skipped)."""
    depth, index, quote = 0, text.index("[", start), ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            index = text.find("\n", index)
            if index < 0:
                break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError("unclosed array")


def add_chapter(manifest: str, chapter: str) -> str:
    """book.toml's text with `chapter` appended to `chapters`, every other byte (comments,
    layout) as it was; checked by reading the result back."""
    before = tomllib.loads(manifest)
    key = re.search(r"(?m)^chapters\s*=", manifest)
    if key is None or not isinstance(before.get("chapters"), list):
        raise ValueError("no chapters list")
    close = _closing_bracket(manifest, key.end())
    head = manifest[:close].rstrip()
    separator = "" if head.endswith(("[", ",")) else ","
    multiline = "\n" in manifest[key.end():close]
    item = f"\n    {_toml_string(chapter)},\n" if multiline else f" {_toml_string(chapter)}"
    result = head + separator + item + manifest[close:]
    if tomllib.loads(result).get("chapters") != [*before["chapters"], chapter]:
        raise ValueError("the chapters list did not read back")
    return result


def import_docx(root: Path, docx: Path, chapter: str | None = None) -> str:
    """Write the Word file as a chapter of the project in `root`; return a one-line summary."""
    import pypandoc  # type: ignore[import-untyped]  # pypandoc ships no types

    if not (root / MANIFEST).is_file():
        raise BookError.at(str(root / MANIFEST), None, "no book.toml here",
                           "run the import in a book project, or start one with book new")
    if not docx.is_file():
        raise BookError.at(str(docx), None, "no such file", "give the path of a .docx file")
    chapter = chapter or f"chapters/{slug_of(docx.stem)}.md"
    if not chapter.endswith(".md") or Path(chapter).is_absolute() or ".." in Path(chapter).parts:
        raise BookError.at(chapter, None, "the chapter must be a .md path inside the project",
                           "e.g. --chapter chapters/03-tensions.md")
    if (root / chapter).exists():
        raise BookError.at(chapter, None, "the chapter file already exists",
                           "choose another name with --chapter")
    manifest_text = (root / MANIFEST).read_text("utf-8")
    photos_path = root / PHOTO_MANIFEST
    photos_text = photos_path.read_text("utf-8") if photos_path.is_file() else ""
    try:
        taken = set(tomllib.loads(photos_text))
        manifest_after = add_chapter(manifest_text, chapter)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise BookError.at(MANIFEST if "chapters" in str(exc) else PHOTO_MANIFEST, None,
                           f"cannot add the chapter: {exc}", "fix the file, then import again",
                           "toml-syntax") from None
    with tempfile.TemporaryDirectory() as work:
        try:
            tree = json.loads(pypandoc.convert_file(
                str(docx), "json", format="docx", extra_args=[f"--extract-media={work}"]))
        except RuntimeError as exc:
            raise BookError.at(str(docx), None, "not a Word document pandoc can read",
                               str(exc).strip().splitlines()[-1][:200]) from None
        photos = _Photos(root, Path(work), Path(chapter).stem, taken)
        tree["blocks"] = _convert(tree["blocks"], photos)
        markdown = pypandoc.convert_text(json.dumps(tree), "gfm+footnotes", format="json",
                                         extra_args=["--wrap=none"])
    (root / chapter).parent.mkdir(parents=True, exist_ok=True)
    (root / chapter).write_text(markdown, "utf-8")
    if photos.entries:
        header = "" if photos_text else "# The photo manifest: one table per photo id.\n"
        photos_path.write_text(photos_text + header + _manifest_text(photos.entries, docx.name),
                               "utf-8")
    (root / MANIFEST).write_text(manifest_after, "utf-8")
    todo = f"; {len(photos.entries)} photos added to {PHOTO_MANIFEST} with TODOs " \
        "(book check lists them)" if photos.entries else ""
    return f"wrote {chapter} and listed it in {MANIFEST}{todo}"
