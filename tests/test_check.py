"""`book check`: each fixture under tests/fixtures/check/ is the clean `base` project with one
mistake (its files overlay the base); the command's output must equal the fixture's
expected.txt line for line, and errors must be exactly the problems `book build` reports."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from book.cli.main import main
from book.lint.rules import ERROR, RULES
from conftest import REPO, cli

FIXTURES = Path(__file__).parent / "fixtures" / "check"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "base")
LINE = re.compile(r"^(?P<where>[^:]+:\d+):\d+: (?P<severity>error|warning): "
                  r"(?P<message>.*) \[(?P<rule>[a-z0-9-]+)\]$")


def project(tmp_path: Path, case: str) -> Path:
    """The base project with the case's files laid over it."""
    folder = tmp_path / "project"
    shutil.copytree(FIXTURES / "base", folder)
    shutil.copytree(FIXTURES / case, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("expected.txt"))
    return folder


def run(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def expected(case: str) -> list[str]:
    return (FIXTURES / case / "expected.txt").read_text("utf-8").splitlines()


def test_base_project_is_clean(capsys):
    """Code spans and blocks, URLs, raw HTML attributes and front matter in the base hold
    straight quotes, '--' and '...' on purpose: none of them may be reported."""
    code, lines, err = run(capsys, "check", "--strict", str(FIXTURES / "base"))
    assert (code, lines) == (0, [])
    assert err.strip() == "no problems in 4 files"


@pytest.mark.parametrize("case", CASES)
def test_fixture_output(case, tmp_path, capsys):
    code, lines, err = run(capsys, "check", str(project(tmp_path, case)))
    assert lines == expected(case)
    assert all(LINE.match(line) for line in lines), lines
    assert code == (2 if any(": error: " in line for line in lines) else 0), err
    assert "Traceback" not in err


def test_fixtures_cover_the_rules():
    """At least 20 rules, from every family the issue names, have a fixture of their own."""
    covered = {LINE.match(line)["rule"] for case in CASES for line in expected(case)}
    assert len(covered) >= 30, sorted(covered)
    for family in ("front-matter-", "photo-", "link-", "image-", "typo-", "heading-",
                   "manifest-", "contributor-", "check-"):
        assert any(rule.startswith(family) for rule in covered), family
    assert covered <= set(RULES)


ERROR_CASES = [case for case in CASES if any(": error: " in line for line in expected(case))
               and case != "check-config"]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_check_and_build_agree(case, tmp_path, capsys):
    """Every error check reports is one `book build` stops on, at the same place."""
    folder = project(tmp_path, case)
    code, _, err = run(capsys, "build", str(folder), "--out", str(tmp_path / "out"),
                       "--format", "html", "--quiet")
    assert code == 2, err
    # check prints line 1 where the build names no line
    built = {re.sub(r"^([^:]+): ", r"\1:1: ", line.removeprefix("error: "))
             for line in err.splitlines()}
    checked = set()
    for line in expected(case):
        found = LINE.match(line)
        if found["severity"] == "error":
            checked.add(f"{found['where']}: {found['message']}")
    assert checked == built


def test_warnings_fail_only_with_strict(tmp_path, capsys):
    folder = project(tmp_path, "typo-ellipsis")
    assert run(capsys, "check", str(folder))[0] == 0
    code, lines, err = run(capsys, "check", "--strict", str(folder))
    assert code == 3 and lines == expected("typo-ellipsis")
    assert err.strip() == "0 errors, 1 warning in 1 file (4 checked)"


def test_json_format(tmp_path, capsys):
    code, lines, _ = run(capsys, "check", "--format", "json",
                         str(project(tmp_path, "photo-unknown")))
    report = json.loads("\n".join(lines))
    assert code == 2
    assert (report["errors"], report["warnings"]) == (2, 1)
    assert report["files"] == ["book.toml", "assets/photos.toml", "chapters/one.md",
                               "chapters/two.md"]
    assert report["findings"][2] == {
        "path": "chapters/one.md", "line": 15, "col": 11, "severity": "error",
        "message": "photo 'pol' is not in assets/photos.toml (did you mean 'pool'?)",
        "rule": "photo-unknown"}


def test_all_problems_at_once(tmp_path, capsys):
    """Mistakes in several files and families come out together, sorted by file and line."""
    folder = project(tmp_path, "typo-ellipsis")
    for case in ("front-matter-unknown-key", "photo-unused"):
        shutil.copytree(FIXTURES / case, folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("expected.txt"))
    _, lines, _ = run(capsys, "check", str(folder))
    assert lines == sorted(expected("photo-unused") + expected("front-matter-unknown-key")
                           + expected("typo-ellipsis"))


def test_the_explainer_passes_strict():
    result = cli(["check", "--strict", str(REPO)])
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
    assert result.stderr.startswith("no problems in ")


def test_not_a_project(tmp_path):
    result = cli(["check", str(tmp_path)])
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path.resolve() / 'book.toml'}: no book.toml here")
    assert "Traceback" not in result.stderr


