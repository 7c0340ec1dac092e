"""The web edition as a reader meets it, in Debian's Chromium driven by Playwright: the home
page offers the PDF and EPUB with checksums that match the files beside it (opened from
disk and through `book serve`); search finds a word from the last chapter and opens at
its heading, and still does offline once a page of the published folder was loaded; dark
mode, print media and glossary terms on a touch screen; axe-core finds no serious or
critical violation at phone and desktop widths."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import shutil
import threading
import tomllib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import lxml.html
import pytest
from pypdf import PdfReader

from conftest import EXPLAINER, MINI, REPO, cli, read_chapter
from helpers import chromium, serving, watched_page

AXE = REPO / ".cache" / "ace" / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SLUG = tomllib.loads((EXPLAINER / "book.toml").read_text("utf-8"))["slug"]
LAST_CHAPTER = "chapters/06-further.md"  # the book's last Markdown chapter


def chapter_pages(web: Path) -> list[str]:
    """The pages the home page's contents list, in order (chapter ids are the builder's)."""
    home = (web / "index.html").read_text("utf-8")
    return re.findall(r'<li class="toc-chapter"><a href="([^"]+)"', home)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The explainer's three editions, built as `book build` does by default."""
    out = tmp_path_factory.mktemp("web") / "dist"
    proc = cli(["build", str(EXPLAINER), "--out", str(out), "--quiet"])
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def web(built) -> Path:
    return built / f"{SLUG}-web"


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A desktop page that records console errors, page errors and failed responses."""
    with watched_page(browser, DESKTOP, failed_requests=False) as tab:
        yield tab


@pytest.fixture(scope="module")
def explainer_server(tmp_path_factory, built):
    """`book serve` on a copy of the explainer whose dist/ holds the built PDF and EPUB."""
    project = tmp_path_factory.mktemp("serve") / "explainer"
    shutil.copytree(EXPLAINER, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", "dist", "tests", "bench", "book", ".*cache*"))
    (project / "dist").mkdir()
    for fmt in ("pdf", "epub"):
        shutil.copy(built / f"{SLUG}.{fmt}", project / "dist")
    with serving(project) as running:
        yield running


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Requests are not logged."""


class PrettyHandler(QuietHandler):
    """A host with 'pretty URLs': page.html is redirected to page, which serves it."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path.endswith(".html") and path != "/index.html":
            self.send_response(308)
            self.send_header("Location", self.path.replace(".html", "", 1))
            self.end_headers()
            return
        if path != "/" and not Path(self.translate_path(path)).exists():
            self.path = self.path.replace(path, path + ".html", 1)
        super().do_GET()


@contextlib.contextmanager
def static_server(folder: Path, handler: type[QuietHandler] = QuietHandler) -> Iterator[str]:
    """A folder as a reader's site publishes it: a plain static server (Python's)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler,
                                                                     directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def published(web):
    with static_server(web) as url:
        yield url


def workers(page) -> int:
    return page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)")


def offered(page) -> list[dict]:
    return page.eval_on_selector_all("li.download", """items => items.map(li => ({
        href: li.querySelector('a').getAttribute('href'),
        sha: li.querySelector('.checksum code').textContent.trim(),
        facts: li.querySelector('.download-facts').textContent}))""")


def check_downloads(page, web: Path, built: Path) -> None:
    downloads = offered(page)
    assert [d["href"] for d in downloads] == [f"{SLUG}.pdf", f"{SLUG}.epub"]
    for item in downloads:
        beside = web / item["href"]
        assert beside.is_file(), item
        assert item["sha"] == sha256(beside) == sha256(built / item["href"])
    pages = len(PdfReader(built / f"{SLUG}.pdf").pages)
    assert f"{pages} pages" in downloads[0]["facts"]


