"""Regression tests for problems a review found: each breaks a copy of the mini project (or
drives one stage directly) the way the problem showed itself, and checks the fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import MINI, NS, cli
from helpers import error_lines, line_of, project_with, run_main

TOML_HEAD = 'kind = "{kind}"\ntitle = "{title}"\n'


def build_web(project: Path, out: Path):
    return cli(["build", str(project), "--out", str(out), "--format", "html", "--quiet"])


# --------------------------------------------------------------------------- 1. data pages

TIMELINE_EVENT = '\n[[events]]\ndate = "1923"\ntitle = "A region"\nnote = "One sentence."\n'
GLOSSARY_TERM = '\n[[terms]]\nterm = "Pool"\ndefinition = "Water left by the tide."\n'

BAD_DATA_PAGES = {
    "date-is-a-number": ("timeline", TIMELINE_EVENT.replace('"1923"', "1923"),
                         "date = 1923", "'date' must be non-empty text"),
    "events-of-text": ("timeline", 'events = ["x"]\n', 'events = ["x"]',
                       "each 'events' entry must be a table"),
    "link-is-a-number": ("timeline", TIMELINE_EVENT + "link = 3\n", "link = 3",
                         "'link' must be non-empty text"),
    "term-is-a-number": ("glossary", GLOSSARY_TERM.replace('"Pool"', "5"), "term = 5",
                         "'term' must be non-empty text"),
    "also-is-text": ("glossary", GLOSSARY_TERM + 'also = "x"\n', 'also = "x"',
                     "'also' must be a list of text"),
}


@pytest.mark.parametrize("case", BAD_DATA_PAGES, ids=list(BAD_DATA_PAGES))
def test_data_page_entry_of_the_wrong_type_is_a_located_error(case, tmp_path):
    kind, body, needle, message = BAD_DATA_PAGES[case]
    page = f"chapters/{kind}.toml"
    project = project_with(tmp_path, {page: TOML_HEAD.format(kind=kind, title="T") + body},
                           ["chapters/one.md", "chapters/two.md", page])
    line = line_of(project / page, needle)
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 2, built.stderr
    [error] = error_lines(built.stderr)
    assert error.startswith(f"error: {page}:{line}: {message}"), error
    checked = cli(["check", str(project)])
    assert checked.returncode == 2 and "Traceback" not in checked.stderr, checked.stderr
    assert f"{page}:{line}:" in checked.stdout and message in checked.stdout


# --------------------------------------------------------------------------- 2. inline text

EVIL = "![t](https://evil.example/p.png) [js](javascript:alert(1)) [file](one.md) " \
       "<img src=x onerror=alert(1)> [ok](https://ok.example/) \"quoted\""


def test_data_page_and_changelog_text_shows_no_images_and_only_web_links(tmp_path):
    glossary = (TOML_HEAD.format(kind="glossary", title="Glossary")
                + '\n[[terms]]\nterm = "Pool"\n' + f"definition = '''{EVIL}'''\n")
    timeline = (TOML_HEAD.format(kind="timeline", title="Timeline")
                + '\n[[events]]\ndate = "1923"\ntitle = "A region"\n' + f"note = '''{EVIL}'''\n")
    changelog = f"# Changelog\n\n## [1.0.0] - 2024-05-01\n\n### Added\n\n- {EVIL}\n"
    project = project_with(tmp_path, {"chapters/glossary.toml": glossary,
                                      "chapters/timeline.toml": timeline,
                                      "CHANGELOG.md": changelog},
                           ["chapters/one.md", "chapters/two.md", "chapters/timeline.toml",
                            "chapters/glossary.toml"])
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 0, built.stderr
    web = tmp_path / "out" / "tide-pools-web"
    for page in ("chapters.glossary.html", "chapters.timeline.html", "revision-history.html"):
        root = etree.HTML((web / page).read_text("utf-8"))
        body = root.xpath("//main")[0] if root.xpath("//main") else root
        assert not body.xpath(".//img"), page
        hrefs = body.xpath(".//a/@href")
        assert "https://ok.example/" in hrefs, (page, hrefs)
        assert not [h for h in hrefs if "javascript" in h or h == "one.md"], hrefs
        assert not body.xpath(".//@onerror"), page
        assert "“quoted”" in "".join(body.itertext()), page


def test_inline_engine_is_shared_and_clean():
    from book.source.markdown import render_inline

    html = render_inline('![t](https://evil.example/p.png) [m](mailto:a@b.example) <b>x</b>')
    assert "<img" not in html and "<b>" not in html
    assert '<a href="mailto:a@b.example">m</a>' in html


# --------------------------------------------------------------------------- 3. chapter ids

def test_chapters_whose_stems_match_get_ids_from_their_whole_paths(tmp_path):
    chapter = "# Intro\n\nText.\n"
    project = project_with(tmp_path, {"chapters/01 intro.md": chapter,
                                      "appendix/01-intro.md": chapter},
                           ["chapters/one.md", "chapters/two.md", "chapters/01 intro.md",
                            "appendix/01-intro.md"])
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 0, built.stderr
    web = tmp_path / "out" / "tide-pools-web"
    assert (web / "chapters.01_20_intro.html").is_file()
    assert (web / "appendix.01-intro.html").is_file()


GENERATED = ["index", "colophon", "contents", "contributors", "nav", "cover", "title-page",
             "photo-credits", "revision-history", "toc"]


def test_chapters_named_like_generated_parts_are_built_under_ids_of_their_own(tmp_path):
    """No chapter file is refused for its name: at the project's root, where its id would
    be one the builder gives its own pages, its first letter is escaped."""
    paths = [f"{name}.md" for name in GENERATED]
    project = project_with(tmp_path, {p: f"# Chapter {p}\n\nText.\n" for p in paths},
                           ["chapters/one.md", "chapters/two.md", *paths])
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 0, built.stderr
    web = tmp_path / "out" / "tide-pools-web"
    pages = {p.name: p.read_text("utf-8") for p in web.glob("*.html")}
    for path in paths:  # each chapter's title heads exactly one page, not the builder's
        holders = [name for name, text in pages.items() if f">Chapter {path}</h1>" in text]
        assert len(holders) == 1 and holders[0] != f"{path[:-3]}.html", (path, holders)
    assert cli(["check", str(project)]).returncode == 0


# --------------------------------------------------------------------------- 4. #fig- headings

def test_link_to_a_heading_starting_with_fig_lands_on_the_heading(tmp_path):
    project = project_with(tmp_path, {}, ["chapters/one.md", "chapters/two.md"])
    two = project / "chapters" / "two.md"
    two.write_text(two.read_text("utf-8") + "\n## Fig tree\n\nA tree of figs.\n", "utf-8")
    one = project / "chapters" / "one.md"
    one.write_text(one.read_text("utf-8") + "\nSee [the fig tree](two.md#fig-tree).\n", "utf-8")
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 0, built.stderr
    web = tmp_path / "out" / "tide-pools-web"
    assert 'href="chapters.two.html#chapters.two--fig-tree"' in (
        web / "chapters.one.html").read_text("utf-8")
    assert 'id="chapters.two--fig-tree"' in (web / "chapters.two.html").read_text("utf-8")


# --------------------------------------------------------------------------- 5. heading titles

def test_title_from_the_first_heading_is_its_rendered_text(tmp_path):
    project = project_with(tmp_path, {}, ["chapters/one.md", "chapters/two.md"])
    two = project / "chapters" / "two.md"
    two.write_text(two.read_text("utf-8").replace("# Crabs and snails",
                                                  '# The *blockade* of "Lachin"', 1), "utf-8")
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 0, built.stderr
    web = tmp_path / "out" / "tide-pools-web"
    page = etree.HTML((web / "chapters.two.html").read_text("utf-8"))
    assert page.xpath("string(//h1[@id='chapters.two--title'])") == "The blockade of “Lachin”"
    assert "The blockade of “Lachin”" in (web / "index.html").read_text("utf-8")


# --------------------------------------------------------------------------- 6. accessibility

def test_accessibility_summary_claims_alt_text_only_when_every_image_has_it(tmp_path):
    project = project_with(tmp_path, {}, ["chapters/one.md", "chapters/two.md"])
    one = project / "chapters" / "one.md"
    one.write_text(one.read_text("utf-8") + "\n![](../assets/snail.png)\n", "utf-8")
    out = tmp_path / "out"
    built = cli(["build", str(project), "--out", str(out), "--format", "epub", "--quiet"])
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(out / "tide-pools.epub") as epub:
        opf_name = next(n for n in epub.namelist() if n.endswith(".opf"))
        opf = etree.fromstring(epub.read(opf_name))
    meta = {prop: [m.text for m in opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]
            for prop in ("schema:accessibilityFeature", "schema:accessibilitySummary")}
    assert "alternativeText" not in meta["schema:accessibilityFeature"]
    assert "text alternative" not in meta["schema:accessibilitySummary"][0]


# --------------------------------------------------------------------------- 7. fingerprint

def test_no_op_rebuild_sees_hidden_files_and_dist_folders_the_build_reads(tmp_path):
    chapter = "# Three\n\nText.\n"
    project = project_with(tmp_path, {"chapters/dist/three.md": chapter,
                                      "styles/.extra.css": "p { color: black; }\n"},
                           ["chapters/one.md", "chapters/two.md", "chapters/dist/three.md"])
    out = tmp_path / "out"
    assert build_web(project, out).returncode == 0
    again = cli(["build", str(project), "--out", str(out), "--format", "html"])
    assert "up to date" in again.stdout, again.stderr
    (project / ".cache").mkdir()
    (project / ".cache" / "scratch").write_text("not read by the build", "utf-8")
    assert "up to date" in cli(["build", str(project), "--out", str(out),
                                "--format", "html"]).stdout
    for path, text in (("styles/.extra.css", "p { color: navy; }\n"),
                       ("chapters/dist/three.md", "# Three\n\nOther text.\n")):
        (project / path).write_text(text, "utf-8")
        rebuilt = cli(["build", str(project), "--out", str(out), "--format", "html"])
        assert rebuilt.returncode == 0 and "up to date" not in rebuilt.stdout, path
    web = out / "tide-pools-web"
    assert "color: navy" in (web / "book.css").read_text("utf-8")
    assert "Other text." in (web / "chapters.dist.three.html").read_text("utf-8")


# --------------------------------------------------------------------------- 8. CLI catch-all

@pytest.mark.parametrize("command,target", [
    ("check", "book.lint.check.check_project"),
    ("serve", "book.web.serve.serve"),
    ("verify", "book.release.verify.verify"),
])
def test_unexpected_failure_in_check_serve_verify_is_one_line(command, target, monkeypatch,
                                                              tmp_path):
    module, name = target.rsplit(".", 1)

    def fail(*args, **kwargs):
        raise subprocess.TimeoutExpired(["java"], 600)

    monkeypatch.setattr(f"{module}.{name}", fail)
    args = [command, str(tmp_path / "x.epub")] if command == "verify" else [command, str(MINI)]
    monkeypatch.delenv("BOOK_DEBUG", raising=False)
    code, _, stderr = run_main(args)
    assert code == 1
    assert stderr == (f"error: {command} failed: TimeoutExpired: Command '['java']' timed out "
                      "after 600 seconds\n")
    monkeypatch.setenv("BOOK_DEBUG", "1")
    code, _, stderr = run_main(args)
    assert code == 1 and "Traceback" in stderr


# --------------------------------------------------------------------------- 9. EPUBCheck JVM

def test_verify_ends_epubcheck_when_the_pdf_check_fails(tmp_path, monkeypatch):
    from book.release import verify

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = bin_dir / "java"
    java.write_text("#!/bin/sh\nexec sleep 120\n", "utf-8")
    java.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    started: list[subprocess.Popen] = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    def broken_pdf_check(path):
        raise RuntimeError("pikepdf crashed")

    monkeypatch.setattr(verify.subprocess, "Popen", Recorded)
    monkeypatch.setattr(verify, "check_pdf", broken_pdf_check)
    (tmp_path / "a.epub").write_bytes(b"PK")
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7")
    try:
        with pytest.raises(RuntimeError, match="pikepdf crashed"):
            verify.verify([tmp_path / "a.epub", tmp_path / "a.pdf"])
        assert len(started) == 1 and started[0].args[0] == str(java)
        assert started[0].poll() is not None, "EPUBCheck's JVM was left running"
    finally:
        for proc in started:  # (so that a failure here leaves nothing behind either)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# --------------------------------------------------------------------------- 10. decode once

def test_percent_encoded_image_path_is_decoded_once(tmp_path):
    project = project_with(tmp_path, {}, ["chapters/one.md", "chapters/two.md"])
    snail = (project / "assets" / "snail.png").read_bytes()
    shutil.copy(project / "assets" / "snail.png", project / "chapters" / "a%41.png")
    shutil.copy(project / "assets" / "photos" / "anemone.png", project / "chapters" / "aA.png")
    one = project / "chapters" / "one.md"
    one.write_text(one.read_text("utf-8") + "\n![A snail](a%2541.png)\n", "utf-8")
    built = build_web(project, tmp_path / "out")
    assert built.returncode == 0, built.stderr
    web = tmp_path / "out" / "tide-pools-web"
    assert (web / "chapters" / "a%41.png").read_bytes() == snail
    assert not (web / "chapters" / "aA.png").exists()


# --------------------------------------------------------------------------- 11. the epoch

@pytest.mark.parametrize("epoch", ["-5", "1.7e9", "abc"])
def test_malformed_source_date_epoch_is_an_input_error(epoch, tmp_path):
    message = f"must be a whole number of seconds, not '{epoch}'"
    built = cli(["build", str(MINI), "--out", str(tmp_path / "out"), "--format", "html"],
                epoch=epoch)
    assert built.returncode == 2, built.stderr
    [error] = error_lines(built.stderr)
    assert error.startswith(f"error: SOURCE_DATE_EPOCH: {message}"), error
    assert not (tmp_path / "out" / "tide-pools-web").exists()
    checked = cli(["check", str(MINI)], epoch=epoch)
    assert checked.returncode == 2 and "Traceback" not in checked.stderr, checked.stderr
    assert f"SOURCE_DATE_EPOCH:1:1: error: {message}" in checked.stdout


def test_release_reads_the_epoch_through_the_same_rule(monkeypatch):
    from book.errors import BookError
    from book.release.release import _source_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert _source_date(1234) == 1234
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "5678")
    assert _source_date(1234) == 5678
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1.7e9")
    with pytest.raises(BookError, match="whole number of seconds"):
        _source_date(1234)


# --------------------------------------------------------------------------- 12. data pages only

def test_book_of_data_pages_only_builds_an_epub(tmp_path):
    page = "chapters/timeline.toml"
    project = project_with(tmp_path, {page: TOML_HEAD.format(kind="timeline", title="Timeline")
                                      + TIMELINE_EVENT}, [page])
    out = tmp_path / "out"
    built = cli(["build", str(project), "--out", str(out), "--format", "epub", "--quiet"])
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(out / "tide-pools.epub") as epub:
        opf = etree.fromstring(epub.read(next(n for n in epub.namelist() if n.endswith(".opf"))))
    assert opf.xpath("//opf:guide/opf:reference[@type='text']/@href", namespaces=NS) == [
        "chapters.timeline.xhtml"]

