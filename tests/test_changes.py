"""`book changes OLD NEW` and `[release] corrections = true`, on a git repository of two
commits: a copy of the mini project with a long generated chapter (so the changes stand on
different pages), then a second commit that edits words in several paragraphs, a footnote,
removes a paragraph and adds one. The expected pages come from the earlier commit's PDF,
built by `book build` in a clone of that commit and read with pypdf; the expected words
come from the edits the test makes."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from conftest import EPOCH, MINI

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
VOCABULARY = ("tide pool shore rock weed crab snail gull barnacle limpet wave sand salt "
              "water morning evening current stone shell creature survey visitor notebook "
              "season storm harbour cliff channel ledge").split()
# (paragraph index in the long chapter, old word, new word): each old word occurs once in
# the book, so the page that holds it in the earlier PDF is the one expected.
EDITS = [(3, "Thursdy", "Thursday"), (27, "Grimsbay", "Grimsby"), (52, "ninteen", "nineteen")]
REMOVED = 40  # this paragraph is dropped; it holds the word Quillfeather
ADDED = "A closing word from the warden about leaving the pools as we found them."


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout


def book(cwd: Path, *args: str, epoch: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    if epoch:
        env["SOURCE_DATE_EPOCH"] = str(EPOCH)
    return subprocess.run([sys.executable, "-m", "book.cli", *args], cwd=cwd, env=env,
                          text=True, capture_output=True, timeout=600)


def long_chapter() -> list[str]:
    """Sixty paragraphs of about seventy words: many pages, every paragraph different."""
    rng = random.Random(21)
    paragraphs = []
    for n in range(60):
        words = [rng.choice(VOCABULARY) for _ in range(70)]
        paragraphs.append(f"Entry {n}: " + " ".join(words) + ".")
    for index, old, _ in EDITS:
        paragraphs[index] = paragraphs[index].replace(": ", f": on {old} the ", 1)
    paragraphs[REMOVED] = paragraphs[REMOVED].replace(": ", ": Quillfeather saw that ", 1)
    return paragraphs


def write_long(project: Path, paragraphs: list[str]) -> None:
    text = "# The long survey\n\n" + "\n\n".join(paragraphs) + "\n"
    (project / "chapters" / "three.md").write_text(text, "utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """The two commits, tagged v1.0.0 and v1.1.0; the second turns corrections on."""
    project = tmp_path_factory.mktemp("changes") / "book"
    shutil.copytree(MINI, project)
    for image in (project / "assets").rglob("*.png"):  # print-ready: 300 dpi in the column
        with Image.open(image) as original:
            original.resize((original.width * 3, original.height * 3)).save(image)
    (project / ".gitignore").write_text("dist/\n", "utf-8")
    edit(project / "book.toml", '"chapters/two.md"]', '"chapters/two.md", "chapters/three.md"]')
    paragraphs = long_chapter()
    write_long(project, paragraphs)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first edition")
    git(project, "tag", "v1.0.0")
    for index, old, new in EDITS:
        paragraphs[index] = paragraphs[index].replace(old, new)
    del paragraphs[REMOVED]
    paragraphs.append(ADDED)
    write_long(project, paragraphs)
    edit(project / "chapters" / "one.md", "Twice a day the sea draws back",
         "Twice a day the ocean draws back")
    edit(project / "chapters" / "two.md", "Crabs can walk forwards, slowly",
         "Crabs can walk forwards, if slowly")
    with open(project / "book.toml", "a", encoding="utf-8") as manifest:
        manifest.write("\n[release]\ncorrections = true\n")
    git(project, "commit", "-q", "-am", "second edition")
    git(project, "tag", "v1.1.0")
    return project


@pytest.fixture(scope="module")
def old_pages(repo, tmp_path_factory) -> list[str]:
    """The text of each page of v1.0.0's PDF, built from a clone of that tag."""
    clone = tmp_path_factory.mktemp("old") / "book"
    git(clone.parent, "clone", "-q", "--branch", "v1.0.0", str(repo), str(clone))
    out = clone.parent / "out"
    done = book(clone, "build", ".", "--format", "pdf", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    reader = pypdf.PdfReader(next(out.glob("*.pdf")))
    return [page.extract_text() for page in reader.pages]


def page_of(pages: list[str], word: str) -> int:
    """The one page whose text holds `word` (pypdf's reading of the earlier PDF)."""
    found = [n for n, text in enumerate(pages, start=1) if word in text]
    assert len(found) == 1, (word, found)
    return found[0]


@pytest.fixture(scope="module")
def changed(repo) -> str:
    done = book(repo, "changes", "v1.0.0", "v1.1.0")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_markdown_lists_each_change_with_its_old_page(repo, changed, old_pages):
    lines = changed.splitlines()
    assert lines[0] == "## Text changes from v1.0.0 to v1.1.0"
    for _, old, new in EDITS:
        [line] = [line for line in lines if f"~~{old}~~" in line]
        assert f"~~{old}~~ **{new}**" in line
        assert line.startswith(f"- p. {page_of(old_pages, old)}: "), line
    assert len({page_of(old_pages, old) for _, old, _ in EDITS}) == len(EDITS)
    [removed] = [line for line in lines if "Quillfeather" in line]
    assert removed.startswith(f"- p. {page_of(old_pages, 'Quillfeather')}: removed: ~~Entry "
                              f"{REMOVED}: Quillfeather saw that")
    [added] = [line for line in lines if "warden" in line]
    assert added.endswith(f": added: **{ADDED}**"), added
    assert "Twice a day the ~~sea~~ **ocean** draws back" in changed
    assert "Crabs can walk forwards, **if** slowly" in changed  # a footnote
    # each chapter once, as a heading, in reading order; unchanged text is not listed
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == ["### Life between the tides (chapters/one.md)",
                        "### Crabs and snails (chapters/two.md)",
                        "### The long survey (chapters/three.md)"]
    assert "Rock pools" not in changed and "Entry 10:" not in changed
    # the comparison happens in temporary folders: the checkout is left as it was
    assert git(repo, "status", "--porcelain", "--untracked-files=all", "--ignored") == ""


def test_added_paragraph_is_placed_after_the_old_last_paragraph(changed, old_pages):
    """An added paragraph has no old text: its page is where the paragraph before it (the
    chapter's old last one, Entry 59) ended."""
    [added] = [line for line in changed.splitlines() if "warden" in line]
    last_words = " ".join(long_chapter()[59].split()[-4:])
    expected = [n for n, text in enumerate(old_pages, start=1)
                if re.sub(r"\s+", " ", last_words) in re.sub(r"\s+", " ", text)]
    assert added.startswith(f"- p. {expected[-1]}: added: "), (added, expected)


def test_corrections_page_html(repo, old_pages):
    done = book(repo, "changes", "v1.0.0", "v1.1.0", "--format", "html")
    assert done.returncode == 0, done.stderr
    page = page_of(old_pages, "Grimsbay")
    entry = re.search(rf'<span class="correction-page">Page {page}:</span> it read “([^”]*)”; '
                      r"it now reads “([^”]*)”", done.stdout)
    assert entry, done.stdout
    assert "<strong>Grimsbay</strong>" in entry[1] and "<strong>Grimsby</strong>" in entry[2]


def test_corrections_page_speaks_the_book_language():
    """A French book's Corrections page: title, intro, page and quotes in French (issue
    20: every word the builder writes), the changed words still in bold."""
    from dataclasses import replace

    from book.desk.changes import Changes, ChapterChanges, Hunk, corrections_chapter
    from book.model import Edition
    from book.pipeline import load_book

    meta = replace(load_book(MINI, Edition("", EPOCH)).meta, language="fr")
    changed = Hunk("changed", (("=", "la mer"), ("-", "monte"), ("+", "descend")), "12")
    added = Hunk("added", (("+", "Un paragraphe neuf."),), "")
    found = Changes("v1.0.0", "v1.1.0", (ChapterChanges(
        "chapters/one.md", "Marées", "changed", ((changed,), (added,))),), meta)
    page = corrections_chapter(found, "v1.0.0")
    assert page.title == "Corrections" and "Ce qui a changé dans le texte depuis " \
        "l’édition v1.0.0" in page.body
    assert "Page 12\u00a0:</span> on lisait «\u00a0la mer <strong>monte</strong>" \
        "\u00a0»\u00a0; on lit désormais «\u00a0la mer <strong>descend</strong>\u00a0»" \
        in page.body, page.body
    assert "ajouté\u00a0: «\u00a0<strong>Un paragraphe neuf.</strong>\u00a0»" in page.body
    for english in ("What changed", "it read", "added:", "Page 12:"):
        assert english not in page.body


def test_unknown_revision_is_a_located_error(repo, tmp_path):
    done = book(repo, "changes", "v0.9.0", "v1.1.0")
    assert done.returncode == 2
    assert done.stderr.startswith("error: v0.9.0: no such commit or tag"), done.stderr
    assert "Traceback" not in done.stderr
    outside = book(tmp_path, "changes", "v1.0.0", "v1.1.0", str(tmp_path))
    assert outside.returncode == 2 and "not in a git checkout" in outside.stderr


def test_release_with_corrections_carries_the_page(repo, old_pages):
    """`book release` of v1.1.0 (corrections = true) puts a Corrections page after the
    last chapter of the PDF, counted from v1.0.0 with its pages; v1.0.0 itself has none."""
    done = book(repo, "release", epoch=False)
    assert done.returncode == 0, done.stderr
    reader = pypdf.PdfReader(repo / "dist" / "tide-pools-1.1.0.pdf")
    texts = [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]
    starts = [n for n, text in enumerate(texts) if text.startswith("Corrections")]
    assert starts, "no page opens with the Corrections heading"
    corrections = " ".join(texts[starts[-1]:])
    for _, old, new in EDITS:
        assert f"Page {page_of(old_pages, old)}: it read" in corrections
        assert old in corrections and new in corrections
    assert "Quillfeather" in corrections and "The long survey" in corrections
    assert starts[-1] > max(n for n, text in enumerate(texts) if "Entry 59" in text)
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert outline[-1] == "Corrections" or "Corrections" in outline


def test_first_release_has_no_corrections_page(repo, tmp_path):
    first = tmp_path / "first"
    git(tmp_path, "clone", "-q", str(repo), str(first))
    git(first, "checkout", "-q", "v1.1.0")
    git(first, "tag", "-d", "v1.0.0")  # no earlier version tag: nothing to count from
    done = book(first, "release", "--edition", "1.1.0", epoch=False)
    assert done.returncode == 0, done.stderr
    assert "no earlier version tag" in done.stderr
    texts = [page.extract_text() for page in
             pypdf.PdfReader(first / "dist" / "tide-pools-1.1.0.pdf").pages]
    assert not any(text.lstrip().startswith("Corrections") for text in texts)


# ------------------------------------------------------------ book serve: warnings overlay

def serve_warnings(project: Path) -> list[str]:
    from book.cli.main import _warnings

    return _warnings(project)


def test_preview_carries_the_check_warnings_beside_good_pages(tmp_path):
    """A good build with warnings serves its pages (nothing blocked) and sends the check's
    warnings, relative to the project, on the reload stream; words.txt clears them."""
    from book.model import Edition
    from book.web.serve import Preview

    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    said: list[str] = []
    preview = Preview(project, Edition("1", EPOCH), said.append, lint=serve_warnings)
    preview.rebuild()
    assert preview.page("index.html")[0] == 200
    assert preview.site.errors == []
    warnings = preview.site.warnings
    assert any(w.startswith("chapters/one.md:37:31: warning: 'acrorhagi' is not in the en "
                            "dictionary") and w.endswith("[spelling-unknown]") for w in warnings)
    assert len(warnings) == 2 and str(project) not in preview.site.state()
    assert "2 warnings shown on the pages" in said
    seen = preview.site.version
    (project / "words.txt").write_text("acrorhagi\nneighbours\n", "utf-8")
    preview.rebuild()
    assert preview.site.warnings == [] and preview.site.version > seen
    assert '"warnings": []' in preview.site.state()


@pytest.mark.localhost
def test_served_page_shows_warnings_without_blocking_it(tmp_path):
    """In Chromium: the warnings sit folded in a box at the page's foot, the page under it
    stays clickable and still reloads on a save, and the box goes when they are fixed."""
    from playwright.sync_api import sync_playwright
    from test_serve import save

    from helpers import CHROMIUM, CHROMIUM_ARGS, Server

    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    server = Server(project)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url)
            box = page.wait_for_selector("#book-serve-warnings", timeout=5000)
            assert box.eval_on_selector("summary", "s => s.textContent") == "2 warnings"
            assert not box.evaluate("b => b.open")  # folded: only its count shows
            assert page.query_selector("#book-serve-errors") is None
            height = box.bounding_box()["height"]
            assert height < 60, height  # one line at the foot, the page readable above
            box.click()
            assert "'acrorhagi' is not in the en dictionary" in box.inner_text()
            page.evaluate("window.loadedOnce = true")
            save(project / "chapters" / "one.md", "Life between the tides",
                 "Life between the waves")
            page.wait_for_function("document.body.innerText.includes('Life between the waves')",
                                   timeout=5000)
            assert page.evaluate("window.loadedOnce") is None  # reloaded despite warnings
            (project / "words.txt").write_text("acrorhagi\nneighbours\n", "utf-8")
            page.wait_for_selector("#book-serve-warnings", state="detached", timeout=5000)
            server.wait_for(r"^0 warnings shown on the pages$")
            chromium.close()
    finally:
        server.stop()
