"""What a Go binary's size is made of, by Go package: the standard library, each dependency, the main module.

The same attribution go-size-analyzer makes, from the two tables every unstripped Go ELF (Linux, the BSDs),
PE (Windows) and Mach-O (macOS, iOS) binary has:

- the **pclntab** names every function and where its code starts, so a function's code (up to the next
  function) belongs to the package in its name; the function's own pclntab bytes (its table entry, record,
  name, pc-value tables and funcdata) belong there too;
- the **symbol table** places every package-level variable and constant table, in ``.data``, ``.noptrdata``
  and ``.rodata`` (PE: ``.data``, ``.rdata``; Mach-O: ``__DATA``, ``__DATA_CONST``, ``__TEXT,__rodata``).
  ELF's symbols have sizes; COFF's and Mach-O's have none, so there a variable runs to the next symbol in
  its section, and unnamed data right after it (a static temporary, a slice's backing array) counts with it.

What no package owns — type descriptors, unnamed strings, the pclntab's shared file tables, build info — is
listed per section as "other", so packages plus other add up to the file's text and data exactly: every
section the loader maps from the file (PE: code and initialized data that is not discardable, so not DWARF,
relocations or the symbol table). PE keeps most of Go's data in two sections; they are cut where Go's linker
starts each kind of data (``runtime.pclntab``, ``runtime.types``, ``go:buildinfo``, ...), so their "other"
says what it is as ELF's sections do. A stripped binary still has its pclntab: its code is attributed, its
data is "other". The numbers are what ``gocross inspect --sizes --json`` prints and what ``gocross report``
draws. A wasm module has no symbol table: its functions are the code section's bodies (the pclntab's entry
``0x1000 + i`` is body ``i``), their pclntab bytes are counted in the data segments as far as the file holds
them (Go's linker leaves runs of zeros out), and its variables are "other". XCOFF and Plan 9 are not read.
"""
from __future__ import annotations

import bisect
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gocross.binary import elf, macho, pclntab, pe, wasm
from gocross.binary.reader import MAX_BLOB, Corrupt, Reader, capped
from gocross.errors import InspectError

if TYPE_CHECKING:
    from gocross.binary.model import BinaryInfo

SHF_ALLOC, SHT_NOBITS, SHT_SYMTAB, STT_OBJECT, STT_FUNC = 2, 8, 2, 1, 2
_FUNCDATA_SYMBOL = "go:func.*"
_OTHER_WORDS = {  # what the bytes of a section that no package owns are
    ".text": "code outside the function table",
    ".gopclntab": "function table: file and line tables, header",
    ".go.type": "type descriptors",
    ".typelink": "type descriptors",
    ".itablink": "interface tables",
    ".rodata": "read-only data without a symbol (strings, constants, types)",
    ".noptrdata": "data without a symbol",
    ".data": "data without a symbol",
    ".go.buildinfo": "build info",
    ".go.module": "module data",
    ".go.func": "function values of top-level functions",
    ".go.fipsinfo": "FIPS module checksum",
    ".note.go.buildid": "Go build ID",
    ".note.gnu.build-id": "GNU build ID",
    ".bss": "padding to the file alignment (where the zero-filled variables start)",
    ".noptrbss": "padding to the file alignment (where the zero-filled variables start)",
    ".pdata": "exception table (each function's unwind range)",
    ".xdata": "unwind information",
    ".idata": "import table (the DLLs and functions it calls)",
    ".stubs": "stubs that call into system libraries",
    ".got": "pointers to system library functions",
}
_UNNAMED = "bytes without a symbol"


class PackageKind(StrEnum):
    """Whose code a package is."""

    MAIN = "main module"
    DEPENDENCY = "dependency"
    STD = "standard library"
    UNKNOWN = "unknown"  # outside every module the build info lists (no build info, or GOPATH mode)


@dataclass(frozen=True)
class PackageSize:
    """One Go package's bytes: machine code, its function-table entries, and its variables."""

    package: str
    module: str  # the module path, "std" for the standard library
    kind: PackageKind
    code: int
    pcln: int
    data: int

    @property
    def size(self) -> int:
        return self.code + self.pcln + self.data


@dataclass(frozen=True)
class ModuleSize:
    """The packages of one module added up (the standard library is one module, "std")."""

    module: str
    kind: PackageKind
    size: int
    packages: int


