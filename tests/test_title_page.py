"""The title page, measured in the explainer's PDF: every line centred on the text block (no
paragraph indent pushes one aside), and the lines composed over the page, not crowded into
its top third."""

from __future__ import annotations

from pdflines import page_lines

MM = 72 / 25.4
# print.css: A5, a recto's margins 18 mm inside (left) and 16 mm outside (right).
CENTRE = (18 * MM + (148 - 16) * MM) / 2
HEIGHT = 210 * MM


def test_every_title_page_line_is_centred(explainer_pdf):
    lines = page_lines(explainer_pdf.path)[0]
    assert [line.text for line in lines][:1] == ["Karabakh, September 2023"]
    assert len(lines) >= 4  # title, subtitle, authors, publisher
    for line in lines:
        assert abs((line.left + line.right) / 2 - CENTRE) < 0.75, line.text


def test_the_title_page_is_composed_on_the_page(explainer_pdf):
    lines = page_lines(explainer_pdf.path)[0]
    title, publisher = lines[0], lines[-1]
    assert HEIGHT * 0.45 < title.top < HEIGHT * 0.75  # a little above the middle
    assert publisher.bottom < 30 * MM  # at the foot of the text block
    assert publisher.text == "BOOK PROJECT"
