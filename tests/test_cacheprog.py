"""The GOCACHEPROG helper against a real HTTP cache (nginx with WebDAV on loopback) and a real folder.

The protocol tests talk to ``python -m gocross.cacheprog`` exactly as Go does (JSON lines, base64 bodies); the
slow tests run real ``go build``s through it: a warm remote serving an empty GOCACHE byte for byte, a corrupt
entry detected and not used, the server killed in the middle of a build that still succeeds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import write_module
from tests.helpers import assert_clean_error, gocross
from tests.nginx_cache import NginxCache, nginx_cache

from gocross.cacheprog.local import LocalCache, parse_entry
from gocross.cacheprog.prefetch import hint_for
from gocross.cacheprog.remote import decode_action_result, encode_action_result
from gocross.cacheprog.server import RELAY, CacheServer
from gocross.cacheprog.session import resolve_cache_url
from gocross.cacheprog.stats import CacheStats, collect_stats
from gocross.errors import UsageError


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NginxCache]:
    with nginx_cache(tmp_path / "nginx") as s:
        yield s


class Helper:
    """One GOCACHEPROG child, spoken to as Go speaks to it: over two pipes, until they close."""

    def __init__(self, remote: str | None, local: Path, stats: Path, argv: list[str] | None = None) -> None:
        if argv is None:
            argv = [sys.executable, "-m", "gocross.cacheprog", "--local", str(local), "--stats", str(stats)]
            argv += ["--remote", remote] if remote else []
            stats.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.next_id = 0
        hello = self._read()
        assert hello == {"ID": 0, "KnownCommands": ["get", "put", "close"]}

    def _read(self) -> dict[str, Any]:
        line = self.stdout.readline()
        assert line, "the helper closed its output"
        data: dict[str, Any] = json.loads(line)
        return data

    def _send(self, request: dict[str, Any], body: bytes | None = None) -> dict[str, Any]:
        self.next_id += 1
        request["ID"] = self.next_id
        self.stdin.write(json.dumps(request).encode() + b"\n\n")  # Go's encoder line, then a blank line
        if body:
            self.stdin.write(json.dumps(base64.b64encode(body).decode()).encode() + b"\n")
        self.stdin.flush()
        response = self._read()
        assert response["ID"] == self.next_id
        return response

    def put(self, action: bytes, body: bytes) -> dict[str, Any]:
        out = hashlib.sha256(body).digest()
        return self._send({"Command": "put", "ActionID": _b64(action), "OutputID": _b64(out),
                           "BodySize": len(body)}, body)

    def get(self, action: bytes) -> dict[str, Any]:
        return self._send({"Command": "get", "ActionID": _b64(action)})

    def close(self) -> None:
        assert self._send({"Command": "close"}) == {"ID": self.next_id}
        self.stdin.close()  # as Go does after `close`; it then waits for the pipe to end
        assert self.stdout.read() == b""
        self.proc.wait(timeout=60)
        assert self.proc.returncode == 0


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


ACTION = hashlib.sha256(b"an action").digest()
BODY = b"compiled package bytes\n" * 1000


def test_a_put_is_uploaded_and_serves_an_empty_gocache(server: NginxCache, tmp_path: Path) -> None:
    first = Helper(server.url, tmp_path / "gocache1", tmp_path / "stats")
    stored = first.put(ACTION, BODY)
    assert Path(stored["DiskPath"]).read_bytes() == BODY
    assert first.get(ACTION)["DiskPath"] == stored["DiskPath"]  # a local hit now
    first.close()
    out = hashlib.sha256(BODY).hexdigest()
    assert (server.data / "cas" / out).read_bytes() == BODY  # the body, under its own sha256
    assert decode_action_result((server.data / "ac" / ACTION.hex()).read_bytes()) == (bytes.fromhex(out), len(BODY))

    second = Helper(server.url, tmp_path / "gocache2", tmp_path / "stats")
    hit = second.get(ACTION)
    assert base64.b64decode(hit["OutputID"]).hex() == out and hit["Size"] == len(BODY)
    assert Path(hit["DiskPath"]).read_bytes() == BODY
    assert Path(hit["DiskPath"]).is_relative_to(tmp_path / "gocache2")
    assert second.get(hashlib.sha256(b"never put").digest()) == {"ID": 2, "Miss": True}
    second.close()
    stats = collect_stats(tmp_path / "stats")
    assert (stats.helpers, stats.uploads, stats.local_hits, stats.remote_hits, stats.misses) == (2, 1, 1, 1, 1)
    assert stats.bytes_up == stats.bytes_down == len(BODY)
    assert (stats.failed, stats.corrupt, stats.upload_failures) == (0, 0, 0)


def test_a_corrupt_remote_body_is_a_miss_and_never_stored(server: NginxCache, tmp_path: Path) -> None:
    first = Helper(server.url, tmp_path / "gocache1", tmp_path / "stats")
    first.put(ACTION, BODY)
    first.close()
    out = hashlib.sha256(BODY).hexdigest()
    blob = server.data / "cas" / out
    blob.write_bytes(BODY.replace(b"compiled", b"tampered"))  # same size, other bytes

    second = Helper(server.url, tmp_path / "gocache2", tmp_path / "stats")
    assert second.get(ACTION) == {"ID": 1, "Miss": True}
    second.close()
    assert not LocalCache(tmp_path / "gocache2").body_path(bytes.fromhex(out)).exists()
    assert not (tmp_path / "gocache2" / ACTION.hex()[:2] / f"{ACTION.hex()}-a").exists()
    stats = collect_stats(tmp_path / "stats")
    assert stats.corrupt == 1 and stats.remote_hits == 0 and stats.misses == 1


def test_a_down_server_costs_misses_not_failures(tmp_path: Path) -> None:
    from tests.nginx_cache import _free_port

    helper = Helper(f"http://127.0.0.1:{_free_port()}", tmp_path / "gocache", tmp_path / "stats")
    started = time.monotonic()
    assert helper.get(ACTION) == {"ID": 1, "Miss": True}
    assert helper.get(hashlib.sha256(b"other").digest()) == {"ID": 2, "Miss": True}
    assert "DiskPath" in helper.put(ACTION, BODY)  # stored locally all the same
    assert helper.get(ACTION)["Size"] == len(BODY)
    helper.close()
    assert time.monotonic() - started < 10
    stats = collect_stats(tmp_path / "stats")
    assert (stats.failed, stats.misses, stats.local_hits, stats.upload_failures) == (2, 2, 1, 1)
    assert stats.errors == ("connection refused",)
    assert "2 lookups and 1 uploads failed (connection refused)" in stats.summary()


def test_a_shared_folder_works_the_same(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    first = Helper(str(shared), tmp_path / "gocache1", tmp_path / "stats")
    first.put(ACTION, BODY)
    first.close()
    second = Helper(f"file://{shared}", tmp_path / "gocache2", tmp_path / "stats")
    assert Path(second.get(ACTION)["DiskPath"]).read_bytes() == BODY
    second.close()
    assert collect_stats(tmp_path / "stats").remote_hits == 1


def _relay(server: CacheServer, hint: str | None = None) -> Helper:
    """A relay started with the argument list behind the server's GOCACHEPROG, as Go starts it."""
    argv = [sys.executable, "-I", "-S", str(RELAY), str(server.path), *([hint] if hint else [])]
    assert server.env_for(hint)["GOCACHEPROG"] == " ".join(argv)  # no word here needs Go's quotes
    return Helper(None, Path(), Path(), argv)


