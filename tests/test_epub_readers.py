"""The EPUB as reading systems show it: each XHTML part rendered in Debian's Chromium at phone
size, as the book styles it and with the colours a reading system's night and sepia modes
apply over it (light text on dark, brown on cream). The book must set no text colour of its
own, keep every box readable, keep page-break markers invisible to the layout, and say
what its pages are (title page, colophon, credits, contributors) and what its titles are."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import sync_playwright

from conftest import NS
from helpers import CHROMIUM, CHROMIUM_ARGS

PHONE = {"width": 390, "height": 844}
# What a reading system's colour modes put over the book's CSS (Readium CSS, Apple Books and
# Kobo set the root's text and background colours this way).
MODES = {
    "night": ("rgb(230, 230, 230)", ":root, body { color: #e6e6e6 !important;"
              " background-color: #121212 !important; }"),
    "sepia": ("rgb(91, 70, 54)", ":root, body { color: #5b4636 !important;"
              " background-color: #f4ecd8 !important; }"),
}

# Each element that holds text, its computed colour, the first opaque background behind
# it, and whether it is large text (WCAG: 24px, or 18.66px bold).
TEXT_COLOURS = """() => {
  const opaque = (el) => {
    for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.body.querySelectorAll('*')].filter(el =>
      [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
      && el.getClientRects().length).map(el => {
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight) >= 700;
    return {tag: el.tagName, cls: el.className, text: el.textContent.trim().slice(0, 40),
            color: s.color, background: opaque(el), large: size >= 24 || (bold && size >= 18.66)};
  });
}"""


def rgb(value: str) -> tuple[float, ...]:
    return tuple(float(v) for v in value[value.index("(") + 1:-1].split(",")[:3])


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [c / 255 for c in rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def unpacked(explainer_build, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("epub")
    with zipfile.ZipFile(explainer_build.epub) as archive:
        archive.extractall(folder)
    return folder / "EPUB"


@pytest.fixture(scope="module")
def phone():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport=PHONE, device_scale_factor=2)
        try:
            yield context.new_page()
        finally:
            chromium.close()


def parts(unpacked: Path) -> list[Path]:
    return sorted(p for p in unpacked.glob("*.xhtml") if p.name not in ("nav.xhtml", "cover.xhtml"))


def with_key_figures(unpacked: Path) -> Path:
    return next(p for p in parts(unpacked) if 'class="key-figures"' in p.read_text("utf-8"))


@pytest.mark.parametrize("mode", ["night", "sepia"])
def test_reading_system_colours_reach_every_text(phone, unpacked, mode, tmp_path):
    """Under a colour mode every text takes the reader's colour (the book sets none) and
    stands out from what is behind it; the key-figures box is shot for a look."""
    colour, css = MODES[mode]
    for part in parts(unpacked):
        phone.goto(part.as_uri())
        phone.add_style_tag(content=css)
        for item in phone.evaluate(TEXT_COLOURS):
            assert item["color"] == colour, (part.name, item)
            ratio = contrast(item["color"], item["background"])
            assert ratio >= (3 if item["large"] else 4.5), (part.name, item, ratio)
    phone.goto(with_key_figures(unpacked).as_uri())
    phone.add_style_tag(content=css)
    box = phone.locator("aside.key-figures").first
    box.scroll_into_view_if_needed()
    box.screenshot(path=str(tmp_path / f"key-figures-{mode}.png"))
    assert phone.evaluate("""() => getComputedStyle(
        document.querySelector('aside.key-figures dl')).display""") != "grid"


def test_the_book_sets_no_text_colour(phone, unpacked):
    """Without a colour mode, text is in the reading system's own default colour."""
    for part in parts(unpacked):
        phone.goto(part.as_uri())
        default = phone.evaluate("getComputedStyle(document.documentElement).color")
        assert default == "rgb(0, 0, 0)"  # Chromium's CanvasText: the book sets none
        for item in phone.evaluate(TEXT_COLOURS):
            assert item["color"] == default, (part.name, item)


def test_headings_stay_with_the_text_and_figures_with_captions(phone, unpacked):
    phone.goto(next(p for p in parts(unpacked) if "<figure" in p.read_text("utf-8")).as_uri())
    styles = phone.evaluate("""() => ({
        headings: [...document.querySelectorAll('h1, h2, h3')].map(
            h => getComputedStyle(h).breakAfter),
        figures: [...document.querySelectorAll('figure')].map(
            f => getComputedStyle(f).breakInside),
        captions: [...document.querySelectorAll('figcaption')].map(
            c => getComputedStyle(c).breakBefore)})""")
    assert styles["headings"] and set(styles["headings"]) == {"avoid"}
    assert styles["figures"] and set(styles["figures"]) == {"avoid"}
    assert set(styles["captions"]) == {"avoid"}


def test_page_break_markers_change_no_indent_or_spacing(phone, unpacked):
    """A print page that starts with a paragraph puts its marker between two paragraphs (two
    markers where a blank verso shares the place): the second paragraph keeps the indent of
    any paragraph that follows another, and nothing moves."""
    part = with_key_figures(unpacked)
    phone.goto(part.as_uri())
    marker = part.read_text("utf-8").split('<span id="page-', 1)
    assert len(marker) == 2, "the explainer's EPUB has page-break markers"
    for count in (1, 2):
        phone.reload()
        found = phone.evaluate("""count => {
            const p = [...document.querySelectorAll('section > p + p')][0];
            const before = [getComputedStyle(p).textIndent, p.getBoundingClientRect().top];
            const mark = document.querySelector('[role="doc-pagebreak"]');
            for (let i = 0; i < count; i++) p.before(mark.cloneNode(true));
            return [before, [getComputedStyle(p).textIndent, p.getBoundingClientRect().top]];
        }""", count)
        (indent, top), (indent_after, top_after) = found
        assert indent != "0px" and indent_after == indent, (count, found)
        assert abs(top_after - top) < 0.5, (count, found)


def test_navigation_shows_contents_without_numbers_or_guide(phone, unpacked):
    nav = etree.parse(str(unpacked / "nav.xhtml"))
    types = {n.get(f"{{{NS['epub']}}}type"): n for n in nav.iterfind(".//xhtml:nav", NS)}
    assert types["landmarks"].get("hidden") is not None
    assert types["toc"].get("hidden") is None
    phone.goto((unpacked / "nav.xhtml").as_uri())
    assert not phone.is_visible("nav[hidden]")
    styles = phone.evaluate("""() => [...document.querySelectorAll('nav:not([hidden]) li')]
        .map(li => getComputedStyle(li).listStyleType)""")
    assert styles and set(styles) == {"none"}


def test_titles_and_matter_pages_say_what_they_are(explainer_build, unpacked):
    import tomllib

    meta = tomllib.loads((explainer_build.project / "book.toml").read_text("utf-8"))
    opf = etree.parse(str(unpacked / "content.opf"))
    titles = {t.text: t.get("id") for t in opf.iterfind(".//dc:title", NS)}
    kinds = {m.get("refines"): m.text for m in opf.iterfind(".//opf:meta[@property='title-type']",
                                                          NS)}
    assert kinds[f"#{titles[meta['title']]}"] == "main"
    assert kinds[f"#{titles[meta['subtitle']]}"] == "subtitle"
    wanted = {"title-page": "titlepage", "colophon": "colophon", "contributors": "contributors",
              "photo-credits": "credits"}
    for name, kind in wanted.items():
        page = etree.parse(str(unpacked / f"{name}.xhtml"))
        section = page.find(".//xhtml:body/xhtml:section", NS)
        assert section.get(f"{{{NS['epub']}}}type") == kind, name
