"""One HTTP POST to a checked address (stdlib http.client; no redirects followed)."""

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from deskline.automation.urlcheck import resolve

TIMEOUT = 10
MAX_RESPONSE = 2000


@dataclass
class Response:
    status: int
    excerpt: str


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST body to url; raises RefusedURL, OSError or HTTPException on failure."""
    scheme, port, host, address = resolve(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = kind(host, port, address, TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        excerpt = reply.read(MAX_RESPONSE).decode("utf-8", "replace")
        return Response(reply.status, excerpt)
    finally:
        connection.close()
