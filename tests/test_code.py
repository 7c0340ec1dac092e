"""Code blocks: Pygments highlighting by token class, a palette that meets WCAG AA on its
background in light and dark (so it stays legible in greyscale print too: WCAG contrast is a
ratio of luminances, which greyscale keeps), background and colour set together so a
reader's night mode never hides code, print lines cut to the column with a mark, and no
hyphenation inside code in any edition."""

from __future__ import annotations

import re

import pikepdf
import tinycss2

from book import fragments
from book.render import code
from book.render.theme import stylesheet
from conftest import PdfView, cli
from helpers import project_with

RUST = 'fn main() {\n    // a comment\n    let s = "text";\n}\n'


def _highlighted(source: str, language: str, wrap: bool = False):
    root = fragments.parse(f'<pre><code class="language-{language}">{source}</code></pre>')
    code.highlight(root, wrap=wrap)
    return root


def test_tokens_get_classes_and_the_text_is_kept():
    root = _highlighted(RUST, "rust,editable")  # mdBook's info words after the language
    classes = {span.get("class") for span in root.iter("span")}
    assert {"k", "c1", "s"} <= classes  # keyword, comment, string
    assert root.find("pre").get("class") == code.BLOCK_CLASS
    assert root.find("pre/code").text_content() == RUST


def test_unknown_language_stays_plain_on_screen():
    root = _highlighted("just words\n", "no-such-language")
    assert not list(root.iter("span"))
    assert root.find("pre").get("class") is None


def test_print_cuts_long_lines_with_a_mark():
    words = " ".join(f"word{n}" for n in range(60))
    source = f"let v = vec![{words}];\nshort();\n"
    root = _highlighted(source, "rust", wrap=True)
    block = root.find("pre/code")
    lines = block.text_content().split("\n")
    width = code.print_columns()
    assert all(len(line) <= width for line in lines), [len(line) for line in lines]
    marks = [span for span in block.iter("span") if span.get("class") == code.CONTINUED_CLASS]
    assert len(marks) == len(lines) - 3  # all but the first, short() and the final ''
    assert all(line.startswith(code.CONTINUED_MARK) for line in lines[1:-2])
    assert all(m.get("aria-hidden") == "true" for m in marks)
    rejoined = "".join(line.removeprefix(code.CONTINUED_MARK) for line in lines[:-2])
    assert rejoined == source.split("\n")[0]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _palettes(css: str) -> list[tuple[str, dict[str, str]]]:
    """(background, {selector: colour}) for the top level and each @media block."""
    def collect(rules) -> tuple[str, dict[str, str]]:
        background, colours = "", {}
        for rule in rules:
            if rule.type != "qualified-rule":
                continue
            selector = tinycss2.serialize(rule.prelude).strip()
            if not selector.startswith(f"pre.{code.BLOCK_CLASS}"):
                continue
            body = tinycss2.serialize(rule.content)
            found = dict(re.findall(r"([\w-]+):\s*(#[0-9a-f]{6})", body))
            if selector == f"pre.{code.BLOCK_CLASS}":
                assert "background" in found and "color" in found, body  # both, always
                background = found["background"]
            if "color" in found:
                colours[selector] = found["color"]
        return background, colours

    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    palettes = [collect(rules)]
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword == "media":
            palettes.append(collect(tinycss2.parse_rule_list(rule.content, True, True)))
    return palettes


def test_palettes_meet_wcag_aa_on_their_backgrounds():
    for edition, count in (("print", 1), ("epub", 2), ("web", 2)):
        palettes = _palettes(code.stylesheet(edition))
        assert len(palettes) == count, edition  # light; and dark on screen
        for background, colours in palettes:
            assert len(colours) > 10
            weak = {s: c for s, c in colours.items() if _contrast(c, background) < 4.5}
            assert not weak, f"{edition}: below 4.5:1 on {background}: {weak}"


def test_code_is_never_hyphenated_in_any_edition():
    for edition in ("print", "epub", "web"):
        rules = tinycss2.parse_stylesheet(stylesheet(edition, None), True, True)
        for element in ("code", "pre", "kbd", "samp"):
            setting = [tinycss2.serialize(r.content) for r in rules
                       if r.type == "qualified-rule" and element in
                       [s.strip() for s in tinycss2.serialize(r.prelude).split(",")]
                       and "hyphens" in tinycss2.serialize(r.content)]
            assert setting and "manual" in setting[-1], (edition, element)


def test_print_edition_highlights_and_keeps_code_whole(tmp_path):
    """Built for real: inline code in a narrow justified paragraph is never split with a
    hyphen, a long code line is cut with the mark, and the block's tokens are coloured."""
    names = ["Option::take_while_the_value_is_present", "HashMap::entry_or_insert_with"]
    text = ("# Code\n\n" + " ".join(f"Call `{n}` here, then again." for n in names * 6)
            + "\n\n```rust\nfn main() { let total = first_value + second_value + third_value"
            " + fourth_value + fifth_value; }\n```\n")
    project = project_with(tmp_path, {"chapters/code.md": text}, ["chapters/code.md"])
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "pdf",
                  "--quiet"])
    assert result.returncode == 0, result.stderr
    pdf = PdfView(next((tmp_path / "out").glob("*.pdf")))
    lines = [line for page in pdf.texts for line in page.splitlines()]
    for name in names:
        for cut in range(2, len(name) - 1):
            assert not any(line.rstrip().endswith(name[:cut] + "-") for line in lines), name
    assert any(line.lstrip().startswith(code.CONTINUED_MARK) for line in lines)
    colours = {tuple(float(v) for v in operands)
               for page in pdf.pike.pages
               for operands, operator in pikepdf.parse_content_stream(page)
               if str(operator) == "rg"}
    assert len(colours) >= 4  # text, keyword, operator and the block's fill at least
