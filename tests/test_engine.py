"""WeasyPrint as book/pdf/weasy.py adjusts it: page references settle in two layout passes
instead of three, with the same numbers, and builds leave no temporary files behind."""

from __future__ import annotations

import re

import pytest

from book.pdf import weasy as engine
from conftest import MINI, cli

SECTIONS = 4
HTML = """<html lang="en"><head><style>
  @page { size: 120mm 90mm; }
  section { break-before: page; }
  .toc a::after { content: " p. " target-counter(attr(href), page); }
  .back::after { content: " (back to p. " target-counter(attr(href), page) ")"; }
  .total::after { content: "of " counter(pages); }
</style></head><body>
  <nav class="toc">{toc}</nav><p class="total"></p>
  {sections}
</body></html>"""


def document():
    from weasyprint import HTML as Html

    toc = "".join(f'<p><a href="#s{n}">Section {n}</a></p>' for n in range(1, SECTIONS + 1))
    sections = "".join(
        f'<section id="s{n}"><h1>Section {n}</h1>' + "<p>Text.</p>" * (12 * n)
        + (f'<p><a class="back" href="#s{n - 1}">before</a></p>' if n > 1 else "")
        + "</section>" for n in range(1, SECTIONS + 1))
    return Html(string=HTML.replace("{toc}", toc).replace("{sections}", sections))


def page_texts(rendered) -> list[str]:
    def text(box) -> str:
        own = getattr(box, "text", "") or ""
        return own + " ".join(text(child) for child in getattr(box, "children", None) or ())
    return [re.sub(r"\s+", " ", text(page._page_box)) for page in rendered.pages]


def test_references_settle_in_two_passes(monkeypatch):
    """Every page is laid out once, and the pages whose references were unknown once
    more: WeasyPrint alone lays those out a third time."""
    engine.load()
    import weasyprint.layout.page as wpage

    made = []
    remake = wpage.remake_page
    monkeypatch.setattr(wpage, "remake_page",
                        lambda index, *args: made.append(index) or remake(index, *args))
    rendered = document().render()
    pages = len(rendered.pages)
    starts: dict[str, int] = {}
    for number, page in enumerate(rendered.pages, start=1):
        for name in page.anchors:  # a section over several pages: its first one
            starts.setdefault(name, number)
    starts = {name: page for name, page in starts.items() if re.fullmatch(r"s\d", name)}
    assert len(starts) == SECTIONS and pages > SECTIONS + 1
    assert made[:pages] == list(range(pages))
    again = made[pages:]
    assert again and len(again) == len(set(again)), f"pages laid out a third time: {made}"

    texts = page_texts(rendered)
    for n, start in starts.items():
        assert f"Section {n[1:]} p. {start}" in texts[0]
    assert f"of {pages}" in texts[0]  # a reference to the total still reads it
    backs = re.findall(r"before \(back to p\. (\d+)\)", " ".join(texts))
    assert backs == [str(starts[f"s{n}"]) for n in range(1, SECTIONS)]


@pytest.mark.parametrize("layout", ["single", "chunked"])
def test_a_build_leaves_no_temporary_files(tmp_path, layout):
    """WeasyPrint copies the fonts into a temporary folder that it removes only when the
    process tears down; the console script ends without, and layout workers end with
    os._exit: the builder removes them itself."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = cli(["build", str(MINI), "--out", str(tmp_path / "out"), "--layout", layout,
                  "--jobs", "2", "--clean"], env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").is_dir() and list((tmp_path / "out").glob("*.pdf"))
    assert not list(scratch.iterdir())


OTHER_VERSION = """
import sys
import weasyprint.layout as wl
from book.pdf import weasy
weasy.WRITTEN_FOR = "0.0-not-installed"
original = (wl.make_all_pages, wl.make_margin_boxes)
from book.cli.main import main
code = main(sys.argv[1:])
assert (wl.make_all_pages, wl.make_margin_boxes) == original, "WeasyPrint was adjusted"
sys.exit(code)
"""


def test_another_weasyprint_version_builds_without_the_adjustments(tmp_path):
    """Written for one WeasyPrint: with any other, the build leaves WeasyPrint as it is,
    lays the book out as one document even when chunks are asked for, and says so once."""
    import subprocess
    import sys

    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-c", OTHER_VERSION, "build", str(MINI), "--out",
                             str(out), "--layout", "chunked", "--clean", "--format", "pdf"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "written for" in line]
    assert len(warnings) == 1 and "chunked layout are off" in warnings[0], result.stderr
    assert list(out.glob("*.pdf"))
    assert not (out / ".book-cache" / "chunks").exists()  # laid out as one document
