"""Books written for mdBook, unchanged: chapter ids from whole paths, mdBook's links and
heading ids, links that leave the book, stale anchors, {{#include}} and friends, hidden Rust
lines, `book import mdbook`, and `book check` reporting everything in one run. Small inline
projects model the corpus' repros (/work/corpus/repros); tests/books/ holds two real
excerpts (TRPL, the mdBook guide) built as their authors wrote them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from book.errors import BookError
from book.model import GENERATED_IDS, clashing_id
from book.options import edition_from_env
from book.pipeline import load_book
from conftest import EpubCheckRun, cli, epubcheck_summary

BOOKS = Path(__file__).parent / "books"
MANIFEST = """title = "Repro"
language = "{language}"
slug = "repro"
publisher = "Corpus"
rights = "CC0"
identifier = "urn:uuid:00000000-0000-4000-8000-000000000000"
date = "2026-01-01"
chapters = [{chapters}]
{extra}
[[contributors]]
name = "A"
role = "author"
"""


def make(root: Path, files: dict[str, str], chapters: list[str] | None = None,
         extra: str = "", language: str = "en") -> Path:
    """A project holding `files`; the chapters are the .md files in order unless named."""
    chapters = chapters if chapters is not None else [f for f in files if f.endswith(".md")]
    root.mkdir(parents=True, exist_ok=True)
    (root / "book.toml").write_text(MANIFEST.format(
        chapters=", ".join(f'"{c}"' for c in chapters), extra=extra, language=language), "utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    return root


def load(root: Path):
    return load_book(root, edition_from_env())


def hrefs(html: str) -> list[str]:
    """The links' targets, decoded (lxml's HTML writer percent-encodes non-ASCII ones)."""
    return [unquote(h) for h in re.findall(r'<a [^>]*?href="([^"]*)"', html)]


def chapter(book, path: str):
    return next(c for c in book.chapters if c.path == path)


# --------------------------------------------------------------------------- 1. chapter ids

def test_ids_come_from_whole_paths_and_never_take_the_builders_names(tmp_path):
    names = ["README.md", "cli/README.md", "format/README.md", "contributors.md", "index.md",
             "title-page.md", "nav.md", "chapters/مقدمه.md", "01 intro.md", "a_b.md", "a b.md"]
    book = load(make(tmp_path, {n: f"# {n}\n\nText.\n" for n in names}))
    ids = [c.id for c in book.chapters]
    assert len(set(ids)) == len(names)
    assert ids[1:3] == ["cli.README", "format.README"]
    assert "chapters.مقدمه" in ids
    assert not any(clashing_id(i) or i in GENERATED_IDS or "--" in i for i in ids)
    assert all(re.fullmatch(r"[^\W\d][\w.-]*", i) for i in ids)  # XML names


# --------------------------------------------------------------------------- 2. mdBook links

def test_mdbook_links_resolve_to_chapters_and_headings(tmp_path):
    book = load(make(tmp_path, {
        "src/README.md": "# Intro\n\nSee [b](b.html#send), [the index](index.html), "
                         "[install](b.md#installation), [op](b.md#-operator), "
                         "[zh](b.md#%E4%BD%BF%E7%94%A8--%E8%BF%90%E7%AE%97%E7%AC%A6), "
                         "[opts](b.md#options), [c1](b.md#c1), [old](b.md#legacy), "
                         "[dup](b.md#send-1).[^1]\n\n[^1]: In [b](b.md#send).\n",
        "src/b.md": "## Installation\n\n## Send\n\n## `?` operator\n\n## 使用 + 运算符\n\n"
                    "## Options {#options}\n\n### Constraints <a name=\"c1\"></a>\n\n"
                    "<a id=\"legacy\"></a>\n\n## Send\n",
    }))
    intro, b = book.chapters
    assert [h.id.split("--", 1)[1] for h in b.headings] == [
        "send", "-operator", "使用--运算符", "options", "constraints-", "send-1"]
    expected = ["#src.b--send", "#src.README", "#src.b", "#src.b---operator",
                "#src.b--使用--运算符", "#src.b--options", "#src.b--c1", "#src.b--legacy",
                "#src.b--send-1"]
    assert hrefs(intro.body)[:len(expected)] == expected
    assert hrefs(intro.footnotes[0].html) == ["#src.b--send"]  # another chapter's, not #b
    assert 'id="src.b--c1"' in b.body and 'id="src.b--legacy"' in b.body
    assert not book.warnings


def test_a_non_ascii_link_keeps_its_file_in_the_epub(tmp_path):
    """RSC-012 before: the EPUB lost the file of a cross-chapter link written in Chinese,
    and of a footnote's link to another chapter."""
    root = make(tmp_path / "zh", {
        "chapters/甲.md": "# 甲\n\n见[安装](乙.md#安装)。[^1]\n\n"
                          "[^1]: 见[乙](乙.md#使用--运算符)。\n",
        "chapters/乙.md": "# 乙\n\n## 安装\n\n正文。\n\n## 使用 + 运算符\n\n正文。\n",
        "contributors.md": "# Contributors (the author's file)\n\nText.\n",
    }, language="zh-CN")
    out = tmp_path / "out"
    result = cli(["build", str(root), "--out", str(out), "--format", "epub", "--quiet"])
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / "repro.epub") as epub:
        first = unquote(epub.read("EPUB/chapters.甲.xhtml").decode())
    assert 'href="chapters.乙.xhtml#chapters.乙--安装"' in first
    assert 'href="chapters.乙.xhtml#chapters.乙--使用--运算符"' in first
    report = EpubCheckRun({"zh": out / "repro.epub"}, tmp_path / "check").reports()["zh"]
    counts, messages = epubcheck_summary(report)
    assert counts == (0, 0, 0), messages