def test_one_server_answers_every_go_command_through_its_relay(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    server = CacheServer(str(shared), tmp_path / "gocache")
    first, second = _relay(server), _relay(server)
    assert first.proc.wait(timeout=10) == 0 and second.proc.wait(timeout=10) == 0  # gone once the pipes passed
    stored = first.put(ACTION, BODY)
    hit = second.get(ACTION)  # the other go command sees it at once: one store
    assert hit["DiskPath"] == stored["DiskPath"] and Path(hit["DiskPath"]).read_bytes() == BODY
    assert second.get(hashlib.sha256(b"never built").digest()) == {"ID": 2, "Miss": True}
    first.close()
    second.close()
    stats = server.close()
    assert (stats.helpers, stats.local_hits, stats.misses, stats.uploads) == (2, 1, 1, 1)
    assert (shared / "cas" / hashlib.sha256(BODY).hexdigest()).read_bytes() == BODY
    assert not server.folder.exists()  # the socket's private folder is gone with the server


HINT = hint_for("go1.25.0", ("hello", ".", ("-trimpath",), [("GOARCH", "arm64"), ("GOOS", "linux")]))
BODIES = [f"package {i}\n".encode() * 400 for i in range(40)]
ACTIONS = [hashlib.sha256(b"action %d" % i).digest() for i in range(40)]


def _publish(url: str, gocache: Path, succeeded: bool = True) -> CacheStats:
    """One gocross command whose go command (through a relay with HINT) puts the three entries."""
    server = CacheServer(url, gocache)
    helper = _relay(server, HINT)
    for action, body in zip(ACTIONS, BODIES, strict=True):
        helper.get(action)  # Go asks first, misses, compiles, then puts
        helper.put(action, body)
    helper.close()
    if succeeded:
        server.build_succeeded(HINT)
    return server.close()


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _reads(server: NginxCache, since: int) -> list[str]:
    """The GET request lines nginx logged after its first ``since`` lines."""
    return [r for r in server.requests()[since:] if r.startswith("GET ")]


def _areas(lines: list[str]) -> list[str]:
    """The part of the cache (``ac`` or ``cas``) each request line names."""
    return [r.split()[1].split("/")[1] for r in lines]


def test_a_target_reads_ahead_what_its_last_build_found(server: NginxCache, tmp_path: Path) -> None:
    published = _publish(server.url, tmp_path / "gocache1")
    assert published.uploads == 41  # the entries and the list
    record = decode_action_result((server.data / "ac" / HINT).read_bytes())
    assert record is not None
    listed = (server.data / "cas" / record[0].hex()).read_bytes()
    # Each entry: the action, the output's sha256 and its size (8 bytes, big-endian), in the order Go asked.
    assert listed == b"".join(a + hashlib.sha256(b).digest() + len(b).to_bytes(8, "big")
                              for a, b in zip(ACTIONS, BODIES, strict=True))
    assert record[1] == len(listed)

    before = len(server.requests())
    reader = CacheServer(server.url, tmp_path / "gocache2")
    helper = _relay(reader, HINT)
    _wait_for(lambda: reader.store.count.prefetched == 40)  # fetched before Go asked for any
    # nginx logs a request once it has answered: the publisher's last PUT may be logged after `before`.
    _wait_for(lambda: len(_reads(server, before)) >= 42)
    asked = len(server.requests())
    # The list (its record, its body), then the 40 bodies straight from cas/: no record asked for.
    kinds = _areas(_reads(server, before))
    assert kinds[:2] == ["ac", "cas"] and kinds[2:] == ["cas"] * 40
    for action, body in zip(ACTIONS, BODIES, strict=True):
        assert Path(helper.get(action)["DiskPath"]).read_bytes() == body
    assert len(server.requests()) == asked  # every answer was here already
    helper.close()
    reader.build_succeeded(HINT)
    stats = reader.close()
    assert (stats.prefetched, stats.remote_hits, stats.prefetch_unused, stats.local_hits) == (40, 40, 0, 0)
    assert stats.uploads == 0  # the same list: not published again

    # A warm local GOCACHE: the list is fetched, and nothing else (its entries are all here).
    asked = len(server.requests())
    warm = CacheServer(server.url, tmp_path / "gocache1")
    helper = _relay(warm, HINT)
    _wait_for(lambda: HINT in warm.given)
    assert helper.get(ACTIONS[39])["Size"] == len(BODIES[39])
    helper.close()
    assert (warm.close().prefetched, warm.store.count.local_hits) == (0, 1)
    _wait_for(lambda: len(_reads(server, asked)) >= 2)  # logged once answered: maybe after warm.close()
    assert _areas(server.requests()[asked:]) == ["ac", "cas"]  # the list alone


def test_a_failed_build_publishes_no_list(server: NginxCache, tmp_path: Path) -> None:
    assert _publish(server.url, tmp_path / "gocache", succeeded=False).uploads == len(ACTIONS)
    assert not (server.data / "ac" / HINT).exists()


def test_a_corrupt_list_or_listed_entry_is_not_used(server: NginxCache, tmp_path: Path) -> None:
    _publish(server.url, tmp_path / "gocache1")
    body = server.data / "cas" / hashlib.sha256(BODIES[0]).hexdigest()
    body.write_bytes(b"\0" * len(BODIES[0]))  # a listed entry's body, corrupted
    reader = CacheServer(server.url, tmp_path / "gocache2")
    helper = _relay(reader, HINT)
    _wait_for(lambda: reader.store.count.prefetched == 39 and reader.store.count.corrupt == 1)
    assert helper.get(ACTIONS[0]) == {"ID": 1, "Miss": True}  # asked again, still corrupt: a miss
    helper.close()
    stats = reader.close()
    assert (stats.corrupt, stats.prefetch_unused) == (2, 39)  # read ahead, never asked for

    record = decode_action_result((server.data / "ac" / HINT).read_bytes())
    assert record is not None
    listed = server.data / "cas" / record[0].hex()
    listed.write_bytes(listed.read_bytes()[::-1])  # the list itself corrupted: nothing read ahead
    reader = CacheServer(server.url, tmp_path / "gocache3")
    helper = _relay(reader, HINT)
    assert Path(helper.get(ACTIONS[2])["DiskPath"]).read_bytes() == BODIES[2]  # Go's own lookup still works
    # The list is fetched on a lookup thread while Go asks; one still queued at close is cancelled, unread.
    _wait_for(lambda: reader.store.count.corrupt == 1)
    helper.close()
    stats = reader.close()
    assert (stats.prefetched, stats.corrupt, stats.remote_hits) == (0, 1, 1)


def test_a_stranger_on_the_socket_is_ignored(tmp_path: Path) -> None:
    import socket

    server = CacheServer(str(tmp_path / "shared"), tmp_path / "gocache")
    assert server.folder.stat().st_mode & 0o777 == 0o700
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stranger:
        stranger.connect(str(server.path))
        stranger.sendall(b"GET / HTTP/1.0\r\n\r\n")  # no pipes passed: dropped without an answer
        try:
            answer = stranger.recv(16)
        except ConnectionResetError:  # closed with our bytes unread
            answer = b""
        assert answer == b""
    helper = _relay(server)
    assert "DiskPath" in helper.put(ACTION, BODY)
    helper.close()
    assert server.close().helpers == 1


def test_a_relay_without_its_server_is_one_sentence(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-I", "-S", str(RELAY), str(tmp_path / "gone")], input=b"",
                          capture_output=True, timeout=30, check=False)
    assert proc.returncode == 1 and proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1 and "cannot reach the cache server" in lines[0] and "no such file" in lines[0].lower()


def test_the_local_level_is_gos_own_format(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path)
    out = hashlib.sha256(BODY).digest()
    cache.put_body(out, BODY)
    cache.put_entry(ACTION, out, len(BODY))
    entry = (tmp_path / ACTION.hex()[:2] / f"{ACTION.hex()}-a").read_bytes()
    assert entry.startswith(f"v1 {ACTION.hex()} {out.hex()} ".encode()) and len(entry) == 175
    assert parse_entry(entry, ACTION) == (out, len(BODY))
    assert parse_entry(entry, hashlib.sha256(b"x").digest()) is None


def test_action_result_records() -> None:
    out = hashlib.sha256(BODY).digest()
    record = encode_action_result(out, 123456789)
    assert decode_action_result(record) == (out, 123456789)
    assert decode_action_result(b"not a protobuf \xff\xff") is None
    assert decode_action_result(b"") is None


def test_cache_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOCROSS_CACHE", "http://env:1")
    assert resolve_cache_url(None, None) == "http://env:1"
    assert resolve_cache_url(None, "/srv/cache") == "/srv/cache"
    assert resolve_cache_url("off", "/srv/cache") is None
    with pytest.raises(UsageError, match="neither an http"):
        resolve_cache_url("relative/dir", None)


def test_a_bad_cache_is_one_sentence(tmp_path: Path) -> None:
    proc = gocross("build", "examples/hello", "-t", "linux/amd64", "-o", tmp_path, "--cache", "cache-dir",
                   cwd=Path(__file__).resolve().parent.parent)
    assert_clean_error(proc, 2, "neither an http(s):// URL nor an absolute folder")


# -- real go builds through the helper (each starts from an empty GOCACHE: slow)

TINY = {"main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tiny") }\n'}


