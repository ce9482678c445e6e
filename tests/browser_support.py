"""Helpers for the real-browser test: find Debian's chromium, start ``marketsim viz`` on a free port.

The test machine has no internet. The server is started with a dead proxy in its environment, so
any request it tried to send off the machine would fail at once, as it would offline; the page is
only allowed to talk to 127.0.0.1 (see ``PageWatch`` in the test).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NoReturn

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEAD_PROXY = "http://127.0.0.1:9"
"""Nothing listens on port 9: a request through this proxy fails at once."""


def browser_required() -> bool:
    """True under CI (or ``MARKETSIM_REQUIRE_BROWSER``): a missing browser is then a failure."""
    return any(
        os.environ.get(k, "").strip().lower() not in ("", "0", "false", "no")
        for k in ("CI", "MARKETSIM_REQUIRE_BROWSER")
    )


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test with ``reason``, or fail it when a browser is required."""
    if browser_required():
        pytest.fail(
            f"{reason} (CI / MARKETSIM_REQUIRE_BROWSER is set: a failure, not a skip)", pytrace=False
        )
    pytest.skip(reason)


def find_chromium() -> str:
    """Debian's chromium (``MARKETSIM_CHROMIUM`` overrides the path)."""
    override = os.environ.get("MARKETSIM_CHROMIUM")
    candidates = [override] if override else ["/usr/bin/chromium", shutil.which("chromium")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    skip_or_fail(
        f"chromium not found at {[c for c in candidates if c]} "
        "(install Debian's: apt-get install -y chromium; .ci/run does); browser test not run"
    )


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class VizServer:
    """``python -m simulator viz SCENARIO --port PORT`` in a subprocess, offline, logging to a file.

    Args:
        scenario: the scenario file the page starts from.
        cwd: working directory of the server.
        log: file for the server's output.
    """

    def __init__(self, scenario: Path, cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ)
        env.update(
            HTTP_PROXY=DEAD_PROXY,
            HTTPS_PROXY=DEAD_PROXY,
            http_proxy=DEAD_PROXY,
            https_proxy=DEAD_PROXY,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulator", "viz", str(scenario), "--port", str(self.port)],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Seconds until the page answers 200."""
        t0 = time.monotonic()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # straight to 127.0.0.1
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with opener.open(self.url, timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - t0
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"server not ready after {timeout} s:\n{self.output()}")

    def output(self) -> str:
        """What the server printed so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Interrupt the server (as Ctrl-C does) and wait for it."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:  # a graceful shutdown may wait for closing sessions
            self.proc.kill()
            self.proc.wait(15)
        self._log.close()
