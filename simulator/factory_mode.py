"""Factory-only runs: one firm's plant and policy fed a given demand, no consumer market.

Picture a planner replaying last year's order book through the plant to see what a different policy
would have done: the same orders arrive on the same days, only the decisions change. A
:class:`FactoryRun` builds the firm of a scenario with its plant, supplier and policy on its own
SimPy clock and books the demand table's orders day by day, in the market model's order of events
(:mod:`simulator.model`): receipts and completions due by the day's start, the day's supply
disruptions, give-ups (orders past their patience), the day's orders booked at time ``d`` (filled
from stock first), the rest of the day in the plant (policy reviews at ``d + 0.5``), books closed.
Orders whose time falls within the day (a demand file's time stamps or fractional days, or
generated continuous arrivals) are booked at that time, during the rest of the day, each the moment
it comes (a continuous-review policy releases on it at once). Give-ups are checked at the start of
each day, as in the market. The firm's conservation laws are checked every day.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pandas as pd
import simpy

from simulator.daytable import DayTable
from simulator.demand import units_per_day
from simulator.experiments.run import RunResult
from simulator.firms.build import build_firm
from simulator.firms.invariants import check_firm
from simulator.firms.kpis import supply_kpis
from simulator.policies.base import Policy
from simulator.rng import Streams
from simulator.scenario import Scenario, ScenarioError
from simulator.threads import single_threaded_blas


class FactoryRun:
    """One firm of a scenario, run on a demand table.

    Args:
        scenario: the validated scenario (only the firm, its events and ``run`` are used).
        firm: the firm's name.
        demand: a demand table (:mod:`simulator.demand`): day, variant, quantity, patience_days.
        seed: root seed; defaults to the scenario's ``run.seed``. Streams carry the same names as in
            the market model, so the plant and supplier draw the same numbers there and here.
        unit_orders: book each unit as its own order (as consumers do) instead of one order per row.
        policy: a policy object to use instead of the one the scenario names (for trying a policy
            that is not in the registry on the firm's plant and demand).
    """

    def __init__(
        self,
        scenario: Scenario,
        firm: str,
        demand: pd.DataFrame,
        seed: int | np.random.SeedSequence | None = None,
        unit_orders: bool = False,
        policy: Policy | None = None,
    ) -> None:
        names = [f.name for f in scenario.firms]
        if firm not in names:
            raise ScenarioError("--firm", [("", f"no firm named {firm!r} (firms: {', '.join(names)})")])
        index = names.index(firm)
        spec = scenario.firms[index]
        if len(demand) and int(demand["variant"].max()) >= len(spec.factory.variants):
            raise ScenarioError(
                "demand", [("variant", f"firm {firm!r} makes {len(spec.factory.variants)}")]
            )
        self.scenario = scenario
        self.streams = Streams(scenario.run.seed if seed is None else seed)
        self.env = simpy.Environment()
        self.firm = build_firm(index, spec, self.env, self.streams, policy)
        # customers find defects as in the market (returns and complaints are quality KPIs)
        self.firm.defect_escape_per_quality_gap = scenario.social.defect_rate_per_quality_gap
        if unit_orders:
            demand = demand.loc[demand.index.repeat(demand["quantity"])].assign(quantity=1)
        day_start = demand["day"].astype(np.float64)
        if "time" not in demand:
            demand = demand.assign(time=day_start)
        elif demand["time"].isna().any():  # rows added without a time come at their day's start
            demand = demand.assign(time=demand["time"].fillna(day_start))
        if not ((demand["time"] >= day_start) & (demand["time"] < day_start + 1)).all():
            raise ScenarioError("demand", [("time", "each order's time must fall within its day")])
        demand = demand.sort_values("time", kind="stable")
        self.demand = demand
        days = demand["day"].to_numpy()
        # plain arrays: a day's orders are a slice, no pandas indexing on the daily path
        self._ids = demand.index.to_numpy(dtype=np.int64)
        self._time = demand["time"].to_numpy(dtype=np.float64)
        self._variant = demand["variant"].to_numpy(dtype=np.int16)
        self._qty = demand["quantity"].to_numpy(dtype=np.int32)
        self._patience = demand["patience_days"].to_numpy(dtype=np.float64)
        self._bounds = np.searchsorted(days, np.arange(int(days.max(initial=0)) + 2), side="left")
        self._disruptions = {
            ev.day: ev.duration_days
            for ev in scenario.events
            if ev.kind == "supply_disruption" and ev.firm == firm
        }
        self.day = 0
        self.rows = DayTable(name="factory-days")

    def _orders_of(self, d: int) -> slice:
        if d + 1 >= len(self._bounds):
            return slice(0, 0)
        return slice(int(self._bounds[d]), int(self._bounds[d + 1]))

    def step(self) -> None:
        """Simulate one day (the market model's order of events, without consumers)."""
        d = self.day
        env = self.env
        firm = self.firm
        while env.peek() <= d:
            env.step()
        if d in self._disruptions:
            firm.plant.disrupt_supplier(until=d + self._disruptions[d])
        firm.cancel_overdue()
        firm.quoted_days = firm.quote()
        today = self._orders_of(d)
        # orders at the day's start are booked now; those later in the day when they come
        later = today.start + int(np.searchsorted(self._time[today], d, side="right"))
        if later > today.start:
            self._book(slice(today.start, later))
        if today.stop > later:
            env.process(self._book_within_day(later, today.stop))
        env.run(until=d + 1)
        rec = firm.close_day()
        check_firm(firm)
        self.rows.append({"day": d, "firm": firm.name, **firm.day_row(rec)})
        self.day += 1

    def _book(self, rows: slice) -> None:
        firm = self.firm
        firm.book(
            self._ids[rows],
            self._variant[rows],
            self._time[rows] + firm.quoted_days + self._patience[rows],
            qty=self._qty[rows],
        )

    def _book_within_day(self, start: int, stop: int) -> Generator[simpy.Event, Any, None]:
        # orders of the same time are booked together, in the file's order
        times = self._time
        i = start
        while i < stop:
            t = times[i]
            j = i + int(np.searchsorted(times[i:stop], t, side="right"))
            yield self.env.timeout(t - self.env.now)
            self._book(slice(i, j))
            i = j

    def run(self, days: int, progress: Callable[[int], None] | None = None) -> None:
        """Simulate ``days`` days (numpy's BLAS on one thread, as in :meth:`MarketModel.run`)."""
        with single_threaded_blas():
            for _ in range(days):
                self.step()
                if progress is not None:
                    progress(self.day)
            check_firm(self.firm, full=True)  # every law over every order, once at the end

    def timeseries(self) -> pd.DataFrame:
        """One row per day (tidy, typed)."""
        df = self.rows.to_frame()
        if not df.empty:
            df["firm"] = df["firm"].astype("string")
        return df

    def result(self, warmup_days: int) -> RunResult:
        """The run's tables and KPIs (measured after ``warmup_days``)."""
        ts = self.timeseries()
        demand = units_per_day(self.demand, self.day)
        market = pd.DataFrame({"day": np.arange(self.day), "units_demanded": demand})
        # the demand is given, not chosen against the firm's quote: judge delivery by request
        kpis = supply_kpis(self.firm, ts, warmup_days, float(self.day), quotes_seen=False)
        summary = {
            "mode": "factory",
            "factory": {"firm": self.firm.name, "days": self.day, "warmup_days": warmup_days},
            "firms": {self.firm.name: kpis},
        }
        decisions = None
        frame = getattr(self.firm.policy, "decision_frame", None)
        if frame is not None:
            decisions = frame()
        extra: dict[str, Any] = {}
        if "decisions" in RunResult.__dataclass_fields__:
            extra["decisions"] = decisions
        return RunResult(
            timeseries=ts, market=market, summary=summary, seed=self.streams.entropy(), **extra
        )


def run_factory(
    scenario: Scenario,
    firm: str,
    demand: pd.DataFrame,
    days: int | None = None,
    seed: int | np.random.SeedSequence | None = None,
    unit_orders: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run one firm on ``demand`` for ``days`` days (default: through the last demand day)."""
    fr = FactoryRun(scenario, firm, demand, seed=seed, unit_orders=unit_orders)
    n = days if days is not None else int(demand["day"].to_numpy().max(initial=0)) + 1
    fr.run(n, progress=progress)
    warm = min(scenario.run.warmup_days, n - 1)
    return fr.result(warm)


def demand_for(
    scenario: Scenario,
    firm: str,
    demand_file: str | None,
    generate: str | None,
    days: int | None,
    rng_seed: int,
    arrivals: str = "daily",
    **params: float,
) -> tuple[pd.DataFrame, bool, int]:
    """The demand table for a factory run, from a file or a generator: (table, unit orders, days).

    Exactly one of ``demand_file`` and ``generate`` must be given. Generated demand is drawn from
    the run's ``demand`` stream and booked as single-unit orders (as consumers would place them),
    at the start of each day (``arrivals = "daily"``) or at uniform times within it drawn from the
    ``demand:times`` stream (``"continuous"``; the same daily counts either way). A file's rows are
    booked as the orders they are. Bad input raises :class:`ScenarioError`. The returned unit-orders
    flag is always False: the table holds the orders as they are to be booked.
    """
    from simulator.demand import ARRIVALS, DEMAND_KINDS, generate_daily, load_demand_csv, unit_orders

    if (demand_file is None) == (generate is None):
        raise ScenarioError(
            "arguments", [("", "give exactly one of --demand FILE.csv and --generate KIND")]
        )
    names = [f.name for f in scenario.firms]
    if firm not in names:
        raise ScenarioError("--firm", [("", f"no firm named {firm!r} (firms: {', '.join(names)})")])
    variants = tuple(scenario.firms[names.index(firm)].factory.variants)
    if demand_file is not None:
        table = load_demand_csv(demand_file, variants)
        n = days if days is not None else int(table["day"].to_numpy().max(initial=0)) + 1
        return table, False, n
    assert generate is not None
    if generate not in DEMAND_KINDS:
        raise ScenarioError(
            "--generate", [("", f"unknown kind {generate!r}; choose {', '.join(DEMAND_KINDS)}")]
        )
    if arrivals not in ARRIVALS:
        raise ScenarioError(
            "--arrivals", [("", f"unknown arrivals {arrivals!r}; choose {', '.join(ARRIVALS)}")]
        )
    n = days if days is not None else scenario.run.days
    streams = Streams(rng_seed)
    try:
        units = generate_daily(generate, n, streams.get("demand"), **params)  # type: ignore[arg-type]
    except ValueError as err:
        raise ScenarioError("--generate", [("", str(err))]) from None
    times = streams.get("demand:times") if arrivals == "continuous" else None
    return unit_orders(units, times), False, n