def _build(module: Path, out: Path, gocache: Path, cache: str, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "GOCACHE": str(gocache)}
    proc = gocross("build", module, "-t", "linux/amd64", "-o", out, "--cache", cache, "--json", *extra, env=env)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.slow
def test_builds_share_compiled_packages_through_the_server(server: NginxCache, tmp_path: Path) -> None:
    module = write_module(tmp_path / "src", TINY)
    cold = _build(module, tmp_path / "a", tmp_path / "gocache-a", server.url)
    assert cold["cache"]["uploads"] > 20 and cold["cache"]["remote_hits"] == 0
    warm = _build(module, tmp_path / "b", tmp_path / "gocache-b", server.url)
    assert warm["cache"]["remote_hits"] > 20 and warm["cache"]["failed"] == 0
    assert warm["cache"]["bytes_down"] > 1 << 20
    # The cold build published what its target found; the warm one read it ahead, and used nearly all of it.
    assert warm["cache"]["prefetched"] > 20 and warm["cache"]["prefetch_unused"] <= 5
    assert warm["artifacts"][0]["sha256"] == cold["artifacts"][0]["sha256"]

    # A corrupt body on the server: detected, not used, compiled again — the same binary.
    blobs = sorted((server.data / "cas").iterdir(), key=lambda p: p.stat().st_size)
    victim = blobs[-1]
    victim.write_bytes(b"\0" * victim.stat().st_size)
    again = _build(module, tmp_path / "c", tmp_path / "gocache-c", server.url)
    assert again["cache"]["corrupt"] >= 1
    assert again["artifacts"][0]["sha256"] == cold["artifacts"][0]["sha256"]
    local = LocalCache(tmp_path / "gocache-c").body_path(bytes.fromhex(victim.name))
    assert hashlib.sha256(local.read_bytes()).hexdigest() == victim.name  # Go's own bytes, not the zeros
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == victim.name  # and the upload healed the server


