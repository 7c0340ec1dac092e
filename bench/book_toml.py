"""The book.toml of a generated benchmark book, shared by the generators (make_large.py,
make_cjk.py), so each book differs from the others only in what it says."""

from __future__ import annotations

from pathlib import Path


def write_book_toml(out: Path, meta: dict[str, str], chapters: list[str], author: str) -> None:
    """`out`/book.toml: the string keys of `meta` in order, the chapter files, and one
    contributor, the author."""
    keys = "".join(f'{key} = "{value}"\n' for key, value in meta.items())
    listed = "".join(f'  "{name}",\n' for name in chapters)
    (out / "book.toml").write_text(f'{keys}chapters = [\n{listed}]\n\n[[contributors]]\n'
                                   f'name = "{author}"\nrole = "author"\n', "utf-8")