@pytest.mark.localhost
def test_home_page_from_disk_and_served(page, web, built, explainer_server):
    meta = tomllib.loads((EXPLAINER / "book.toml").read_text("utf-8"))
    for url in (web.joinpath("index.html").as_uri(), explainer_server.url):
        page.goto(url)
        assert page.inner_text("main h1") == meta["title"]
        assert page.inner_text(".book-subtitle") == meta["subtitle"]
        assert meta["description"] in page.inner_text(".book-description")
        assert page.evaluate("document.querySelector('.home-cover').naturalWidth") > 0
        authors = [c["name"] for c in meta["contributors"] if c["role"] == "author"]
        assert all(name in page.inner_text(".book-authors") for name in authors)
        assert page.locator("nav.toc li").count() >= len(meta["chapters"])
        check_downloads(page, web, built)
    assert workers(page) == 0  # a preview changes on every save: no offline copy of it
    served = {d["href"]: d["sha"] for d in offered(page)}
    for name, digest in served.items():  # the served bytes are the files' bytes
        response = page.request.get(explainer_server.url + name)
        assert response.ok and hashlib.sha256(response.body()).hexdigest() == digest
    assert page.problems == []


def test_html_alone_offers_what_exists_and_names_what_is_missing(tmp_path):
    out = tmp_path / "dist"
    proc = cli(["build", str(MINI), "--out", str(out), "--format", "epub", "--quiet"])
    assert proc.returncode == 0, proc.stderr
    proc = cli(["build", str(MINI), "--out", str(out), "--format", "html"])
    assert proc.returncode == 0, proc.stderr
    assert "no PDF to offer" in proc.stderr and "--format pdf" in proc.stderr
    assert "EPUB" not in proc.stderr.replace("--format", "")
    web = out / "tide-pools-web"
    home = (web / "index.html").read_text("utf-8")
    assert 'href="tide-pools.epub"' in home and ".pdf" not in home
    assert sha256(web / "tide-pools.epub") == sha256(out / "tide-pools.epub")
    assert sha256(out / "tide-pools.epub") in home


def test_search_index_is_reproducible(tmp_path):
    folders = []
    for name in ("a", "b"):
        out = tmp_path / name
        proc = cli(["build", str(MINI), "--out", str(out), "--format", "html", "--quiet"])
        assert proc.returncode == 0, proc.stderr
        folders.append(out / "tide-pools-web")
    listing = [sorted(p.relative_to(f).as_posix() for p in f.rglob("*") if p.is_file())
               for f in folders]
    assert listing[0] == listing[1] and any(n.startswith("pagefind/index/") for n in listing[0])
    for name in listing[0]:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name


def last_chapter_word() -> str:
    """A long word that only the last chapter uses (read from the sources)."""
    texts = {path: (EXPLAINER / path).read_text("utf-8").lower()
             for path in tomllib.loads((EXPLAINER / "book.toml").read_text("utf-8"))["chapters"]}
    others = " ".join(t for p, t in texts.items() if p != LAST_CHAPTER)
    words = sorted(set(re.findall(r"[a-z]{8,}", texts[LAST_CHAPTER])) - set(re.findall(
        r"[a-z]{8,}", others)))
    assert words
    return words[0]


def search(page, base: str, query: str) -> list[dict]:
    page.goto(f"{base}search.html?q={query}")
    page.wait_for_selector("#search-results[aria-busy=false]", state="attached")
    return page.eval_on_selector_all(".search-results a", """all => all.map(a => ({
        href: a.href, text: a.textContent}))""")


@pytest.mark.localhost
def test_search_finds_the_last_chapter_and_opens_at_the_heading(page, explainer_server):
    word = last_chapter_word()
    links = search(page, explainer_server.url, word)
    title = read_chapter(EXPLAINER, LAST_CHAPTER).title
    assert links and links[0]["text"] == title, (word, links)
    assert page.locator(".search-results mark").count() > 0
    links = search(page, explainer_server.url, "corridor")
    anchored = [link["href"] for link in links if "#" in link["href"]]
    assert anchored, links
    for href in anchored[:4]:  # the word is under the heading the result opens at
        page.goto(href)
        target = href.split("#", 1)[1]
        section = page.evaluate("""id => {
            const start = document.getElementById(id);
            if (!/^H[1-6]$/.test(start.tagName)) return null;
            let text = '', node = start.nextElementSibling;
            while (node && !/^H[1-6]$/.test(node.tagName)) {
                text += node.textContent; node = node.nextElementSibling; }
            return text; }""", target)
        assert section is not None and "corridor" in section.lower(), href
    assert page.problems == []


