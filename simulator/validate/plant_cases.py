"""Plant cases: queues, Little's law, closed lines (CONWIP, kanban) and breakdowns.

Each builds a one-firm scenario (:func:`simulator.validate.cases.plant`) run through the factory-only
mode on generated demand, and reads its KPIs, daily table and plant records.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from simulator.validate import theory
from simulator.validate.cases import (
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
    stage_wait,
)


# --- queues ---------------------------------------------------------------------------------------
def _measure_queue(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    ts = after_warmup(fr, size)
    return {
        "Wq": stage_wait(fr, size),
        "Lq": float(ts["queue_make"].mean()),
        "W": k["mean_flow_time_days"],
        "L": k["mean_wip"],
        "lead_time": k["mean_lead_time_days"],
        "utilisation": fr.firm.plant.stages[0].utilisation(),
    }


def queue_case(name: str, c: int, lam: float, mu: float, size: Size, quick: bool) -> Case:
    th = theory.mmc(c, lam, mu)
    label = "M/M/1" if c == 1 else f"M/M/{c}"

    def build(size: Size) -> dict[str, Any]:
        return plant(
            f"validate-{name}",
            [{"name": "make", "machines": c, "unit_time": exp_dist(1 / mu)}],
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
        extra={"demand": poisson_demand(lam)},
    )


def _measure_little(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    return {
        "L/(TH W)": k["mean_wip"] / (k["throughput_per_day"] * k["mean_flow_time_days"]),
        "TH": k["throughput_per_day"],
    }


def little_case(size: Size, quick: bool) -> Case:
    lam = 6.0
    stages: list[dict[str, Any]] = [
        {
            "name": "fab",
            "machines": 2,
            "unit_time": {"kind": "gamma", "mean": 0.2, "cv": 0.5},
            "setup_days": 0.01,
            "mtbf_days": 3.0,
            "mttr_days": exp_dist(0.2),
            "defect_rate": 0.1,
            "rework": True,
        },
        {"name": "paint", "unit_time": {"kind": "lognormal", "mean": 0.08, "cv": 1.5}},
        {"name": "pack", "machines": 2, "unit_time": det_dist(0.1), "shifts": 2},
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
        extra={"demand": poisson_demand(lam)},
    )


# --- closed lines ---------------------------------------------------------------------------------
def _measure_line(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    return {
        "throughput": k["throughput_per_day"],
        "cycle_time": k["mean_flow_time_days"],
        "wip": k["mean_wip"],
    }


def conwip_case(
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
    times = det_dist(t) if deterministic else exp_dist(t)
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
        extra={"demand": poisson_demand(overload)},
    )


def _measure_kanban(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    ts = after_warmup(fr, size)
    return {
        "fill": k["fill_rate"],
        "backorders": float(ts["backorders"].mean()),
        "stock": float(ts["on_hand"].mean()),
        "wip": k["mean_wip"],
    }


@cache
def _kanban_line(rates: tuple[float, ...], cards: tuple[int, ...], lam: float) -> theory.KanbanLine:
    return theory.kanban_line(rates, cards, lam, max_backorders=250)


def kanban_case(lam: float, rate: float, size: Size, quick: bool) -> Case:
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
            [{"name": f"station{i + 1}", "unit_time": exp_dist(1 / r)} for i, r in enumerate(rates)],
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
        extra={"demand": poisson_demand(lam)},
    )


def _measure_breakdowns(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    fr = run_plant(case, size, seed)
    k = kpis_of(fr, size)
    st = fr.firm.plant.stages[0]
    return {"throughput": k["throughput_per_day"], "down_share": st.down_time / st.machine_days()}


def breakdown_case(x: float, size: Size, quick: bool) -> Case:
    machines, t, mtbf, mttr, wip = 2, 0.1 / x, 2.0 / x, 0.5 / x, 12
    a = theory.availability(mtbf, mttr)
    rate = machines / t * a
    overload = round(1.2 * rate, 3)

    def build(size: Size) -> dict[str, Any]:
        stage = {
            "name": "make",
            "machines": machines,
            "unit_time": exp_dist(t),
            "mtbf_days": mtbf,
            "mttr_days": exp_dist(mttr),
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
        extra={"demand": poisson_demand(overload)},
    )
