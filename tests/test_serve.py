"""`book serve` in a real browser: Debian's Chromium, driven by Playwright, opens the served
web edition of a copy of the mini project, follows the contents, loads every image, and
sees a saved edit (and a broken save, and its fix) without anyone pressing reload."""

from __future__ import annotations

import http.client
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from html import escape
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from conftest import EPOCH, MINI, REPO

pytestmark = pytest.mark.localhost  # the server and browser talk over 127.0.0.1 only

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
UPDATE_SECONDS = 2


class Server:
    """`book serve PROJECT --port 0` in a subprocess; its output lines are read as they come."""

    def __init__(self, project: Path, *extra: str):
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "book.cli", "serve", str(project), "--port", "0", *extra],
            cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"^serving (http://127\.0\.0\.1:\d+/) ")[1]
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 15) -> re.Match:
        """The first output line from now on that matches `pattern`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} in {timeout}s; "
                                     f"output so far:\n" + "\n".join(self.seen)) from None
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def get(self, raw_path: str) -> tuple[int, str]:
        """Status and body for a path sent exactly as written (no client normalizing)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.putrequest("GET", raw_path, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    return folder


@pytest.fixture
def server(project):
    running = Server(project)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """A page that records every console error, page error and failed request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"  # left the page
           and tab.problems.append(f"failed: {r.url} {r.failure}"))
    tab.on("response", lambda r: r.status >= 400 and tab.problems.append(f"{r.status}: {r.url}"))
    try:
        yield tab
    finally:
        context.close()


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
    running = Server(project)
    try:
        problem = "error: chapters/two.md:17: photo 'winkle' is not in assets/photos.toml"
        assert problem in running.seen
        status, body = running.get("/")
        assert status == 503 and escape(problem.removeprefix("error: ")) in body
        save(chapter, "\n\n![](photo:winkle)", "")
        running.wait_for(r"^fixed; built in ")
        status, body = running.get("/")
        assert status == 200 and "Life between the tides" in body
    finally:
        running.stop()


def test_pdf_is_kept_rebuilt(project):
    running = Server(project, "--pdf")
    try:
        pdf = Path(running.wait_for(r"^wrote (\S+\.pdf) ", timeout=60)[1])
        assert pdf == project.resolve() / "dist" / "tide-pools.pdf"
        first = pdf.stat().st_mtime_ns
        save(project / "chapters" / "two.md", "Crabs scuttle", "Crabs hurry")
        running.wait_for(r"^wrote \S+\.pdf ", timeout=60)
        assert pdf.stat().st_mtime_ns > first
    finally:
        running.stop()
