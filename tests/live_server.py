"""Test helper: ``xlhfjz serve`` as a real process on 127.0.0.1 and a free port.

:class:`LiveServer` starts ``python -m xlhfjz serve DIR --port P …``, waits until ``/healthz``
answers, and stops it with SIGINT (Ctrl+C) — or SIGKILL for the crash tests. Its output goes to
a log file beside the data folder, so a full pipe never blocks it. Used by the tests and benches.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A port nobody listens on at the moment (127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One server process over the data folder ``root``."""

    def __init__(self, root: Path, *args: str, port: int | None = None, verify: Any = None) -> None:
        self.root = Path(root)
        self.args = list(args)
        self.port = port or free_port()
        self.verify = verify  # an SSLContext: the server is started with --certfile
        scheme = "https" if verify is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = self.root.parent / f"{self.root.name}-server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> LiveServer:
        """Start and wait until ``/healthz`` answers (fails with the log otherwise)."""
        cmd = [sys.executable, "-m", "xlhfjz", "serve", str(self.root), "--host", "127.0.0.1",
               "--port", str(self.port), *self.args]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.root.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.output()}")
            try:
                if (
                    httpx.get(
                        self.url + "/healthz", timeout=2, verify=self.verify or True
                    ).status_code
                    == 200
                ):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl+C (SIGINT) and wait; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as a power cut or the task manager would."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
