"""The executor with real processes: runs, lanes, and a cancel that leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest

from gocross.executor import Completed, Executor, output_tail

ENV = dict(os.environ)
# A child that starts a grandchild (same process group), writes the grandchild's pid, then sleeps.
TREE = textwrap.dedent("""
    import subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(sys.argv[1], "w") as f:
        f.write(f"{grandchild.pid}\\n")
    time.sleep(300)
""")


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _all_gone(pids: list[int], seconds: float = 5.0) -> bool:
    """Whether every pid has exited within ``seconds``: SIGKILL reaches a grandchild (not ours to wait for) at
    once, but on a loaded machine it takes a moment to be scheduled and die."""
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _wait_for(path: Path, seconds: float = 30.0) -> str:
    event = threading.Event()
    for _ in range(int(seconds / 0.05)):
        if path.is_file() and path.read_text().endswith("\n"):
            return path.read_text()
        event.wait(0.05)
    raise AssertionError(f"{path} never appeared")


def test_run_captures_and_merges() -> None:
    with Executor(2) as ex:
        done = ex.run([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"], env=ENV)
        merged = ex.run([sys.executable, "-c", "import sys; print('err', file=sys.stderr); sys.exit(3)"],
                        env=ENV, merge_stderr=True)
    assert isinstance(done, Completed) and done.returncode == 0
    assert done.stdout == b"out\n" and done.stderr == b"err\n"
    assert merged is not None and merged.returncode == 3 and merged.stdout == b"err\n"


def test_run_timeout_kills_the_group() -> None:
    with Executor(1) as ex:
        done = ex.run(["sleep", "30"], env=ENV, timeout=0.5)
    assert done is not None and done.timed_out and done.returncode == -signal.SIGTERM


def test_run_reports_a_program_that_cannot_start(tmp_path: Path) -> None:
    with Executor(1) as ex:
        done = ex.run([str(tmp_path / "missing")], env=ENV)
    assert done is not None and done.returncode is None and isinstance(done.start_error, FileNotFoundError)


def test_lanes_have_their_own_width_and_work_can_submit_work() -> None:
    seen: dict[str, set[str]] = {"build": set(), "run": set()}
    lock = threading.Lock()

    def note(lane: str) -> None:
        with lock:
            seen[lane].add(threading.current_thread().name)

    with Executor({"build": 1, "run": 3}, name="t") as ex:
        def build(i: int) -> None:
            note("build")
            ex.submit(note, "run", lane="run")

        for i in range(12):
            ex.submit(build, i, lane="build")
        ex.wait()
    assert len(seen["build"]) == 1 and all(n.startswith("t-build") for n in seen["build"])
    assert 1 <= len(seen["run"]) <= 3 and all(n.startswith("t-run") for n in seen["run"])


def test_output_tail() -> None:
    assert output_tail((b"a\n\n", None, b"b\nc\n"), lines=2) == "b\nc"
    assert output_tail("  \n", lines=5, what="go build", returncode=2) == \
        "go build exited with status 2 and printed nothing"
    assert output_tail("first\n" + "x" * 200 + "\n", lines=1, what=None, width=160) == "x" * 159 + "…"
    assert output_tail("", lines=1, what=None) == ""


def test_exception_cancels_kills_the_tree_and_drops_queued_work(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    ran_after_cancel: list[int] = []
    results: list[Completed | None] = []
    with pytest.raises(RuntimeError), Executor({"build": 1}) as ex:
        ex.submit(lambda: results.append(ex.run([sys.executable, "-c", TREE, str(pidfile)], env=ENV)),
                  lane="build")
        for i in range(5):  # queued behind the busy single worker
            ex.submit(ran_after_cancel.append, i, lane="build")
        grandchild = int(_wait_for(pidfile))
        children = [r.proc.pid for r in ex.live()]
        raise RuntimeError("boom")
    assert ran_after_cancel == []
    assert len(results) == 1 and results[0] is not None and results[0].returncode == -signal.SIGTERM
    assert ex.live() == [] and ex.cancelled
    assert children and _all_gone([*children, grandchild])
    with Executor(1) as later:
        later.cancel()
        assert later.run(["true"], env=ENV) is None  # cancelled before start: not started at all


CTRL_C_CHILD = textwrap.dedent("""
    import sys
    from gocross.executor import Executor
    pidfile = sys.argv[1]
    TREE = sys.argv[2]
    with Executor({"run": 2}) as ex:
        for i in range(2):
            ex.submit(ex.run, [sys.executable, "-c", TREE, f"{pidfile}.{i}"], env={}, lane="run")
        with open(pidfile, "w") as f:
            f.write("started\\n")
        ex.wait()
""")


def _default_sigint() -> None:
    # A suite started in the background inherits SIGINT ignored; the child must feel Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_ends_the_process_and_its_children_within_seconds(tmp_path: Path) -> None:
    pidfile = tmp_path / "parent"
    env = {**ENV, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_CHILD, str(pidfile), TREE], env=env,
                            preexec_fn=_default_sigint, stderr=subprocess.PIPE)
    try:
        _wait_for(pidfile)
        grandchildren = [int(_wait_for(Path(f"{pidfile}.{i}"))) for i in range(2)]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0 and b"KeyboardInterrupt" in err
    assert _all_gone(list(grandchildren))


def test_leaving_on_a_cancel_waits_for_work_on_a_thread_the_pool_never_recorded() -> None:
    """A signal inside a pool's Thread.start() leaves a running worker the pool does not join (seen once: a
    `cancelled` progress line printed after `gocross: stopped by SIGTERM`). The executor waits for every work
    item that started, wherever it runs; one that had not started by the cancel never runs."""
    done: list[int] = []
    started = threading.Event()

    def work() -> None:
        started.set()
        time.sleep(0.3)
        done.append(1)

    executor = Executor(1)
    with pytest.raises(KeyboardInterrupt), executor:
        threading.Thread(target=executor._tracked, args=(work, (), {})).start()  # the unrecorded worker
        assert started.wait(10)
        raise KeyboardInterrupt
    assert done == [1]  # finished before the block was left
    with pytest.raises(CancelledError):
        executor._tracked(done.append, (2,), {})
    assert done == [1]
