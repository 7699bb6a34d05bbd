"""`gocross inspect` as a user runs it: exit codes, JSON, one-line errors, bad files among good ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import BuildGo
from tests.corpus import HELLO_SOURCE
from tests.helpers import assert_clean_error, gocross


def test_one_file_text_and_json(build_go: BuildGo) -> None:
    path = build_go(HELLO_SOURCE, "linux", "amd64")
    text = gocross("inspect", path)
    assert text.returncode == 0 and "Traceback" not in text.stderr
    assert "linux/amd64" in text.stdout and "NATIVE" in text.stdout
    proc = gocross("inspect", "--json", path)
    assert proc.returncode == 0
    (entry,) = json.loads(proc.stdout)
    assert entry["path"] == str(path) and entry["goos"] == "linux" and entry["format"] == "ELF"
    assert entry["runs_here"]["verdict"] == "native"


def test_missing_file_is_one_line_exit_6(tmp_path: Path) -> None:
    assert_clean_error(gocross("inspect", tmp_path / "nope"), 6, "does not exist")


def test_truncated_file_is_one_line_exit_6(build_go: BuildGo, tmp_path: Path) -> None:
    bad = tmp_path / "truncated"
    bad.write_bytes(build_go(HELLO_SOURCE, "linux", "amd64").read_bytes()[:3000])
    assert_clean_error(gocross("inspect", bad), 6, "truncated or corrupt", str(bad))


def test_directory_with_a_bad_file(build_go: BuildGo, tmp_path: Path) -> None:
    folder = tmp_path / "dist"
    (folder / "sub").mkdir(parents=True)
    good = build_go(HELLO_SOURCE, "windows", "amd64")
    (folder / "sub" / "app.exe").write_bytes(good.read_bytes())
    (folder / "broken").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(40))
    (folder / "notes.txt").write_text("hello\n")
    proc = gocross("inspect", folder)
    assert proc.returncode == 6 and "Traceback" not in proc.stderr
    assert "windows/amd64" in proc.stdout and "not a Go binary" in proc.stdout
    assert "broken" in proc.stderr and "1 of 3 files" in proc.stderr
    data = json.loads(gocross("inspect", "--json", folder).stdout)
    assert [Path(e["path"]).name for e in data] == ["broken", "notes.txt", "app.exe"]
    assert "error" in data[0] and data[2]["goos"] == "windows"


def test_empty_directory(tmp_path: Path) -> None:
    assert_clean_error(gocross("inspect", tmp_path), 6, "No files found")


def test_not_go_files_exit_0(tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(64))
    proc = gocross("inspect", "--json", tmp_path)
    assert proc.returncode == 0
    assert all(not e["is_go"] for e in json.loads(proc.stdout))


def test_verbose_shows_evidence(build_go: BuildGo) -> None:
    proc = gocross("-v", "inspect", build_go(HELLO_SOURCE, "plan9", "amd64"))
    assert proc.returncode == 0 and "evidence" in proc.stdout and "plan9/amd64" in proc.stdout


def test_double_dash_form_matches(build_go: BuildGo, tmp_path: Path) -> None:
    """`inspect [--json] -- PATH` (paths after click's end of options) prints the same bytes and exits the
    same way as `inspect [--json] PATH`, for good files, bad ones and missing ones, in both output forms."""
    folder = tmp_path / "dist"
    folder.mkdir()
    (folder / "app").write_bytes(build_go(HELLO_SOURCE, "linux", "arm64").read_bytes())
    (folder / "broken").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(40))
    (tmp_path / "empty-dir").mkdir()
    for form in ([], ["--json"]):
        for args in ([folder / "app"], [folder], [tmp_path / "missing"], [tmp_path / "empty-dir"]):
            direct = gocross("inspect", *form, *args)
            via_click = gocross("inspect", *form, "--", *args)
            assert (direct.returncode, direct.stdout, direct.stderr) == (
                via_click.returncode, via_click.stdout, via_click.stderr), (form, args)
        assert direct.returncode == 6 and "No files found" in direct.stderr
    assert json.loads(gocross("inspect", "--json", folder / "app").stdout)[0]["goarch"] == "arm64"
    text = gocross("inspect", folder)
    assert text.returncode == 6 and "linux/arm64" in text.stdout
    errors = text.stderr.splitlines()
    assert len(errors) == 2 and errors[0].startswith(f"gocross: error: {folder / 'broken'} is truncated")
    assert errors[1] == "gocross: error: 1 of 2 files could not be inspected (see above)."


def test_plain_text_is_what_rich_prints_without_colour(build_go: BuildGo, tmp_path: Path) -> None:
    """Piped, the text form skips rich; on a terminal rich colours the same characters."""
    import io
    import re

    from rich.console import Console
    from rich.text import Text

    from gocross.binary import BinaryInfo, inspect_many
    from gocross.cli.inspect_text import blocks

    (tmp_path / "a").write_bytes(build_go(HELLO_SOURCE, "linux", "arm64").read_bytes())
    (tmp_path / "b").write_bytes(build_go(HELLO_SOURCE, "darwin", "arm64").read_bytes())
    plain = gocross("-v", "inspect", tmp_path).stdout
    out = Text()
    infos = [i for i in inspect_many([tmp_path]) if isinstance(i, BinaryInfo)]
    for i, line in enumerate(blocks(infos, verbose=1)):
        out.append("\n" if i else "")
        for text, style in line:
            out.append(text, style or None)
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, color_system="standard", highlight=False).print(out, soft_wrap=True)
    coloured = buffer.getvalue()
    assert "\x1b[1;36mEMULATED" in coloured and "\x1b[1;31mNO" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert "evidence" in plain and "runs here    EMULATED" in plain


def test_verdict_runners_through_the_command(build_go: BuildGo, tmp_path: Path) -> None:
    """Piped, both forms give every file its verdict, including binaries whose runner is qemu, node (js/wasm)
    or wasmtime."""
    folder = tmp_path / "dist"
    folder.mkdir()
    for goos, goarch in (("linux", "arm64"), ("js", "wasm"), ("wasip1", "wasm"), ("darwin", "arm64")):
        (folder / f"app-{goos}-{goarch}").write_bytes(build_go(HELLO_SOURCE, goos, goarch).read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    for form in (["--json"], []):
        proc = gocross("inspect", *form, folder, env=env)
        assert proc.returncode == 0, proc.stderr
        if form:
            runners = [e["runs_here"]["runner"] for e in json.loads(proc.stdout)]
            assert runners == [None, "node", "qemu-user", "wasmtime"]
        else:
            assert proc.stdout.count("runs here") == 4 and "EMULATED — runs emulated" in proc.stdout


def test_many_files_through_the_pool(build_go: BuildGo, tmp_path: Path) -> None:
    """A batch large enough for the process pool gives the same records, in the same order, as one process,
    with a file that cannot be read kept in its place."""
    from gocross.binary import InspectFailure, inspect_many, to_json
    from gocross.binary.batch import _POOL_MIN_FILES

    sources = []
    for goos, goarch in (("linux", "arm64"), ("windows", "amd64"), ("js", "wasm"), ("darwin", "arm64")):
        sources.append(tmp_path / f"{goos}-{goarch}")
        sources[-1].write_bytes(build_go(HELLO_SOURCE, goos, goarch).read_bytes())
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(_POOL_MIN_FILES + 10):
        os.link(sources[i % len(sources)], folder / f"f{i:04d}")
    (folder / "f0007").unlink()
    (folder / "f0007").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(40))
    pooled = inspect_many([folder], jobs=2)
    alone = inspect_many([folder], jobs=1)
    assert [to_json(i) for i in pooled] == [to_json(i) for i in alone]
    assert [Path(i.path).name for i in pooled] == sorted(p.name for p in folder.iterdir())
    assert isinstance(pooled[7], InspectFailure) and "truncated" in pooled[7].message
    assert {i.goos for i in pooled if not isinstance(i, InspectFailure)} == {"linux", "windows", "js", "darwin"}


def test_json_list_of_encoded_records_is_json_dumps_of_the_list(build_go: BuildGo) -> None:
    """`--json` joins the records the workers encoded with orjson; the result is, as data and key order, what
    json.dumps gives for the list of to_json records, and indented it is the same text."""
    from gocross.binary import BinaryInfo, InspectFailure, inspect, inspect_bytes, to_json
    from gocross.binary.batch import encode_record, json_list

    targets = (("linux", "arm64"), ("windows", "amd64"), ("js", "wasm"), ("darwin", "arm64"))
    infos: list[BinaryInfo | InspectFailure] = [inspect(build_go(HELLO_SOURCE, os_, arch)) for os_, arch in targets]
    infos += [inspect_bytes(b"#!/bin/sh\n"), InspectFailure("b\nc", "é")]
    records = [to_json(i) for i in infos]
    for pretty in (False, True):
        data = json_list([encode_record(i, pretty) for i in infos], pretty)
        assert json.loads(data) == records
        assert [list(r) for r in json.loads(data)] == [list(r) for r in records]  # key order
        if pretty:
            assert data.decode() == json.dumps(records, indent=2, ensure_ascii=False)
        assert json_list([], pretty) == b"[]"


def test_folder_listing_order_and_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder's files (sorted), then its sub-folders'; symlinked folders skipped, links to files kept; names
    spelled as Path spells them, so a record's path is the same whether given as `.`, `./` or a path."""
    from gocross.binary import iter_file_names, iter_files

    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "sub").mkdir(parents=True)
    for name in ("z", "c", "a/x", "a/sub/q", "b/y"):
        (tmp_path / name).write_text(name)
    (tmp_path / "ln").symlink_to(tmp_path / "z")
    (tmp_path / "dl").symlink_to(tmp_path / "a")  # a symlinked folder: not followed
    (tmp_path / "broken").symlink_to(tmp_path / "nowhere")
    expected = ["c", "ln", "z", "a/x", "a/sub/q", "b/y"]
    monkeypatch.chdir(tmp_path)
    for spelling in (".", "./", str(tmp_path) + "/"):
        prefix = "" if spelling in (".", "./") else str(tmp_path) + "/"
        assert list(iter_file_names([spelling])) == [prefix + e for e in expected], spelling
    assert list(iter_file_names(["./a/", "./c"])) == ["a/x", "a/sub/q", "c"]
    assert [str(p) for p in iter_files(["."])] == expected
