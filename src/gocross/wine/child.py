"""What each windows run starts: ``python -m gocross.wine.child GOARCH PROGRAM.exe ARGS...``.

It makes sure gocross's prefix is ready for GOARCH (a marker ``stat`` once it is), turns file-path
arguments into Windows paths, and then *replaces itself* with wine (``execv``): the program's exit status,
stdout and stderr are wine's, which are the program's own, and the run's process group is wine's, so a
timeout kills it as it kills any other run. wine's helper processes (wineserver, services.exe, …) leave
that group; wineserver ends them and itself within ~3 s of the last program of the prefix ending.

When the prefix cannot be made ready it prints one ``gocross wine: could not run: …`` line (a runner line,
kept apart from the program's stderr; ``gocross.launch`` reports it as "could not run") and exits 125.
"""

from __future__ import annotations

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
    from gocross.wine.prefix import ensure_prefix, wine_env

    goarch, program, *args = argv
    try:
        state = ensure_prefix(goarch, progress=_say)
    except GocrossError as exc:
        sys.stderr.write(COULD_NOT_RUN + str(exc).removeprefix("could not run: ") + "\n")
        return EXIT_COULD_NOT_RUN
    env = {**os.environ, **wine_env(state.path)}
    sys.stdout.flush()
    try:
        os.execve(state.launcher, [state.launcher, program, *translate_args(args)], env)
    except OSError as exc:
        sys.stderr.write(f"{COULD_NOT_RUN}could not start {state.launcher}: {exc.strerror}\n")
    return EXIT_COULD_NOT_RUN


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
