"""GOCACHEPROG for a ``go`` command that gocross started: hand Go's pipes to gocross's cache server, then exit.

Run as ``python -I -S relay.py SOCKET [KEY]``. It connects to the server's Unix socket, passes its standard
input and output (the two pipes Go holds to its GOCACHEPROG) with ``SCM_RIGHTS`` — and KEY, the target's
read-ahead key (see prefetch.py), with them — waits for the server to say it took them, and exits: from then
on the server and Go speak Go's protocol over those pipes directly, with no process in between (Go waits for
the pipes to close, not for this process).

Only ``_socket`` is imported — no ``socket`` module, no site — because Go starts one of these per ``go``
command and waits for the greeting before it builds anything.
"""

import _socket
import sys

FD_BYTES = (0).to_bytes(4, sys.byteorder) + (1).to_bytes(4, sys.byteorder)  # a C int array: stdin, stdout


def main() -> int:
    server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        server.connect(sys.argv[1])
        hint = sys.argv[2].encode("ascii", "replace") if len(sys.argv) > 2 else b""
        server.sendmsg([b"g" + hint], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, FD_BYTES)])
        taken = server.recv(1)
    except OSError as exc:
        taken, why = b"", exc.strerror or exc.__class__.__name__
    else:
        why = "it closed the connection"
    if taken == b"k":
        return 0
    sys.stderr.write(f"gocross cache: cannot reach the cache server of the gocross command that started this "
                     f"go command ({why}); run the build through gocross again, or unset GOCACHEPROG.\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
