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
    quantities: dict[str, Quantity]
    quick: Size
    full: Size
    build: Callable[[Size], dict[str, Any]]
    """The scenario (as TOML-ready data) at a size."""
    measure: Callable[[Case, Size, np.random.SeedSequence], dict[str, float]]
    """One replication: the measured value of each quantity."""
    command: str = ""
    """How a user runs one replication with ``marketsim`` (a scenario file written by the report)."""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def scenario(self, size: Size) -> Scenario:
        """The validated scenario at ``size``."""
        return parse_scenario(self.build(size), source=f"case {self.name}")

    def seeds(self, root: int, n: int) -> list[np.random.SeedSequence]:
        """The replication seeds: ``SeedSequence([root, crc32(name)]).spawn(n)`` (independent of
        the other cases and of the order they run in)."""
        return np.random.SeedSequence([root, zlib.crc32(self.name.encode())]).spawn(n)


# --- building blocks -------------------------------------------------------------------------------
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


def _queue_case(
    name: str, c: int, lam: float, mu: float, quick: Size, full: Size, bounds: dict[str, float]
) -> Case:
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
        title=f"{label} queue: waits and queue lengths (rho = {th['rho']:.2f})",
        source="Erlang C; Kleinrock (1975) Queueing Systems I, sec. 3.5; Little (1961)",
        params={"machines": c, "arrival_rate": lam, "service_rate": mu},
        quantities={
            "Wq": Quantity(th["wq"], bounds["wait"], "mean wait in queue at the stage (days)"),
            "Lq": Quantity(th["lq"], bounds["wait"], "mean units queued (end-of-day samples)"),
            "W": Quantity(th["w"], bounds["time"], "mean flow time, release to finished (days)"),
            "L": Quantity(th["l"], bounds["time"], "time-average units in the plant"),
            "lead_time": Quantity(th["w"], bounds["time"], "mean order lead time (days)"),
            "utilisation": Quantity(th["rho"], 0.01, "share of machine time busy"),
        },
        quick=quick,
        full=full,
        build=build,
        measure=_measure_queue,
        command="--generate poisson --mean {lam} --arrivals continuous".format(lam=lam),
        extra={"demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}}},
    )


def _measure_little(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    return {
        "L/(TH W)": k["mean_wip"] / (k["throughput_per_day"] * k["mean_flow_time_days"]),
        "TH": k["throughput_per_day"],
    }


def _little_case() -> Case:
    lam = 6.0
    stages = [
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
        quantities={
            "L/(TH W)": Quantity(1.0, 0.01, "time-average WIP over throughput x mean flow time"),
            "TH": Quantity(lam, 0.01, "throughput (units a day) = arrival rate (nothing scrapped)"),
        },
        quick=Size(4, 400, 40),
        full=Size(10, 2000, 100),
        build=build,
        measure=_measure_little,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}}},
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


def _mts_case() -> Case:
    lam, mu, s = 8.0, 10.0, 5
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
        title=f"Make-to-stock M/M/1 queue, base stock S = {s} (rho = {lam / mu:.1f})",
        source="Buzacott and Shanthikumar (1993) sec. 4.2; Zipkin (2000) sec. 8.4",
        params={"arrival_rate": lam, "service_rate": mu, "base_stock": s},
        quantities={
            "fill": Quantity(th["fill"], 0.03, "share of orders filled from stock (1 - rho^S)"),
            "backorders": Quantity(th["backorders"], 0.05, "mean backorders (end-of-day samples)"),
            "stock": Quantity(th["stock"], 0.03, "mean stock on hand (end-of-day samples)"),
        },
        quick=Size(6, 1200, 50),
        full=Size(16, 12_000, 100),
        build=build,
        measure=_measure_stock,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}}},
    )


