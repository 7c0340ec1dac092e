"""Hyphenation follows the book's language tag: American patterns for `en`, British for
`en-GB`, none where pyphen has no patterns; never in headings, addresses or code."""

from __future__ import annotations

import re
import subprocess

import pyphen
import pytest
import weasyprint

from book.render.theme import hyphenation, hyphenation_language

WORDS = " ".join(["guarantor offensive disarmament"] * 8)


@pytest.mark.parametrize("tag,expected", [
    ("en", "en_US"), ("en-US", "en_US"), ("en-GB", "en_GB"), ("pt", "pt_BR"),
    ("de", "de_DE"), ("nl-BE", "nl"), ("hy", None), ("zh", None), ("fa", None)])
def test_patterns_follow_the_language_tag(tag, expected):
    assert hyphenation_language(tag) == expected


def patterns_used(tag: str, monkeypatch) -> set[str]:
    """The pyphen dictionaries WeasyPrint opens for a paragraph in `tag` with the theme's
    hyphenation CSS, and the words it breaks at line ends."""
    used: set[str] = set()
    real = pyphen.Pyphen.__init__

    def record(self, *args, **kwargs):
        used.add(kwargs.get("lang") or args[1])
        real(self, *args, **kwargs)

    monkeypatch.setattr(pyphen.Pyphen, "__init__", record)
    html = (f'<html lang="{tag}"><body><p style="width: 24mm; hyphens: auto">{WORDS}</p>'
            f'<h1 style="width: 24mm; hyphens: auto">Disarmament guarantor</h1></body></html>')
    weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(string="h1 { hyphens: manual }" + hyphenation(tag))])
    return used


def test_en_takes_american_patterns(monkeypatch):
    assert patterns_used("en", monkeypatch) == {"en_US"}


def test_en_gb_takes_british_patterns(monkeypatch):
    assert patterns_used("en-GB", monkeypatch) == {"en_GB"}


def test_no_patterns_no_hyphenation(monkeypatch):
    assert patterns_used("hy", monkeypatch) == set()


def test_explainer_breaks_words_the_american_way(explainer_pdf):
    """No line of the explainer ends in a British break of a word the review named."""
    british = {"guarant", "offens", "disarm"}
    ends = set()
    for text in explainer_pdf.texts:
        ends.update(m.lower() for m in re.findall(r"(\w+)[-\u2010]\n", text))
    assert not ends & british, sorted(ends & british)


def test_headings_and_code_are_not_hyphenated(tmp_path):
    """The theme keeps hyphens out of headings, addresses and code in print."""
    from book.render.theme import THEME

    css = (THEME / "print.css").read_text("utf-8")
    rule = re.search(r"([^{}]*)\{\s*hyphens: manual;\s*\}", css.split("/* Words are")[1])
    assert rule and all(s in rule.group(1)
                        for s in ("h1", "h2", "code", "pre", 'a[href^="https:"]'))
    html = ('<html lang="en"><body><pre style="width: 20mm; white-space: pre-wrap">'
            'disarmament guarantor offensive disarmament</pre></body></html>')
    out = tmp_path / "code.pdf"
    out.write_bytes(weasyprint.HTML(string=html).write_pdf(
        stylesheets=[weasyprint.CSS(string=css + hyphenation("en"))]))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert not re.search(r"\w[-\u2010]\n", text), text
