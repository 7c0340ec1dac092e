"""The spell-check of `book check`: misspellings planted in the mini project are found at
their line and column with suggestions; code, URLs and raw HTML are not prose; names from
the glossary, contributors, photo credits and words.txt are known; a language without a
dictionary gives one warning."""

from __future__ import annotations

import json
import shutil

from book.lint.spelling import dictionary_for
from helpers import MINI, line_of, run_main


def spelling(project) -> list[dict]:
    code, out, err = run_main(["check", str(project), "--format", "json"])
    assert code == 0, out + err
    return [f for f in json.loads(out)["findings"] if f["rule"] == "spelling-unknown"]


def planted(tmp_path, text: str, name: str = "three.md"):
    project = tmp_path / "p"
    shutil.copytree(MINI, project)
    (project / "chapters" / name).write_text(text, "utf-8")
    (project / "words.txt").write_text("acrorhagi\n", "utf-8")
    toml = project / "book.toml"
    toml.write_text(toml.read_text("utf-8").replace(
        '"chapters/two.md"]', f'"chapters/two.md", "chapters/{name}"]').replace(
        'language = "en"', 'language = "en-GB"'), "utf-8")
    return project


def test_the_mini_project(tmp_path):
    """Its one British spelling under language "en" (en_US), and a zoologist's word."""
    found = [(f["path"], f["line"], f["col"], f["message"].split("'")[1]) for f in spelling(MINI)]
    one = MINI / "chapters" / "one.md"
    lines = one.read_text("utf-8").splitlines()
    where = [(line_of(one, word), lines[line_of(one, word) - 1].index(word) + 1, word)
             for word in ("neighbours", "acrorhagi")]
    assert found == [("chapters/one.md", *place) for place in where]


def test_planted_misspellings_found_with_suggestions(tmp_path):
    project = planted(tmp_path, "# Rock life\n\nThe anemnoe waits in the pool.\n\n"
                      "A crab walks sidways, and a *gul* watches.\n")
    found = {f["message"].split("'")[1]: f for f in spelling(project)}
    assert sorted(found) == ["anemnoe", "gul", "sidways"]
    path = project / "chapters" / "three.md"
    anemone = found["anemnoe"]
    assert (anemone["path"], anemone["line"], anemone["col"]) == (
        "chapters/three.md", line_of(path, "anemnoe"), 5)
    assert "anemone" in anemone["message"]
    assert (found["sidways"]["line"], found["sidways"]["col"]) == (line_of(path, "sidways"), 14)
    assert "sideways" in found["sidways"]["message"]
    suggestions = anemone["message"].split("did you mean ")[1].split("?")[0].split(", ")
    assert 1 <= len(suggestions) <= 3


def test_only_prose_is_checked(tmp_path):
    project = planted(tmp_path, "# Rock life\n\nRun `qwxzv --frobnik` or see "
                      "https://example.org/zqxwv and <span class=\"kqzzt\">a pool</span>.\n\n"
                      "```\nzzqv xqwk\n```\n\n[a link](two.md#shore-crabs) [^nte]\n\n"
                      "[^nte]: A note with wrongg spelling.\n")
    assert [f["message"].split("'")[1] for f in spelling(project)] == ["wrongg"]


def test_names_from_glossary_contributors_credits_and_words_txt(tmp_path):
    project = planted(tmp_path, "# Rock life\n\nOkonkwo met Zubrowska and Tsiolkas by the "
                      "Quolltide, as Vantrees wrote in Okonkwo’s notes.\n")
    assert len(spelling(project)) == 6
    (project / "words.txt").write_text("# names\nacrorhagi\nVantrees\n", "utf-8")
    toml = project / "book.toml"
    toml.write_text(toml.read_text("utf-8").replace(
        'name = "Ben Sample"', 'name = "Ben Zubrowska"'), "utf-8")
    photos = project / "assets" / "photos.toml"
    photos.write_text(photos.read_text("utf-8").replace(
        'credit = "Ben Sample"', 'credit = "Ada Tsiolkas/Agency"'), "utf-8")
    (project / "chapters" / "terms.toml").write_text(
        'kind = "glossary"\ntitle = "Glossary"\n\n[[terms]]\nterm = "Quolltide"\n'
        'definition = "A made-up tide."\n\n[[terms]]\nterm = "Okonkwo"\n'
        'definition = "A name."\n', "utf-8")
    toml.write_text(toml.read_text("utf-8").replace(
        '"chapters/three.md"]', '"chapters/three.md", "chapters/terms.toml"]'), "utf-8")
    assert spelling(project) == []


def test_a_language_without_dictionary_gives_one_warning(tmp_path):
    project = planted(tmp_path, "# Rock life\n\nThe anemnoe waits.\n")
    toml = project / "book.toml"
    toml.write_text(toml.read_text("utf-8").replace('language = "en-GB"', 'language = "tlh"'),
                    "utf-8")
    found = spelling(project)
    assert [(f["path"], f["line"]) for f in found] == [("book.toml", line_of(toml, "tlh"))]
    assert "no spelling dictionary is installed for language 'tlh'" in found[0]["message"]


def test_regional_dictionaries():
    assert dictionary_for("en-GB").knows("colour")
    assert not dictionary_for("en-US").knows("colour")
    assert dictionary_for("fr").knows("château")
    assert dictionary_for("tlh") is None
