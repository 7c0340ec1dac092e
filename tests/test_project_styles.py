"""The explainer's own look lives in its styles/ (README: styles/*.css, applied after the
theme in every edition), and the builder's theme stays neutral: the copper and parchment
of its timeline and key-figures box are read back from each edition it reaches, and the
theme's files do not hold them."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from conftest import EXPLAINER, REPO, cli

STYLES = EXPLAINER / "styles" / "explainer.css"
THEME = REPO / "book" / "render" / "theme"
PARCHMENT, COPPER, BROWN = "#f3efe7", "#b8743f", "#8a4f24"  # the explainer's palette


def fill_colours(pdf: Path) -> set[tuple[float, ...]]:
    """Every RGB fill colour (rg) a page of the PDF sets, rounded to 3 places."""
    found = set()
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            for operands, _ in pikepdf.parse_content_stream(page, "rg"):
                found.add(tuple(round(float(x), 3) for x in operands))
    return found


def rounded(colour: str) -> tuple[float, ...]:
    """A #rrggbb colour as the PDF's rg operands, rounded as fill_colours rounds them."""
    return tuple(round(int(colour[i:i + 2], 16) / 255, 3) for i in (1, 3, 5))


def test_the_theme_does_not_hold_the_explainers_palette():
    for sheet in THEME.glob("*.css"):
        text = sheet.read_text("utf-8").lower()
        assert not {PARCHMENT, COPPER, BROWN} & set(re.findall(r"#[0-9a-f]{6}", text)), sheet


def test_the_print_edition_takes_the_explainers_colours(explainer_build):
    colours = fill_colours(explainer_build.pdf)
    # The key-figures box's fill, the rule over it (a filled rectangle) and its title.
    assert {rounded(PARCHMENT), rounded(COPPER), rounded(BROWN)} <= colours
    assert rounded("#f2f2f2") not in colours  # the theme's neutral fill is overridden


def test_the_epub_carries_the_styles_after_the_theme(explainer_epub):
    css_names = [n for n in explainer_epub.names if n.endswith(".css")]
    assert len(css_names) == 1
    css = explainer_epub.zip.read(css_names[0]).decode("utf-8")
    own = STYLES.read_text("utf-8")
    assert own in css and css.index(own) > css.index("aside.key-figures {")
    # Reader-led: the print and web colours reach the EPUB only under @media print.
    assert "@media print" in own


def test_the_web_edition_takes_the_explainers_colours(tmp_path):
    out = tmp_path / "out"
    result = cli(["build", str(EXPLAINER), "--out", str(out), "--format", "html", "--quiet"])
    assert result.returncode == 0, result.stderr
    css = (out / "karabakh-2023-web" / "book.css").read_text("utf-8")
    own = STYLES.read_text("utf-8")
    assert own in css
    # The theme's custom properties are neutral; the explainer's come after them and win.
    theme_root = css.index("--panel: #f2f2f2")
    assert css.index(f"--panel: {PARCHMENT}", theme_root) > theme_root
