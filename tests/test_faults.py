"""Faults and interruptions: nothing is lost.

A crash mid-EPUB or mid-PDF, a full disk, Ctrl-C, SIGTERM and SIGKILL at random moments,
and two builds into one folder at once: the previous editions keep their sha256, no
partial file ever sits under a final name, and every exit code the README documents is
what the command returns.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from book.cli import main as cli
from conftest import MINI, REPO
from helpers import digests, entries, one_error, run_blocked, run_main

EPOCH = "1700000000"
# What a build may leave beside the published names when it is killed: a temporary link
# (the next build removes it), never anything under a final name. Its unfinished edition
# sets are inside .editions, which no reader opens; the next build removes them too.
LEFTOVER = re.compile(r"^\.tide-pools(\.pdf|\.epub|-web)\.[A-Za-z0-9_]{8}\.tmp$")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """mini's three editions built by the real command with a fixed SOURCE_DATE_EPOCH
    (builds are reproducible, so a build that completes rewrites the same bytes)."""
    out = tmp_path_factory.mktemp("reference") / "dist"
    result = run_blocked(["build", str(MINI), "--out", str(out), "--quiet"])
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def previous(tmp_path, reference) -> Path:
    """A private output folder holding the previous editions."""
    out = tmp_path / "out"
    shutil.copytree(reference, out, symlinks=True)  # as a build leaves it: links into sets
    return out


@pytest.fixture
def changed(tmp_path, monkeypatch) -> Path:
    """A copy of mini whose text changed since the previous editions were built, so any
    edition this build wrote would show; in-process builds use the fixed epoch too."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    chapter = project / "chapters" / "two.md"
    chapter.write_text(chapter.read_text("utf-8") + "\nA new closing line.\n", "utf-8")
    return project


def assert_untouched(out: Path, before: dict[str, str], names: set[str]) -> None:
    assert digests(out) == before, "an edition in the output folder changed"
    assert entries(out) == names, f"files left behind: {sorted(entries(out) - names)}"


def build_args(project: Path, out: Path, *formats: str) -> list[str]:
    return ["build", str(project), "--out", str(out), "--quiet",
            *[a for f in formats for a in ("--format", f)]]


# --------------------------------------------------------------------------- exceptions

def test_exception_mid_epub_keeps_every_edition(changed, previous, monkeypatch):
    """EbookLib fails half-way through its zip, after the PDF of the same build is ready:
    neither the EPUB nor that PDF replaces the previous one (all editions or none)."""
    from ebooklib import epub

    real = epub.EpubWriter._write_items

    def crash(self):
        real(self)  # the items are in the zip; the crash comes before it is closed
        raise RuntimeError("simulated crash mid-EPUB")

    monkeypatch.setattr(epub.EpubWriter, "_write_items", crash)
    before, names = digests(previous), entries(previous)
    code, _, stderr = run_main(build_args(changed, previous))  # pdf, epub, html in order
    assert code == 1, stderr
    assert one_error(stderr) == "error: build failed: EPUB: simulated crash mid-EPUB"
    assert_untouched(previous, before, names)


def test_exception_mid_pdf(changed, previous, monkeypatch):
    import weasyprint.document

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash mid-PDF")

    monkeypatch.setattr(weasyprint.document, "generate_pdf", crash)
    before, names = digests(previous), entries(previous)
    code, _, stderr = run_main(build_args(changed, previous))
    assert code == 1, stderr
    assert one_error(stderr) == "error: build failed: RuntimeError: simulated crash mid-PDF"
    assert_untouched(previous, before, names)


def test_crash_while_an_edition_is_being_written(changed, previous, monkeypatch):
    """The temporary file holds part of the new EPUB when the write fails: it goes, and
    the PDF written just before is not put in place either."""
    import book.output

    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the PDF's temporary file was the first
            raise RuntimeError("simulated crash while writing")
        return real_fsync(fd)

    monkeypatch.setattr(book.output.os, "fsync", fsync)
    before, names = digests(previous), entries(previous)
    code, _, stderr = run_main(build_args(changed, previous, "pdf", "epub"))
    assert code == 1, stderr
    assert "simulated crash while writing" in one_error(stderr)
    assert_untouched(previous, before, names)


def test_disk_full(changed, previous, monkeypatch):
    import book.output

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(book.output.os, "fsync", no_space)
    before, names = digests(previous), entries(previous)
    code, _, stderr = run_main(build_args(changed, previous))
    assert code == 1, stderr
    assert one_error(stderr) == "error: build failed: No space left on device"
    assert_untouched(previous, before, names)


