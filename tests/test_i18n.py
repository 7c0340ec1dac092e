"""The builder's own words in the book's language: French and Chinese builds of the mini
project say what the builder writes (contents, credits, dates, web navigation and search,
EPUB metadata) in that language in all three editions; book.toml's [strings] wins over
the catalogue; a language without a catalogue warns once and is English; and the shipped
catalogues hold every message the templates and the code use (extracted by Babel)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from book.render import i18n
from conftest import MINI, NS, REPO, EpubView, PdfView, cli

# What the French and Chinese editions must say, written here, not read from the builder.
FRENCH = {"contents": "Table des matières", "contributors": "Contributeurs",
          "credits": "Crédits photographiques", "date": "14 novembre 2023",
          "photographer": "Photographie", "search": "Rechercher", "skip": "Aller au texte",
          "downloads": "Télécharger le livre", "summary": "Texte avec titres",
          "searching": "Recherche…", "landmarks": "Repères",
          "found": "3 pages correspondent à «\u00a0marée\u00a0»."}
CHINESE = {"contents": "目录", "contributors": "贡献者", "credits": "图片来源",
           "date": "2023年11月14日", "photographer": "摄影", "search": "搜索",
           "skip": "跳至正文", "downloads": "下载本书", "summary": "文本带有标题",
           "searching": "正在搜索…", "landmarks": "地标", "found": "3 个页面与“marée”匹配。"}
REQUIRED = {"en", "fr", "de", "es", "ru", "zh_Hans", "ja", "ar", "fa", "hy", "az"}
# The calls that mark a message: msgctxt (the key) first, then the English text.
KEYWORDS = {"pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3), "words": ((1, "c"), 2),
            "plural_forms": ((1, "c"), 2, 3)}
MARKED = [*sorted((REPO / "book/render/templates").glob("*.j2")), REPO / "book/render/html.py",
          REPO / "book/render/i18n.py", REPO / "book/epub/package.py"]


def project(tmp: Path, language: str, extra: str = "") -> Path:
    """The mini project in `language`, with `extra` appended to its book.toml."""
    root = tmp / language
    shutil.copytree(MINI, root)
    manifest = root / "book.toml"
    text = manifest.read_text("utf-8").replace('language = "en"', f'language = "{language}"')
    manifest.write_text(text + extra, "utf-8")
    return root


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """The mini project built whole in French and in Chinese: (output folder, stderr)."""
    tmp = tmp_path_factory.mktemp("i18n")
    runs = {lang: cli(["build", str(project(tmp, lang)), "--out", str(tmp / f"out-{lang}")],
                      wait=False) for lang in ("fr", "zh-CN")}
    built = {}
    for lang, run in runs.items():
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
        built[lang] = (tmp / f"out-{lang}", stderr)
    return built


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("language", "words"), [("fr", FRENCH), ("zh-CN", CHINESE)])
def test_editions_speak_the_book_language(editions, language, words):
    out, stderr = editions[language]
    assert "catalogue" not in stderr  # the shipped catalogues translate every key
    pdf = squeezed("".join(PdfView(out / "tide-pools.pdf").texts))
    for key in ("contents", "contributors", "credits", "date", "photographer"):
        assert squeezed(words[key]) in pdf, key
    assert "Contents" not in pdf and "Contributors" not in pdf

    epub = EpubView(out / "tide-pools.epub")
    nav = epub.tree(epub.nav_name)
    assert nav.findtext(".//xhtml:title", namespaces=NS) == words["contents"]
    landmarks = nav.xpath("//xhtml:nav[@epub:type='landmarks']/xhtml:h2", namespaces=NS)
    assert [h.text for h in landmarks] == [words["landmarks"]]
    assert words["contributors"] in epub.h1_texts(epub.join(epub.opf_name, "contributors.xhtml"))
    assert words["date"] in "".join(epub.tree(epub.join(epub.opf_name, "colophon.xhtml"))
                                    .itertext())
    assert epub.meta("schema:accessibilitySummary")[0].startswith(words["summary"])
    guide = epub.opf.xpath("//opf:guide/opf:reference[@type='toc']/@title", namespaces=NS)
    assert guide == [words["contents"]]

    web = out / "tide-pools-web"
    home = (web / "index.html").read_text("utf-8")
    for key in ("contents", "skip", "downloads", "date"):
        assert words[key] in home, key
    search = (web / "search.html").read_text("utf-8")
    assert f"<h1>{words['search']}</h1>" in search
    assert "Search" not in re.sub(r"<script.*?</script>", "", home + search, flags=re.S)
    # book.js's words, which each page carries: a plural per CLDR category of the language
    script = json.loads(re.search(r'<script type="application/json" id="book-words">(.*?)'
                                  r"</script>", search, re.S).group(1))
    assert script["searching"] == words["searching"]
    found = script["search-found"]["other"].replace("%(count)s", "3").replace("%(query)s", "marée")
    assert found == words["found"]


def test_book_toml_overrides_a_string(tmp_path):
    root = project(tmp_path, "fr", '\n[strings]\ncontents = "Sommaire"\n'
                                    '\n[epub]\npage-list = false\n')
    result = cli(["build", str(root), "--out", str(tmp_path / "out"), "--format", "epub"])
    assert result.returncode == 0, result.stderr
    epub = EpubView(tmp_path / "out" / "tide-pools.epub")
    assert epub.tree(epub.nav_name).findtext(".//xhtml:title", namespaces=NS) == "Sommaire"
    assert "Table des matières" not in epub.zip.read(epub.opf_name).decode()
    assert "Contributeurs" in epub.h1_texts(epub.join(epub.opf_name, "contributors.xhtml"))


def test_an_unknown_override_key_is_a_located_error(tmp_path):
    root = project(tmp_path, "fr", '\n[strings]\ncontnets = "Sommaire"\n')
    result = cli(["build", str(root), "--out", str(tmp_path / "out"), "--format", "epub"])
    assert result.returncode == 2
    line = (root / "book.toml").read_text("utf-8").splitlines().index('contnets = "Sommaire"') + 1
    assert f"book.toml:{line}: [strings] has no key 'contnets' (did you mean 'contents'?)" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_a_language_without_catalogue_warns_once_and_is_english(tmp_path):
    root = project(tmp_path, "pt-BR", "\n[epub]\npage-list = false\n")
    result = cli(["build", str(root), "--out", str(tmp_path / "out"), "--format", "epub"])
    assert result.returncode == 0, result.stderr
    warnings = [w for w in result.stderr.splitlines() if "catalogue" in w]
    assert warnings == ["warning: book.toml:3: no catalogue of the builder's words for 'pt-BR'; "
                        "they are in English (translate them under [strings], or ship a "
                        "catalogue)"], result.stderr
    epub = EpubView(tmp_path / "out" / "tide-pools.epub")
    assert epub.tree(epub.nav_name).findtext(".//xhtml:title", namespaces=NS) == "Contents"
    colophon = "".join(epub.tree(epub.join(epub.opf_name, "colophon.xhtml")).itertext())
    assert "14 de novembro de 2023" in colophon  # dates still in the book's locale


def test_a_missing_translation_warns_once_naming_its_key(tmp_path, monkeypatch):
    """A catalogue without one message: that key is English, with one warning naming it."""
    for language in ("en", "fr"):
        source = i18n.catalogue_path(language).read_text("utf-8")
        if language == "fr":
            source = source.replace('msgstr "Table des matières"', 'msgstr ""')
        target = tmp_path / language / "LC_MESSAGES" / "book.po"
        target.parent.mkdir(parents=True)
        target.write_text(source, "utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._catalogue.cache_clear()
    i18n._strings.cache_clear()
    try:
        meta = SimpleNamespace(language="fr", strings=())  # what word_problems reads
        errors, warnings = i18n.word_problems(meta, lambda key, table: 3)  # type: ignore
        assert errors == [] and [w.message for w in warnings] == [
            "the 'fr' catalogue has no translation of 'contents'; it is in English"]
        strings = i18n._strings("fr", ())
        assert strings.pgettext("contents", "Contents") == "Contents"
        assert strings.pgettext("contributors", "Contributors") == "Contributeurs"
    finally:
        i18n._catalogue.cache_clear()
        i18n._strings.cache_clear()


@pytest.mark.parametrize(("tag", "catalogue"), [
    ("zh-CN", "zh_Hans"), ("zh", "zh_Hans"), ("zh-Hans-SG", "zh_Hans"), ("zh-TW", None),
    ("pt-BR", None), ("en-GB", "en"), ("fr-CA", "fr"), ("az-Latn-AZ", "az"), ("az-Cyrl", None),
    ("fa-IR", "fa"), ("xx", None)])
def test_language_tags_find_their_catalogue(tag, catalogue):
    assert i18n.catalogue_for(tag) == catalogue


def marked_messages() -> dict[str, set]:
    """key → the English messages marked with it in the templates and the code."""
    found: dict[str, set] = {}
    for path in MARKED:
        method = babel_extract if path.suffix == ".j2" else "python"
        options = {"extensions": "jinja2.ext.i18n"} if path.suffix == ".j2" else {}
        for _, message, _, key in extract_from_file(method, path, keywords=KEYWORDS,
                                                    options=options):
            assert key, f"{path.name}: '{message}' has no key (msgctxt)"
            found.setdefault(key, set()).add(message)
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def test_catalogues_hold_every_marked_message():
    marked = marked_messages()
    assert len(marked) > 50
    for key, messages in marked.items():
        assert len(messages) == 1, f"key '{key}' marks different messages: {messages}"
    assert set(i18n.shipped()) >= REQUIRED
    for language in i18n.shipped():
        with i18n.catalogue_path(language).open("rb") as po:
            catalog = read_po(po)
        held = {m.context: m for m in catalog if m.id}
        assert set(marked) <= set(held), f"{language} lacks {set(marked) - set(held)}"
        for key, (message,) in marked.items():
            entry = held[key]
            assert entry.id == message, f"{language}: '{key}' is '{entry.id}', not '{message}'"
            english = message if isinstance(message, str) else message[-1]
            forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            assert all(forms) and not entry.fuzzy, f"{language}: '{key}' is not translated"
            if isinstance(message, tuple):
                assert len(forms) == catalog.num_plurals, f"{language}: '{key}' plural forms"
            for form in forms:  # a translation fills the same %(name)s as the English
                assert placeholders(form) == placeholders(english), f"{language}: '{key}'"