@dataclass(frozen=True)
class OtherSize:
    """Bytes of one section that no package owns, and what they are."""

    section: str
    what: str
    size: int


@dataclass(frozen=True)
class SizeBreakdown:
    """One binary's text and data, by package and module, with the rest by section."""

    path: str
    goos: str | None
    goarch: str | None
    file_size: int
    total: int  # the sections loaded from the file (text, read-only data, pclntab, data): what is attributed
    symbols: bool  # the symbol table was there (else variables are not attributed: a stripped binary)
    packages: tuple[PackageSize, ...]  # largest first
    modules: tuple[ModuleSize, ...]  # largest first
    other: tuple[OtherSize, ...]  # largest first
    format: str = "ELF"  # "ELF", "PE", "Mach-O", "wasm"; PE's and Mach-O's variables run to the next symbol

    @property
    def attributed(self) -> int:
        """Bytes attributed to packages."""
        return sum(p.size for p in self.packages)

    def to_json(self) -> dict[str, Any]:
        """The ``inspect --sizes --json`` record (sizes in bytes)."""
        return {
            "path": self.path, "format": self.format, "goos": self.goos, "goarch": self.goarch,
            "file_size": self.file_size,
            "total": self.total, "attributed": self.attributed, "symbols": self.symbols,
            "modules": [{"module": m.module, "kind": str(m.kind), "size": m.size, "packages": m.packages}
                        for m in self.modules],
            "packages": [{"package": p.package, "module": p.module, "kind": str(p.kind), "size": p.size,
                          "code": p.code, "pcln": p.pcln, "data": p.data} for p in self.packages],
            "other": [{"section": o.section, "what": o.what, "size": o.size} for o in self.other],
        }


class _Symbol(NamedTuple):
    name: str
    kind: int
    section: int
    value: int
    size: int


def size_breakdown(path: str | os.PathLike[str]) -> SizeBreakdown:
    """Attribute one Go ELF, PE, Mach-O or wasm binary's text and data to packages; InspectError otherwise."""
    from gocross.binary import inspect

    info = inspect(path, runs_here=False)
    if info.format not in SIZE_FORMATS or not info.is_go:
        what = "a Go program" if info.is_go else "not a Go program"
        raise InspectError(f"{path} is {what} in {info.format} format; sizes by package read Go ELF, PE, "
                           "Mach-O and wasm binaries (build the target for linux, windows, darwin or js/wasm to "
                           "see what its size is made of).")
    modules = {m.path: m for m in info.deps or ()}
    main = info.main_module.path if info.main_module else None
    data = Path(path).read_bytes()
    r = Reader(data, "<" if info.endian == "little" else ">")
    try:
        if info.format == "wasm":
            return _wasm_breakdown(r, info, _Modules(main, tuple(modules)))
        layout = _FORMATS[info.format](r)
        return _breakdown(r, layout, info, len(data), _Modules(main, tuple(modules)))
    except Corrupt as exc:
        raise InspectError(f"{path}: {exc}; rebuild it with a current Go to see its sizes.") from None


class _Modules:
    """Which module a package belongs to, from the build info's module list."""

    def __init__(self, main: str | None, deps: tuple[str, ...]) -> None:
        self.main = main
        self._paths = sorted((p for p in (main, *deps) if p), key=len, reverse=True)
        self._deps = set(deps)

    def prefix_of(self, name: str) -> str | None:
        """The module whose path starts ``name`` (for symbol names a plain split would get wrong)."""
        return next((p for p in self._paths if name.startswith((p + ".", p + "/"))), None)

    def owner(self, package: str) -> tuple[str, PackageKind]:
        if package == "main" or (self.main and _within(package, self.main)):
            return self.main or "main", PackageKind.MAIN
        for p in self._paths:
            if _within(package, p):
                return p, PackageKind.DEPENDENCY
        first = package.split("/", 1)[0]
        if "." not in first or package.startswith("vendor/"):
            return "std", PackageKind.STD
        return package, PackageKind.UNKNOWN


def _within(package: str, module: str) -> bool:
    return package == module or package.startswith(module + "/")