@pytest.mark.slow
def test_the_server_killed_mid_build_does_not_fail_it(server: NginxCache, tmp_path: Path) -> None:
    module = write_module(tmp_path / "src", TINY)
    env = {**os.environ, "GOCACHE": str(tmp_path / "gocache")}
    argv = [sys.executable, "-m", "gocross", "build", str(module), "-t", "linux/amd64", "-o", str(tmp_path / "d"),
            "--cache", server.url, "--json"]
    build = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while len([r for r in server.requests() if r.startswith("PUT")]) < 5 and time.monotonic() < deadline:
        assert build.poll() is None, build.communicate()
        time.sleep(0.05)
    server.kill()
    stdout, stderr = build.communicate(timeout=900)
    assert build.returncode == 0, stderr
    result = json.loads(stdout)
    assert result["artifacts"][0]["status"] == "ok"
    stats = result["cache"]
    assert stats["failed"] + stats["upload_failures"] > 0 and stats["uploads"] >= 1
    assert stats["errors"]


def test_a_temporary_folder_with_a_quote_and_a_space(tmp_path: Path) -> None:
    """The relay's arguments reach it intact through Go's own GOCACHEPROG splitting (warm: local hits), and
    the server's socket folder in TMPDIR is gone afterwards."""
    tmpdir = tmp_path / "it's a tmp"
    tmpdir.mkdir()
    proc = gocross("build", Path(__file__).resolve().parent.parent / "examples" / "hello", "-t", "linux/amd64",
                   "-o", tmp_path / "dist", "--cache", tmp_path / "shared", "--json",
                   env={**os.environ, "TMPDIR": str(tmpdir)})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    stats = json.loads(proc.stdout)["cache"]
    assert stats["helpers"] == 1 and stats["local_hits"] > 20 and stats["failed"] == 0
    assert not list(tmpdir.iterdir())
