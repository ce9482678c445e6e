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

    def __init__(self, scenario: Path, cwd: Path, log: Path, session_timeout: float = 60.0) -> None:
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
            [
                sys.executable,
                "-m",
                "simulator",
                "viz",
                str(scenario),
                "--port",
                str(self.port),
                "--session-timeout",
                str(session_timeout),
            ],
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

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, all its threads)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def wait_for_output(self, text: str, timeout: float = 60.0, times: int = 1) -> bool:
        """Wait until the server printed ``text`` ``times`` times; False if not within ``timeout`` s."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.output().count(text) >= times:
                return True
            time.sleep(0.2)
        return False

    def interrupt(self, timeout: float = 30.0) -> float:
        """Send Ctrl-C (SIGINT) and return the seconds until the server exited.

        Raises:
            TimeoutError: if it still runs after ``timeout`` s (it is then killed).
        """
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
            raise TimeoutError(f"the server still ran {timeout} s after Ctrl-C") from None
        return time.monotonic() - t0

    def stop(self) -> None:
        """Interrupt the server (as Ctrl-C does) and wait for it (kill it if it hangs)."""
        if self.proc.poll() is None:
            try:
                self.interrupt(15)
            except TimeoutError:
                pass
        self._log.close()


class BusyCores:
    """Keep ``n`` cores busy with spinning processes (another user's simulations) until closed."""

    def __init__(self, n: int = os.cpu_count() or 2) -> None:
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]

    def close(self) -> None:
        """Stop the spinning processes started here (by their ids)."""
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait(15)

    def __enter__(self) -> BusyCores:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