def _base_stock_case(name: str, lead: dict[str, Any]) -> Case:
    lam, s = 4.0, 10
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
        title=f"Base stock (S - 1, S), Poisson demand, {shape} lead time",
        source="Palm's theorem; Hadley and Whitin (1963) ch. 4; Zipkin (2000) sec. 7.2",
        params={"arrival_rate": lam, "lead_time_mean": mean_lead, "lead_time": lead, "base_stock": s},
        quantities={
            "fill": Quantity(th["fill"], 0.02, "share of orders filled from stock, P(N <= S - 1)"),
            "backorders": Quantity(th["backorders"], 0.05, "mean backorders E[(N - S)+]"),
            "stock": Quantity(th["stock"], 0.02, "mean stock on hand E[(S - N)+]"),
        },
        quick=Size(4, 800, 20),
        full=Size(10, 6000, 20),
        build=build,
        measure=_measure_stock,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={"demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}}},
    )


def _measure_periodic(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    ts = _after_warmup(fr, size)
    # a day is free of stock-outs when every order placed on it was filled from stock
    free = ts["filled_from_stock"] == ts["orders"]
    return {"unit_fill": k["unit_fill_rate"], "stockout_free_days": float(free.mean())}


def _periodic_case() -> Case:
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
        quantities={
            "unit_fill": Quantity(th["unit_fill"], 0.01, "share of units filled from stock"),
            "stockout_free_days": Quantity(
                th["stockout_free_days"], 0.02, "share of days on which no order waited"
            ),
        },
        quick=Size(4, 1500, 30),
        full=Size(10, 10_000, 30),
        build=build,
        measure=_measure_periodic,
        command=f"--generate poisson --mean {lam:g}",
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
        quantities={"bullwhip": Quantity(value, 0.03, "Var(daily releases) / Var(daily demand)")},
        quick=Size(6, 800, 60),
        full=Size(20, 3000, 60),
        build=build,
        measure=_measure_bullwhip,
        command=f"--generate {demand['kind']} {gen}",
        extra={"demand": demand},
    )


def _bullwhip_cases() -> list[Case]:
    chen = "Chen, Drezner, Ryan and Simchi-Levi (2000) Management Science 46(3)"
    base = {"name": "supplier_centric", "review_days": 1, "min_lot": 0}
    lead, window, alpha, phi = 1.0, 5, 0.2, 0.5
    cover = lead + 1
    normal = {"kind": "normal", "orders": "daily", "params": {"mean": 200.0, "sd": 20.0}}
    ar1 = {"kind": "ar1", "orders": "daily", "params": {"mean": 200.0, "sd": 20.0, "phi": phi}}
    return [
        _bullwhip_case(
            "bullwhip_moving_average",
            {**base, "lead_time_days": lead, "forecast_window": window, "safety_factor": 0.0},
            normal,
            theory.bullwhip_moving_average(cover, window),
            f"Bullwhip, moving average of {window} days, cover L = {cover:g}, i.i.d. demand",
            chen,
            {"cover_days": cover, "window": window, "demand": "normal(200, 20)"},
        ),
        _bullwhip_case(
            "bullwhip_ar1",
            {**base, "lead_time_days": lead, "forecast_window": window, "safety_factor": 0.0},
            ar1,
            theory.bullwhip_moving_average(cover, window, phi),
            f"Bullwhip, moving average of {window} days, AR(1) demand (phi = {phi:g})",
            chen,
            {"cover_days": cover, "window": window, "phi": phi, "demand": "AR(1) mean 200, noise sd 20"},
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
        ),
    ]


# --- newsvendor -------------------------------------------------------------------------------------
NEWS = {"mean": 120.0, "sd": 10.0, "holding": 2.0, "shortage": 18.0, "extra_sd": 1.0}


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


