"""`book release`: publishable editions from a git commit, or a refusal that says why.

Every date comes from the commit (SOURCE_DATE_EPOCH defaults to its time), so two releases
of one commit are byte-identical wherever and whenever they run. The editions are built and
verified in a staging folder inside the output folder and switched in with the other editions
when every check passes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..errors import BookError
from ..fingerprint import inputs_read, library_versions
from ..model import Book, Edition
from ..options import source_date_epoch
from ..output import all_or_nothing, atomic_write, destination, output_lock
from ..pipeline import FORMATS, BuildReport, emit_book, load_book
from ..source.load import PHOTO_MANIFEST
from .git import GitError, checkout, dirty_paths, untracked_inputs
from .verify import Result, verify

EXIT_GATE, EXIT_NO_EDITION, EXIT_DIRTY, EXIT_STAND_INS = 4, 5, 6, 7
LABEL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")
SUMS, RECORD = "SHA256SUMS", "release.json"


class Refused(Exception):
    """The release was not attempted; each reason comes with the exit code it maps to."""

    def __init__(self, reasons: list[tuple[int, str]]):
        self.reasons = reasons
        self.code = min(code for code, _ in reasons)
        super().__init__("; ".join(message for _, message in reasons))


class GateFailed(Exception):
    """The editions were built but a validator rejected them; nothing was published."""

    def __init__(self, results: list[Result]):
        self.results = results
        super().__init__("validation failed")


@dataclass(frozen=True)
class Options:
    edition: str = ""  # empty: from the version tag on HEAD
    allow_dirty: bool = False
    allow_stand_ins: bool = False


def _edition_label(requested: str, tagged: tuple[str, ...]) -> tuple[str, list[tuple[int, str]]]:
    if requested:
        if not LABEL.match(requested):
            raise BookError.at("--edition", None, f"'{requested}' cannot name a file",
                               "use letters, digits, '.', '-', '+' and '_', e.g. 1.2.0")
        return requested, []
    if len(tagged) == 1:
        return tagged[0], []
    if tagged:
        return "", [(EXIT_NO_EDITION, f"HEAD has several version tags ({', '.join(tagged)}); "
                                      "pass --edition to choose one")]
    return "", [(EXIT_NO_EDITION, "no edition: HEAD has no version tag (git tag v1.2.0) "
                                  "and no --edition was given")]


def _source_date(commit_time: int) -> int:
    """SOURCE_DATE_EPOCH when the caller set it, else the commit's time: never the clock."""
    epoch = source_date_epoch()
    return commit_time if epoch is None else epoch