# --------------------------------------------------------------------------- 3. leaving links

LEAVING = ("# A\n\nSee [lic](../LICENSE-MIT), [std](../std/index.html), [about](/about/) "
           "and [x](x.md).\n")


def test_links_that_leave_the_book_warn_and_print_as_text(tmp_path):
    book = load(make(tmp_path, {"src/a.md": LEAVING, "src/x.md": "# X\n"}, ["src/a.md"]))
    assert hrefs(book.chapters[0].body) == []
    assert "See lic, std, about and x." in book.chapters[0].body
    assert [(w.path, w.line, w.rule) for w in book.warnings] == [
        ("src/a.md", 3, "link-outside-book")] * 4
    assert "'src/x.md', which is not in 'chapters'" in book.warnings[3].message


def test_links_that_leave_the_book_become_absolute_under_links_base(tmp_path):
    book = load(make(tmp_path, {"src/a.md": LEAVING, "src/x.md": "# X\n"}, ["src/a.md"],
                     extra='[links]\nbase = "https://doc.rust-lang.org/book/"\n'))
    assert hrefs(book.chapters[0].body) == [
        "https://doc.rust-lang.org/LICENSE-MIT", "https://doc.rust-lang.org/std/index.html",
        "https://doc.rust-lang.org/about/", "https://doc.rust-lang.org/book/x.md"]
    assert not book.warnings


def test_a_link_to_a_md_file_that_does_not_exist_is_a_typo(tmp_path):
    with pytest.raises(BookError) as raised:
        load(make(tmp_path, {"src/a.md": "# A\n\n[b](bb.md)\n", "src/b.md": "# B\n"}))
    [problem] = raised.value.problems
    assert problem.rule == "link-chapter-missing" and "did you mean 'src/b.md'" in problem.hint


def test_links_base_must_be_an_http_url(tmp_path):
    root = make(tmp_path, {"a.md": "# A\n"}, extra='[links]\nbase = "doc.rust-lang.org"\n')
    with pytest.raises(BookError) as raised:
        load(root)
    assert raised.value.problems[0].rule == "manifest-bad-value"


# --------------------------------------------------------------------------- 4. stale anchors

def test_a_stale_anchor_warns_falls_back_and_fails_strict(tmp_path):
    root = make(tmp_path, {"a.md": "# A\n\nSee [old](b.md#old-name).\n",
                           "b.md": "# B\n\n## New name\n"})
    book = load(root)
    assert hrefs(book.chapters[0].body) == ["#b"]
    assert [str(w) for w in book.warnings] == [
        "a.md:3: link 'b.md#old-name': no heading '#old-name' in b.md (did you mean 'new-name'?)"]
    out = tmp_path / "out"
    built = cli(["build", str(root), "--out", str(out), "--format", "html", "--quiet"])
    assert built.returncode == 0 and "a.md:3: link 'b.md#old-name'" in built.stderr
    strict = cli(["build", str(root), "--out", str(out), "--format", "html", "--strict",
                  "--clean", "--quiet"])
    assert strict.returncode == 3
    check = cli(["check", str(root)])
    assert check.returncode == 0
    assert "a.md:3:11: warning: link 'b.md#old-name'" in check.stdout


# --------------------------------------------------------------------------- 5. mdBook syntax

LISTING = """use std::io;
// ANCHOR: here
fn main() {
    // ANCHOR: inner
    let x = 1;
    // ANCHOR_END: inner
}
// ANCHOR_END: here
"""