def test_file_size_limit_in_a_real_process(tmp_path, previous):
    """The kernel refuses writes past RLIMIT_FSIZE (EFBIG) as it would on a full disk:
    the PDF (180 KB) is ready when the EPUB (880 KB) hits the limit; the real command
    fails cleanly with exit 1 and neither edition replaces the previous one."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / "chapters" / "two.md").write_text(
        (MINI / "chapters" / "two.md").read_text("utf-8") + "\nChanged.\n", "utf-8")
    before, names = digests(previous), entries(previous)
    limit = 512 * 1024  # above the fonts WeasyPrint copies while laying out (< 300 KB)

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "book.cli",
                             *build_args(project, previous, "pdf", "epub")],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                            preexec_fn=small_files)
    assert result.returncode == 1, result.stderr
    error = one_error(result.stderr)
    assert error.startswith("error: build failed: ") and "File too large" in error, error
    assert_untouched(previous, before, names)


# --------------------------------------------------------------------------- signals

def test_ctrl_c_mid_write_exits_130(changed, previous, monkeypatch):
    import book.output

    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(book.output.os, "fsync", interrupt)
    before, names = digests(previous), entries(previous)
    code, _, stderr = run_main(build_args(changed, previous))
    assert code == 130
    assert stderr.strip() == "interrupted"
    assert_untouched(previous, before, names)


def _default_sigint() -> None:
    # A shell that starts the test run in the background has SIGINT ignored, and every
    # child would inherit that; the command is meant for a terminal, where Ctrl-C arrives.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("layout", ["single", "chunked"])
@pytest.mark.parametrize("signum, code, word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")],
                         ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_real_build(tmp_path, previous, signum, code, word, layout):
    """Ctrl-C (SIGINT) and SIGTERM reach the command while it lays the book out: it
    stops with 130 or 143, removes its temporary files and keeps the previous editions."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    # Long enough to lay out that the signal lands mid-build even on a loaded machine.
    chapter = project / "chapters" / "two.md"
    chapter.write_text(chapter.read_text("utf-8") + "\n\n" + "\n\n".join(
        f"Paragraph {n} about the tide, the rocks and the creatures left behind." * 6
        for n in range(400)) + "\n", "utf-8")
    before, names = digests(previous), entries(previous)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "book.cli", "build", str(project),
                             "--out", str(previous), "--format", "pdf", "--format", "epub",
                             "--layout", layout],
                            cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_default_sigint)
    first = proc.stderr.readline()  # "loaded … chapters": layout starts now
    assert first.startswith("loaded"), first
    proc.send_signal(signum)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == code, first + rest
    assert rest.strip().splitlines()[-1] == word, rest
    assert "Traceback" not in rest
    assert_untouched(previous, before, names)


