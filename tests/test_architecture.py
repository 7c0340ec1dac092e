"""The module boundaries the README promises, checked on the source with ast."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO

PACKAGE = REPO / "book"
STAGES = ("load", "parse", "assemble", "render")
EMITTERS = ("pdf", "epub", "printing")  # printing writes the chunked layout's PDF


def tree_of(module: str) -> ast.Module:
    path = PACKAGE / f"{module}.py"
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def book_imports(module: str) -> set[str]:
    """Modules of the `book` package that book/<module>.py imports (anywhere in the file)."""
    return imports_in(tree_of(module), module)


def imports_in(tree: ast.Module, module: str) -> set[str]:
    found: set[str] = set()

    def add(name: str) -> None:
        first = name.split(".")[0]
        if (PACKAGE / f"{first}.py").is_file() or (PACKAGE / first).is_dir():
            found.add(first)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "book" or alias.name.startswith("book."):
                    add(alias.name[len("book."):] if alias.name != "book" else "")
        elif isinstance(node, ast.ImportFrom):
            absolute = node.level == 0 and (node.module or "").split(".")[0] == "book"
            if node.level == 1 or absolute:
                base = (node.module or "") if node.level == 1 else (node.module or "")[len("book"):]
                base = base.lstrip(".")
                if base:
                    add(base)
                else:  # from . import a, b / from book import a, b
                    for alias in node.names:
                        add(alias.name)
            assert node.level <= 1, f"book/{module}.py: import reaches above the package"
    found.discard("")
    found.discard(module)
    return found


def test_import_parser_sees_real_imports():
    """Guard against a parser that finds nothing: pipeline runs every stage, and every
    spelling of an import is recognised."""
    assert set(STAGES) <= book_imports("pipeline")
    source = """
from .render import render_print
from . import parse, errors
import book.assemble
from book import load
from book.model import Book
import json
def later():
    from .pdf import emit_pdf
"""
    assert imports_in(ast.parse(source), "x") == {
        "render", "parse", "errors", "assemble", "load", "model", "pdf"}


@pytest.mark.parametrize("stage", STAGES)
def test_stage_does_not_import_another_stage(stage):
    direct = book_imports(stage) & set(STAGES)
    assert not direct, f"book/{stage}.py imports stage module(s) {sorted(direct)}"
    # Nor through a helper module: follow imports through non-stage modules.
    seen, todo = set(), list(book_imports(stage))
    while todo:
        module = todo.pop()
        if module in seen or not (PACKAGE / f"{module}.py").is_file():
            continue
        seen.add(module)
        assert module not in STAGES, f"book/{stage}.py reaches stage '{module}' indirectly"
        todo.extend(book_imports(module) - {stage})


def dotted(node: ast.AST) -> str:
    """'os.replace' for os.replace, 'path.write_bytes' for path.write_bytes, and
    '.write_bytes' when the receiver is an expression (a call, a subscript…)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f".{node.attr}" if not inner or inner.startswith(".") else f"{inner}.{node.attr}"
    return ""


FORBIDDEN_CALLS = {
    "os.replace", "os.rename", "os.remove", "os.unlink", "os.open", "os.write", "os.fdopen",
    "os.makedirs", "os.mkdir", "os.link", "os.symlink", "os.truncate",
    "tempfile.mkstemp", "tempfile.NamedTemporaryFile", "tempfile.mkdtemp",
    "io.open", "codecs.open",
}
FORBIDDEN_METHODS = {"write_bytes", "write_text", "rename", "unlink", "mkdir", "touch",
                     "symlink_to", "hardlink_to"}
WRITE_MODES = set("wax+")


def in_temporary_directory(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.With):
            for item in node.items:
                if isinstance(item.context_expr, ast.Call) and dotted(
                        item.context_expr.func) == "tempfile.TemporaryDirectory":
                    return True
    return False


