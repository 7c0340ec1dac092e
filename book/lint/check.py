"""`book check`: lint a project's sources without building editions. Errors are exactly the
problems the build refuses (it runs the build's own load, parse and assemble); warnings
come from the rules in book/rules that only check applies. The [check] table of book.toml
silences warnings by rule id, everywhere or per file."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import BookError, Collector, Problem, did_you_mean, escape_controls
from ..pipeline import edition_from_env, load_book
from ..source.config import MANIFEST
from ..source.frontmatter import split_front_matter
from ..source.load import PHOTO_MANIFEST, read_source
from ..source.schema import Mapping, Schema, TextList, TomlPlace
from ..source.tomlfile import TomlDoc, parse_toml
from .photos import low_resolution, placed_photos, unused_photos
from .rules import ERROR, RULES, WARNING
from .spelling import WORDS_FILE, check_spelling, dictionary_for, known_words, no_dictionary
from .typography import check_typography

FALLBACK_RULE = "build-input"
SHOWN_PER_RULE = 3  # typography warnings of one rule printed per file before a summary line
SUMMARISED_PREFIX = "typo-"
CHAPTER_GLOB = "chapters/*.md"
SILENCED = "silenced rules must be a list of rule ids"
SILENCED_EXAMPLE = 'e.g. ["typo-straight-quote"]'
CHECK = Schema({
    "ignore": TextList(doc="Warning rule ids silenced everywhere.", says=SILENCED,
                       example=SILENCED_EXAMPLE),
    "files": Mapping(doc="File path or glob → warning rule ids silenced in those files.",
                     values=TextList(doc="Rule ids silenced in the files.", says=SILENCED,
                                     example=SILENCED_EXAMPLE),
                     says="'check.files' must be a table",
                     example='[check.files] "chapters/x.md" = ["rule-id"]'),
}, unknown_rule="check-config", bad_rule="check-config", otherwise="use ignore or files")


@dataclass(frozen=True, order=True)
class Finding:
    """One located problem, printed as `path:line:col: severity: message [rule]`."""

    path: str
    line: int
    col: int
    severity: str
    message: str
    rule: str

    def __str__(self) -> str:
        return escape_controls(f"{self.path}:{self.line}:{self.col}: {self.severity}: "
                               f"{self.message} [{self.rule}]")


@dataclass
class Settings:
    """The [check] table: rules silenced everywhere and per file pattern."""

    ignore: set[str] = field(default_factory=set)
    files: dict[str, set[str]] = field(default_factory=dict)

    def silences(self, finding: Finding) -> bool:
        return finding.rule in self.ignore or any(
            finding.rule in rules and fnmatch.fnmatchcase(finding.path, pattern)
            for pattern, rules in self.files.items())


@dataclass(frozen=True)
class Report:
    """What one run found, and which files it read."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]  # every source file that was checked

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == WARNING for f in self.findings)

    def summary(self) -> str:
        if not self.findings:
            return f"no problems in {len(self.files)} files"
        where = len({f.path for f in self.findings})
        return (f"{_count(self.errors, 'error')}, {_count(self.warnings, 'warning')} in "
                f"{_count(where, 'file')} ({len(self.files)} checked)")

    def lines(self, shown: int = SHOWN_PER_RULE) -> list[str]:
        """The findings as printed: after `shown` warnings of one typography rule in one
        file, one line says how many more there are (JSON keeps every finding)."""
        out: list[str] = []
        seen: dict[tuple[str, str], int] = {}
        for finding in self.findings:
            key = (finding.path, finding.rule)
            seen[key] = seen.get(key, 0) + 1
            if not finding.rule.startswith(SUMMARISED_PREFIX) or seen[key] <= shown:
                out.append(str(finding))
            elif seen[key] == shown + 1:
                more = sum(f.path == finding.path and f.rule == finding.rule
                           for f in self.findings) - shown
                out.append(f"{finding.path}:{finding.line}:{finding.col}: {finding.severity}: "
                           f"…and {more:,} more {finding.rule} in this file [{finding.rule}]")
        return out

    def as_json(self) -> str:
        return json.dumps({"findings": [asdict(f) for f in self.findings],
                           "errors": self.errors, "warnings": self.warnings,
                           "files": list(self.files)}, ensure_ascii=False, indent=2)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _readable(root: Path, rel: str) -> str | None:
    """A source's text, or None when it cannot be read (the build reports why)."""
    try:
        return read_source(root, rel)
    except BookError:
        return None


