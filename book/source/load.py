"""load: read the project's files into Sources. Apart from the emitters, only this module
reads the disk, and only inside the project folder."""

from __future__ import annotations

import io
import posixpath
import re
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import unquote

from lxml import etree
from PIL import Image

from ..errors import BookError, Collector, did_you_mean
from ..model import FIGURE_KINDS, LICENCES, Asset, Metadata, Photo, media_type
from .config import MANIFEST, parse_config
from .limits import MAX_SVG_ELEMENTS
from .paths import OutsideProject, css_problems, resolve_inside
from .schema import PROSE, Choice, Prose, Schema, TomlPlace
from .tomlfile import TomlDoc, parse_toml

PHOTO_MANIFEST = "assets/photos.toml"
CHANGELOG = "CHANGELOG.md"
STYLES = "styles"  # project CSS: every styles/*.css
PHOTO = Schema({
    "file": Prose(required=True, doc="Image file, relative to the assets/ folder.",
                  rule="photo-missing-file"),
    "caption": Prose(required=True, doc="Caption printed under the photo.",
                     rule="photo-missing-caption"),
    "credit": Prose(required=True, doc="Credit line, e.g. 'Name/Agency'.",
                    rule="photo-missing-credit"),
    "alt": Prose(required=True, doc="Alt text describing the image (not the caption).",
                 rule="photo-missing-alt"),
    "source": Prose(doc="Where the original photograph appeared."),
    "licence": Choice(required=True, doc="Licence status: " + ", ".join(LICENCES) + ".",
                      expect=PROSE, filled=PROSE, choices=LICENCES, rule="photo-missing-licence",
                      unknown="unknown licence status '{value}'", unknown_rule="photo-licence"),
    "subject": Prose(doc="Short subject phrase (printed on generated stand-ins)."),
    "kind": Choice(default="photo", doc="photo (default), map, chart or illustration: sets the "
                   "credit's wording.", expect=PROSE, filled=PROSE, choices=FIGURE_KINDS,
                   unknown="unknown kind '{value}'", unknown_rule="photo-bad-value"),
}, unknown="unknown key '{key}' in photo '{owner}'", bad="'{key}' of photo '{owner}' {problem}",
    missing="photo '{owner}' has no '{key}'", unknown_rule="photo-unknown-key",
    bad_rule="photo-bad-value", missing_rule="photo-missing-{key}")
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
# The public DOCTYPEs that SVG editors (Graphviz, Illustrator, Inkscape) write: they declare
# nothing and load nothing here, so an SVG whose only DOCTYPE is one of these is accepted
# with it dropped. Any other DOCTYPE, an internal subset or an entity stays refused.
PUBLIC_SVG_DOCTYPE = re.compile(
    rb'<!DOCTYPE\s+svg\s+PUBLIC\s+(?:'
    rb'"-//W3C//DTD SVG 1\.1//EN"\s+"http://www\.w3\.org/Graphics/SVG/1\.1/DTD/svg11\.dtd"'
    rb'|"-//W3C//DTD SVG 1\.0//EN"\s+'
    rb'"http://www\.w3\.org/TR/2001/REC-SVG-20010904/DTD/svg10\.dtd")\s*>')
GZIP_MAGIC = b"\x1f\x8b"
MAX_IMAGE_BYTES = 40 * 1024 * 1024
MAX_IMAGE_PIXELS = 60_000_000
CSS_HINT = ("project styles may not load files: no @import, @font-face or url(); the theme "
            "provides the fonts and images belong in chapters")


@dataclass(frozen=True)
class Sources:
    """Everything parse needs, read from disk once."""

    root: Path
    meta: Metadata
    manifest: TomlDoc
    chapters: tuple[tuple[str, str], ...]  # (project-relative path, text)
    photos: dict[str, Photo]
    styles: tuple[Asset, ...]
    changelog: str = ""  # CHANGELOG.md text, '' when the project has none


HARD_LINK_HINT = "a hard link can reach a file outside the project; copy the file instead"


def _read_text(path: Path, shown: str, line_ref: tuple[str, int | None]) -> str:
    try:
        if path.stat().st_nlink > 1:
            raise BookError.at(shown, None, "file has more than one hard link", HARD_LINK_HINT,
                               rule="file-unreadable")
        data = path.read_bytes()
    except FileNotFoundError:
        raise BookError.at(line_ref[0], line_ref[1], f"file '{shown}' does not exist",
                           rule="file-unreadable") from None
    except OSError as exc:
        raise BookError.at(shown, None, f"cannot read: {exc.strerror}",
                           rule="file-unreadable") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BookError.at(shown, line, "file is not valid UTF-8 text",
                           rule="file-not-utf8") from None


