"""``gocross doctor --binfmt``: register qemu-user with the kernel's binfmt_misc, opt-in and reversible.

Why: gocross runs foreign binaries by calling ``qemu-<arch>-static BINARY`` itself, which needs nothing from
the kernel. But a foreign program that starts *another* foreign program (a test re-executing ``os.Args[0]``,
``exec.Command`` of a cross-built tool) asks the kernel directly, and the kernel answers ENOEXEC ("exec format
error") unless binfmt_misc maps that ELF machine to qemu. Registering does exactly that, machine-wide:

- mounts ``binfmt_misc`` on /proc/sys/fs/binfmt_misc if it is not mounted;
- for each architecture qemu-user emulates here and that no existing entry already handles, writes one rule
  ``:gocross-qemu-<arch>:M::<ELF header magic>:<mask>:<qemu-<arch>-static>:F`` to ``register`` (``F``: the
  kernel opens the interpreter now, so it also works inside containers and chroots);
- removal (``--binfmt-remove``) writes ``-1`` to each ``gocross-qemu-*`` entry and touches nothing else.

Only root can do either; nothing here runs unless the user asks for it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gocross.errors import GocrossError, UsageError
from gocross.platforms import arch

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
PREFIX = "gocross-qemu-"
FLAGS = "F"

Writer = Callable[[Path, str], None]


@dataclass(frozen=True)
class Handler:
    """One binfmt_misc rule: which ELF files (magic under mask) the kernel hands to which interpreter."""

    name: str
    goarch: str
    interpreter: str
    magic: bytes
    mask: bytes

    def rule(self) -> str:
        """The line written to ``register``."""
        return f":{self.name}:M::{_escape(self.magic)}:{_escape(self.mask)}:{self.interpreter}:{FLAGS}"


@dataclass(frozen=True)
class BinfmtChange:
    """What a register or remove call did, for ``gocross doctor`` to print."""

    mounted: bool  # binfmt_misc had to be mounted first
    registered: tuple[str, ...] = ()
    already: tuple[str, ...] = ()  # "<goarch> (by <entry>)": an existing entry handles it; left alone
    missing: tuple[str, ...] = ()  # qemu-<arch>-static not installed: nothing to register
    removed: tuple[str, ...] = ()


def elf_magic(goarch: str) -> tuple[bytes, bytes]:
    """The first 20 bytes of an ELF executable (or PIE) for ``goarch``, and the mask binfmt_misc compares with."""
    record = arch(goarch)
    if record is None or record.elf is None:
        raise KeyError(goarch)
    ident, order = record.elf, record.elf.endian
    cls, data, machine = 1 if ident.bits == 32 else 2, 1 if order == "little" else 2, ident.machine
    magic = b"\x7fELF" + bytes([cls, data, 1, 0]) + bytes(8) + (2).to_bytes(2, order) + machine.to_bytes(2, order)
    e_type_mask = b"\xfe\xff" if data == 1 else b"\xff\xfe"  # ET_EXEC (2) and ET_DYN (3)
    mask = b"\xff" * 7 + b"\x00" + b"\xff" * 8 + e_type_mask + b"\xff\xff"  # any OS/ABI byte
    return magic, mask


def _escape(data: bytes) -> str:
    return "".join(f"\\x{b:02x}" for b in data)


def explain() -> str:
    """The plain-words description ``gocross doctor`` shows before and after registering."""
    return (__doc__ or "").split("\n\n", 1)[1].strip()


def handlers() -> list[Handler]:
    """The rules for every architecture qemu-user emulates here (interpreter: the installed qemu, if any)."""
    from gocross.runners import qemu

    found = []
    for _goos, goarch in qemu.RUNNER.targets():
        record = arch(goarch)
        if record is None or record.elf is None:
            continue
        _program, path = qemu.find_program(goarch)
        magic, mask = elf_magic(goarch)
        found.append(Handler(f"{PREFIX}{qemu.qemu_name(goarch)}", goarch, path or "", magic, mask))
    return found


def require_root(euid: int | None = None) -> None:
    """binfmt_misc rules are machine-wide: only root may change them."""
    if (os.geteuid() if euid is None else euid) != 0:
        raise UsageError("Registering qemu with binfmt_misc changes the whole machine and needs root; "
                         "run `sudo gocross doctor --binfmt`.")


def is_mounted(root: Path = BINFMT_DIR) -> bool:
    return (root / "register").exists()


def mount(root: Path = BINFMT_DIR) -> None:
    """Mount binfmt_misc on ``root`` (what systemd's proc-sys-fs-binfmt_misc.mount does at boot)."""
    try:
        proc = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(root)], capture_output=True,
                              text=True, timeout=30, check=False)
    except OSError as exc:
        raise GocrossError(f"Cannot run mount to mount binfmt_misc ({exc.strerror}); mount it with "
                           f"`mount -t binfmt_misc binfmt_misc {root}` and try again.") from None
    if proc.returncode != 0:
        raise GocrossError(f"Cannot mount binfmt_misc on {root} ({proc.stderr.strip() or proc.returncode}); "
                           "inside a container, register the handlers on the host instead.")


