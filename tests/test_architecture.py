"""The package's boundaries, checked on the source with ast: the stages' directions (source
never imports render; render never imports pdf, epub or web), WeasyPrint behind one
adapter, and every file written atomically or into the cache."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO

PACKAGE = REPO / "book"
CORE = {"model", "errors", "options", "output", "fragments", "background"}
# What each package may import from the builder besides the core and itself.
ALLOWED = {
    "source": set(),
    "render": set(),
    "pdf": {"render", "fingerprint"},
    "epub": {"render"},
    "web": {"render", "pipeline"},  # serve builds the book
    "lint": {"source", "render", "pipeline"},  # check runs the build's own loading
    "release": {"source", "pipeline", "fingerprint", "desk"},  # desk: the Corrections page
    # editors' tools: import edits book.toml and the photo manifest through source; changes
    # loads and lays out an earlier commit's book through the pipeline
    # its Corrections page is render's template in the book's words (render's catalogues)
    "desk": {"source", "pipeline", "render"},
}
EMITTERS = ("pdf/edition", "epub/package")
WEASY = "pdf/weasy"
PUBLIC_WEASYPRINT = {"weasyprint", "weasyprint.urls"}  # URLFetcher's documented home


def modules() -> list[str]:
    """Every module of the package, as 'pdf/weasy', 'model', 'source/__init__'…"""
    return sorted(p.relative_to(PACKAGE).with_suffix("").as_posix()
                  for p in PACKAGE.rglob("*.py"))


def tree_of(module: str) -> ast.Module:
    path = PACKAGE / f"{module}.py"
    return ast.parse(path.read_text("utf-8"), filename=str(path))


def absolute_imports(tree: ast.Module, module: str) -> set[str]:
    """Every module `tree` imports (anywhere in the file), as dotted absolute names; the
    names imported from a package are listed as its submodules too."""
    package = ["book", *module.split("/")[:-1]]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                assert base, f"book/{module}.py: import reaches above the package"
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def book_imports(module: str) -> set[str]:
    """The builder's packages and top-level modules that book/<module>.py imports:
    'render', 'pipeline', 'model'…"""
    return imports_in(tree_of(module), module)


def imports_in(tree: ast.Module, module: str) -> set[str]:
    found = set()
    for name in absolute_imports(tree, module):
        parts = name.split(".")
        if parts[0] == "book" and len(parts) > 1:
            first = parts[1]
            if (PACKAGE / first).is_dir() or (PACKAGE / f"{first}.py").is_file():
                found.add(first)
    own = module.split("/")[0] if "/" in module else module
    found.discard(own)
    return found


def test_import_parser_sees_real_imports():
    """Guard against a parser that finds nothing: the pipeline runs every stage, and every
    spelling of an import is recognised."""
    assert {"source", "render", "pdf", "epub", "web"} <= book_imports("pipeline")
    source = """
from ..render.html import render_print
from .. import fragments, errors
import book.source.assemble
from book import pipeline
from ..model import Book
from .weasy import load
import json
def later():
    from ..pdf import edition
"""
    assert imports_in(ast.parse(source), "epub/package") == {
        "render", "fragments", "errors", "source", "pipeline", "model", "pdf"}
    assert "weasyprint.layout" in absolute_imports(
        ast.parse("import weasyprint.layout as wl"), "pdf/x")
    assert "weasyprint.text.fonts.FontConfiguration" in absolute_imports(
        ast.parse("from weasyprint.text.fonts import FontConfiguration"), "pdf/x")


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_comes_before_it(package):
    allowed = CORE | ALLOWED[package]
    for module in modules():
        if module.split("/")[0] != package:
            continue
        extra = book_imports(module) - allowed
        assert not extra, f"book/{module}.py imports {sorted(extra)}"


def test_core_imports_only_the_core():
    for module in CORE:
        extra = book_imports(module) - CORE
        assert not extra, f"book/{module}.py imports {sorted(extra)}"


def test_only_the_adapter_touches_weasyprint_internals():
    """pdf/weasy.py is the one place that knows WeasyPrint's internals; other modules of
    pdf/ use its public API at most, and nothing outside pdf/ imports it at all."""
    for module in modules():
        weasyprint = {name for name in absolute_imports(tree_of(module), module)
                      if name.split(".")[0] == "weasyprint"}
        if module == WEASY or not weasyprint:
            continue
        assert module.startswith("pdf/"), f"book/{module}.py imports {sorted(weasyprint)}"
        private = {name for name in weasyprint if name not in PUBLIC_WEASYPRINT
                   and name.rsplit(".", 1)[0] not in PUBLIC_WEASYPRINT}
        assert not private, f"book/{module}.py imports WeasyPrint internals {sorted(private)}"
    internals = {name for name in absolute_imports(tree_of(WEASY), WEASY)
                 if name.startswith("weasyprint.")}
    assert {"weasyprint.layout", "weasyprint.images"} <= internals


def test_the_adapter_checks_the_version_it_was_written_for():
    from book.pdf import weasy

    assert weasy.WRITTEN_FOR
    source = (PACKAGE / f"{WEASY}.py").read_text("utf-8")
    assert "redirect_stdout" not in source and "sys.stdout" not in source


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
    imports_atomic = "book.output.atomic_write" in absolute_imports(tree, emitter)
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


@pytest.mark.parametrize("module", ["pdf/stitch", "pdf/fonts", "pdf/chunks"])
def test_chunked_layout_helpers_write_nothing(module):
    """The stitcher and the font merge work in memory; the PDF is written by edition.py."""
    problems = direct_writes(tree_of(module), f"book/{module}.py")
    assert not problems, "direct file writes:\n" + "\n".join(problems)


def test_layout_cache_writes_only_through_its_keep_function():
    """The chunk cache is not an edition (no staging: the record's sha256 guards it), and
    all its writes go through cache._keep, into the output folder's .book-cache."""
    tree = tree_of("pdf/cache")
    keep = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_keep")
    problems = direct_writes(tree, "book/pdf/cache.py")
    inside = [p for p in problems if keep.lineno <= int(p.split(":")[1]) <= keep.end_lineno]
    assert inside, "the detector sees no write in _keep"
    assert inside == problems, "writes outside _keep:\n" + "\n".join(set(problems) - set(inside))
