"""A target whose read-ahead list is all in the local GOCACHE builds without GOCACHEPROG (server.py's
``builds_locally``), and what that build added reaches the shared cache anyway — against the real nginx.

The builds use the suite's warm GOCACHE (one small ``fmt`` program for linux/amd64), so nothing here compiles
a standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import write_module
from tests.helpers import gocross
from tests.nginx_cache import NginxCache, nginx_cache

from gocross.cacheprog.local import LocalCache
from gocross.cacheprog.remote import decode_action_result
from gocross.cacheprog.server import LOCAL_BUILDS_ENV

TINY = {"main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tiny") }\n'}
EDIT = 'package main\n\nfunc init() {{ println("an edit only this runner has: {}") }}\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NginxCache]:
    with nginx_cache(tmp_path / "nginx") as s:
        yield s


def _build(module: Path, out: Path, url: str, **env: str) -> dict[str, Any]:
    proc = gocross("build", module, "-t", "linux/amd64", "-o", out, "--cache", url, "--json",
                   env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _logged_since(server: NginxCache, before: int, at_least: int) -> list[str]:
    """The requests nginx logged after its first ``before`` lines, once there are ``at_least`` of them (it
    logs a request after answering it, so the log can trail the command that made it)."""
    deadline = time.monotonic() + 10
    while len(server.requests()) < before + at_least:
        assert time.monotonic() < deadline, f"nginx logged {server.requests()[before:]}"
        time.sleep(0.01)
    return server.requests()[before:]


def test_an_all_local_target_skips_the_helper_and_uploads_what_it_added(server: NginxCache,
                                                                        tmp_path: Path) -> None:
    module = write_module(tmp_path / "src", TINY)
    first = _build(module, tmp_path / "a", server.url)  # no list yet: through the helper, which publishes one
    assert (first["cache"]["helpers"], first["cache"]["local_builds"]) == (1, 0)
    assert first["cache"]["local_hits"] > 20

    before = len(server.requests())
    second = _build(module, tmp_path / "b", server.url)
    assert (second["cache"]["helpers"], second["cache"]["local_builds"]) == (0, 1)
    assert (second["cache"]["uploads"], second["cache"]["misses"], second["cache"]["failed"]) == (0, 0, 0)
    assert second["artifacts"][0]["sha256"] == first["artifacts"][0]["sha256"]
    asked = [" ".join(line.split()[:2]).rsplit("/", 1)[0] for line in _logged_since(server, before, 2)]
    assert asked == ["GET /ac", "GET /cas"]  # the list's record and body, nothing else

    # An edit of the module's own code: still all local (the list names the dependencies), so Go compiles the
    # edited package itself — and the command uploads what that added, as the helper would have.
    token = secrets.token_hex(8)  # a new package every run: the suite's GOCACHE keeps what earlier runs built
    (module / "extra.go").write_text(EDIT.format(token))
    before = len(server.requests())
    third = _build(module, tmp_path / "c", server.url)
    assert (third["cache"]["helpers"], third["cache"]["local_builds"]) == (0, 1)
    assert third["cache"]["uploads"] >= 1 and third["cache"]["upload_failures"] == 0
    put = [line.split()[1] for line in _logged_since(server, before, 2 + 2 * third["cache"]["uploads"])
           if line.startswith("PUT /ac/")]
    assert len(put) == third["cache"]["uploads"]
    bodies = []
    for path in put:  # each record names a body the server holds, byte for byte the local one
        parsed = decode_action_result((server.data / path.lstrip("/")).read_bytes())
        assert parsed is not None
        output_id, size = parsed
        body = (server.data / "cas" / output_id.hex()).read_bytes()
        assert len(body) == size and hashlib.sha256(body).digest() == output_id
        assert LocalCache(Path(os.environ["GOCACHE"])).body_path(output_id).read_bytes() == body
        bodies.append(body)
    assert any(token.encode() in body for body in bodies)  # the edited package's object


def test_a_dependency_change_or_the_switch_sends_a_build_through_the_helper(server: NginxCache,
                                                                           tmp_path: Path) -> None:
    module = write_module(tmp_path / "src", TINY)
    _build(module, tmp_path / "a", server.url)
    assert _build(module, tmp_path / "b", server.url)["cache"]["local_builds"] == 1
    off = _build(module, tmp_path / "c", server.url, **{LOCAL_BUILDS_ENV: "off"})
    assert (off["cache"]["helpers"], off["cache"]["local_builds"]) == (1, 0)
    # go.mod (or go.sum) is part of the list's key: new dependencies are new packages the shared cache may
    # hold already, so that build asks it — through the helper — rather than trust an older list.
    go_mod = module / "go.mod"
    go_mod.write_text(go_mod.read_text() + "\n// the dependencies changed\n")
    changed = _build(module, tmp_path / "d", server.url)
    assert (changed["cache"]["helpers"], changed["cache"]["local_builds"]) == (1, 0)
    assert _build(module, tmp_path / "e", server.url)["cache"]["local_builds"] == 1  # its own list, next time


def test_what_a_build_added_is_told_from_what_it_used(tmp_path: Path) -> None:
    """Go moves an entry's mtime when it uses one older than an hour; only the line says when it was put."""
    cache = LocalCache(tmp_path)
    body = b"object file\n" * 100
    out = hashlib.sha256(body).digest()
    cache.put_body(out, body)
    used, added = hashlib.sha256(b"used").digest(), hashlib.sha256(b"added").digest()
    an_hour_ago = time.time_ns() - 3600 * 10**9
    entry = tmp_path / used.hex()[:2] / f"{used.hex()}-a"
    entry.parent.mkdir(exist_ok=True)
    entry.write_text(f"v1 {used.hex()} {out.hex()} {len(body):20d} {an_hour_ago:20d}\n")
    since = time.time_ns()
    os.utime(entry)  # what Go's cache does to an entry it used
    cache.put_entry(added, out, len(body))
    assert list(cache.added_since(since)) == [(added, out, len(body))]
    assert list(cache.added_since(time.time_ns() + 10**9)) == []
