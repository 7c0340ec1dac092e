"""Margin boxes in the chunked layout: a chunk leaves its folios out and a folio sheet its
running heads, without laying them out where nothing they share a side with is kept
(weasy._without_unwanted). A box that shares its side with a kept one is still laid out,
since the kept one's width depends on it: the PDF is the same, word for word and box for
box, as when every margin box is laid out and the unwanted dropped after."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_page_fill import text_book

from book.options import LayoutOptions
from book.pdf import weasy
from book.pipeline import build

# A box beside the folio on the bottom side, and one alone at the top's centre.
MARGINS = """@page { @bottom-left { content: "Draft"; text-align: right; }
  @top-center { content: "Proof"; } }
@page :first { @bottom-left { content: none; } }
"""


def words(pdf: Path) -> list[str]:
    """Every word of the PDF with its box (pdftotext -bbox), in order."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip().startswith("<word")]


@pytest.mark.parametrize("css", [None, MARGINS], ids=["theme", "boxes beside the folio"])
def test_margin_boxes_left_out_unlaid_change_nothing(tmp_path, monkeypatch, css):
    root = text_book(tmp_path / "book", chapters=3)
    if css:
        (root / "styles").mkdir()
        (root / "styles" / "margins.css").write_text(css, "utf-8")
    words_of = {}
    for name in ("dropped after", "never laid out"):
        if name == "dropped after":
            monkeypatch.setattr(weasy, "_without_unwanted", lambda style_for, *_: style_for)
        else:
            monkeypatch.undo()
        out = tmp_path / name.replace(" ", "-")
        build(root, out, ("pdf",), layout=LayoutOptions("chunked", 2, False))
        words_of[name] = words(next(out.glob("*.pdf")))
    folios = [word for word in words_of["dropped after"] if word.endswith(">7</word>")]
    assert folios  # page 7's folio, at least
    if css:
        assert sum(">Draft<" in word for word in words_of["dropped after"]) > 5
        assert sum(">Proof<" in word for word in words_of["dropped after"]) > 5
    assert words_of["never laid out"] == words_of["dropped after"]
