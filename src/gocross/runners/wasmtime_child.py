"""Child process that runs one wasip1/wasm program with the wasmtime PyPI package.

Run as ``python wasmtime_child.py PROGRAM.wasm ARGS...`` (or ``python -m gocross.runners.wasmtime_child``).
It lives in its own process because a wasmtime panic (a Rust abort) kills the whole interpreter — it must
never take gocross down. It imports nothing from gocross, so it works from a bare interpreter path.

The program gets: argv (PROGRAM.wasm first, as os.Args[0]), this environment plus ``PWD`` (Go's wasip1
runtime takes its working directory from PWD), the working directory preopened at its own absolute path,
and inherited stdin/stdout/stderr. Exit status: the program's, or 134 for a wasm trap, 126 when the file is
not a loadable module, 127 when wasmtime is not installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import wasmtime

EXIT_TRAP = 134
EXIT_NOT_LOADABLE = 126
EXIT_NO_WASMTIME = 127


def _say(message: str) -> None:
    sys.stderr.write(f"gocross wasmtime: {message}\n")
    sys.stderr.flush()


def _wasi_config(argv: list[str]) -> wasmtime.WasiConfig:
    import wasmtime

    config = wasmtime.WasiConfig()
    cwd = str(Path.cwd())
    env = dict(os.environ)
    env["PWD"] = cwd
    config.argv = argv
    config.env = sorted(env.items())
    config.preopen_dir(cwd, cwd)
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    return config


def run(argv: list[str]) -> int:
    """Run ``argv[0]`` (a .wasm file) with ``argv`` as its arguments; return its exit status."""
    try:
        import wasmtime
    except ImportError:
        _say("the wasmtime package is not installed; install it with `pip install wasmtime`")
        return EXIT_NO_WASMTIME
    config = wasmtime.Config()
    try:
        config.cache = True  # a Go program compiles in ~3 s; the cache makes re-runs ~0.06 s
    except wasmtime.WasmtimeError as exc:  # no writable cache folder: run uncached
        _say(f"compilation cache unavailable ({exc})")
    engine = wasmtime.Engine(config)
    try:
        module = wasmtime.Module.from_file(engine, argv[0])
    except (OSError, wasmtime.WasmtimeError) as exc:
        _say(f"cannot load {argv[0]}: {exc}")
        return EXIT_NOT_LOADABLE
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    store.set_wasi(_wasi_config(argv))
    try:
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        if not isinstance(start, wasmtime.Func):
            _say(f"{argv[0]} has no _start function (not a wasip1 command)")
            return EXIT_NOT_LOADABLE
        start(store)
    except wasmtime.ExitTrap as exc:
        return int(exc.code)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        _say(f"wasm trap: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}")
        return EXIT_TRAP
    return 0


def main() -> None:
    if len(sys.argv) < 2:
        _say("usage: wasmtime_child.py PROGRAM.wasm [ARGS...]")
        sys.exit(2)
    code = run(sys.argv[1:])
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
