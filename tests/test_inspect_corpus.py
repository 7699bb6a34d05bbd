"""The corpus test: one hello world per target that builds without cgo, inspected and checked against oracles.

Oracles: the target it was built for (goos/goarch), `go version -m -json` (version, path, module, settings),
pyelftools (ELF), pefile (PE) and lief (Mach-O). Built two at a time into a cache next to the shared GOCACHE,
so the second session reuses the binaries.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.corpus import build_corpus, buildable_targets, default_cache_dir
from tests.helpers import gocross

from gocross.binary import BinaryInfo, inspect
from gocross.toolchain import Toolchain

Corpus = dict[tuple[str, str], Path]

# Every port of the toolchain: on a fresh machine, the standard library for some 40 targets (~4 min of 2 cores).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(toolchain: Toolchain) -> Corpus:
    return build_corpus(toolchain, default_cache_dir(toolchain), jobs=2)


def test_every_buildable_target_is_in_the_corpus(toolchain: Toolchain, corpus: Corpus) -> None:
    assert len(corpus) == len(buildable_targets(toolchain))
    assert len(corpus) >= 40  # go1.27: 47 ports, 5 need an external linker


def test_corpus_goos_goarch_from_cli_json(corpus: Corpus) -> None:
    """The must-show: `gocross inspect DIR --json` names the right GOOS/GOARCH for every target."""
    folder = next(iter(corpus.values())).parent
    proc = gocross("inspect", "--json", *sorted(corpus.values()))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    by_path = {Path(entry["path"]): entry for entry in json.loads(proc.stdout)}
    wrong = []
    for (goos, goarch), path in sorted(corpus.items()):
        entry = by_path[path]
        if (entry["goos"], entry["goarch"]) != (goos, goarch) or not entry["is_go"]:
            wrong.append(f"{goos}/{goarch}: got {entry['goos']}/{entry['goarch']} is_go={entry['is_go']}")
    assert not wrong, "\n".join(wrong)
    assert folder.is_dir()


def _go_version_json(toolchain: Toolchain, path: Path) -> dict[str, Any] | None:
    proc = toolchain.run(["version", "-m", "-json", str(path)])
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def test_corpus_matches_go_version_m(toolchain: Toolchain, corpus: Corpus) -> None:
    """Version, path, main module and every build setting agree with `go version -m -json`."""
    compared = 0
    for (goos, goarch), path in sorted(corpus.items()):
        oracle = _go_version_json(toolchain, path)
        if oracle is None:
            assert goarch == "wasm" or goos == "plan9", f"go version -m failed on {goos}/{goarch}"
            continue
        info = inspect(path, runs_here=False)
        assert info.go_version == oracle["GoVersion"]
        assert info.main_path == oracle["Path"]
        assert info.main_module is not None
        assert (info.main_module.path, info.main_module.version) == (oracle["Main"]["Path"],
                                                                     oracle["Main"]["Version"])
        assert dict(info.build_settings) == {s["Key"]: s["Value"] for s in oracle["Settings"]}
        assert info.variant == info.build_settings.get(info.variant_var or "", None)
        compared += 1
    assert compared >= 35


def test_go_version_m_failures_are_inspected(corpus: Corpus) -> None:
    """wasm and plan9: `go version -m` cannot read them; inspect can."""
    for target in [("js", "wasm"), ("wasip1", "wasm"), ("plan9", "386"), ("plan9", "amd64"), ("plan9", "arm")]:
        info = inspect(corpus[target], runs_here=False)
        assert (info.goos, info.goarch) == target
        assert info.is_go and info.go_version and info.go_version.startswith("go1.")
        assert info.go_build_id
    js = inspect(corpus[("js", "wasm")], runs_here=False)
    wasi = inspect(corpus[("wasip1", "wasm")], runs_here=False)
    assert "gojs" in js.wasm_imports and "wasi_snapshot_preview1" in wasi.wasm_imports
    assert {e.source for e in wasi.evidence} >= {"wasm custom section go:buildid",
                                                 "wasm custom section producers (language Go)"}
    plan9 = inspect(corpus[("plan9", "amd64")], runs_here=False)
    assert plan9.format == "plan9" and plan9.main_path == "example.com/hello"
    assert (plan9.bits, plan9.endian) == (64, "little")  # the a.out header is big-endian, the code is not


def test_solaris_and_illumos_are_told_apart(corpus: Corpus) -> None:
    solaris = inspect(corpus[("solaris", "amd64")], runs_here=False)
    illumos = inspect(corpus[("illumos", "amd64")], runs_here=False)
    assert (solaris.goos, illumos.goos) == ("solaris", "illumos")
    assert solaris.disagreement is None and illumos.disagreement is None


def _check_elf(info: BinaryInfo, path: Path) -> None:
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as fh:
        elf = ELFFile(fh)
        assert info.bits == elf.elfclass
        assert info.endian == ("little" if elf.little_endian else "big")
        interp = next((s.get_interp_name() for s in elf.iter_segments() if s["p_type"] == "PT_INTERP"), None)
        assert info.interpreter == interp
        needed = [t.needed for s in elf.iter_sections() if isinstance(s, DynamicSection)
                  for t in s.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        assert list(info.needed_libs) == needed
        assert info.stripped == (elf.get_section_by_name(".symtab") is None)
        assert info.debug_info == any(s.name.startswith(".debug_") for s in elf.iter_sections())
        gnu = [n["n_desc"] for s in elf.iter_sections() if s["sh_type"] == "SHT_NOTE"
               for n in s.iter_notes() if n["n_type"] == "NT_GNU_BUILD_ID"]
        assert info.gnu_build_id == (gnu[0] if gnu else None)


def _check_pe(info: BinaryInfo, path: Path) -> None:
    import pefile

    pe = pefile.PE(str(path), fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]])
    machines = {0x14C: "386", 0x8664: "amd64", 0xAA64: "arm64", 0x1C4: "arm"}
    assert info.header_goarch == machines[pe.FILE_HEADER.Machine]
    assert info.bits == (64 if pe.OPTIONAL_HEADER.Magic == 0x20B else 32)
    dlls = [e.dll.decode() for e in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])]
    assert list(info.needed_libs) == dlls
    opt = pe.OPTIONAL_HEADER
    assert info.min_os is not None
    assert info.min_os.startswith(f"Windows {opt.MajorOperatingSystemVersion}.{opt.MinorOperatingSystemVersion}")


def _check_macho(info: BinaryInfo, path: Path) -> None:
    import lief

    binary = lief.MachO.parse(str(path)).at(0)
    assert binary is not None
    cpu = {lief.MachO.Header.CPU_TYPE.ARM64: "arm64", lief.MachO.Header.CPU_TYPE.X86_64: "amd64"}
    assert info.header_goarch == cpu[binary.header.cpu_type]
    assert list(info.needed_libs) == [lib.name for lib in binary.libraries]
    uuid = bytes(binary.uuid.uuid).hex().upper()
    assert info.macho_uuid is not None and info.macho_uuid.replace("-", "") == uuid
    minos = binary.build_version.minos
    assert info.min_os == f"macOS {minos[0]}.{minos[1]}" + (f".{minos[2]}" if minos[2] else "")


def test_corpus_matches_format_oracles(corpus: Corpus) -> None:
    checked = {"ELF": 0, "PE": 0, "Mach-O": 0}
    for path in sorted(corpus.values()):
        info = inspect(path, runs_here=False)
        check = {"ELF": _check_elf, "PE": _check_pe, "Mach-O": _check_macho}.get(info.format)
        if check is not None:
            check(info, path)
            checked[info.format] += 1
    assert checked["ELF"] >= 30 and checked["PE"] == 3 and checked["Mach-O"] == 2


def test_both_byte_orders_and_every_format(corpus: Corpus) -> None:
    infos = [inspect(p, runs_here=False) for p in corpus.values()]
    assert {i.format for i in infos} == {"ELF", "Mach-O", "PE", "wasm", "XCOFF", "plan9"}
    assert {i.endian for i in infos} == {"little", "big"}
    assert all(i.variant_var is None or i.variant for i in infos)


def test_file_command_baseline_misses_what_inspect_finds(corpus: Corpus) -> None:
    """`file` calls plan9/amd64 "data"; inspect names it (the comparison the issue starts from)."""
    proc = subprocess.run(["file", "-b", str(corpus[("plan9", "amd64")])], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        pytest.skip("file(1) is not installed")
    assert inspect(corpus[("plan9", "amd64")], runs_here=False).target == "plan9/amd64"


def test_json_records_and_dataclasses_agree(corpus: Corpus) -> None:
    """`inspect --json` prints the readers' records; the library wraps the same records in dataclasses.

    Both must say the same thing for every binary: to_json(inspect(f)) is the record, and the record
    read back is the dataclass.
    """
    from gocross.binary import inspect_many_records, inspect_record, to_json

    for path in sorted(corpus.values()):
        record, info = inspect_record(path), inspect(path)
        assert to_json(info) == record, path
        assert BinaryInfo.from_json(record) == info, path
        assert json.loads(json.dumps(record)) == record
    assert inspect_many_records(sorted(corpus.values())) == [inspect_record(p) for p in sorted(corpus.values())]


def _documented_keys(section: str) -> list[str]:
    """The field names in the first column of docs/inspect.md's tables under ``section``."""
    import re

    text = (Path(__file__).parent.parent / "docs" / "inspect.md").read_text()
    body = text.split(section, 1)[1].split("\n## ", 1)[0]
    keys: list[str] = []
    for line in body.splitlines():
        if line.startswith("| `"):
            keys += re.findall(r"`(\w+)`", line.split("|")[1])
    return keys


def test_schema_matches_the_documentation(corpus: Corpus) -> None:
    """Every key of a record is documented in docs/inspect.md, in the same order, and nothing more."""
    from gocross.binary import inspect_record

    record = inspect_record(corpus[("linux", "amd64")])
    assert record["runs_here"] is not None
    documented = _documented_keys("## JSON schema")
    runs_here = _documented_keys("### `runs_here`")
    assert [*documented[: len(documented) - len(runs_here)], "runs_here"] == list(record)
    assert runs_here == list(record["runs_here"])