def load_project(root: Path) -> Sources:
    """Read book.toml, every chapter, the photo manifest and project styles."""
    root = root.resolve()
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise BookError.at(str(manifest_path), None, f"no {MANIFEST} here",
                           "run book in a book project's folder or pass that folder",
                           rule="manifest-not-found")
    _inside_or_refuse(root, MANIFEST)
    text = _read_text(manifest_path, MANIFEST, (MANIFEST, None))
    doc = parse_toml(MANIFEST, text)
    meta = parse_config(doc)
    problems = Collector()
    chapters: list[tuple[str, str]] = []
    for rel in meta.chapter_paths:
        line = doc.value_line(rel, "chapters")
        try:
            path = resolve_inside(root, rel)
        except OutsideProject:
            problems.add(MANIFEST, line, f"chapter '{rel}' is outside the project",
                         rule="manifest-chapter-outside")
            continue
        if path.is_dir():
            problems.add(MANIFEST, line, f"chapter '{rel}' is a directory",
                         "list the chapter files, not their folder",
                         rule="manifest-chapter-missing")
            continue
        if not path.is_file():
            listed = [p.relative_to(root).as_posix() for p in sorted(root.glob("chapters/*.md"))]
            problems.add(MANIFEST, line, f"chapter file '{rel}' does not exist",
                         did_you_mean(rel, [p for p in listed if p != rel]),
                         rule="manifest-chapter-missing")
            continue
        chapters.append((rel, _read_text(path, rel, (rel, None))))
    if meta.cover:
        _image_file(root, meta.cover, meta.cover, MANIFEST, doc.line("cover"), problems)
    problems.raise_if_any()
    changelog_path = root / CHANGELOG
    changelog = (_read_text(_inside_or_refuse(root, CHANGELOG), CHANGELOG, (CHANGELOG, None))
                 if changelog_path.is_file() else "")
    return Sources(root, meta, doc, tuple(chapters), load_photos(root), _load_styles(root),
                   changelog)


def _inside_or_refuse(root: Path, rel: str) -> Path:
    """A project file the builder reads by a fixed name, refused when a symlink takes it
    outside the project."""
    try:
        return resolve_inside(root, rel)
    except OutsideProject:
        raise BookError.at(rel, None, f"'{rel}' is a link to a file outside the project",
                           "replace the link with the file itself") from None


def _image_file(root: Path, shown: str, rel: str, ref_path: str, ref_line: int | None,
                problems: Collector) -> Path | None:
    """The file of an image the book names (`rel`, project-relative; `shown` as written),
    or None after reporting why it may not be used: not a relative path to an existing
    PNG, JPEG, GIF, WebP or SVG file inside the project."""
    if "://" in shown or shown.startswith(("/", "\\")) or ":" in shown.split("/")[0]:
        problems.add(ref_path, ref_line, f"image '{shown}' is not a file inside the project",
                     "copy the image into the project and give a relative path",
                     rule="image-outside-project")
        return None
    try:
        path = resolve_inside(root, rel)
    except OutsideProject:
        problems.add(ref_path, ref_line, f"image '{shown}' is outside the project",
                     rule="image-outside-project")
        return None
    if media_type(rel) not in IMAGE_TYPES:
        problems.add(ref_path, ref_line, f"image '{shown}' is not PNG, JPEG, GIF, WebP or SVG",
                     rule="image-type")
        return None
    if not path.is_file():
        problems.add(ref_path, ref_line, f"image file '{shown}' does not exist",
                     rule="photo-file-missing" if ref_path == PHOTO_MANIFEST else "image-missing")
        return None
    if path.stat().st_nlink > 1:
        problems.add(ref_path, ref_line, f"image '{shown}' has more than one hard link",
                     HARD_LINK_HINT, rule="image-outside-project")
        return None
    return path


