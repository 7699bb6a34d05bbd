"""A shared Go build cache: gocross's ``GOCACHEPROG`` helper and the parent-side set-up and statistics.

Go (≥ 1.24) runs the program named by ``GOCACHEPROG`` as a child and asks it, over JSON lines, for the
compiled package behind each action ID (``get``) and hands it every new one (``put``). gocross's helper keeps
the local ``GOCACHE`` as the first level, in Go's own on-disk format (so a warm cache from plain ``go build``
is a warm first level, and the other way round), and a remote second level — a shared folder or an HTTP
server speaking the Bazel remote-cache protocol — that is read through and written back.

The modules: :mod:`.protocol` (Go's messages), :mod:`.local` (GOCACHE's format), :mod:`.remote` (the folder
and HTTP back-ends, the Bazel ActionResult record), :mod:`.store` (the two levels, the uploader, the
breaker), :mod:`.stats` (counters a helper writes at exit and the parent sums), :mod:`.session` (what
``build`` and ``test`` put in the environment). ``python -m gocross.cacheprog`` is the child Go runs.

This file imports nothing: Go starts one helper per ``go`` command, and the parent's side (``session``: its
dataclasses, the toolchain module, subprocess) cost the helper ≈ 20 ms of start-up it never uses
(benchmarks/bench_cache.py's case (d)). Import the modules themselves.
"""
