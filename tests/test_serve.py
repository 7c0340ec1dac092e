"""`book serve` in a real browser: Debian's Chromium, driven by Playwright, opens the served
web edition of a copy of the mini project, follows the contents, loads every image, and
sees a saved edit (and a broken save, and its fix) without anyone pressing reload."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from conftest import MINI, REPO
from helpers import chromium, serving, watched_page

pytestmark = pytest.mark.localhost  # the server and browser talk over 127.0.0.1 only

UPDATE_SECONDS = 2


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    return folder


@pytest.fixture
def server(project):
    with serving(project) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A page that records every console error, page error and failed request."""
    with watched_page(browser, {"width": 1280, "height": 900}) as tab:
        yield tab


def save(path: Path, old: str, new: str) -> float:
    """Edit a file the way editors that save by rename do; returns when it was saved."""
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text.replace(old, new), "utf-8")
    os.replace(temporary, path)
    return time.monotonic()


def images_loaded(page) -> list[str]:
    """The src of every image on the page, asserting each one decoded."""
    images = page.eval_on_selector_all(
        "img", "all => all.map(i => [i.currentSrc, i.complete && i.naturalWidth > 0])")
    assert all(ok for _, ok in images), images
    return [src for src, _ in images]


def test_contents_links_images_and_console(server, page):
    page.goto(server.url)
    links = page.eval_on_selector_all(
        "nav.toc a", "all => all.map(a => [a.textContent.trim(), a.getAttribute('href')])")
    assert [title for title, _ in links][:2] == ["Life between the tides", "Crabs and snails"]
    shown = set()
    for title, href in links:
        page.goto(server.url)
        with page.expect_navigation():
            page.click(f"nav.toc a[href='{href}']")
        assert page.url == server.url + href
        assert page.inner_text("main h1") == title
        shown.update(images_loaded(page))
    assert {server.url + "assets/photos/anemone.png", server.url + "assets/snail.png"} <= shown
    assert page.problems == [], "\n".join(page.problems)


def test_saved_edit_and_broken_save_update_the_open_page(server, project, page):
    chapter = project / "chapters" / "one.md"
    page.goto(server.url + "chapters.one.html")
    page.evaluate("window.loadedOnce = true")
    saved = save(chapter, "A rock pool is a small sea", "A rock pool is a tiny ocean")
    page.wait_for_function("document.body.innerText.includes('a tiny ocean')",
                           timeout=UPDATE_SECONDS * 1000)
    assert time.monotonic() - saved < UPDATE_SECONDS
    assert page.evaluate("window.loadedOnce") is None, "the page was not reloaded"
    server.wait_for(r"^built in [0-9.]+s: chapters\.one\.html$")

    save(chapter, "short_title: Tides", "shrt_title: Tides")
    overlay = page.wait_for_selector("#book-serve-errors", timeout=UPDATE_SECONDS * 1000)
    assert "error: chapters/one.md:3: unknown front matter key 'shrt_title'" in overlay.inner_text()
    server.wait_for(r"^error: chapters/one\.md:3: unknown front matter key 'shrt_title' "
                    r"\(did you mean 'short_title'\?\)$")
    assert page.inner_text("main h1") == "Life between the tides"  # the last good page stays

    save(chapter, "shrt_title: Tides", "short_title: Tides")
    page.wait_for_selector("#book-serve-errors", state="detached", timeout=UPDATE_SECONDS * 1000)
    server.wait_for(r"^fixed; built in ")
    assert page.problems == [], "\n".join(page.problems)


def test_requests_outside_the_edition_are_404(server, project, tmp_path):
    (tmp_path / "secret.png").write_bytes((project / "assets" / "snail.png").read_bytes())
    (project / "assets" / "escape.png").symlink_to(tmp_path / "secret.png")
    (project / "assets" / "outside").symlink_to(tmp_path, target_is_directory=True)
    assert server.get("/chapters.one.html")[0] == 200
    assert server.get("/assets/snail.png")[0] == 200
    for path in ("/../book.toml", "/%2e%2e/book.toml", "/assets/%2E%2E/%2e%2e/book.toml",
                 "/assets/../../chapters/one.md", "/book.toml", "/chapters/one.md",
                 "/assets/escape.png", "/assets/outside/secret.png", "/%2e%2e%2fbook.toml",
                 "/..%5cbook.toml", "//etc/passwd", "/assets/photos.toml"):
        assert server.get(path)[0] == 404, path


def test_served_script_never_reaches_the_built_edition(server, project, tmp_path):
    assert "/__book/events" in server.get("/chapters.one.html")[1]
    assert not (project / "dist").exists(), "serve without --pdf writes nothing"
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "book.cli", "build", str(project), "--out", str(out),
                    "--format", "html", "--quiet"], cwd=REPO, check=True, timeout=120)
    pages = list(out.glob("*-web/*.html"))
    assert pages and not any("__book" in p.read_text("utf-8") for p in pages)


def test_a_book_that_never_built_shows_its_errors_until_fixed(project):
    chapter = project / "chapters" / "two.md"
    save(chapter, "## Periwinkles", "## Periwinkles\n\n![](photo:winkle)")
    with serving(project) as running:
        problem = "error: chapters/two.md:17: photo 'winkle' is not in assets/photos.toml"
        assert problem in running.seen
        status, body = running.get("/")
        assert status == 503 and escape(problem.removeprefix("error: ")) in body
        save(chapter, "\n\n![](photo:winkle)", "")
        running.wait_for(r"^fixed; built in ")
        status, body = running.get("/")
        assert status == 200 and "Life between the tides" in body


def test_pdf_is_kept_rebuilt(project):
    with serving(project, "--pdf") as running:
        pdf = Path(running.wait_for(r"^wrote (\S+\.pdf) ", timeout=60)[1])
        assert pdf == project.resolve() / "dist" / "tide-pools.pdf"
        first = pdf.stat().st_mtime_ns
        save(project / "chapters" / "two.md", "Crabs scuttle", "Crabs hurry")
        running.wait_for(r"^wrote \S+\.pdf ", timeout=60)
        assert pdf.stat().st_mtime_ns > first