def package_of(symbol: str, modules: _Modules | None = None) -> str | None:
    """The Go package a function or variable symbol belongs to, or None for linker-made symbols.

    A symbol is ``import/path.Name`` with dots in the path's last element escaped as ``%2e``; methods,
    closures and generic instantiations follow the first dot after the last slash (type arguments, which may
    hold slashes of their own, are cut off first). ``type:.eq.``-style helpers belong to their type's package.
    """
    name = symbol
    for prefix in ("type:.eq.", "type:.hash.", "go:itab.", "type:"):
        if name.startswith(prefix):
            name = name[len(prefix):].lstrip("*")
            break
    else:
        if name.startswith("go:"):
            return None
    name = name.split("[", 1)[0]
    if modules is not None and (known := modules.prefix_of(name)) is not None:
        rest = name[len(known):]
        if rest.startswith("."):
            return known
    slash = name.rfind("/")
    dot = name.find(".", slash + 1)
    if dot <= 0 or not (name[0].isalnum() or name[0] == "_"):
        return None
    return name[:dot].replace("%2e", ".")


class _Sec(NamedTuple):
    """A stretch of the file the breakdown counts: an ELF or Mach-O section, or a part of a PE section."""

    name: str  # as shown: ".text", ".rdata", "__DATA,__noptrdata"
    key: str  # the Go ELF section its bytes would be in, for the words and the rules (".gopclntab")
    addr: int
    size: int  # bytes counted in the total; 0 for what the loader does not map from the file
    offset: int
    variables: bool  # package variables here are attributed (not code, function table, padding)


class _Layout(NamedTuple):
    secs: list[_Sec]
    symbols: list[_Symbol]  # sized, with .section an index into secs
    pclntab: int | None  # the index of the function table's _Sec


_NO_VARIABLES = frozenset({".text", ".gopclntab", ".bss", ".noptrbss", ".stubs"})


def _elf_layout(r: Reader) -> _Layout:
    secs = elf.sections(r)
    if not secs:
        raise Corrupt("it has no section headers")
    out = []
    for s in secs:
        loaded = bool(s.flags & SHF_ALLOC) and s.type != SHT_NOBITS and s.size > 0
        out.append(_Sec(s.name, s.name, s.addr, s.size if loaded else 0, s.offset,
                        loaded and s.name not in (".text", ".gopclntab")))
    index = next((i for i, s in enumerate(secs) if s.name == ".gopclntab"), None)
    return _Layout(out, _elf_symbols(r, secs), index)


def _elf_symbols(r: Reader, secs: list[elf.Section]) -> list[_Symbol]:
    """The symbol table's functions and objects (empty for a stripped binary)."""
    symtab = next((s for s in secs if s.type == SHT_SYMTAB), None)
    if symtab is None or symtab.link >= len(secs):
        return []
    strtab = secs[symtab.link]
    wide = r.u8(4) == 2
    entsize = 24 if wide else 16
    n = symtab.size // entsize
    if wide:
        rows = [(a, b & 0xF, e, f, g) for a, b, _c, e, f, g in
                r.unpack_table("IBBHQQ", symtab.offset, n, entsize, "symbol table")]
    else:
        rows = [(a, d & 0xF, g, b, c) for a, b, c, d, _e, g in
                r.unpack_table("IIIBBH", symtab.offset, n, entsize, "symbol table")]
    return [_Symbol(r.cstring(strtab.offset + name, 4096, "symbol name"), kind, shndx, value, size)
            for name, kind, shndx, value, size in rows if kind in (STT_OBJECT, STT_FUNC) and shndx]


# Where Go's linker starts each kind of data inside a PE section (which holds several): the ELF section
# those bytes would be in. The same symbols start Mach-O's sections, so both formats are split alike.
_PIECE_STARTS = {
    "runtime.rodata": ".rodata", "runtime.pclntab": ".gopclntab", "runtime.types": ".go.type",
    "runtime.typelink": ".typelink", "runtime.itablink": ".itablink", "go:funcdesc": ".go.func",
    "go:buildinfo": ".go.buildinfo", "go:fipsinfo": ".go.fipsinfo", "runtime.firstmoduledata": ".go.module",
    "runtime.noptrdata": ".noptrdata", "runtime.data": ".data", "runtime.bss": ".bss",
    "runtime.noptrbss": ".noptrbss",
}
# Linker-defined bounds and containers: no size of their own in an ELF symbol table, so here they only end
# the symbol before them (what follows them up to the next symbol is "other").
_MARKERS = frozenset({f"runtime.{e}{part}" for part in ("text", "rodata", "types", "noptrdata", "data", "bss",
                                                        "noptrbss", "covctrs", "pclntab", "typelink", "itablink",
                                                        "symtab") for e in ("", "e")}
                     | {"runtime.end", "runtime.gcbits.*", "runtime.gcmask.*"})


