"""Join the chunk PDFs (workers.py) into the book's PDF: pages in order with a blank
verso wherever a chunk ends on a recto, one outline, one table of named destinations with
the links between chunks pointing into it, one structure tree with its parent tree
renumbered (the PDF/UA tags), and each font embedded once.

The first chunk (the front matter) is the base: its catalog, metadata (XMP, information
dictionary, language, PDF/UA or PDF/A identification) and trailer are the book's."""

from __future__ import annotations

import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..background import cores
from ..render.theme import cjk_files
from .chunks import LINK_BASE, BookLayout, sheet_of
from .fonts import merge_fonts

FOLIO = "/BookFolio"  # the folio's name among a page's XObjects


def _pairs(array) -> list:
    items = list(array)
    return [(items[i], items[i + 1]) for i in range(0, len(items), 2)]


def _copier(pdf: pikepdf.Pdf):
    """copy_foreign for any object: direct arrays and dictionaries are rebuilt around their
    copied indirect members (pikepdf copies indirect objects only)."""
    def copy(obj):
        if isinstance(obj, (Array, Dictionary)) and not obj.is_indirect:
            if isinstance(obj, Array):
                return Array([copy(item) for item in obj])
            return Dictionary({key: copy(value) for key, value in obj.items()})
        if isinstance(obj, (Array, Dictionary, pikepdf.Stream)):
            return pdf.copy_foreign(obj)
        return obj
    return copy


def _document_element(pdf: pikepdf.Pdf):
    kids = pdf.Root.StructTreeRoot.K
    return kids[0] if isinstance(kids, Array) else kids


class _Book:
    """The PDF being assembled, and the tables merged into it chunk by chunk."""

    def __init__(self, base: pikepdf.Pdf) -> None:
        self.pdf = base
        root = base.Root.StructTreeRoot
        self.parents = [(int(k), v) for k, v in _pairs(root.ParentTree.Nums)]
        self.document = _document_element(base)
        self.names = self._dests(base, lambda obj: obj)
        self.outline_items = self._outline_items(base, lambda obj: obj)

    @staticmethod
    def _dests(pdf: pikepdf.Pdf, copy) -> list:
        if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
            return []
        return [(str(name), copy(dest)) for name, dest
                in pikepdf.NameTree(pdf.Root.Names.Dests).items()]

    @staticmethod
    def _outline_items(pdf: pikepdf.Pdf, copy) -> list:
        if "/Outlines" not in pdf.Root or "/First" not in pdf.Root.Outlines:
            return []
        items, item = [], copy(pdf.Root.Outlines).First
        while True:
            items.append(item)
            if "/Next" not in item:
                return items
            item = item.Next

    def blank_page(self) -> None:
        """A blank verso, the size of the pages around it."""
        last = self.pdf.pages[-1].obj
        self.pdf.add_blank_page()
        page = self.pdf.pages[-1].obj
        for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
            if box in last:
                page[box] = Array(list(last[box]))

    def append(self, chunk: pikepdf.Pdf) -> None:
        first = len(self.pdf.pages)
        with warnings.catch_warnings():  # named destinations are merged by hand below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            self.pdf.pages.extend(chunk.pages)
        shift = max((k for k, _ in self.parents), default=-1) + 1
        for page in self.pdf.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + shift
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + shift
        # copied whole, in one call: item by item, from Python, it took a second on TRPL
        nums = chunk.Root.StructTreeRoot.ParentTree.Nums
        nums = self.pdf.copy_foreign(nums if nums.is_indirect else chunk.make_indirect(nums))
        self.parents += [(int(k) + shift, v) for k, v in _pairs(nums)]
        copy = _copier(self.pdf)
        for kid in copy(_document_element(chunk)).K:
            if isinstance(kid, Dictionary):
                kid.P = self.document
            self.document.K.append(kid)
        self.names += self._dests(chunk, copy)
        self.outline_items += self._outline_items(chunk, copy)

    def finish(self) -> None:
        """Write the merged tables back and turn cross-chunk links into GoTo links."""
        pdf = self.pdf
        pdf.Root.StructTreeRoot.ParentTree = pdf.make_indirect(Dictionary(
            Nums=Array([x for k, v in sorted(self.parents, key=lambda p: p[0]) for x in (k, v)])))
        pdf.Root.StructTreeRoot.ParentTreeNextKey = max(k for k, _ in self.parents) + 1
        names = sorted(dict(self.names).items())
        if names:
            if "/Names" not in pdf.Root:
                pdf.Root.Names = Dictionary()
            pdf.Root.Names.Dests = pdf.make_indirect(Dictionary(
                Names=Array([x for name, dest in names for x in (String(name), dest)])))
        if self.outline_items:
            if "/Outlines" not in pdf.Root:
                pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines))
            outlines = pdf.Root.Outlines
            for before, item in zip([None, *self.outline_items], [*self.outline_items, None],
                                    strict=True):
                if item is not None:
                    item.Parent = outlines
                    if before is not None:
                        item.Prev = before
                    elif "/Prev" in item:
                        del item.Prev
                if before is not None:
                    if item is not None:
                        before.Next = item
                    elif "/Next" in before:
                        del before.Next
            outlines.First, outlines.Last = self.outline_items[0], self.outline_items[-1]
            outlines.Count = sum(1 + max(0, int(i.get("/Count", 0))) for i in self.outline_items)
        known = {name for name, _ in names}
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                uri = str(action.get("/URI", "")) if action is not None else ""
                name = unquote(uri[len(LINK_BASE):])  # WeasyPrint percent-encodes non-ASCII
                if uri.startswith(LINK_BASE) and name in known:
                    del annot.A
                    annot.Dest = String(name)