def _news_day_costs(fr: FactoryRun, size: Size) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    h, b = NEWS["holding"], NEWS["shortage"]
    out: dict[str, float] = {}
    costs = {}
    for mode in ("ai", "cobot"):
        s = parse_scenario(_news_build(mode)(size), source=f"case {case.name}")
        fr = run_plant(case, size, seed, scenario=s)  # the same demand for both: paired
        stock, short, left = _news_day_costs(fr, size)
        cost = h * left + b * short
        costs[mode] = cost
        levels = [
            e["inputs"]["order_up_to"]
            for e in fr.firm.policy.decisions  # type: ignore[union-attr]
            if e["action"] == "release" and e["day"] >= size.warmup
        ]
        tag = "" if mode == "ai" else "_override"
        out[f"level{tag}"] = float(np.mean(levels))
        out[f"cost{tag}"] = float(cost.mean())
        out[f"fill{tag}"] = 1.0 - float(short.sum()) / float((short + stock - left).sum())
    out["override_price"] = float((costs["cobot"] - costs["ai"]).mean())
    return out


def _newsvendor_case() -> Case:
    m, sd, h, b, x = (NEWS[k] for k in ("mean", "sd", "holding", "shortage", "extra_sd"))
    best = theory.newsvendor(m, sd, h, b)
    over = theory.newsvendor(m, sd, h, b, extra_sd=x)
    return Case(
        name="newsvendor",
        title="The optimiser's critical fractile (ai) and the price of a human override (cobot)",
        source="Porteus (2002) ch. 1; the normal loss function; ANCHORS.md (S* = 132.8155, cost 35.0997)",
        params={"demand_mean": m, "demand_sd": sd, "holding": h, "shortage": b, "override_extra_sd": x},
        quantities={
            "level": Quantity(best["level"], 0.01, "mean order-up-to level S* the optimiser sets"),
            "cost": Quantity(best["cost"], 0.03, "mean cost a day, h x left over + b x short"),
            "fill": Quantity(best["fill"], 0.01, "share of units filled from stock"),
            "level_override": Quantity(over["level"], 0.01, "level under the cx_buffer override"),
            "cost_override": Quantity(over["cost"], 0.03, "mean cost a day under the override"),
            "fill_override": Quantity(over["fill"], 0.01, "fill rate under the override"),
            "override_price": Quantity(
                over["override_cost"], 0.03, "extra cost a day of the override (paired runs)"
            ),
        },
        quick=Size(4, 1200, 60),
        full=Size(10, 6000, 60),
        build=_news_build("ai"),
        measure=_measure_news,
        command="--generate normal --mean 120 --sd 10",
        note="Demand is N(120, 10) rounded to whole units: its sd is 10.004, which moves S* by 0.005.",
        extra={"demand": {"kind": "normal", "arrivals": "daily", "params": {"mean": m, "sd": sd}}},
    )


# --- closed lines -------------------------------------------------------------------------------
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
    quick: Size,
    full: Size,
) -> Case:
    law = theory.conwip_best_case if deterministic else theory.conwip_practical_worst_case
    th = law(stations, t, wip)
    overload = 1.4 * th["throughput"]
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
        title=f"CONWIP line, {stations} stations, WIP {wip}, jobs of {batch}: {which}",
        source="Hopp and Spearman, Factory Physics (3rd ed.) sec. 7.3 and 10.4",
        params={
            "stations": stations,
            "unit_time": t,
            "wip": wip,
            "transfer_batch": batch,
            "times": times["kind"],
        },
        quantities={
            "throughput": Quantity(th["throughput"], 0.02, "units finished a day"),
            "cycle_time": Quantity(th["cycle_time"], 0.02, "mean flow time through the line (days)"),
            "wip": Quantity(th["wip"], 0.01, "time-average units in the line"),
        },
        quick=quick,
        full=full,
        build=build,
        measure=_measure_line,
        command=f"--generate poisson --mean {overload:g} --arrivals continuous",
        extra={"demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": overload}}},
    )


KANBAN = {"rates": (10.0, 10.0, 10.0), "cards": (2, 2, 5), "demand": 7.0}


@cache
def _kanban_theory() -> theory.KanbanLine:
    return theory.kanban_line(KANBAN["rates"], KANBAN["cards"], KANBAN["demand"], max_backorders=250)


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


