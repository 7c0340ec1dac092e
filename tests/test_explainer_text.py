"""The explainer's text, read from its sources (chapters, data pages, photo manifest): the
editor's review (issue 18) stays fixed. Pure Python, no edition is built.

- reviewed phrases (errors, stretches, loaded words, guesses) do not come back;
- outside quotations, titles and names, the book shares few word runs with the source
  reporting (at most 3 of eight words, 15 of five);
- the corrected facts stay corrected.

Run `python tests/test_explainer_text.py` to print the shared runs while editing.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "source" / "explainer-source.txt"  # CI clones beside shared/
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
GLOSSARY = tomllib.loads((ROOT / "chapters" / "glossary.toml").read_text("utf-8"))
TIMELINE = tomllib.loads((ROOT / "chapters" / "timeline.toml").read_text("utf-8"))
PHOTOS = tomllib.loads((ROOT / "assets" / "photos.toml").read_text("utf-8"))
META = tomllib.loads((ROOT / "book.toml").read_text("utf-8"))

MAX_RUNS = {8: 3, 5: 15}

# Names (people, places, bodies, treaties, wars) and the job titles that go with them count
# as one word each: a shared name is not a shared phrase.
NAMES = [
    "Rome Statute of the International Criminal Court", "International Criminal Court",
    "Collective Security Treaty Organization", "General Assembly of the United Nations",
    "United Nations General Assembly", "UN General Assembly", "Armenian Soviet Socialist Republic",
    "Artsakh Defense Army", "First Karabakh War", "Second Karabakh War", "Lachin corridor",
    "Prime Minister Nikol Pashinyan", "Nikol Pashinyan", "Ilham Aliyev",
    "President Recep Tayyip Erdogan", "Recep Tayyip Erdogan", "Kremlin spokesman Dmitry Peskov",
    "Dmitry Peskov", "Margarita Simonyan", "President Vladimir Putin", "Vladimir Putin",
    "Russia Today", "Ottoman Empire", "World War I", "Soviet Union", "United States",
    "Caucasus Mountains", "Republic of Azerbaijan", "Republic of Armenia", "Armenian Armed Forces",
    "Nagorno-Karabakh", "Nagorny Karabakh", "Azerbaijani Ministry of Defense",
    "Karabakh Foreign Ministry", "Foreign Ministry", "Getty Images",
    *(c["name"] for c in META["contributors"]),
    *(p["credit"] for p in PHOTOS.values()),
]
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|\|")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.replace("’", "'").replace("‘", "'").lower())


_NAME_WORDS = sorted({tuple(_words(n)) for n in NAMES}, key=len, reverse=True)
_NAME_TOKENS = {"_".join(name) for name in _NAME_WORDS} | {"and"}


def _collapse(words: list[str]) -> list[str]:
    """Each name becomes a single token."""
    out, i = [], 0
    while i < len(words):
        for name in _NAME_WORDS:
            if tuple(words[i:i + len(name)]) == name:
                out.append("_".join(name))
                i += len(name)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def segments(text: str) -> list[list[str]]:
    """The book's own words as runs of tokens: quotations in quotation marks and titles in
    italics are cut out, and a run never reaches across a cut or a '|'."""
    text = re.sub(r"“[^”]*”|\"[^\"\n]*\"", " | ", text)
    text = re.sub(r"(?<![\w*])\*[^*\n]+\*(?![\w*])", " | ", text)
    out: list[list[str]] = [[]]
    for word in _words(text):
        if word == "|":
            out.append([])
        else:
            out[-1].append(word)
    return [_collapse(s) for s in out if s]


def prose(markdown: str) -> str:
    """A chapter's running text: front matter, headings and photo placements dropped,
    paragraphs, list items and table cells kept apart with '|', Markdown syntax removed."""
    lines = markdown.splitlines()
    if lines and lines[0].strip() == "---":
        lines = lines[lines.index("---", 1) + 1:]
    out, fenced = [], False
    for line in lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("|")
        elif fenced:
            out.append(" | ".join(cell for cell in line.split("|")) + " |")
        elif re.match(r"#{1,6}\s", line) or line.startswith("!["):
            out.append("|")
        else:
            line = re.sub(r"\[\^[^\]]+\]:?", " ", line)
            line = re.sub(r"\]\([^)]*\)", " ", line).replace("[", " ")
            line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", " | ", line)
            out.append(line if line.strip() else "|")
    return "\n".join(out)


def book_texts() -> list[tuple[str, str]]:
    """(where, text) for everything the reader reads that the editors wrote."""
    texts = [(p.name, prose(p.read_text("utf-8"))) for p in CHAPTERS]
    texts.append(("glossary.toml", " | ".join([GLOSSARY["intro"]] +
                                              [t["definition"] for t in GLOSSARY["terms"]])))
    texts.append(("timeline.toml", " | ".join([TIMELINE["intro"]] + [
        e["title"] + " | " + e["note"] for e in TIMELINE["events"]])))
    texts.append(("photos.toml", " | ".join(p["caption"] for p in PHOTOS.values())))
    return texts


def source_text() -> str:
    if not SOURCE.is_file():
        pytest.skip(f"the source reporting is not at {SOURCE}")
    return SOURCE.read_text("utf-8")


def shared_runs(n: int, texts: list[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    """Maximal runs of at least n of the book's own words that also stand together in the
    source (quotations included there, so a paraphrase of a quotation counts)."""
    grams: set[tuple[str, ...]] = set()
    for line in source.splitlines():
        words = _collapse([w for w in _words(line) if w != "|"])
        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    found = []
    for where, text in texts:
        for seg in segments(text):
            i = 0
            while i <= len(seg) - n:
                if tuple(seg[i:i + n]) in grams:
                    j = i
                    while j + 1 <= len(seg) - n and tuple(seg[j + 1:j + 1 + n]) in grams:
                        j += 1
                    run = seg[i:j + n]
                    if sum(1 for w in run if w not in _NAME_TOKENS) >= 3:  # not a list of names
                        found.append((where, " ".join(run)))
                    i = j + n
                else:
                    i += 1
    return found


# --------------------------------------------------------------------------- tests

@pytest.mark.parametrize("n", sorted(MAX_RUNS, reverse=True))
def test_few_word_runs_shared_with_the_source(n):
    runs = shared_runs(n, book_texts(), source_text())
    assert len(runs) <= MAX_RUNS[n], f"{len(runs)} shared {n}-word runs:\n" + "\n".join(
        f"  {where}: {run}" for where, run in runs)


def test_the_measure_sees_a_copied_sentence():
    source = source_text()
    copied = [("copy", "Despite the tensions, Tuesday's escalation was sudden, and the rest.")]
    assert shared_runs(5, copied, source)
    quoted = [("quote", "He said “Despite the tensions, Tuesday's escalation was sudden.”")]
    assert not shared_runs(5, quoted, source)


def _all_text() -> str:
    parts = [p.read_text("utf-8") for p in CHAPTERS]
    parts += [GLOSSARY["intro"], *(t["definition"] for t in GLOSSARY["terms"])]
    parts += [TIMELINE["intro"], *(e["title"] + " " + e["note"] for e in TIMELINE["events"])]
    parts += [v for p in PHOTOS.values() for k, v in p.items() if k not in ("file", "licence")]
    parts += [META["description"], META["based_on"], META["rights"],
              *(c.get("note", "") for c in META["contributors"])]
    return "\n".join(parts).replace("’", "'")


def _own_voice() -> str:
    """All text with quotations in quotation marks cut out."""
    return re.sub(r"“[^”]*”|\"[^\"\n]*\"", " ", _all_text().replace("'", "’")).replace("’", "'")


REVIEWED_PHRASES = [
    "recovered all seven districts", "This time Azerbaijan", "gave in", "self-governing",
    "a long step closer", "Originally published in", "Some English translations",
    "We do not have web addresses", "should not hide its weight", "carries a long shadow",
    "Turkey itself", "mostly not Azerbaijani", "a grip on the whole population",
    "Whatever support Armenia did send", "fits the mood", "could not confirm for itself",
    "activists set up a checkpoint", "activists set up a military checkpoint",
    "established a military checkpoint", "military checkpoint that stopped",
    "The place in Nagorno-Karabakh", "also the name of the region's own defense army",
    "Dates are those given in the reporting", "every date here is one the CNN reporting gives",
    "is run by a de facto government", "form the majority", "Moscow means",
]


@pytest.mark.parametrize("phrase", REVIEWED_PHRASES)
def test_reviewed_phrase_does_not_come_back(phrase):
    text = _all_text().casefold()
    toml_comments = (ROOT / "chapters" / "timeline.toml").read_text("utf-8").casefold()
    assert phrase.casefold() not in text and phrase.casefold() not in toml_comments, phrase


@pytest.mark.parametrize("word", ["invasion", "invaded", "aggression", "gave in", "puppet",
                                  "terrorist", "regime"])
def test_loaded_words_only_inside_quotations_or_attributed(word):
    """Loaded words may appear in a quotation; 'aggression' once more, attributed to
    Yerevan; 'anti-terrorist' only as Azerbaijan's label, in quotation marks."""
    own = _own_voice()
    hits = [m.start() for m in re.finditer(rf"\b{re.escape(word)}\b", own, re.I)]
    if word == "aggression":
        for at in hits:
            assert re.search(r"Yerevan|Armenia", own[max(0, at - 120):at]), own[at - 120:at + 20]
    else:
        assert not hits, [own[max(0, h - 60):h + 40] for h in hits]