def test_includes_ranges_anchors_rustdoc_and_title(tmp_path):
    book = load(make(tmp_path, {
        "listings/main.rs": LISTING,
        "src/head.md": "# Included title\n",
        "src/a.md": "{{#include head.md}}\n\n"
                    "```rust\n{{#include ../listings/main.rs:here}}\n```\n\n"
                    "```text\n{{#include ../listings/main.rs:2:3}}\n```\n\n"
                    "```text\n{{#include ../listings/main.rs::1}}\n```\n\n"
                    "```text\n{{#include ../listings/main.rs:7:}}\n```\n\n"
                    "```rust\n{{#rustdoc_include ../listings/main.rs:inner}}\n```\n\n"
                    "Literal \\{{#include nothing.md}}.\n",
        "src/b.md": "{{#title Set by directive}}\n\nBody.\n",
    }, ["src/a.md", "src/b.md"]))
    a, b = book.chapters
    assert a.title == "Included title" and b.title == "Set by directive"
    blocks = re.findall(r"<pre><code[^>]*>(.*?)</code></pre>", a.body, re.S)
    assert blocks == ["fn main() {\n    let x = 1;\n}\n", "// ANCHOR: here\nfn main() {\n",
                      "use std::io;\n", "}\n// ANCHOR_END: here\n", "    let x = 1;\n"]
    assert "Literal {{#include nothing.md}}." in a.body


@pytest.mark.parametrize("directive, message", [
    ("{{#include missing.rs}}", "file 'src/missing.rs' does not exist"),
    ("{{#include ../../outside.rs}}", "'../../outside.rs' is outside the project"),
    ("{{#include ../listings/main.rs:nowhere}}", "no anchor 'nowhere' in listings/main.rs"),
])
def test_include_problems_are_located(tmp_path, directive, message):
    root = make(tmp_path / "p", {"listings/main.rs": LISTING,
                                 "src/a.md": f"# A\n\nText.\n\n{directive}\n"})
    with pytest.raises(BookError) as raised:
        load(root)
    [problem] = raised.value.problems
    assert (problem.path, problem.line, problem.rule) == ("src/a.md", 5, "include-missing")
    assert message in problem.message


def test_problems_after_an_include_keep_their_source_lines(tmp_path):
    root = make(tmp_path, {"listings/main.rs": LISTING,
                           "src/part.md": "Included.\n\n![](gone.png)\n",
                           "src/a.md": "# A\n\n```rust\n{{#include ../listings/main.rs}}\n```\n\n"
                                       "![](missing.png)\n\n{{#include part.md}}\n"},
                ["src/a.md"])
    with pytest.raises(BookError) as raised:
        load(root)
    assert {(p.path, p.line) for p in raised.value.problems} == {
        ("src/a.md", 7), ("src/part.md", 3)}


def test_hidden_rust_lines_are_dropped(tmp_path):
    book = load(make(tmp_path, {"a.md": "# A\n\n```rust,ignore\n# use std::io;\n#\nfn main() {}\n"
                                         "#[derive(Debug)]\n## not hidden\n```\n\n"
                                         "```python\n# a comment\n```\n"}))
    body = book.chapters[0].body
    assert "use std::io" not in body and "fn main() {}\n#[derive(Debug)]\n# not hidden" in body
    assert "# a comment" in body


# --------------------------------------------------------------------------- 6. import

SUMMARY = """# Summary

[Introduction](README.md)

# User guide

- [Installation](guide/installation.md)
    - [Nested](guide/nested%20file.md)
- [Draft]()

---

# Reference

- [CLI](cli/README.md)

[Contributors](misc/contributors.md)
"""


