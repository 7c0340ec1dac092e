"""A one-chapter project written into a folder and built in-process, for the limit,
sanitising and no-loss tests."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from pathlib import Path

from lxml import html

from book.cli import main as cli

BOOK_TOML = """title = "Limits"
language = "en"
slug = "limits"
publisher = "Test Press"
rights = "CC0"
identifier = "urn:uuid:a2057f2c-54eb-4ae0-b5fc-4803b9d91188"
date = "2024-05-01"
description = "A book that tests the builder's limits."
chapters = [{chapters}]
{extra}
[epub]
page-list = false

[[contributors]]
name = "Ada Example"
role = "author"
"""


def project(root: Path, chapter: str, extra: str = "", files: dict[str, str | bytes] | None = None,
            name: str = "chapters/one.md") -> Path:
    """Write book.toml, one chapter and any other `files` under `root`."""
    chapters = ", ".join(json.dumps(n) for n in [name, *(files or {}).get("_chapters", [])])
    (root / "chapters").mkdir(parents=True, exist_ok=True)
    (root / "book.toml").write_text(BOOK_TOML.format(chapters=chapters, extra=extra), "utf-8")
    (root / name).write_text(chapter, "utf-8")
    for rel, data in (files or {}).items():
        if rel == "_chapters":
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return root


def build(root: Path, *formats: str, command: str = "build") -> tuple[int, str]:
    """`book build` (or `book check`) in-process: (exit code, stderr)."""
    args = [command, str(root)]
    if command == "build":
        args += ["--out", str(root / "dist"), "--quiet"]
        for fmt in formats:
            args += ["--format", fmt]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, err.getvalue()


def web_text(root: Path) -> str:
    """The text of every page of the web edition."""
    pages = sorted((root / "dist" / "limits-web").glob("*.html"))
    return "\n".join(html.fromstring(p.read_bytes()).text_content() for p in pages)


def epub_text(root: Path) -> str:
    """The text of every XHTML document in the EPUB."""
    with zipfile.ZipFile(root / "dist" / "limits.epub") as epub:
        return "\n".join(html.fromstring(epub.read(n)).text_content()
                         for n in epub.namelist() if n.endswith(".xhtml"))
