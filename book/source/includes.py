"""mdBook's text directives, expanded before a chapter's Markdown is parsed, as mdBook does:
`{{#include file}}`, `{{#include file:anchor}}` (the lines between `ANCHOR: name` and
`ANCHOR_END: name`, marker lines removed), line ranges (`file:2:10`, `file::10`, `file:5:`,
`file:3`), `{{#rustdoc_include …}}` (the whole file, lines outside the range or anchor
hidden with `# `, which Rust code blocks drop) and `{{#title …}}` (the chapter's title).
`\\{{#…}}` stays as written, without the backslash. Included files are read only inside
the project, relative to the file that names them, and may include others (10 deep).
Every line of the result remembers the file and line it came from, so problems found
later are reported where they were written."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import BookError, Collector, Problem
from .load import read_source
from .paths import OutsideProject, resolve_inside

_DIRECTIVE = re.compile(r"\\\{\{#[^}]*\}\}|\{\{\s*#([A-Za-z0-9_]+)\s+([^}]+?)\s*\}\}")
_ANCHOR_START = re.compile(r"ANCHOR:\s*([\w-]+)")
_ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w-]+)")
_INCLUDES = ("include", "rustdoc_include")
MAX_DEPTH = 10

Origin = tuple[str, int]  # (project-relative file, 1-based line)


@dataclass(frozen=True)
class Expanded:
    """A chapter's text with its directives expanded, and where each line came from."""

    text: str
    origins: tuple[Origin, ...]

    def locate(self, problem: Problem) -> Problem:
        """The problem moved to the line it was written on (an included file's line, or
        the chapter's own line before the lines the includes added)."""
        if not problem.line or not 0 < problem.line <= len(self.origins):
            return problem
        path, line = self.origins[problem.line - 1]
        col = problem.col if (path, line) == (problem.path, problem.line) else None
        return Problem(path, line, problem.message, problem.hint, problem.rule, col)


def expand(root: Path, path: str, text: str) -> Expanded:
    """Expand `text` (the chapter `path`); every missing file or anchor raises together."""
    problems = Collector()
    lines, origins, title = _expand(root, path, text, problems, 0)
    problems.raise_if_any()
    if title is not None:
        lines, origins = _with_title(lines, origins, *title)
    return Expanded("".join(lines), tuple(origins))


def _with_title(lines: list[str], origins: list[Origin], title: str,
                where: Origin) -> tuple[list[str], list[Origin]]:
    """`{{#title}}` as the front matter's title (JSON is YAML): added to the chapter's front
    matter, or as front matter of its own."""
    entry = f"title: {json.dumps(title, ensure_ascii=False)}\n"
    if lines and lines[0].rstrip() == "---":
        return [lines[0], entry, *lines[1:]], [origins[0], where, *origins[1:]]
    return ["---\n", entry, "---\n", *lines], [where, where, where, *origins]


def _expand(root: Path, path: str, text: str, problems: Collector,
            depth: int) -> tuple[list[str], list[Origin], tuple[str, Origin] | None]:
    lines: list[str] = []
    origins: list[Origin] = []
    title = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if "{{" not in line:
            lines.append(line)
            origins.append((path, number))
            continue
        pieces: list[str] = []
        piece_origins: list[Origin] = []
        position = 0
        for match in _DIRECTIVE.finditer(line):
            pieces.append(line[position:match.start()])
            position = match.end()
            kind, argument = match.group(1), match.group(2)
            if kind is None:  # escaped: `\{{#…}}` is text
                pieces.append(match.group(0)[1:])
            elif kind == "title":
                title = (argument.strip(), (path, number))
            elif kind in _INCLUDES:
                included, included_origins = _include(root, path, number, kind, argument,
                                                      problems, depth)
                pieces.append(included)
                piece_origins.extend(included_origins)
            else:
                pieces.append(match.group(0))  # not one of mdBook's text directives
        pieces.append(line[position:])
        expanded = "".join(pieces)
        if not expanded.strip() and line.strip():  # a line that held only {{#title}}
            continue
        produced = expanded.splitlines(keepends=True) or [""]
        for index, _ in enumerate(produced):
            origins.append(piece_origins[index] if index < len(piece_origins) else (path, number))
        lines.extend(produced)
    return lines, origins, title


