"""Broken projects: the CLI exits 2 with one located `error:` line per problem, no traceback,
and a failed build never touches the editions already in the output folder."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import cli
from helpers import line_of


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), "utf-8")


def build(project: Path, out: Path, *extra: str):
    return cli(["build", str(project), "--out", str(out), "--format", "pdf", "--format", "epub",
                *extra])


def error_lines(result) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines, f"stderr has lines that are not errors:\n{result.stderr}"
    return errors


def assert_input_error(result, where: str, *fragments: str) -> str:
    """Exit 2 and exactly one `error: <where>: …` line holding every fragment."""
    errors = error_lines(result)
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stderr}"
    assert len(errors) == 1, "expected one error line:\n" + "\n".join(errors)
    assert errors[0].startswith(f"error: {where}: "), errors[0]
    for fragment in fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"
    assert result.stdout == ""
    return errors[0]


@pytest.mark.parametrize("broken_line", ['language = "en', "slug = ", 'date = 2024-05-01"'])
def test_malformed_toml_points_at_the_line(mini_copy, tmp_path, broken_line):
    manifest = mini_copy / "book.toml"
    key = broken_line.split(" ")[0]
    original = next(line for line in manifest.read_text("utf-8").splitlines()
                    if line.startswith(f"{key} = "))
    edit(manifest, original + "\n", broken_line + "\n")
    line = line_of(manifest, broken_line)
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"book.toml:{line}", "TOML")


def test_unknown_key_gets_did_you_mean(mini_copy, tmp_path):
    manifest = mini_copy / "book.toml"
    edit(manifest, 'subtitle = "Test book"\n', 'subtitle = "Test book"\ntitel = "Extra"\n')
    line = line_of(manifest, "titel =")
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"book.toml:{line}", "unknown key 'titel'",
                       "(did you mean 'title'?)")


def test_misspelt_required_key_is_one_problem(mini_copy, tmp_path):
    """`titel` for `title` is one mistake: one located error with the hint, not a second
    unlocated 'missing title' error."""
    manifest = mini_copy / "book.toml"
    title_line = next(line for line in manifest.read_text("utf-8").splitlines()
                      if line.startswith("title = "))
    edit(manifest, title_line + "\n", "titel" + title_line[len("title"):] + "\n")
    line = line_of(manifest, "titel =")
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"book.toml:{line}", "unknown key 'titel'",
                       "(did you mean 'title'?)")


def test_missing_chapter_names_its_entry(mini_copy, tmp_path):
    manifest = mini_copy / "book.toml"
    edit(manifest, 'chapters = ["chapters/one.md", "chapters/two.md"]',
         'chapters = [\n  "chapters/one.md",\n  "chapters/three.md",\n]')
    line = line_of(manifest, '"chapters/three.md"')
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"book.toml:{line}", "chapters/three.md")


def test_unknown_photo_id(mini_copy, tmp_path):
    chapter = mini_copy / "chapters" / "one.md"
    edit(chapter, "![](photo:anemone)", "![](photo:anemon)")
    line = line_of(chapter, "photo:anemon)")
    result = build(mini_copy, tmp_path / "out")
    message = assert_input_error(result, f"chapters/one.md:{line}")
    assert message == (f"error: chapters/one.md:{line}: photo 'anemon' is not in "
                       "assets/photos.toml (did you mean 'anemone'?)")


@pytest.mark.parametrize("yaml_lines, bad", [
    (["title: Life between the tides", "  short_title: Tides"], "  short_title"),
    (['title: "Life between the tides', "short_title: Tides"], 'title: "Life'),
], ids=["bad-indentation", "unclosed-quote"])
def test_bad_yaml_front_matter(mini_copy, tmp_path, yaml_lines, bad):
    chapter = mini_copy / "chapters" / "one.md"
    edit(chapter, "title: Life between the tides\nshort_title: Tides\n",
         "\n".join(yaml_lines) + "\n")
    line = line_of(chapter, bad)
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"chapters/one.md:{line}", "front matter")


def test_unknown_front_matter_key(mini_copy, tmp_path):
    chapter = mini_copy / "chapters" / "one.md"
    edit(chapter, "short_title: Tides", "shrt_title: Tides")
    line = line_of(chapter, "shrt_title")
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"chapters/one.md:{line}", "shrt_title",
                       "(did you mean 'short_title'?)")


def test_link_to_missing_heading(mini_copy, tmp_path):
    """A dead fragment inside the book (a renamed heading) is a located warning that
    builds, with the link falling back to its chapter; --strict makes it fail (exit 3)."""
    chapter = mini_copy / "chapters" / "one.md"
    edit(chapter, "(two.md#shore-crabs)", "(two.md#shore-crab)")
    line = line_of(chapter, "two.md#shore-crab)")
    result = build(mini_copy, tmp_path / "out", "--quiet")
    assert result.returncode == 0, result.stderr
    warnings = [w for w in result.stderr.splitlines() if w.startswith("warning: ")]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith(f"warning: chapters/one.md:{line}: ")
    assert "shore-crab" in warnings[0] and "(did you mean 'shore-crabs'?)" in warnings[0]
    strict = build(mini_copy, tmp_path / "strict", "--quiet", "--strict")
    assert strict.returncode == 3, strict.stderr


def test_problems_in_several_chapters_are_reported_together(mini_copy, tmp_path):
    one, two = mini_copy / "chapters" / "one.md", mini_copy / "chapters" / "two.md"
    edit(one, "short_title: Tides", "shrt_title: Tides")
    edit(two, "# Crabs and snails\n", "---\ntitel: Crabs\n---\n# Crabs and snails\n")
    result = build(mini_copy, tmp_path / "out")
    errors = error_lines(result)
    assert result.returncode == 2
    assert [e.split(": ", 2)[1] for e in errors] == [
        f"chapters/one.md:{line_of(one, 'shrt_title')}",
        f"chapters/two.md:{line_of(two, 'titel')}"]


@pytest.mark.parametrize("src", ["../../etc/passwd.png", "/etc/passwd.png"])
def test_image_outside_the_project(mini_copy, tmp_path, src):
    chapter = mini_copy / "chapters" / "two.md"
    edit(chapter, "(../assets/snail.png", f"({src}")
    line = line_of(chapter, src)
    out = tmp_path / "out"
    result = build(mini_copy, out)
    assert_input_error(result, f"chapters/two.md:{line}", "passwd.png", "project")
    assert not out.exists() or not any(out.glob("*.pdf")) and not any(out.glob("*.epub"))


def test_image_symlinked_outside_the_project(mini_copy, tmp_path):
    outside = tmp_path / "outside.png"
    shutil.copy(mini_copy / "assets" / "snail.png", outside)
    (mini_copy / "assets" / "link.png").symlink_to(outside)
    chapter = mini_copy / "chapters" / "two.md"
    edit(chapter, "(../assets/snail.png", "(../assets/link.png")
    line = line_of(chapter, "link.png")
    result = build(mini_copy, tmp_path / "out")
    assert_input_error(result, f"chapters/two.md:{line}", "link.png", "outside the project")


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def good_out(tmp_path, mini_build) -> Path:
    """An output folder holding good editions of the mini project from an earlier build."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(mini_build.pdf, out)
    shutil.copy(mini_build.epub, out)
    return out


