"""The no-op rebuild: when nothing the editions depend on has changed and the editions in
the output folder are still the ones the last build wrote, there is nothing to do.

The fingerprint covers the files the last build read (book.toml, the chapters it lists,
the photo manifest, the images the book uses, styles/ and CHANGELOG.md, as the loaded Book
names them: `inputs_read`), the builder's own code, templates and theme, the options and
SOURCE_DATE_EPOCH. No other file of the project is opened. The record lives in the output
folder's `.book-cache/`, lists the inputs and each output file's sha256 (so an edited,
deleted or half-written output is rebuilt, never served stale), and carries an HMAC under
a key kept outside the project (`machine_key`), so a record or cache entry written by
anyone but this user's builds is never trusted."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import stat
import sys
from pathlib import Path

from . import __version__
from .output import atomic_write

CACHE_DIR = ".book-cache"
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", ".cache", CACHE_DIR, ".pytest_cache", ".hypothesis",
             "__pycache__", "node_modules"}
BUILDER = Path(__file__).resolve().parent
KEY_BYTES = 32


def _files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for base, dirs, names in os.walk(folder):
        here = Path(base)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found.extend(here / n for n in sorted(names))
    return found


def _digest(path: Path) -> str:
    """A file's sha256, read in blocks (never whole). Never follows a link out or opens a
    device or pipe: a link counts by its target text (and the file it reaches), a folder
    by the names in it, anything else by its kind. Raises OSError when unreadable."""
    if path.is_symlink():
        target = os.readlink(path)
        return f"link:{target}:" + (_digest(path.resolve()) if path.resolve().is_file() else "")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    if stat.S_ISDIR(mode):
        return "folder:" + "\0".join(sorted(os.listdir(path)))
    if not stat.S_ISREG(mode):
        return "not-a-file"
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@functools.cache
def machine_key() -> bytes | None:
    """This user's secret for the build records and the chunk cache, kept outside every
    project ($XDG_CACHE_HOME/book/key, else ~/.cache/book/key; made 0600 on first use):
    files in a checkout cannot carry a valid seal. None when there is no private place
    for it (then nothing cached is trusted and every build lays out afresh)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "book" / "key"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                                 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(os.urandom(KEY_BYTES))
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            key = handle.read(KEY_BYTES + 1)
    except OSError:
        return None
    private = info.st_uid == os.getuid() and not info.st_mode & 0o077
    return key if private and len(key) == KEY_BYTES else None


