"""The chunk cache trusts only what this user's builds sealed: a chunk placed in the output
folder (a checkout, an archive, another machine) that carries its own sha256 but not a seal
made with this user's key is laid out again, and the PDF is the one a clean build makes;
a key file others can read is no key at all."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path

import pypdf
import pytest

from conftest import MINI, cli

FORGED = "Forged words that no source of this book contains"
ONE = "An anemone looks like a flower"  # a sentence of chapter one


def build(project: Path, out: Path, keys: Path, *extra: str) -> str:
    result = cli(["build", str(project), "--out", str(out), "--format", "pdf",
                  "--layout", "chunked", "--jobs", "1", *extra],
                 env={"XDG_CACHE_HOME": str(keys)})
    assert result.returncode == 0, result.stderr
    return result.stderr


def laid_out(stderr: str) -> int:
    """Chunks laid out in the build's first layout round."""
    return int(re.findall(r"laid out (\d+) of \d+ chunks", stderr)[0])


def text(pdf: Path) -> str:
    return " ".join(page.extract_text() or "" for page in pypdf.PdfReader(str(pdf)).pages)


def chunk_with(out: Path, words: str) -> Path:
    """The cached chunk PDF whose pages hold `words`."""
    found = [p for p in (out / ".book-cache" / "chunks").glob("*.pdf")
             if words in " ".join(text(p).split())]
    assert len(found) == 1, found
    return found[0]


def copy_of_mini(root: Path, name: str) -> Path:
    project = root / name
    shutil.copytree(MINI, project)
    return project


def edit_chapter_two(project: Path) -> None:
    """A change elsewhere, so that the next build is not the no-op one."""
    chapter = project / "chapters" / "two.md"
    chapter.write_text(chapter.read_text("utf-8") + "\nOne more closing line.\n", "utf-8")


@pytest.fixture(scope="module")
def built_once(tmp_path_factory) -> Path:
    """mini built once into `out` (key in `keys`, the build's stderr in first.txt), and
    the forger's copy with chapter one in other words (its key in `forger-keys`, that
    chunk's PDF in forged.pdf), one after the other. Each test starts from a copy of these
    folders: the chunk cache is keyed by content and sealed by the key's bytes, not by
    where the folders are, and each test edits before it builds."""
    root = tmp_path_factory.mktemp("cache-auth")
    project, forger = copy_of_mini(root, "project"), copy_of_mini(root, "forger")
    one = forger / "chapters" / "one.md"
    one.write_text(one.read_text("utf-8").replace(ONE, FORGED), "utf-8")
    (root / "first.txt").write_text(build(project, root / "out", root / "keys"), "utf-8")
    build(forger, root / "forger-out", root / "forger-keys")
    (root / "forged.pdf").write_bytes(chunk_with(root / "forger-out", FORGED).read_bytes())
    return root


def first_build(built_once: Path, tmp_path: Path) -> tuple[Path, Path, Path, str]:
    """A private copy of the first build (and of the forger's key): the project, its
    output folder, its key folder, the build's stderr."""
    for name in ("project", "out", "keys", "forger-keys"):
        shutil.copytree(built_once / name, tmp_path / name, symlinks=True)
    stderr = (built_once / "first.txt").read_text("utf-8")
    return tmp_path / "project", tmp_path / "out", tmp_path / "keys", stderr


@pytest.fixture
def forgery(built_once, tmp_path) -> tuple[Path, Path, Path, bytes]:
    """mini built into `out` (key in `keys`), and chapter one's cached chunk replaced by a
    layout of other words, with a record naming that PDF's sha256: the victim's project,
    its output folder, its key folder, the forged PDF."""
    project, out, keys, _ = first_build(built_once, tmp_path)
    forged_pdf = (built_once / "forged.pdf").read_bytes()
    target = chunk_with(out, ONE)
    target.write_bytes(forged_pdf)
    return project, out, keys, forged_pdf


def reseal(record_file: Path, pdf: bytes, key: bytes) -> None:
    """Give the record the forged PDF's sha256 and a seal made with `key`."""
    record = json.loads(record_file.read_bytes())["record"]
    record["sha256"] = hashlib.sha256(pdf).hexdigest()
    body = json.dumps(record, sort_keys=True).encode()
    seal = hmac.new(key, record_file.name.encode() + b"\0" + body, hashlib.sha256).hexdigest()
    record_file.write_text(json.dumps({"record": record, "seal": seal}))


@pytest.mark.parametrize("forger_key", ["own", "none"])
def test_a_forged_chunk_is_laid_out_again(forgery, tmp_path, forger_key):
    """Sealed with another key (the forger's machine), or not sealed: ignored."""
    project, out, keys, forged_pdf = forgery
    record = chunk_with(out, FORGED).with_suffix(".json")
    reseal(record, forged_pdf, (tmp_path / "forger-keys" / "book" / "key").read_bytes()
           if forger_key == "own" else b"")
    edit_chapter_two(project)
    stderr = build(project, out, keys)
    assert laid_out(stderr) >= 2, stderr  # chapter one again, beside the edited two
    pdf = out / "tide-pools.pdf"
    assert FORGED not in " ".join(text(pdf).split())
    clean = tmp_path / "clean"
    build(project, clean, tmp_path / "clean-keys", "--clean")
    assert pdf.read_bytes() == (clean / "tide-pools.pdf").read_bytes()


def test_the_same_forgery_sealed_with_the_users_key_would_be_used(forgery):
    """The control: the seal is all that stops the forgery above (so that test can fail)."""
    project, out, keys, forged_pdf = forgery
    reseal(chunk_with(out, FORGED).with_suffix(".json"), forged_pdf,
           (keys / "book" / "key").read_bytes())
    edit_chapter_two(project)
    build(project, out, keys)
    assert FORGED in " ".join(text(out / "tide-pools.pdf").split())


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_others_can_read_is_refused(built_once, tmp_path, mode):
    """With the key readable by group or others, nothing cached is trusted: every chunk
    is laid out again and the no-op check never says "up to date"; the key is left as it
    is (it is the user's file) and the build succeeds."""
    project, out, keys, first = first_build(built_once, tmp_path)
    key = keys / "book" / "key"
    assert key.stat().st_mode & 0o777 == 0o600
    total = int(re.findall(r"laid out \d+ of (\d+) chunks", first)[0])
    key.chmod(mode)
    edit_chapter_two(project)
    assert laid_out(build(project, out, keys)) == total
    again = cli(["build", str(project), "--out", str(out), "--format", "pdf", "--layout",
                 "chunked", "--jobs", "1"], env={"XDG_CACHE_HOME": str(keys)})
    assert again.returncode == 0 and "up to date" not in again.stdout, again.stdout
    assert key.stat().st_mode & 0o777 == mode
