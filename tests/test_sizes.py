"""Size by package (`gocross inspect --sizes`): checked against the symbol table as pyelftools (ELF) and
lief (PE, Mach-O) read it.

The fixture is a module with a dependency `replace`d by a local folder (no network): the main module and the
dependency each have functions kept out of line and variables of their own, so both must be attributed.
windows/amd64 and darwin/arm64 are the PE and Mach-O builds (their standard library is built for other tests
of the suite too); PE and Mach-O symbols have no size, so there each is the distance to the next symbol, and
the linux/amd64 build's ELF sizes of the same variables bound it from below.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import lief
import pytest
from elftools.elf.elffile import ELFFile
from tests.conftest import BuildGo, write_module
from tests.corpus import HELLO_SOURCE
from tests.helpers import assert_clean_error, gocross

from gocross.binary.sizes import PackageKind, package_of, size_breakdown

_MAIN = """
package main

import (
\t"fmt"

\t"example.com/dep"
)

var table = [4096]int{1, 2, 3}

//go:noinline
func twice(s string) string { return s + s }

func main() { fmt.Println(twice(dep.Greet("x")), table[1], len(dep.Words)) }
"""
_DEP = """
package dep

import "strings"

var Words = []string{"alpha", "beta", "gamma"}

var Counts [512]int64

