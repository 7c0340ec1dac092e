"""Timeline, glossary, key figures and the locator map (data-driven builder features), checked
against the source reporting and in every edition."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
from lxml import etree
from lxml import html as lxml_html

from conftest import EXPLAINER, REPO, normalize

SOURCE_DIR = REPO.parent / "shared" / "source"  # CI clones the repo beside shared/
TIMELINE = tomllib.loads((EXPLAINER / "chapters" / "timeline.toml").read_text("utf-8"))
GLOSSARY = tomllib.loads((EXPLAINER / "chapters" / "glossary.toml").read_text("utf-8"))
DATE_WORDS = re.compile(r"\b(\d{4}|January|February|March|April|May|June|July|August|September|"
                        r"October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|"
                        r"Saturday|Sunday)\b")


@pytest.fixture(scope="module")
def source() -> tuple[str, str]:
    """The source reporting and its README, which states the offensive's dates (19 and 20
    September 2023) that the text itself gives only as Tuesday and Wednesday."""
    text, readme = SOURCE_DIR / "explainer-source.txt", SOURCE_DIR / "README.md"
    assert text.is_file(), f"the source reporting is not at {text}"
    return text.read_text("utf-8"), readme.read_text("utf-8")


def test_timeline_runs_from_1923_to_the_ceasefire():
    dates = [event["date"] for event in TIMELINE["events"]]
    assert dates[0] == "1923"
    assert "September 20" in dates[-1] and "2023" in dates[-1]


@pytest.mark.parametrize("event", TIMELINE["events"], ids=lambda e: e["date"])
def test_every_timeline_date_is_one_the_source_gives(event, source):
    text, readme = source
    tokens = DATE_WORDS.findall(event["date"])
    assert tokens, f"no date in {event['date']!r}"
    missing = [t for t in tokens if t not in text and t not in readme]
    assert not missing, f"{event['date']!r}: {missing} not in the source reporting"
    for day in re.findall(r"\b(\d{1,2}),", event["date"]):
        assert f"{day} September 2023" in readme, day


def _key_figures() -> list[tuple[str, str]]:
    text = (EXPLAINER / "chapters" / "01-offensive.md").read_text("utf-8")
    block = re.search(r"```key-figures[^\n]*\n(.*?)```", text, re.S)
    assert block, "the opening chapter has no key-figures block"
    return [tuple(part.strip() for part in line.split("|", 1))
            for line in block.group(1).splitlines() if line.strip()]


def test_every_key_figure_appears_in_the_source(source):
    figures = _key_figures()
    assert len(figures) >= 5
    for value, label in figures:
        numbers = re.findall(r"\d[\d,]*|nine", value + " " + label)
        assert numbers, value
        for number in numbers:
            assert number in source[0], f"{number!r} ({value} | {label}) is not in the source"


def test_key_figures_box_is_printed(explainer_pdf):
    text = explainer_pdf.full_text
    assert normalize("By the numbers") in text
    for value, _ in _key_figures():
        assert normalize(value) in text, value


def _glossary_page(pdf) -> int:
    pages = pdf.pages_starting_with(GLOSSARY["title"])
    assert pages, "no page starts with the glossary title"
    return pages[0]


def test_glossary_has_the_required_terms():
    terms = {t["term"] for t in GLOSSARY["terms"]}
    for required in ("Artsakh", "Lachin corridor", "Stepanakert", "CSTO", "Rome Statute",
                     "Second Karabakh War", "peacekeepers"):
        assert required in terms


def test_pdf_glossary_page_numbers_point_at_pages_using_the_term(explainer_pdf):
    first = _glossary_page(explainer_pdf)
    text = "\n".join(explainer_pdf.texts[first:first + 3])
    checked = 0
    for term in GLOSSARY["terms"]:
        name = term["term"]
        forms = [name, *term.get("also", [])]
        match = re.search(r"(?m)^" + re.escape(name) + r"\s*$.*?Pages?\s+([\d,\s]+)\.", text, re.S)
        assert match, f"no page list after {name!r} on the glossary pages"
        for number in (int(n) for n in re.findall(r"\d+", match.group(1))):
            page_text = explainer_pdf.norm[number - 1]
            assert any(normalize(f) in page_text for f in forms), \
                f"{name!r} listed on page {number}, which does not contain it"
            checked += 1
    assert checked >= len(GLOSSARY["terms"])


def test_pdf_glossary_links_land_on_the_glossary(explainer_pdf):
    glossary = _glossary_page(explainer_pdf)
    terms = {normalize(t["term"]) for t in GLOSSARY["terms"]}
    found = 0
    for page in range(glossary):
        for text, dest in explainer_pdf.link_annotations(page):
            if re.sub(r"\d+$", "", normalize(text)) in terms:
                target, _ = explainer_pdf.resolve_dest(dest)
                assert target in (glossary, glossary + 1), (text, page + 1, target + 1)
                found += 1
    assert found >= len(terms) - 1, found


def test_epub_glossary_links_resolve(explainer_epub):
    glossary_doc = next(n for n in explainer_epub.xhtml_names if n.endswith("glossary.xhtml"))
    ids = explainer_epub.ids(glossary_doc)
    links = 0
    for name in explainer_epub.chapter_docs():
        for link in explainer_epub.tree(name).xpath("//xhtml:a[@class='glossary-term']",
                                                   namespaces={"xhtml": "http://www.w3.org/1999/xhtml"}):
            path = explainer_epub.join(name, link.get("href"))
            fragment = link.get("href").partition("#")[2]
            assert path == glossary_doc and fragment in ids, link.get("href")
            links += 1
    assert links >= len(GLOSSARY["terms"])
    tree = explainer_epub.tree(glossary_doc)
    assert tree.xpath("//*[@*[local-name()='type']='glossary']"), "no epub:type=glossary section"


def test_web_glossary_links_resolve(explainer_build):
    """Every link between the web edition's pages lands on a page and an id in it (links
    to other files, such as the downloads, on a file in the site)."""
    site = explainer_build.web
    pages = {p.name: lxml_html.parse(str(p)).getroot() for p in site.glob("*.html")}
    ids = {name: {e.get("id") for e in root.iter() if e.get("id")} for name, root in pages.items()}
    linked = 0
    for name, root in pages.items():
        for link in root.iter("a"):
            href = link.get("href") or ""
            if not href or href.startswith(("http:", "https:", "mailto:")):
                continue
            path, _, fragment = href.partition("#")
            path = path or name
            if not path.endswith(".html"):
                assert (site / path).is_file() and not fragment, f"{name}: {href}"
                continue
            assert path in pages, f"{name}: {href}"
            assert not fragment or fragment in ids[path], f"{name}: {href}"
            if "glossary-term" in (link.get("class") or ""):
                assert link.get("title"), "a glossary link carries its definition on hover"
                linked += 1
    assert linked >= len(GLOSSARY["terms"])


def test_locator_map_is_placed_with_its_credit(explainer_pdf, explainer_epub):
    manifest = tomllib.loads((EXPLAINER / "assets" / "photos.toml").read_text("utf-8"))
    entry = manifest["locator-map"]
    assert entry["kind"] == "map" and "Natural Earth" in entry["credit"]
    assert normalize(entry["credit"]) in explainer_pdf.full_text
    assert normalize("Photo: " + entry["credit"]) not in explainer_pdf.full_text
    docs = " ".join(etree.tostring(explainer_epub.tree(n), encoding="unicode")
                    for n in explainer_epub.chapter_docs())
    assert entry["credit"].replace("&", "&amp;") in docs


def test_map_script_is_deterministic(tmp_path):
    """The shipped map is what the script draws from the shipped data."""
    atlas = REPO / ".cache" / "geo" / "node_modules" / "world-atlas" / "countries-10m.json"
    drawn, shipped = tmp_path / "map.png", REPO / "assets" / "figures" / "locator-map.png"
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_map.py"), str(drawn)],
                   check=True, capture_output=True, timeout=300)
    assert atlas.is_file()
    assert drawn.read_bytes() == shipped.read_bytes()
