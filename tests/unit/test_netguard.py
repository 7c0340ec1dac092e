"""The test session's network guard reaches the processes the tests start: a child Python
cannot look up or connect to anything beyond loopback (tests/netguard/sitecustomize.py)."""

from __future__ import annotations

import socket
import subprocess
import sys


def child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_a_child_cannot_look_a_host_up_or_connect_out():
    lookup = child("import socket; socket.getaddrinfo('example.org', 80)")
    connect = child("import socket; socket.create_connection(('93.184.215.14', 80), 5)")
    for result in (lookup, connect):
        assert result.returncode == 1
        assert "network blocked in tests" in result.stderr


def test_a_child_may_reach_loopback():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = child(f"import socket; socket.create_connection(('127.0.0.1', {port}), 5)"
                       ".sendall(b'hi')")
        connection, _ = server.accept()
        with connection:
            assert connection.recv(2) == b"hi"
    assert result.returncode == 0, result.stderr
