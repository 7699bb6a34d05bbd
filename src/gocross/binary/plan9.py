"""Plan 9 a.out: a 32-byte big-endian header (40 with the 64-bit entry point), then text, data, symbols.

The only OS that still uses a.out among Go's ports, so the magic alone names GOOS; it also names GOARCH.
`file` calls these "data" and `go version -m` no longer reads them, though the build info is in the data
segment as usual.
"""

from __future__ import annotations

from gocross.binary.facts import Facts
from gocross.binary.reader import Corrupt, Reader

HDR_MAGIC = 0x8000
# magic -> (GOARCH or None, machine name)
MAGICS: dict[int, tuple[str | None, str]] = {
    0x01EB: ("386", "Intel 386"),
    0x8A97: ("amd64", "x86-64"),
    0x0647: ("arm", "ARM"),
    0x8C47: (None, "ARM64"),
    0x0407: (None, "MIPS"),
    0x048B: (None, "PowerPC"),
}


def is_plan9(r: Reader) -> bool:
    return r.has(0, 32) and r.with_endian(">").u32(0) in MAGICS


def parse(r0: Reader) -> Facts:
    r = r0.with_endian(">")
    magic, text, data, _bss, syms, _entry, spsz, pcsz = r.unpack("8I", 0, "plan9 header")
    arch, machine = MAGICS[magic]
    hdr = 40 if magic & HDR_MAGIC else 32
    total = hdr + text + data + syms + spsz + pcsz
    if total > r.size:
        raise Corrupt(f"the plan9 header promises {total} bytes but the file has {r.size}")
    # The a.out header is always big-endian; the code (and data, build info included) is the CPU's order.
    endian = "big" if machine in ("MIPS", "PowerPC") else "little"
    f = Facts(format="plan9", bits=64 if magic & HDR_MAGIC else 32, endian=endian, machine=machine,
              header_goos="plan9", header_goarch=arch, file_type="executable", linkage="static", pie=False)
    f.cite("header_goos", f"plan9 a.out magic {magic:#x}")
    f.text_range = (hdr, text)
    f.buildinfo_ranges.append((hdr + text, data))
    f.pclntab_range = None
    f.scan_range = (0, total)  # the header's sizes add up to what the file holds; nothing past it is read
    f.stripped = syms == 0
    f.debug_info = False
    return f