def load_photos(root: Path) -> dict[str, Photo]:
    """Read and validate assets/photos.toml (absent means the book has no photos)."""
    path = root / PHOTO_MANIFEST
    if not path.is_file():
        return {}
    path = _inside_or_refuse(root, PHOTO_MANIFEST)
    doc = parse_toml(PHOTO_MANIFEST, _read_text(path, PHOTO_MANIFEST, (PHOTO_MANIFEST, None)))
    problems = Collector()
    photos: dict[str, Photo] = {}
    for photo_id, entry in doc.data.items():
        line = doc.table_line(photo_id)
        if not isinstance(entry, dict):
            problems.add(PHOTO_MANIFEST, doc.line(photo_id),
                         f"'{photo_id}' must be a table [{photo_id}]",
                         rule="photo-bad-value")
            continue
        values = PHOTO.check(entry, TomlPlace(doc, photo_id), problems, where=line,
                             owner=photo_id)
        if (isinstance(entry.get("alt"), str) and entry.get("alt", "").strip()
                == str(entry.get("caption", "")).strip()):
            problems.add(PHOTO_MANIFEST, doc.line("alt", photo_id),
                         f"alt text of photo '{photo_id}' repeats its caption",
                         "describe what the image shows instead", rule="photo-alt-is-caption")
        if "file" not in values:
            continue
        # Decoded once, here: the editions use it as the figure's image URL.
        file = posixpath.normpath("assets/" + unquote(values["file"]))
        if _image_file(root, values["file"], file, PHOTO_MANIFEST, doc.line("file", photo_id),
                       problems) is None:
            continue
        if values.keys() == PHOTO.fields.keys():  # (a bad value is left out)
            photos[photo_id] = Photo(
                id=photo_id, file=file, caption=values["caption"], credit=values["credit"],
                alt=values["alt"], source=values["source"], licence=values["licence"],
                subject=values["subject"], line=line, kind=values["kind"])
    problems.raise_if_any()
    return photos


def _load_styles(root: Path) -> tuple[Asset, ...]:
    """The project's own CSS (styles/*.css), applied after the built-in theme."""
    folder = root / STYLES
    if not folder.is_dir():
        return ()
    problems = Collector()
    styles: list[Asset] = []
    for found in sorted(folder.glob("*.css")):
        rel = found.relative_to(root).as_posix()
        try:
            path = _inside_or_refuse(root, rel)
            if not path.is_file():
                raise BookError.at(rel, None, "stylesheet is not a regular file")
            text = _read_text(path, rel, (rel, None))
        except BookError as exc:
            problems.problems.extend(exc.problems)
            continue
        for line, message in css_problems(text):
            problems.add(rel, line, f"{message} in project CSS", CSS_HINT)
        styles.append(Asset(rel, text.encode("utf-8"), "text/css"))
    problems.raise_if_any()
    return tuple(styles)


def _drawn_elements(root: etree._Element) -> int:
    """How many elements the SVG draws with each <use> expanded to what it references,
    counted through every level and given up past the limit: nested <use>s expand
    exponentially (a few KB draw billions), and a <use> may reach its own ancestor."""
    by_id = {i: e for e in root.iter() if isinstance(e.tag, str) and (i := e.get("id"))}
    cap = MAX_SVG_ELEMENTS + 1
    cost: dict[str, int] = {}  # id → elements drawn by that element, expanded

    def targets(element: etree._Element) -> list[str]:
        found = []
        for use in element.iter("{http://www.w3.org/2000/svg}use"):
            href = use.get("href") or use.get("{http://www.w3.org/1999/xlink}href") or ""
            if href.startswith("#") and href[1:] in by_id:
                found.append(href[1:])
        return found

    def own(element: etree._Element) -> int:
        return sum(1 for _ in element.iter())

    pending = [i for i in by_id if targets(by_id[i])] + list(by_id)
    in_progress: set[str] = set()
    while pending:  # post-order without recursion (a chain of <use>s can be long)
        current = pending[-1]
        if current in cost:
            pending.pop()
            continue
        waiting = [t for t in targets(by_id[current]) if t not in cost]
        if not waiting:
            in_progress.discard(current)
            total = own(by_id[current]) + sum(cost[t] for t in targets(by_id[current]))
            cost[current] = min(total, cap)
            pending.pop()
            continue
        if current in in_progress or any(t in in_progress for t in waiting):
            return cap  # a <use> that reaches itself never ends
        in_progress.add(current)
        pending.extend(waiting)
    return min(own(root) + sum(cost[t] for t in targets(root)), cap)


def svg_problem(data: bytes) -> str:
    """Why an SVG may not be embedded ('' when it is safe): no DOCTYPE or entities, no
    scripts or event handlers, no references to anything outside the file (href, CSS
    url(), @import, @font-face, stylesheet processing instructions)."""
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return "it has a DOCTYPE or entity declarations"
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                                      load_dtd=False))
    except (etree.XMLSyntaxError, ValueError) as exc:
        return f"it is not well-formed XML ({exc})"
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return "it has a DOCTYPE or entity declarations"
    for sibling in (*root.itersiblings(preceding=True), *root.itersiblings()):
        if isinstance(sibling, etree._ProcessingInstruction):
            return f"it has a processing instruction (<?{sibling.target} …?>)"
    drawn = _drawn_elements(root)
    if drawn > MAX_SVG_ELEMENTS:
        return (f"it draws more than {MAX_SVG_ELEMENTS:,} elements once its <use> references "
                "are expanded")
    for element in root.iter():
        if isinstance(element, etree._Entity):
            return "it has entity references"
        if isinstance(element, etree._ProcessingInstruction):
            return f"it has a processing instruction (<?{element.target} …?>)"
        tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if tag in ("script", "foreignObject"):
            return f"it contains <{tag}>"
        for name, value in element.attrib.items():
            local = etree.QName(name).localname
            if local.startswith("on"):
                return f"it has an event handler ({local})"
            if local in ("href", "src") and not value.strip().startswith("#"):
                return f"it references '{value}' outside the file"
            found = css_problems(value, allow_fragments=True) if "(" in value else []
            if found:
                return f"its attribute '{local}' references a resource: {found[0][1]}"
        if tag == "style":
            found = css_problems("".join(element.itertext()), allow_fragments=True)
            if found:
                return f"its CSS references a resource: {found[0][1]}"
    return ""