class _Placed(NamedTuple):
    name: str
    section: int  # which section of the file (the format's own numbering)
    addr: int


def _rank(name: str) -> int:
    """Which of several symbols at one address owns the bytes there: a variable, else a bound, else a
    generic instantiation's dictionary (often empty)."""
    if "..dict." in name:
        return 0
    return 1 if name in _MARKERS or name.startswith(("go:", "type:")) else 2


def _sized(placed: list[_Placed], ends: dict[int, int], secs: list[_Sec]) -> list[_Symbol]:
    """Each symbol sized up to the next symbol in its section (or the section's end in the file), as the
    linker lays them out end to end; several at one address: the first by _rank has the bytes, the rest none.
    Bounds are left out; each symbol's section becomes the index of the _Sec holding it."""
    groups: dict[int, list[_Placed]] = defaultdict(list)
    for p in placed:
        if p.section in ends:
            groups[p.section].append(p)
    starts = sorted((s.addr, i) for i, s in enumerate(secs) if s.size)
    out = []
    for section, group in groups.items():
        group.sort(key=lambda p: (p.addr, -_rank(p.name)))
        addrs = sorted({p.addr for p in group if p.addr < ends[section]})
        if not addrs:  # all of them past what the file holds (zero-filled variables)
            continue
        following = dict(zip(addrs, [*addrs[1:], ends[section]], strict=True))
        owned: set[int] = set()
        for p in group:
            if p.addr not in following:
                continue
            size = 0 if p.addr in owned else following[p.addr] - p.addr
            owned.add(p.addr)
            at = bisect.bisect_right(starts, (p.addr, len(secs))) - 1
            if p.name in _MARKERS or at < 0:
                continue
            index = starts[at][1]
            if p.addr < secs[index].addr + secs[index].size:
                out.append(_Symbol(p.name, STT_OBJECT, index, p.addr, size))
    return out


def _pieces(name: str, key: str, addr: int, size: int, offset: int, placed: Iterable[_Placed]) -> list[_Sec]:
    """One section cut where Go's linker starts each kind of data in it (each piece named by that kind)."""
    cuts = {addr: key}
    for p in placed:
        if p.name in _PIECE_STARTS and addr <= p.addr < addr + size:
            cuts[p.addr] = _PIECE_STARTS[p.name]
    at = sorted(cuts)
    out = []
    for start, stop in zip(at, [*at[1:], addr + size], strict=True):
        if stop > start:
            k = cuts[start]
            out.append(_Sec(name, k, start, stop - start, offset + start - addr, k not in _NO_VARIABLES))
    return out


_PE_KEYS = {".text": ".text", ".rdata": ".rodata", ".data": ".data"}
IMAGE_SCN_CNT_CODE, IMAGE_SCN_CNT_INITIALIZED_DATA, IMAGE_SCN_MEM_DISCARDABLE = 0x20, 0x40, 0x02000000


def _pe_layout(r: Reader) -> _Layout:
    """PE: the sections the image needs (code and initialized data, not discardable: so not DWARF, the
    relocations or the symbol table), as far as the file holds them; Go's COFF symbols have no sizes."""
    pe_off = pe.pe_offset(r)
    if pe_off is None:
        raise Corrupt("it has no PE header")
    base, sections, coff = pe.image_layout(r, pe_off)
    placed = [_Placed(s.name, s.section, base + sections[s.section - 1].va + s.value)
              for s in coff if 0 < s.section <= len(sections)]
    by_section = _by_section(placed)
    secs: list[_Sec] = []
    ends = {}
    for number, s in enumerate(sections, 1):
        if not s.chars & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_CNT_INITIALIZED_DATA) or s.chars & IMAGE_SCN_MEM_DISCARDABLE:
            continue
        size = min(s.vsize, s.raw) if s.vsize else s.raw
        ends[number] = base + s.va + size
        secs += _pieces(s.name, _PE_KEYS.get(s.name, s.name), base + s.va, size, s.offset, by_section[number])
    index = next((i for i, s in enumerate(secs) if s.key == ".gopclntab"), None)
    if index is None:  # stripped: no symbol marks the function table; its header does
        index = _find_pclntab(r, secs)
    return _Layout(secs, _sized(placed, ends, secs), index)