def seal(name: str, payload: bytes) -> str:
    """The HMAC of a cache record under this machine's key, bound to the record's name (so
    a sealed record does not pass for another). Empty when there is no key."""
    key = machine_key()
    if key is None:
        return ""
    return hmac.new(key, name.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


def sealed(name: str, record: dict) -> bytes:
    """A record as the JSON a cache file holds: the record and its seal."""
    body = json.dumps(record, sort_keys=True)
    return json.dumps({"record": record, "seal": seal(name, body.encode())}).encode()


def unsealed(name: str, data: bytes) -> dict | None:
    """The record in a cache file's bytes, or None unless its seal is this machine's."""
    try:
        outer = json.loads(data)
        record, mark = outer["record"], outer["seal"]
        body = json.dumps(record, sort_keys=True).encode()
    except (ValueError, TypeError, KeyError):
        return None
    good = seal(name, body)
    return record if good and isinstance(mark, str) and hmac.compare_digest(mark, good) \
        and isinstance(record, dict) else None


# The libraries whose versions shape an edition's bytes: the layout engine and its PDF
# writer, font subsetting, images, the PDF joiner, the EPUB package, Markdown and HTML,
# and the web edition's search index.
LIBRARIES = ("weasyprint", "pydyf", "fonttools", "pillow", "pikepdf", "pyphen", "tinycss2",
             "cssselect2", "tinyhtml5", "ebooklib", "lxml", "markdown-it-py",
             "mdit-py-plugins", "jinja2", "markupsafe", "nh3", "pyyaml",
             "pagefind-bin-extended")


@functools.cache
def library_versions() -> dict[str, str]:
    """The installed version of each library in LIBRARIES ("" for one not installed), from
    the names of the `name-version.dist-info` folders on sys.path, as importlib.metadata
    would find them first (reading every distribution's metadata costs 60 ms of the
    no-op check)."""
    versions = dict.fromkeys(LIBRARIES, "")
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for entry in names:
            stem = entry[:-len(".dist-info")]
            if entry.endswith(".dist-info") and stem.count("-") == 1:
                name, version = stem.split("-")
                name = name.lower().replace("_", "-")
                if name in versions and not versions[name]:
                    versions[name] = version
    return versions


@functools.cache
def builder_digest() -> str:
    """One hash of the builder's own code, templates, theme and fonts, and the versions of
    the libraries that shape its output (once per process: the no-op check and the chunk
    cache both key on it, so an upgrade never joins chunks from two layout engines)."""
    h = hashlib.sha256(json.dumps(library_versions(), sort_keys=True).encode())
    for path in _files(BUILDER):
        h.update(f"{path.relative_to(BUILDER).as_posix()}\0{_digest(path)}".encode())
    return h.hexdigest()


def inputs_read(book) -> list[str]:
    """Project-relative paths of everything the build of `book` read, from the loaded Book:
    the loader's fixed files (book.toml, the photo manifest, CHANGELOG.md and the styles
    folder, whose listing decides which stylesheets are read) and what the book names."""
    from .source.config import MANIFEST
    from .source.load import CHANGELOG, PHOTO_MANIFEST, STYLES

    named = [*book.meta.chapter_paths, *(a.path for a in book.assets),
             *(a.path for a in book.extra_css),
             *(p for p in (book.meta.bibliography, book.meta.csl) if p)]
    return sorted({MANIFEST, PHOTO_MANIFEST, CHANGELOG, STYLES, *named})


def fingerprint(root: Path, options: dict, inputs: list[str]) -> str:
    """One hash of the files a build reads, plus the builder and the options that shape
    its output. Raises OSError when an input cannot be read."""
    h = hashlib.sha256(json.dumps({"version": __version__, **options,
                                   "epoch": os.environ.get("SOURCE_DATE_EPOCH", "")},
                                  sort_keys=True).encode())
    h.update(builder_digest().encode())
    base = root.resolve()
    for rel in inputs:
        h.update(f"{rel}\0{_digest(base / rel)}\0".encode())
    return h.hexdigest()


def _record_path(out_dir: Path) -> Path:
    key = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
    # In the output folder: a build writes nowhere else (and never into the project);
    # keyed by the folder's path, so a copied folder does not pass for the original.
    return out_dir / CACHE_DIR / f"build-{key}.json"


def outputs_of(paths: list[Path]) -> dict[str, str]:
    """sha256 of each output file (a web edition folder counts file by file)."""
    digests = {}
    for path in paths:
        files = _files(path) if path.is_dir() else [path]
        for file in files:
            digests[str(file)] = _digest(file)
    return digests


def still_built(root: Path, out_dir: Path, options: dict) -> dict | None:
    """The last build's record when it is this machine's, the files it read and the
    options are as they were, and its outputs are intact."""
    path = _record_path(out_dir)
    try:
        record = unsealed(path.name, path.read_bytes())
        if record is None or record.get("fingerprint") != fingerprint(
                root, options, record["inputs"]):
            return None
        if outputs_of([Path(p) for p in record["paths"]]) != record["outputs"]:
            return None
    except (OSError, KeyError, TypeError):  # unreadable now: the build reports where
        return None
    return record


def remember(root: Path, out_dir: Path, options: dict, book, paths: list[Path],
             warnings: list[str], started: float) -> None:
    """Record a finished build: the files it read, its fingerprint, and each output's
    sha256 and warnings. Not when an input changed after the build began reading (`started`,
    time.time()): the editions may hold the older text, so the next build runs."""
    inputs = inputs_read(book)
    base = root.resolve()
    try:
        for rel in inputs:
            if (base / rel).exists() and (base / rel).stat().st_mtime >= started - 0.02:
                return  # (file times lag the clock by a tick)
        print_ = fingerprint(root, options, inputs)
    except OSError:
        return
    record = {"fingerprint": print_, "inputs": inputs, "paths": [str(p) for p in paths],
              "outputs": outputs_of(paths), "warnings": warnings}
    path = _record_path(out_dir)
    atomic_write(path, sealed(path.name, record))
