"""Property: whatever book.toml, photo manifest, front matter and Markdown a contributor
writes, `book build` ends either in a valid build (exit 0) or in located errors (exit 2,
each line `error: <a project file>:<a line in it>: …`); never another exception, never a
write outside the output folder, never a read outside the project and the builder.

Hypothesis draws projects from pieces that are valid, nearly valid and hostile (paths out
of the project, URLs, raw HTML, broken YAML and TOML, odd Unicode) and builds the web
edition in-process (the problems are found before any edition is laid out). The examples
are derandomized so CI is repeatable; HYPOTHESIS_EXPLORE=1 draws new ones (and
HYPOTHESIS_EXAMPLES=n sets how many).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
import tomllib
import zoneinfo
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import book
from conftest import MINI
from helpers import run_main

# ---------------------------------------------------------------- watching the disk

WATCH: dict = {"on": False, "writes": [], "reads": []}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
WRITE_EVENTS = {"os.rename": 2, "os.replace": 2, "os.remove": 1, "os.rmdir": 1, "os.mkdir": 1,
                "os.chmod": 1, "os.symlink": 2, "os.link": 2, "os.truncate": 1,
                "shutil.rmtree": 1, "os.utime": 1, "shutil.copyfile": 2, "shutil.move": 2}


def _audit(event: str, args: tuple) -> None:
    if not WATCH or not WATCH["on"]:  # (None while the interpreter tears the module down)
        return
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None))[:3]
        if isinstance(path, int) or path is None:
            return
        writing = (isinstance(mode, str) and any(m in mode for m in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        WATCH["writes" if writing else "reads"].append(os.fsdecode(path))
    elif event in WRITE_EVENTS:
        # A symbolic link's first argument is what it points to (the edition links point
        # through .editions/current): only the link itself is written.
        written = args[1:2] if event == "os.symlink" else args[:WRITE_EVENTS[event]]
        # os.remove and os.rmdir name a file relative to an open folder when given its
        # descriptor (shutil.rmtree does): the folder is read back from /proc.
        folder = args[1] if event in ("os.remove", "os.rmdir") and len(args) > 1 else None
        for path in written:
            if isinstance(path, (str, bytes, os.PathLike)):
                path = os.fsdecode(path)
                if isinstance(folder, int) and folder >= 0 and not os.path.isabs(path):
                    path = os.path.join(os.readlink(f"/proc/self/fd/{folder}"), path)
                WATCH["writes"].append(path)


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one idles unless WATCH["on"]


def inside(path: str, folder: Path) -> bool:
    resolved = Path(os.path.abspath(path))
    return resolved == folder or folder in resolved.parents


# ---------------------------------------------------------------- strategies
# Each example has a level of chaos: 0 draws only well-formed pieces (so that a good share
# of examples builds), 1 lets some pieces be nearly right, 2 lets anything in.

HOSTILE_PATHS = [
    "../../../../../../etc/passwd", "/etc/passwd", "file:///etc/passwd", "/dev/urandom",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "http://169.254.169.254/latest/meta-data/",
    "https://example.com/x.png", "//example.com/x.png", "data:image/png;base64,iVBORw0KGgo=",
    "javascript:alert(1)", "C:\\Windows\\win.ini", "../outside/x.png", "assets/../../x.png",
    "", " ", "a\x00b.png", "photo:", "mailto:a@example.com", "#top", "?q=1",
]
GOOD_IMAGES = ["../assets/snail.png", "../assets/photos/anemone.png", "../assets/drawing.svg"]
NEAR_IMAGES = ["../assets/none.png", "../assets/snail.PNG", "../book.toml", "snail.png"]
CHAPTER_FILES = ["chapters/one.md", "chapters/two.md", "chapters/three.md"]
GOOD_LINKS = ["two.md#shore-crabs", "one.md", "two.md", "photo:anemone", "https://example.com/"]
NEAR_LINKS = ["two.md#nope", "three.md", "photo:missing", "#rock-pools", "four.md#x"]

words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
plain = st.text("abcdefgh ijklmn-opq.,'\"ÄéßΩ中😀", min_size=1, max_size=25).map(
    lambda t: t.strip() or "text")


def pick(chaos: int, good: list, near: list, wild=None):
    """A strategy for one piece at this level of chaos."""
    options = st.sampled_from(good)
    if chaos >= 1:
        options = options | st.sampled_from(near)
    if chaos >= 2 and wild is not None:
        options = options | wild
    return options


def blocks(chaos: int):
    image = pick(chaos, GOOD_IMAGES, NEAR_IMAGES, st.sampled_from(HOSTILE_PATHS) | words)
    link = pick(chaos, GOOD_LINKS, NEAR_LINKS, st.sampled_from(HOSTILE_PATHS) | words)
    good = [
        plain,
        plain.map(lambda t: "## " + t),
        st.builds(lambda a, p: f"![{a}]({p})", plain, image),
        st.builds(lambda t, p: f"[{t}]({p})", plain, link),
        st.sampled_from([
            "| a | b |\n|---|---|\n| 1 | 2 |", "```\n<b>code</b>\n```", "> quote\n> more",
            "Note.[^1]\n\n[^1]: A note.", "1. one\n2. two", "***", "<b>bold</b> and <i>it</i>",
            "<script>alert(1)</script>", '<iframe src="file:///etc/passwd"></iframe>',
            '<p onclick="x()">handler</p>', "<svg><image href='file:///etc/passwd'/></svg>",
            '<a href="javascript:alert(1)">js</a>', "<DIV><P>unclosed", "&#0; &#xD800; &bogus;",
        ]),
    ]
    if chaos >= 1:
        good += [
            st.builds(lambda p: f'<img src="{p}" alt="x">', image),
            st.builds(lambda p: f'<a href="{p}">raw link</a>', link),
            st.sampled_from(["![](photo:ghost)", "Words ![](photo:anemone) around",
                             "[^x]: orphan note", "<!-- comment", "---", "<table><tr><td>cell"]),
        ]
    if chaos >= 2:
        good += [words, st.text("ab <>&[]()!#*_`|\\-:\r\n\t\x0c\x85\u2028\x00\ufeff", max_size=40)]
    return st.one_of(*good)


def front_matter(chaos: int):
    value = plain if chaos == 0 else plain | st.sampled_from(["", "  ", "[a, b]", "42", "~"])
    keys = ["title", "short_title", "description"] + (["titel", "date"] if chaos else [])
    mapping = st.dictionaries(st.sampled_from(keys), value, max_size=3).map(
        lambda d: "---\n" + "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n"
                                    if v.strip() == v and v not in ("~", "42", "[a, b]")
                                    else f"{k}: {v}\n" for k, v in d.items()) + "---\n")
    options = st.none() | mapping
    if chaos >= 2:
        options = options | st.sampled_from([
            "---\n", "---\ntitle: [unclosed\n---\n", "---\n- a list\n---\n",
            "---\ntitle: a\ntitle: b\n---\n", "---\n\tbad: tab\n---\n", "---\n? [a]\n: b\n---\n",
            "---\n...\n", "---\ntitle: !!python/object/apply:os.system ['true']\n---\n",
            "---\na: &a [x, x]\nb: [*a, *a]\n---\n"])
    return options


@st.composite
def chapter(draw, chaos: int) -> str:
    front = draw(front_matter(chaos)) or ""
    heading = "# " + draw(plain) if not front or draw(st.booleans()) else ""
    body = draw(st.lists(blocks(chaos), max_size=6))
    text = front + (heading + "\n\n" if heading else "") + "\n\n".join(body) + "\n"
    if chaos >= 2 and draw(st.integers(0, 5)) == 0:  # CRLF or CR line endings
        text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r"])))
    return text


def toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


@st.composite
def book_toml(draw, chaos: int, chapters: int) -> str:
    listed = CHAPTER_FILES[:chapters]
    fields = {
        "title": draw(plain if chaos < 2 else plain | st.sampled_from(["", " "]) | st.integers()),
        "language": draw(pick(chaos, ["en", "en-GB", "fr"], ["english", "", "x" * 12])),
        "slug": draw(pick(chaos, ["tide-pools", "ok-2"], ["Bad Slug", "-x-", ""])),
        "publisher": draw(plain),
        "rights": draw(plain),
        "identifier": draw(pick(chaos, ["urn:uuid:a2057f2c-54eb-4ae0-b5fc-4803b9d91188"], [""])),
        "date": draw(pick(chaos, ["2024-05-01"], ["May 2024", "2024-13-45"])),
        "chapters": draw(pick(chaos, [listed], [listed[::-1], listed + listed[:1], [],
                                                 listed + ["chapters/missing.md"]],
                              st.lists(st.sampled_from(HOSTILE_PATHS), min_size=1, max_size=2))),
    }
    optional = st.sampled_from(["subtitle", "keywords", "based_on", "description", "cover"])
    for key in draw(st.lists(optional, max_size=2, unique=True)):
        if key == "cover":
            fields[key] = draw(pick(chaos, ["assets/snail.png"], ["assets/none.png", "book.toml"],
                                    st.sampled_from(HOSTILE_PATHS)))
        else:
            fields[key] = [draw(plain)] if key == "keywords" else draw(plain)
    if chaos >= 1:
        for key in draw(st.lists(st.sampled_from(list(fields) + ["titel"]), max_size=1)):
            fields.pop(key, None) if key != "titel" else fields.update(titel="x")
    lines = [f"{key} = {toml_value(value)}" for key, value in fields.items()]
    roles = pick(chaos, ["author"], ["editor", "autor", ""])
    for index in range(draw(st.integers(1 if chaos == 0 else 0, 2))):
        lines += ["", "[[contributors]]", f"name = {toml_value(draw(plain))}",
                  f"role = {toml_value(draw(roles) if index or chaos else 'author')}"]
        if draw(st.booleans()):
            lines.append(f"note = {toml_value(draw(plain))}")
    text = "\n".join(lines) + "\n"
    if chaos >= 2 and draw(st.booleans()):  # break the syntax somewhere
        at = draw(st.integers(0, len(text)))
        breaker = draw(st.sampled_from(['"', "[", "=", "\n= x\n", "\x00", "]]"]))
        text = text[:at] + breaker + text[at:]
    return text


@st.composite
def photos_toml(draw, chaos: int) -> str | None:
    if draw(st.booleans()):
        return None
    entries = []
    ids = pick(chaos, ["anemone"], ["ghost", "bad id"])
    for photo_id in draw(st.lists(ids, max_size=2, unique=True)):
        entry = {"file": draw(pick(chaos, ["photos/anemone.png", "snail.png"],
                                   ["photos/none.png", "../book.toml"],
                                   st.sampled_from(HOSTILE_PATHS))),
                 "caption": draw(plain), "credit": draw(plain), "alt": draw(plain) + " (alt)",
                 "licence": draw(pick(chaos, ["own", "stand-in"], ["mine", ""]))}
        if chaos >= 1:
            for key in draw(st.lists(st.sampled_from(list(entry) + ["kind"]), max_size=1)):
                entry.pop(key, None) if key != "kind" else entry.update(kind=draw(plain))
        entries.append(f"[{json.dumps(photo_id)}]\n" + "".join(
            f"{k} = {toml_value(v)}\n" for k, v in entry.items()))
    return "\n".join(entries)


@st.composite
def projects(draw):
    chaos = draw(st.sampled_from([0, 0, 1, 2]))
    count = draw(st.integers(1, 3))
    return (chaos, draw(book_toml(chaos, count)), draw(photos_toml(chaos)),
            [draw(chapter(chaos)) for _ in range(count)])


# ---------------------------------------------------------------- the property

ERROR = re.compile(r"^error: (?P<path>.+?)(?::(?P<line>\d+))?: (?P<message>.+)$")
WARNING = re.compile(r"^warning: (?P<path>.+?)(?::(?P<line>\d+))?: (?P<message>.+)$")
UNLOCATED = ("missing required key",)  # a key that is not there has no line
# An HTML-only build says which editions its home page cannot offer (web/site.py).
NOTHING_TO_OFFER = re.compile(r"^warning: web edition: no (PDF|EPUB) to offer for download \(")
EXPLORE = bool(os.environ.get("HYPOTHESIS_EXPLORE"))
BASE = Path(tempfile.mkdtemp(prefix="book-properties-"))
atexit.register(shutil.rmtree, BASE, True)
# The user's secret that seals build records and cached chunks (fingerprint.machine_key),
# made on first use: the one place outside the output a build writes.
KEY_FOLDER = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").resolve() / "book"
ALLOWED_READS = [KEY_FOLDER, *map(Path, zoneinfo.TZPATH),  # dates in the book's time zone
                 Path(book.__file__).resolve().parent, Path(sys.prefix).resolve(),
                 Path(sys.base_prefix).resolve(),
                 # the builder's own package metadata, which plug-in lookups (Pygments
                 # styles) read: an editable install writes it beside the package
                 Path(book.__file__).resolve().parent.parent / "book.egg-info"]


@settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 400 if EXPLORE else 200)),
          deadline=None, database=None,
          derandomize=not EXPLORE, suppress_health_check=list(HealthCheck))
@given(drawn=projects())
def test_any_input_builds_or_fails_with_located_errors(drawn):
    chaos, manifest, photos, chapters = drawn
    work = Path(tempfile.mkdtemp(dir=BASE)).resolve()
    try:
        project = work / "project"
        shutil.copytree(MINI, project)
        (project / "assets" / "drawing.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" '
            'height="4"/></svg>', "utf-8")
        (project / "book.toml").write_text(manifest, "utf-8")
        if photos is None:
            (project / "assets" / "photos.toml").unlink()
        else:
            (project / "assets" / "photos.toml").write_text(photos, "utf-8")
        for path, text in zip(CHAPTER_FILES, chapters, strict=False):
            data = text.encode("utf-8", "surrogatepass")
            if chaos >= 2 and len(data) % 7 == 0:  # now and then, a byte that is not UTF-8
                data = data[: len(data) // 2] + b"\xff" + data[len(data) // 2:]
            (project / path).write_bytes(data)
        out = work / "out"
        files = {p.relative_to(project).as_posix(): p.read_bytes()
                 for p in project.rglob("*") if p.is_file()}

        WATCH.update(on=True, writes=[], reads=[])
        try:
            code, stdout, stderr = run_main(["build", str(project), "--out", str(out),
                                             "--format", "html", "--quiet"])
        finally:
            WATCH["on"] = False

        event(f"chaos {chaos}: exit {code}")
        if chaos == 0 and code:
            event("chaos 0 error: " + re.sub(r"^error: [^ ]+ |'[^']*'", "", stderr.splitlines()[0]))
        assert "Traceback" not in stderr, stderr
        assert code in (0, 2), f"exit {code}:\n{stderr}"
        if code == 0:  # nothing on stderr but warnings located in the project's files
            said = [line for line in stderr.splitlines() if not NOTHING_TO_OFFER.match(line)]
            for line in said:
                match = WARNING.match(line)
                assert match and match["path"] in files, f"not a located warning: {line!r}"
            slug = tomllib.loads(manifest)["slug"]
            assert (out / f"{slug}-web" / "index.html").is_file()
        else:
            lines = stderr.splitlines()
            assert lines, "exit 2 without an error"
            for line in lines:
                match = ERROR.match(line)
                assert match, f"not a located error line: {line!r}"
                path = match["path"]
                assert path in files, f"error names {path!r}, not a project file: {line}"
                if match["line"] is None:
                    assert any(u in line for u in UNLOCATED), f"error without a line: {line}"
                else:
                    count = files[path].decode("utf-8", "replace").count("\n") + 1
                    assert 1 <= int(match["line"]) <= count, f"line out of range: {line}"
        for path in WATCH["writes"]:
            assert inside(path, out) or inside(path, KEY_FOLDER) or "__pycache__" in path, \
                f"wrote outside the output: {path}"
        for path in WATCH["reads"]:
            if path in sys.path:  # the import system listing its own search path entries
                continue
            assert inside(path, project) or inside(path, out) or any(
                inside(path, a) for a in ALLOWED_READS), \
                f"read outside the project, its output and the builder: {path}"
        now = {p.relative_to(project).as_posix(): p.read_bytes()
               for p in project.rglob("*") if p.is_file()}
        assert now == files, "the build changed the project"
    finally:
        shutil.rmtree(work, ignore_errors=True)
