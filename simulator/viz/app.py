"""The browser page: Mesa's SolaraViz around a live market, one market per browser session.

Like a flight simulator's instructor station, the page lets you set the scenario's knobs (in the
sidebar), press Reset to start a new market with them, Step or Play through the days, and watch the
gauges (:mod:`simulator.viz.components`). Solara serves it (``marketsim viz``,
:mod:`simulator.viz.server`) with its front-end from the installed ``solara-assets``, so it loads
with no internet.

Each browser session (tab) builds its own :class:`~simulator.viz.live.LiveMarket` inside
:func:`Page` (``solara.use_memo``): a model created at module level would be shared by every tab.
The chosen scenario file comes from the environment variable :data:`SCENARIO_ENV` that the server
sets; without it the page shows the bundled baseline.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import solara
from mesa.visualization import SolaraViz

from simulator.scenario import Scenario, ScenarioError, load_scenario
from simulator.viz.components import COMPONENTS
from simulator.viz.controls import model_params
from simulator.viz.live import LiveMarket
from simulator.viz.server import SCENARIO_ENV, default_scenario_path

PLAY_INTERVAL_MS = 20
"""Pause between days while playing (the drawing takes longer than a day of 10,000 consumers)."""


@cache
def base_scenario(path: str | None = None) -> Scenario:
    """The scenario the page starts from (read once per server process)."""
    return load_scenario(path or os.environ.get(SCENARIO_ENV) or default_scenario_path())


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The model's keyword arguments for the controls' starting values (as Mesa passes them)."""
    return {k: (v["value"] if isinstance(v, dict) and "type" in v else v) for k, v in params.items()}


@solara.component
def Page() -> None:
    """One browser session's page: its own live market, controls and gauges."""
    try:
        base = base_scenario()
    except ScenarioError as e:
        solara.Error("Cannot show the market: " + "; ".join(e.lines()))
        return
    params = solara.use_memo(lambda: model_params(base), dependencies=[])
    # built once per session, never at module level (that one model would be shared by every tab)
    model = solara.use_memo(lambda: LiveMarket(**initial_values(params)), dependencies=[])
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=params,
        name=f"Meaning-out market: {base.name}",
        play_interval=PLAY_INTERVAL_MS,
    )
