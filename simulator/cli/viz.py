"""``viz``: the market in the browser."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import app, fail_input


@app.command()
def viz(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario file (TOML) or bundled scenario name (default: baseline)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    session_timeout: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds a session whose tab lost its connection is kept for a reconnect."
        ),
    ] = 60.0,
) -> None:
    """Open the market in the browser: watch it day by day and steer it (Ctrl-C stops)."""
    from simulator.bundled import resolve
    from simulator.scenario import ScenarioError, load_scenario
    from simulator.viz.server import PortUnavailable, default_scenario_path, serve

    path = resolve(scenario) if scenario is not None else default_scenario_path()
    try:
        load_scenario(path)
        serve(Path(path), host, port, session_timeout)
    except ScenarioError as e:
        fail_input(e.lines())
    except PortUnavailable as e:
        fail_input([str(e)])
    # stopped with Ctrl-C and cleaned up: leave now rather than wait for the web server's idle
    # worker threads to time out (seconds)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