def _lay_folios(pdf: pikepdf.Pdf, layout: BookLayout, sheets: dict[int, pikepdf.Pdf]) -> None:
    """Lay each folio, from its sheet, over its page, as an artifact (PDF/UA: page
    furniture is not content)."""
    save = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
    for number in layout.folio_pages():
        first, index = sheet_of(number)
        form = pdf.copy_foreign(sheets[first].pages[index].as_form_xobject())
        page = pdf.pages[number - 1]
        # Pages share their resources dictionary: this page gets its own, with its folio.
        resources = Dictionary(dict(page.obj.Resources.items()))
        xobjects = resources.get("/XObject")
        resources.XObject = Dictionary(dict(xobjects.items()) if xobjects is not None else {})
        resources.XObject[FOLIO] = form
        page.obj.Resources = resources
        page.contents_add(save, prepend=True)  # the page's own drawing is closed off
        page.contents_add(pikepdf.Stream(pdf, b"\nQ q /Artifact BMC " + FOLIO.encode()
                                         + b" Do EMC Q\n"))


def stitch(layout: BookLayout, font_files: list[Path]) -> bytes:
    """The book's PDF from its chunks, laid out in book order, with its folios."""
    # qpdf reads a file without holding the GIL: the chunks are opened side by side
    with ThreadPoolExecutor(cores()) as threads:
        opened = list(threads.map(pikepdf.open, [placed.laid.pdf for placed in layout.chunks]
                                  + list(layout.sheets.values())))
    book = _Book(opened[0])
    end = layout.chunks[0].end
    for placed, chunk in zip(layout.chunks[1:], opened[1:len(layout.chunks)], strict=True):
        for _ in range(placed.offset - end):
            book.blank_page()
        book.append(chunk)
        end = placed.end
    book.finish()
    _lay_folios(book.pdf, layout, dict(zip(layout.sheets, opened[len(layout.chunks):],
                                           strict=True)))
    merge_fonts(book.pdf, [*font_files, *cjk_files()])
    out = io.BytesIO()
    book.pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for pdf in opened:
        pdf.close()
    return out.getvalue()