def _find_pclntab(r: Reader, secs: list[_Sec]) -> int | None:
    """Cut the function table out of the read-only data it was found in, by its header's own extent."""
    for i, s in enumerate(secs):
        tab = pclntab.search(r, s.offset, s.offset + s.size, "little" if r.endian == "<" else "big") \
            if s.key != ".text" else None
        if tab is None:
            continue
        end = min(s.offset + s.size, tab.offset + pclntab.function_table(r, tab).records_end)
        before, after = tab.offset - s.offset, s.offset + s.size - end
        parts = [s._replace(size=before), _Sec(s.name, ".gopclntab", s.addr + before, end - tab.offset, tab.offset,
                                              False), s._replace(addr=s.addr + s.size - after, size=after,
                                                                 offset=end)]
        secs[i:i + 1] = [p for p in parts if p.size > 0]
        return next(j for j in range(i, len(secs)) if secs[j].key == ".gopclntab")
    return None


_MACHO_KEYS = {"__text": ".text", "__symbol_stub1": ".stubs", "__stubs": ".stubs", "__got": ".got",
               "__nl_symbol_ptr": ".got", "__la_symbol_ptr": ".got"}


def _by_section(placed: list[_Placed]) -> dict[int, list[_Placed]]:
    """The symbols of each section number, in the order given."""
    by_section: dict[int, list[_Placed]] = defaultdict(list)
    for p in placed:
        by_section[p.section].append(p)
    return by_section


def _macho_layout(r: Reader) -> _Layout:
    """Mach-O: every section with bytes in the file outside __DWARF; symbols have no sizes."""
    sections, syms = macho.layout(r)
    placed = [_Placed(s.name, s.section, s.value) for s in syms if 0 < s.section <= len(sections)]
    by_section = _by_section(placed)
    secs: list[_Sec] = []
    ends = {}
    for number, s in enumerate(sections, 1):
        if not s.in_file or not s.size:
            continue
        key = _MACHO_KEYS.get(s.name) or "." + s.name.lstrip("_").replace("_", ".")
        ends[number] = s.addr + s.size
        secs += _pieces(f"{s.segment},{s.name}", key, s.addr, s.size, s.offset, by_section[number])
    index = next((i for i, s in enumerate(secs) if s.key == ".gopclntab"), None)
    return _Layout(secs, _sized(placed, ends, secs), index)


_FORMATS = {"ELF": _elf_layout, "PE": _pe_layout, "Mach-O": _macho_layout}
SIZE_FORMATS = (*_FORMATS, "wasm")  # the binary formats (inspect's BinaryInfo.format) a breakdown reads


class _Tally:
    """Bytes per (package, part) and per section, as they are attributed."""

    def __init__(self, modules: _Modules) -> None:
        self.modules = modules
        self.parts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # code, pcln, data
        self.by_section: dict[int, int] = defaultdict(int)

    def add(self, symbol: str, part: int, size: int, section: int) -> None:
        package = package_of(symbol, self.modules)
        if package is None or size <= 0:
            return
        self.parts[package][part] += size
        self.by_section[section] += size


def _section_at(secs: list[_Sec], addr: int) -> int:
    return next((i for i, s in enumerate(secs) if s.addr <= addr < s.addr + s.size), 0)


def _breakdown(r: Reader, layout: _Layout, info: BinaryInfo, file_size: int, modules: _Modules) -> SizeBreakdown:
    secs, symbols = layout.secs, layout.symbols
    loaded = {i: s for i, s in enumerate(secs) if s.size}
    tally = _Tally(modules)
    _functions(r, layout, tally)
    _variables(secs, symbols, tally)
    packages = []
    for name, (code, pcln, data) in tally.parts.items():
        module, kind = modules.owner(name)
        packages.append(PackageSize(name, module, kind, code, pcln, data))
    packages.sort(key=lambda p: (-p.size, p.package))
    rest: dict[tuple[str, str], int] = defaultdict(int)
    for i, s in loaded.items():
        if s.size > tally.by_section[i]:
            rest[(s.name, _OTHER_WORDS.get(s.key, _UNNAMED))] += s.size - tally.by_section[i]
    other = sorted((OtherSize(name, what, size) for (name, what), size in rest.items()),
                   key=lambda o: (-o.size, o.section))
    return SizeBreakdown(info.path, info.goos, info.goarch, file_size, sum(s.size for s in loaded.values()),
                         bool(symbols), tuple(packages), _by_module(packages), tuple(other), info.format)