def test_import_mdbook_writes_a_project_that_builds(tmp_path):
    source = tmp_path / "mdbook"
    (source / "book").mkdir(parents=True)  # mdBook's output: not copied
    (source / "book" / "index.html").write_text("built", "utf-8")
    (source / "book.toml").write_text('[book]\ntitle = "Guide"\nauthors = ["Ann", "Bo"]\n'
                                      'language = "en"\ndescription = "A guide."\n', "utf-8")
    files = {"README.md": "# Intro\n\nSee [cli](cli/index.html).\n",
             "guide/installation.md": "# Installation\n", "guide/nested file.md": "# Nested\n",
             "cli/README.md": "# CLI\n", "misc/contributors.md": "# Contributors\n",
             "SUMMARY.md": SUMMARY}
    for name, text in files.items():
        (source / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        (source / "src" / name).write_text(text, "utf-8")
    dest = tmp_path / "project"
    result = cli(["import", "mdbook", str(source), str(dest)])
    assert result.returncode == 0, result.stderr
    assert "imported 5 chapters" in result.stdout and "1 draft" in result.stdout
    manifest = (dest / "book.toml").read_text("utf-8")
    assert re.findall(r'^  (.*)$', manifest, re.M) == [
        '"src/README.md",', "# Part: User guide", '"src/guide/installation.md",',
        '"src/guide/nested file.md",', "# Part: Reference", '"src/cli/README.md",',
        '"src/misc/contributors.md",']
    assert (dest / "src" / "guide" / "nested file.md").read_text("utf-8") == "# Nested\n"
    assert not (dest / "book").exists()
    book = load(dest)
    assert book.meta.title == "Guide" and book.meta.description == "A guide."
    assert [c.name for c in book.meta.authors] == ["Ann", "Bo"]
    assert hrefs(book.chapters[0].body) == ["#src.cli.README"]
    again = cli(["import", "mdbook", str(source), str(dest)])
    assert again.returncode == 2 and "not empty" in again.stderr


def test_import_copies_in_what_includes_name_outside_the_mdbook_folder(tmp_path):
    # mdBook's own guide lives in guide/ and includes ../../../examples/*.rs of its repository
    repo = tmp_path / "repo"
    source = repo / "guide"
    (repo / "examples").mkdir(parents=True)
    (repo / "examples" / "nop.rs").write_text(
        "fn main() {}\n// {{#include shared.rs}}\n", "utf-8")
    (repo / "examples" / "shared.rs").write_text("// ANCHOR: all\nfn shared() {}\n"
                                                 "// ANCHOR_END: all\n", "utf-8")
    (repo / "LICENSE").write_text("MPL-2.0\n", "utf-8")
    (repo / "secret.txt").write_text("not named by any include\n", "utf-8")
    (source / "src" / "dev").mkdir(parents=True)
    (source / "book.toml").write_text('[book]\ntitle = "Guide"\n', "utf-8")
    (source / "src" / "SUMMARY.md").write_text("- [Dev](dev/pre.md)\n", "utf-8")
    (source / "src" / "dev" / "pre.md").write_text(
        "# Preprocessors\n\n```rust\n{{#include ../../../examples/nop.rs}}\n```\n", "utf-8")
    dest = tmp_path / "project"
    result = cli(["import", "mdbook", str(source), str(dest)])
    assert result.returncode == 0, result.stderr
    assert "2 files its includes name outside guide/ copied in" in result.stdout
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "LICENSE", "book.toml", "examples/nop.rs", "examples/shared.rs",
        "guide/src/SUMMARY.md", "guide/src/dev/pre.md"]
    assert (dest / "guide/src/dev/pre.md").read_bytes() == (
        source / "src/dev/pre.md").read_bytes()  # the Markdown as it was
    assert '"guide/src/dev/pre.md",' in (dest / "book.toml").read_text("utf-8")
    built = cli(["build", str(dest), "--out", str(tmp_path / "out"), "--format", "html",
                 "--quiet"])
    assert built.returncode == 0, built.stderr
    page = next((tmp_path / "out").rglob("*pre.html")).read_text("utf-8")
    text = re.sub(r"<[^>]+>", "", page)  # the listing is highlighted
    assert "fn main() {}" in text and "fn shared() {}" in text


# --------------------------------------------------------------------------- 7. one run

def test_check_reports_every_problem_in_one_run(tmp_path):
    root = make(tmp_path, {
        "a.md": "# A\n\nSee [photo](photo:nowhere).\n\n![](missing.png)\n\n![](bad.svg)\n\n"
                + "\"q\" " * 6 + "\n",
        "b.md": "No title here.\n",
        "bad.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
    })
    result = cli(["check", str(root)])
    assert result.returncode == 2
    rules = re.findall(r"\[([a-z-]+)\]$", result.stdout, re.M)
    assert {"link-photo-unplaced", "image-missing", "image-unsafe-svg",
            "chapter-no-title"} <= set(rules)
    assert rules.count("typo-straight-quote") == 4  # three shown, then the summary
    assert "…and 9 more typo-straight-quote in this file" in result.stdout
    as_json = cli(["check", str(root), "--format", "json"])
    assert as_json.stdout.count('"typo-straight-quote"') == 12


# --------------------------------------------------------------------------- real books

REAL_MDBOOKS = ("trpl", "mdbook-guide")


