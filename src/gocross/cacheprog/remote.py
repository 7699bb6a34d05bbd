"""The second level: a shared folder, or an HTTP server speaking the Bazel remote-cache HTTP protocol.

Bazel's protocol (``GET``/``PUT`` of ``/ac/<hex>`` and ``/cas/<sha256>``) is served by bazel-remote, nginx
with WebDAV, BuildBuddy and others. A Go output ID *is* the sha256 of the body, so bodies live in ``cas/``
under their own hash and every download can be verified; an action ID maps to an ``ac/`` record that is a
Bazel ``ActionResult`` protobuf naming one output file by its digest (so servers that validate AC entries
accept it). A shared folder uses the same two sub-folders.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    import http.client

TIMEOUT = 5.0  # seconds per request: a slow server costs at most this once (the breaker then stops asking)
OUTPUT_NAME = "go-output"


class RemoteError(Exception):
    """The remote could not answer (unreachable, timed out, an HTTP error): a miss, never a failed build."""


class Backend(Protocol):
    def get_ac(self, action_id: bytes) -> bytes | None: ...
    def get_cas(self, output_id: bytes, sink: BinaryIO) -> bool: ...
    def put_cas(self, output_id: bytes, body: Path | bytes) -> None: ...
    def put_ac(self, action_id: bytes, record: bytes) -> None: ...


# -- the ActionResult record (build/bazel/remote/execution/v2: ActionResult.output_files = 2,
#    OutputFile.path = 1, OutputFile.digest = 2, Digest.hash = 1, Digest.size_bytes = 2)

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_action_result(output_id: bytes, size: int) -> bytes:
    digest = _field(1, output_id.hex().encode()) + _varint(2 << 3) + _varint(size)
    return _field(2, _field(1, OUTPUT_NAME.encode()) + _field(2, digest))


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message; ValueError when malformed."""
    i = 0

    def varint() -> int:
        nonlocal i
        shift = value = 0
        while True:
            if i >= len(buf) or shift > 63:
                raise ValueError("truncated varint")
            byte = buf[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while i < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, varint()
        elif wire == 2:
            length = varint()
            if i + length > len(buf):
                raise ValueError("truncated field")
            yield number, buf[i:i + length]
            i += length
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
        else:
            raise ValueError(f"wire type {wire}")


def decode_action_result(record: bytes) -> tuple[bytes, int] | None:
    """(output ID, size) of the record's one output file, or None if it is not such a record."""
    try:
        for number, value in _fields(record):
            if number == 2 and isinstance(value, bytes):
                for n2, v2 in _fields(value):
                    if n2 == 2 and isinstance(v2, bytes):
                        digest = dict(_fields(v2))
                        hex_hash, size = digest.get(1), digest.get(2, 0)
                        if isinstance(hex_hash, bytes) and isinstance(size, int) and len(hex_hash) == 64:
                            return bytes.fromhex(hex_hash.decode()), size
    except (ValueError, UnicodeDecodeError):
        return None
    return None


# -- a shared folder

class FolderBackend:
    """``<root>/ac/<hex>`` and ``<root>/cas/<hex>``, each written to an exclusive temporary and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, kind: str, key: bytes) -> Path:
        return self.root / kind / key.hex()

    def get_ac(self, action_id: bytes) -> bytes | None:
        try:
            return self._path("ac", action_id).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RemoteError(f"{self.root}: {exc.strerror}") from None

    def get_cas(self, output_id: bytes, sink: BinaryIO) -> bool:
        try:
            with self._path("cas", output_id).open("rb") as handle:
                shutil.copyfileobj(handle, sink, 1 << 20)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise RemoteError(f"{self.root}: {exc.strerror}") from None
        return True

    def put_cas(self, output_id: bytes, body: Path | bytes) -> None:
        self._store(self._path("cas", output_id), body if isinstance(body, bytes) else body.read_bytes())

    def put_ac(self, action_id: bytes, record: bytes) -> None:
        self._store(self._path("ac", action_id), record)

    def _store(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".gocross-", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(name).chmod(0o644)
            Path(name).replace(path)
        except OSError as exc:
            raise RemoteError(f"{self.root}: {exc.strerror}") from None


# -- an HTTP server

class HttpBackend:
    """Bazel's HTTP cache protocol, one keep-alive connection per thread; any failure is a RemoteError."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        parts = urllib.parse.urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            self.headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            import http.client  # at first use: ≈ 22 ms (ssl, email) a helper whose lookups all hit locally skips

            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _request(self, method: str, path: str, body: BinaryIO | bytes | None = None,
                 length: int = 0) -> Iterator[http.client.HTTPResponse]:
        conn = self._connection()
        import http.client  # loaded by _connection already; the name for the except clause below
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Length"] = str(length)
        try:
            conn.request(method, f"{self.prefix}/{path}", body=body, headers=headers)
            response = conn.getresponse()
            yield response
            response.read()  # drain, so the connection can be reused
            if response.will_close:
                self._drop()
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise RemoteError(_reason(exc)) from None
        except BaseException:  # an HTTP error status, or anything else: never reuse a half-read connection
            self._drop()
            raise

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def get_ac(self, action_id: bytes) -> bytes | None:
        with self._request("GET", f"ac/{action_id.hex()}") as response:
            if response.status == 404:
                return None
            _check(response, "GET")
            return response.read()

    def get_cas(self, output_id: bytes, sink: BinaryIO) -> bool:
        with self._request("GET", f"cas/{output_id.hex()}") as response:
            if response.status == 404:
                return False
            _check(response, "GET")
            shutil.copyfileobj(response, sink, 1 << 20)
            return True

    def put_cas(self, output_id: bytes, body: Path | bytes) -> None:
        if isinstance(body, bytes):
            with self._request("PUT", f"cas/{output_id.hex()}", body, len(body)) as response:
                _check(response, "PUT")
            return
        with body.open("rb") as handle, \
                self._request("PUT", f"cas/{output_id.hex()}", handle, body.stat().st_size) as response:
            _check(response, "PUT")

    def put_ac(self, action_id: bytes, record: bytes) -> None:
        with self._request("PUT", f"ac/{action_id.hex()}", record, len(record)) as response:
            _check(response, "PUT")


def _check(response: http.client.HTTPResponse, method: str) -> None:
    if not 200 <= response.status < 300:
        raise RemoteError(f"{method} answered HTTP {response.status} {response.reason}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return exc.__class__.__name__


def open_backend(url: str) -> Backend:
    """The back-end for a cache URL: http(s)://… or a folder (file:///… or an absolute path)."""
    if url.startswith(("http://", "https://")):
        return HttpBackend(url)
    path = urllib.parse.urlsplit(url).path if url.startswith("file://") else url
    return FolderBackend(Path(path))