def _zip_folder(folder: Path, top: str, timestamp: int) -> bytes:
    """A zip that depends only on the files: sorted entries under one top folder, the
    source date as every mtime, mode 0644, fixed compression."""
    when = dt.datetime.fromtimestamp(max(timestamp, 315532800), tz=dt.UTC)  # zip: ≥1980
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, path in files:
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so readers honour the mode below
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return out.getvalue()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def release(project: Path, out_dir: Path, options: Options = Options(),
            progress=lambda message: None) -> dict:
    """Refuse, or build, verify and publish the editions; returns what release.json holds."""
    project = project.resolve()
    try:
        head = checkout(project)
    except GitError as exc:
        raise Refused([(EXIT_NO_EDITION, f"{exc}; a release is built from a git commit")]) from None
    when = _source_date(head.timestamp)
    version, reasons = _edition_label(options.edition, head.versions)
    dirty = dirty_paths(head.root, ignore=out_dir)
    if dirty and not options.allow_dirty:
        reasons.append(_dirty(dirty))
    commit = head.short + ("-dirty" if dirty else "")
    try:
        book = load_book(project, Edition(version, when, commit))
    except BookError:
        if reasons:
            raise Refused(reasons) from None
        raise
    # What git status cannot see: inputs the build read that git ignores.
    unseen = [p for p in untracked_inputs(head.root, project, inputs_read(book)) if p not in dirty]
    if unseen:
        dirty = (*dirty, *unseen)
        book = replace(book, edition=replace(book.edition, commit=head.short + "-dirty"))
        if not options.allow_dirty:
            reasons = [r for r in reasons if r[0] != EXIT_DIRTY] + [_dirty(dirty)]
    stale = [p for p in book.warnings if p.rule == "link-fragment-missing"]
    if stale:  # a build falls back to the chapter; a release links where it says, or not at all
        if reasons:  # as for any input error: the refusals are what to fix first
            raise Refused(reasons)
        raise BookError(stale)
    if book.stand_ins and not options.allow_stand_ins:
        for fig in book.stand_ins:
            where = f"{PHOTO_MANIFEST}:{fig.photo.line}" if fig.photo.line else PHOTO_MANIFEST
            reasons.append((EXIT_STAND_INS, f"{where}: figure {fig.number} ('{fig.photo.id}') "
                            "is a stand-in, not the photograph; license it or pass "
                            "--allow-stand-ins"))
    if reasons:
        raise Refused(reasons)
    if book.meta.corrections:  # [release] corrections: the page counted from the last tag
        from ..desk.changes import with_corrections

        book = with_corrections(book, project, progress)
    stem = f"{book.meta.slug}-{version}"
    names = {"pdf": f"{stem}.pdf", "epub": f"{stem}.epub", "html": f"{stem}-web.zip",
             "print": f"{stem}-print.pdf", "cover": f"{stem}-cover.pdf"}
    with output_lock(out_dir):
        staging = Path(tempfile.mkdtemp(prefix=".release-", dir=out_dir))
        try:
            report = emit_book(book, staging, FORMATS, progress)
            for item in report.written:  # (their names link into the staging's own set)
                if item.format == "html":
                    atomic_write(staging / names["html"], _zip_folder(
                        item.path.resolve(), f"{stem}-web", book.edition.timestamp))
                else:
                    item.path.resolve().rename(staging / names[item.format])
            progress("verifying")
            results = verify([staging / names[fmt] for fmt in ("pdf", "epub", "print", "cover")])
            if not all(r.passed for r in results):
                raise GateFailed(results)
            summary = _summary(book, head.commit, dirty, options, report, staging, names,
                               results)
            sums = "".join(f"{f['sha256']}  {f['name']}\n" for f in summary["files"])
            atomic_write(staging / SUMS, sums.encode())
            atomic_write(staging / RECORD, (json.dumps(summary, indent=2) + "\n").encode())
            with all_or_nothing(out_dir):  # editions and record switched in at once
                for name in [*names.values(), SUMS, RECORD]:
                    os.replace(staging / name, destination(out_dir / name))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return summary


def _dirty(paths: tuple[str, ...]) -> tuple[int, str]:
    """The refusal naming the files that differ from the commit (the first five)."""
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    return (EXIT_DIRTY, f"the working tree differs from the commit ({shown}); "
                        "commit the changes or pass --allow-dirty")


def _summary(book: Book, commit: str, dirty: tuple[str, ...], options: Options,
             report: BuildReport, staging: Path, names: dict[str, str],
             results: list[Result]) -> dict:
    """release.json: only what the source determines (no paths, no clock), so it
    reproduces along with the editions."""
    when = dt.datetime.fromtimestamp(book.edition.timestamp, tz=dt.UTC)
    pages = next(w.pages for w in report.written if w.format == "pdf")
    return {
        "book": book.meta.title,
        "identifier": book.meta.identifier,
        "edition": book.edition.version,
        "commit": commit,
        "dirty": bool(dirty),
        "date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source_date_epoch": book.edition.timestamp,
        "pages": pages,
        "stand_ins": len(book.stand_ins),
        "allowed": {"dirty": options.allow_dirty, "stand_ins": options.allow_stand_ins},
        "files": [{"name": name, "format": fmt, "size": (staging / name).stat().st_size,
                   "sha256": _sha256(staging / name)} for fmt, name in names.items()],
        "validators": [r.summary() for r in results],
        "builder": {"version": __version__, "libraries": library_versions()},
    }
