"""Inspect on the cases that break other tools: stripped, trimmed, PIE, cgo, C, scripts, damaged headers.

Every Go binary is built by the real toolchain (session-cached); the oracles are `go version -m -json`,
pyelftools and lief. A few files are edited in place to make shapes the toolchain no longer writes:
section headers removed, pre-1.18 pointer-form build info, a Mach-O universal file.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import BuildGo, write_module
from tests.corpus import HELLO_SOURCE

from gocross.binary import inspect, inspect_bytes, inspect_record, to_json
from gocross.binary.buildinfo import parse_build_line, unquote
from gocross.toolchain import Toolchain

CGO_SOURCE = """\
package main

// int answer(void) { return 42; }
import "C"

import (
\t"fmt"
\t"os/user"
)

func main() {
\tu, _ := user.Current()
\tfmt.Println(int(C.answer()), u != nil)
}
"""


def _go_json(toolchain: Toolchain, path: Path) -> dict[str, Any] | None:
    proc = toolchain.run(["version", "-m", "-json", str(path)])
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def _settings(oracle: dict[str, Any]) -> dict[str, str]:
    return {s["Key"]: s["Value"] for s in oracle["Settings"]}


def test_stripped_s_w(build_go: BuildGo, toolchain: Toolchain) -> None:
    path = build_go(HELLO_SOURCE, "linux", "amd64", flags=["-ldflags=-s -w"])
    info = inspect(path)
    assert info.stripped is True and info.debug_info is False
    assert info.build_settings["-ldflags"] == "-s -w"  # Go-quoted in the blob: -ldflags="-s -w"
    oracle = _go_json(toolchain, path)
    assert oracle is not None and dict(info.build_settings) == _settings(oracle)
    assert info.target == "linux/amd64" and info.cgo is False


def test_trimpath(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "linux", "arm64", flags=["-trimpath"]))
    assert info.build_settings["-trimpath"] == "true"
    assert "-ldflags" not in info.build_settings
    assert info.runs_here is not None and info.runs_here.verdict == "emulated"


def test_pie(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "linux", "amd64", flags=["-buildmode=pie"]))
    assert info.pie is True and info.file_type == "executable"
    assert info.linkage == "dynamic" and info.interpreter
    assert info.build_settings["-buildmode"] == "pie"
    assert info.runs_here is not None and info.runs_here.verdict == "native"


def test_quoted_build_settings_match_go(build_go: BuildGo, toolchain: Toolchain) -> None:
    path = build_go(HELLO_SOURCE, "linux", "amd64",
                    flags=["-tags=netgo,osusergo", '-ldflags=-X "main.unused=a b\tc"'])
    oracle = _go_json(toolchain, path)
    assert oracle is not None
    info = inspect(path)
    assert dict(info.build_settings) == _settings(oracle)
    assert info.build_settings["-tags"] == "netgo,osusergo"
    assert '"main.unused=a b\tc"' in info.build_settings["-ldflags"]


def test_go_unquote_rules() -> None:
    assert unquote(r'"a\tb\x41\u00e9\101\\\""') == 'a\tbAé' + 'A\\"'
    assert unquote("`raw \\n`") == "raw \\n"
    assert unquote('"bad\\q"') is None and unquote('"open') is None
    assert parse_build_line('"key with space"="v 1"') == ("key with space", "v 1")
    assert parse_build_line("CGO_ENABLED=1") == ("CGO_ENABLED", "1")
    assert parse_build_line("=x") is None and parse_build_line("novalue") is None


def test_deps_and_replacements_match_go(tmp_path: Path, build_go: BuildGo, toolchain: Toolchain) -> None:
    dep = write_module(tmp_path / "dep", {"dep.go": "package dep\n\nfunc Name() string { return \"dep\" }\n"},
                       module="example.com/dep")
    main = write_module(tmp_path / "app", {"main.go": textwrap.dedent("""\
        package main

        import (
        \t"fmt"

        \t"example.com/dep"
        )

        func main() { fmt.Println(dep.Name()) }
        """)}, module="example.com/app")
    with (main / "go.mod").open("a") as fh:
        fh.write(f"\nrequire example.com/dep v1.2.3\n\nreplace example.com/dep => {dep}\n")
    path = build_go(main, "linux", "amd64")
    oracle = _go_json(toolchain, path)
    assert oracle is not None
    info = inspect(path)
    assert info.main_path == oracle["Path"] == "example.com/app"
    assert [(d.path, d.version) for d in info.deps] == [(d["Path"], d["Version"]) for d in oracle["Deps"]]
    (d,) = info.deps
    assert d.replace is not None and d.replace.path == oracle["Deps"][0]["Replace"]["Path"] == str(dep)
    record = inspect_record(path)
    assert record["deps"][0]["replace"] == {"path": str(dep), "version": "(devel)", "sum": None, "replace": None}
    assert to_json(info) == record


def test_vcs_settings(tmp_path: Path, build_go: BuildGo, toolchain: Toolchain) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = write_module(tmp_path / "vcs", {"main.go": HELLO_SOURCE}, module="example.com/vcs")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "one"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    path = build_go(repo, "linux", "amd64", name="vcs")
    info = inspect(path)
    assert info.build_settings["vcs"] == "git"
    assert len(info.build_settings["vcs.revision"]) == 40
    assert info.build_settings["vcs.modified"] == "false" and "vcs.time" in info.build_settings
    oracle = _go_json(toolchain, path)
    assert oracle is not None and dict(info.build_settings) == _settings(oracle)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_cgo_binary(build_go: BuildGo, toolchain: Toolchain) -> None:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection

    path = build_go(CGO_SOURCE, "linux", "amd64", env={"CGO_ENABLED": "1"}, name="cgo")
    info = inspect(path)
    assert info.cgo is True and info.is_go and info.linkage == "dynamic"
    assert "libc.so.6" in info.needed_libs
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        names = [aux.name for s in elf.iter_sections() if isinstance(s, GNUVerNeedSection)
                 for _v, auxes in s.iter_versions() for aux in auxes]
    versions = [tuple(int(x) for x in n.removeprefix("GLIBC_").split(".")) for n in names
                if n.startswith("GLIBC_2")]
    assert info.min_glibc == ".".join(map(str, max(versions)))
    assert info.runs_here is not None and info.runs_here.verdict == "native"


def test_cgo_enabled_alone_is_not_cgo(build_go: BuildGo) -> None:
    info = inspect(build_go(HELLO_SOURCE, "linux", "amd64", env={"CGO_ENABLED": "1"}))
    assert info.build_settings["CGO_ENABLED"] == "1"
    assert info.cgo is False and info.linkage == "static"


def _gcc(tmp_path: Path, *flags: str) -> Path:
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    out = tmp_path / ("c-" + "-".join(f.strip("-") for f in flags) if flags else "c-plain")
    proc = subprocess.run(["gcc", *flags, "-o", str(out), str(src)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"gcc {' '.join(flags)} failed here: {proc.stderr.strip()[:200]}")
    return out


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_plain_c_binary(tmp_path: Path) -> None:
    info = inspect(_gcc(tmp_path))
    assert info.is_go is False and "not a Go binary" in info.description
    assert (info.format, info.goos, info.goarch) == ("ELF", "linux", "amd64")
    assert info.linkage == "dynamic" and info.pie is True and info.min_glibc
    assert info.go_version is None and info.build_settings == {}
    assert info.runs_here is not None and info.runs_here.verdict == "native"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_static_and_static_pie_c(tmp_path: Path) -> None:
    assert inspect(_gcc(tmp_path, "-static")).linkage == "static"
    static_pie = inspect(_gcc(tmp_path, "-static-pie"))
    assert static_pie.linkage == "static-pie" and static_pie.pie is True


def test_script_jpeg_empty_text(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    jpeg = tmp_path / "photo.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    s, j, e = inspect(script), inspect(jpeg), inspect(empty)
    assert s.format == "script" and s.interpreter == "/bin/sh" and not s.is_go
    assert s.runs_here is not None and s.runs_here.verdict == "native"
    assert j.format == "data" and "JPEG" in j.description and "not a Go binary" in j.description
    assert e.format == "empty" and e.size == 0 and not e.is_go
    assert j.runs_here is not None and j.runs_here.verdict == "no"


def strip_section_headers(src: Path, dst: Path) -> Path:
    """Zero e_shoff, e_shnum and e_shstrndx: the kernel still runs it, `go version -m` (1.27) gives up."""
    data = bytearray(src.read_bytes())
    order = "<" if data[5] == 1 else ">"
    if data[4] == 2:
        struct.pack_into(order + "Q", data, 0x28, 0)
        struct.pack_into(order + "HH", data, 0x3C, 0, 0)
    else:
        struct.pack_into(order + "I", data, 0x20, 0)
        struct.pack_into(order + "HH", data, 0x30, 0, 0)
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("target", [("linux", "amd64"), ("linux", "s390x"), ("linux", "arm")])
def test_section_stripped_elf(target: tuple[str, str], tmp_path: Path, build_go: BuildGo,
                              toolchain: Toolchain) -> None:
    full = build_go(HELLO_SOURCE, *target)
    path = strip_section_headers(full, tmp_path / "nosections")
    assert toolchain.run(["version", "-m", str(path)]).returncode != 0  # go1.27 dropped the segment fallback
    info, ref = inspect(path), inspect(full)
    assert info.target == "/".join(target) and info.is_go
    assert info.go_version == ref.go_version and dict(info.build_settings) == dict(ref.build_settings)
    assert info.go_build_id == ref.go_build_id and info.stripped is None
    assert any("no section headers" in n for n in info.notes)


def _pointer_form(src: Path, dst: Path, section: str) -> tuple[str, str]:
    """Rewrite a binary's build info into the pre-1.18 form: two pointers to Go string headers."""
    from elftools.elf.elffile import ELFFile

    with src.open("rb") as fh:
        elf = ELFFile(fh)
        sec = elf.get_section_by_name(section)
        off, addr, ptr, big = sec["sh_offset"], sec["sh_addr"], elf.elfclass // 8, not elf.little_endian
    endian, word = (">" if big else "<"), ("Q" if ptr == 8 else "I")
    order = endian + word
    version = "go1.16.15"
    sentinel = bytes(16)
    modinfo = sentinel + b"path\texample.com/old\nmod\texample.com/old\t(devel)\t\n" \
        + b"build\tGOOS=linux\n" + sentinel
    data = bytearray(src.read_bytes())
    hdr = off + 32
    strs = hdr + 4 * ptr
    struct.pack_into("B", data, off + 15, 1 if big else 0)
    struct.pack_into(order, data, off + 16, addr + 32)
    struct.pack_into(order, data, off + 16 + ptr, addr + 32 + 2 * ptr)
    struct.pack_into(endian + word * 4, data, hdr, addr + (strs - off), len(version),
                     addr + (strs - off) + len(version), len(modinfo))
    data[strs : strs + len(version) + len(modinfo)] = version.encode() + modinfo
    dst.write_bytes(bytes(data))
    return version, "example.com/old"


