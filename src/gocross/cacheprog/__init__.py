"""A shared Go build cache: gocross's ``GOCACHEPROG`` helper and the parent-side set-up and statistics.

Go (≥ 1.24) runs the program named by ``GOCACHEPROG`` as a child and asks it, over JSON lines, for the
compiled package behind each action ID (``get``) and hands it every new one (``put``). gocross's helper keeps
the local ``GOCACHE`` as the first level, in Go's own on-disk format (so a warm cache from plain ``go build``
is a warm first level, and the other way round), and a remote second level — a shared folder or an HTTP
server speaking the Bazel remote-cache protocol — that is read through and written back.

The modules: :mod:`.protocol` (Go's messages), :mod:`.exchange` (one ``go`` command's conversation),
:mod:`.local` (GOCACHE's format), :mod:`.remote` (the folder and HTTP back-ends, the Bazel ActionResult
record), :mod:`.store` (the two levels, the uploader, the breaker), :mod:`.stats` (the counters),
:mod:`.session` (which cache a command uses; ``serving``), :mod:`.server` (one server per gocross command
for all its ``go`` children) and :mod:`.relay` (the tiny GOCACHEPROG that hands Go's pipes to that server).
``python -m gocross.cacheprog`` is a stand-alone helper for ``go`` commands gocross does not start.

This file imports nothing: the stand-alone helper starts once per ``go`` command, and the parent's side
(``session``: its dataclasses, the toolchain module, subprocess) would cost it ≈ 20 ms it never uses.
Import the modules themselves.
"""
