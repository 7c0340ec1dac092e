"""Malformed input: every broken book.toml, front matter, photo manifest, chapter or
template gives exactly one `error: <file>:<line>: …` line with the right line number, a
non-zero exit (2 for the book's sources, 1 for the builder's own templates) and never a
traceback. Each case edits a copy of tests/projects/mini and builds the web edition (the
cheapest; the problems are found before any edition is laid out) in-process; the line is
found in the edited file by a needle, independently of the builder.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest

from conftest import MINI
from helpers import one_error, run_main

BOOK, ONE, TWO, PHOTOS = "book.toml", "chapters/one.md", "chapters/two.md", "assets/photos.toml"
CAPTION = "A beadlet anemone opens its tentacles in a rock pool at low tide."


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG file that declares a huge canvas (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


NESTED = "[" * 3000 + "]" * 3000
ALIAS_BOMB = ("short_title: [&a [x, x, x, x, x, x, x, x, x], &b [*a, *a, *a, *a, *a, *a, *a, *a],"
              " &c [*b, *b, *b, *b, *b, *b, *b, *b], &d [*c, *c, *c, *c, *c, *c, *c, *c],"
              " &e [*d, *d, *d, *d, *d, *d, *d, *d], [*e, *e, *e, *e, *e, *e, *e, *e]]")

# (id, [(file, old, new), …] edits (old '' appends a line), (file, needle) of the error
# line, fragment of the message). Edits are on bytes, so a case can break the encoding.
CASES = [
    # ---------------------------------------------------------------- book.toml
    ("toml-unclosed-string", [(BOOK, 'language = "en"', 'language = "en')],
     (BOOK, 'language = "en'), "invalid TOML"),
    ("toml-duplicate-key",
     [(BOOK, 'subtitle = "Test book"', 'subtitle = "Test book"\nsubtitle = "Again"')],
     (BOOK, 'subtitle = "Again"'), "invalid TOML"),
    ("toml-nested-too-deep", [(BOOK, 'keywords = ["test"]', f"keywords = {NESTED}")],
     (BOOK, "keywords = [[["), "nested too deeply"),
    ("toml-chapters-not-a-list", [(BOOK, 'chapters = ["chapters/one.md", "chapters/two.md"]',
                                   'chapters = "chapters/one.md"')],
     (BOOK, "chapters ="), "'chapters' must be a list"),
    ("toml-bad-slug", [(BOOK, 'slug = "tide-pools"', 'slug = "Tide Pools!"')],
     (BOOK, "slug ="), "lower-case"),
    ("toml-bad-language", [(BOOK, 'language = "en"', 'language = "English (UK)"')],
     (BOOK, "language ="), "BCP 47"),
    ("toml-bad-date", [(BOOK, 'date = "2024-05-01"', 'date = "1 May 2024"')],
     (BOOK, "date ="), "YYYY-MM-DD"),
    ("toml-missing-chapter",
     [(BOOK, '"chapters/two.md"]', '"chapters/two.md", "chapters/three.md"]')],
     (BOOK, "chapters/three.md"), "'chapters/three.md' does not exist"),
    ("toml-chapter-twice", [(BOOK, '"chapters/two.md"]', '"chapters/two.md", "chapters/one.md"]')],
     (BOOK, "chapters ="), "listed twice"),
    ("toml-unknown-role", [(BOOK, 'role = "photographer"', 'role = "fotographer"')],
     (BOOK, "fotographer"), "did you mean 'photographer'?"),
    ("toml-contributor-unknown-key", [(BOOK, 'note = "Photographs"', 'nte = "Photographs"')],
     (BOOK, "nte ="), "unknown key 'contributors.nte'"),
    ("toml-empty-title", [(BOOK, 'title = "A Small Field Guide to Tide Pools"', 'title = "   "')],
     (BOOK, "title ="), "must not be empty"),
    ("toml-keywords-not-text", [(BOOK, 'keywords = ["test"]', 'keywords = ["test", 3]')],
     (BOOK, "keywords ="), "list of non-empty strings"),
    ("toml-epub-unknown-key", [(BOOK, "", "[epub]\npage-lists = false")],
     (BOOK, "page-lists ="), "did you mean 'page-list'?"),
    ("toml-epub-page-list-not-bool", [(BOOK, "", '[epub]\npage-list = "no"')],
     (BOOK, "page-list ="), "'epub.page-list' must be true or false"),
    ("toml-invalid-utf8", [(BOOK, 'publisher = "Test Press"', b'publisher = "Test \xff Press"')],
     (BOOK, "publisher ="), "not valid UTF-8"),
    ("toml-no-chapters",
     [(BOOK, 'chapters = ["chapters/one.md", "chapters/two.md"]', "chapters = []")],
     (BOOK, "chapters ="), "'chapters' is empty"),
    ("toml-cover-missing",
     [(BOOK, 'keywords = ["test"]', 'keywords = ["test"]\ncover = "assets/cover.png"')],
     (BOOK, "cover ="), "does not exist"),
    ("toml-cover-not-an-image",
     [(BOOK, 'keywords = ["test"]', 'keywords = ["test"]\ncover = "book.toml"')],
     (BOOK, "cover ="), "not PNG, JPEG, GIF, WebP or SVG"),
    # ---------------------------------------------------------------- front matter
    ("fm-never-closed", [(ONE, "short_title: Tides\n---\n", "short_title: Tides\n")],
     (ONE, "---"), "never closed"),
    ("fm-bad-indentation", [(ONE, "short_title: Tides", "  short_title: Tides")],
     (ONE, "  short_title"), "front matter"),
    ("fm-duplicate-key", [(ONE, "short_title: Tides", "short_title: Tides\ntitle: Again")],
     (ONE, "title: Again"), "duplicate key 'title'"),
    ("fm-unknown-key", [(ONE, "short_title: Tides", "shorttitle: Tides")],
     (ONE, "shorttitle"), "did you mean 'short_title'?"),
    ("fm-title-a-list", [(ONE, "title: Life between the tides", "title: [Life, tides]")],
     (ONE, "title: [Life"), "must be non-empty text"),
    ("fm-python-tag",
     [(ONE, "short_title: Tides", "short_title: !!python/object/apply:os.system ['true']")],
     (ONE, "!!python"), "could not determine a constructor"),
    ("fm-unhashable-key", [(ONE, "short_title: Tides", "? [a, b]\n: c")],
     (ONE, "? [a, b]"), "a key must be text"),
    ("fm-not-a-mapping",
     [(ONE, "title: Life between the tides\nshort_title: Tides", "- Life\n- Tides")],
     (ONE, "- Life"), "must be a mapping"),
    ("fm-alias-bomb", [(ONE, "short_title: Tides", ALIAS_BOMB)],
     (ONE, "&a"), "'short_title' must be non-empty text"),
    ("fm-empty-value", [(ONE, "short_title: Tides", "short_title:")],
     (ONE, "short_title:"), "'short_title' must be non-empty text"),
    ("fm-tab-indent", [(ONE, "short_title: Tides", "\tshort_title: Tides")],
     (ONE, "\tshort_title"), "front matter"),
    ("fm-nul-character", [(ONE, "short_title: Tides", "short_title: Ti\x00des")],
     (ONE, "short_title: Ti"), "front matter"),
    # ---------------------------------------------------------------- assets/photos.toml
    ("photo-missing-caption", [(PHOTOS, f'caption = "{CAPTION}"\n', "")],
     (PHOTOS, "[anemone]"), "has no 'caption'"),
    ("photo-unknown-licence", [(PHOTOS, 'licence = "own"', 'licence = "mine"')],
     (PHOTOS, "licence ="), "unknown licence status 'mine'"),
    ("photo-alt-repeats-caption",
     [(PHOTOS, 'alt = "A drawing', f'alt = "{CAPTION}"\n# "A drawing')],
     (PHOTOS, f'alt = "{CAPTION}"'), "repeats its caption"),
    ("photo-unknown-key", [(PHOTOS, 'source = "Test fixture"', 'sauce = "Test fixture"')],
     (PHOTOS, "sauce ="), "did you mean 'source'?"),
    ("photo-not-a-table", [(PHOTOS, "[anemone]", 'stray = "value"\n\n[anemone]')],
     (PHOTOS, "stray ="), "must be a table"),
    ("photo-file-missing",
     [(PHOTOS, 'file = "photos/anemone.png"', 'file = "photos/anemone-2.png"')],
     (PHOTOS, "file ="), "does not exist"),
    ("photo-toml-syntax", [(PHOTOS, 'credit = "Ben Sample"', "credit = Ben Sample")],
     (PHOTOS, "credit ="), "invalid TOML"),
    ("photo-empty-caption", [(PHOTOS, f'caption = "{CAPTION}"', 'caption = ""')],
     (PHOTOS, "caption ="), "must be non-empty text"),
    # ---------------------------------------------------------------- Markdown
    ("md-photo-not-alone", [(ONE, "![](photo:anemone)", "Look: ![](photo:anemone)")],
     (ONE, "Look: ![]"), "must stand alone"),
    ("md-unknown-photo", [(ONE, "![](photo:anemone)", "![](photo:anemon)")],
     (ONE, "photo:anemon)"), "did you mean 'anemone'?"),
    ("md-link-to-missing-chapter", [(ONE, "(two.md#shore-crabs)", "(three.md#shore-crabs)")],
     (ONE, "three.md"), "not a chapter of the book"),
    ("md-link-bad-scheme", [(TWO, "", "Get it by [FTP](ftp://example.com/tides.txt).")],
     (TWO, "ftp://"), "uses a scheme"),
    ("md-image-missing", [(TWO, "../assets/snail.png", "../assets/snale.png")],
     (TWO, "snale.png"), "does not exist"),
    ("md-image-wrong-type", [(TWO, "../assets/snail.png", "../assets/snail.bmp")],
     (TWO, "snail.bmp"), "not PNG, JPEG, GIF, WebP or SVG"),
    ("md-invalid-utf8", [(TWO, "", b"A broken \xc3\x28 byte.")],
     (TWO, "A broken"), "not valid UTF-8"),
    ("md-photo-placed-twice", [(TWO, "", "![](photo:anemone)")],
     (TWO, "photo:anemone"), "already placed"),
    ("md-link-to-unplaced-photo", [(TWO, "", "See [the seal](photo:seal).")],
     (TWO, "photo:seal"), "not placed in the book"),
    ("md-image-corrupt", [(TWO, "", "![broken](../assets/broken.png)")],
     (TWO, "broken.png"), "cannot be read"),
    ("md-image-pixel-bomb", [(TWO, "", "![huge](../assets/huge.png)")],
     (TWO, "huge.png"), "cannot be read"),
    ("md-image-over-the-pixel-cap", [(TWO, "", "![big](../assets/big.png)")],
     (TWO, "big.png"), "more than 60,000,000 pixels"),
    ("md-svg-not-xml", [(TWO, "", "![bad drawing](../assets/bad.svg)")],
     (TWO, "bad.svg"), "not well-formed XML"),
    ("md-no-title", [(TWO, "# Crabs and snails\n", "Crabs and snails\n")] + [
        (TWO, f"## {h}\n", f"{h}\n") for h in ("Shore crabs", "Periwinkles")] + [
        (ONE, "[see the crabs](two.md#shore-crabs)", "see the crabs")],
     (TWO, "Crabs and snails"), "chapter has no title"),
]
EXTRA_FILES = {
    "assets/broken.png": b"\x89PNG\r\n\x1a\nthis is not a picture",
    "assets/huge.png": png_header(100_000, 100_000),  # past Pillow's own bomb limit
    "assets/big.png": png_header(9_000, 8_000),  # under Pillow's limit, over the builder's
    "assets/bad.svg": b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
}


def apply(project: Path, edits) -> None:
    for name, old, new in edits:
        path = project / name
        data = path.read_bytes()
        old_b = old.encode() if isinstance(old, str) else old
        new_b = new.encode() if isinstance(new, str) else new
        if not old_b:
            data = data.rstrip(b"\n") + b"\n\n" + new_b + b"\n"
        else:
            assert data.count(old_b) == 1, f"{old!r} occurs {data.count(old_b)} times in {name}"
            data = data.replace(old_b, new_b)
        path.write_bytes(data)


def first_line_of(path: Path, needle: str) -> int:
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_enough_cases():
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("name, edits, where, fragment", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_gives_one_located_error(tmp_path, name, edits, where, fragment):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    for rel, data in EXTRA_FILES.items():
        (project / rel).write_bytes(data)
    apply(project, edits)
    path, needle = where
    line = first_line_of(project / path, needle)
    code, stdout, stderr = run_main(["build", str(project), "--out", str(tmp_path / "out"),
                                     "--format", "html", "--quiet"])
    error = one_error(stderr)
    assert code == 2, f"exit {code}: {stderr}"
    assert error.startswith(f"error: {path}:{line}: "), error
    assert fragment in error, error
    assert stdout == ""
    assert not (tmp_path / "out" / "tide-pools-web").exists()


def test_image_over_the_byte_cap(tmp_path, monkeypatch):
    import book.source.load

    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / "assets" / "snail.png").write_bytes(  # 2 MiB of padding after the picture
        (project / "assets" / "snail.png").read_bytes() + bytes(2 << 20))
    monkeypatch.setattr(book.source.load, "MAX_IMAGE_BYTES", 1 << 20)
    code, _, stderr = run_main(["build", str(project), "--out", str(tmp_path / "out"),
                                "--format", "html", "--quiet"])
    line = first_line_of(project / TWO, "snail.png")
    assert code == 2
    assert one_error(stderr).startswith(
        f"error: {TWO}:{line}: image 'assets/snail.png' is larger than 1 MiB")


# ---------------------------------------------------------------- the builder's templates

@pytest.fixture
def broken_template(tmp_path, monkeypatch):
    """Point the renderer at a copy of the templates where web.html.j2 gets one line
    inserted; returns (insert(line_text) → path of the broken template, line number)."""
    import jinja2

    import book.render.html

    folder = tmp_path / "templates"
    shutil.copytree(Path(book.render.html.__file__).parent / "templates", folder)
    monkeypatch.setattr(book.render.html._ENV, "loader", jinja2.FileSystemLoader(str(folder)))

    def insert(text: str) -> tuple[Path, int]:
        path = folder / "web.html.j2"
        lines = path.read_text("utf-8").splitlines(keepends=True)
        at = min(3, len(lines))
        lines.insert(at, text + "\n")
        path.write_text("".join(lines), "utf-8")
        return path, at + 1
    return insert


@pytest.mark.parametrize("text, fragment", [
    ("{{ no_such_variable }}", "'no_such_variable' is undefined"),
    ("{% if %}", "TemplateSyntaxError"),
    ("{{ meta.no_such_field.deeper }}", "no_such_field"),
], ids=["undefined-variable", "syntax-error", "undefined-attribute"])
def test_template_error_names_template_and_line(tmp_path, broken_template, text, fragment):
    """A template is the builder's own code: exit 1, one line with the template's path and
    the line of the mistake (StrictUndefined: nothing undefined renders as empty)."""
    path, line = broken_template(text)
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    code, _, stderr = run_main(["build", str(project), "--out", str(tmp_path / "out"),
                                "--format", "html", "--quiet"])
    error = one_error(stderr)
    assert code == 1, stderr
    assert error.startswith(f"error: build failed: {path}:{line}: "), error
    assert fragment in error, error
    assert not (tmp_path / "out" / "tide-pools-web").exists()


# ---------------------------------------------------------------- line endings

@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
@pytest.mark.parametrize("old, new, needle, fragment", [
    ("short_title: Tides", "short_title: Tides\ntitle: Again", "title: Again", "duplicate key"),
    ("![](photo:anemone)", "![](photo:anemon)", "photo:anemon)", "not in assets/photos.toml"),
    ("in and waits as a glossy red bead.", 'in and waits <img src="/etc/passwd"> as a bead.',
     "/etc/passwd", "not a file inside the project"),
], ids=["front-matter", "markdown", "raw-html-in-a-paragraph"])
def test_lines_are_counted_as_editors_count_them(tmp_path, newline, old, new, needle, fragment):
    """Windows (CRLF) and old Mac (CR) line endings, and a line separator (U+2028) or NEL
    inside a paragraph, do not shift the line an error names."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    chapter = project / ONE
    text = chapter.read_text("utf-8").replace(old, new).replace(
        "Twice a day", "Twice\u2028a\x85day")
    assert new in text
    chapter.write_bytes(text.replace("\n", newline).encode("utf-8"))
    line = next(n for n, row in enumerate(text.split("\n"), 1) if needle in row)
    code, _, stderr = run_main(["build", str(project), "--out", str(tmp_path / "out"),
                                "--format", "html", "--quiet"])
    error = one_error(stderr)
    assert code == 2
    assert error.startswith(f"error: {ONE}:{line}: ") and fragment in error, error