@pytest.mark.parametrize("target", [("linux", "amd64"), ("linux", "s390x"), ("linux", "arm")])
def test_pre_118_pointer_form(target: tuple[str, str], tmp_path: Path, build_go: BuildGo) -> None:
    path = tmp_path / "old"
    version, main = _pointer_form(build_go(HELLO_SOURCE, *target), path, ".go.buildinfo")
    info = inspect(path)
    assert info.go_version == version and info.main_path == main
    assert info.build_settings == {"GOOS": "linux"}
    assert any("pointer form" in e.source for e in info.evidence)
    assert info.target == "/".join(target)  # GOARCH from the pclntab then, not build info


def test_universal_macho(tmp_path: Path, build_go: BuildGo) -> None:
    """Two Go slices glued under a fat header, as lipo would; lief is the oracle."""
    import lief

    slices = [build_go(HELLO_SOURCE, "darwin", "amd64").read_bytes(),
              build_go(HELLO_SOURCE, "darwin", "arm64").read_bytes()]
    cpus = [(0x01000007, 3), (0x0100000C, 0)]
    out = bytearray(struct.pack(">II", 0xCAFEBABE, 2))
    offset = 0x4000
    table, body = [], b""
    for (cpu, sub), data in zip(cpus, slices, strict=True):
        table.append(struct.pack(">iiIII", cpu, sub, offset, len(data), 14))
        pad = (-(offset + len(data))) % 0x4000
        body += data + bytes(pad)
        offset += len(data) + pad
    out += b"".join(table)
    out += bytes(0x4000 - len(out)) + body
    fat = tmp_path / "universal"
    fat.write_bytes(bytes(out))
    oracle = lief.MachO.parse(str(fat))
    assert oracle is not None and oracle.size == 2
    info = inspect(fat)
    assert info.format == "Mach-O universal" and len(info.slices) == 2
    assert [s.goarch for s in info.slices] == ["amd64", "arm64"]
    assert all(s.goos == "darwin" and s.go_version == info.go_version for s in info.slices)
    assert info.runs_here is not None and info.runs_here.verdict == "no"
    assert to_json(info) == inspect_record(fat)  # the --json form says the same


def test_inspect_bytes_matches_file(build_go: BuildGo) -> None:
    path = build_go(HELLO_SOURCE, "windows", "amd64")
    assert inspect_bytes(path.read_bytes(), str(path)) == inspect(path, runs_here=False)


def test_reader_facts_are_schema_fields_or_hints() -> None:
    """Facts declares no second schema: each field is a BinaryInfo field (same name) or a reader hint, and
    no hint is a record key."""
    import dataclasses

    from gocross.binary import BinaryInfo
    from gocross.binary.facts import READER_HINTS, Facts

    schema = {f.name for f in dataclasses.fields(BinaryInfo)}
    ours = {f.name for f in dataclasses.fields(Facts)}
    assert ours - READER_HINTS <= schema and not READER_HINTS & schema and ours >= READER_HINTS
    assert set(Facts(format="ELF", machine="x86-64").schema_values()) == ours - READER_HINTS - {"go_version"}