def test_failed_build_keeps_previous_editions(mini_copy, good_out, mini_build):
    before = digests(good_out)
    assert set(before) == {mini_build.pdf.name, mini_build.epub.name}
    edit(mini_copy / "chapters" / "one.md", "![](photo:anemone)", "![](photo:anemon)")
    result = build(mini_copy, good_out)
    assert result.returncode == 2
    assert digests(good_out) == before


@pytest.mark.parametrize("css", [
    '@import url("../../outside.css");\n',
    'body { background: url("../../outside.png"); }\n',
], ids=["import", "url"])
def test_stylesheet_reaching_outside_fails_cleanly(mini_copy, good_out, tmp_path, css):
    """A project stylesheet that fetches a file outside the project stops the build with
    one error line (no traceback) and leaves the previous editions untouched."""
    (tmp_path / "outside.css").write_text("body { color: red; }\n", "utf-8")
    shutil.copy(mini_copy / "assets" / "snail.png", tmp_path / "outside.png")
    (mini_copy / "styles").mkdir()
    (mini_copy / "styles" / "extra.css").write_text(css, "utf-8")
    before = digests(good_out)
    result = build(mini_copy, good_out, "--quiet")
    errors = error_lines(result)
    assert result.returncode in (1, 2), result.stderr
    assert len(errors) == 1, result.stderr
    assert "outside" in errors[0]
    after = {name: digest for name, digest in digests(good_out).items()
             if not name.startswith(".")}
    assert after == before
    assert not list(good_out.glob("*.tmp")) and not list(good_out.glob(".*.tmp"))
