"""A test binary's stdout and stderr through one pipe (as go test reads it), the runner's lines taken out."""

from __future__ import annotations

import os

from gocross.executor import Executor, execute


def test_merged_stream_keeps_the_order_and_drops_runner_lines() -> None:
    script = ("echo one; echo two >&2; echo 'qemu: uncaught target signal 6 (Aborted) - core dumped' >&2; "
              "echo three; printf partial >&2; echo ' line'")
    done = execute(["sh", "-c", script], env=dict(os.environ), timeout=30, merge_stderr=True, filter_stderr=True)
    assert done.stdout == b"one\ntwo\nthree\npartial line\n"
    assert done.runner_lines == ("qemu: uncaught target signal 6 (Aborted) - core dumped",)
    assert done.stderr == done.stdout  # the tail gocross reads crash markers from: the same one stream


def test_merged_stream_through_the_executor_unfiltered() -> None:
    with Executor(1) as ex:
        done = ex.run(["sh", "-c", "echo a; echo 'qemu: kept' >&2; echo b"], env=dict(os.environ),
                      merge_stderr=True)
    assert done is not None and done.stdout == b"a\nqemu: kept\nb\n" and done.runner_lines == ()
