"""Typesetting measured in the PDF: no word hyphenated across a page turn, at most two
hyphenated lines in a row, "page 21" never broken between its words, contents leaders a
fixed gap after every title, and glossary marks that are not superscript numbers (the
only raised figures are the note calls). On the explainer (both layouts) and on a
generated book with many figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pdflines import BODY_SIZE, body_lines, page_lines

from conftest import EXPLAINER

MAX_RUN = 2


def sources(project: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted((project / "chapters").glob("*")))


def auto_hyphenated(line: str, following: str, text: str) -> bool:
    """Whether `line` ends in a hyphen the layout put into a word (not one the text has)."""
    tail, head = re.search(r"(\w+)-$", line), re.match(r"(\w+)", following)
    return bool(tail and head) and f"{tail[1]}-{head[1]}" not in text


def hyphenation_faults(pdf: Path, project: Path) -> list[str]:
    text, faults = sources(project), []
    pages = body_lines(pdf)
    flow = [(number, line.text) for number, lines in enumerate(pages, 1) for line in lines]
    run = 0
    for (page, line), (next_page, following) in zip(flow, flow[1:], strict=False):
        broken = auto_hyphenated(line, following, text)
        run = run + 1 if broken else 0
        if broken and next_page != page:
            faults.append(f"page {page} ends in {line[-20:]!r}")
        if run > MAX_RUN:
            faults.append(f"page {page}: {run} hyphenated lines in a row, to {line[-20:]!r}")
    return faults


@pytest.fixture(scope="module")
def figures_pdf(figures_builds) -> tuple[Path, Path]:
    built = figures_builds["single"]
    return built.pdf, built.project


def test_explainer_breaks_no_word_across_a_page_and_few_in_a_row(explainer_pdf):
    assert hyphenation_faults(explainer_pdf.path, EXPLAINER) == []


def test_a_book_of_figures_breaks_no_word_across_a_page(figures_pdf):
    pdf, project = figures_pdf
    assert len(page_lines(pdf)) > 20
    assert hyphenation_faults(pdf, project) == []


def test_the_measure_sees_a_hyphen_at_a_line_end(explainer_pdf):
    """The check above can fail: the explainer's running text does hyphenate words."""
    text = sources(EXPLAINER)
    lines = [line.text for page in body_lines(explainer_pdf.path) for line in page]
    assert sum(auto_hyphenated(a, b, text) for a, b in zip(lines, lines[1:], strict=False)) > 5


def test_page_references_keep_their_number(explainer_pdf):
    for number, lines in enumerate(page_lines(explainer_pdf.path), 1):
        for line, following in zip(lines, lines[1:], strict=False):
            assert not (re.search(r"\b[Pp]ages?$", line.text) and following.text[:1].isdigit()), (
                f"page {number}: {line.text[-30:]!r} / {following.text[:10]!r}")


def test_contents_leaders_start_a_fixed_gap_after_every_title(explainer_pdf):
    """From the rendered contents page: where the first dot of each entry's leader is
    drawn, measured from the end of its title."""
    scale = 4  # pixels per point
    document = explainer_pdf.pdfium
    index = next(i for i, lines in enumerate(page_lines(explainer_pdf.path))
                 if lines and lines[0].text == "Contents")
    page = document[index]
    image = page.render(scale=scale, grayscale=True).to_pil()
    height = page.get_height()
    gaps = []
    for line in page_lines(explainer_pdf.path)[index][1:]:
        title = [c for c in line.chars if not c[0].isdigit() or c[1] < line.right - 30]
        end = max(c[2] for c in title)
        row = round((height - (line.bottom + (line.top - line.bottom) * 0.25)) * scale)
        band = range(row - 3 * scale // 2, row + 3 * scale // 2)
        start = round((end + 1) * scale)
        first = next(x for x in range(start, image.width)
                     if any(image.getpixel((x, y)) < 150 for y in band))
        gaps.append(first / scale - end)
    assert len(gaps) >= 10
    assert min(gaps) > 2 and max(gaps) - min(gaps) < 0.4, gaps  # 0.25 pt: a pixel


def test_glossary_marks_are_not_raised_numbers(explainer_pdf):
    """Raised small figures in the running text are note calls and nothing else: as many
    as the chapters call notes."""
    text = sources(EXPLAINER)
    calls = len(re.findall(r"\[\^[^\]]+\](?!:)", text))
    raised = 0
    for lines in body_lines(explainer_pdf.path):
        for line in lines:
            base = min((c[4] for c in line.chars if c[3] > BODY_SIZE * 0.9), default=line.bottom)
            small = "".join("1" if c[0].isdigit() and c[3] < BODY_SIZE * 0.8
                            and c[4] > base + 1.5 else " " for c in line.chars)
            raised += len(small.split())
    assert raised == calls
    assert "\u2192" in "".join(explainer_pdf.texts)  # the arrow that marks a glossary term
