"""`book release` and `book verify`: editions from a git tag that reproduce byte for byte,
are checksummed, pass the validators, carry the edition, and refuse what is not ready.

Every project here is a git repository made under tmp_path (a copy of tests/projects/mini or
of the explainer's working tree); the heavy releases run at once, in parallel, in the
module fixture. Expected values come from git and the sources, never from the builder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdf
import pytest

from conftest import MINI, NS, REPO, EpubView, normalize, squash

COMMIT_DATE = "2024-05-01T10:00:00+00:00"
COMMIT_TIME = dt.datetime.fromisoformat(COMMIT_DATE)
TAG, EDITION = "v1.2.0", "1.2.0"
CLOCK_SHIFT = 400 * 86400 + 12345  # seconds the second clone's clock runs ahead
CHANGELOG = """# Changelog

## [Unreleased]

### Added
- A chapter on limpets that is not written yet.

## [1.2.0] - 2024-05-01

### Added
- A second photograph of the anemone.

### Corrections
- Beadlet anemones live on the middle shore, not only in deep pools.

## [1.1.0] - 2024-03-01

### Changed
- Clearer captions.
"""
# A clock running CLOCK_SHIFT ahead for every Python-level reading of it.
SITECUSTOMIZE = f"""
import datetime as _dt, time as _time
_SHIFT = {CLOCK_SHIFT}
_real_time, _real_time_ns = _time.time, _time.time_ns
_time.time = lambda: _real_time() + _SHIFT
_time.time_ns = lambda: _real_time_ns() + _SHIFT * 10**9
class _Shifted(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _dt.datetime.fromtimestamp(_time.time(), tz)
    @classmethod
    def utcnow(cls):
        return _dt.datetime.fromtimestamp(_time.time(), _dt.timezone.utc).replace(tzinfo=None)
    @classmethod
    def today(cls):
        return cls.now()
_dt.datetime = _Shifted
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
           "GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE,
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout.strip()


def make_repo(target: Path, source: Path = MINI, files: list[str] | None = None,
              tag: str | None = TAG, changelog: bool = True) -> Path:
    """A one-commit repository holding a copy of `source` (or the listed files of it)."""
    if files is None:
        shutil.copytree(source, target)
    else:
        for name in files:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
    if changelog:
        (target / "CHANGELOG.md").write_text(CHANGELOG, "utf-8")
    (target / ".gitignore").write_text("dist/\n", "utf-8")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "the book")
    if tag:
        git(target, "tag", tag)
    return target


