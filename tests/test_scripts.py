"""Books in other scripts (issue 20): small Chinese, Persian, Arabic and French books
(tests/fixtures/scripts/, our own text) built into every edition. Their fonts are the
theme's or the Noto CJK face of their language, read from the PDF's embedded programs
(none falls back to a font that happens to be on the machine); the right-to-left books
are right to left in the EPUB spine, every document and the PDF's viewer preferences;
the Chinese book, laid out in chunks, embeds each face once; EPUBCheck and Ace pass."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTCollection, TTFont
from lxml import etree
from test_ace import run_ace, violations

from conftest import REPO, EpubCheckRun, EpubView, cli, epubcheck_summary
from helpers import run_builds

FIXTURES = REPO / "tests" / "fixtures" / "scripts"
FONTS = REPO / "book" / "render" / "theme" / "fonts"
CJK = Path("/usr/share/fonts/opentype/noto")
LANGUAGES = {"zh": "zh-Hans", "fa": "fa", "ar": "ar", "fr": "fr"}
RTL = ("fa", "ar")
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Each book's output folder (every edition); 'zh-single' holds the Chinese PDF laid
    out as one document, beside the chunked one."""
    base = tmp_path_factory.mktemp("scripts")
    jobs = {name: ["build", str(FIXTURES / name), "--out", str(base / name), "--quiet"]
            for name in LANGUAGES}
    jobs["zh"] += ["--layout", "chunked"]
    jobs["zh-single"] = ["build", str(FIXTURES / "zh"), "--out", str(base / "zh-single"),
                         "--format", "pdf", "--layout", "single", "--quiet"]
    run_builds(jobs, at_once=3)
    return {name: base / name for name in jobs}


def _pdf(folder: Path) -> Path:
    return next(folder.glob("*.pdf"))


def _epub(folder: Path) -> Path:
    return next(folder.glob("*.epub"))


def _embedded_fonts(path: Path) -> list[tuple[str, str | None]]:
    """(BaseFont, PostScript name of the embedded program or None) of every font the
    pages and their forms use."""
    found, seen = [], set()
    with pikepdf.open(path) as pdf:
        holders = [page.obj for page in pdf.pages]
        while holders:
            holder = holders.pop()
            resources = holder.get("/Resources", {})
            holders += [x for x in resources.get("/XObject", {}).values()
                        if x.get("/Subtype") == "/Form" and x.objgen not in seen]
            seen.update(x.objgen for x in holders)
            for font in resources.get("/Font", {}).values():
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.get("/FontDescriptor", {})
                program = next((descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile")
                                if k in descriptor), None)
                name = None
                if program is not None:
                    name = TTFont(io.BytesIO(program.read_bytes()))["name"].getDebugName(6)
                found.append((str(font.BaseFont), name))
    return found


def _theirs(language: str) -> set[str]:
    """PostScript names of the faces a book in `language` may embed: the theme's, and for
    Chinese the Noto CJK SC faces (serif, sans, mono) of Debian's collections."""
    names = {TTFont(path)["name"].getDebugName(6) for path in FONTS.glob("*.ttf")}
    if language.startswith("zh"):
        for path in CJK.glob("*.ttc"):
            names |= {face["name"].getDebugName(6) for face in TTCollection(path).fonts
                      if face["name"].getDebugName(6).endswith(("CJKsc-Regular", "CJKsc-Bold"))}
    return names


@pytest.mark.parametrize("name", ["zh", "zh-single", "fa", "ar", "fr"])
def test_every_font_is_embedded_and_the_themes(builds, name):
    fonts = _embedded_fonts(_pdf(builds[name]))
    assert fonts
    not_embedded = [base for base, program in fonts if program is None]
    assert not not_embedded, not_embedded
    foreign = [(base, program) for base, program in fonts
               if program not in _theirs(LANGUAGES[name.split("-")[0]])]
    assert not foreign, f"fonts from the machine, not the theme: {foreign}"


def test_chinese_text_is_set_in_the_simplified_chinese_faces(builds):
    programs = {program for _, program in _embedded_fonts(_pdf(builds["zh"]))}
    assert "NotoSerifCJKsc-Regular" in programs  # body text
    assert "NotoSansCJKsc-Bold" in programs or "NotoSansCJKsc-Regular" in programs  # headings
    assert not any(re.search(r"CJK(jp|kr|tc|hk)", p or "") for p in programs), programs


def test_chunked_chinese_pdf_embeds_each_face_once(builds):
    """Chunks are joined with one copy of each face: the chunked PDF is at most 1.1 times
    the size of the one laid out as a whole."""
    chunked, single = _pdf(builds["zh"]), _pdf(builds["zh-single"])
    programs = [program for _, program in _embedded_fonts(chunked)]
    assert len(programs) == len(set(programs)), programs
    assert chunked.stat().st_size <= 1.1 * single.stat().st_size, (
        chunked.stat().st_size, single.stat().st_size)


