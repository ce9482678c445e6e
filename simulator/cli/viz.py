"""``viz``: the market in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import app, fail_input
from simulator.scenario import ScenarioError, load_scenario


@app.command()
def viz(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario file (TOML) to start from (default: the baseline).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
) -> None:
    """Open the market in the browser: watch it day by day and steer it (Ctrl-C stops)."""
    from simulator.viz.server import PortUnavailable, default_scenario_path, serve

    path = scenario or default_scenario_path()
    try:
        load_scenario(path)
        serve(path, host, port)
    except ScenarioError as e:
        fail_input(e.lines())
    except PortUnavailable as e:
        fail_input([str(e)])
