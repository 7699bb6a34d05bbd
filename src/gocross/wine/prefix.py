"""gocross's own wine prefix: created on first use under the cache folder (never ``~/.wine``), made ready for
Go programs once per architecture, shared by every run.

Ready means: the prefix exists (``wineboot -i``, ~20–30 s once), the prefix's wine has ``ProcessPrng`` or
gocross's shim is installed for it (64-bit ``system32``, 32-bit ``syswow64``; a real DLL is never
replaced), and for windows/386 a 32-bit program was seen to print (wine64 alone exits 0 silently). A marker
file per architecture, naming the wine it was made with, makes the check a ``stat`` on later runs; the
work itself happens under an exclusive lock, so concurrent first runs (threads or processes) wait for one
another instead of booting the same prefix twice. What only that work needs (the executor, the shim
builder, safefs) is imported there: every windows run's child passes through the fast path.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from gocross.caches import cache_dir
from gocross.errors import CannotRun, RunnerMissing
from gocross.platforms import arch
from gocross.wine.install import WineHalf, builtin_dll, find_half

BOOT_TIMEOUT = 600.0  # a cold wineboot takes ~20-30 s here; far longer on a loaded machine
_PROBE_TOKEN = "gocross-wine32-ok"
_TOKEN_VAR = "GOCROSS_RUN_TOKEN"  # executor.TOKEN_VAR; not imported: every run's child passes through here
_SYSTEM_DIRS = {"wine64": "system32", "wine32": "syswow64"}  # in a 64-bit prefix

Progress = Callable[[str], None]


class PrngSource(StrEnum):
    """Where a prefix's ``ProcessPrng`` comes from."""

    NATIVE = "native"  # the prefix's wine has bcryptprimitives.dll with ProcessPrng (wine >= 8.13)
    SHIM = "shim"  # gocross's shim, built and installed into the prefix
    UNKNOWN = "unknown"  # not set up yet for this architecture


@dataclass(frozen=True)
class PrefixState:
    """A prefix ready for windows/``goarch`` programs."""

    path: Path
    goarch: str
    launcher: str
    prng: PrngSource


def prefix_dir() -> Path:
    """gocross's wine prefix: ``GOCROSS_WINEPREFIX``, else ``wine/prefix`` under gocross's cache folder.

    Never the user's ``WINEPREFIX`` or ``~/.wine``: gocross installs a DLL into its prefix.
    """
    own = os.environ.get("GOCROSS_WINEPREFIX")
    return Path(own) if own else cache_dir("wine") / "prefix"


def wine_env(prefix: Path) -> dict[str, str]:
    """What every wine process of gocross gets: its prefix, wine's debug channels off, no Mono/Gecko prompts."""
    return {"WINEPREFIX": str(prefix), "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml=",
            "WINEARCH": "win64"}


