"""YAML front matter: split it from the Markdown, parse it safely, validate its keys."""

from __future__ import annotations

import io
from dataclasses import dataclass

import yaml

from ..errors import BookError, Collector
from .schema import Choice, KeyLines, LanguageTag, Prose, Schema

FRONT_MATTER = Schema({
    "title": Prose(doc="The chapter title (else the first heading is used)."),
    "short_title": Prose(doc="Running head and short contents label."),
    "description": Prose(doc="One-line summary of the chapter."),
    "lang": LanguageTag(doc="BCP 47 tag of a chapter written in another language than the "
                        "book (`fa` in an English book): its documents carry it, and its "
                        "hyphenation, fonts and direction follow it."),
    "dir": Choice(choices=("rtl", "ltr"), doc="`rtl` or `ltr`: the chapter's direction "
                  "when it is not its language's (`lang: fa` is already `rtl`); its running "
                  "heads, folios and page order stay the book's.",
                  unknown="front matter 'dir' must be 'rtl' or 'ltr', not '{value}'"),
}, unknown="unknown front matter key '{key}'", bad="front matter '{key}' {problem}",
    unknown_rule="front-matter-unknown-key", bad_rule="front-matter-type")


def _refuse_bad_keys(node: yaml.Node | None) -> None:
    """yaml.safe_load keeps the last of two equal keys without a word; find duplicates (and
    keys that are lists or mappings) in the composed tree first, with their position."""
    if isinstance(node, yaml.MappingNode):
        seen: set[tuple[str, str]] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be text, not a list or mapping", key_node.start_mark)
            if (key_node.tag, key_node.value) in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key_node.value}'", key_node.start_mark)
            seen.add((key_node.tag, key_node.value))
            _refuse_bad_keys(value_node)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_bad_keys(item)


@dataclass(frozen=True)
class FrontMatter:
    data: dict
    lines: dict[str, int]  # key → line in the file
    body: str
    body_offset: int  # lines before the Markdown body starts


def _line(yaml_text: str, index: int) -> int:
    """The file line of a character of the front matter (YAML also breaks lines at \x85
    and \u2028, which editors do not: count from the character's index instead)."""
    before = yaml_text[:index]
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 2


def split_front_matter(path: str, text: str) -> FrontMatter:
    """Separate `---` YAML front matter from the body, keeping line numbers right."""
    lines = io.StringIO(text, newline="").readlines()  # \n, \r\n, \r: lines as editors and
    if not lines or lines[0].rstrip() != "---":  # markdown-it count them (not \u2028 & co)
        return FrontMatter({}, {}, text, 0)
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise BookError.at(path, 1, "front matter opened with '---' is never closed",
                           "add a line '---' after the front matter", rule="front-matter-unclosed")
    yaml_text = "".join(lines[1:end])
    try:
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        _refuse_bad_keys(node)
        data = yaml.safe_load(yaml_text)
    except yaml.MarkedYAMLError as exc:
        mark, hint = exc.problem_mark or exc.context_mark, ""
        if exc.context_mark and mark and mark.index >= len(yaml_text.rstrip()):
            # ran off the end: the mistake is where the unclosed quote or bracket opens
            mark, hint = exc.context_mark, "a quote or bracket opened here is never closed"
        line, col = (_line(yaml_text, mark.index), mark.column + 1) if mark else (1, None)
        raise BookError.at(path, line, f"front matter: {exc.problem or exc.context}", hint,
                           rule="front-matter-syntax", col=col) from None
    except RecursionError:
        raise BookError.at(path, 2, "front matter is nested too deeply",
                           rule="front-matter-syntax") from None
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not accept
        position = getattr(exc, "position", None)
        line = _line(yaml_text, position) if isinstance(position, int) else 1
        raise BookError.at(path, line, f"front matter: {str(exc).splitlines()[0]}",
                           rule="front-matter-syntax") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BookError.at(path, 2, "front matter must be a mapping of keys to values",
                           rule="front-matter-syntax")
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = _line(yaml_text, key_node.start_mark.index)
    return FrontMatter(data, key_lines, "".join(lines[end + 1:]), end + 1)


def validate_front_matter(path: str, fm: FrontMatter) -> None:
    """Refuse unknown keys and non-text values, all at once, each at its own line."""
    problems = Collector()
    FRONT_MATTER.check(fm.data, KeyLines(path, fm.lines), problems)
    problems.raise_if_any()
