"""DAISY Ace, the EPUB accessibility checker, on the explainer and the hostile project: no
serious or critical violation. Ace comes from the npm registry (scripts/install-ace, run by
`make test`) and drives Debian's chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO

ACE = REPO / ".cache" / "ace" / "node_modules" / ".bin" / "ace-puppeteer"


def start_ace(epub, out) -> subprocess.Popen:
    """Ace on `epub`, writing its report into `out`, started in the background."""
    assert ACE.is_file(), "DAISY Ace is missing: run scripts/install-ace (make test does)"
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: scripts/install-system-deps installs it"
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium}
    return subprocess.Popen([str(ACE), "-E", "-s", "-o", str(out), str(epub)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ace_report(proc: subprocess.Popen, out) -> dict:
    """The report of an Ace run that start_ace started, once it has ended."""
    _, stderr = proc.communicate(timeout=300)
    report = out / "report.json"
    assert report.is_file(), f"Ace wrote no report (exit {proc.returncode}):\n{stderr}"
    return json.loads(report.read_text("utf-8"))


def run_ace(epub, out) -> dict:
    return ace_report(start_ace(epub, out), out)


def violations(report: dict) -> list[tuple[str, str, str]]:
    found = []
    for subject in report.get("assertions", []):
        for check in subject.get("assertions", []):
            test = check["earl:test"]
            found.append((test["earl:impact"], test["dct:title"],
                          subject["earl:testSubject"]["url"]))
    return found


@pytest.fixture(scope="module")
def ace_reports(session_builds, tmp_path_factory) -> dict[str, dict]:
    """Ace on the explainer's and the hostile project's EPUBs, both at once."""
    base = tmp_path_factory.mktemp("ace")
    runs = {name: start_ace(built.epub, base / name)
            for name, built in (("explainer", session_builds.explainer),
                                ("hostile", session_builds.hostile))}
    return {name: ace_report(proc, base / name) for name, proc in runs.items()}


@pytest.mark.parametrize("name", ["explainer", "hostile"])
def test_ace_finds_no_serious_or_critical_violation(ace_reports, name):
    bad = [v for v in violations(ace_reports[name]) if v[0] in ("serious", "critical")]
    assert not bad, bad


def test_ace_reads_the_accessibility_metadata(ace_reports):
    report = ace_reports["explainer"]
    metadata = report["earl:testSubject"]["metadata"]
    assert "schema:accessMode" in metadata and "schema:accessibilityFeature" in metadata
    assert report["earl:result"]["earl:outcome"] == "pass", violations(report)
