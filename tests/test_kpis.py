"""KPIs as experts define them: calendar-day delivery, the requested date, service per policy,
bullwhip per review period, the KPI tables, and intervals for shares that stay in [0, 1]."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.demand import daily_table
from simulator.experiments import analysis
from simulator.factory_mode import FactoryRun
from simulator.firms.kpis import bullwhip, period_sums
from simulator.firms.orders import OrderBook
from simulator.scenario import parse_scenario
from tests.conftest import SCENARIOS

runner = CliRunner()


def det(mean: float) -> dict[str, Any]:
    return {"kind": "deterministic", "mean": mean}


def test_lateness_and_on_time_are_judged_by_calendar_day() -> None:
    """Due on day 12 (12.0 or 12.7): arriving at 12.9 is on time, at 13.1 a day late."""
    book = OrderBook(1)
    ids = book.add(
        np.arange(4),
        np.zeros(4, np.int16),
        np.ones(4, np.int32),
        placed=10.0,
        promised=np.array([12.0, 12.0, 12.7, 12.0]),
        deadline=np.full(4, np.inf),
        requested=np.full(4, 11.0),
    )
    book.mark_filled(ids[:3], 10.9, 2.0, from_stock=False)  # arrive at 12.9
    book.mark_filled(ids[1:2], 11.1, 2.0, from_stock=False)  # this one at 13.1
    assert book.late_days(ids[:3]).tolist() == [0.0, 1.0, 0.0]
    assert book.late_days(ids[:3], due="requested").tolist() == [1.0, 2.0, 1.0]
    assert np.isnan(book.late_days(ids[3:])).all()  # not delivered
    assert book.on_time("promised").tolist() == [True, False, True, False]
    assert book.on_time("promised", by=13.0).tolist() == [True, False, True, False]
    assert not book.on_time("requested").any()


def test_market_consumers_are_disappointed_only_by_a_late_calendar_day() -> None:
    from simulator.market.eventlog import EventKind
    from simulator.model import MarketModel
    from simulator.scenario import load_scenario

    model = MarketModel(load_scenario(SCENARIOS / "small.toml"), seed=4, agents=False)
    model.run(40)
    ev = pd.DataFrame(model.event_log.columns())
    late = ev.loc[ev["kind"] == int(EventKind.DELIVERY), "value"].to_numpy()
    assert len(late) and np.array_equal(late, np.round(late))  # whole days
    for f in model.firms:  # the log agrees with the order book's calendar days
        done = np.flatnonzero(f.orders.delivered < model.day - 1)
        o = f.orders
        expected = np.maximum(np.floor(o.delivered[done]) - np.floor(o.promised[done]), 0)
        assert np.array_equal(o.late_days(done), expected)


def plant_scenario(policy: dict[str, Any], **factory: Any) -> Any:
    """One firm, one stage making a unit in 0.25 days (4 a day), 2 shipping days, no breakdowns."""
    return parse_scenario(
        {
            "run": {"days": 20, "warmup_days": 0},
            "firms": [
                {
                    "name": "F",
                    "policy": policy,
                    "factory": {
                        "unit_time": det(0.25),
                        "initial_stock": 0,
                        "initial_material": 1000,
                        **factory,
                    },
                }
            ],
        }
    )


def test_otif_against_the_promised_and_the_requested_day_in_factory_mode() -> None:
    """8 unit orders a day for a plant making 4: the pull firm's quote grows with its backlog, so it
    keeps its promise while missing the customers' requested day (order + 2 shipping days)."""
    s = plant_scenario({"name": "demand_centric", "buffer": 0, "sop_days": 0})
    run = FactoryRun(s, "F", daily_table(np.full(20, 8)), seed=1, unit_orders=True)
    run.run(20)
    k = run.result(0).summary["firms"]["F"]
    o = run.firm.orders
    due = np.floor(o.requested) < 20
    on_req = np.floor(o.delivered) <= np.floor(o.requested)
    assert k["otif_requested"] == pytest.approx(on_req[due].sum() / due.sum())
    promised = np.floor(o.promised) < 20
    on_promise = np.floor(o.delivered) <= np.floor(o.promised)
    assert k["otif"] == pytest.approx(on_promise[promised].sum() / promised.sum())
    # only day 0's orders, quoted before any backlog, miss their promise
    assert k["otif_requested"] < 0.2 < 0.7 < k["otif"]
    assert (k["service_measure"], k["service_level"]) == ("otif_requested", k["otif_requested"])
    assert k["mean_quoted_days"] > 2.0 and k["backorders_end"] > 50