@dataclass(frozen=True)
class Entry:
    """One registered binfmt_misc handler, as its file under /proc/sys/fs/binfmt_misc describes it."""

    name: str
    enabled: bool
    interpreter: str | None
    flags: str | None
    magic: bytes | None


def read_entry(path: Path) -> Entry:
    """Parse one entry file (lines ``enabled``, ``interpreter PATH``, ``flags: F``, ``magic HEX``)."""
    enabled, interpreter, flags, magic = False, None, None, None
    for line in _read(path).splitlines():
        key, _, value = line.partition(" ")
        if line.strip() == "enabled":
            enabled = True
        elif key == "interpreter":
            interpreter = value.strip()
        elif key == "flags:":
            flags = value.strip()
        elif key == "magic":
            magic = bytes.fromhex(value.replace(" ", ""))
    return Entry(path.name, enabled, interpreter, flags, magic)


def entries(root: Path = BINFMT_DIR) -> list[Entry]:
    """Every registered entry, sorted by name (none when binfmt_misc is not mounted)."""
    if not root.is_dir():
        return []
    return [read_entry(p) for p in sorted(root.iterdir()) if p.name not in ("register", "status")]


def existing(root: Path = BINFMT_DIR) -> dict[str, bytes]:
    """Entry name -> its magic bytes, for every registered entry that has one."""
    return {e.name: e.magic for e in entries(root) if e.magic is not None}


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _handled_by(handler: Handler, entries: dict[str, bytes]) -> str | None:
    """The entry that already catches this architecture's executables (same class, byte order, machine)."""
    key = (handler.magic[4:6], handler.magic[18:20])
    for name, magic in entries.items():
        if len(magic) >= 20 and (magic[4:6], magic[18:20]) == key:
            return name
    return None


def _write_proc(path: Path, text: str) -> None:
    """One write per rule, as binfmt_misc requires."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def register(root: Path = BINFMT_DIR, *, write: Writer = _write_proc,
             mounter: Callable[[Path], None] = mount) -> BinfmtChange:
    """Mount binfmt_misc if needed and register qemu for every emulated architecture not yet handled."""
    mounted = False
    if not is_mounted(root):
        mounter(root)
        mounted = True
    entries = existing(root)
    registered, already, missing = [], [], []
    for handler in handlers():
        owner = _handled_by(handler, entries)
        if owner is not None:
            already.append(f"{handler.goarch} (by {owner})")
        elif not handler.interpreter:
            missing.append(handler.goarch)
        else:
            _checked_write(write, root / "register", handler.rule())
            registered.append(handler.name)
    return BinfmtChange(mounted, tuple(registered), tuple(already), tuple(missing))


def remove(root: Path = BINFMT_DIR, *, write: Writer = _write_proc) -> BinfmtChange:
    """Unregister every ``gocross-qemu-*`` entry (and nothing else)."""
    removed = []
    for name in sorted(existing(root)) if is_mounted(root) else []:
        if name.startswith(PREFIX):
            _checked_write(write, root / name, "-1")
            removed.append(name)
    return BinfmtChange(False, removed=tuple(removed))


def _checked_write(write: Writer, path: Path, text: str) -> None:
    try:
        write(path, text)
    except OSError as exc:
        raise GocrossError(f"The kernel refused {text!r} in {path} ({exc.strerror or exc}); check that "
                           "binfmt_misc is mounted and that you are root.") from None
