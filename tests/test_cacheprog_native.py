"""The compiled GOCACHEPROG helper (cacheprog/native.py, native/main.go): built with the real go, spoken to
as Go speaks to it, against a real nginx cache — local hits answered by the helper itself, everything else
passed to the gocross command's server, and every lookup counted and listed there as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import HELLO
from tests.helpers import gocross
from tests.nginx_cache import NginxCache, nginx_cache
from tests.test_cacheprog import HINT, Helper, _wait_for

from gocross.cacheprog.local import LocalCache
from gocross.cacheprog.native import BINARY, CHOICE_ENV, HelperBuild, native_helper
from gocross.cacheprog.prefetch import decode_list
from gocross.cacheprog.remote import decode_action_result
from gocross.cacheprog.server import LOCAL_BUILDS_ENV, CacheServer
from gocross.toolchain import Toolchain


def _body(name: str) -> tuple[bytes, bytes]:
    return hashlib.sha256(name.encode()).digest(), f"object file of {name}\n".encode() * 300


LOCAL, REMOTE, NEW = _body("local"), _body("remote"), _body("new")


@pytest.fixture
def server(tmp_path: Path) -> Any:
    with nginx_cache(tmp_path / "nginx") as s:
        yield s


def _start(cache: CacheServer, hint: str | None) -> Helper:
    helper = native_helper_or_fail(cache)
    argv = [str(helper), str(cache.path), str(cache.store.local.dir), *([hint] if hint else [])]
    assert cache.env_for(hint)["GOCACHEPROG"] == " ".join(argv)  # no word here needs Go's quotes
    return Helper(None, Path(), Path(), argv)


def native_helper_or_fail(cache: CacheServer) -> Path:
    assert cache.helper is not None and cache.helper.name == BINARY
    return cache.helper


def test_local_hits_are_answered_by_the_helper_and_the_rest_by_the_server(
        server: NginxCache, tmp_path: Path, toolchain: Toolchain) -> None:
    helper = native_helper(toolchain)
    assert helper is not None and os.access(helper, os.X_OK)
    gocache = tmp_path / "gocache"
    local = LocalCache(gocache)
    output = hashlib.sha256(LOCAL[1]).digest()
    local.put_body(output, LOCAL[1])
    local.put_entry(LOCAL[0], output, len(LOCAL[1]))
    seed = Helper(server.url, tmp_path / "seed-gocache", tmp_path / "stats")  # REMOTE, on the server only
    seed.put(*REMOTE)
    seed.close()

    before = len(server.requests())
    cache = CacheServer(server.url, gocache, helper=helper)
    go = _start(cache, HINT)
    hit = go.get(LOCAL[0])
    assert Path(hit["DiskPath"]).read_bytes() == LOCAL[1] and hit["Size"] == len(LOCAL[1])
    assert Path(hit["DiskPath"]).is_relative_to(gocache)
    assert Path(go.get(REMOTE[0])["DiskPath"]).read_bytes() == REMOTE[1]  # through the server, from nginx
    assert go.get(NEW[0]) == {"ID": 3, "Miss": True}  # as Go asks first, compiles, then puts
    stored = go.put(*NEW)
    assert Path(stored["DiskPath"]).read_bytes() == NEW[1]
    go.close()
    cache.build_succeeded(HINT)
    stats = cache.close()
    assert (stats.helpers, stats.local_hits, stats.remote_hits, stats.misses) == (1, 1, 1, 1)  # and 1 put
    assert stats.uploads == 2  # NEW, and the target's list
    paths = [r.split()[1] for r in server.requests()[before:]]
    assert not any(LOCAL[0].hex() in p for p in paths)  # the local hit never reached the server

    # The list the server published names the local hit too, in the order Go asked.
    record = decode_action_result((server.data / "ac" / HINT).read_bytes())
    assert record is not None
    entries = decode_list((server.data / "cas" / record[0].hex()).read_bytes())
    assert entries is not None
    assert [e.action_id for e in entries] == [LOCAL[0], REMOTE[0], NEW[0]]
    assert entries[0].output_id == output and entries[0].size == len(LOCAL[1])


def test_without_a_server_the_helper_says_so_in_one_line(tmp_path: Path, toolchain: Toolchain) -> None:
    helper = native_helper(toolchain)
    assert helper is not None
    proc = subprocess.run([helper, tmp_path / "no-socket", tmp_path / "gocache"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("gocross cache: cannot reach the cache server of the gocross command")
    assert proc.stderr.count("\n") == 1


def test_the_relay_serves_when_the_helper_cannot_be_built(monkeypatch: pytest.MonkeyPatch,
                                                          toolchain: Toolchain) -> None:
    broken = dataclasses.replace(toolchain, go=Path("/bin/false"), version="go1.99.0-not-a-go")
    assert native_helper(broken) is None
    monkeypatch.setenv(CHOICE_ENV, "python")
    assert native_helper(toolchain) is None


def test_a_command_never_waits_for_the_helper_and_stops_its_build(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path, toolchain: Toolchain) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # no helper built yet
    folder = tmp_path / "xdg" / "gocross" / "cacheprog"
    gocache = tmp_path / "users-gocache"
    monkeypatch.setenv("GOCACHE", str(gocache))
    stopped = HelperBuild(toolchain)
    assert stopped.ready is None  # this command uses the relay
    _wait_for(lambda: stopped._proc is not None)
    pgid = stopped._proc.pid  # type: ignore[union-attr]
    stopped.stop()  # the command ended first
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # go and its compilers: gone
    assert list(folder.iterdir()) == []  # no temporary folder, no half a helper

    finished = HelperBuild(toolchain)
    built = finished.wait()
    assert built is not None and built == folder / built.parent.name / BINARY
    assert sorted(p.name for p in built.parent.iterdir()) == [BINARY]  # its own GOCACHE removed
    assert HelperBuild(toolchain).ready == built  # the next command finds it at once
    assert not gocache.exists()  # the user's GOCACHE untouched: the helper compiled into one of its own


def _build(out: Path, gocache: Path, cache: str, **env: str) -> dict[str, Any]:
    proc = gocross("build", HELLO, "-t", "linux/amd64", "-o", out, "--cache", cache, "--json", "--force",
                   env={**os.environ, "GOCACHE": str(gocache), **env})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_a_warm_build_through_the_compiled_helper_is_the_relays_build(tmp_path: Path,
                                                                     toolchain: Toolchain) -> None:
    assert native_helper(toolchain) is not None  # built before: this command uses it
    gocache = Path(os.environ["GOCACHE"])  # the suite's warm one: every lookup a local hit
    shared = str(tmp_path / "shared")
    # Both through a helper: otherwise the second, its target's list all local, would build without one.
    native = _build(tmp_path / "native", gocache, shared, **{LOCAL_BUILDS_ENV: "off"})
    relay = _build(tmp_path / "relay", gocache, shared, **{CHOICE_ENV: "python", LOCAL_BUILDS_ENV: "off"})
    assert native["artifacts"][0]["sha256"] == relay["artifacts"][0]["sha256"]
    for stats in (native["cache"], relay["cache"]):
        assert stats["helpers"] == 1 and stats["local_hits"] > 100 and stats["failed"] == 0
    assert abs(native["cache"]["local_hits"] - relay["cache"]["local_hits"]) <= 2  # the same lookups counted
    built = list((Path(os.environ["XDG_CACHE_HOME"]) / "gocross" / "cacheprog").glob(f"*/{BINARY}"))
    assert len(built) == 1  # compiled once, kept