def test_no_present_tense_for_the_situation_of_2023():
    text = _all_text()
    for stale in ("is run by", "is home to", "form the majority", "Analysts say",
                  "Moscow means", "Armenia has depended", "Armenia belongs", "stands Ilham Aliyev",
                  "region is defended", "remains unsettled", "What roles do Russia",
                  "Where do Azerbaijan"):
        assert stale not in text, stale


def test_chapter_one_says_where_the_account_stops():
    text = (ROOT / "chapters" / "01-offensive.md").read_text("utf-8")
    assert "account stops on September 20, 2023" in text


def test_anything_after_the_ceasefire_is_marked_as_beyond_the_source():
    for path in CHAPTERS:
        text = path.read_text("utf-8")
        for match in re.finditer(r"(?m)^## (Postscript.*)$", text):
            body = text[match.end():].split("\n## ", 1)[0]
            assert "beyond the CNN reporting" in body, path.name
        if "2024" in text:
            assert "## Postscript" in text, f"{path.name} speaks of 2024 outside a postscript"


def test_one_date_style():
    """September 19, 2023, never 19 September 2023 (US style, as the text is US English)."""
    text = _all_text()
    months = ("January|February|March|April|May|June|July|August|September|October|"
              "November|December")
    assert not re.search(rf"\b\d{{1,2}} (?:{months})\b", text), re.findall(
        rf".{{20}}\b\d{{1,2}} (?:{months})\b.{{10}}", text)
    assert re.search(r"September 19, 2023", text)