def _kanban_case() -> Case:
    rates, cards, lam = KANBAN["rates"], KANBAN["cards"], KANBAN["demand"]

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

    # the theory is solved lazily (a few seconds): the quantities carry placeholders filled in below
    return Case(
        name="kanban",
        title=f"Kanban line, {len(rates)} stations, cards {list(cards)}, Poisson demand",
        source="Hopp and Spearman, Factory Physics sec. 10.4; exact Markov chain "
        "(Buzacott and Shanthikumar 1993, ch. 5)",
        params={"service_rates": list(rates), "cards": list(cards), "arrival_rate": lam},
        quantities={},
        quick=Size(6, 1000, 40),
        full=Size(16, 8000, 40),
        build=build,
        measure=_measure_kanban,
        command=f"--generate poisson --mean {lam:g} --arrivals continuous",
        extra={
            "demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": lam}},
            "lazy_theory": True,
        },
    )


def kanban_quantities() -> dict[str, Quantity]:
    """The kanban case's theory (solving the chain takes a few seconds, so only when needed)."""
    k = _kanban_theory()
    return {
        "fill": Quantity(k.fill, 0.03, "share of orders filled from stock"),
        "backorders": Quantity(k.backorders, 0.06, "mean backorders (end-of-day samples)"),
        "stock": Quantity(k.stock, 0.03, "mean finished goods (end-of-day samples)"),
        "wip": Quantity(k.wip, 0.02, "time-average units in the line"),
    }


def _measure_breakdowns(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = _kpis(fr, size)
    st = fr.firm.plant.stages[0]
    return {"throughput": k["throughput_per_day"], "down_share": st.down_time / st.machine_days()}


def _breakdown_case() -> Case:
    machines, t, mtbf, mttr, wip = 2, 0.1, 2.0, 0.5, 12
    a = theory.availability(mtbf, mttr)
    rate = machines / t * a

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
        quantities={
            "throughput": Quantity(rate, 0.02, "units a day = machines / unit time x availability"),
            "down_share": Quantity(1 - a, 0.03, "share of machine time under repair"),
        },
        quick=Size(4, 400, 10),
        full=Size(10, 3000, 10),
        build=build,
        measure=_measure_breakdowns,
        command=f"--generate poisson --mean {1.4 * rate:g} --arrivals continuous",
        extra={"demand": {"kind": "poisson", "arrivals": "continuous", "params": {"mean": 1.4 * rate}}},
    )


# --- the catalogue -------------------------------------------------------------------------------------
@cache
def catalogue() -> dict[str, Case]:
    """Every case by name, in the order of the table."""
    cases = [
        _queue_case(
            "mm1",
            1,
            7.0,
            10.0,
            Size(6, 1500, 20),
            Size(16, 12_000, 20),
            {"wait": 0.04, "time": 0.03},
        ),
        _queue_case(
            "mm2",
            2,
            16.0,
            10.0,
            Size(6, 1500, 20),
            Size(16, 12_000, 20),
            {"wait": 0.05, "time": 0.03},
        ),
        _little_case(),
        _mts_case(),
        _base_stock_case("base_stock", _det(2.0)),
        _base_stock_case("base_stock_gamma", {"kind": "gamma", "mean": 2.0, "cv": 0.5}),
        _periodic_case(),
        *_bullwhip_cases(),
        _newsvendor_case(),
        _conwip_case("conwip", 4, 0.1, 4, 1, False, Size(4, 600, 10), Size(10, 5000, 10)),
        _conwip_case("conwip_batch", 4, 0.1, 8, 2, True, Size(2, 100, 5), Size(3, 500, 5)),
        _kanban_case(),
        _breakdown_case(),
    ]
    return {c.name: c for c in cases}


def quantities(case: Case) -> dict[str, Quantity]:
    """The case's checked quantities with their theory (solving any that are solved lazily)."""
    if case.extra.get("lazy_theory") and case.name == "kanban":
        return kanban_quantities()
    return case.quantities


def measure(name: str, quick: bool, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication of case ``name`` (a top-level function: process pools pickle it)."""
    case = catalogue()[name]
    size = case.quick if quick else case.full
    out = case.measure(case, size, seed)
    return {k: float(v) if v is not None else math.nan for k, v in out.items()}
