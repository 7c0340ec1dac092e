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


# Project CSS goes to WeasyPrint and, as text, into the EPUB and the web edition, so it
# may not load anything: no @import, no @font-face, no url() (or the functions that take
# one), no attr() read as a URL. Checked at load time, with the line of each offence.
_CSS_AT_RULES = {"import": "@import", "font-face": "@font-face"}
_CSS_URL_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade",
                      "element"}


def css_problems(text: str) -> list[tuple[int, str]]:
    """(line, message) for every reference in a stylesheet that would load a resource."""
    import tinycss2

    problems: list[tuple[int, str]] = []

    def walk(nodes) -> None:
        for node in nodes or ():
            kind = getattr(node, "type", "")
            if kind == "url":
                problems.append((node.source_line, f"url({node.value}) is not allowed"))
            elif kind == "function":
                name = node.lower_name
                args = [a for a in node.arguments if a.type not in ("whitespace", "comment")]
                if name in _CSS_URL_FUNCTIONS:
                    target = args[0].value if args and args[0].type in ("string", "url") else ""
                    problems.append((node.source_line, f"{name}({target}) is not allowed"))
                elif name == "attr" and any(getattr(a, "lower_value", "") == "url" for a in args):
                    problems.append((node.source_line, "attr(… url) is not allowed"))
                else:
                    walk(node.arguments)
            elif kind == "at-keyword" and node.lower_value in _CSS_AT_RULES:
                problems.append((node.source_line, f"{_CSS_AT_RULES[node.lower_value]} is not allowed"))
            elif kind == "at-rule" and node.lower_at_keyword in _CSS_AT_RULES:
                problems.append((node.source_line,
                                 f"{_CSS_AT_RULES[node.lower_at_keyword]} is not allowed"))
            elif kind in ("at-rule", "qualified-rule"):
                walk(node.prelude)
                walk(node.content)
            elif kind in ("() block", "[] block", "{} block"):
                walk(node.content)

    walk(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))
    return problems
