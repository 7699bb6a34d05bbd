"""The leader of gocross's own wine calls (prefix boot, 32-bit probe), run through the executor.

``python -m gocross.wine.boot WINESERVER LAUNCHER --init|--update`` boots a prefix. ``wineboot`` returns
while its wineserver still holds the new registry in memory; the server writes ``system.reg`` only when it
exits, about 3 s after its last program. The executor ends a run by killing what is left of its process
group, so a boot run as plain ``wine wineboot`` lost its server, and with it the registry, on every cold
boot (seen here: "wineboot exited with status 0" and no ``system.reg``). This leader waits for the server
(``wineserver -w``) before it exits; a timeout or a signal still ends the whole group through the executor.

``python -m gocross.wine.boot --run LAUNCHER ARGS...`` runs one program (the 32-bit probe) and returns its
status.

Either way, what it starts gets the environment without the run's token (``prefix.shared_env``): the
wineserver and services a boot or a probe starts serve the other runs of the prefix too, and must not be
killed when this one ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from gocross.wine.prefix import shared_env

    env = shared_env(Path(os.environ["WINEPREFIX"]))  # set by prefix._run_wine
    if argv[:1] == ["--run"]:
        return subprocess.run(argv[1:], env=env, check=False).returncode
    server, launcher, mode = argv
    booted = subprocess.run([launcher, "wineboot", mode], env=env, check=False).returncode
    waited = subprocess.run([server, "-w"], env=env, check=False).returncode
    return booted or waited


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
