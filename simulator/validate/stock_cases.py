"""Inventory cases: the make-to-stock queue, base stock, periodic review, bullwhip, newsvendor.

Each builds a one-firm scenario (:func:`simulator.validate.cases.plant`) run through the factory-only
mode on generated demand, and reads its KPIs, daily table and decision log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from simulator.factory_mode import FactoryRun
from simulator.scenario import parse_scenario
from simulator.validate import theory
from simulator.validate.cases import (
    INSTANT,
    Case,
    Quantity,
    Size,
    after_warmup,
    bound,
    det_dist,
    exp_dist,
    kpis_of,
    plant,
    poisson_demand,
    pull,
    run_plant,
)


# --- make to stock --------------------------------------------------------------------------------
def _measure_stock(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    ts = after_warmup(fr, size)
    return {
        "fill": k["fill_rate"],
        "backorders": float(ts["backorders"].mean()),
        "stock": float(ts["on_hand"].mean()),
    }


def mts_case(lam: float, mu: float, s: int, size: Size, quick: bool) -> Case:
    th = theory.make_to_stock_queue(lam, mu, s)

    def build(size: Size) -> dict[str, Any]:
        return plant(
            "validate-make-to-stock",
            [{"name": "make", "unit_time": exp_dist(1 / mu)}],
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
        extra={"demand": poisson_demand(lam)},
    )


def base_stock_case(
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
        extra={"demand": poisson_demand(lam)},
    )


def _measure_periodic(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    ts = after_warmup(fr, size)
    # a day is free of stock-outs when every order placed on it was filled from stock
    free = ts["filled_from_stock"] == ts["orders"]
    return {"unit_fill": k["unit_fill_rate"], "stockout_free_days": float(free.mean())}


def periodic_case(size: Size, quick: bool) -> Case:
    lam, lead, review, s = 10.0, 2, 3, 58
    th = theory.periodic_order_up_to(lam, lead, review, s)

    def build(size: Size) -> dict[str, Any]:
        return plant(
            "validate-periodic",
            [{"name": "make", "machines": 1, "unit_time": INSTANT}],
            pull(s, review_days=review),
            size,
            initial_stock=s,
            lead=det_dist(float(lead)),
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
    ts = after_warmup(fr, size)
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
            [{"name": "make", "machines": 4, "unit_time": det_dist(0.001)}],
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


def bullwhip_cases(size: Size, quick: bool) -> list[Case]:
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


def newsvendor_case(size: Size, quick: bool) -> Case:
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
