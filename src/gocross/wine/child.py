"""What each windows run starts: ``python -m gocross.wine.child GOARCH PROGRAM.exe ARGS...``.

It makes sure gocross's prefix is ready for GOARCH (a marker ``stat`` once it is), turns file-path
arguments into Windows paths, and runs wine in its own process group (see :func:`run_wine`): the
program's exit status, stdout and stderr come back as they are, and a timeout kills wine with this
process. wine's helper processes (wineserver, services.exe, …) leave that group; wineserver ends them and
itself within ~3 s of the last program of the prefix ending.

When the prefix cannot be made ready it prints one ``gocross wine: could not run: …`` line (a runner line,
kept apart from the program's stderr; ``gocross.launch`` reports it as "could not run") and exits 125.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_COULD_NOT_RUN = 125
MESSAGE_PREFIX = "gocross wine: "
COULD_NOT_RUN = f"{MESSAGE_PREFIX}could not run: "


def windows_path(path: str) -> str:
    """``/tmp/x/data.txt`` -> ``Z:\\tmp\\x\\data.txt``: wine maps drive Z: to the Unix root."""
    return "Z:" + path.replace("/", "\\")


def _is_file_path(value: str) -> bool:
    """An absolute path that names something here, or something to be created in an existing folder."""
    if not value.startswith("/") or value.startswith("//"):
        return False
    path = Path(value)
    return os.path.lexists(value) or (str(path.parent) != "/" and path.parent.is_dir())


def translate_args(args: Sequence[str]) -> list[str]:
    """Absolute Unix paths in arguments (``/x/y`` or ``-flag=/x/y``) as Windows paths.

    A Windows program would read ``/tmp/x`` as a path on the current drive: it opens, but
    ``filepath.IsAbs`` says false and ``filepath.Join``/``Rel`` give nonsense. Relative paths need nothing
    (the working directory is on Z:), and arguments that are not paths to something here are left alone.
    """
    out = []
    for arg in args:
        if _is_file_path(arg):
            out.append(windows_path(arg))
        elif arg.startswith("-") and "=" in arg:
            flag, value = arg.split("=", 1)
            out.append(f"{flag}={windows_path(value)}" if _is_file_path(value) else arg)
        else:
            out.append(arg)
    return out


def _say(message: str) -> None:
    sys.stderr.write(f"{MESSAGE_PREFIX}{message}\n")
    sys.stderr.flush()


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2:
        _say("usage: python -m gocross.wine.child GOARCH PROGRAM.exe [ARGS...]")
        return 2
    from gocross.errors import GocrossError
    from gocross.wine.prefix import ensure_prefix, shared_env, start_server

    goarch, program, *args = argv
    try:
        state = ensure_prefix(goarch, progress=_say)
    except GocrossError as exc:
        sys.stderr.write(COULD_NOT_RUN + str(exc).removeprefix("could not run: ") + "\n")
        return EXIT_COULD_NOT_RUN
    start_server(state.path)
    env = shared_env(state.path)  # what wine starts for the whole prefix (wineserver, services) is not this run's
    sys.stdout.flush()
    return run_wine([state.launcher, program, *translate_args(args)], env)


def run_wine(argv: list[str], env: dict[str, str]) -> int:
    """Run wine with stdin and stdout inherited and stderr forwarded, until the *program* ends.

    Not ``execve``: the wineserver and services.exe that the first program of a prefix starts inherit its
    stderr and keep it open for ~3 s after it ends (longer while other runs use the prefix), so whoever
    reads the run's stderr would wait for them. Here they inherit a pipe of this process, which stops
    forwarding when wine's process ends. Not the executor either: wine must stay in this run's process
    group, so that a timeout kills it with this process. Wine's exit status is returned; a fatal signal is
    re-raised on this process, so the run reports it as the program's.
    """
    import select
    import signal
    import subprocess

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches wine too (same group): it decides
    try:
        proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    except OSError as exc:
        sys.stderr.write(f"{COULD_NOT_RUN}could not start {argv[0]}: {exc.strerror}\n")
        return EXIT_COULD_NOT_RUN
    assert proc.stderr is not None
    err = proc.stderr.fileno()
    ended = os.pidfd_open(proc.pid)  # readable once wine's process has ended
    watched = [err, ended]
    while True:
        ready, _, _ = select.select(watched, [], [])
        if err in ready and not _copy(err):
            watched = [ended]  # every writer closed it (no helper kept it): wait for the end only
        if ended in ready:
            os.set_blocking(err, False)
            while _copy(err):  # what wine wrote just before it ended
                pass
            break
    code = proc.wait()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _copy(fd: int) -> bool:
    """Copy one chunk of wine's stderr to ours; False at end of data (or nothing more to read now)."""
    try:
        chunk = os.read(fd, 65536)
    except OSError:  # BlockingIOError included
        return False
    if chunk:
        with contextlib.suppress(OSError):
            os.write(2, chunk)
    return bool(chunk)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
