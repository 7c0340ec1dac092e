"""`book new`: a project that builds and passes `book check --strict` at once, in English
and in another language, and never writes into a folder that holds anything."""

from __future__ import annotations

import tomllib

from pypdf import PdfReader

from helpers import one_error, run_blocked, run_main


def test_new_project_checks_strict_and_builds(tmp_path):
    dest = tmp_path / "first"
    code, out, err = run_main(["new", str(dest), "--title", "Harbour Lights",
                               "--author", "Mira Holm"])
    assert code == 0, err
    config = tomllib.loads((dest / "book.toml").read_text("utf-8"))
    assert (config["title"], config["slug"], config["language"]) == (
        "Harbour Lights", "harbour-lights", "en")
    assert config["contributors"] == [{"name": "Mira Holm", "role": "author"}]
    assert (dest / ".gitignore").read_text() == "dist/\n"
    code, out, err = run_main(["check", str(dest), "--strict"])
    assert (code, out) == (0, ""), out + err
    built = run_blocked(["build", str(dest), "--quiet"])
    assert built.returncode == 0, built.stderr
    pdf = PdfReader(dest / "dist" / "harbour-lights.pdf")
    text = "\n".join(page.extract_text() for page in pdf.pages)
    # The key-figures box's title is set in capitals (text-transform in base.css).
    for expected in ("Harbour Lights", "Getting started", "Glossary", "BY THE NUMBERS",
                     "A placeholder that marks where a photograph will go"):
        assert expected in text
    assert (dest / "dist" / "harbour-lights.epub").stat().st_size > 0


def test_every_key_of_book_toml_is_explained(tmp_path):
    run_main(["new", str(tmp_path / "b")])
    lines = (tmp_path / "b" / "book.toml").read_text("utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            explained = " # " in line or lines[number - 1].startswith("#")
            assert explained, f"book.toml:{number + 1} has no comment"


def test_another_language_passes_strict(tmp_path):
    dest = tmp_path / "fr"
    code, _, err = run_main(["new", str(dest), "--title", "Été à Paris", "--language", "fr",
                             "--author", "Zoé Martin"])
    assert code == 0, err
    config = tomllib.loads((dest / "book.toml").read_text("utf-8"))
    assert (config["slug"], config["language"]) == ("ete-a-paris", "fr")
    code, out, err = run_main(["check", str(dest), "--strict"])
    assert (code, out) == (0, ""), out + err


def test_placeholder_is_the_same_every_time(tmp_path):
    run_main(["new", str(tmp_path / "a")])
    run_main(["new", str(tmp_path / "b")])
    one, two = (tmp_path / name / "assets" / "placeholder.png" for name in "ab")
    assert one.read_bytes() == two.read_bytes()


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    code, out, err = run_main(["new", str(tmp_path)])
    assert code == 2
    assert one_error(err) == (f"error: {tmp_path}: the folder is not empty (choose a new "
                              "folder; book new never overwrites files)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