def _plain_svg(data: bytes) -> tuple[bytes, str]:
    """The SVG bytes the editions get, and why they cannot ('' when they can): a gzipped
    SVG (.svgz) unpacked within the size cap, since EPUB readers and WeasyPrint read plain
    XML only; a public SVG DOCTYPE in the prolog dropped, since it declares nothing."""
    if data.startswith(GZIP_MAGIC):
        unpacker = zlib.decompressobj(wbits=31)
        try:
            data = unpacker.decompress(data, MAX_IMAGE_BYTES + 1)
        except zlib.error as exc:
            return data, f"it is not a valid gzip file ({exc})"
        if len(data) > MAX_IMAGE_BYTES:
            return data, f"it unpacks to more than {MAX_IMAGE_BYTES >> 20} MiB"
        if not unpacker.eof:
            return data, "it is a truncated gzip file"
    found = PUBLIC_SVG_DOCTYPE.search(data)
    if found and b"<svg" not in data[: found.start()]:
        data = data[: found.start()] + data[found.end():]
    return data, ""


def read_assets(root: Path, wanted: dict[str, tuple[str, int | None]]) -> tuple[Asset, ...]:
    """Read each image (project-relative path → where it was referenced), checking that it
    is inside the project, of an allowed type and within the size caps."""
    problems = Collector()
    assets: list[Asset] = []
    for rel, (ref_path, ref_line) in sorted(wanted.items()):
        path = _image_file(root, rel, rel, ref_path, ref_line, problems)
        if path is None:
            continue
        kind = cast(str, media_type(rel))  # _image_file let only image types through
        try:
            with open(path, "rb") as handle:  # never more than the cap (+1 to notice excess)
                data = handle.read(MAX_IMAGE_BYTES + 1)
        except OSError as exc:
            problems.add(ref_path, ref_line, f"image '{rel}' cannot be read: {exc.strerror}",
                         "check its permissions", rule="image-unreadable")
            continue
        if len(data) > MAX_IMAGE_BYTES:
            problems.add(ref_path, ref_line,
                         f"image '{rel}' is larger than {MAX_IMAGE_BYTES >> 20} MiB",
                         rule="image-too-large")
            continue
        width = height = 0
        if kind == "image/svg+xml":
            data, problem = _plain_svg(data)
            problem = problem or svg_problem(data)
            if problem:
                problems.add(ref_path, ref_line, f"SVG '{rel}' refused: {problem}",
                             rule="image-unsafe-svg")
                continue
        else:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", Image.DecompressionBombWarning)
                    with Image.open(io.BytesIO(data)) as image:
                        width, height = image.size
                        if width * height > MAX_IMAGE_PIXELS:
                            raise Image.DecompressionBombError(f"{width}×{height}")
                        image.verify()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                problems.add(ref_path, ref_line, f"image '{rel}' cannot be read (more than "
                             f"{MAX_IMAGE_PIXELS:,} pixels)", "scale it down",
                             rule="image-unreadable")
                continue
            except Exception as exc:  # Pillow raises many types for bad files
                reason = "not a valid image" if "BytesIO" in str(exc) else str(exc)
                problems.add(ref_path, ref_line, f"image '{rel}' cannot be read ({reason})",
                             rule="image-unreadable")
                continue
        assets.append(Asset(rel, data, kind, width, height))
    problems.raise_if_any()
    return tuple(assets)


def read_source(root: Path, rel: str) -> str:
    """One project text file by its project-relative path, for `book check`, which lints
    every source it can read even when the build stops at an earlier problem."""
    try:
        path = resolve_inside(root.resolve(), rel)
    except OutsideProject:
        raise BookError.at(rel, None, f"'{rel}' is outside the project",
                           rule="file-unreadable") from None
    return _read_text(path, rel, (rel, None))
