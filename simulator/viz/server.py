"""Serve the browser page: ``marketsim viz [SCENARIO] [--host 127.0.0.1] [--port 8765]``.

The page is a Solara app (:mod:`simulator.viz.app`) run by Solara's own server in this process.
Solara reads its settings when it is first imported, so they are set in the environment before:
no telemetry (it would call api.mixpanel.com and api.ipify.org) and no check for a newer version
on pypi.org, so the server makes no request off the machine. It listens on 127.0.0.1 unless told
otherwise, so the page is not reachable from other machines by accident.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

# nothing here imports solara: it must read the settings below from the environment when imported

APP_MODULE = "simulator.viz.app"
SCENARIO_ENV = "MARKETSIM_VIZ_SCENARIO"
"""Environment variable naming the scenario file the page starts from (set here, read by the page)."""


class PortUnavailable(Exception):
    """The host and port cannot be listened on (in use, or not an address of this machine)."""


def default_scenario_path() -> Path:
    """The bundled baseline scenario (next to the package in a source checkout)."""
    return Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortUnavailable` unless a server could listen on ``host:port`` now."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise PortUnavailable(f"--host {host}: unknown host ({e.strerror})") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise PortUnavailable(
                f"--port {port}: cannot listen on {host}:{port} ({e.strerror})"
            ) from None


def url(host: str, port: int) -> str:
    """The page's address."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def solara_args(host: str, port: int) -> list[str]:
    """The arguments of ``solara run`` for the page."""
    return [
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",  # no auto-reload, no dev tools
        "--no-open",
        "--no-check-version",  # else it asks pypi.org for a newer solara on start
    ]


def serve(scenario: Path, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the page's server until interrupted (Ctrl-C).

    Args:
        scenario: a validated scenario file; each browser session starts from it.
        host: address to listen on.
        port: port to listen on.

    Raises:
        PortUnavailable: if ``host:port`` cannot be listened on.
    """
    check_port(host, port)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ[SCENARIO_ENV] = str(scenario.resolve())
    if "solara.server.settings" in sys.modules:  # imported already: the variable came too late
        from solara.server import settings

        settings.telemetry.mixpanel_enable = False
    print(f"marketsim viz: {scenario} at {url(host, port)}  (Ctrl-C stops)", flush=True)
    import click
    from solara.__main__ import cli

    try:
        cli(solara_args(host, port), standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):  # Ctrl-C: the normal way to stop
        print("marketsim viz: stopped", flush=True)