def bytes_io_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and dotted(
                node.value.func) == "io.BytesIO":
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def direct_writes(tree: ast.Module, label: str) -> list[str]:
    """Every call in `tree` that writes to the file system other than atomic_write (a
    library writing into a `with tempfile.TemporaryDirectory()` scratch folder is allowed)."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    memory = bytes_io_names(tree)
    problems = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = dotted(call.func)
        method = name.rsplit(".", 1)[-1]
        where = f"{label}:{call.lineno}: {name}()"
        if name in FORBIDDEN_CALLS or name.split(".")[0] == "shutil":
            problems.append(where)
        elif "." in name and method in FORBIDDEN_METHODS:
            problems.append(where)
        elif name == "open":
            mode = call.args[1] if len(call.args) > 1 else next(
                (k.value for k in call.keywords if k.arg == "mode"), None)
            if mode is not None and not (isinstance(mode, ast.Constant)
                                         and isinstance(mode.value, str)
                                         and not WRITE_MODES & set(mode.value)):
                problems.append(where)
        elif method == "write_pdf" and (call.args or any(k.arg == "target"
                                                         for k in call.keywords)):
            problems.append(where)
        elif method == "save" and "." in name and not (
                call.args and isinstance(call.args[0], ast.Name) and call.args[0].id in memory):
            problems.append(where)
        elif name == "zipfile.ZipFile" and len(call.args) > 1:
            mode, target = call.args[1], call.args[0]
            writing = not (isinstance(mode, ast.Constant) and mode.value == "r")
            in_memory = (isinstance(target, ast.Name) and target.id in memory) or (
                isinstance(target, ast.Call) and dotted(target.func) == "io.BytesIO")
            if writing and not in_memory:
                problems.append(where)
        elif method == "write_epub" and not in_temporary_directory(call, parents):
            problems.append(where)
    return problems


def test_write_detector_finds_direct_writes():
    """The detector itself: each line below writes to disk and must be reported; the
    in-memory and scratch-folder forms must not."""
    bad = """
import os, shutil, zipfile, io, tempfile
Path("x").write_bytes(b"")
target.write_text("")
open(path, "wb")
shutil.copy(a, b)
os.replace(a, b)
zipfile.ZipFile("a.zip", "w")
document.write_pdf("out.pdf")
epub.write_epub("out.epub", book)
image.save("cover.png")
"""
    good = """
import io, zipfile, tempfile
out = io.BytesIO()
zipfile.ZipFile(out, "w")
zipfile.ZipFile(io.BytesIO(raw))
data = document.write_pdf(pdf_variant="pdf/ua-1")
image.save(out, "PNG")
open(path).read()
with tempfile.TemporaryDirectory() as tmp:
    epub.write_epub(str(tmp) + "/b.epub", book, {})
when.replace(tzinfo=None)
atomic_write(path, data)
"""
    assert len(direct_writes(ast.parse(bad), "bad")) == 9
    assert direct_writes(ast.parse(good), "good") == []


@pytest.mark.parametrize("emitter", EMITTERS)
def test_emitter_writes_only_through_atomic_write(emitter):
    tree = tree_of(emitter)
    imports_atomic = any(isinstance(n, ast.ImportFrom) and n.level == 1 and n.module == "output"
                         and any(a.name == "atomic_write" for a in n.names)
                         for n in ast.walk(tree))
    assert imports_atomic, f"book/{emitter}.py does not import output.atomic_write"
    assert any(isinstance(n, ast.Call) and dotted(n.func) == "atomic_write"
               for n in ast.walk(tree)), f"book/{emitter}.py never calls atomic_write"
    problems = direct_writes(tree, f"book/{emitter}.py")
    assert not problems, "direct file writes:\n" + "\n".join(problems)


def test_atomic_write_is_atomic():
    """output.atomic_write writes a temporary file in the target folder, syncs it, and
    renames it into place."""
    tree = tree_of("output")
    function = next(n for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef) and n.name == "atomic_write")
    names = [dotted(c.func) for c in ast.walk(function) if isinstance(c, ast.Call)]
    assert "tempfile.mkstemp" in names
    assert "os.fsync" in names
    assert "os.replace" in names


def test_atomic_write_behaviour(tmp_path):
    from book.output import atomic_write

    target = tmp_path / "sub" / "edition.bin"
    atomic_write(target, b"first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["edition.bin"]


@pytest.mark.parametrize("module", ["stitch", "pdffonts", "chunking"])
def test_chunked_layout_helpers_write_nothing(module):
    """The stitcher and the font merge work in memory; the PDF is written by printing.py."""
    problems = direct_writes(tree_of(module), f"book/{module}.py")
    assert not problems, "direct file writes:\n" + "\n".join(problems)


def test_layout_cache_writes_only_through_its_keep_function():
    """The chunk cache is not an edition (no staging: the record's sha256 guards it), and
    all its writes go through parallel._keep, into the output folder's .book-cache."""
    tree = tree_of("parallel")
    keep = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_keep")
    problems = direct_writes(tree, "book/parallel.py")
    inside = [p for p in problems if keep.lineno <= int(p.split(":")[1]) <= keep.end_lineno]
    assert inside, "the detector sees no write in _keep"
    assert inside == problems, "writes outside _keep:\n" + "\n".join(set(problems) - set(inside))
