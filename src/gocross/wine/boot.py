"""What a prefix boot runs: ``python -m gocross.wine.boot WINESERVER LAUNCHER --init|--update``.

``wineboot`` returns while its wineserver still holds the new registry in memory; the server writes
``system.reg`` only when it exits, about 3 s after its last program. The executor ends a run by killing
what is left of its process group, so a boot run as plain ``wine wineboot`` lost its server, and with it
the registry, on every cold boot (seen here: "wineboot exited with status 0" and no ``system.reg``). This
leader waits for the server (``wineserver -w``) before it exits; a timeout or a signal still ends the
whole group through the executor.
"""

from __future__ import annotations

import subprocess
import sys


def main(argv: list[str]) -> int:
    server, launcher, mode = argv
    booted = subprocess.run([launcher, "wineboot", mode], check=False).returncode
    waited = subprocess.run([server, "-w"], check=False).returncode
    return booted or waited


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
