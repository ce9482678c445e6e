"""The browser page: Mesa's SolaraViz around a live market, one market per browser session.

Like a flight simulator's instructor station, the page lets you set the scenario's knobs (in the
sidebar), press Reset to start a new market with them, Step or Play through the days, and watch the
gauges (:mod:`simulator.viz.components`). Solara serves it (``marketsim viz``,
:mod:`simulator.viz.server`) with its front-end from the installed ``solara-assets``, so it loads
with no internet.

Mesa's own Play loop steps the model. Each browser session (tab) builds its own
:class:`~simulator.viz.live.LiveMarket` inside :func:`Page` (a model created at module level would be
shared by every tab) and a :class:`~simulator.viz.live.PageLink` to the session: the model simulates
a day only while the page is not being drawn, waits while no tab of the session is connected, and
stops for good when the session closes. The chosen scenario file comes from the environment variable
:data:`SCENARIO_ENV` that the server sets; without it the page shows the bundled baseline.
"""

from __future__ import annotations

import gc
import os
import threading
from functools import cache
from typing import Any

import reacton.core
import solara
from mesa.visualization import SolaraViz

from simulator.scenario import Scenario, ScenarioError, load_scenario
from simulator.viz.components import COMPONENTS
from simulator.viz.controls import model_params
from simulator.viz.live import PAGE_KEY, LiveMarket, PageLink
from simulator.viz.server import SCENARIO_ENV, default_scenario_path, log

PLAY_INTERVAL_MS = 200
"""Pause between two Play frames: room for a click to be handled and for the browser to draw."""
RENDER_INTERVAL = 1
"""Days per Step and per Play frame at the start (the sidebar's "Render Interval" changes it)."""
CSS = """
/* one page of components: Mesa's "Page 0" tab bar says nothing */
.v-tabs { display: none !important; }
.viz-plot .vega-embed { width: 100%; }
.viz-plot .vega-embed details { display: none; }  /* the export menu needs the internet */
"""


@cache
def base_scenario(path: str | None = None) -> Scenario:
    """The scenario the page starts from (read once per server process)."""
    return load_scenario(path or os.environ.get(SCENARIO_ENV) or default_scenario_path())


def initial_values(params: dict[str, Any]) -> dict[str, Any]:
    """The model's keyword arguments for the controls' starting values (as Mesa passes them)."""
    return {k: (v["value"] if isinstance(v, dict) and "type" in v else v) for k, v in params.items()}


def session_link() -> PageLink:
    """A :class:`PageLink` to the session now rendering (its render lock and its tabs)."""
    rc = reacton.core.get_render_context()
    connected = _connected_probe()
    return PageLink(
        render_lock=rc.thread_lock,
        holds_render=lambda: getattr(rc, "_lock_thread", None) is threading.current_thread(),
        connected=connected,
    )


def _connected_probe() -> Any:
    try:
        from solara.server import kernel_context

        ctx = kernel_context.get_current_context()
        status = ctx.page_status
    except Exception:  # rendered outside a server (tests, a notebook): always watched
        return lambda: True
    connected = kernel_context.PageStatus.CONNECTED

    def probe() -> bool:
        # no page at all yet: the first one is still connecting
        return not status or connected in list(status.values())

    return probe


def _close_session(link: PageLink, model: solara.Reactive[LiveMarket]) -> None:
    link.closed.set()  # every market of the session stops at its next day
    m = model.value
    day = m.day
    released = m.release()
    log(f"session closed: market {m.uid} stopped at day {day}, {released / 1e6:.1f} MB released")
    # the session's objects form cycles; collect them soon, once the session has let go of them
    timer = threading.Timer(2.0, gc.collect)
    timer.daemon = True
    timer.start()


@solara.component
def Page() -> None:
    """One browser session's page: its own live market, controls and gauges."""
    try:
        base = base_scenario()
    except ScenarioError as e:
        solara.Error("Cannot show the market: " + "; ".join(e.lines()))
        return
    link = solara.use_memo(session_link, dependencies=[])
    params = solara.use_memo(lambda: {**model_params(base), PAGE_KEY: link}, dependencies=[])
    # built once per session, never at module level (that one model would be shared by every tab)
    first = solara.use_memo(lambda: LiveMarket(**initial_values(params)), dependencies=[])
    # SolaraViz's Reset puts each new market here
    model: solara.Reactive[LiveMarket] = solara.use_reactive(first)
    solara.use_effect(lambda: lambda: _close_session(link, model), dependencies=[])
    title = f"Meaning-out market: {base.name}"
    solara.Title(title)
    solara.Style(CSS)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=params,
        name=title,
        play_interval=PLAY_INTERVAL_MS,
        render_interval=RENDER_INTERVAL,
    )
