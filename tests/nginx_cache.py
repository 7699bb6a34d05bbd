"""A real HTTP build cache for the tests and benchmarks: Debian's nginx with WebDAV ``PUT``, on loopback.

nginx serves ``GET /ac/<hex>`` and ``GET /cas/<hex>`` from its root as static files and stores ``PUT``
bodies there (``dav_methods PUT; create_full_put_path on``), which is the whole Bazel remote-cache HTTP
protocol a client needs. It runs in the foreground as one process (``daemon off; master_process off``) with
its own prefix, config and logs in a temporary folder, on a free port, and is killed when done.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port};
        root {root}/data;
        location / {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
        }}
    }}
}}
"""


@dataclass
class NginxCache:
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def requests(self) -> list[str]:
        """The request lines nginx logged so far (method and path)."""
        with contextlib.suppress(FileNotFoundError):
            return [line.split('"')[1] for line in (self.root / "access.log").read_text().splitlines()
                    if line.count('"') >= 2]
        return []


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx-light (scripts/test.sh does)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def nginx_cache(root: Path) -> Iterator[NginxCache]:
    """Start nginx serving ``root/data`` on a free loopback port; kill it afterwards."""
    for _attempt in range(3):
        port = _free_port()
        root.mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        config = root / "nginx.conf"
        config.write_text(CONFIG.format(root=root, port=port))
        process = subprocess.Popen([nginx_binary(), "-p", str(root), "-c", str(config), "-e",
                                    str(root / "error.log")], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        if _wait_listening(port, process):
            server = NginxCache(root, port, process)
            try:
                yield server
            finally:
                server.kill()
            return
        process.kill()
        process.wait()
    raise RuntimeError(f"nginx did not start; see {root / 'error.log'}")