def _toml(root: Path, rel: str, problems: list[Problem]) -> TomlDoc | None:
    """A manifest as parsed TOML, or None when it is absent or broken. Its syntax error is
    the one the build gives, reported even when the build stopped before reading it."""
    text = _readable(root, rel) if (root / rel).is_file() else None
    try:
        return parse_toml(rel, text) if text is not None else None
    except BookError as exc:
        problems.extend(exc.problems)
        return None


def _listed(root: Path, doc: TomlDoc | None) -> list[str]:
    """The chapters book.toml lists; the files in chapters/ when it cannot say."""
    chapters = doc.data.get("chapters") if doc else None
    if not isinstance(chapters, list):
        return [p.relative_to(root).as_posix() for p in sorted(root.glob(CHAPTER_GLOB))]
    return list(dict.fromkeys(c for c in chapters if isinstance(c, str)))


def _unlisted(root: Path, doc: TomlDoc, listed: list[str]) -> list[Problem]:
    return [Problem(MANIFEST, doc.line("chapters"), f"chapter file '{rel}' is not listed in "
                    "'chapters'", "add it to the list, or move it out of chapters/",
                    "manifest-chapter-unlisted")
            for rel in (p.relative_to(root).as_posix() for p in sorted(root.glob(CHAPTER_GLOB)))
            if rel not in listed]


def _rule_ids(doc: TomlDoc, value: list[str], line: int | None,
              problems: list[Problem]) -> set[str]:
    """The rule ids of a list to silence; only warnings can be silenced."""
    good = set()
    for rule_id in value:
        where = doc.value_line(rule_id, "check") or line
        col = doc.text_lines[where - 1].find(rule_id) + 1 if where else None
        rule = RULES.get(rule_id)
        if rule is None:
            problems.append(Problem(MANIFEST, where, f"unknown rule '{rule_id}'",
                                    did_you_mean(rule_id, RULES), "check-config", col))
        elif rule.severity == ERROR:
            problems.append(Problem(MANIFEST, where, f"rule '{rule_id}' cannot be silenced",
                                    "'book build' refuses this problem; fix it instead",
                                    "check-config", col))
        else:
            good.add(rule_id)
    return good


def _settings(doc: TomlDoc | None, sources: list[str]) -> tuple[Settings, list[Problem]]:
    """Read [check]; `sources` are the paths a per-file pattern may name."""
    settings, problems = Settings(), list[Problem]()
    table = doc.data.get("check") if doc else None
    if doc is None or not isinstance(table, dict):  # absent, or the wrong type (the build
        return settings, problems                   # reports that)
    found = Collector()
    values = CHECK.check(table, TomlPlace(doc, "check"), found, label="check.")
    problems.extend(found.problems)
    settings.ignore = _rule_ids(doc, values["ignore"], doc.line("ignore", "check"), problems)
    for pattern, rules in values["files"].items():
        where = doc.line(pattern, "check.files") or doc.line("files", "check")
        if not any(fnmatch.fnmatchcase(path, pattern) for path in sources):
            problems.append(Problem(MANIFEST, where, f"'{pattern}' matches no source file",
                                    did_you_mean(pattern, sources), "check-config"))
        settings.files[pattern] = _rule_ids(doc, rules, where, problems)
    return settings, problems


_QUOTED = re.compile(r"'([^']+)'")


def _column(problem: Problem, lines: dict[str, list[str]]) -> int:
    """The problem's column when it has one. In a chapter, else, where the first thing the
    message (or hint) quotes sits on the line: a link target, a photo id, an image path;
    in a TOML file, where the line's key or value starts; else 1."""
    source = lines.get(problem.path, [])
    if problem.col or not problem.line or problem.line > len(source):
        return problem.col or 1
    line = source[problem.line - 1]
    if problem.path.endswith(".md"):
        quoted = _QUOTED.findall(f"{problem.message} {problem.hint}")
        found = (line.find(text) for text in quoted)
        return next((index + 1 for index in found if index >= 0), 1)
    return len(line) - len(line.lstrip()) + 1


def _finding(problem: Problem, lines: dict[str, list[str]]) -> Finding:
    rule = RULES.get(problem.rule or FALLBACK_RULE, RULES[FALLBACK_RULE])
    message = f"{problem.message} ({problem.hint})" if problem.hint else problem.message
    return Finding(problem.path, problem.line or 1, _column(problem, lines), rule.severity,
                   message, problem.rule or FALLBACK_RULE)


def _todos(text: str | None) -> list[Problem]:
    """Each line of the photo manifest that still says TODO."""
    return [Problem(PHOTO_MANIFEST, number, "the photo manifest still has a TODO here",
                    line[line.index("TODO"):].strip().strip('"'), "photo-todo",
                    line.index("TODO") + 1)
            for number, line in enumerate((text or "").splitlines(), 1) if "TODO" in line]


