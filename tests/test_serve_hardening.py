"""`book serve` as a web page on another site, or a crowd, would meet it: only requests
naming the address it bound are answered (DNS rebinding gets 421), nothing it sends holds
the project's absolute path, and 200 concurrent requests are served while 300 other
connections sit idle."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import EPOCH, MINI, REPO

pytestmark = pytest.mark.localhost


@pytest.fixture
def served(tmp_path):
    """(project, port) of `book serve` running on a copy of mini."""
    project = tmp_path / "mini"
    shutil.copytree(MINI, project)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH))
    process = subprocess.Popen([sys.executable, "-m", "book.cli", "serve", str(project),
                                "--port", "0"], cwd=REPO, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for line in process.stdout:
            found = re.match(r"^serving http://127\.0\.0\.1:(\d+)/", line)
            if found:
                break
        else:
            raise AssertionError("book serve never said where it serves")
        yield project, int(found[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


def ask(port: int, path: str, host: str | None) -> tuple[int, bytes]:
    """Status and body of a GET sent with exactly this Host header (None: no header)."""
    request = f"GET {path} HTTP/1.1\r\nConnection: close\r\n"
    if host is not None:
        request += f"Host: {host}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall((request + "\r\n").encode())
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if path.startswith("/__book/events") and b"\n\n" in answer:
                break  # the stream's first event is enough
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_only_the_bound_address_is_answered(served):
    _, port = served
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}",
                 f"[::1]:{port}"):
        assert ask(port, "/index.html", host)[0] == 200, host
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1",
                 f"127.0.0.1:{port + 1}", f"127.0.0.1.attacker.example:{port}", "", None):
        for path in ("/index.html", "/__book/events", "/missing.html"):
            status, body = ask(port, path, host)
            assert status == 421, (host, path, status)
            assert b"Tide" not in body and b"data:" not in body


def test_nothing_sent_holds_an_absolute_path(served):
    """Broken sources, whose errors the pages and the reload stream carry: only paths
    relative to the project."""
    project, port = served
    host = f"127.0.0.1:{port}"
    chapter = project / "chapters" / "two.md"
    time.sleep(2)  # the watcher starts after "serving"
    chapter.rename(project / "chapters" / "gone.md")  # a listed chapter missing
    deadline = time.monotonic() + 30
    while b"two.md" not in ask(port, "/__book/events", host)[1]:
        assert time.monotonic() < deadline, "the errors never reached the stream"
        time.sleep(0.3)
    for path in ("/__book/events", "/index.html"):
        body = ask(port, path, host)[1]
        assert str(project).encode() not in body and str(project.parent).encode() not in body
        assert b"/tmp" not in body, body[:500]


def test_200_requests_beside_300_idle_connections(served):
    _, port = served
    idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(300)]
    try:
        for connection in idle[:150]:  # half of them have begun a request and stopped
            connection.sendall(b"GET /index.html HTTP/1.1\r\n")
        began = time.monotonic()
        with ThreadPoolExecutor(200) as pool:
            statuses = list(pool.map(lambda _: ask(port, "/index.html", f"127.0.0.1:{port}")[0],
                                     range(200)))
        assert statuses == [200] * 200
        assert time.monotonic() - began < 30
    finally:
        for connection in idle:
            connection.close()


def test_a_failure_naming_the_project_path_is_sent_relative(tmp_path):
    """No source error names an absolute path today; a failure that would (an OSError's
    message) still reaches pages and the stream relative to the project."""
    from book.model import Edition
    from book.web.serve import Preview

    said: list[str] = []
    preview = Preview(tmp_path, Edition("1", int(EPOCH)), said.append)
    preview._failed([f"build failed: {tmp_path}/chapters/x.md: Permission denied"])
    assert preview.site.errors == ["build failed: chapters/x.md: Permission denied"]
    assert str(tmp_path) not in preview.site.state()
