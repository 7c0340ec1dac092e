"""Limits (README, "Limits"): past each one a located error and exit 2, below it nothing
lost and nothing slow; every regex over user text finishes on adversarial input in time."""

from __future__ import annotations

import time

import pytest
from limits_support import build, project, web_text

from book.lint import typography
from book.source import changelog, limits, tomlfile
from book.source.load import svg_problem

H = "# One\n\nstart\n\n"


def _nested_list(depth: int) -> str:
    return "".join("  " * i + f"- item{i}\n" for i in range(depth)) + "\nafterwards\n"


def test_list_nested_at_the_limit_keeps_every_item(tmp_path):
    code, stderr = build(project(tmp_path, H + _nested_list(limits.MAX_NESTING)), "html")
    assert code == 0, stderr
    text = web_text(tmp_path)
    assert f"item{limits.MAX_NESTING - 1}" in text and "afterwards" in text


@pytest.mark.parametrize("chapter, message", [
    (H + _nested_list(limits.MAX_NESTING + 1), "lists and quotes nested 13 deep; at most 12"),
    (H + "> " * 20 + "inner\n\nafter\n", "lists and quotes nested 13 deep; at most 12"),
    (H + "<div>" * 150 + "\n\ntext\n\n" + "</div>" * 150 + "\n",
     "raw HTML elements nested 150 deep"),
    (H + "a " + "<span>" * 400 + "deep" + "</span>" * 400 + "\n",
     "raw HTML elements nested 33 deep"),
])
def test_nesting_past_the_limit_is_a_located_error(tmp_path, chapter, message):
    code, stderr = build(project(tmp_path, chapter), "html")
    assert code == 2 and stderr.startswith("error: chapters/one.md:"), stderr
    assert message in stderr and "Traceback" not in stderr


def test_footnotes_past_the_limit(tmp_path):
    n = limits.MAX_FOOTNOTES + 1
    chapter = H + " ".join(f"w{i}[^{i}]" for i in range(n)) + "\n\n" + "".join(
        f"[^{i}]: note {i}\n" for i in range(n))
    started = time.monotonic()
    code, stderr = build(project(tmp_path, chapter), "html")
    assert code == 2 and f"has {n:,} footnotes; at most" in stderr, stderr
    assert time.monotonic() - started < 30


def test_unreferenced_footnote_is_refused_not_dropped(tmp_path):
    chapter = H + "<div>\n\nx\n\n</div> [^a]\n\n[^a]: the note\n"
    code, stderr = build(project(tmp_path, chapter), "html")
    assert code == 2 and "chapters/one.md:11: footnote 'a' is never referred to" in stderr


def test_keywords_past_the_limit(tmp_path):
    keywords = ", ".join(f'"k{i}"' for i in range(200_000))
    code, stderr = build(project(tmp_path, H, extra=f"keywords = [{keywords}]\n"), "html")
    assert code == 2 and "book.toml:10: 200,000 keywords; at most 100" in stderr, stderr


def test_glossary_past_the_limit_and_fast_below(tmp_path):
    def glossary(n: int) -> str:
        return 'kind = "glossary"\ntitle = "Glossary"\n' + "".join(
            f'[[terms]]\nterm = "term{i}x"\ndefinition = "def {i}"\n' for i in range(n))
    over = project(tmp_path / "over", H, files={"chapters/g.toml": glossary(20_000),
                                                 "_chapters": ["chapters/g.toml"]})
    code, stderr = build(over, "html")
    assert code == 2 and "terms; at most 5,000" in stderr, stderr
    words = " ".join(f"term{i}x" for i in range(0, limits.MAX_GLOSSARY_TERMS, 5))
    under = project(tmp_path / "under", H + words + "\n", files={
        "chapters/g.toml": glossary(limits.MAX_GLOSSARY_TERMS), "_chapters": ["chapters/g.toml"]})
    started = time.monotonic()
    code, stderr = build(under, "html")
    assert code == 0, stderr
    assert time.monotonic() - started < 60


def _svg(levels: int, fan: int) -> bytes:
    body = '<g id="a0"><rect width="1" height="1"/></g>' + "".join(
        f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * fan + "</g>" for i in range(1, levels))
    return (f'<svg xmlns="http://www.w3.org/2000/svg">{body}<use href="#a{levels - 1}"/></svg>'
            ).encode()