//go:noinline
func Greet(s string) string { Counts[len(s)%512]++; return strings.Repeat("hi "+s, 3) + Words[1] }
"""


@pytest.fixture(scope="module")
def app_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sizes-app")
    write_module(root / "dep", {"dep.go": _DEP}, module="example.com/dep")
    write_module(root, {"main.go": _MAIN}, module="example.com/app")
    with (root / "go.mod").open("a") as f:
        f.write("\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ./dep\n")
    return root


def _elf_oracle(path: Path) -> tuple[int, int, dict[str, tuple[int, int, int]]]:
    """(text+data bytes, .text bytes, {prefix: (function bytes, function count, object bytes)}) by pyelftools."""
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        loaded = [s for s in elf.iter_sections() if s["sh_flags"] & 2 and s["sh_type"] != "SHT_NOBITS"]
        total = sum(s["sh_size"] for s in loaded)
        text = elf.get_section_by_name(".text")["sh_size"]
        sums: dict[str, tuple[int, int, int]] = {}
        for prefix in ("main.", "example.com/dep."):
            fn = [s for s in elf.get_section_by_name(".symtab").iter_symbols()
                  if s.name.startswith(prefix) and s["st_info"]["type"] == "STT_FUNC"]
            obj = [s for s in elf.get_section_by_name(".symtab").iter_symbols()
                   if s.name.startswith(prefix) and s["st_info"]["type"] == "STT_OBJECT"
                   and elf.get_section(s["st_shndx"])["sh_type"] != "SHT_NOBITS"]
            sums[prefix] = (sum(s["st_size"] for s in fn), len(fn), sum(s["st_size"] for s in obj))
    return total, text, sums


def test_packages_add_up_and_match_the_symbol_table(build_go: BuildGo, app_module: Path) -> None:
    binary = build_go(app_module, "linux", "amd64")
    b = size_breakdown(binary)
    total, text, oracle = _elf_oracle(binary)
    parts = b.attributed + sum(o.size for o in b.other)
    assert abs(parts - total) <= 0.02 * total, (parts, total)
    assert b.total == total
    assert abs(sum(p.code for p in b.packages) - text) <= 0.02 * text
    assert b.attributed >= 0.75 * total  # most of the binary has an owner, as go-size-analyzer finds
    by_name = {p.package: p for p in b.packages}
    main, dep = by_name["main"], by_name["example.com/dep"]
    assert (main.kind, main.module) == (PackageKind.MAIN, "example.com/app")
    assert (dep.kind, dep.module) == (PackageKind.DEPENDENCY, "example.com/dep")
    for pkg, prefix in ((main, "main."), (dep, "example.com/dep.")):
        fn_bytes, fn_count, obj_bytes = oracle[prefix]
        assert fn_count > 0 and pkg.pcln > 0
        # the function table measures to the next function, so alignment padding (< 64 bytes each) is included
        assert fn_bytes <= pkg.code <= fn_bytes + 64 * fn_count, (pkg, fn_bytes)
        assert pkg.data == obj_bytes, (pkg, obj_bytes)
    assert main.data >= 4096 * 8  # `table`
    modules = {m.module: m for m in b.modules}
    assert modules["std"].kind == PackageKind.STD and modules["std"].size > modules["example.com/app"].size
    assert modules["example.com/dep"].size == dep.size


def test_inspect_sizes_json_prints_the_same_numbers(build_go: BuildGo, app_module: Path) -> None:
    binary = build_go(app_module, "linux", "amd64")
    proc = gocross("inspect", "--sizes", "--json", binary)
    assert proc.returncode == 0, proc.stderr
    (record,) = json.loads(proc.stdout)
    assert record == json.loads(json.dumps(size_breakdown(binary).to_json()))
    text = gocross("inspect", "--sizes", binary)
    assert text.returncode == 0 and "example.com/dep" in text.stdout and "main module" in text.stdout


def test_stripped_binary_still_attributes_code(build_go: BuildGo, app_module: Path) -> None:
    binary = build_go(app_module, "linux", "amd64", flags=["-trimpath", "-ldflags=-s -w"])
    b = size_breakdown(binary)
    assert not b.symbols
    dep = next(p for p in b.packages if p.package == "example.com/dep")
    assert dep.code > 0 and dep.data == 0
    assert b.attributed + sum(o.size for o in b.other) == b.total


def test_other_formats_are_one_clean_error(build_go: BuildGo, tmp_path: Path) -> None:
    plan9 = build_go(HELLO_SOURCE, "plan9", "amd64")  # the same build as test_inspect_cli's
    assert_clean_error(gocross("inspect", "--sizes", plan9), 6, "sizes by package read Go ELF, PE, Mach-O and wasm")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    proc = gocross("inspect", "--sizes", "--json", text)
    assert proc.returncode == 6 and "Traceback" not in proc.stderr and json.loads(proc.stdout) == []


_PREFIXES = ("main.", "example.com/dep.")
_DISCARDABLE, _CODE_OR_DATA = 0x02000000, 0x60


def _lief_oracle(path: Path) -> tuple[int, int, dict[str, tuple[int, int, dict[str, int]]]]:
    """(text+data bytes, text bytes, {prefix: (function bytes, function count, {variable: bytes})}) by lief.

    A function or variable runs to the next symbol's address in its section (or the section's end in the
    file): the sizes the formats do not record, worked out from lief's symbols and sections alone.
    """
    binary = lief.parse(str(path))
    placed: list[tuple[int, str, int]] = []  # (section number, name, address)
    ends: dict[int, int] = {}
    if isinstance(binary, lief.PE.Binary):
        sections = list(binary.sections)
        text_number = 1 + next(i for i, s in enumerate(sections) if s.name == ".text")
        for number, s in enumerate(sections, 1):
            if s.characteristics & _CODE_OR_DATA and not s.characteristics & _DISCARDABLE:
                ends[number] = s.virtual_address + min(s.virtual_size, s.sizeof_raw_data)
        placed = [(s.section_idx, s.name, sections[s.section_idx - 1].virtual_address + s.value)
                  for s in binary.symbols if 0 < s.section_idx <= len(sections)]
    else:
        assert isinstance(binary, lief.MachO.Binary)
        sections = list(binary.sections)
        text_number = 1 + next(i for i, s in enumerate(sections) if (s.segment_name, s.name) == ("__TEXT", "__text"))
        for number, s in enumerate(sections, 1):
            zerofill = s.type in (lief.MachO.Section.TYPE.ZEROFILL, lief.MachO.Section.TYPE.GB_ZEROFILL,
                                  lief.MachO.Section.TYPE.THREAD_LOCAL_ZEROFILL)
            if s.segment_name != "__DWARF" and not zerofill:
                ends[number] = s.virtual_address + s.size
        placed = [(s.numberof_sections, s.name.removeprefix("_"), s.value) for s in binary.symbols
                  if s.numberof_sections and s.raw_type & 0xE0 == 0]
    total = sum(e - _start(sections[n - 1]) for n, e in ends.items())
    sized: dict[str, tuple[int, int]] = {}  # name -> (section number, bytes)
    for number in ends:
        addrs = sorted({a for n, _name, a in placed if n == number and a < ends[number]})
        if not addrs:
            continue
        following = dict(zip(addrs, [*addrs[1:], ends[number]], strict=True))
        for n, name, a in placed:
            if n == number and a in following and name.startswith(_PREFIXES):
                sized[name] = (number, following[a] - a)
    sums: dict[str, tuple[int, int, dict[str, int]]] = {}
    for prefix in _PREFIXES:
        functions = [size for name, (n, size) in sized.items() if name.startswith(prefix) and n == text_number]
        variables = {name: size for name, (n, size) in sized.items() if name.startswith(prefix) and n != text_number}
        sums[prefix] = (sum(functions), len(functions), variables)
    return total, ends[text_number] - _start(sections[text_number - 1]), sums


def _start(section: lief.Section) -> int:
    return int(section.virtual_address)


def _elf_sizes(path: Path) -> dict[str, int]:
    with path.open("rb") as fh:
        return {s.name: s["st_size"] for s in ELFFile(fh).get_section_by_name(".symtab").iter_symbols()
                if s.name.startswith(_PREFIXES)}


@pytest.mark.parametrize(("goos", "goarch"), [("windows", "amd64"), ("darwin", "arm64")])
def test_pe_and_macho_add_up_and_match_the_symbol_table(build_go: BuildGo, app_module: Path, goos: str,
                                                        goarch: str) -> None:
    binary = build_go(app_module, goos, goarch)
    b = size_breakdown(binary)
    total, text, oracle = _lief_oracle(binary)
    assert b.total == total
    assert b.attributed + sum(o.size for o in b.other) == total  # exactly, as for ELF
    assert abs(sum(p.code for p in b.packages) - text) <= 0.02 * text
    assert b.attributed >= 0.75 * total
    assert all(o.what != "bytes without a symbol" for o in b.other), b.other  # every section named
    assert len({(o.section, o.what) for o in b.other}) == len(b.other)
    by_name = {p.package: p for p in b.packages}
    main, dep = by_name["main"], by_name["example.com/dep"]
    assert (main.kind, main.module) == (PackageKind.MAIN, "example.com/app")
    assert (dep.kind, dep.module) == (PackageKind.DEPENDENCY, "example.com/dep")
    elf_sizes = _elf_sizes(build_go(app_module, "linux", "amd64"))
    for pkg, prefix in ((main, "main."), (dep, "example.com/dep.")):
        fn_bytes, fn_count, variables = oracle[prefix]
        assert fn_count > 0 and pkg.pcln > 0
        assert fn_bytes - 64 <= pkg.code <= fn_bytes + 64 * fn_count, (pkg, fn_bytes)
        assert pkg.data == sum(variables.values()), (pkg, variables)
        for name, size in variables.items():  # at least the variable itself, at most alignment padding more
            assert elf_sizes[name] <= size <= elf_sizes[name] + 64, (name, size, elf_sizes[name])
    assert main.data >= 4096 * 8  # `table`
    assert {"main.table", "example.com/dep.Words"} <= {*oracle["main."][2], *oracle["example.com/dep."][2]}


def test_pe_sizes_json_and_stripped(build_go: BuildGo, app_module: Path) -> None:
    binary = build_go(app_module, "windows", "amd64")
    proc = gocross("inspect", "--sizes", "--json", binary)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [json.loads(json.dumps(size_breakdown(binary).to_json()))]
    stripped = size_breakdown(build_go(app_module, "windows", "amd64", flags=["-trimpath", "-ldflags=-s -w"]))
    assert not stripped.symbols  # no COFF symbols: the function table is found by its header
    full = size_breakdown(binary)
    assert stripped.total == full.total
    assert stripped.attributed + sum(o.size for o in stripped.other) == stripped.total
    code = {p.package: p.code for p in full.packages if p.code}
    assert {p.package: p.code for p in stripped.packages if p.code} == code  # the same functions, to the byte
    assert next(p for p in stripped.packages if p.package == "example.com/dep").data == 0


def _objdump(*args: str | Path) -> str:
    objdump = shutil.which("wasm-objdump")
    if objdump is None:
        pytest.fail("wasm-objdump is not installed; scripts/test.sh installs it (apt-get install wabt)")
    proc = subprocess.run([objdump, *map(str, args)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_wasm_adds_up_and_matches_wasm_objdump(build_go: BuildGo, app_module: Path) -> None:
    """js/wasm: code is each function's body, as wabt's wasm-objdump lists it; text+data its sections but the
    custom ones; no variables (wasm has no symbol table), the function table's bytes from the data segments."""
    binary = build_go(app_module, "js", "wasm")
    b = size_breakdown(binary)
    headers = re.findall(r"^\s*(\w+) start=0x[0-9a-f]+ end=0x[0-9a-f]+ \(size=0x([0-9a-f]+)\)",
                         _objdump("-h", binary), re.M)
    total = sum(int(size, 16) for kind, size in headers if kind != "Custom")
    assert (b.format, b.symbols, b.total) == ("wasm", False, total)
    assert b.attributed + sum(o.size for o in b.other) == total
    bodies = re.findall(r"^ - func\[\d+\] size=(\d+) <([^>]+)>", _objdump("-x", "-j", "Code", binary), re.M)
    code = int(next(size for kind, size in headers if kind == "Code"), 16)
    assert abs(sum(p.code for p in b.packages) - code) <= 0.02 * code
    by_name = {p.package: p for p in b.packages}
    main, dep = by_name["main"], by_name["example.com/dep"]
    assert (main.kind, main.module) == (PackageKind.MAIN, "example.com/app")
    assert (dep.kind, dep.module) == (PackageKind.DEPENDENCY, "example.com/dep")
    for pkg, prefixes in ((main, ("main.",)), (dep, ("example.com/dep.", "example.com_dep."))):
        sizes = [int(size) for size, name in bodies if name.startswith(prefixes)]
        assert sizes and pkg.code == sum(sizes), (pkg, sizes)
        assert pkg.pcln > 0 and pkg.data == 0
    assert all(o.what != "bytes without a symbol" for o in b.other), b.other


@pytest.mark.parametrize(("symbol", "package"), [
    ("main.main", "main"),
    ("main.main.func1", "main"),
    ("fmt.(*pp).printValue", "fmt"),
    ("example.com/dep.Greet", "example.com/dep"),
    ("gopkg.in/yaml%2ev3.(*parser).parse", "gopkg.in/yaml.v3"),
    ("internal/sync..dict.HashTrieMap[interface {},interface {}]", "internal/sync"),
    ("slices.sortFunc[go.shape.struct { example.com/x.A int }]", "slices"),
    ("type:.eq.example.com/dep.T", "example.com/dep"),
    ("go:itab.*net/http.response,io.Writer", "net/http"),
    ("go:buildid", None),
    ("type:.eq.[2]interface {}", None),
    ("_cgo_init", None),
])
def test_package_of(symbol: str, package: str | None) -> None:
    assert package_of(symbol) == package
