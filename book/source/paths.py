"""The one rule for touching files named by content: inside the project, or refused."""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath


class OutsideProject(ValueError):
    """A path that resolves outside the folder it must stay in."""


def resolve_inside(root: Path, relative: str) -> Path:
    """Resolve `relative` (a POSIX path, already decoded: a URL is decoded once, by whoever
    reads it) under `root`, following symlinks, and refuse anything that lands outside it."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or "\\" in relative or "\x00" in relative:
        raise OutsideProject(relative)
    if posixpath.normpath(relative).split("/")[0] == "..":  # even if it comes back in by name:
        raise OutsideProject(relative)  # the path is reused inside the editions
    base = root.resolve()
    target = (base / pure).resolve()
    if target != base and base not in target.parents:
        raise OutsideProject(relative)
    return target


# Project CSS goes to WeasyPrint and, as text, into the EPUB and the web edition, so it
# may not load anything: no @import, no @font-face, no url() (or the functions that take
# one), no attr() outside `content` (WeasyPrint reads attr() as a URL where a property
# takes one). Checked at load time, with the line of each offence.
_CSS_AT_RULES = {"import": "@import", "font-face": "@font-face"}
_CSS_URL_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade",
                      "element"}
_CSS_TEXT_PROPERTIES = {"content", "string-set", "bookmark-label"}  # attr() is text there


def css_problems(text: str, allow_fragments: bool = False) -> list[tuple[int, str]]:
    """(line, message) for every reference in CSS (a stylesheet, a declaration list or one
    value) that would load a resource; `allow_fragments` lets `url(#id)` through (SVG)."""
    import tinycss2

    problems: list[tuple[int, str]] = []

    def refuse(node, name: str, target: str) -> None:
        if not (allow_fragments and target.startswith("#")):
            problems.append((node.source_line, f"{name}({target}) is not allowed"))

    def target_of(nodes) -> str:
        """What an at-rule names first: its string, url() or url token ('' if none)."""
        for node in nodes:
            if node.type in ("string", "url"):
                return node.value
            if node.type == "function" and node.arguments:
                return target_of(node.arguments)
            if node.type not in ("whitespace", "comment"):
                break
        return ""

    def walk(nodes, prop: str = "") -> None:
        nodes = list(nodes or ())
        skipping = False  # the rest of a refused @import or @font-face: one problem, not two
        for index, node in enumerate(nodes):
            kind = getattr(node, "type", "")
            if skipping:
                skipping = not (kind == "{} block" or (kind == "literal" and node.value == ";"))
                continue
            if kind == "ident":  # `name :` starts a declaration
                following = [n for n in nodes[index + 1:index + 3] if n.type != "whitespace"]
                if following and following[0].type == "literal" and following[0].value == ":":
                    prop = node.lower_value
            elif kind == "literal" and node.value == ";":
                prop = ""
            if kind == "url":
                refuse(node, "url", node.value)
            elif kind == "function":
                name = node.lower_name
                args = [a for a in node.arguments if a.type not in ("whitespace", "comment")]
                if name in _CSS_URL_FUNCTIONS:
                    target = args[0].value if args and args[0].type in ("string", "url") else ""
                    refuse(node, name, target)
                elif name == "attr" and (prop not in _CSS_TEXT_PROPERTIES or any(
                        getattr(a, "lower_value", "") == "url" for a in args)):
                    problems.append((node.source_line,
                                     f"attr() is not allowed in '{prop or '?'}' (only in content)"))
                else:
                    walk(node.arguments, prop)
            elif kind == "at-keyword" and node.lower_value in _CSS_AT_RULES:
                target = target_of(nodes[index + 1:])
                named = f" of '{target}'" if target else ""
                problems.append((node.source_line,
                                 f"{_CSS_AT_RULES[node.lower_value]}{named} is not allowed"))
                skipping = True
            elif kind in ("() block", "[] block", "{} block"):
                walk(node.content)

    walk(tinycss2.parse_component_value_list(text, skip_comments=True))
    return problems
