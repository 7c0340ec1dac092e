"""Formulas every edition can show even where a TeX reader stumbles (halo2's book)."""

import xml.etree.ElementTree as ET
from pathlib import Path

from book.render.math import mathml, svg

# halo2's book, design/gadgets/ecc/addition.md: an `aligned` nested in an `array`, which
# latex2mathml writes with a bare `&` (`<mi>&</mi>`)
NESTED = (r"\begin{array}{rl} 1. & a = 0 \\ & \begin{aligned} \text{At least one of } &x = 0"
          r" \\ \text{or } &y = 0 \end{aligned} \end{array}")
# ziamath unescapes the MathML it makes from TeX before parsing it: a `<` in a \text breaks
# its own reading (halo2's table of constraints has `\hspace{7em} &` in one)
TEXT_LT = r"\text{if a<b then } x^2"


def test_mathml_is_xml_with_every_character_of_the_formula_as_text():
    root = ET.fromstring(mathml(NESTED, True))
    assert root.get("alttext", "").startswith(r"\begin{array}")
    assert "At\u00a0least\u00a0one\u00a0of\u00a0" in "".join(root.itertext())
    text = ET.fromstring(mathml(TEXT_LT, False))
    assert "if\u00a0a<b\u00a0then\u00a0" in "".join(text.itertext())  # not a <b> tag


def test_print_draws_what_ziamath_cannot_read_from_tex_from_the_mathml():
    drawing = ET.fromstring(svg(TEXT_LT, False))
    assert drawing.get("class") == "math-svg" and drawing.get("aria-label") == TEXT_LT
    assert drawing.iter("{http://www.w3.org/2000/svg}path")  # glyphs drawn as outlines


def test_a_formula_print_cannot_draw_prints_as_its_tex():
    table = (Path(__file__).parents[1] / "fixtures" / "math" / "halo2-addition.tex"
             ).read_text("utf-8").strip()
    drawn = svg(table, True)
    if drawn.startswith("<svg"):  # a drawing has a size: never an invisible formula
        assert float(ET.fromstring(drawn).get("viewBox", "").split()[3]) > 0
    else:
        assert drawn.startswith('<code class="math-source">\\begin{array}')
        assert "Constraint" in drawn