def start(project: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """`book release` (or any subcommand) as a release script runs it: no
    SOURCE_DATE_EPOCH, from inside the project."""
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.Popen([sys.executable, "-m", "book.cli", *args], cwd=project,
                            env={**environ, **(env or {})}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@dataclass
class Run:
    project: Path
    code: int
    stdout: str
    stderr: str

    @property
    def dist(self) -> Path:
        return self.project / "dist"

    def record(self) -> dict:
        return json.loads((self.dist / "release.json").read_text("utf-8"))


def finish(project: Path, proc: subprocess.Popen) -> Run:
    stdout, stderr = proc.communicate(timeout=300)
    assert "Traceback" not in stderr, stderr
    return Run(project, proc.returncode, stdout, stderr)


def run(project: Path, *args: str, env: dict | None = None) -> Run:
    return finish(project, start(project, *args, env=env))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def final_names(slug: str, edition: str = EDITION) -> list[str]:
    return [f"{slug}-{edition}.pdf", f"{slug}-{edition}.epub", f"{slug}-{edition}-web.zip",
            f"{slug}-{edition}-print.pdf", f"{slug}-{edition}-cover.pdf",
            "SHA256SUMS", "release.json"]


def assert_nothing_published(run_: Run, slug: str, edition: str = EDITION) -> None:
    for name in final_names(slug, edition):
        assert not (run_.dist / name).exists(), f"{name} was written by a refused release"
    if run_.dist.exists():
        assert not [p.name for p in run_.dist.iterdir() if p.name.startswith(".release-")]


def explainer_files() -> list[str]:
    """The explainer's working tree as git sees it (tracked and new files, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    return [name for name in listed if name and (REPO / name).is_file()
            and not name.startswith(("book/", "tests/", "bench/"))]


@dataclass
class Releases:
    origin: Path
    commit: str
    first: Run  # a clone, released at the real time
    second: Run  # a clone in another folder, at a shifted clock and time zone, with --json
    reworded: Run  # a clone with one word changed and committed
    new_word: str
    explainer_refused: Run
    explainer: Run
    failing: Run  # an EPUBCheck error the build lets through (CSS-001: unicode-bidi)
    clock_seen: float  # what the shifted clock read in the second clone's environment


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Releases:
    base = tmp_path_factory.mktemp("release")
    origin = make_repo(base / "origin")
    first = base / "a" / "tide-pools"
    second = base / "somewhere" / "else" / "entirely" / "book"
    reworded = base / "reworded"
    for clone in (first, second, reworded):
        clone.parent.mkdir(parents=True, exist_ok=True)
        git(base, "clone", "-q", str(origin), str(clone))
    chapter = reworded / "chapters" / "one.md"
    text = chapter.read_text("utf-8")
    word = re.search(r" ([a-z]{5,}) ", text.split("\n---\n", 1)[-1]).group(1)
    new_word = "marmalade"
    assert new_word not in text.lower()
    chapter.write_text(text.replace(f" {word} ", f" {new_word} ", 1), "utf-8")
    git(reworded, "commit", "-q", "-am", "one word")
    git(reworded, "tag", "-f", TAG)

    clock = base / "clock"
    clock.mkdir()
    (clock / "sitecustomize.py").write_text(SITECUSTOMIZE, "utf-8")
    shifted = {"PYTHONPATH": str(clock), "TZ": "Pacific/Kiritimati"}
    clock_seen = float(subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                                      env={**os.environ, **shifted}, capture_output=True,
                                      text=True, check=True).stdout)

    explainer = make_repo(base / "explainer", REPO, explainer_files(), tag="v1.0.0",
                          changelog=False)
    failing = make_repo(base / "failing")
    # A stylesheet property EPUB forbids (CSS-001) that the build itself lets through.
    (failing / "styles").mkdir(exist_ok=True)
    (failing / "styles" / "bidi.css").write_text("p.aside { unicode-bidi: embed; }\n", "utf-8")
    git(failing, "add", "styles/bidi.css")
    git(failing, "commit", "-q", "-m", "a property EPUB style sheets may not hold")
    git(failing, "tag", "-f", TAG)

    explainer_refused = run(explainer, "release")  # before anything is built
    procs = {
        "first": (first, start(first, "release")),
        "second": (second, start(second, "release", "--json", env=shifted)),
        "reworded": (reworded, start(reworded, "release")),
        "explainer": (explainer, start(explainer, "release", "--allow-stand-ins")),
        "failing": (failing, start(failing, "release")),
    }
    done = {name: finish(project, proc) for name, (project, proc) in procs.items()}
    return Releases(origin, git(origin, "rev-parse", "HEAD"), done["first"], done["second"],
                    done["reworded"], new_word, explainer_refused, done["explainer"],
                    done["failing"], clock_seen)


def mini_slug() -> str:
    return tomllib.loads((MINI / "book.toml").read_text("utf-8"))["slug"]


# --------------------------------------------------------------------------- a release


def test_release_writes_editions_sums_and_record(releases):
    first = releases.first
    assert first.code == 0, first.stderr
    slug = mini_slug()
    names = final_names(slug)
    published = sorted(p.name for p in first.dist.iterdir() if not p.name.startswith("."))
    assert published == sorted(names)
    assert not [p for p in first.dist.iterdir() if p.name.startswith(".release-")]
    editions = names[:5]  # screen PDF, EPUB, web archive, print interior and cover
    sums = (first.dist / "SHA256SUMS").read_text("utf-8").splitlines()
    assert sums == [f"{sha256(first.dist / name)}  {name}" for name in editions]
    record = first.record()
    assert record["edition"] == EDITION
    assert record["commit"] == releases.commit
    assert record["date"] == COMMIT_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [(f["name"], f["size"], f["sha256"]) for f in record["files"]] == [
        (name, (first.dist / name).stat().st_size, sha256(first.dist / name)) for name in editions]
    with pikepdf.open(first.dist / editions[0]) as pdf:
        assert record["pages"] == len(pdf.pages)
    by_tool = {v["tool"]: v for v in record["validators"]}
    assert by_tool["EPUBCheck"]["file"] == editions[1]
    assert (by_tool["EPUBCheck"]["fatals"], by_tool["EPUBCheck"]["errors"],
            by_tool["EPUBCheck"]["warnings"]) == (0, 0, 0)
    assert sorted(v["file"] for v in record["validators"] if v["tool"] == "PDF checks") == \
        sorted([editions[0], editions[3], editions[4]])
    assert all(v["passed"] for v in record["validators"])
    from importlib import metadata  # the libraries that shape the bytes, as installed
    libraries = record["builder"]["libraries"]
    for name in ("weasyprint", "pydyf", "fonttools", "pillow", "pikepdf", "ebooklib"):
        assert libraries[name] == metadata.version(name), name


def test_json_prints_release_json(releases):
    second = releases.second
    assert second.code == 0, second.stderr
    assert json.loads(second.stdout) == second.record()


def test_two_clones_at_different_clock_times_are_byte_identical(releases):
    first, second = releases.first, releases.second
    assert first.project.parent != second.project.parent
    assert releases.clock_seen - dt.datetime.now().timestamp() > CLOCK_SHIFT - 3600
    for name in final_names(mini_slug()):
        assert sha256(first.dist / name) == sha256(second.dist / name), name


def test_one_changed_word_changes_every_edition(releases):
    first, reworded = releases.first, releases.reworded
    assert reworded.code == 0, reworded.stderr
    for name in final_names(mini_slug())[:3]:
        assert sha256(first.dist / name) != sha256(reworded.dist / name), name
    text = "".join(p.extract_text() for p in pypdf.PdfReader(
        reworded.dist / final_names(mini_slug())[0]).pages)
    assert releases.new_word in text


def test_web_archive_is_a_fixed_zip(releases):
    name = final_names(mini_slug())[2]
    with zipfile.ZipFile(releases.first.dist / name) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        top = name.removesuffix(".zip") + "/"
        assert all(n.startswith(top) for n in names) and top + "index.html" in names
        when = COMMIT_TIME
        assert {i.date_time for i in infos} == {
            (when.year, when.month, when.day, when.hour, when.minute, when.second)}
        assert {stat.S_IMODE(i.external_attr >> 16) for i in infos} == {0o644}
        assert archive.testzip() is None


# --------------------------------------------------------------------------- the stamp


def colophon_text_pdf(path: Path) -> str:
    pages = [squash(p.extract_text()) for p in pypdf.PdfReader(path).pages]
    found = [t for t in pages if "Edition " in t and "Published by" in t]
    assert len(found) == 1, "expected one colophon page"
    return found[0]


def colophon_text_epub(epub: EpubView) -> str:
    found = [squash("".join(section.itertext())) for name in epub.xhtml_names
             for section in epub.tree(name).xpath(
                 "//xhtml:section[contains(concat(' ', @class, ' '), ' colophon ')]",
                 namespaces=NS)]
    assert len(found) == 1, "expected one colophon"
    return found[0]


@pytest.mark.parametrize("edition", ["pdf", "epub"])
def test_colophon_names_edition_date_and_commit(releases, edition):
    path = releases.first.dist / final_names(mini_slug())[0 if edition == "pdf" else 1]
    text = colophon_text_pdf(path) if edition == "pdf" else colophon_text_epub(EpubView(path))
    when = COMMIT_TIME
    match = re.search(r"Edition (\S+), (.+?), commit ([0-9a-f]{7,40})\b", text)
    assert match, text
    assert match.group(1) == EDITION
    assert match.group(2) in (f"{when.day} {when:%B %Y}", f"{when:%B} {when.day}, {when.year}",
                              when.strftime("%Y-%m-%d"))
    assert releases.commit.startswith(match.group(3))


def test_epub_metadata_names_book_edition_and_date(releases):
    epub = EpubView(releases.first.dist / final_names(mini_slug())[1])
    unique = epub.opf.get("unique-identifier")
    identifier = epub.opf.xpath(f"//dc:identifier[@id='{unique}']/text()", namespaces=NS)
    assert identifier == [tomllib.loads((MINI / "book.toml").read_text("utf-8"))["identifier"]]
    assert epub.meta("schema:version") == [EDITION]
    assert epub.meta("dcterms:modified") == [COMMIT_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_pdf_metadata_names_edition_commit_and_date(releases):
    with pikepdf.open(releases.first.dist / final_names(mini_slug())[0]) as pdf:
        info = pdf.docinfo
        assert str(info["/Edition"]) == EDITION
        assert releases.commit.startswith(str(info["/Commit"]))
        assert str(info["/CreationDate"]).startswith(COMMIT_TIME.strftime("D:%Y%m%d%H%M%S"))


def test_revision_history_lists_editions_and_corrections(releases):
    pdf_pages = [normalize(p.extract_text()) for p in pypdf.PdfReader(
        releases.first.dist / final_names(mini_slug())[0]).pages]
    history = "".join(t for t in pdf_pages if t.startswith(normalize("Revision history")))
    epub = EpubView(releases.first.dist / final_names(mini_slug())[1])
    [doc] = [n for n in epub.spine if "Revision history" in epub.h1_texts(n)]
    tree = epub.tree(doc)
    editions = [squash("".join(h.itertext())) for h in tree.xpath("//xhtml:h2", namespaces=NS)]
    # in the book's date style (en: Babel's long format), not ISO
    assert editions == ["Edition 1.2.0, May 1, 2024", "Edition 1.1.0, March 1, 2024"]
    correction = "Beadlet anemones live on the middle shore, not only in deep pools."
    [section] = [s for s in tree.xpath("//xhtml:section", namespaces=NS)
                 if "Edition 1.2.0" in "".join(s.itertext()) and "class" in s.attrib
                 and s.get("class") == "revision"]
    kinds = [squash("".join(h.itertext())) for h in section.xpath(".//xhtml:h3", namespaces=NS)]
    assert kinds == ["New", "Corrections"]  # the CHANGELOG's "Added" in readers' words
    items = section.xpath(".//xhtml:h3[.='Corrections']/following-sibling::xhtml:ul[1]/xhtml:li",
                          namespaces=NS)
    assert [squash("".join(li.itertext())) for li in items] == [correction]
    for text in (history, normalize("".join(tree.itertext()))):
        assert normalize("Edition 1.2.0") in text and normalize("Edition 1.1.0") in text
        assert normalize(correction) in text
        assert normalize("not written yet") not in text  # Unreleased is no edition


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def repo(tmp_path) -> Path:
    return make_repo(tmp_path / "book")


def test_refuses_without_an_edition(tmp_path):
    project = make_repo(tmp_path / "book", tag=None)
    result = run(project, "release")
    assert result.code == 5
    assert "no edition" in result.stderr and "--edition" in result.stderr
    assert_nothing_published(result, mini_slug())


def test_refuses_outside_git(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(MINI, project)
    result = run(project, "release", "--edition", EDITION)
    assert result.code == 5
    assert "git" in result.stderr
    assert_nothing_published(result, mini_slug())


def test_refuses_a_dirty_tree_naming_the_files(repo):
    (repo / "chapters" / "one.md").write_text("# Changed\n\nNot committed.\n", "utf-8")
    (repo / "notes.txt").write_text("new file\n", "utf-8")
    result = run(repo, "release")
    assert result.code == 6
    assert "chapters/one.md" in result.stderr and "notes.txt" in result.stderr
    assert "--allow-dirty" in result.stderr
    assert_nothing_published(result, mini_slug())


def test_refuses_stand_ins_naming_each(repo):
    photos = repo / "assets" / "photos.toml"
    manifest = tomllib.loads(photos.read_text("utf-8"))
    photos.write_text(re.sub(r'(?m)^licence = .*$', 'licence = "stand-in"',
                             photos.read_text("utf-8")), "utf-8")
    git(repo, "commit", "-q", "-am", "stand-ins")
    git(repo, "tag", "-f", TAG)
    result = run(repo, "release")
    assert result.code == 7
    for photo_id in manifest:
        assert f"'{photo_id}'" in result.stderr
    assert "--allow-stand-ins" in result.stderr
    assert_nothing_published(result, mini_slug())


def test_refuses_when_a_validator_fails(releases):
    failing = releases.failing
    assert failing.code == 4, failing.stderr
    assert "CSS-001" in failing.stderr and "unicode-bidi" in failing.stderr
    assert "nothing was written" in failing.stderr
    assert_nothing_published(failing, mini_slug())


def test_explainer_refuses_stand_ins_then_releases_with_them(releases):
    refused = releases.explainer_refused
    manifest = tomllib.loads((REPO / "assets" / "photos.toml").read_text("utf-8"))
    stand_ins = [pid for pid, photo in manifest.items() if photo.get("licence") == "stand-in"]
    assert stand_ins
    assert refused.code == 7, refused.stderr
    for photo_id in stand_ins:
        assert f"'{photo_id}'" in refused.stderr
    done = releases.explainer
    assert done.code == 0, done.stderr
    slug = tomllib.loads((REPO / "book.toml").read_text("utf-8"))["slug"]
    record = done.record()
    assert record["edition"] == "1.0.0" and record["allowed"]["stand_ins"]
    assert record["stand_ins"] == len(stand_ins)
    for name in final_names(slug, "1.0.0"):
        assert (done.dist / name).is_file()


# --------------------------------------------------------------------------- book verify


def test_verify_passes_released_files_and_names_failures(releases, tmp_path):
    good_pdf, good_epub = (releases.first.dist / n for n in final_names(mini_slug())[:2])
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(good_pdf) as pdf:
        del pdf.Root["/Lang"]
        del pdf.Root["/StructTreeRoot"]
        del pdf.Root["/Outlines"]
        pdf.save(broken)
    result = run(tmp_path, "verify", str(good_pdf), str(good_epub))
    assert result.code == 0, result.stderr
    assert result.stdout.count(": ok") == 2
    result = run(tmp_path, "verify", str(good_pdf), str(broken), str(tmp_path / "notes.txt"))
    assert result.code == 4
    problems = result.stderr.splitlines()
    assert all(line.startswith(str(broken)) or line.startswith(str(tmp_path / "notes.txt"))
               for line in problems)
    assert any("/Lang" in line for line in problems)
    assert any("structure tree" in line for line in problems)
    assert any("bookmarks" in line for line in problems)
    assert f"{good_pdf}: ok" in result.stdout