# ----------------------------------------------------------------- the corrected facts

def test_districts_regained_and_three_handed_over():
    text = (ROOT / "chapters" / "02-region.md").read_text("utf-8")
    assert "regained all seven districts" in text
    note = re.search(r"(?m)^\[\^districts\]: (.*)$", text)
    assert note and all(d in note.group(1) for d in ("Aghdam", "Kalbajar", "Lachin"))
    assert "handed over" in note.group(1) and "Not in the CNN reporting" in note.group(1)


def test_blockade_and_checkpoint_are_two_events():
    chapter = (ROOT / "chapters" / "03-tensions.md").read_text("utf-8")
    assert "December 2022" in chapter and "blocked the corridor" in chapter
    note = re.search(r"(?m)^\[\^checkpoint\]: (.*)$", chapter)
    assert note and "December 12, 2022" in note.group(1) and "April 23, 2023" in note.group(1)
    assert "Hakari" in note.group(1)
    events = {e["date"]: e for e in TIMELINE["events"]}
    assert "block" in events["December 2022"]["note"]
    assert "checkpoint" not in events["December 2022"]["note"]
    assert any("checkpoint" in e["note"] and e["date"] == "April 2023" and
               "beyond the CNN reporting" in e["note"] for e in TIMELINE["events"])
    corridor = next(t for t in GLOSSARY["terms"] if t["term"] == "Lachin corridor")
    assert "December 2022" in corridor["definition"] and "April 2023" in corridor["definition"]


def test_toll_note_does_not_borrow_cnns_verification_caveat():
    text = (ROOT / "chapters" / "01-offensive.md").read_text("utf-8")
    toll = re.search(r"(?m)^.*no fewer than 32 dead.*$", text).group(0)
    assert "verify" not in toll and "confirm" not in toll
    assert "as reported, without saying who reported them" in toll


