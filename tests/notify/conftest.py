"""A local webhook receiver: an http.server in a thread that records every POST."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class Receiver:
    """Records requests; answers each with the next of ``statuses`` (then 200)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free local port; its URL carries a fake token in the path."""
    record = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            record.requests.append(Received(self.path, dict(self.headers.items()), json.loads(self.rfile.read(length))))
            self.send_response(record.statuses.pop(0) if record.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T0KEN-s3cr3t"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
