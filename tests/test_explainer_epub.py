"""The explainer's EPUB 3 edition, built once per session from the repository root."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

from PIL import Image

from conftest import EPOCH, MARC, NS, epoch_datetime, epubcheck_summary, normalize, squash

FONT_TYPES = {"font/ttf", "font/otf", "font/woff", "font/woff2", "application/font-sfnt",
              "application/vnd.ms-opentype", "application/font-woff"}


def test_zip_container_is_deterministic_and_valid(explainer_epub):
    infos = explainer_epub.zip.infolist()
    first = infos[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b""
    assert explainer_epub.zip.read("mimetype") == b"application/epub+zip"
    rest = [i.filename for i in infos[1:]]
    assert rest == sorted(rest)
    assert len(set(rest)) == len(rest)
    stamps = {i.date_time for i in infos}
    assert len(stamps) == 1, stamps
    when = epoch_datetime()
    assert stamps == {(when.year, when.month, when.day, when.hour, when.minute,
                       when.second - when.second % 2)}
    assert explainer_epub.zip.testzip() is None


def test_package_metadata_matches_book_toml(explainer_epub, explainer_src):
    meta = explainer_src.meta
    opf = explainer_epub.opf
    unique = opf.get("unique-identifier")
    identifier = opf.xpath(f"/opf:package/opf:metadata/dc:identifier[@id='{unique}']",
                           namespaces=NS)
    assert [squash(e.text) for e in identifier] == [meta["identifier"]]
    titles = [squash(e.text) for e in opf.xpath("//dc:title", namespaces=NS)]
    assert titles == [meta["title"]] + ([meta["subtitle"]] if meta.get("subtitle") else [])
    assert [squash(e.text) for e in opf.xpath("//dc:language", namespaces=NS)] == [
        meta["language"]]
    assert [squash(e.text) for e in opf.xpath("//dc:publisher", namespaces=NS)] == [
        meta["publisher"]]


def test_every_contributor_has_its_marc_role(explainer_epub, explainer_src):
    opf = explainer_epub.opf
    people = explainer_src.meta["contributors"]
    creators = opf.xpath("//dc:creator", namespaces=NS)
    contributors = opf.xpath("//dc:contributor", namespaces=NS)
    assert len(creators) + len(contributors) == len(people)
    for person in people:
        pool = creators if person["role"] == "author" else creators + contributors
        matches = [e for e in pool if squash(e.text) == person["name"]]
        assert len(matches) == 1, f"{person['name']} ({person['role']}) not listed once"
        element_id = matches[0].get("id")
        assert element_id, f"{person['name']} has no id to refine"
        roles = opf.xpath(f"//opf:meta[@refines='#{element_id}'][@property='role']",
                          namespaces=NS)
        assert [(r.text, r.get("scheme")) for r in roles] == [
            (MARC[person["role"]], "marc:relators")], person


def test_modified_date_is_source_date_epoch(explainer_epub):
    assert explainer_epub.meta("dcterms:modified") == [
        epoch_datetime(EPOCH).strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_accessibility_metadata_reflects_images(explainer_epub, explainer_src):
    assert explainer_src.placed_photos
    modes = explainer_epub.meta("schema:accessMode")
    assert "textual" in modes and "visual" in modes
    assert "alternativeText" in explainer_epub.meta("schema:accessibilityFeature")
    assert explainer_epub.meta("schema:accessibilitySummary")


def test_one_xhtml_per_chapter_in_order(explainer_epub, explainer_src):
    docs = explainer_epub.chapter_docs()
    assert len(docs) == len(explainer_src.chapters)
    assert len(set(docs)) == len(docs)
    for name, chapter in zip(docs, explainer_src.chapters, strict=True):
        assert explainer_epub.h1_texts(name) == [chapter.title], name
        h2 = [squash("".join(h.itertext())) for h in
              explainer_epub.tree(name).xpath("//xhtml:h2", namespaces=NS)]
        if chapter.kind == "index":  # its letter groups, in order (test_index.py checks more)
            assert h2 == sorted(h2) and all(len(t) == 1 and t.isupper() for t in h2), h2
            continue
        assert h2 == [text for level, text in chapter.headings if level == 2], name


def test_every_image_has_alt_text(explainer_epub):
    images = 0
    for name in explainer_epub.xhtml_names:
        for img in explainer_epub.tree(name).xpath("//xhtml:img", namespaces=NS):
            assert (img.get("alt") or "").strip(), f"{name}: <img src={img.get('src')}> has no alt"
            images += 1
    assert images > 0


def test_placed_photos_have_caption_credit_and_image(explainer_epub, explainer_src):
    for photo_id in explainer_src.placed_photos:
        photo = explainer_src.photos[photo_id]
        expected_bytes = (explainer_src.root / "assets" / photo["file"]).read_bytes()
        found = False
        for name in explainer_epub.chapter_docs():
            for figure in explainer_epub.tree(name).xpath("//xhtml:figure", namespaces=NS):
                imgs = figure.xpath(".//xhtml:img", namespaces=NS)
                if not imgs:
                    continue
                target = explainer_epub.join(name, imgs[0].get("src"))
                if explainer_epub.zip.read(target) != expected_bytes:
                    continue
                found = True
                assert imgs[0].get("alt") == photo["alt"]
                caption = " ".join(squash("".join(c.itertext())) for c in
                                   figure.xpath(".//xhtml:figcaption", namespaces=NS))
                assert squash(photo["caption"]) in caption, photo_id
                assert squash(photo["credit"]) in caption, photo_id
        assert found, f"no figure shows the image of photo {photo_id}"


def nav_entries(epub) -> list[tuple[str, str]]:
    nav = epub.tree(epub.nav_name)
    toc = nav.xpath("//xhtml:nav[@epub:type='toc']", namespaces=NS)
    assert len(toc) == 1
    # a numbered chapter's entry starts with its number ([print] number-chapters)
    return [(re.sub(r"^\d+ ", "", squash("".join(a.itertext()))), a.get("href"))
            for a in toc[0].xpath(".//xhtml:a", namespaces=NS)]


def test_nav_lists_chapters_then_back_matter(explainer_epub, explainer_src):
    entries = nav_entries(explainer_epub)
    assert [t for t, _ in entries] == explainer_src.titles + explainer_src.backmatter_titles
    docs = explainer_epub.chapter_docs()
    for (title, href), doc in zip(entries, docs, strict=False):
        assert explainer_epub.join(explainer_epub.nav_name, href) == doc, title
    for title, href in entries:
        target = explainer_epub.join(explainer_epub.nav_name, href)
        assert explainer_epub.h1_texts(target) == [title]


def references(epub):
    """(source file, href) for every reference inside the publication."""
    for name in epub.xhtml_names:
        tree = epub.tree(name)
        for attr in ("href", "src"):
            for element in tree.xpath(f"//xhtml:*[@{attr}]", namespaces=NS):
                yield name, element.get(attr)
    ncx = next((i["name"] for i in epub.manifest.values()
                if i["media-type"] == "application/x-dtbncx+xml"), None)
    if ncx:
        for src in epub.tree(ncx).xpath("//ncx:content/@src", namespaces=NS):
            yield ncx, src
    for href in epub.opf.xpath("//opf:manifest/opf:item/@href | //opf:guide/opf:reference/@href",
                               namespaces=NS):
        yield epub.opf_name, href


def test_every_internal_reference_resolves(explainer_epub):
    checked = 0
    for source, href in references(explainer_epub):
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto"):
            continue
        assert not parts.scheme, f"{source}: unexpected URL {href!r}"
        target = explainer_epub.join(source, href)
        assert target in explainer_epub.names, f"{source}: {href!r} → missing {target}"
        if parts.fragment:
            assert parts.fragment in explainer_epub.ids(target), (
                f"{source}: {href!r} → no id {parts.fragment!r} in {target}")
        checked += 1
    assert checked > 50


def test_fonts_are_in_the_manifest(explainer_epub):
    manifest = {i["name"]: i["media-type"] for i in explainer_epub.manifest.values()}
    fonts = {name for name, kind in manifest.items() if kind in FONT_TYPES}
    assert fonts
    referenced = set()
    for name, kind in manifest.items():
        if kind != "text/css":
            continue
        css = explainer_epub.zip.read(name).decode("utf-8")
        for url in re.findall(r"""url\(\s*["']?([^"')]+)["']?\s*\)""", css):
            target = explainer_epub.join(name, url)
            assert target in manifest, f"{name} uses {url}, not in the manifest"
            if re.search(r"\.(ttf|otf|woff2?)$", url):
                assert manifest[target] in FONT_TYPES, (target, manifest[target])
                referenced.add(target)
    assert referenced, "the stylesheet declares no embedded fonts"
    assert referenced <= fonts
    in_zip = {n for n in explainer_epub.names if re.search(r"\.(ttf|otf|woff2?)$", n)}
    assert in_zip == fonts, "font files in the zip and the manifest differ"


def test_cover_image_present(explainer_epub):
    covers = [i for i in explainer_epub.manifest.values() if "cover-image" in i["properties"]]
    assert len(covers) == 1
    cover = covers[0]
    assert cover["media-type"] in ("image/png", "image/jpeg")
    data = explainer_epub.zip.read(cover["name"])
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format.lower() == cover["media-type"].split("/")[1]
        assert min(image.size) >= 500


def test_colophon_lists_stand_in_credits(explainer_epub, explainer_src):
    stand_ins = [p for p in explainer_src.placed_photos
                 if explainer_src.photos[p]["licence"] == "stand-in"]
    rights = normalize(explainer_src.meta["rights"])
    colophons = [n for n in explainer_epub.spine
                 if rights in normalize("".join(explainer_epub.tree(n).itertext()))]
    assert len(colophons) == 1
    text = normalize("".join(explainer_epub.tree(colophons[0]).itertext()))
    for photo_id in stand_ins:
        assert normalize(explainer_src.photos[photo_id]["credit"]) in text, photo_id


def test_epubcheck_reports_nothing(epubcheck_reports):
    counts, messages = epubcheck_summary(epubcheck_reports["explainer"])
    assert counts == (0, 0, 0), f"EPUBCheck fatals/errors/warnings {counts}:\n{messages}"
