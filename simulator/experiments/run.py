"""One run: build the model from a scenario, simulate it, check its books, return its tables.

:func:`run_once` is a plain top-level function of picklable arguments, so process pools and Dask
workers can call it; the same scenario and seed give the same result wherever it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.firms.invariants import check_firm
from simulator.metrics import summary
from simulator.model import MarketModel
from simulator.scenario import Scenario


@dataclass
class RunResult:
    """What a run produced: tidy tables and the KPIs."""

    timeseries: pd.DataFrame
    market: pd.DataFrame
    summary: dict[str, Any]
    seed: dict[str, Any]
    decisions: pd.DataFrame | None = None
    """Every policy decision of every firm (inputs, rule, override, reason): ``decisions.parquet``."""
    events: pd.DataFrame | None = None
    """The consumer event log when asked for (``run_once(events=True)``): ``events.parquet``."""
    events_file: Path | None = None
    """The consumer event log's Parquet file when it was streamed to one (``run_once(events=PATH)``)."""


def run_once(
    scenario: Scenario,
    seed: int | np.random.SeedSequence | None = None,
    days: int | None = None,
    progress: Callable[[int], None] | None = None,
    agents: bool = True,
    events: bool | Path = False,
) -> RunResult:
    """Simulate ``scenario`` for ``days`` days (default ``run.days``) and return its result.

    The firms' conservation laws are checked after every day; a breach raises
    :class:`~simulator.firms.invariants.InvariantError`. ``events``: False keeps only the event
    log's daily counts; True returns its rows as a data frame (small runs); a path streams them to
    that Parquet file (memory stays flat however long the run).

    Raises:
        ScenarioError: ``days`` is not longer than the scenario's warm-up (no day would count).
    """
    if days is not None and days != scenario.run.days:
        scenario = scenario.with_overrides({"run.days": days})
    model = MarketModel(scenario, seed=seed, agents=agents, event_rows=events)

    def after_day(day: int) -> None:
        for firm in model.firms:
            check_firm(firm)
        if progress is not None:
            progress(day)

    model.run(progress=after_day)
    for firm in model.firms:
        check_firm(firm, full=True)  # the daily checks read only what moved; this reads everything
    events_file = model.event_log.close() if isinstance(events, Path) else None
    return RunResult(
        timeseries=with_lead_times(model.timeseries(), model),
        market=model.market_series(),
        summary=summary(model),
        seed=model.streams.entropy(),
        decisions=decision_table(model),
        events=event_table(model) if events is True else None,
        events_file=events_file,
    )


def with_lead_times(timeseries: pd.DataFrame, model: MarketModel) -> pd.DataFrame:
    """The daily table with each day's deliveries: how many orders arrived, and their mean actual
    and quoted lead times (order to delivery, order to promised day), NaN on days with none."""
    frames = []
    for f in model.firms:
        o = f.orders.history()
        n = o.n
        delivered = o.delivered[:n]
        ok = np.isfinite(delivered) & np.isfinite(o.promised[:n])
        if not ok.any():
            continue
        df = pd.DataFrame(
            {
                "day": np.floor(delivered[ok]).astype(np.int64),
                "actual": delivered[ok] - o.placed[:n][ok],
                "quoted": o.promised[:n][ok] - o.placed[:n][ok],
            }
        )
        g = df.groupby("day").agg(
            delivered_orders=("actual", "size"),
            lead_time_actual=("actual", "mean"),
            lead_time_quoted=("quoted", "mean"),
        )
        frames.append(g.reset_index().assign(firm=f.name))
    if not frames or timeseries.empty:
        return timeseries.assign(delivered_orders=0, lead_time_actual=np.nan, lead_time_quoted=np.nan)
    lt = pd.concat(frames, ignore_index=True)
    lt["firm"] = lt["firm"].astype(timeseries["firm"].dtype)
    out = timeseries.merge(lt, on=["day", "firm"], how="left")
    out["delivered_orders"] = out["delivered_orders"].fillna(0).astype(np.int64)
    return out


def event_table(model: MarketModel) -> pd.DataFrame:
    """The consumer event log with each firm named (``firm_index`` keeps the number; -1: none)."""
    df = model.event_log.to_frame()
    index = df["firm"].to_numpy(dtype=np.int64)
    names = [f.name for f in model.firms]
    codes = np.where(index >= 0, index, -1)
    firm = pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(names)), index=df.index)
    df = df.rename(columns={"firm": "firm_index"})
    cols = list(df.columns)
    df["firm"] = firm
    return df[[*cols[: cols.index("firm_index")], "firm", *cols[cols.index("firm_index") :]]]


def decision_table(model: MarketModel) -> pd.DataFrame:
    """All firms' decision logs in one table, in time order (ties: firm order)."""
    frames = [f.policy.decision_frame() for f in model.firms if f.policy is not None]
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values("time", kind="stable", ignore_index=True)