def _functions(r: Reader, layout: _Layout, tally: _Tally) -> None:
    """Code and function-table bytes per package, from the pclntab."""
    secs, index = layout.secs, layout.pclntab
    if index is None:
        raise Corrupt("it has no function table (.gopclntab)")
    sec = secs[index]
    tab = pclntab.at(r, sec.offset, sec.offset + sec.size)
    if tab is None:
        raise Corrupt("its .gopclntab section does not start with a pclntab header")
    table = pclntab.function_table(r, tab)
    text = _section_at(secs, table.text_start) if table.text_start else \
        next((i for i, s in enumerate(secs) if s.key == ".text"), 0)
    owner: dict[int, str] = {}  # pc-value tables are shared between functions: the first one owns each
    for fn in table.functions:
        tally.add(fn.name, 0, fn.code_size, text)
        tally.add(fn.name, 1, fn.record_size, index)
        for t in fn.tables:
            if t:
                owner.setdefault(t, fn.name)
    _shared_pieces(owner, table.pctab_end - table.pctab_offset, tally, index)
    _funcdata(layout.symbols, table, tally)


def _shared_pieces(owner: Mapping[int, str], end: int, tally: _Tally, section: int,
                   measure: Callable[[int, int], int] = lambda start, stop: stop - start) -> None:
    """Each owned piece runs to the next piece's start: the linker lays the tables end to end."""
    starts = sorted(owner)
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else end
        tally.add(owner[start], 1, measure(start, stop), section)


def _funcdata(symbols: list[_Symbol], table: pclntab.FuncTable, tally: _Tally) -> None:
    """Stack maps and inline trees (go:func.*), located by the symbol table; other bytes when stripped."""
    gofunc = next((s for s in symbols if s.name == _FUNCDATA_SYMBOL), None)
    if gofunc is None:
        return
    owner: dict[int, str] = {}
    for fn in table.functions:
        for off in fn.funcdata:
            if off < gofunc.size:
                owner.setdefault(off, fn.name)
    _shared_pieces(owner, gofunc.size, tally, gofunc.section)


def _variables(secs: list[_Sec], symbols: list[_Symbol], tally: _Tally) -> None:
    """Package-level variables and tables, from the symbol table, outside text and pclntab; overlaps clipped."""
    objects = sorted((s for s in symbols if s.kind == STT_OBJECT and s.size and s.section < len(secs)
                      and secs[s.section].variables), key=lambda s: (s.value, -s.size))
    reach = 0
    for sym in objects:
        start = max(sym.value, reach)
        end = min(sym.value + sym.size, secs[sym.section].addr + secs[sym.section].size)
        if end > start:
            tally.add(sym.name, 2, end - start, sym.section)
            reach = end


# Go's wasm linker numbers functions from here in the pclntab: entry 0x1000 + i is the code section's body i.
_WASM_FIRST_FUNCTION = 0x1000
_WASM_WORDS = {
    "type": "function signatures", "import": "imports (the host functions it calls)",
    "function": "each function's signature index", "table": "the indirect-call table's size",
    "memory": "memory limits", "global": "globals (Go's registers)", "export": "exports",
    "start": "start function", "elem": "indirect-call table entries (func values)",
    "datacount": "data segment count", "tag": "exception tags",
    "code": "function count and body lengths, functions outside the function table",
}
_WASM_DATA = "read-only data, types and variables (wasm has no symbol table to place them), segment headers"


class _Coverage:
    """How many bytes of a memory range the file holds: Go's wasm linker leaves runs of zeros out of the
    data segments, so a table in memory is not all in the file."""

    def __init__(self, segments: Iterable[tuple[int, int, int]]) -> None:
        merged: list[list[int]] = []
        for addr, _off, size in sorted(segments):
            if merged and addr <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], addr + size)
            elif size:
                merged.append([addr, addr + size])
        self._starts = [a for a, _b in merged]
        self._ends = [b for _a, b in merged]
        self._before = [0]
        for a, b in merged:
            self._before.append(self._before[-1] + b - a)

    def _below(self, x: int) -> int:
        i = bisect.bisect_right(self._starts, x) - 1
        return 0 if i < 0 else self._before[i] + min(x, self._ends[i]) - self._starts[i]

    def __call__(self, start: int, stop: int) -> int:
        return max(0, self._below(stop) - self._below(start))


