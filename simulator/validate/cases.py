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
from simulator.validate import theory

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
def _exp(mean: float) -> dict[str, Any]:
    return {"kind": "exponential", "mean": mean}


def _det(mean: float) -> dict[str, Any]:
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


def _kpis(fr: FactoryRun, size: Size) -> dict[str, Any]:
    return fr.result(size.warmup).summary["firms"][FIRM]


def _stage_wait(fr: FactoryRun, size: Size, stage: int = 0) -> float:
    v = fr.firm.plant.stages[stage].visits
    sel = (v["arrived"] >= size.warmup) & (v["started"] >= 0)
    return float((v["started"][sel] - v["arrived"][sel]).mean())


def _after_warmup(fr: FactoryRun, size: Size) -> Any:
    ts = fr.timeseries()
    return ts[ts["day"] >= size.warmup]


# --- queues ---------------------------------------------------------------------------------------
def _measure_queue(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    ts = _after_warmup(fr, size)
    return {
        "Wq": _stage_wait(fr, size),
        "Lq": float(ts["queue_make"].mean()),
        "W": k["mean_flow_time_days"],
        "L": k["mean_wip"],
        "lead_time": k["mean_lead_time_days"],
        "utilisation": fr.firm.plant.stages[0].utilisation(),
    }


def _poisson(lam: float) -> dict[str, Any]:
    return {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}}


def _queue_case(name: str, c: int, lam: float, mu: float, size: Size, quick: bool) -> Case:
    th = theory.mmc(c, lam, mu)
    label = "M/M/1" if c == 1 else f"M/M/{c}"

    def build(size: Size) -> dict[str, Any]:
        return plant(
            f"validate-{name}",
            [{"name": "make", "machines": c, "unit_time": _exp(1 / mu)}],
            pull(0, review="continuous"),
            size,
            description=f"{label}: Poisson orders at {lam:g} a day, each released to the plant the "
            f"moment it comes (make to order, one for one); {c} machine(s) at {mu:g} a day each.",
        )

    return Case(
        name=name,
        title=f"{label} queue, rho = {th['rho']:.2f}: waits and queue lengths",
        source="Erlang C; Kleinrock (1975) Queueing Systems I, sec. 3.5; Little (1961)",
        params={"machines": c, "arrival_rate": lam, "service_rate": mu},
        theory_of=lambda: {
            "Wq": Quantity(th["wq"], bound("wait", quick), "mean wait in queue at the stage (days)"),
            "Lq": Quantity(th["lq"], bound("snapshot", quick), "mean units queued (end-of-day samples)"),
            "W": Quantity(th["w"], bound("time", quick), "mean flow time, release to finished (days)"),
            "L": Quantity(th["l"], bound("time", quick), "time-average units in the plant"),
            "lead_time": Quantity(th["w"], bound("time", quick), "mean order lead time (days)"),
            "utilisation": Quantity(th["rho"], bound("rate", quick), "share of machine time busy"),
        },
        size=size,
        build=build,
        measure=_measure_queue,
        quick=quick,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": _poisson(lam)},
    )


