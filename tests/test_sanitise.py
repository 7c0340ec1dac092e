"""Checks everywhere: footnotes and text fields meet the body's link, image and attribute
checks; every URL attribute is filtered by scheme; hard links, odd file names and
impossible dates get a true, located, one-line error."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from limits_support import build, project
from PIL import Image

from book.errors import BookError, Problem
from book.source.changelog import parse_changelog
from book.source.markdown import clean_html

H = "# One\n\nstart\n\n"
def _png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(image, "PNG")
    return image.getvalue()


PNG = _png()


@pytest.mark.parametrize("markup", [
    '<q cite="javascript:alert(1)">q</q>',
    '<blockquote cite=" JaVa\tScRiPt:alert(1)">b</blockquote>',
    '<img src="a.png" srcset="javascript:x 1x" alt="">', '<a href="java\nscript:alert(1)">a</a>',
    '<q cite="data:text/html,x">q</q>', '<blockquote cite="vbscript:x">b</blockquote>',
])
def test_url_attributes_are_filtered_by_scheme(markup):
    cleaned = clean_html(markup).lower()
    assert "script:" not in cleaned and "data:" not in cleaned


def test_allowed_urls_stay():
    assert 'cite="https://example.org/"' in clean_html('<q cite="https://example.org/">q</q>')


def test_cite_javascript_never_reaches_the_editions(tmp_path):
    root = project(tmp_path, H + '<blockquote cite="javascript:alert(1)">said</blockquote>\n')
    code, stderr = build(root, "html", "epub")
    assert code == 0, stderr
    assert b"javascript" not in (root / "dist/limits-web/chapters.one.html").read_bytes()
    with zipfile.ZipFile(root / "dist/limits.epub") as epub:
        assert not any(b"javascript" in epub.read(n) for n in epub.namelist())


@pytest.mark.parametrize("src", ["../../etc/passwd.png", "/etc/x.png"])
def test_images_in_footnotes_meet_the_image_checks(tmp_path, src):
    root = project(tmp_path, H + f"text[^1]\n\n[^1]: see ![pic]({src})\n")
    code, stderr = build(root, "html")
    assert code == 2 and stderr.startswith("error: chapters/one.md:7:"), stderr
    assert len(stderr.strip().splitlines()) == 1


def test_web_image_in_a_footnote_is_its_alt_text_as_in_the_body(tmp_path):
    root = project(tmp_path, H + "text[^1]\n\n[^1]: see ![pic](https://e.org/x.png)\n")
    code, stderr = build(root, "html")
    assert code == 0, stderr
    assert stderr.startswith("warning: chapters/one.md:7: image 'https://e.org/x.png'"), stderr
    page = (root / "dist/limits-web/chapters.one.html").read_text()
    assert "see [pic]" in page and "e.org" not in page


def test_project_image_in_a_footnote_is_published(tmp_path):
    root = project(tmp_path, H + "text[^1]\n\n[^1]: see ![pic](../assets/p.png)\n",
                   files={"assets/p.png": PNG})
    code, stderr = build(root, "html")
    assert code == 0, stderr
    page = (root / "dist/limits-web/chapters.one.html").read_text()
    assert "../../" not in page and "p.png" in page


def test_hard_linked_chapter_is_refused(tmp_path):
    root = project(tmp_path, H)
    os.link(root / "chapters/one.md", tmp_path / "elsewhere.md")
    code, stderr = build(root, "html")
    assert code == 2 and "chapters/one.md: file has more than one hard link" in stderr, stderr


def test_hard_linked_image_is_refused(tmp_path):
    root = project(tmp_path, H + "![pic](../assets/p.png)\n", files={"assets/p.png": PNG})
    os.link(root / "assets/p.png", tmp_path / "outside.png")
    code, stderr = build(root, "html")
    assert code == 2 and "image 'assets/p.png' has more than one hard link" in stderr, stderr


def test_control_characters_are_escaped_in_errors():
    shown = str(Problem("chapters/a\nb.md", 3, "bad \x1b[31m\u202e", "x"))
    assert "\n" not in shown and "\x1b" not in shown and "\u202e" not in shown
    assert shown == "chapters/a\\nb.md:3: bad \\x1b[31m\\u202e (x)"


def test_a_newline_in_a_file_name_keeps_the_error_on_one_line(tmp_path):
    root = project(tmp_path, H + "[x](javascript:alert)\n", name="chapters/a\nb.md")
    code, stderr = build(root, "html")
    assert code == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "chapters/a\\nb.md:5:" in stderr


def test_chapter_names_with_spaces_and_accents_build(tmp_path):
    root = project(tmp_path, H + "élan\n", name="chapters/été un.md")
    code, stderr = build(root, "html")
    assert code == 0, stderr


def test_a_directory_named_like_a_chapter(tmp_path):
    root = project(tmp_path, H, files={"_chapters": ["chapters/two.md"]})
    (root / "chapters/two.md").mkdir()
    code, stderr = build(root, "html")
    assert code == 2 and "chapter 'chapters/two.md' is a directory" in stderr, stderr
    assert "did you mean" not in stderr


@pytest.mark.parametrize("date", ["2023-02-30", "2023-13-01", "2023-00-10", "2021-02-29"])
def test_impossible_changelog_dates_are_refused(date):
    with pytest.raises(BookError) as caught:
        parse_changelog("CHANGELOG.md", f"# Changes\n\n## [1.0.0] - {date}\n- a\n")
    assert str(caught.value) == (f"CHANGELOG.md:3: '{date}' is not a calendar date "
                                 "(write the date as YYYY-MM-DD)")


def test_real_changelog_dates_pass():
    (revision,) = parse_changelog("CHANGELOG.md", "## [1.0.0] - 2024-02-29\n- a\n  more\n")
    assert revision.date == "2024-02-29" and revision.sections == (("Changed", ("a more",)),)