def _wasm_breakdown(r: Reader, info: BinaryInfo, modules: _Modules) -> SizeBreakdown:
    """wasm: each function's body in the code section, its pclntab bytes in the data segments (rebuilt
    into memory, where the table is); text+data is every section but the custom ones (names, build ID)."""
    secs = [s for s in wasm.sections(r) if s.id != wasm.SEC_CUSTOM]
    code = next((s for s in secs if s.id == wasm.SEC_CODE), None)
    data = next((s for s in secs if s.id == wasm.SEC_DATA), None)
    if code is None or data is None:
        raise Corrupt("it has no code or no data section")
    bodies = wasm.code_bodies(r, code)
    segments = wasm.data_segments(r, data)
    memory = bytearray(capped(max((a + n for a, _o, n in segments), default=0), max(MAX_BLOB, 16 * r.size),
                              "the wasm data segments' memory"))
    for addr, off, size in segments:
        if addr < 0:
            raise Corrupt(f"a wasm data segment starts at the negative address {addr}")
        memory[addr:addr + size] = r.view(off, size)
    m = Reader(memory, "<")
    tab = pclntab.search(m, 0, len(memory), "little")
    if tab is None:
        raise Corrupt("its data segments hold no pclntab")
    table = pclntab.function_table(m, tab)
    present = _Coverage(segments)
    tally = _Tally(modules)
    code_index, pcln_index = 0, 1
    owner: dict[int, str] = {}
    for fn in table.functions:
        body = fn.entry - _WASM_FIRST_FUNCTION
        if not 0 <= body < len(bodies):
            raise Corrupt(f"its function table names {fn.name}, which its code section does not have")
        tally.add(fn.name, 0, bodies[body][1], code_index)
        tally.add(fn.name, 1, sum(present(tab.offset + o, tab.offset + o + n) for o, n in fn.pieces), pcln_index)
        for t in fn.tables:
            if t:
                owner.setdefault(t, fn.name)
    pctab = tab.offset + table.pctab_offset
    _shared_pieces(owner, table.pctab_end - table.pctab_offset, tally, pcln_index,
                   lambda start, stop: present(pctab + start, pctab + stop))
    packages = []
    for name, (c, p, d) in tally.parts.items():
        module, kind = modules.owner(name)
        packages.append(PackageSize(name, module, kind, c, p, d))
    packages.sort(key=lambda p: (-p.size, p.package))
    in_table = present(tab.offset, tab.offset + table.records_end)
    rest = [("code", _WASM_WORDS["code"], code.size - tally.by_section[code_index]),
            ("data", _OTHER_WORDS[".gopclntab"], in_table - tally.by_section[pcln_index]),
            ("data", _WASM_DATA, data.size - in_table)]
    rest += [(s.name, _WASM_WORDS.get(s.name, _UNNAMED), s.size) for s in secs if s.id not in (wasm.SEC_CODE,
                                                                                            wasm.SEC_DATA)]
    other = sorted((OtherSize(n, w, size) for n, w, size in rest if size > 0), key=lambda o: (-o.size, o.section))
    return SizeBreakdown(info.path, info.goos, info.goarch, r.size, sum(s.size for s in secs), False,
                         tuple(packages), _by_module(packages), tuple(other), "wasm")


def _by_module(packages: Iterable[PackageSize]) -> tuple[ModuleSize, ...]:
    sizes: dict[tuple[str, PackageKind], list[int]] = defaultdict(lambda: [0, 0])
    for p in packages:
        entry = sizes[(p.module, p.kind)]
        entry[0] += p.size
        entry[1] += 1
    rows = [ModuleSize(m, k, size, n) for (m, k), (size, n) in sizes.items()]
    return tuple(sorted(rows, key=lambda m: (-m.size, m.module)))


__all__ = ["SIZE_FORMATS", "ModuleSize", "OtherSize", "PackageKind", "PackageSize", "SizeBreakdown", "package_of",
           "size_breakdown"]