def rule_names(node: ast.expr) -> set[str]:
    """Rule ids an expression can give: constants, both arms of `a if c else b`, and each
    catalogued id an f-string such as f"photo-missing-{key}" can start."""
    if isinstance(node, ast.IfExp):
        return rule_names(node.body) | rule_names(node.orelse)
    if isinstance(node, ast.JoinedStr):
        prefix = node.values[0].value
        return {rule for rule in RULES if rule.startswith(prefix)} or {prefix}
    return {node.value} if isinstance(node, ast.Constant) else {ast.unparse(node)}


def test_every_rule_the_builder_tags_is_catalogued():
    """Each `rule=` the builder attaches to a problem names an error rule of book/lint/rules.py."""
    tagged = set()
    for path in (REPO / "book").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "rule":
                tagged |= rule_names(node.value)
    assert len(tagged) > 30 and tagged <= set(RULES), sorted(tagged - set(RULES))
    assert {rule for rule in tagged if RULES[rule].severity != ERROR} == set()


def test_print_geometry_matches_the_theme():
    """lint/photos.py sizes photos from the print theme's page and photo height."""
    from book.render.theme import COLUMN_MM, MAX_HEIGHT_MM

    css = (REPO / "book" / "render" / "theme" / "print.css").read_text("utf-8")
    page = re.search(r"@page \{\s*size: A5;\s*margin: (\d+)mm (\d+)mm (\d+)mm (\d+)mm;", css)
    assert page, "print.css no longer opens with an A5 @page and four margins"
    assert 148 - int(page[2]) - int(page[4]) == COLUMN_MM
    assert re.search(rf"figure\.photo img \{{[^}}]*max-height: {MAX_HEIGHT_MM:g}mm", css)


TRICKY = """\
---
title: "Quotes" -- here...
---

-   A list item\x20\x20
    with a hard break, and `code "x" -- ...`.
1.  Ordered, then [a link](http://example.com/a--b "it's") and <http://x.y/--...>.

> A quote with a  double space and a <span title='a "b"'>tag</span>.

<!-- a comment -- with "quotes" -->
<div class="note">Raw "text" is prose.</div>

```key-figures By the numbers
3 -- 4 | things
```

Text[^a--b] and \\"escaped\\" quotes, 1990--91 and &quot;entities&quot;.

[^a--b]: A note...
"""


def test_typography_looks_at_prose_only():
    """List markers, hard breaks, code, link targets and titles, autolinks, tags and their
    attributes, comments, escapes, footnote labels and front matter are not prose; a
    key-figures box, a quotation, raw HTML text and footnotes are."""
    from book.lint.typography import check_typography

    found = sorted((p.line, p.col, p.rule) for p in check_typography("t.md", TRICKY))
    assert found == [
        (9, 17, "typo-double-space"),
        (12, 23, "typo-straight-quote"), (12, 28, "typo-straight-quote"),
        (15, 3, "typo-double-hyphen"),
        (18, 41, "typo-double-hyphen"),
        (20, 16, "typo-ellipsis"),
    ]
