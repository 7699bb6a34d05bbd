"""Go's GOCACHEPROG protocol (``cmd/go/internal/cacheprog``): JSON lines over the child's stdin and stdout.

The child first announces the commands it knows (``{"ID":0,"KnownCommands":[...]}``); then Go sends
requests, each a JSON object on a line (then a blank line), a ``put`` with ``BodySize > 0`` followed by a
line holding the body as a base64 JSON string. Responses may come in any order; each echoes its request's
ID. ``[]byte`` fields (ActionID, OutputID) are base64 in Go's JSON. A hit (``get``) and every ``put``
answer with ``DiskPath``, a local file holding the body that must exist until ``close``.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from typing import IO, Any

KNOWN_COMMANDS = ("get", "put", "close")
# Not Go's: gocross's compiled helper (native/main.go) tells the server of a local hit it answered itself.
LOCAL_HIT_NOTE = "gocross-local-hit"


@dataclass(frozen=True)
class Request:
    id: int
    command: str
    action_id: bytes = b""
    output_id: bytes = b""
    body: bytes | None = None
    size: int = 0  # in a local-hit note: the size of the body found


def read_request(stream: IO[bytes]) -> Request | None:
    """The next request (with its body), or None at end of input."""
    line = _next_line(stream)
    if not line:
        return None
    data = json.loads(line)
    body = None
    if data.get("Command") == "put":
        body = b""
        if int(data.get("BodySize") or 0) > 0:
            body = base64.b64decode(json.loads(_next_line(stream)))
    return Request(int(data["ID"]), str(data["Command"]), _bytes(data.get("ActionID")),
                   _bytes(data.get("OutputID")), body, int(data.get("Size") or 0))


def _next_line(stream: IO[bytes]) -> bytes:
    """The next non-blank line (Go writes a blank one after each request object), b"" at end of input."""
    while True:
        line = stream.readline()
        if not line or line.strip():
            return line


def _bytes(value: Any) -> bytes:
    return base64.b64decode(value) if value else b""


class Responder:
    """Writes responses whole, one at a time, from whichever thread finished the work."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, response: dict[str, Any]) -> None:
        line = json.dumps(response, separators=(",", ":")).encode() + b"\n"
        with self.lock:
            self.stream.write(line)
            self.stream.flush()

    def hello(self) -> None:
        self.send({"ID": 0, "KnownCommands": list(KNOWN_COMMANDS)})

    def hit(self, request_id: int, output_id: bytes, size: int, disk_path: str) -> None:
        self.send({"ID": request_id, "OutputID": base64.b64encode(output_id).decode(), "Size": size,
                   "DiskPath": disk_path})

    def miss(self, request_id: int) -> None:
        self.send({"ID": request_id, "Miss": True})

    def stored(self, request_id: int, disk_path: str) -> None:
        self.send({"ID": request_id, "DiskPath": disk_path})

    def error(self, request_id: int, message: str) -> None:
        self.send({"ID": request_id, "Err": message})

    def done(self, request_id: int) -> None:
        self.send({"ID": request_id})
