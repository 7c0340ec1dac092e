"""Helpers shared by the test modules: running `book` in-process or in a child process
whose network is blocked, building broken copies of the mini project, reading what a
build left behind, and `book serve` with the Chromium that opens it. Fixtures live in
conftest.py; tests import these from here."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from book.cli import main as book_cli
from conftest import EPOCH, cli

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "projects" / "mini"
BOOKKEEPING = (".book.lock", ".book-cache")  # the build lock, the no-op rebuild's record


# --------------------------------------------------------------------------- running book

def run_main(args: list[str]) -> tuple[int, str, str]:
    """`book …` in-process (for faults injected with monkeypatch): (exit code, stdout,
    stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = book_cli.main(args)
    return code, out.getvalue(), err.getvalue()


NO_NETWORK = """
import socket, sys
def blocked(*args, **kwargs):
    sys.stderr.write("NETWORK ATTEMPT %r\\n" % (args,))
    raise OSError("network blocked")
socket.socket.connect = socket.socket.connect_ex = blocked
socket.getaddrinfo = socket.create_connection = blocked
from book.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run_blocked(args: list[str], wait: bool = True):
    """The real `book` command in a child process whose sockets cannot connect, not even
    to 127.0.0.1 (the attempt is reported on stderr)."""
    command = [sys.executable, "-c", NO_NETWORK, *args]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    if not wait:
        return subprocess.Popen(command, cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True,
                          timeout=300)


# --------------------------------------------------------------------------- reading errors

def one_error(stderr: str) -> str:
    """The only line on stderr, which must be a located error."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, "expected exactly one error line:\n" + stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def error_lines(stderr: str) -> list[str]:
    """The `error: …` lines on stderr (no traceback among them)."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def line_of(path: Path, needle: str) -> int:
    """1-based number of the only line of `path` containing `needle`."""
    found = [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {path}"
    return found[0]


# --------------------------------------------------------------------------- projects

def project_with(tmp_path: Path, files: dict[str, str], chapters: list[str]) -> Path:
    """A copy of the mini project with extra files and book.toml listing `chapters`."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, "utf-8")
    manifest = project / "book.toml"
    listed = "chapters = [\n" + "".join(f'  "{c}",\n' for c in chapters) + "]"
    manifest.write_text(re.sub(r"^chapters = .*$", lambda _: listed,
                               manifest.read_text("utf-8"), flags=re.M), "utf-8")
    return project


# --------------------------------------------------------------------------- output folders

# The build's own records, and the edition sets the published names link into (what a
# reader gets is reached through those links, so it is listed under the names).
UNPUBLISHED = (*BOOKKEEPING, ".editions")


def build_both_layouts(project: Path, root: Path) -> dict[str, Path]:
    """`project` built into root/out-chunked (every edition) and root/out-single (the PDF
    laid out as one document): the output folder by layout."""
    outs = {}
    for layout in ("chunked", "single"):
        out = root / f"out-{layout}"
        formats = [] if layout == "chunked" else ["--format", "pdf"]
        result = cli(["build", str(project), "--out", str(out), "--layout", layout,
                      "--quiet", *formats])
        assert result.returncode == 0, result.stderr
        outs[layout] = out
    return outs


def run_builds(jobs: dict[str, list[str]], at_once: int) -> None:
    """Run each job's CLI arguments, `at_once` processes at a time; every one must exit 0
    and print nothing on stderr."""
    names = list(jobs)
    for start in range(0, len(names), at_once):
        procs = {name: cli(jobs[name], wait=False) for name in names[start:start + at_once]}
        for name, proc in procs.items():
            _, stderr = proc.communicate(timeout=600)
            assert proc.returncode == 0, f"{name}: exit {proc.returncode}\n{stderr}"
            assert stderr == "", stderr


def _published(folder: Path) -> list[Path]:
    """Every file and folder a reader reaches under `folder`, following the published
    names' links (os.walk with followlinks; a link to nothing is listed, as a name)."""
    found = []
    for base, folders, files in os.walk(folder, followlinks=True):
        if Path(base) == folder:
            folders[:] = [f for f in folders if f not in UNPUBLISHED]
            files = [f for f in files if f not in UNPUBLISHED]
        found += [Path(base, name) for name in folders + files]
    return sorted(found)


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file a reader opens under `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in _published(folder) if p.is_file()}


def entries(folder: Path) -> set[str]:
    """Every published file and folder under `folder` (links followed)."""
    return {p.relative_to(folder).as_posix() for p in _published(folder)}


# --------------------------------------------------------------------------- serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


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


@contextlib.contextmanager
def serving(project: Path, *extra: str) -> Iterator[Server]:
    """`book serve PROJECT` (Server) for the length of a with block, stopped however it ends."""
    running = Server(project, *extra)
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright, for the length of a with block."""
    from playwright.sync_api import sync_playwright  # only the browser tests pay its import

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def watched_page(browser: Any, viewport: dict[str, int], *,
                 failed_requests: bool = True) -> Iterator[Any]:
    """A page of its own browser context (closed after the with block) whose `problems`
    list every console error, page error and response of 400 or more, and every failed
    request unless `failed_requests` is False (one the page left is no problem)."""
    context = browser.new_context(viewport=viewport)
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(f"console: {m.text}"))
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    if failed_requests:
        tab.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"  # left the page
               and tab.problems.append(f"failed: {r.url} {r.failure}"))
    tab.on("response", lambda r: r.status >= 400 and tab.problems.append(f"{r.status}: {r.url}"))
    try:
        yield tab
    finally:
        context.close()
