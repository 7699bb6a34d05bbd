""""Runs here?": native, emulated (and by what), or no — with the reason in plain words and what to do.

The runner table belongs to ``gocross.runners`` (so ``inspect`` and ``run`` never disagree); this module adds
what only the binary can tell: an ELF for another OS that Linux would start and then crash, a dynamic
loader or glibc this host lacks, and what "exec format error" means for this particular file.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from gocross.binary.model import BinaryInfo, RunsHere
from gocross.platforms import arch, os_display
from gocross.runners import choose_runner, why_no_runner
from gocross.runners.base import RunnerChoice
from gocross.runners.native import host_goarch, native_goarches

_NOT_PROGRAMS = ("shared library", "relocatable object", "object", "core dump", "bundle")
_FORMAT_WORDS = {
    "Mach-O": "a Mach-O file (the macOS/iOS program format)",
    "Mach-O universal": "a Mach-O universal file (the macOS program format)",
    "PE": "a PE file (a Windows .exe)",
    "XCOFF": "an XCOFF file (the AIX program format)",
    "plan9": "a Plan 9 a.out file",
}


RunnerCache = dict[tuple[str, str, str | None], RunnerChoice | None]
"""choose_runner's answers by (goos, goarch, variant), for one batch of files (see ``verdict``)."""


def verdict(info: BinaryInfo, cache: RunnerCache | None = None) -> RunsHere:
    """Decide whether this host can run the binary, and how.

    ``cache`` lets a batch (inspect_many) ask the runner table once per target instead of once per file;
    it is not kept between calls, so a runner installed meanwhile is seen by the next call.
    """
    if info.format in ("empty", "data"):
        return RunsHere("no", f"not a program: {info.description}")
    if info.format == "script":
        return _script(info)
    if info.file_type in _NOT_PROGRAMS:
        return RunsHere("no", f"a {info.file_type}, not a program: other programs load it")
    if not info.goos or not info.goarch:
        what = info.machine or "unknown"
        return RunsHere("no", f"a {info.format} program for {what}, a CPU no Go port or runner here covers",
                        exec_format_error=_exec_format_error(info, None))
    choice = _choose(info.goos, info.goarch, info.variant, cache)
    if choice is None:
        return _cannot(info)
    if choice.name == "native":
        return _native(info)
    return _emulated(info, choice)


def _choose(goos: str, goarch: str, variant: str | None, cache: RunnerCache | None) -> RunnerChoice | None:
    if cache is None:
        return choose_runner(goos, goarch, variant)
    key = (goos, goarch, variant)
    if key not in cache:
        cache[key] = choose_runner(goos, goarch, variant)
    return cache[key]


def _abs(info: BinaryInfo) -> str:
    """``str(Path(info.path).absolute())`` (the path is already as Path spells it), without a Path per file."""
    path = info.path
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)  # noqa: PTH109, PTH117, PTH118


def _script(info: BinaryInfo) -> RunsHere:
    interp = info.interpreter
    if interp and os.access(interp, os.X_OK):
        return RunsHere("native", f"a script; its interpreter {interp} is installed", runner="native",
                        installed=True, command=(_abs(info),))
    return RunsHere("no", f"a script whose interpreter {interp or '(none named)'} is not installed here")


def _native(info: BinaryInfo) -> RunsHere:
    missing = _missing_loader(info)
    if missing is not None:
        return missing
    need, have = info.min_glibc, host_glibc()
    if need and have and _vtuple(need) > _vtuple(have):
        return RunsHere("no", f"needs glibc {need} or newer, and this host has glibc {have}; the loader would "
                        f"stop it with “version `GLIBC_{need}' not found”",
                        suggestion="rebuild on an older system or with CGO_ENABLED=0 (a static binary)")
    reason = f"a {info.goos}/{info.goarch} program for this machine's CPU: the kernel runs it directly"
    if not os.access(info.path, os.X_OK):
        reason += f"; it is not marked executable yet (chmod +x {info.path})"
    return RunsHere("native", reason, runner="native", installed=True, command=(_abs(info),),
                    gocross_command=("gocross", "run", info.path) if info.is_go else None)


def _missing_loader(info: BinaryInfo) -> RunsHere | None:
    interp = info.interpreter
    if not interp or info.format != "ELF" or Path(interp).exists():
        return None
    return RunsHere("no", f"dynamically linked against the loader {interp}, which is not installed here; "
                    f"running it fails with “No such file or directory” — the missing file is the loader, "
                    f"not the program",
                    suggestion="install the C library it was built for, or rebuild with CGO_ENABLED=0")