def shared_env(prefix: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment wine is started with: ``base`` (default ``os.environ``) without the run's token, plus
    :func:`wine_env`.

    Every process wine starts inherits it, and the first program of a prefix starts the processes every
    other program of the prefix uses: a wineserver (when none is running) and, through ``wineboot``,
    services.exe, winedevice.exe, plugplay.exe, rpcss.exe, svchost.exe. With the run's ``GOCROSS_RUN_TOKEN``
    they belonged to that run, and the executor SIGKILLed them when it ended, under every other run of the
    prefix (seen here: one of two windows servers smoked at once never accepted a connection, 1 try in 40,
    when the prefix's old wineserver exited just as the runs began and the first run's wine started a
    server of its own; services.exe carried the first run's token on every try). Without the token they
    are the prefix's: they sit in sessions of their own, and wineserver ends them and itself a few seconds
    after the prefix's last program. The run's own wine processes stay in its process group, which a
    timeout kills.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if k != _TOKEN_VAR}
    return env | wine_env(prefix)


def half_for(goarch: str) -> WineHalf:
    """The installed half of wine that runs windows/``goarch`` (RunnerMissing with the command if absent)."""
    record = arch(goarch)
    if record is None or record.wine is None:
        raise CannotRun(f"wine runs windows/amd64 and windows/386 only, not windows/{goarch}.")
    half = find_half(record.wine)
    if not half.installed:
        what = "32-bit wine (wine32)" if record.wine == "wine32" else "wine64"
        raise RunnerMissing(f"windows/{goarch} programs need {what}, which is not installed; install it with "
                            f"`{half.install_hint}`.")
    return half


def _stamp(half: WineHalf) -> str:
    """Names the wine a marker was made with: a new wine (an upgrade to one with ProcessPrng) redoes the check."""
    assert half.launcher is not None
    st = Path(half.launcher).stat()
    return f"{half.launcher} {st.st_size} {st.st_mtime_ns}\n"


def _marker(prefix: Path, goarch: str) -> Path:
    return prefix / f".gocross-ready-{goarch}"


def ready_state(goarch: str, prefix: Path | None = None) -> PrefixState | None:
    """The prefix's state for windows/``goarch`` if it was made ready by this wine, else None (no process)."""
    prefix = prefix or prefix_dir()
    half = half_for(goarch)
    assert half.launcher is not None
    try:
        stamp, prng = _marker(prefix, goarch).read_text().splitlines()
    except (OSError, ValueError):
        return None
    if stamp + "\n" != _stamp(half) or prng not in PrngSource.__members__.values():
        return None
    return PrefixState(prefix, goarch, half.launcher, PrngSource(prng))


@contextlib.contextmanager
def _locked(prefix: Path) -> Iterator[None]:
    try:
        prefix.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(prefix.parent / f"{prefix.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise CannotRun(f"Cannot use {prefix.parent} for gocross's wine prefix ({exc.strerror}); set "
                        "GOCROSS_WINEPREFIX or GOCROSS_CACHE_DIR to a writable folder.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def ensure_prefix(goarch: str, progress: Progress | None = None, prefix: Path | None = None) -> PrefixState:
    """Make the prefix ready for windows/``goarch`` (once; later calls only read the marker).

    Raises RunnerMissing (wine, or its 32-bit half, not installed), CannotRun (the prefix could not be
    created, or wine64 would silently "run" 386 programs) or ToolchainError (no compiler for the shim).
    """
    prefix = prefix or prefix_dir()
    state = ready_state(goarch, prefix)
    if state is not None:
        return state
    say = progress or (lambda _message: None)
    with _locked(prefix):
        state = ready_state(goarch, prefix)  # another run may have made it ready while this one waited
        if state is not None:
            return state
        half = half_for(goarch)
        assert half.launcher is not None
        if not (prefix / "system.reg").is_file():
            _boot(half.launcher, prefix, say)
        if half.half == "wine32":
            if not (prefix / "drive_c" / "windows" / "syswow64" / "cmd.exe").is_file():
                _boot(half.launcher, prefix, say, update=True)  # made before wine32 was installed
            _probe_32bit(half.launcher, prefix)
        prng = _install_prng(goarch, half.half, prefix / "drive_c" / "windows" / _SYSTEM_DIRS[half.half], say)
        from gocross.safefs import atomic_write

        atomic_write(_marker(prefix, goarch), _stamp(half) + str(prng) + "\n")
        return PrefixState(prefix, goarch, half.launcher, prng)


def _run_wine(argv: list[str], prefix: Path, timeout: float, what: str) -> tuple[int | None, str]:
    from gocross.executor import execute

    done = execute(argv, env={**os.environ, **wine_env(prefix)}, timeout=timeout, filter_stderr=False)
    if done.timed_out:
        return None, f"{what} did not finish within {timeout:g} s"
    return done.returncode, (done.stdout or b"").decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")


def _boot(launcher: str, prefix: Path, say: Progress, *, update: bool = False) -> None:
    """``wineboot --init`` a new prefix, or ``--update`` one (to add the 32-bit half installed since)."""
    what = "updating" if update else "creating"
    say(f"{what} gocross's wine prefix in {prefix} (once; about 20-60 s)")
    started = time.monotonic()
    import sys

    from gocross.wine.install import wineserver

    server = wineserver()
    if server is None:
        raise RunnerMissing("wine is installed without its wineserver; reinstall wine (`apt-get install wine`).")
    argv = [sys.executable, "-m", "gocross.wine.boot", server, launcher, "--update" if update else "--init"]
    code, output = _run_wine(argv, prefix, BOOT_TIMEOUT, "wineboot")
    from gocross.executor import output_tail

    if code != 0 or not (prefix / "system.reg").is_file():
        tail = output_tail(output, lines=8, what="wineboot", returncode=code)
        raise CannotRun(f"Could not create the wine prefix in {prefix}: {tail}")
    say(f"wine prefix ready in {time.monotonic() - started:.0f} s")


def _probe_32bit(launcher: str, prefix: Path) -> None:
    """Run the prefix's 32-bit cmd.exe: wine64 without its 32-bit half "runs" it to exit 0 and prints nothing."""
    cmd = prefix / "drive_c" / "windows" / "syswow64" / "cmd.exe"
    import sys

    argv = [sys.executable, "-m", "gocross.wine.boot", "--run", launcher, r"C:\windows\syswow64\cmd.exe", "/c",
            "echo", _PROBE_TOKEN]  # through the leader: the probe's wine gets no run token (see shared_env)
    code, output = (None, "") if not cmd.is_file() else _run_wine(argv, prefix, 120.0, "cmd.exe")
    if code != 0 or _PROBE_TOKEN not in output:
        from gocross.wine.install import INSTALL_32

        raise CannotRun("could not run: this wine does not run 32-bit Windows programs (a 386 binary would "
                        f"exit 0 with no output, a false pass); install 32-bit wine with `{INSTALL_32}`")


def has_prng(half: str) -> bool:
    """Whether this wine's own bcryptprimitives.dll (wine >= 8.13) exports ProcessPrng."""
    dll = builtin_dll(half, "bcryptprimitives.dll")
    return dll is not None and b"ProcessPrng" in dll.read_bytes()


def _install_prng(goarch: str, half: str, system_dir: Path, say: Progress) -> PrngSource:
    """A wine with ProcessPrng is left alone (a shim of an older wine is taken out); else the shim goes in.

    The shim is built once into the cache folder and copied into the prefix.
    """
    from gocross.safefs import atomic_write
    from gocross.wine import shim

    installed = system_dir / "bcryptprimitives.dll"
    if has_prng(half):
        if shim.is_shim(installed):
            installed.unlink()
        return PrngSource.NATIVE
    if installed.is_file() and not shim.is_shim(installed) and b"ProcessPrng" in installed.read_bytes():
        return PrngSource.NATIVE  # a real DLL someone put there: never replaced
    built = cache_dir("wine") / f"bcryptprimitives-{goarch}.dll"
    if not shim.is_shim(built):
        say(f"building the ProcessPrng shim for windows/{goarch} (this wine lacks it)")
        shim.build_shim(goarch, built)
    atomic_write(installed, built.read_bytes())
    return PrngSource.SHIM


def start_server(prefix: Path) -> None:
    """Start the prefix's wineserver, if none is running (a second one exits at once), with ``-p3``.

    Debian's ``wineserver`` script adds ``-p0``: a server that wine starts by itself exits the moment the
    prefix's last program ends, so every run one after another would start a new one (1-4 s instead of
    ~0.2 s). ``-p3`` keeps wine's own default: it ends its services and itself 3 s after the last program.
    Only an optimisation: when a server that is about to exit is seen here, the run's wine starts another,
    which is the prefix's as well (see :func:`shared_env`). Each run's child calls this before wine.
    """
    import subprocess

    from gocross.wine.install import wineserver

    server = wineserver()
    if server is None:
        return
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # then the run's wine starts its own
        subprocess.run([server, "-p3"], env=shared_env(prefix), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, start_new_session=True, timeout=30, check=False)
