"""The catalogue: theory cases, each built as a scenario and run through the code a user runs.

Every case is a scenario (a plain dict a user could write as TOML: :func:`Case.scenario`) run by the
factory-only mode (:class:`~simulator.factory_mode.FactoryRun` on demand from
:func:`~simulator.factory_mode.demand_for`, what ``marketsim factory`` runs) or by the market model
(:class:`~simulator.model.MarketModel`, what ``marketsim run`` runs); what it measures is read off
the run's KPIs, its daily table, the plant's records or the decision log, never from a harness. One
replication is one run on its own seed; :mod:`simulator.validate.runner` replicates and judges.

A case names its source, every input its theory needs (``params``), the theory's value of each
quantity, and a relative bound: the 99% interval must be that tight and must contain theory.
Time is scaled so that a plant sees many events a day (ten services a day rather than one), which
changes nothing in theory and makes the runs cheaper.

The catalogue has two tiers (:func:`catalogue`): the **full** one at the textbook parameters
(rho = 0.8, the issue's M/M/2, make-to-stock queue and CONWIP line; ``scenarios/validation/`` ships
those three) on long runs, and the **quick** one, which checks each family at moderate loads with
its plants running twice as fast, on runs short enough for ``make test``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from simulator.demand import daily_table, generate_daily
from simulator.factory_mode import FactoryRun, demand_for
from simulator.rng import Streams
from simulator.scenario import Scenario, parse_scenario

AMPLE = 1_000_000_000
"""Raw material on hand so plentiful that no work order ever waits for it."""
INSTANT = {"kind": "deterministic", "mean": 0.0}
FIRM = "Plant"


@dataclass(frozen=True)
class Size:
    """How much to simulate: independent replications of ``days`` days, the first ``warmup`` cut."""

    replications: int
    days: int
    warmup: int


@dataclass(frozen=True)
class Quantity:
    """One checked quantity: its theory value and the relative bound on the 99% interval."""

    theory: float
    bound: float
    what: str


@dataclass(frozen=True)
class Case:
    """A theory case of the catalogue."""

    name: str
    title: str
    source: str
    params: dict[str, Any]
    theory_of: Callable[[], dict[str, Quantity]]
    """The checked quantities with their theory (a function: some theories take seconds to solve,
    and only a run needs them)."""
    size: Size
    build: Callable[[Size], dict[str, Any]]
    """The scenario (as TOML-ready data) at a size."""
    measure: Callable[[Case, Size, np.random.SeedSequence], dict[str, float]]
    """One replication: the measured value of each quantity."""
    quick: bool = False
    """Whether this is the quick tier's version of the case."""
    command: str = ""
    """How a user runs one replication with ``marketsim`` (a scenario file written by the report)."""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def quantities(self) -> dict[str, Quantity]:
        """The checked quantities with their theory (solved once, on first use)."""
        return _solved(self.name, self.quick, self.theory_of)

    def scenario(self, size: Size | None = None) -> Scenario:
        """The validated scenario (at the case's own size unless given)."""
        return parse_scenario(self.build(size or self.size), source=f"case {self.name}")

    def seeds(self, root: int, n: int, batch: int = 0) -> list[np.random.SeedSequence]:
        """The replication seeds: ``SeedSequence([root, crc32(name)]).spawn(n)`` (independent of
        the other cases and of the order they run in); a confirmation batch ``b >= 1`` spawns from
        ``SeedSequence([root, crc32(name), b])``, independent of the first."""
        key = [root, zlib.crc32(self.name.encode())] + ([batch] if batch else [])
        return np.random.SeedSequence(key).spawn(n)


_SOLVED: dict[tuple[str, bool], dict[str, Quantity]] = {}


def _solved(name: str, quick: bool, theory_of: Callable[[], dict[str, Quantity]]) -> dict[str, Quantity]:
    key = (name, quick)
    if key not in _SOLVED:
        _SOLVED[key] = theory_of()
    return _SOLVED[key]


# --- bounds ---------------------------------------------------------------------------------------
BOUNDS: dict[str, tuple[float, float]] = {
    # kind of quantity: (full, quick) bound on the 99% half-width, relative to theory
    "time": (0.03, 0.05),  # mean flow time, WIP, lead time
    "wait": (0.05, 0.08),  # waits in queue: a queue's tail
    "snapshot": (0.06, 0.15),  # a queue's length sampled at the end of each day
    "rate": (0.01, 0.02),  # utilisation of an open plant
    "line": (0.02, 0.03),  # throughput and cycle time
    "fill": (0.02, 0.03),
    "stock": (0.03, 0.04),
    "backorders": (0.08, 0.25),  # the rarest and most variable: the tail beyond the base stock
    "ratio": (0.03, 0.04),  # bullwhip, costs
    "exact": (0.01, 0.01),  # a level set by a formula, an identity, a deterministic line
    "price": (0.05, 0.05),
    "share": (0.02, 0.03),
}
"""How tight each kind of quantity's interval must be, in the full and the quick tier. The quick
tier checks the same laws on short runs, so its tail quantities get wider (still stated) bounds."""


def bound(kind: str, quick: bool) -> float:
    """The relative bound of a ``kind`` of quantity in a tier."""
    full, fast = BOUNDS[kind]
    return fast if quick else full


# --- building blocks ------------------------------------------------------------------------------
def exp_dist(mean: float) -> dict[str, Any]:
    return {"kind": "exponential", "mean": mean}