def precached(web: Path) -> list[str]:
    """The files the edition's service worker keeps, read from its header."""
    worker = (web / "sw.js").read_text("utf-8")
    return json.loads(re.search(r"^const FILES = (\[.*?\]);$", worker, re.M | re.S)[1])


@pytest.mark.localhost
def test_search_works_offline_once_the_site_was_loaded(browser, web, published):
    files = sorted(p.relative_to(web).as_posix() for p in web.rglob("*") if p.is_file())
    downloads = [f"{SLUG}.pdf", f"{SLUG}.epub", "sw.js"]
    assert precached(web) == [f for f in files if f not in downloads]
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.problems = []
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    try:
        tab.goto(published)
        tab.wait_for_function("navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        assert tab.evaluate(f"""fetch('{SLUG}.pdf').then(r => r.status, () => 'offline')""") \
            == "offline"  # really offline: a download (not kept) cannot be fetched
        links = search(tab, published, last_chapter_word())
        assert links and links[0]["text"] == read_chapter(EXPLAINER, LAST_CHAPTER).title
        tab.goto(links[0]["href"])  # the chapter opens, with its stylesheet
        assert tab.inner_text("main h1") == links[0]["text"]
        assert tab.evaluate("document.styleSheets[0].cssRules.length") > 0
        assert tab.problems == []
    finally:
        context.close()


# One word per script, each in a chapter of its own, so a result names the chapter it came from.
SCRIPT_WORDS = {"Armenian": "Ստեփանակերտ", "Greek": "θαλάσσιος", "Cyrillic": "приливный",
                "Arabic": "المدّ", "Devanagari": "ज्वार", "Hebrew": "גאות"}


@pytest.mark.localhost
def test_search_finds_words_in_every_script_the_book_uses(page, tmp_path):
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    manifest = (project / "book.toml").read_text("utf-8")
    chapters = []
    for script, word in SCRIPT_WORDS.items():
        name = f"chapters/{script.lower()}.md"
        (project / name).write_text(f"# In {script}\n\nThe pools are called {word} there.\n",
                                    "utf-8")
        chapters.append(name)
    (project / "book.toml").write_text(manifest.replace(
        'chapters = ["chapters/one.md", "chapters/two.md"]',
        f"chapters = {json.dumps(['chapters/one.md', 'chapters/two.md', *chapters])}"), "utf-8")
    proc = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html",
                "--quiet"])
    assert proc.returncode == 0, proc.stderr
    with static_server(tmp_path / "out" / "tide-pools-web") as url:
        for script, word in SCRIPT_WORDS.items():
            links = search(page, url, word)
            assert [link["text"] for link in links][:1] == [f"In {script}"], (word, links)
    assert page.problems == []


@pytest.mark.localhost
@pytest.mark.parametrize(("language", "text", "word"), [
    ("ja", "岩場の潮だまりには小さな生き物がたくさん住んでいる。", "生き物"),
    ("zh-Hans", "岩石上的潮汐池里住着许多小生物。", "潮汐")])
def test_search_finds_a_word_inside_unspaced_text(page, tmp_path, language, text, word):
    """Chinese and Japanese write without spaces: the index is cut into words by the
    language of the pages (Pagefind's extended binary), so a word inside a sentence is found."""
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    (project / "book.toml").write_text((project / "book.toml").read_text("utf-8").replace(
        'language = "en"', f'language = "{language}"'), "utf-8")
    (project / "chapters" / "two.md").write_text(f"# 潮\n\n{text}\n", "utf-8")
    proc = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html",
                "--quiet"])
    assert proc.returncode == 0, proc.stderr
    with static_server(tmp_path / "out" / "tide-pools-web") as url:
        links = search(page, url, word)
    assert [link["text"] for link in links][:1] == ["潮"], links