@pytest.mark.parametrize("data", [
    _svg(10, 10),  # a billion rectangles from 1.8 KB
    _svg(3000, 1),  # a long chain
    b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/></g></svg>',  # a cycle
    b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g/>" * 60_000 + b"</svg>",
])
def test_svg_expansion_is_refused(data):
    started = time.monotonic()
    assert "more than 50,000 elements" in svg_problem(data)
    assert time.monotonic() - started < 2


def test_small_svg_with_use_is_fine():
    assert svg_problem(_svg(3, 3)) == ""


def test_svg_in_a_chapter_is_a_located_error(tmp_path):
    root = project(tmp_path, H + "![a](../assets/a.svg)\n", files={"assets/a.svg": _svg(10, 10)})
    code, stderr = build(root, "html")
    assert code == 2 and "chapters/one.md:5: SVG 'assets/a.svg' refused" in stderr, stderr


def test_huge_colspan_is_clamped_and_the_pdf_is_laid_out(tmp_path):
    chapter = H + '<table><tr><td colspan="1000000" rowspan="65534">cell</td></tr></table>\n'
    started = time.monotonic()
    code, stderr = build(project(tmp_path, chapter), "html", "pdf")
    assert code == 0, stderr
    assert time.monotonic() - started < 60
    page = (tmp_path / "dist/limits-web/chapters.one.html").read_text()
    assert 'colspan="100" rowspan="100"' in page


def test_chapter_size_limit(tmp_path):
    chapter = H + ("word " * 200 + "\n\n") * (limits.MAX_CHAPTER_BYTES // 1000)
    code, stderr = build(project(tmp_path, chapter), "html")
    assert code == 2 and "bytes; at most 4,194,304" in stderr, stderr


ADVERSARIAL = [s(100_000) for s in (
    lambda n: "[" + " " * n, lambda n: "[ " * (n // 2), lambda n: "](" + " " * n + "x",
    lambda n: "](" + "(" * n, lambda n: "`" * n, lambda n: "`a" * (n // 2),
    lambda n: "``a`" * (n // 4),
    lambda n: "<!--" * (n // 4), lambda n: "<script" * (n // 7), lambda n: "<a" + " " * n,
    lambda n: "&#" + "1" * n, lambda n: "[^" + "x" * n, lambda n: "http:" + "x" * n,
    lambda n: " " * n + "x", lambda n: "x" + " -" * (n // 2), lambda n: "." * n, lambda n: ". " * n,
    lambda n: '](x "' * (n // 5), lambda n: "<" + "a " * (n // 2), lambda n: "1" * n + " - ",
)]
RULES = {
    **{f"typography mask {i}": f for i, f in enumerate(typography._MASKS)},
    "typography raw text": typography._raw_text,
    **{f"typography {rule} {p.pattern}": p.finditer for rule, p, _, _ in typography._SIMPLE},
    "toml header": tomlfile._HEADER.match, "toml key": tomlfile._KEY.match,
    "changelog heading": changelog._VERSION.match,
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_is_linear_on_adversarial_text(name):
    rule = RULES[name]
    for text in ADVERSARIAL:
        started = time.monotonic()
        result = rule(text)
        if (result is not None and not isinstance(result, (str, bool))
                and hasattr(result, "__iter__")):
            for _ in result:
                pass
        elapsed = time.monotonic() - started
        assert elapsed < 1, f"{name} took {elapsed:.1f} s on {text[:12]!r}…"


def test_book_check_on_a_link_target_of_spaces(tmp_path):
    for chapter in (H + "[x](" + " " * 32_000 + ")\n", H + "[x](" + " " * 32_000 + "x\n",
                    H + "[x](<" + " " * 32_000 + "x)\n"):
        started = time.monotonic()
        code, _ = build(project(tmp_path, chapter), command="check")
        assert code in (0, 1, 2, 3)
        assert time.monotonic() - started < 10


def test_toml_bracket_run_does_not_hang(tmp_path):
    extra = 'subtitle = """\n[' + " " * 50_000 + '\n"""\n'
    started = time.monotonic()
    code, stderr = build(project(tmp_path, H, extra=extra), "html")
    assert code == 0, stderr
    assert time.monotonic() - started < 30