@pytest.fixture(scope="module")
def real_mdbooks(tmp_path_factory) -> tuple[dict[str, tuple[Path, int, str]], EpubCheckRun]:
    """Each real book built whole (output folder, exit code, stderr), both at once, then
    EPUBCheck on their EPUBs in one JVM."""
    base = tmp_path_factory.mktemp("real-mdbooks")
    procs = {name: cli(["build", str(BOOKS / name), "--out", str(base / name), "--quiet"],
                       wait=False) for name in REAL_MDBOOKS}
    built = {}
    for name, proc in procs.items():
        _, stderr = proc.communicate(timeout=600)
        built[name] = (base / name, proc.returncode, stderr)
    epubs = {name: epub for name, (out, _, _) in built.items() for epub in out.glob("*.epub")}
    return built, EpubCheckRun(epubs, base / "check")


@pytest.mark.parametrize("name", REAL_MDBOOKS)
def test_real_mdbook_books_build_unchanged_with_a_valid_epub(real_mdbooks, name):
    out, code, stderr = real_mdbooks[0][name]
    assert code == 0, stderr
    assert "error" not in stderr
    assert next(out.glob("*.epub"))
    assert next(out.glob("*.pdf")).stat().st_size > 0
    report = real_mdbooks[1].reports()[name]
    counts, messages = epubcheck_summary(report)
    assert counts == (0, 0, 0), messages


TRPL_DOLLARS = ("Installed into *$HOME/.cargo/bin*. Ensure that\n"
                "this directory is in your `$PATH` to run them.\n")


def test_markdown_math_false_keeps_dollars_as_text(tmp_path):
    """TRPL's ch14-04 as mdBook prints it: with math on, the dollar before HOME and the one
    in the code span `$PATH` made a formula of the text between them."""
    files = {"a.md": "# A\n\n" + TRPL_DOLLARS}
    on = chapter(load(make(tmp_path / "on", files)), "a.md").body
    off = chapter(load(make(tmp_path / "off", files, extra="[markdown]\nmath = false\n")),
                  "a.md").body
    assert "math-tex" in on
    assert "math-tex" not in off
    assert "<em>$HOME/.cargo/bin</em>" in off and "<code>$PATH</code>" in off


@pytest.mark.parametrize("preprocessor, math", [("", False), ("[preprocessor.katex]\n", True),
                                                ("[output.html]\nmathjax-support = true\n",
                                                 False)])
def test_import_reads_dollars_as_math_only_with_katex(tmp_path, preprocessor, math):
    source = tmp_path / "mdbook"
    (source / "src").mkdir(parents=True)
    (source / "book.toml").write_text('[book]\ntitle = "T"\n' + preprocessor, "utf-8")
    (source / "src" / "SUMMARY.md").write_text("- [A](a.md)\n", "utf-8")
    (source / "src" / "a.md").write_text("# A\n\n" + TRPL_DOLLARS + "\n$x^2$\n", "utf-8")
    dest = tmp_path / "project"
    assert cli(["import", "mdbook", str(source), str(dest)]).returncode == 0
    book = load(dest)
    assert book.meta.math is math
    assert ("math-tex" in book.chapters[0].body) is math


def test_a_large_book_reads_its_chapters_in_parallel_as_one_by_one(tmp_path):
    """From PARALLEL_FROM characters a build parses its chapters in forked processes; the
    chapters and every problem, located through the includes, are those of a preview,
    which reads them one by one (its memo)."""
    from book.background import PARALLEL_FROM

    text = "Words of a paragraph that runs on. " * 60 + "\n\n"
    files = {f"c{n:02d}.md": f"# Chapter {n}\n\n" + text * 4 for n in range(30)}
    files["c03.md"] += "{{#include listing.rs:2:3}}\n"
    files["listing.rs"] = "fn main() {\n    let x = 1;\n    $y$\n}\n"
    files["c07.md"] += "[^lost]: a note nothing calls.\n"
    files["c11.md"] += "{{#include missing.rs}}\n"
    root = make(tmp_path / "large", files)
    assert sum(len(t) for name, t in files.items() if name.endswith(".md")) > PARALLEL_FROM
    failures = []
    for memo in (None, {}):
        with pytest.raises(BookError) as caught:
            load_book(root, edition_from_env(), memo)
        failures.append([(p.path, p.line, p.message) for p in caught.value.problems])
    assert failures[0] == failures[1]
    assert {path for path, _, _ in failures[0]} == {"c07.md", "c11.md"}
    del files["c07.md"], files["c11.md"]
    root = make(tmp_path / "clean", files)
    parallel, serial = load_book(root, edition_from_env()), load_book(root, edition_from_env(), {})
    assert parallel.chapters == serial.chapters and len(parallel.chapters) == 28