# The command on a slow disk: every write into the output folder goes out in 8 KB pieces,
# 3 ms apart, so that writing the editions takes a good part of a second and random kills
# land in the middle of writes often (a build that wrote to the final names directly would
# be caught leaving a partial file).
SLOW_DISK = """
import builtins, io, os, sys, time
OUT = os.path.realpath(os.environ["BOOK_SLOW_DIR"]) + os.sep

class Slow:
    def __init__(self, handle):
        self._handle = handle
    def write(self, data):
        view = data if isinstance(data, str) else memoryview(data).cast("B")
        for start in range(0, len(view), 8192):
            self._handle.write(view[start:start + 8192])
            self._handle.flush()
            time.sleep(0.003)
        return len(view)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)
    def __getattr__(self, name):
        return getattr(self._handle, name)

def slow(handle, where, mode):
    if any(m in str(mode) for m in "wax+") and os.path.realpath(str(where)).startswith(OUT):
        return Slow(handle)
    return handle

real_open, real_fdopen = builtins.open, os.fdopen
def open_(file, mode="r", *args, **kwargs):
    handle = real_open(file, mode, *args, **kwargs)
    return handle if isinstance(file, int) else slow(handle, file, mode)
def fdopen(fd, mode="r", *args, **kwargs):
    return slow(real_fdopen(fd, mode, *args, **kwargs), os.readlink(f"/proc/self/fd/{fd}"), mode)
builtins.open = io.open = open_
os.fdopen = fdopen
from book.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_at_random_moments(tmp_path, reference):
    """At least 20 builds killed with SIGKILL 0.05–1.5 s after they start (two workers
    in parallel, each into its own folder, on the slow disk above): after every kill each
    previous edition keeps
    its sha256 and anything else in the folder is a temporary name; the next build
    completes, removes those leftovers and writes valid editions."""
    failures: list[str] = []
    kills: list[int] = []

    def worker(index: int) -> None:
        out = tmp_path / f"out-{index}"
        shutil.copytree(reference, out, symlinks=True)
        before, names = digests(out), entries(out)
        rng = random.Random(1000 + index)
        cycle = [("pdf",), ("epub",), ("pdf", "epub", "html")]
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(tmp_path),
               "BOOK_SLOW_DIR": str(out)}
        done = attempts = 0
        while done < 11 and attempts < 40:
            formats = cycle[attempts % len(cycle)]
            attempts += 1
            proc = subprocess.Popen([sys.executable, "-c", SLOW_DISK,  # --clean: really
                                     *build_args(MINI, out, *formats), "--clean"],  # build
                                    cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, 1.5))
            if proc.poll() is None:
                proc.kill()
                done += 1
            elif proc.returncode != 0:
                failures.append(f"worker {index}: a build that was not killed failed "
                                f"(exit {proc.returncode})")
            proc.wait()
            now = digests(out)
            if {name: now.get(name) for name in before} != before:
                failures.append(f"worker {index}, kill {done}: an edition changed")
            if not names <= entries(out):
                failures.append(f"worker {index}, kill {done}: an edition is missing")
            strays = [n for n in entries(out) - names if not LEFTOVER.match(n)]
            if strays:
                failures.append(f"worker {index}, kill {done}: unexpected files {strays}")
        kills.append(done)
        result = subprocess.run([sys.executable, "-m", "book.cli", *build_args(MINI, out)],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            failures.append(f"worker {index}: the build after the kills failed: {result.stderr}")
        if entries(out) != names or digests(out) != before:
            failures.append(f"worker {index}: after a full build: "
                            f"{sorted(entries(out) ^ names)} differ")
        sets = sorted(p.name for p in (out / ".editions").iterdir())
        if len(sets) != 2 or sets[0] != "current":
            failures.append(f"worker {index}: after a full build, edition sets {sets}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, "\n".join(failures)
    assert sum(kills) >= 20, kills
    check_editions(tmp_path / "out-0")


def check_editions(out: Path) -> None:
    """The editions in `out` are whole: the PDF parses to its last page, the EPUB's zip
    checks out with its mimetype first, the web edition has its index."""
    import pypdf

    reader = pypdf.PdfReader(str(out / "tide-pools.pdf"), strict=True)
    assert len(reader.pages) > 5
    assert reader.pages[-1].extract_text() is not None
    with zipfile.ZipFile(out / "tide-pools.epub") as epub:
        assert epub.testzip() is None
        assert epub.namelist()[0] == "mimetype"
    assert "</html>" in (out / "tide-pools-web" / "index.html").read_text("utf-8")


# --------------------------------------------------------------------------- two builds

def test_second_build_names_the_first_ones_pid(changed, previous):
    before, names = digests(previous), entries(previous)
    with open(previous / ".book.lock", "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.seek(0)
        lock.truncate()
        lock.write("4242")
        lock.flush()
        code, _, stderr = run_main(build_args(changed, previous))
    assert code == 1, stderr
    error = one_error(stderr)
    assert error.startswith("error: build failed: another build (pid 4242) is writing to "), error
    assert_untouched(previous, before, names)


def test_two_builds_at_once_into_one_folder(tmp_path, reference):
    """Either the second waits its turn or it stops naming the first's pid; whichever,
    at least one succeeds and the folder ends with whole, correct editions."""
    out = tmp_path / "out"
    procs = [run_blocked(build_args(MINI, out), wait=False) for _ in range(2)]
    results = [(proc, *proc.communicate(timeout=300)) for proc in procs]
    codes = sorted(proc.returncode for proc, _, _ in results)
    assert codes in ([0, 0], [0, 1]), [err for _, _, err in results]
    for proc, _, stderr in results:
        if proc.returncode == 1:
            other = next(p for p in procs if p is not proc)
            assert one_error(stderr).startswith(f"error: build failed: another build "
                                                f"(pid {other.pid}) is writing to {out}")
    assert digests(out) == digests(reference)
    check_editions(out)


# --------------------------------------------------------------------------- exit codes

def test_strict_turns_warnings_into_exit_3(tmp_path):
    """A stylesheet that blows the pictures up prints them under 150 dpi: a warning, exit
    0; with --strict, exit 3 (the editions are still written)."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project)
    (project / "styles").mkdir()
    (project / "styles" / "wide.css").write_text(
        "img, figure.photo img { width: 100%; max-width: none; max-height: none; }\n", "utf-8")
    from PIL import Image
    Image.new("RGB", (24, 24), (200, 60, 40)).save(project / "assets" / "snail.png")
    for flag, code in (([], 0), (["--strict"], 3)):
        out = tmp_path / f"out{len(flag)}"
        result = run_blocked(["build", str(project), "--out", str(out), "--quiet",
                              "--format", "pdf", *flag])
        assert result.returncode == code, result.stderr
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("warning: ") for line in lines), result.stderr
        assert any("assets/snail.png prints at" in line for line in lines)
        assert (out / "tide-pools.pdf").is_file()


def test_every_documented_exit_code_is_the_commands():
    """README's exit-code list is what book.cli returns; the tests above cover each:
    0 and 2 (test_hostile), 1 (crashes, disk full, the lock), 3 (--strict), 130 and 143
    (signals)."""
    readme = (REPO / "README.md").read_text("utf-8")
    line = next(line for line in readme.splitlines() if "Exit codes" in line)
    block = readme[readme.index(line):].split("\n- ", 1)[0]
    documented = {int(n) for n in re.findall(r"`(\d+)`", block)}
    constants = {cli.EXIT_OK, cli.EXIT_BUILD, cli.EXIT_INPUT, cli.EXIT_WARNINGS,
                 cli.EXIT_INTERRUPTED, cli.EXIT_TERMINATED}
    assert documented == constants == {0, 1, 2, 3, 130, 143}
