"""Imported at start-up by every Python process the tests start (conftest.py puts this
folder on PYTHONPATH): a connection or DNS lookup beyond the loopback interface fails, so a
build in a child process cannot reach the network either. Loopback stays open for
`book serve` and the browser tests."""

import socket

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_connect, _connect_ex, _getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                       socket.getaddrinfo)


def _check(what, host):
    if host not in _LOOPBACK:
        raise ConnectionRefusedError(f"network blocked in tests: {what} {host!r} "
                                     "(tests/netguard/sitecustomize.py)")


def _host(address):
    return address[0] if isinstance(address, tuple) else address


def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check("connect to", _host(address))
    return _connect(self, address)


def connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check("connect to", _host(address))
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host is not None:
        _check("DNS lookup of", host.decode() if isinstance(host, bytes) else host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = (connect, connect_ex,
                                                                       getaddrinfo)
