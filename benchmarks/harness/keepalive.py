"""A minimal keep-alive HTTP/1.1 client, written here: a GET in one `sendall`, the status line and Content-Length read
from the head, the body read to its length. A benchmark measures the server and the loopback, not a client library:
httpx's and http.client's own work per request was a sizeable part of a search's time (docs/benchmarks.md, search).
Responses must carry a Content-Length (granian's do)."""

from __future__ import annotations

import socket


class KeepAliveClient:
    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body) of GET `path` with `headers` (e.g. Authorization), on the open connection (opened on the
        first call, or after close())."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=120)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status_line, *headers = head.split(b"\r\n")
        lengths = [int(h.split(b":", 1)[1]) for h in headers if h.lower().startswith(b"content-length:")]
        if not lengths:
            raise RuntimeError(f"no Content-Length in the answer to {path}: {head[:300]!r}")
        while len(rest) < lengths[0]:
            rest += self._recv()
        body, self.buffer = rest[: lengths[0]], rest[lengths[0] :]
        return int(status_line.split()[1]), body

    def _recv(self) -> bytes:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
