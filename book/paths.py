"""The one rule for touching files named by content: inside the project, or refused."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import unquote

MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".css": "text/css",
}


class OutsideProject(ValueError):
    """A path that resolves outside the folder it must stay in."""


def resolve_inside(root: Path, relative: str) -> Path:
    """Resolve `relative` (POSIX, maybe percent-encoded) under `root`, following symlinks,
    and refuse anything that lands outside it."""
    text = unquote(relative)
    pure = PurePosixPath(text)
    if pure.is_absolute() or "\\" in text or "\x00" in text:
        raise OutsideProject(relative)
    base = root.resolve()
    target = (base / pure).resolve()
    if target != base and base not in target.parents:
        raise OutsideProject(relative)
    return target


def media_type(path: str) -> str | None:
    return MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())