def _cannot(info: BinaryInfo) -> RunsHere:
    assert info.goos and info.goarch
    host = host_goarch() or "amd64"
    suggestion = f"build for linux/{host} instead: gocross build --target linux/{host}"
    osname = os_display(info.goos)
    if info.goos in ("darwin", "ios"):
        reason = f"will not run here: {_apple(info)}; {suggestion}"
    elif info.format == "ELF" and info.goarch in native_goarches() and info.goos != "linux":
        reason = (f"will not run here: {_a(osname)} {osname} program. Linux would start it (the kernel does not check "
                  f"the ELF OS ABI) but it makes {osname} system calls and crashes right after start, "
                  f"usually with SIGSEGV (exit status 139)")
        if info.interpreter and not Path(info.interpreter).exists():
            reason = (f"will not run here: {_a(osname)} {osname} program; running it fails with “No such file or "
                      f"directory” because its loader {info.interpreter} does not exist on Linux")
        return RunsHere("no", reason, suggestion=suggestion)
    elif info.goos == "linux":
        reason = f"will not run here: {why_no_runner(info.goos, info.goarch, info.variant)}"
        if info.goarch == "amd64" and info.variant:
            suggestion = "rebuild for an older level: gocross build --target linux/amd64/v1"
    else:
        reason = f"will not run here: {why_no_runner(info.goos, info.goarch, info.variant)}"
    return RunsHere("no", reason, exec_format_error=_exec_format_error(info, None), suggestion=suggestion)


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _apple(info: BinaryInfo) -> str:
    arch = info.goarch
    shape = f"Mach-O {arch}" if info.format.startswith("Mach-O") else f"{info.format} {arch}"
    if info.goos == "ios":
        return f"an iOS ({shape}) program needs an iPhone or iPad (or the iOS simulator on a Mac)"
    if arch == "arm64":
        return f"a macOS ({shape}) program needs a Mac with Apple silicon"
    return f"a macOS ({shape}) program needs a Mac (Intel, or Apple silicon through Rosetta 2)"


def _emulated(info: BinaryInfo, choice: RunnerChoice) -> RunsHere:
    runner = choice.program or choice.name
    reason = f"runs emulated: {info.goos}/{info.goarch} code under {runner}"
    if choice.note:
        reason += f" ({choice.note})"
    if not choice.installed:
        reason += f"; {runner} is not installed here" + (f" — {choice.install_hint}" if choice.install_hint else "")
    if info.interpreter and choice.name == "qemu-user":
        reason += (f"; it is dynamically linked, so qemu also needs the target's loader {info.interpreter} "
                   f"and libraries (QEMU_LD_PREFIX)")
    return RunsHere("emulated", reason, runner=choice.name, program=choice.program,
                    installed=choice.installed, install_hint=choice.install_hint,
                    command=tuple(choice.command(Path(_abs(info)), [])), env=dict(choice.env),
                    gocross_command=("gocross", "run", info.path),
                    exec_format_error=_exec_format_error(info, runner))


def _exec_format_error(info: BinaryInfo, runner: str | None) -> str:
    """What the kernel's "exec format error" (ENOEXEC) means for this file, in plain words."""
    host_arch = arch(host_goarch() or "")
    host = host_arch.words if host_arch else "this"
    via = f"; run it with {runner} instead" if runner else ""
    if info.format == "wasm":
        tail = f"; {runner} runs it" if runner else "; it needs a WebAssembly runtime"
        return ("“exec format error” (ENOEXEC): a WebAssembly module is not machine code for any CPU, so the "
                "kernel cannot run it" + tail)
    if info.format == "ELF":
        machine = info.machine or "this"
        binfmt = ("no binfmt_misc handler is registered to pass it to an emulator"
                  if not _binfmt_mounted() else "no registered binfmt_misc handler took it")
        return (f"“exec format error” (ENOEXEC): the kernel cannot execute {machine} ({info.goarch}) machine "
                f"code on this {host} host, and {binfmt}{via}")
    words = _FORMAT_WORDS.get(info.format, f"a {info.format} file")
    return (f"“exec format error” (ENOEXEC): the Linux kernel only executes ELF programs and #! scripts, and "
            f"this is {words}{via}")


@functools.cache
def _binfmt_mounted() -> bool:
    return Path("/proc/sys/fs/binfmt_misc/status").exists()


@functools.cache
def host_glibc() -> str | None:
    """This host's glibc version ("2.36"), or None (musl, not Linux)."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        return None
    m = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
    return m[1] if m else None


def _vtuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))