def test_toll_and_ceasefire_hour_told_once():
    texts = {p.name: p.read_text("utf-8") for p in CHAPTERS}
    assert sum(t.count("1 p.m.") for t in texts.values()) == 1
    assert sum(len(re.findall(r"\b32\b", t)) for t in texts.values()) == 2  # key figure, text
    assert sum(t.count("dissolution and complete disarmament") for t in texts.values()) == 1
    assert sum(t.count("“several times") for t in texts.values()) == 1


def test_no_chronology_table_repeating_the_timeline():
    for path in CHAPTERS:
        assert not re.search(r"(?m)^\|", path.read_text("utf-8")), path.name


def test_erdogans_back_translated_line_is_not_quoted():
    text = (ROOT / "chapters" / "05-russia-turkey.md").read_text("utf-8")
    assert "where we act with the motto" not in text
    assert "Erdogan" in text and "[^erdogan]" in text


def test_names_from_both_sides():
    text = _all_text()
    assert "Khankendi" in text and "Stepanakert" in text
    assert re.search(r"Azerbaijan called its operation “anti-terrorist[.,]?”", text)
    terms = {t["term"]: t for t in GLOSSARY["terms"]}
    assert "Khankendi" in terms["Stepanakert"]["definition"]
    assert "main city" in terms["Stepanakert"]["definition"]
    assert "Artsakh Defense Army" in terms["Artsakh"]["definition"]
    for required in ("Baku", "Armenpress", "de facto"):
        assert required in terms, required


def test_de_facto_bodies_are_called_that():
    text = "\n".join(p.read_text("utf-8") for p in CHAPTERS)
    assert "Karabakh Foreign Ministry" not in text
    assert not re.search(r"(?<!de facto )(?:Karabakh|region’s) presiden(?:cy|tial office)", text)


def test_timeline_says_autonomous_and_which_dates_are_worked_out():
    first = TIMELINE["events"][0]
    assert "autonomous region" in first["note"]
    assert "Tuesday and Wednesday" in TIMELINE["intro"]


def test_further_reading_gives_the_sources_titles_word_for_word():
    source = source_text()
    text = (ROOT / "chapters" / "06-further.md").read_text("utf-8").replace("’", "'")
    titles = re.findall(r"(?m)^- \*(.+?)\*", text)
    assert len(titles) == 3
    for title in titles:
        assert title in source, title
    assert "2:43" in text
    assert "web address" not in text


def test_map_caption_says_soviet_era_outline_and_smaller_area_in_2023():
    caption = PHOTOS["locator-map"]["caption"]
    assert "Soviet-era autonomous region" in caption
    assert "smaller" in caption and "2023" in caption


def test_photo_credits_and_the_ten_reporters_unchanged():
    credits = {k: p["credit"] for k, p in PHOTOS.items()}
    assert credits["lachin-checkpoint"] == "Tofik Babayev/AFP/Getty Images"
    assert credits["stepanakert-children"] == "Siranush Sargsyan/AP"
    assert credits["russian-peacekeepers"] == "Karen Minasyan/AFP/Getty Images"
    reporters = [c["name"] for c in META["contributors"] if c["role"] != "author"]
    assert len(reporters) == 10
    source = source_text()
    assert all(name in source for name in reporters)


def test_quotations_are_word_for_word_from_the_source():
    """Every quotation of more than three words in the chapters is in the source exactly
    (typographic quotes and the ellipsis aside), except the labels the notes attribute."""
    source = " ".join(source_text().replace("’", "'").replace("...", "…").split())
    for path in CHAPTERS:
        text = path.read_text("utf-8").replace("’", "'")
        for quote in re.findall(r"“([^”]+)”", text):
            quote = " ".join(quote.strip(" ,.").split())
            if len(quote.split()) > 3:
                assert quote in source, f"{path.name}: {quote!r}"


if __name__ == "__main__":
    src = SOURCE.read_text("utf-8")
    for size in sorted(MAX_RUNS, reverse=True):
        found = shared_runs(size, book_texts(), src)
        print(f"{size}-word runs: {len(found)} (at most {MAX_RUNS[size]})")
        for where, run in found:
            print(f"  {where}: {run}")
    sys.exit(0)
