"""`book import mdbook DIR DEST`: a book project from an mdBook folder. The Markdown is
copied as it is (the builder reads mdBook's links, includes and hidden Rust lines itself);
files the chapters include from outside the folder (mdBook's own guide includes its
repository's examples) are copied in at the same relative places, the book's folder then
going one level or more down. book.toml is written from mdBook's book.toml ([book] title,
authors, language, description, src; [build] build-dir; dollars read as math only with a
KaTeX preprocessor) and SUMMARY.md: prefix, numbered (nested) and suffix chapters in
reading order, draft chapters (`[x]()`) skipped, and part titles kept as
comments in the `chapters` list, since the builder has no parts."""

from __future__ import annotations

import datetime as dt
import json
import os
import posixpath
import re
import shutil
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from ..errors import BookError
from .includes import included_files
from .paths import OutsideProject, resolve_inside

SUMMARY = "SUMMARY.md"
MAX_FILES = 10_000  # chapters and included files followed for includes outside the folder


@dataclass
class Summary:
    """SUMMARY.md read as mdBook reads it: chapter files in order, with part titles."""

    entries: list[tuple[str, str]] = field(default_factory=list)  # ("part"|"chapter", text)
    drafts: list[str] = field(default_factory=list)  # titles of chapters without a file

    @property
    def chapters(self) -> list[str]:
        return [text for kind, text in self.entries if kind == "chapter"]


def read_summary(text: str) -> Summary:
    """Every linked chapter (prefix, numbered at any depth, suffix) and every part title
    (a `#` heading after the first), in order; `[Draft]()` entries are drafts."""
    summary = Summary()
    tokens = MarkdownIt("commonmark").parse(text)
    headings = 0
    for index, tok in enumerate(tokens):
        if tok.type == "heading_open":
            headings += 1
            if headings > 1 or summary.entries:  # the first, before any chapter, is the title
                summary.entries.append(("part", tokens[index + 1].content.strip()))
            continue
        if tok.type != "inline" or (index and tokens[index - 1].type == "heading_open"):
            continue
        children = tok.children or []
        for position, child in enumerate(children):
            if child.type != "link_open":
                continue
            href = str(child.attrGet("href") or "")
            title = "".join(c.content for c in children[position + 1:]
                            if c.type in ("text", "code_inline"))
            if not href:
                summary.drafts.append(title)
            elif not urlsplit(href).scheme:
                path = posixpath.normpath(unquote(urlsplit(href).path))
                if path not in summary.chapters:
                    summary.entries.append(("chapter", path))
            break  # one chapter per list item or paragraph line
    return summary


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[:60].strip("-") or "book"


def _dollar_math(config: dict) -> bool:
    """Whether the mdBook reads `$…$` as math: with a KaTeX preprocessor (mdbook-katex),
    not with MathJax (`\\( \\)`) nor without either."""
    preprocessors = config.get("preprocessor")
    return isinstance(preprocessors, dict) and any("katex" in str(name).lower()
                                                   for name in preprocessors)