def _names(table: dict) -> list[str]:
    """The names a manifest table gives: a photo's credit, contributors, glossary terms,
    index entries."""
    entries = [table, *(e for key in ("contributors", "terms", "entries")
                        for e in table.get(key, ()) if isinstance(e, dict))]
    values = [e.get(key) for e in entries for key in ("credit", "name", "term", "also")]
    return [str(v) for value in values if value
            for v in (value if isinstance(value, list) else [value])]


def _chapter_language(rel: str, text: str, language: str) -> tuple[str, int | None]:
    """The language a chapter is written in: its front matter's `lang` and that line, else
    the book's (line None)."""
    try:
        front = split_front_matter(rel, text)
    except BookError:
        return language, None  # reported with the chapter's other problems
    tag = front.data.get("lang")
    if isinstance(tag, str) and tag.strip():
        return tag, front.lines.get("lang")
    return language, None


def _spelling(root: Path, doc: TomlDoc | None, photos: TomlDoc | None,
              texts: dict[str, str | None]) -> list[Problem]:
    """The spell-check of every chapter, in its language (front matter `lang`, else the
    book's), with one warning for each language no dictionary is installed for; names
    from the glossary, contributors and photo credits, and words.txt, are known words."""
    language = doc.data.get("language") if doc else None
    if not isinstance(language, str) or not language:
        return []  # the build reports a missing language
    chapters = {rel: _chapter_language(rel, text, language) for rel, text in texts.items()
                if rel.endswith(".md") and text}
    problems, dictionaries = [], {}
    for rel, (tag, line) in [(MANIFEST, (language, None)), *chapters.items()]:
        if tag not in dictionaries:
            dictionaries[tag] = dictionary_for(tag)
            if dictionaries[tag] is None:
                problems.append(no_dictionary(tag, line, rel) if line else
                                no_dictionary(tag, doc.line("language") if doc else None))
    if not any(dictionaries.values()):
        return problems
    tables = [doc.data if doc else {}, *(photos.data.values() if photos else ())]
    for rel, text in texts.items():
        if rel.endswith(".toml") and rel not in (MANIFEST, PHOTO_MANIFEST) and text:
            try:
                tables.append(parse_toml(rel, text).data)
            except BookError:
                continue  # reported with the other problems of the page
    names = [name for table in tables if isinstance(table, dict) for name in _names(table)]
    words = _readable(root, WORDS_FILE) if (root / WORDS_FILE).is_file() else None
    known = known_words(names, words)
    return problems + [problem for rel, text in texts.items() if rel.endswith(".md") and text
                       if (dictionary := dictionaries[chapters[rel][0]]) is not None
                       for problem in check_spelling(rel, text, dictionary, known)]


def check_project(root: Path) -> Report:
    """Every problem in the project's sources, sorted by file, line and column."""
    root = root.resolve()
    problems: list[Problem] = []
    try:
        book = load_book(root, edition_from_env())
    except BookError as exc:
        if any(p.rule == "manifest-not-found" for p in exc.problems):
            raise  # not a book project: nothing to check
        problems.extend(exc.problems)
        book = None
    doc, photos = _toml(root, MANIFEST, problems), _toml(root, PHOTO_MANIFEST, problems)
    listed = _listed(root, doc)
    texts = {rel: _readable(root, rel) for rel in [MANIFEST, PHOTO_MANIFEST, *listed]
             if (root / rel).is_file()}
    sources = [rel for rel, text in texts.items() if text is not None]
    chapters = {rel: texts.get(rel) for rel in listed if rel.endswith(".md")}
    for rel, text in chapters.items():
        if text is not None:
            problems.extend(check_typography(rel, text))
    problems.extend(_spelling(root, doc, photos, {rel: texts.get(rel) for rel in listed}))
    problems.extend(_todos(texts.get(PHOTO_MANIFEST)))
    if doc is not None:
        problems.extend(_unlisted(root, doc, listed))
    if photos is not None and None not in chapters.values():
        chapter_texts = [text for text in chapters.values() if text is not None]
        problems.extend(unused_photos(photos, set().union(*map(placed_photos, chapter_texts))))
    if book is not None:
        problems.extend(book.warnings)
        problems.extend(low_resolution(book))
    settings, config_problems = _settings(doc, sources)
    problems.extend(config_problems)
    lines = {rel: text.splitlines() for rel, text in texts.items() if text is not None}
    findings = {_finding(p, lines) for p in problems}
    return Report(tuple(sorted(f for f in findings if not settings.silences(f))),
                  tuple(sources))