def test_head_names_the_book_for_link_previews_and_catalogues(tmp_path, web):
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    base = "https://example.org/tides/"
    with (project / "book.toml").open("a", encoding="utf-8") as manifest:
        manifest.write(f'\n[web]\nbase-url = "{base}"\n')
    for fmt in ("epub", "html"):
        proc = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", fmt,
                    "--quiet"])
        assert proc.returncode == 0, proc.stderr
    site = tmp_path / "out" / "tide-pools-web"
    meta = tomllib.loads((MINI / "book.toml").read_text("utf-8"))
    home = lxml.html.parse(site / "index.html").getroot()
    head = {(e.get("name") or e.get("property")): e.get("content")
            for e in home.iter("meta") if e.get("content") is not None}
    assert head["description"] == head["og:description"] == meta["description"]
    assert head["og:title"] == meta["title"] and head["og:type"] == "book"
    assert head["og:image"] == base + "cover.png" and (site / "cover.png").is_file()
    assert home.find(".//link[@rel='canonical']").get("href") == head["og:url"] == base
    ld = json.loads(home.find(".//script[@type='application/ld+json']").text)
    assert ld["@type"] == "Book" and ld["name"] == meta["title"] and ld["url"] == base
    assert [a["name"] for a in ld["author"]] == ["Ada Example"]
    assert ld["workExample"][0]["url"] == base + "tide-pools.epub"
    first = chapter_pages(site)[0]
    chapter = lxml.html.parse(site / first).getroot()
    assert chapter.find(".//link[@rel='canonical']").get("href") == base + first
    assert "base-url" not in (EXPLAINER / "book.toml").read_text("utf-8")
    unset = lxml.html.parse(web / "index.html").getroot()
    assert unset.find(".//link[@rel='canonical']") is None  # no base-url: no address made up
    assert unset.find(".//meta[@property='og:image']").get("content") == "cover.png"


