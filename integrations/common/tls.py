"""Throwaway TLS for local test servers: a private CA and a cert for 127.0.0.1/localhost."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class TestTls:
    """What a local HTTPS server and its clients need."""

    __test__ = False  # not a pytest test class, despite the name

    server_context: ssl.SSLContext  # pass to `aiohttp.web.TCPSite(..., ssl_context=)`
    ca_file: Path  # PEM of the CA that signed the server cert: give it to clients

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only the throwaway CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_test_tls(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TestTls:
    """Make a new CA, issue a server certificate for `hosts`, write the CA to `directory`."""
    ca = trustme.CA()
    cert = ca.issue_cert(*hosts)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    directory.mkdir(parents=True, exist_ok=True)
    ca_file = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TestTls(server_context=server_context, ca_file=ca_file)
