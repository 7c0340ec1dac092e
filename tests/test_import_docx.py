"""`book import docx`: a Word file made by LibreOffice (tests/fixtures/docx/tensions.docx,
converted from tensions.fodt beside it) with a heading, emphasis, a list, a link, a table, a
footnote and a captioned image becomes a chapter of a `book new` project that checks and
builds; what Word cannot tell is a located TODO."""

from __future__ import annotations

import tomllib
from pathlib import Path

from helpers import REPO, line_of, one_error, run_blocked, run_main

DOCX = REPO / "tests" / "fixtures" / "docx" / "tensions.docx"


def imported(tmp_path: Path) -> Path:
    project = tmp_path / "book"
    assert run_main(["new", str(project)])[0] == 0
    code, out, err = run_main(["import", "docx", str(DOCX), str(project),
                               "--chapter", "chapters/02-tensions.md"])
    assert code == 0, err
    return project


def test_word_chapter_becomes_markdown(tmp_path):
    project = imported(tmp_path)
    text = (project / "chapters" / "02-tensions.md").read_text("utf-8")
    assert text.startswith("# The blockade\n")
    assert "## What the sides said" in text
    assert "*Lachin corridor*" in text and "**blockade**" in text
    assert "- Azerbaijan cited a mine." in text
    assert "[CNN](https://edition.cnn.com/)" in text
    assert "| Side        | Reported dead |\n|:--" in text  # Word's first row is the header
    assert "blockade**.[^1]" in text
    assert "[^1]: The reporting describes a single event" in text
    assert "\n![](photo:02-tensions-1)\n" in text
    assert "Figure 1" not in text  # the caption moved to the manifest


def test_image_goes_to_the_manifest_with_todos(tmp_path):
    project = imported(tmp_path)
    manifest = project / "assets" / "photos.toml"
    entry = tomllib.loads(manifest.read_text("utf-8"))["02-tensions-1"]
    assert entry["caption"] == "Soldiers keep watch over a checkpoint on the Lachin corridor."
    assert entry["alt"] == "A checkpoint on the corridor"  # Word's alt text
    assert (project / "assets" / entry["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, err = run_main(["check", str(project)])
    assert code == 0, out + err
    todos = [line for line in out.splitlines() if line.endswith("[photo-todo]")]
    assert [line.split(":")[:2] for line in todos] == [
        ["assets/photos.toml", str(line_of(manifest, "credit = \"TODO"))],
        ["assets/photos.toml", str(line_of(manifest, "# TODO: licensed"))]]


def test_book_toml_keeps_its_comments(tmp_path):
    project = tmp_path / "book"
    run_main(["new", str(project)])
    before = (project / "book.toml").read_text("utf-8").splitlines()
    run_main(["import", "docx", str(DOCX), str(project)])
    after = (project / "book.toml").read_text("utf-8").splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [(
        'chapters = ["chapters/01-start.md", "chapters/glossary.toml"]',
        'chapters = ["chapters/01-start.md", "chapters/glossary.toml", "chapters/tensions.md"]')]


def test_imported_chapter_builds(tmp_path):
    project = imported(tmp_path)
    built = run_blocked(["build", str(project), "--quiet", "--format", "epub"])
    assert built.returncode == 0, built.stderr
    assert (project / "dist" / "untitled-book.epub").stat().st_size > 0


def test_refusals(tmp_path):
    project = imported(tmp_path)
    code, _, err = run_main(["import", "docx", str(DOCX), str(project),
                             "--chapter", "chapters/02-tensions.md"])
    assert code == 2
    assert one_error(err) == ("error: chapters/02-tensions.md: the chapter file already exists "
                              "(choose another name with --chapter)")
    fake = tmp_path / "notes.docx"
    fake.write_text("not a zip")
    code, _, err = run_main(["import", "docx", str(fake), str(project)])
    assert code == 2 and one_error(err).startswith(f"error: {fake}: not a Word document")
    assert not (project / "chapters" / "notes.md").exists()