def included_files(text: str) -> list[str]:
    """The files `text`'s include directives name, as written (relative to its file)."""
    return [_target(m.group(2))[0] for m in _DIRECTIVE.finditer(text) if m.group(1) in _INCLUDES]


def _target(argument: str) -> tuple[str, str]:
    """(file, selector) of an include directive's argument: `file:anchor`, `file:2:10`."""
    target, _, selector = argument.strip().partition(":")
    return target, selector


def _include(root: Path, path: str, number: int, kind: str, argument: str,
             problems: Collector, depth: int) -> tuple[str, list[Origin]]:
    """One include directive's text (without a final newline, as mdBook) and its origins."""
    target, selector = _target(argument)
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    shown = f"{{{{#{kind} {argument.strip()}}}}}"
    if depth >= MAX_DEPTH:
        problems.add(path, number, f"{shown} nests includes more than {MAX_DEPTH} deep",
                     "an included file includes itself?", rule="include-missing")
        return "", []
    try:
        resolved = resolve_inside(root, rel)
    except OutsideProject:
        problems.add(path, number, f"{shown}: '{target}' is outside the project",
                     "copy the file into the project", rule="include-missing")
        return "", []
    if not resolved.is_file():
        problems.add(path, number, f"{shown}: file '{rel}' does not exist", rule="include-missing")
        return "", []
    try:
        source = read_source(root, rel)
    except BookError as exc:
        problems.problems.extend(exc.problems)
        return "", []
    numbered = list(enumerate(source.splitlines(), start=1))
    chosen = _select(numbered, selector)
    if chosen is None:
        problems.add(path, number, f"{shown}: no anchor '{selector}' in {rel}",
                     "mark it with ANCHOR: name and ANCHOR_END: name comments",
                     rule="include-missing")
        return "", []
    kept = {n for n, _ in chosen}
    picked = [(n, line) for n, line in numbered if n in kept or (
        kind == "rustdoc_include" and not _is_marker(line))]
    if kind == "rustdoc_include":  # lines outside the selection stay, hidden, for rustdoc
        picked = [(n, line if n in kept else f"# {line}") for n, line in picked]
    text = "\n".join(line for _, line in picked)  # the directive's own line ends it
    lines, origins, _ = _expand(root, rel, text, problems, depth + 1)
    origins = [(rel, picked[o_line - 1][0]) if o_path == rel else (o_path, o_line)
               for o_path, o_line in origins]
    return "".join(lines), origins


def _is_marker(line: str) -> bool:
    return bool(_ANCHOR_START.search(line) or _ANCHOR_END.search(line))


def _select(numbered: list[tuple[int, str]], selector: str) -> list[tuple[int, str]] | None:
    """The lines a selector names, anchor marker lines left out (None: no such anchor)."""
    selector = selector.strip()
    if not selector:
        return [(n, line) for n, line in numbered if not _is_marker(line)]
    bounds = selector.split(":")
    if all(b.strip().isdigit() or not b.strip() for b in bounds) and len(bounds) <= 2:
        first = int(bounds[0]) if bounds[0].strip() else 1
        last = (first if len(bounds) == 1 else
                int(bounds[1]) if bounds[1].strip() else len(numbered))
        return [(n, line) for n, line in numbered if first <= n <= last]
    inside, found = False, False
    kept: list[tuple[int, str]] = []
    for n, line in numbered:
        start, end = _ANCHOR_START.search(line), _ANCHOR_END.search(line)
        if inside and end and end.group(1) == selector:
            return kept
        if inside and not start and not end:
            kept.append((n, line))
        elif start and start.group(1) == selector:
            inside = found = True
    return kept if found else None
