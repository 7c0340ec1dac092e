"""The no-op rebuild: when nothing the editions depend on has changed and the editions in
the output folder are still the ones the last build wrote, there is nothing to do.

The fingerprint covers every file of the project (but the output folder and the version
control, virtual environment and cache folders of SKIP_DIRS, which no build reads), the
builder's own code, templates and theme, the options and SOURCE_DATE_EPOCH.
The record lives in the output folder's `.book-cache/` and lists each output file's sha256,
so an edited, deleted or half-written output is rebuilt, never served stale."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path

from . import __version__
from .output import atomic_write

CACHE_DIR = ".book-cache"
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", ".cache", CACHE_DIR, ".pytest_cache", ".hypothesis",
             "__pycache__", "node_modules"}
BUILDER = Path(__file__).resolve().parent


def _files(folder: Path, exclude: Path | None) -> list[Path]:
    found = []
    for base, dirs, names in os.walk(folder):
        here = Path(base)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                         and (exclude is None or (here / d).resolve() != exclude))
        found.extend(here / n for n in sorted(names))
    return found


def _digest(path: Path) -> str:
    # Never follow a link or open a device or pipe: a project may hold a symlink to
    # /dev/urandom or to a file outside it (the build refuses those, with their line);
    # the fingerprint takes the link's target text and skips what is not a regular file.
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if not path.is_file():
        return "not-a-file"
    return hashlib.sha256(path.read_bytes()).hexdigest()


# The libraries whose versions shape an edition's bytes: the layout engine and its PDF
# writer, font subsetting, images, the PDF joiner, the EPUB package, Markdown and HTML.
LIBRARIES = ("weasyprint", "pydyf", "fonttools", "pillow", "pikepdf", "pyphen", "tinycss2",
             "cssselect2", "tinyhtml5", "ebooklib", "lxml", "markdown-it-py",
             "mdit-py-plugins", "jinja2", "markupsafe", "nh3", "pyyaml")


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
    for path in _files(BUILDER, None):
        h.update(f"{path.relative_to(BUILDER).as_posix()}\0{_digest(path)}".encode())
    return h.hexdigest()


def fingerprint(root: Path, out_dir: Path, options: dict) -> str:
    """One hash of everything a build reads, plus the options that shape its output."""
    h = hashlib.sha256(json.dumps({"version": __version__, **options,
                                   "epoch": os.environ.get("SOURCE_DATE_EPOCH", "")},
                                  sort_keys=True).encode())
    h.update(builder_digest().encode())
    base = root.resolve()
    for path in _files(base, out_dir.resolve()):
        h.update(f"{path.relative_to(base).as_posix()}\0".encode())
        h.update(_digest(path).encode())
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
        files = _files(path, None) if path.is_dir() else [path]
        for file in files:
            digests[str(file)] = _digest(file)
    return digests


def still_built(out_dir: Path, print_: str) -> dict | None:
    """The last build's record when the fingerprint matches and its outputs are intact."""
    try:
        record = json.loads(_record_path(out_dir).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != print_:
        return None
    try:
        if outputs_of([Path(p) for p in record["paths"]]) != record["outputs"]:
            return None
    except (OSError, KeyError):
        return None
    return record


def remember(out_dir: Path, print_: str, paths: list[Path], warnings: list[str]) -> None:
    """Record a finished build: its fingerprint, and each output's sha256 and warnings."""
    record = {"fingerprint": print_, "paths": [str(p) for p in paths],
              "outputs": outputs_of(paths), "warnings": warnings}
    atomic_write(_record_path(out_dir), json.dumps(record, indent=1).encode())