@pytest.mark.localhost
def test_offline_copy_on_a_host_that_redirects_pages(browser, web):
    """The worker keeps a plain copy of a redirected page: browsers refuse a response marked
    as redirected for a navigation, which would break every page, online too."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    try:
        with static_server(web, PrettyHandler) as url:
            tab.goto(url)
            tab.wait_for_function("navigator.serviceWorker.controller !== null")
            first = chapter_pages(web)[0]
            for offline in (False, True):
                context.set_offline(offline)
                tab.goto(url + first)
                assert tab.locator("main h1").count() == 1, offline
    finally:
        context.close()


def test_search_from_disk_says_it_needs_a_server(page, web):
    page.goto(web.joinpath("search.html").as_uri() + "?q=corridor")
    assert "web server" in page.inner_text("#search-status")


def test_dark_mode_changes_the_colours(browser, web):
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
        tab = context.new_page()
        tab.goto(web.joinpath(chapter_pages(web)[0]).as_uri())
        colours[scheme] = tab.evaluate("""() => {
            const s = getComputedStyle(document.documentElement);
            const box = document.querySelector('aside.key-figures');
            return [s.color, s.backgroundColor, box && getComputedStyle(box).backgroundColor]; }""")
        context.close()
    light, dark = colours["light"], colours["dark"]
    assert light[0] != dark[0] and light[1] != dark[1], colours
    assert light[2] is None or light[2] != dark[2], colours


def test_print_hides_the_navigation_and_prints_link_addresses(page, tmp_path):
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    (project / "book.toml").write_text((project / "book.toml").read_text("utf-8").replace(
        'language = "en"', 'language = "en-GB"'), "utf-8")
    chapter = project / "chapters" / "one.md"
    url = "https://example.org/tides"
    chapter.write_text(chapter.read_text("utf-8") + f"\nSee [the tide tables]({url}).\n",
                       "utf-8")
    proc = cli(["build", str(project), "--out", str(tmp_path / "out"), "--format", "html"])
    assert proc.returncode == 0, proc.stderr
    web = tmp_path / "out" / "tide-pools-web"
    page.goto(web.joinpath(chapter_pages(web)[0]).as_uri())
    assert page.is_visible("header.site-header") and page.is_visible("nav.pager")
    page.emulate_media(media="print")
    assert not page.is_visible("header.site-header") and not page.is_visible("nav.pager")
    assert "@page { size: A4; }" in (web / "book.css").read_text("utf-8")  # en-GB paper
    printed = page.evaluate("""url => getComputedStyle(
        document.querySelector(`main a[href="${url}"]`), '::after').content""", url)
    assert url in printed


def test_paper_follows_the_language():
    from book.web.site import paper_size

    assert [paper_size(tag) for tag in ("en", "en-US", "en-GB", "fr", "es-MX", "hy", "en-CA")] \
        == ["letter", "letter", "A4", "A4", "letter", "A4", "letter"]


def test_a_tap_or_enter_on_a_glossary_term_shows_its_definition(browser, web):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    tab = context.new_page()
    try:
        first = chapter_pages(web)[0]
        tab.goto(web.joinpath(first).as_uri())
        term = tab.locator("a.glossary-term").first
        href = term.get_attribute("href")
        assert "glossary.html#" in href  # still a link to the entry
        popup = tab.locator("#" + term.get_attribute("aria-controls"))
        assert term.get_attribute("aria-expanded") == "false" and not popup.is_visible()
        term.tap()
        assert popup.is_visible() and term.get_attribute("aria-expanded") == "true"
        assert tab.url.endswith(first)
        entry = popup.locator("a")
        assert entry.get_attribute("href") == href
        assert len(popup.inner_text()) > 40  # the definition's words
        tab.keyboard.press("Escape")
        assert not popup.is_visible() and term.get_attribute("aria-expanded") == "false"
        term.focus()
        tab.keyboard.press("Enter")
        assert popup.is_visible()
    finally:
        context.close()


@pytest.mark.localhost
def test_the_keyboard_alone_reaches_the_text_search_and_a_result(page, published):
    """Tab, typing and Enter only: the skip link shows and leads to the text, the header's
    search field takes a query, and a result opens its chapter."""
    page.goto(published)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # shown
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    while page.evaluate("document.activeElement.type") != "search":
        page.keyboard.press("Shift+Tab")  # back up to the header's search field
    page.keyboard.type("corridor")
    page.keyboard.press("Enter")
    page.wait_for_selector(".search-results a")
    for _ in range(40):  # from the search field on to the first result
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.search-results') !== null"):
            break
    target = page.evaluate("document.activeElement.href")
    assert target, "no result reached with Tab"
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    assert page.locator("main h1").count() == 1
    assert page.problems == []


def axe_violations(tab) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    results = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])}x: "
            f"{v['nodes'][0]['target']})" for v in results["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.localhost
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation(browser, web, explainer_server, viewport, scheme):
    assert AXE.is_file(), "axe-core is missing: run scripts/install-ace (make test does)"
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    tab = context.new_page()
    found = {}
    try:
        chapter, glossary = chapter_pages(web)[1], chapter_pages(web)[-1]
        for path in ("", chapter, glossary, "search.html?q=corridor"):
            tab.goto(explainer_server.url + path)
            if path.startswith("search"):
                tab.wait_for_selector(".search-results li")
            elif path == chapter:
                tab.locator("a.glossary-term").first.click()  # with a definition open
            found[path or "index"] = axe_violations(tab)
    finally:
        context.close()
    assert not any(found.values()), found


def test_release_web_archive_offers_the_released_files(tmp_path):
    """`book release` zips the web folder: the editions in it are the released files, under
    their released names, and the home page gives their checksums."""
    import zipfile

    from test_release import final_names, make_repo, run

    released = run(make_repo(tmp_path / "book"), "release")
    assert released.code == 0, released.stderr
    pdf, epub, web_zip = final_names("tide-pools")[:3]
    top = web_zip.removesuffix(".zip")
    with zipfile.ZipFile(released.dist / web_zip) as archive:
        home = archive.read(f"{top}/index.html").decode("utf-8")
        for name in (pdf, epub):
            digest = sha256(released.dist / name)
            assert hashlib.sha256(archive.read(f"{top}/{name}")).hexdigest() == digest
            assert f'href="{name}"' in home and digest in home