def import_mdbook(source: Path, dest: Path, today: dt.date | None = None) -> str:
    """Write the project; returns a one-paragraph account of what was imported."""
    source = source.resolve()
    config_path = source / "book.toml"
    try:
        config = tomllib.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BookError.at(str(config_path), None, f"not valid TOML: {exc}",
                           rule="toml-syntax") from None
    book = config.get("book", {}) if isinstance(config.get("book"), dict) else {}
    src = str(book.get("src", "src"))
    build_dir = str((config.get("build") or {}).get("build-dir", "book"))
    summary_path = source / src / SUMMARY
    if not summary_path.is_file():
        raise BookError.at(str(source), None, f"no {src}/{SUMMARY} here",
                           "pass the folder holding an mdBook's book.toml and src/",
                           rule="manifest-not-found")
    if dest.resolve() == source or source in dest.resolve().parents:
        raise BookError.at(str(dest), None, "the destination is inside the mdBook folder",
                           "pass a folder outside it")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BookError.at(str(dest), None, "the destination exists and is not empty",
                           "pass a new folder")
    summary = read_summary(summary_path.read_text("utf-8-sig"))
    missing = []
    for chapter in summary.chapters:
        try:
            if not resolve_inside(source / src, chapter).is_file():
                missing.append(chapter)
        except OutsideProject:
            missing.append(chapter)
    outside = _outside_includes(source, [source / src / c for c in summary.chapters
                                         if c not in missing])
    top = Path(os.path.commonpath([source, *outside]))  # the project's root stands for it
    within = "" if top == source else source.relative_to(top).as_posix()  # "", "guide"
    skip = {build_dir, ".git"}
    shutil.copytree(source, dest / within, symlinks=True, dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if Path(folder) == source
                                                  and (n in skip or n == "book.toml")])
    for path in outside:
        (dest / path.relative_to(top)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / path.relative_to(top))
    title = str(book.get("title") or source.name)
    authors = [str(a) for a in book.get("authors", []) if str(a).strip()] or ["Unknown author"]
    licences = _licences(source) or _licences(top)
    for name in licences:
        if not (dest / name).exists():
            shutil.copyfile(top / name, dest / name)
    rights = f"© {', '.join(authors)}" + (f"; see {', '.join(licences)}" if licences else "")
    when = today or (dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]),
                                               dt.UTC).date()
                     if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit() else dt.date.today())
    identity = title + "|" + "|".join(authors)
    lines = [
        f"# Imported from the mdBook at {source.name}/ ({src}/{SUMMARY}); "
        "the Markdown is as it was.",
        f"title = {_toml(title)}",
        f"language = {_toml(str(book.get('language') or 'en'))}",
        f"slug = {_toml(_slug(title))}",
        f"publisher = {_toml(', '.join(authors))}",
        f"rights = {_toml(rights)}",
        f"identifier = \"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identity)}\"",
        f"date = \"{when.isoformat()}\"",
    ]
    if book.get("description"):
        lines.append(f"description = {_toml(str(book['description']))}")
    lines.append("# The builder has no parts: mdBook's part titles are kept as comments.")
    lines.append("chapters = [")
    for kind, text in summary.entries:
        if kind == "part":
            lines.append(f"  # Part: {text}")
        elif text not in missing:
            lines.append(f"  {_toml(posixpath.join(within, src, text))},")
    lines.append("]")
    lines += ["", "# Links that leave the book (../std/, /about/) become absolute under this URL:",
              "# [links]", '# base = "https://example.org/book/"']
    if not _dollar_math(config):
        lines += ["", "# mdBook reads dollars as text, having no math preprocessor here:",
                  "[markdown]", "math = false"]
    for name in authors:
        lines += ["", "[[contributors]]", f"name = {_toml(name)}", 'role = "author"']
    (dest / "book.toml").write_text("\n".join(lines) + "\n", "utf-8")
    account = (f"imported {len(summary.chapters) - len(missing)} chapters into {dest}"
               f" ({sum(k == 'part' for k, _ in summary.entries)} part titles as comments")
    if summary.drafts:
        account += f", {len(summary.drafts)} draft chapters skipped"
    if missing:
        account += f", {len(missing)} missing files skipped: {', '.join(missing)}"
    if outside:
        account += (f"; {len(outside)} files its includes name outside {source.name}/ copied "
                    f"in, the book's folder as {within}/")
    return account + ")"


def _licences(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name.upper().startswith(
        ("LICENSE", "LICENCE", "COPYING", "COPYRIGHT")))


def _outside_includes(source: Path, chapters: list[Path]) -> list[Path]:
    """The files the chapters' include directives name outside `source`, followed through
    the files those include in turn: mdBook's own guide includes its repository's examples
    (`../../../examples/x.rs`). Import copies them in, so that the Markdown keeps working
    unchanged; the build itself never reads outside its project."""
    seen: set[Path] = set()
    outside: list[Path] = []
    queue = list(chapters)
    while queue and len(seen) < MAX_FILES:
        path = queue.pop(0)
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # the build reports it where the directive is written
        for name in included_files(text):
            target = Path(os.path.normpath(path.parent / name))
            if target.is_file() and not target.is_symlink() and target not in seen:
                queue.append(target)
                if not target.is_relative_to(source) and target not in outside:
                    outside.append(target)
    return sorted(outside)
