"""floats.cut: a paragraph cut where a page turns keeps every character once, in order,
its inline markup on both sides of the cut and each id once, and its halves are set as the
whole was (the first half's last line justified, the second not indented)."""

from __future__ import annotations

import lxml.html

from book.pdf import floats, hyphens


def test_a_cut_paragraph_keeps_its_text_and_markup():
    root = lxml.html.fromstring(
        '<section class="chapter"><p id="start" data-flow="0.1" data-line="0">One two '
        '<em>three <a id="mark"></a>four five</em> six<sup id="n1">1</sup> seven.</p>'
        "<figure></figure></section>")
    paragraph = root[0]
    source = "".join(paragraph.itertext())
    at = source.index("five")
    blocks, setters, owner = {"0.1": paragraph}, {"0": paragraph}, {"0": "0"}
    second = floats.cut(floats.Cut(paragraph, at), blocks, setters, owner)
    assert "".join(paragraph.itertext()) + "".join(second.itertext()) == source
    assert lxml.html.tostring(paragraph, encoding="unicode").startswith(
        '<p id="start" data-flow="0.1" data-line="0" style="text-align-last: justify">'
        'One two <em>three <a id="mark"></a>four </em></p>')
    assert lxml.html.tostring(second, encoding="unicode") == (
        '<p data-flow="0.1+" data-line="1" style="text-indent: 0"><em>five</em> six'
        '<sup id="n1">1</sup> seven.</p>')
    assert paragraph.getnext() is second and second.getnext().tag == "figure"
    assert blocks["0.1+"] is second and setters["1"] is second and owner["1"] == "0"
    assert second.get(hyphens.LINE) == "1"
