"""Size by package (`gocross inspect --sizes`): checked against the symbol table as pyelftools reads it.

The fixture is a module with a dependency `replace`d by a local folder (no network): the main module and the
dependency each have functions kept out of line and variables of their own, so both must be attributed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from tests.conftest import BuildGo, write_module
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


def test_not_elf_is_one_clean_error(build_go: BuildGo, tmp_path: Path) -> None:
    wasm = build_go("package main\nfunc main() {}\n", "js", "wasm")
    assert_clean_error(gocross("inspect", "--sizes", wasm), 6, "sizes by package read Go ELF binaries")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    proc = gocross("inspect", "--sizes", "--json", text)
    assert proc.returncode == 6 and "Traceback" not in proc.stderr and json.loads(proc.stdout) == []


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