def _measure_little(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    return {
        "L/(TH W)": k["mean_wip"] / (k["throughput_per_day"] * k["mean_flow_time_days"]),
        "TH": k["throughput_per_day"],
    }


def _little_case(size: Size, quick: bool) -> Case:
    lam = 6.0
    stages: list[dict[str, Any]] = [
        {
            "name": "fab",
            "machines": 2,
            "unit_time": {"kind": "gamma", "mean": 0.2, "cv": 0.5},
            "setup_days": 0.01,
            "mtbf_days": 3.0,
            "mttr_days": _exp(0.2),
            "defect_rate": 0.1,
            "rework": True,
        },
        {"name": "paint", "unit_time": {"kind": "lognormal", "mean": 0.08, "cv": 1.5}},
        {"name": "pack", "machines": 2, "unit_time": _det(0.1), "shifts": 2},
    ]

    def build(size: Size) -> dict[str, Any]:
        return plant(
            "validate-little",
            stages,
            pull(0, review="continuous"),
            size,
            description="Little's law on a plant with no closed form: set-ups, failures, rework, "
            "gamma and lognormal times, a two-shift stage; Poisson orders made to order.",
        )

    return Case(
        name="little",
        title="Little's law on a three-stage plant with set-ups, failures and rework",
        source="Little (1961) Operations Research 9(3); Hopp and Spearman, Factory Physics, sec. 7.2",
        params={"arrival_rate": lam, "stages": stages},
        theory_of=lambda: {
            "L/(TH W)": Quantity(
                1.0, bound("exact", quick), "time-average WIP over throughput x mean flow time"
            ),
            "TH": Quantity(
                lam, bound("line", quick), "throughput (units a day) = arrival rate (nothing scrapped)"
            ),
        },
        size=size,
        build=build,
        measure=_measure_little,
        quick=quick,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": _poisson(lam)},
    )


# --- make to stock --------------------------------------------------------------------------------
def _measure_stock(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    ts = _after_warmup(fr, size)
    return {
        "fill": k["fill_rate"],
        "backorders": float(ts["backorders"].mean()),
        "stock": float(ts["on_hand"].mean()),
    }


def _mts_case(lam: float, mu: float, s: int, size: Size, quick: bool) -> Case:
    th = theory.make_to_stock_queue(lam, mu, s)

    def build(size: Size) -> dict[str, Any]:
        return plant(
            "validate-make-to-stock",
            [{"name": "make", "unit_time": _exp(1 / mu)}],
            pull(s, review="continuous"),
            size,
            initial_stock=s,
            description=f"The make-to-stock queue: base stock {s}, one machine at {mu:g} a day, "
            f"Poisson orders at {lam:g} a day, each releasing one unit the moment it comes.",
        )

    return Case(
        name="make_to_stock",
        title=f"Make-to-stock M/M/1 queue, base stock S = {s}, rho = {lam / mu:.1f}",
        source="Buzacott and Shanthikumar (1993) sec. 4.2; Zipkin (2000) sec. 8.4",
        params={"arrival_rate": lam, "service_rate": mu, "base_stock": s},
        theory_of=lambda: {
            "fill": Quantity(
                th["fill"], bound("fill", quick), "share of orders filled from stock (1 - rho^S)"
            ),
            "backorders": Quantity(
                th["backorders"], bound("backorders", quick), "mean backorders (end-of-day samples)"
            ),
            "stock": Quantity(
                th["stock"], bound("stock", quick), "mean stock on hand (end-of-day samples)"
            ),
        },
        size=size,
        build=build,
        measure=_measure_stock,
        quick=quick,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": _poisson(lam)},
    )


def _base_stock_case(
    name: str, lam: float, lead: dict[str, Any], s: int, size: Size, quick: bool
) -> Case:
    mean_lead = float(lead["mean"])
    th = theory.poisson_base_stock(lam, mean_lead, s)
    shape = "deterministic" if lead["kind"] == "deterministic" else f"{lead['kind']} (cv {lead['cv']:g})"

    def build(size: Size) -> dict[str, Any]:
        return plant(
            f"validate-{name}",
            [{"name": "make", "machines": 1, "unit_time": INSTANT}],
            pull(s, review="continuous"),
            size,
            initial_stock=s,
            lead=lead,
            description=f"(S - 1, S): base stock {s}, Poisson orders at {lam:g} a day, each "
            f"replenished one for one after a {shape} supply lead time of mean {mean_lead:g} days.",
        )

    return Case(
        name=name,
        title=f"Base stock (S - 1, S) = ({s - 1}, {s}), Poisson demand, {shape} lead time",
        source="Palm's theorem; Hadley and Whitin (1963) ch. 4; Zipkin (2000) sec. 7.2",
        params={"arrival_rate": lam, "lead_time": lead, "base_stock": s},
        theory_of=lambda: {
            "fill": Quantity(
                th["fill"], bound("fill", quick), "share of orders filled from stock, P(N <= S - 1)"
            ),
            "backorders": Quantity(
                th["backorders"], bound("backorders", quick), "mean backorders E[(N - S)+]"
            ),
            "stock": Quantity(th["stock"], bound("stock", quick), "mean stock on hand E[(S - N)+]"),
        },
        size=size,
        build=build,
        measure=_measure_stock,
        quick=quick,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": _poisson(lam)},
    )


def _measure_periodic(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    ts = _after_warmup(fr, size)
    # a day is free of stock-outs when every order placed on it was filled from stock
    free = ts["filled_from_stock"] == ts["orders"]
    return {"unit_fill": k["unit_fill_rate"], "stockout_free_days": float(free.mean())}


def _periodic_case(size: Size, quick: bool) -> Case:
    lam, lead, review, s = 10.0, 2, 3, 58
    th = theory.periodic_order_up_to(lam, lead, review, s)

    def build(size: Size) -> dict[str, Any]:
        return plant(
            "validate-periodic",
            [{"name": "make", "machines": 1, "unit_time": INSTANT}],
            pull(s, review_days=review),
            size,
            initial_stock=s,
            lead=_det(float(lead)),
            description=f"Periodic review every {review} days up to {s}, Poisson demand of "
            f"{lam:g} a day booked at each day's start, a supply lead time of {lead} days.",
        )

    return Case(
        name="periodic_review",
        title=f"Periodic order-up-to (R = {review}, L = {lead}, S = {s}), Poisson daily demand",
        source="Hadley and Whitin (1963) ch. 5; Silver, Pyke and Thomas (2017) sec. 6.7",
        params={"daily_demand_mean": lam, "lead_days": lead, "review_days": review, "order_up_to": s},
        theory_of=lambda: {
            "unit_fill": Quantity(
                th["unit_fill"], bound("fill", quick), "share of units filled from stock"
            ),
            "stockout_free_days": Quantity(
                th["stockout_free_days"], bound("fill", quick), "share of days on which no order waited"
            ),
        },
        size=size,
        build=build,
        measure=_measure_periodic,
        quick=quick,
        command=f"--generate poisson --mean {lam:g}",
        note="Timing: orders are booked at each day's start, reviews at k R + 0.5, so a day n days "
        "after the last review whose release has arrived meets S less n days of demand "
        "(n = L + 1, ..., L + R); theory.periodic_order_up_to gives both figures exactly.",
        extra={"demand": {"kind": "poisson", "arrivals": "daily", "params": {"mean": lam}}},
    )


# --- bullwhip -------------------------------------------------------------------------------------
def _measure_bullwhip(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    ts = _after_warmup(fr, size)
    return {"bullwhip": float(ts["released"].var(ddof=1) / ts["units_ordered"].var(ddof=1))}


def _bullwhip_case(
    name: str,
    policy: dict[str, Any],
    demand: dict[str, Any],
    value: float,
    title: str,
    source: str,
    params: dict[str, Any],
    size: Size,
    quick: bool,
) -> Case:
    def build(size: Size) -> dict[str, Any]:
        return plant(
            f"validate-{name}",
            [{"name": "make", "machines": 4, "unit_time": _det(0.001)}],
            policy,
            size,
            initial_stock=1000,
            description=f"{title}: the push policy's order-up-to on inventory position, daily review.",
        )

    gen = " ".join(f"--{k} {v:g}" for k, v in demand["params"].items())
    return Case(
        name=name,
        title=title,
        source=source,
        params=params,
        theory_of=lambda: {
            "bullwhip": Quantity(value, bound("ratio", quick), "Var(daily releases) / Var(daily demand)")
        },
        size=size,
        build=build,
        measure=_measure_bullwhip,
        quick=quick,
        command=f"--generate {demand['kind']} {gen}",
        note="Each day's demand is booked as one order (the ratio is about units a day; "
        "`--generate` books single units, which gives the same ratio at more cost). "
        "L (cover) = lead_time_days + review_days; no safety stock, so the formula is exact.",
        extra={"demand": demand},
    )


def _bullwhip_cases(size: Size, quick: bool) -> list[Case]:
    chen = "Chen, Drezner, Ryan and Simchi-Levi (2000) Management Science 46(3)"
    base = {"name": "supplier_centric", "review_days": 1, "min_lot": 0}
    lead, window, alpha, phi = 1.0, 5, 0.2, 0.5
    cover = lead + 1
    normal = {"kind": "normal", "orders": "daily", "params": {"mean": 200.0, "sd": 20.0}}
    ar1 = {"kind": "ar1", "orders": "daily", "params": {"mean": 200.0, "sd": 20.0, "phi": phi}}
    ma = {**base, "lead_time_days": lead, "forecast_window": window, "safety_factor": 0.0}
    return [
        _bullwhip_case(
            "bullwhip_moving_average",
            ma,
            normal,
            theory.bullwhip_moving_average(cover, window),
            f"Bullwhip, moving average of {window} days, cover L = {cover:g}, i.i.d. demand",
            chen,
            {"cover_days": cover, "window": window, "demand": "normal(200, 20)"},
            size,
            quick,
        ),
        _bullwhip_case(
            "bullwhip_ar1",
            ma,
            ar1,
            theory.bullwhip_moving_average(cover, window, phi),
            f"Bullwhip, moving average of {window} days, AR(1) demand (phi = {phi:g})",
            chen,
            {"cover_days": cover, "window": window, "phi": phi, "demand": "AR(1) mean 200, noise sd 20"},
            size,
            quick,
        ),
        _bullwhip_case(
            "bullwhip_exp_smoothing",
            {
                **base,
                "decision": "data",
                "service_level": 0.5,  # z = 0: no safety-stock term, the equality case
                "forecast": "exp_smoothing",
                "smoothing_alpha": alpha,
                "lead_time_days": lead,
            },
            normal,
            theory.bullwhip_exp_smoothing(cover, alpha),
            f"Bullwhip, exponential smoothing (alpha = {alpha:g}), cover L = {cover:g}",
            "Chen, Ryan and Simchi-Levi (2000) Naval Research Logistics 47(4)",
            {"cover_days": cover, "alpha": alpha, "demand": "normal(200, 20)"},
            size,
            quick,
        ),
    ]


# --- newsvendor -----------------------------------------------------------------------------------
NEWS = {"mean": 120.0, "sd": 10.0, "holding": 2.0, "shortage": 18.0, "extra_sd": 2.0}


def _news_policy(mode: str) -> dict[str, Any]:
    p: dict[str, Any] = {
        "name": "supplier_centric",
        "decision": mode,
        "review_days": 1,
        "lead_time_days": 0.0,
        "min_lot": 0,
        "forecast_window": 365,
        "holding_cost": NEWS["holding"],
        "shortage_cost": NEWS["shortage"],
    }
    if mode == "cobot":
        p.update({"overrides": ["cx_buffer"], "cx_buffer": {"extra_sd": NEWS["extra_sd"]}})
    return p


def _news_build(mode: str) -> Callable[[Size], dict[str, Any]]:
    def build(size: Size) -> dict[str, Any]:
        return plant(
            f"validate-newsvendor-{mode}",
            [{"name": "make", "machines": 1, "unit_time": INSTANT}],
            _news_policy(mode),
            size,
            initial_stock=133,
            description="The newsvendor each day: N(120, 10) units ordered at the day's start meet "
            "the stock the optimiser set the evening before (no lead time); holding 2, shortage 18.",
        )

    return build


def rounded_normal_costs(stock: np.ndarray, mean: float, sd: float, h: float, b: float) -> np.ndarray:
    """Expected h (k - D)+ + b (D - k)+ at each whole stock k, D = round(N(mean, sd)), exactly."""
    from scipy import stats

    k = np.arange(max(int(mean - 12 * sd), 0), int(mean + 12 * sd) + 1)
    p = stats.norm.cdf(k + 0.5, mean, sd) - stats.norm.cdf(k - 0.5, mean, sd)
    p[0] += stats.norm.cdf(k[0] - 0.5, mean, sd)  # demand rounded to the lowest whole unit or below
    s = np.asarray(stock, dtype=float)[:, None]
    return (p * (h * np.maximum(s - k, 0) + b * np.maximum(k - s, 0))).sum(axis=1)


def _news_days(fr: FactoryRun, size: Size) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day after the warm-up: the stock the day began with, units short, units left over."""
    ts = fr.timeseries()
    start_stock = ts["on_hand"].to_numpy()[:-1]  # the evening's stock meets the next day's orders
    nxt = ts.iloc[1:]
    keep = nxt["day"].to_numpy() >= size.warmup
    served = nxt["filled_from_stock"].to_numpy()  # unit orders: orders = units
    short = nxt["units_ordered"].to_numpy() - served
    left = start_stock - served
    return start_stock[keep], short[keep], left[keep]


def _measure_news(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    m, sd, h, b = (NEWS[k] for k in ("mean", "sd", "holding", "shortage"))
    out: dict[str, float] = {}
    cost: dict[str, np.ndarray] = {}
    expected: dict[str, np.ndarray] = {}
    for mode in ("ai", "cobot"):
        s = parse_scenario(_news_build(mode)(size), source=f"case {case.name}")
        fr = run_plant(case, size, seed, scenario=s)  # the same demand for both: paired
        stock, short, left = _news_days(fr, size)
        cost[mode] = h * left + b * short
        expected[mode] = rounded_normal_costs(stock, m, sd, h, b)
        levels = [
            e["inputs"]["order_up_to"]
            for e in fr.firm.policy.decisions  # type: ignore[union-attr]
            if e["action"] == "release" and e["day"] >= size.warmup
        ]
        tag = "" if mode == "ai" else "_override"
        out[f"level{tag}"] = float(np.mean(levels))
        out[f"fill{tag}"] = 1.0 - float(short.sum()) / float((short + stock - left).sum())
    out["cost"] = float(cost["ai"].mean())
    out["override_price"] = float((cost["cobot"] - cost["ai"]).mean()) / float(
        (expected["cobot"] - expected["ai"]).mean()
    )
    return out


def _newsvendor_case(size: Size, quick: bool) -> Case:
    m, sd, h, b, x = (NEWS[k] for k in ("mean", "sd", "holding", "shortage", "extra_sd"))
    best = theory.newsvendor(m, sd, h, b)
    over = theory.newsvendor(m, sd, h, b, extra_sd=x)
    return Case(
        name="newsvendor",
        title="The optimiser's critical fractile (ai) and the price of a human override (cobot)",
        source="Porteus (2002) ch. 1; the normal loss function; ANCHORS.md (S* = 132.8155, "
        "cost 35.0997)",
        params={"demand_mean": m, "demand_sd": sd, "holding": h, "shortage": b, "override_extra_sd": x},
        theory_of=lambda: {
            "level": Quantity(
                best["level"], bound("exact", quick), "mean order-up-to level S* the optimiser sets"
            ),
            "fill": Quantity(
                best["fill"], bound("exact", quick), "share of units filled from stock at S*"
            ),
            "cost": Quantity(
                best["cost"], bound("ratio", quick), "mean cost a day at S*, h x left over + b x short"
            ),
            "level_override": Quantity(
                over["level"], bound("exact", quick), "level under the cx_buffer override"
            ),
            "fill_override": Quantity(
                over["fill"], bound("exact", quick), "fill rate under the override"
            ),
            "override_price": Quantity(
                1.0,
                bound("price", quick),
                "extra cost a day of the override (paired runs) over its closed form at the whole "
                f"units held (about {over['override_cost']:.2f} at S* + sd)",
            ),
        },
        size=size,
        build=_news_build("ai"),
        measure=_measure_news,
        quick=quick,
        command="--generate normal --mean 120 --sd 10",
        note="Demand is N(120, 10) rounded to whole units and the plant holds whole units: the "
        "level and fill are judged against the closed forms at S* and S* + sd, the cost at S* "
        "(where rounding moves it by a second-order amount), and the override's price against the "
        "exact expected cost of the whole-unit stocks the two policies held.",
        extra={"demand": {"kind": "normal", "arrivals": "daily", "params": {"mean": m, "sd": sd}}},
    )


# --- closed lines ---------------------------------------------------------------------------------
def _measure_line(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    return {
        "throughput": k["throughput_per_day"],
        "cycle_time": k["mean_flow_time_days"],
        "wip": k["mean_wip"],
    }


def _conwip_case(
    name: str,
    stations: int,
    t: float,
    wip: int,
    batch: int,
    deterministic: bool,
    size: Size,
    quick: bool,
) -> Case:
    law = theory.conwip_best_case if deterministic else theory.conwip_practical_worst_case
    th = law(stations, t, wip)
    overload = round(1.4 * th["throughput"], 3)
    times = _det(t) if deterministic else _exp(t)
    which = "best case (deterministic times)" if deterministic else "practical worst case"

    def build(size: Size) -> dict[str, Any]:
        policy = pull(5, review="continuous", control="conwip", wip_limit=wip, transfer_batch=batch)
        return plant(
            f"validate-{name}",
            [{"name": f"station{i + 1}", "unit_time": times} for i in range(stations)],
            policy,
            size,
            description=f"A CONWIP line of {stations} stations ({which}), {wip} units in jobs of "
            f"{batch}; orders come faster ({overload:g} a day) than it can make them, so the "
            "backlog never empties and the line is closed.",
        )

    return Case(
        name=name,
        title=f"CONWIP line, {stations} stations, WIP {wip} in jobs of {batch}: {which}",
        source="Hopp and Spearman, Factory Physics (3rd ed.) sec. 7.3 and 10.4",
        params={
            "stations": stations,
            "unit_time": t,
            "wip": wip,
            "transfer_batch": batch,
            "times": times["kind"],
        },
        theory_of=lambda: {
            "throughput": Quantity(th["throughput"], bound("line", quick), "units finished a day"),
            "cycle_time": Quantity(
                th["cycle_time"], bound("line", quick), "mean flow time through the line (days)"
            ),
            "wip": Quantity(th["wip"], bound("exact", quick), "time-average units in the line"),
        },
        size=size,
        build=build,
        measure=_measure_line,
        quick=quick,
        command=f"--generate poisson --mean {overload:g} --arrivals continuous",
        extra={"demand": _poisson(overload)},
    )


def _measure_kanban(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    ts = _after_warmup(fr, size)
    return {
        "fill": k["fill_rate"],
        "backorders": float(ts["backorders"].mean()),
        "stock": float(ts["on_hand"].mean()),
        "wip": k["mean_wip"],
    }


@cache
def _kanban_line(rates: tuple[float, ...], cards: tuple[int, ...], lam: float) -> theory.KanbanLine:
    return theory.kanban_line(rates, cards, lam, max_backorders=250)


def _kanban_case(lam: float, rate: float, size: Size, quick: bool) -> Case:
    rates, cards = (rate, rate, rate), (3, 3, 3)

    def solved() -> dict[str, Quantity]:
        k = _kanban_line(rates, cards, lam)
        return {
            "fill": Quantity(k.fill, bound("fill", quick), "share of orders filled from stock"),
            "backorders": Quantity(
                k.backorders, bound("backorders", quick), "mean backorders (end-of-day samples)"
            ),
            "stock": Quantity(
                k.stock, bound("stock", quick), "mean finished goods (end-of-day samples)"
            ),
            "wip": Quantity(k.wip, bound("line", quick), "time-average units in the line"),
        }

    def build(size: Size) -> dict[str, Any]:
        policy = pull(cards[-1], review="continuous", control="kanban", kanban_cards=list(cards[:-1]))
        return plant(
            "validate-kanban",
            [{"name": f"station{i + 1}", "unit_time": _exp(1 / r)} for i, r in enumerate(rates)],
            policy,
            size,
            initial_stock=cards[-1],
            description=f"A kanban line of {len(rates)} stations with cards {list(cards)} (the last "
            f"stage's are the finished-goods buffer), Poisson orders at {lam:g} a day.",
        )

    return Case(
        name="kanban",
        title=f"Kanban line, {len(rates)} stations, cards {list(cards)}, Poisson demand at {lam:g}",
        source="Hopp and Spearman, Factory Physics sec. 10.4; exact Markov chain "
        "(Buzacott and Shanthikumar 1993, ch. 5)",
        params={"service_rates": list(rates), "cards": list(cards), "arrival_rate": lam},
        theory_of=solved,
        size=size,
        build=build,
        measure=_measure_kanban,
        quick=quick,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        note="Theory: the line's Markov chain (per station the units in process and done, the "
        "backorders cut at 250) solved exactly (simulator.validate.theory.kanban_line).",
        extra={"demand": _poisson(lam)},
    )


def _measure_breakdowns(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    st = fr.firm.plant.stages[0]
    return {"throughput": k["throughput_per_day"], "down_share": st.down_time / st.machine_days()}


def _breakdown_case(x: float, size: Size, quick: bool) -> Case:
    machines, t, mtbf, mttr, wip = 2, 0.1 / x, 2.0 / x, 0.5 / x, 12
    a = theory.availability(mtbf, mttr)
    rate = machines / t * a
    overload = round(1.2 * rate, 3)

    def build(size: Size) -> dict[str, Any]:
        stage = {
            "name": "make",
            "machines": machines,
            "unit_time": _exp(t),
            "mtbf_days": mtbf,
            "mttr_days": _exp(mttr),
        }
        return plant(
            "validate-breakdowns",
            [stage],
            pull(5, review="continuous", control="conwip", wip_limit=wip),
            size,
            description=f"{machines} machines that fail (MTBF {mtbf:g} days) and are repaired "
            f"(MTTR {mttr:g}), always busy: {wip} units kept in the plant, orders piling up.",
        )

    return Case(
        name="breakdowns",
        title="Availability: a saturated stage with failures and repairs",
        source="Hopp and Spearman, Factory Physics sec. 8.4 (A = MTBF / (MTBF + MTTR))",
        params={"machines": machines, "unit_time": t, "mtbf_days": mtbf, "mttr_days": mttr},
        theory_of=lambda: {
            "throughput": Quantity(
                rate, bound("line", quick), "units a day = machines / unit time x availability"
            ),
            "down_share": Quantity(
                1 - a, bound("backorders", quick), "share of machine time under repair"
            ),
        },
        size=size,
        build=build,
        measure=_measure_breakdowns,
        quick=quick,
        command=f"--generate poisson --mean {overload:g} --arrivals continuous",
        extra={"demand": _poisson(overload)},
    )


# --- the catalogue --------------------------------------------------------------------------------
def _cases(quick: bool) -> list[Case]:
    """The catalogue of a tier. The quick tier checks each family at parameters where a short run
    gives a tight interval (moderate loads); the full tier at the textbook ones (rho = 0.8)."""
    from simulator.validate.market_cases import bass_case, logit_case

    q = quick

    def sz(quick: Size, full: Size) -> Size:
        return quick if q else full

    # The quick tier runs its plants twice as fast (rates doubled, times halved): the same theory
    # in half the days, so less of the run goes to the daily bookkeeping.
    x = 2.0 if q else 1.0
    gamma = {"kind": "gamma", "mean": 1.0 / x, "cv": 0.5}
    return [
        _queue_case(
            "mm1", 1, 10.0 if q else 8.0, 10.0 * x, sz(Size(12, 700, 10), Size(20, 3000, 50)), q
        ),
        _queue_case(
            "mm2", 2, 24.0 if q else 16.0, 10.0 * x, sz(Size(12, 330, 10), Size(20, 3000, 50)), q
        ),
        _little_case(sz(Size(10, 250, 20), Size(20, 800, 20)), q),
        _mts_case(
            12.0 if q else 8.0, 10.0 * x, 2 if q else 5, sz(Size(12, 450, 10), Size(20, 11_000, 50)), q
        ),
        _base_stock_case(
            "base_stock", 4.0 * x, _det(1.0 / x), 6, sz(Size(12, 320, 5), Size(20, 2000, 10)), q
        ),
        _base_stock_case(
            "base_stock_gamma", 4.0 * x, gamma, 6, sz(Size(12, 320, 5), Size(20, 2000, 10)), q
        ),
        _periodic_case(sz(Size(10, 400, 30), Size(20, 1000, 30)), q),
        *_bullwhip_cases(sz(Size(10, 600, 60), Size(20, 1500, 60)), q),
        _newsvendor_case(sz(Size(10, 900, 120), Size(20, 2500, 120)), q),
        _conwip_case("conwip", 4, 0.1, 4, 1, False, sz(Size(10, 250, 5), Size(20, 600, 5)), q),
        _conwip_case("conwip_batch", 4, 0.1, 8, 2, True, sz(Size(2, 60, 5), Size(3, 200, 5)), q),
        _kanban_case(6.0 * x, 10.0 * x, sz(Size(12, 550, 10), Size(20, 3000, 20)), q),
        _breakdown_case(x, sz(Size(10, 260, 5), Size(20, 1500, 5)), q),
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