def test_service_level_is_the_fill_rate_for_make_to_stock() -> None:
    s = plant_scenario({"name": "supplier_centric", "review_days": 7, "min_lot": 10})
    run = FactoryRun(s, "F", daily_table(np.full(20, 3)), seed=1, unit_orders=True)
    run.run(20)
    k = run.result(0).summary["firms"]["F"]
    assert k["make_to"] == "stock" and k["service_measure"] == "fill_rate"
    assert k["service_level"] == k["fill_rate"]
    o = run.firm.orders
    assert k["fill_rate"] == pytest.approx(o.from_stock.mean())
    # cycle service level: weeks [0, 7), [7, 14) (the third is not whole) with no order waiting
    waited = {int(d) // 7 for d in o.placed[~o.from_stock] if d < 14}
    assert k["cycle_service_level"] == pytest.approx((2 - len(waited)) / 2)


def test_period_sums_keep_whole_periods_only() -> None:
    days = np.arange(3, 20)
    assert period_sums(days, np.ones(17), 7, 3).tolist() == [7.0, 7.0]
    assert period_sums(days, days, 5, 5).tolist() == [35.0, 60.0, 85.0]
    with pytest.raises(ValueError, match="period"):
        period_sums(days, days, 0, 0)


def test_bullwhip_per_review_period_is_not_the_daily_bucket_artefact() -> None:
    """A planner who releases, once a week, exactly the week's demand passes demand on unchanged:
    bullwhip 1 per review period, though daily buckets (six zero days in seven) say about 7 x 7."""
    rng = np.random.default_rng(0)
    days = np.arange(7 * 60)
    demand = rng.poisson(20, len(days)).astype(float)
    weekly = demand.reshape(-1, 7).sum(axis=1)
    released = np.zeros(len(days))
    released[::7] = weekly
    ratio, cv_q, cv_d = bullwhip(days, released, demand, 7, 0)
    assert ratio == pytest.approx(1.0) and cv_q == pytest.approx(cv_d)
    assert cv_d == pytest.approx(weekly.std(ddof=1) / weekly.mean())
    daily = bullwhip(days, released, demand, 1, 0)[0]
    assert daily is not None and daily > 40
    assert bullwhip(days[:20], released[:20], demand[:20], 7, 0) == (None, None, None)


def test_kpi_tables_show_the_four_kpis_teams_ask_for(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(SCENARIOS / "small.toml"), "--days", "40", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for words in ("Profit", "profit (accrual)", "cash profit", "Cost", "cost per unit", "Quality"):
        assert words in res.output
    for words in ("defects delivered ppm", "Delivery", "OTIF requested day", "turns, all stocks"):
        assert words in res.output
    assert "bullwhip per review" in res.output and "(7 d)" in res.output
    assert (out / "figures" / "profit_and_costs.png").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    push = summary["firms"]["PushCo"]
    assert push["bullwhip_period_days"] == 7 and push["service_measure"] == "fill_rate"
    res = runner.invoke(
        app,
        [
            "factory",
            str(SCENARIOS / "factory.toml"),
            "--firm",
            "Workshop",
            "--generate",
            "normal",
            "--out",
            str(tmp_path / "factory"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "OTIF requested day" in res.output and "market share" not in res.output
    assert (tmp_path / "factory" / "figures" / "profit_and_costs.png").exists()
    k = json.loads((tmp_path / "factory" / "summary.json").read_text())["firms"]["Workshop"]
    # 100 a day into a workshop that makes far fewer: the quote runs away, the request does not
    assert k["otif"] > 0.9 and k["otif_requested"] < 0.1 and k["service_measure"] == "otif_requested"


def test_compare_tables_give_shares_intervals_inside_the_unit_interval(tmp_path: Path) -> None:
    otif = {"a": [0.97, 1.0, 0.99, 1.0, 0.98], "b": [0.9, 0.95, 0.92, 0.97, 0.91]}
    rows = [
        {
            "point": 0,
            "replication": r,
            "policy": p,
            "firm": "F",
            "otif": otif[p][r],
            "profit": 100.0 + r,
        }
        for p in otif
        for r in range(5)
    ]
    manifest = {"firm": "F", "policies": ["a", "b"], "parameters": []}
    exp = analysis.Loaded(tmp_path, manifest, pd.DataFrame(rows))
    table = analysis.kpi_table(exp).set_index(["kpi", "policy"])
    assert table.loc[("otif", "a"), "high"] <= 1.0  # a t-interval would reach 1.0037
    assert table.loc[("otif", "a"), "mean"] == pytest.approx(0.988)
    from simulator.experiments.stats import t_interval

    assert table.loc[("profit", "a"), "high"] == pytest.approx(
        t_interval([100, 101, 102, 103, 104]).high
    )


def test_lost_sales_cost_their_margin_beside_profit() -> None:
    """When the market counts sales lost to the quote (``lost_sales``), each costs the unit
    contribution, shown beside profit and not subtracted from it (its revenue is already missing)."""
    from simulator.firms.kpis import supply_kpis

    s = plant_scenario({"name": "supplier_centric", "review_days": 7, "min_lot": 10}, shipping_cost=3.0)
    run = FactoryRun(s, "F", daily_table(np.full(20, 3)), seed=1, unit_orders=True)
    run.run(20)
    ts = run.timeseries()
    plain = supply_kpis(run.firm, ts, 0, 20.0)
    assert plain["lost_sales"] is None and plain["lost_sale_penalty"] is None
    ts["lost_sales"] = 2
    k = supply_kpis(run.firm, ts, 5, 20.0)
    # price 100 - standard cost (material 30 + production 15) - shipping 3 = 52 a unit, 15 days x 2
    assert k["lost_sales"] == 30 and k["lost_sale_penalty"] == pytest.approx(30 * 52.0)
    assert k["profit"] == supply_kpis(run.firm, ts.drop(columns="lost_sales"), 5, 20.0)["profit"]
