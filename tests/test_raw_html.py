"""Raw HTML that breaks HTML's content model (EPUBCheck RSC-005) is repaired the way a
browser shows it; whatever would still break it stops the build with the part, line and
chapter named: never a success over an EPUB that EPUBCheck refuses."""

from __future__ import annotations

import pytest

from book import fragments
from book.source.markdown import clean_html
from conftest import EpubCheckRun, EpubView, cli, epubcheck_summary
from helpers import project_with, run_main

BROKEN = {
    # mdlearn's image with a caption: a <div> holding <img> and <figcaption>
    '<div style="text-align: center;">\n  <img src="../images/grey.png" alt="grey">\n'
    '  <figcaption>Caption</figcaption>\n</div>':
        '<figure>\n  <img src="../images/grey.png" alt="grey">\n'
        '  <figcaption>Caption</figcaption>\n</figure>',
    '<figure>\n  <img src="../images/grey.png" alt="g">\n  <figcaption>Cap</figcaption>\n'
    '  <br>\n</figure>':
        '<figure>\n  <img src="../images/grey.png" alt="g">\n  '
        '<figcaption>Cap</figcaption>\n  </figure>',
    "<p>Lone <span>x</span></p>\n<figcaption>Alone</figcaption>":
        '<p>Lone <span>x</span></p>\n<div class="caption">Alone</div>',
    "<span><ul><li>a list in a span</li></ul></span>": "<ul><li>a list in a span</li></ul>",
    '<img src="../images/grey.png" alt="g" width="50%">':
        '<img src="../images/grey.png" alt="g">',
    '<p id="same">a</p>\n<p id="same">b</p>': '<p id="same">a</p>\n<p>b</p>',
    "<ul><p>not an item</p></ul>": "<ul><li><p>not an item</p></li></ul>",
    "<li>stray item</li>": "<div>stray item</div>",
    '<table><tr><td colspan="x">x</td><th rowspan="-1">y</th></tr></table>':
        "<table><tbody><tr><td>x</td><th>y</th></tr></tbody></table>",
}


@pytest.mark.parametrize("markup", BROKEN)
def test_sanitizing_repairs_the_content_model(markup):
    assert fragments.content_model_problems(fragments.parse(markup))
    cleaned = clean_html(markup)
    assert fragments.content_model_problems(fragments.parse(cleaned)) == []
    assert cleaned == BROKEN[markup]


def test_valid_markup_is_left_alone():
    markup = ('<figure><figcaption>Top</figcaption><img src="a.png" alt="a"></figure>'
              '<dl><div><dt>t</dt><dd>d</dd></div></dl><p><a href="#x"><em>x</em></a></p>'
              '<ol start="-2"><li>a</li></ol>')
    root = fragments.parse(markup)
    assert fragments.content_model_problems(root) == []
    fragments.repair_content_model(root)
    assert fragments.inner(root) == markup


def _project(tmp_path):
    chapter = "# Raw HTML\n\n" + "\n\n".join(BROKEN) + "\n"
    project = project_with(tmp_path, {"chapters/raw.md": chapter}, ["chapters/raw.md"])
    images = project / "images"
    images.mkdir(exist_ok=True)
    (images / "grey.png").write_bytes((project / "assets").joinpath(
        next(p.name for p in (project / "assets").iterdir() if p.suffix == ".png")).read_bytes())
    return project


def test_repaired_book_passes_epubcheck(tmp_path):
    project = _project(tmp_path)
    result = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "epub",
                  "--quiet"])
    assert result.returncode == 0, result.stderr
    epub = next((tmp_path / "out").glob("*.epub"))
    (fatals, errors, _), text = epubcheck_summary(
        EpubCheckRun({"raw": epub}, tmp_path / "check").reports()["raw"])
    assert (fatals, errors) == (0, 0), text
    view = EpubView(epub)
    doc = next(d for d in view.chapter_docs() if "Raw HTML" in view.h1_texts(d))
    captions = view.tree(doc).xpath("//*[local-name()='figcaption']")
    assert len(captions) == 2
    assert all(c.getparent().xpath("local-name()") == "figure" for c in captions)


def test_what_repair_misses_stops_the_epub(tmp_path, monkeypatch):
    """Without the repair, the emitter's own check refuses the EPUB and names where."""
    project = _project(tmp_path)
    monkeypatch.setattr(fragments, "repair_content_model", lambda root: None)
    code, _, err = run_main(["build", str(project), "--out", str(tmp_path / "out"),
                             "--format", "epub", "--quiet"])
    assert code == 1, err
    assert "(from chapters/raw.md)" in err
    assert "<figcaption> inside <div>" in err
    assert "is used twice" in err
    assert not list((tmp_path / "out").glob("*.epub"))
