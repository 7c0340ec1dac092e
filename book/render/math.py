"""Formulas for each edition. Parse leaves each as its TeX in an element of class
`math-tex` (`display` for a block); here the EPUB and the web edition get MathML
(latex2mathml) with the TeX as its alttext, and print, since WeasyPrint has no MathML, an
SVG drawn by ziamath: glyphs as outlines (no font to embed), sized in the text's em and
lowered by its depth so its baseline sits on the line's. A labelled display formula
(REF_NUMBER, from assemble) keeps its id and shows its number at the right, "(1)", as
mathematics is printed."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from html import escape as html_escape
from html import unescape

from latex2mathml.converter import Converter
from lxml import html

from .. import fragments
from ..model import REF_NUMBER
from . import i18n

MATH_CLASS = "math-tex"  # as source/math.py writes it
SIZE = 16.0  # the size ziamath draws at, in SVG units; the SVG is scaled to 1em of the text
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _tree(tex: str, display: bool) -> ET.Element:
    """latex2mathml's MathML as a tree, its text unescaped node by node. latex2mathml
    keeps entities as text (`&#x000A0;`) and unescapes its whole serialised markup, so a
    `<` in a `\\text{}` or an alignment `&` nested in an array came out as bare markup
    characters (halo2's book has both): serialised from the tree, they are escaped."""
    tree = Converter(xmlns=MATHML_NS, display="block" if display else "inline") \
        .convert_to_element(tex)
    for node in tree.iter():
        node.text = unescape(node.text) if node.text else node.text
        node.tail = unescape(node.tail) if node.tail else node.tail
    return tree


@functools.lru_cache(maxsize=1024)
def mathml(tex: str, display: bool) -> str:
    """MathML for the EPUB and the web edition, the TeX as its text alternative."""
    tree = _tree(tex, display)
    tree.attrib = {"alttext": tex.replace("\n", " "), **tree.attrib}
    return ET.tostring(tree, encoding="unicode")


@functools.lru_cache(maxsize=1024)
def svg(tex: str, display: bool) -> str:
    """An SVG for print, sized in the text's em (its viewBox keeps ziamath's units; the
    HTML5 parser WeasyPrint uses restores the name's case after lxml lower-cases it).
    ziamath reads the TeX itself; where that fails (it reads it through latex2mathml's
    unescaped markup, so a `<` in a `\\text{}` breaks it, and a greedy regex of its own
    for minus signs eats markup up to a line's last `-`), it draws the MathML the other
    editions have, one element a line, and where that fails too, or draws nothing, the
    formula prints as its TeX in the code face: never lost, never a failed build."""
    import ziamath  # imported here: only print needs it, and it loads its font

    ziamath.config.svg2 = False  # glyphs as paths where they stand: no <symbol>/<use> ids
    try:
        drawn = ziamath.Latex(tex, size=SIZE, inline=not display).svg()
    except Exception:  # noqa: BLE001  # ziamath raises many kinds on TeX it cannot read
        try:
            tree = _tree(tex, display)
            ET.indent(tree)  # one element a line: ziamath's minus-sign regexes span a line
            # as markup: given a tree, ziamath does not know MathML's elements
            drawn = ziamath.Math(ET.tostring(tree, encoding="unicode"), size=SIZE).svg()
        except Exception:  # noqa: BLE001
            return _source(tex)
    drawing = ET.fromstring(drawn)
    _, top, width, height = (float(v) for v in drawing.get("viewBox", "").split())
    if width <= 0 or height <= 0:  # ziamath lost its way (halo2's 2,000-character table)
        return _source(tex)
    depth = height + top  # below the baseline (y = 0)
    drawing.attrib.update({
        "role": "img", "aria-label": tex, "class": "math-svg",
        "width": f"{width / SIZE:.3f}em", "height": f"{height / SIZE:.3f}em",
        "style": f"vertical-align: {-depth / SIZE:.3f}em"})
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    return ET.tostring(drawing, encoding="unicode")


def _source(tex: str) -> str:
    """A formula print cannot draw, as its TeX."""
    return f'<code class="math-source">{html_escape(tex)}</code>'


def typeset(root: html.HtmlElement, print_: bool) -> None:
    """Replace each formula's TeX with its MathML, or for print its SVG."""
    for element in list(root.iter("span", "div")):
        classes = (element.get("class") or "").split()
        if MATH_CLASS not in classes:
            continue
        tag = str(element.tag)
        display = tag == "div" or "display" in classes
        tex = element.text_content()
        markup = svg(tex, display) if print_ else mathml(tex, display)
        number = element.get(REF_NUMBER)
        if number is not None:
            markup = (f'<div class="equation-body">{markup}</div>'
                      f'<span class="equation-number">'
                      f'({html_escape(str(i18n.current().number(number)))})</span>')
        new = fragments.parse(f'<{tag} class="math{" display" if display else ""}'
                              f'{" numbered" if number is not None else ""}">'
                              f"{markup}</{tag}>")[0]
        if element.get("id"):
            new.set("id", element.get("id"))
        new.tail = element.tail
        parent = element.getparent()
        assert parent is not None  # a formula lies inside the parsed body
        parent.replace(element, new)
