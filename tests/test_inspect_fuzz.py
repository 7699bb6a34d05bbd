"""Fuzz the readers with truncated and bit-flipped real binaries: only a BinaryInfo or InspectError may result.

Flips are aimed where the parsers look (headers, load commands and section tables at the start, ELF
section headers at the end, the build info blob) as well as anywhere; each example also gets a verdict,
since that reads the parsed fields. Hypothesis' deadline bounds the time per example.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.corpus import build_corpus, default_cache_dir

from gocross.binary import BinaryInfo, inspect_bytes
from gocross.binary.buildinfo import MAGIC
from gocross.binary.verdict import verdict
from gocross.errors import InspectError
from gocross.toolchain import Toolchain

SEED_TARGETS = [
    ("linux", "amd64"), ("linux", "s390x"), ("linux", "arm"), ("darwin", "arm64"), ("windows", "386"),
    ("windows", "amd64"), ("js", "wasm"), ("aix", "ppc64"), ("plan9", "amd64"), ("openbsd", "arm64"),
]
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,  # robustness, not speed: no time limit
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def seeds(toolchain: Toolchain) -> dict[str, bytes]:
    corpus = build_corpus(toolchain, default_cache_dir(toolchain), jobs=2, targets=SEED_TARGETS)
    return {f"{os_}/{arch}": Path(corpus[(os_, arch)]).read_bytes() for os_, arch in SEED_TARGETS}


def _check(data: bytes) -> None:
    try:
        info = inspect_bytes(data, "fuzzed")
    except InspectError as exc:
        assert str(exc).startswith("fuzzed is truncated or corrupt")
        return
    assert isinstance(info, BinaryInfo)
    verdict(info)


def _hot_spots(data: bytes) -> list[int]:
    """Offsets the parsers read: the header area, the tail (ELF section headers), the build info blob."""
    spots = [0, max(0, len(data) - 4096)]
    if (bi := data.find(MAGIC)) >= 0:
        spots.append(bi)
    return spots


@st.composite
def flipped(draw: st.DrawFn, seeds: dict[str, bytes]) -> bytes:
    data = bytearray(seeds[draw(st.sampled_from(sorted(seeds)))])
    spots = _hot_spots(bytes(data))
    for _ in range(draw(st.integers(1, 8))):
        base = draw(st.sampled_from(spots))
        if draw(st.booleans()):
            pos = draw(st.integers(0, len(data) - 1))
        else:
            pos = min(len(data) - 1, base + draw(st.integers(0, 4095)))
        data[pos] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


@st.composite
def truncated(draw: st.DrawFn, seeds: dict[str, bytes]) -> bytes:
    data = seeds[draw(st.sampled_from(sorted(seeds)))]
    small = draw(st.booleans())
    cut = draw(st.integers(0, 8192)) if small else draw(st.integers(0, len(data) - 1))
    return data[:cut]


def test_fuzz_bit_flips(seeds: dict[str, bytes]) -> None:
    @FUZZ
    @given(flipped(seeds))
    def run(data: bytes) -> None:
        _check(data)

    run()


def test_fuzz_truncation(seeds: dict[str, bytes]) -> None:
    @FUZZ
    @given(truncated(seeds))
    def run(data: bytes) -> None:
        _check(data)

    run()


_MAGICS = [b"\x7fELF\x01\x01\x01", b"\x7fELF\x02\x02\x01", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe\x00\x00\x00\x02",
           b"MZ", b"\x00asm\x01\x00\x00\x00", b"\x01\xf7", b"\x00\x00\x8a\x97", b"#!"]


@FUZZ
@given(st.sampled_from(_MAGICS), st.binary(max_size=2048))
def test_fuzz_magic_plus_noise(magic: bytes, noise: bytes) -> None:
    """Short files that start like each format and then say anything."""
    _check(magic + noise)


def test_every_seed_parses_cleanly(seeds: dict[str, bytes]) -> None:
    for name, data in seeds.items():
        info = inspect_bytes(data, name)
        assert info.target == name


def _elf64(**fields: int) -> bytearray:
    head = bytearray(b"\x7fELF\x02\x01\x01" + bytes(9))
    values = {"e_type": 2, "e_machine": 62, "e_phoff": 64, "e_shoff": 0, "e_phentsize": 56, "e_phnum": 0,
              "e_shentsize": 64, "e_shnum": 0, "e_shstrndx": 0, **fields}
    head += struct.pack("<HHIQQQIHHHHHH", values["e_type"], values["e_machine"], 1, 0, values["e_phoff"],
                        values["e_shoff"], 0, 64, values["e_phentsize"], values["e_phnum"],
                        values["e_shentsize"], values["e_shnum"], values["e_shstrndx"])
    return head + bytes(256)


def test_lying_lengths_fail_fast_without_allocating() -> None:
    """Counts and sizes from the file are checked against the file and capped before use."""
    cases = [
        _elf64(e_phnum=0xFFFF),  # 65535 program headers in a 320-byte file
        _elf64(e_shoff=64, e_shnum=0xFFFF),
        _elf64(e_shoff=1 << 62, e_shnum=3),
        b"\x00asm\x01\x00\x00\x00\x00\xff\xff\xff\xff\x0f",  # a custom section of 4 GiB
        b"\x00asm\x01\x00\x00\x00\x00\x08\xff\xff\xff\xff\xff\xff\xff\x7f",  # a name of 2^56 bytes
        b"\xca\xfe\xba\xbe\x00\x00\x00\x03" + struct.pack(">iiIII", 7, 3, 1 << 31, 1 << 31, 12),
    ]
    for data in cases:
        with pytest.raises(InspectError, match="truncated or corrupt"):
            inspect_bytes(bytes(data), "liar")