@pytest.mark.parametrize("name", LANGUAGES)
def test_direction_in_every_edition(builds, name):
    rtl = name in RTL
    epub = EpubView(_epub(builds[name]))
    spine = epub.opf.find("{http://www.idpf.org/2007/opf}spine")
    assert spine.get("page-progression-direction") == ("rtl" if rtl else None)
    for doc in epub.xhtml_names:
        root = epub.tree(doc)
        assert root.get("dir") == ("rtl" if rtl else None), doc
    web = etree.parse(str(next(builds[name].glob("*-web")) / "index.html"), etree.HTMLParser())
    assert web.getroot().get("dir") == ("rtl" if rtl else None)
    with pikepdf.open(_pdf(builds[name])) as pdf:
        preferences = pdf.Root.get("/ViewerPreferences", {})
        assert (preferences.get("/Direction") == "/R2L") == rtl
        assert str(pdf.Root.Lang) == LANGUAGES[name]


@pytest.mark.parametrize("name", RTL)
def test_right_to_left_pages_read_from_the_right(builds, name):
    """A right-to-left book begins on a left-hand page, so its chapters do (recto), with
    the wider margin on the spine side (the right), and its lines end at the right margin."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(_pdf(builds[name])))
    title = next(i for i in range(len(pdf)) if "بعد انحسار" in pdf[i].get_textpage()
                 .get_text_range() or "پس از رفتن" in pdf[i].get_textpage().get_text_range())
    assert title % 2 == 0, f"first chapter on page {title + 1}, a right-hand page"
    page = pdf[title]
    width, _ = page.get_size()
    text = page.get_textpage()
    rights = [text.get_charbox(i)[2] for i in range(text.count_chars())
              if not text.get_text_range(i, 1).isspace()]
    lefts = [text.get_charbox(i)[0] for i in range(text.count_chars())
             if not text.get_text_range(i, 1).isspace()]
    mm = 72 / 25.4
    assert width - max(rights) == pytest.approx(18 * mm, abs=2 * mm)  # inner margin, right
    assert min(lefts) >= 16 * mm - 1


@pytest.mark.parametrize("name", LANGUAGES)
def test_epubcheck_reports_nothing(builds, name, tmp_path):
    run = EpubCheckRun({name: _epub(builds[name])}, tmp_path)
    counts, text = epubcheck_summary(run.reports()[name])
    assert counts == (0, 0, 0), text


@pytest.mark.parametrize("name", ["zh", "fa"])
def test_ace_finds_no_serious_violation(builds, name, tmp_path):
    bad = [v for v in violations(run_ace(_epub(builds[name]), tmp_path))
           if v[0] in ("serious", "critical")]
    assert not bad, bad


def test_a_character_no_font_has_is_a_located_warning(tmp_path):
    """Symbols and emoji the theme's fallbacks have are no warning; a script no face has
    is one, at its line (or its chapter, for an included listing)."""
    project = tmp_path / "fr"
    shutil.copytree(FIXTURES / "fr", project)
    chapter = project / "chapters" / "two.md"
    lines = chapter.read_text("utf-8").splitlines()
    lines.insert(7, "Le signal \U0001f6a8 retentit, puis le \u2318 aussi, et \u0915.")
    lines += ["", "```text", "{{#include signal.txt}}", "```"]  # a listing from elsewhere
    chapter.write_text("\n".join(lines) + "\n", "utf-8")
    (project / "chapters" / "signal.txt").write_text("globe \U0001f30d \u1200\n", "utf-8")
    proc = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "epub",
                "--quiet"])
    assert proc.returncode == 0, proc.stderr
    assert "chapters/two.md:8: no font covers U+0915 '\u0915'" in proc.stderr
    # the included listing's character: its chapter, which has no line of it
    assert "chapters/two.md: no font covers U+1200 '\u1200'" in proc.stderr
    assert proc.stderr.count("no font covers") == 2, proc.stderr  # not 🚨, ⌘ or 🌍
    strict = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "epub",
                  "--quiet", "--strict"])
    assert strict.returncode == 3


@pytest.mark.parametrize("language", ["zh-Hans", "zh-CN", "fa", "ar"])
def test_no_hyphenation_where_pyphen_has_no_patterns(language):
    from book.render.theme import hyphenation

    assert hyphenation(language) == ":root { hyphens: manual; }"


@pytest.mark.parametrize(("tag", "region"), [
    ("zh", "SC"), ("zh-Hans", "SC"), ("zh-CN", "SC"), ("zh-Hant", "TC"), ("zh-TW", "TC"),
    ("zh-HK", "TC"), ("ja", "JP"), ("ko", "KR"), ("fr", None), ("fa", None)])
def test_cjk_face_by_language_tag(tag, region):
    from book.render.script import cjk_region

    assert cjk_region(tag) == region


def test_chinese_epub_carries_the_cjk_faces_it_needs(builds):
    """The EPUB's own fonts (theme faces and the Noto CJK SC subsets) have a glyph for
    every character of its chapters: a reader without CJK fonts shows no tofu either."""
    import zipfile

    import uharfbuzz as hb

    epub = EpubView(_epub(builds["zh"]))
    covered: set[int] = set()
    with zipfile.ZipFile(epub.path) as archive:
        fonts = [name for name in archive.namelist() if name.startswith("EPUB/fonts/")]
        assert {"EPUB/fonts/NotoSerifCJKSC-Regular.otf",
                "EPUB/fonts/NotoSansCJKSC-Bold.otf"} <= set(fonts), fonts
        for name in fonts:
            covered |= set(hb.Face(hb.Blob(archive.read(name))).unicodes)
    text = "".join("".join(epub.tree(doc).itertext()) for doc in epub.chapter_docs())
    missing = {c for c in text if not c.isspace() and ord(c) not in covered}
    assert not missing, missing