def det_dist(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def plant(
    name: str,
    stages: list[dict[str, Any]],
    policy: dict[str, Any],
    size: Size,
    *,
    initial_stock: int = 0,
    lead: dict[str, Any] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """A one-firm scenario: the routing, the policy, ample material from an instant supplier (or,
    with ``lead``, none on hand and every unit's material after that lead time)."""
    factory: dict[str, Any] = {
        "stages": stages,
        "initial_stock": initial_stock,
        "initial_material": AMPLE if lead is None else 0,
        "shipping_days": 0.0,
        "supplier": {"lead_days": INSTANT if lead is None else lead},
    }
    return {
        "name": name,
        "description": description,
        "run": {"days": size.days, "warmup_days": size.warmup, "seed": 1},
        "firms": [{"name": FIRM, "factory": factory, "policy": policy}],
    }


def pull(buffer: int, **extra: Any) -> dict[str, Any]:
    """A demand-centric policy under fixed rules (no S&OP): ``buffer`` on inventory position."""
    return {"name": "demand_centric", "buffer": buffer, "sop_days": 0, **extra}


def run_plant(
    case: Case, size: Size, seed: np.random.SeedSequence, scenario: Scenario | None = None
) -> FactoryRun:
    """One replication through the factory-only mode, on generated demand drawn from the seed."""
    s = scenario if scenario is not None else case.scenario(size)
    d = case.extra["demand"]
    entropy = int(seed.generate_state(1)[0])
    if d.get("orders") == "daily":
        # each day's demand as one order (the bullwhip is about units a day, not order lines)
        units = generate_daily(d["kind"], size.days, Streams(entropy).get("demand"), **d["params"])
        table, unit = daily_table(units), False
    else:
        table, unit, _ = demand_for(
            s, FIRM, None, d["kind"], size.days, entropy, arrivals=d["arrivals"], **d["params"]
        )
    fr = FactoryRun(s, FIRM, table, seed=seed, unit_orders=unit)
    fr.run(size.days)
    return fr


def kpis_of(fr: FactoryRun, size: Size) -> dict[str, Any]:
    return fr.result(size.warmup).summary["firms"][FIRM]


def stage_wait(fr: FactoryRun, size: Size, stage: int = 0) -> float:
    v = fr.firm.plant.stages[stage].visits
    sel = (v["arrived"] >= size.warmup) & (v["started"] >= 0)
    return float((v["started"][sel] - v["arrived"][sel]).mean())


def after_warmup(fr: FactoryRun, size: Size) -> Any:
    ts = fr.timeseries()
    return ts[ts["day"] >= size.warmup]


def poisson_demand(lam: float) -> dict[str, Any]:
    return {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}}


# --- the catalogue --------------------------------------------------------------------------------
def _cases(quick: bool) -> list[Case]:
    """The catalogue of a tier. The quick tier checks each family at parameters where a short run
    gives a tight interval (moderate loads); the full tier at the textbook ones (rho = 0.8)."""
    from simulator.validate.market_cases import bass_case, logit_case
    from simulator.validate.plant_cases import (
        breakdown_case,
        conwip_case,
        kanban_case,
        little_case,
        queue_case,
    )
    from simulator.validate.stock_cases import (
        base_stock_case,
        bullwhip_cases,
        mts_case,
        newsvendor_case,
        periodic_case,
    )

    q = quick

    def sz(quick: Size, full: Size) -> Size:
        return quick if q else full

    # The quick tier runs its plants twice as fast (rates doubled, times halved): the same theory
    # in half the days, so less of the run goes to the daily bookkeeping.
    x = 2.0 if q else 1.0
    gamma = {"kind": "gamma", "mean": 1.0 / x, "cv": 0.5}
    return [
        queue_case("mm1", 1, 10.0 if q else 8.0, 10.0 * x, sz(Size(12, 700, 10), Size(20, 5500, 50)), q),
        queue_case(
            "mm2", 2, 24.0 if q else 16.0, 10.0 * x, sz(Size(12, 330, 10), Size(20, 3000, 50)), q
        ),
        little_case(sz(Size(10, 250, 20), Size(20, 800, 20)), q),
        mts_case(
            12.0 if q else 8.0, 10.0 * x, 2 if q else 5, sz(Size(16, 800, 10), Size(20, 11_000, 50)), q
        ),
        base_stock_case(
            "base_stock", 4.0 * x, det_dist(1.0 / x), 6, sz(Size(12, 320, 5), Size(20, 2000, 10)), q
        ),
        base_stock_case(
            "base_stock_gamma", 4.0 * x, gamma, 6, sz(Size(12, 320, 5), Size(20, 2000, 10)), q
        ),
        periodic_case(sz(Size(10, 400, 30), Size(20, 1000, 30)), q),
        *bullwhip_cases(sz(Size(10, 600, 60), Size(20, 1500, 60)), q),
        newsvendor_case(sz(Size(10, 900, 120), Size(20, 2500, 120)), q),
        conwip_case("conwip", 4, 0.1, 4, 1, False, sz(Size(10, 250, 5), Size(20, 600, 5)), q),
        conwip_case("conwip_batch", 4, 0.1, 8, 2, True, sz(Size(2, 60, 5), Size(3, 200, 5)), q),
        kanban_case(6.0 * x, 10.0 * x, sz(Size(12, 550, 10), Size(20, 3000, 20)), q),
        breakdown_case(x, sz(Size(10, 260, 5), Size(20, 1500, 5)), q),
        logit_case(sz(Size(12, 60, 10), Size(20, 150, 10)), q),
        bass_case(sz(Size(24, 15, 0), Size(48, 15, 0)), q),
    ]


@cache
def catalogue(quick: bool = False) -> dict[str, Case]:
    """Every case of a tier by name, in the order of the table."""
    return {c.name: c for c in _cases(quick)}


def measure(name: str, quick: bool, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication of case ``name`` (a top-level function: process pools pickle it)."""
    case = catalogue(quick)[name]
    out = case.measure(case, case.size, seed)
    return {k: float(v) if v is not None else math.nan for k, v in out.items()}
