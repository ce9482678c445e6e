"""Scandals, boycotts, buycotts and support purchases; the vectorized day against the per-agent day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.market.eventlog import EventKind
from simulator.market.figures import boycott_figure
from simulator.model import MarketModel
from simulator.scenario import Scenario
from tests.conftest import tiny_scenario

SCANDAL = {"kind": "scandal", "day": 10, "firm": "Push", "magnitude": 0.4}
VIRTUE = {"kind": "virtue", "day": 5, "firm": "Pull", "magnitude": 0.3}


def _market(events: list[dict[str, object]], **over: object) -> Scenario:
    return tiny_scenario(
        **{
            "population.size": 2000,
            "run.days": 70,
            "firms.0.factory.initial_stock": 10**6,
            "firms.1.factory.initial_stock": 10**6,
            "events": events,
            **over,
        }
    )


def _orders(m: MarketModel, firm: int, first: int, last: int) -> int:
    return int(m.event_log.daily_counts(EventKind.PURCHASE, firm, first, last).sum())


def test_a_scandal_lowers_the_firms_share_and_raises_its_boycott_share() -> None:
    """Common random numbers: the same seeds with and without the scandal."""
    for seed in (1, 2, 3):
        calm = MarketModel(_market([]), seed=seed, agents=False)
        hit = MarketModel(_market([SCANDAL]), seed=seed, agents=False)
        calm.run(60)
        hit.run(60)
        share = [
            _orders(m, 0, 15, 59) / (_orders(m, 0, 15, 59) + _orders(m, 1, 15, 59)) for m in (calm, hit)
        ]
        assert share[1] < share[0] - 0.05, share
        bc = pd.DataFrame(hit.market_rows)["boycott:Push"]
        assert (pd.DataFrame(calm.market_rows)["boycott:Push"] == 0).all()
        assert (bc[:10] == 0).all() and bc.max() > 0.05
        assert pd.DataFrame(hit.market_rows)["boycott:Pull"].max() == 0


def test_boycott_rises_and_decays_and_some_never_return() -> None:
    s = _market([SCANDAL], **{"social.mean_boycott_days": 10.0})
    m = MarketModel(s, seed=4, agents=False)
    m.run(70)
    bc = pd.DataFrame(m.market_rows)["boycott:Push"].to_numpy()
    peak = int(bc.argmax())
    assert 10 < peak < 40
    assert bc[-1] < 0.5 * bc[peak]
    df = m.event_log.to_frame()
    leave = df[df["kind"] == "BOYCOTT_LEAVE"]
    joins = int((df["kind"] == "BOYCOTT_JOIN").sum())
    assert joins == len(leave) + int(m.population.boycott[:, 0].sum())
    lost = leave["value"].to_numpy()
    # share who never return: binomial 99.9% interval around the configured 0.36
    n = len(lost)
    assert n > 200
    assert abs(lost.mean() - 0.36) < 3.3 * np.sqrt(0.36 * 0.64 / n)
    assert int(m.population.never[:, 0].sum()) == int(lost.sum())
    # nobody who boycotts or will never return buys from the firm
    out = m.population.boycott[:, 0] | m.population.never[:, 0]
    bought_after = df[(df["kind"] == "PURCHASE") & (df["firm"] == 0) & (df["day"] == 69)]
    assert not out[bought_after["consumer"].to_numpy()].any()


def test_a_virtuous_act_starts_a_buycott_with_support_purchases() -> None:
    over = {
        "social.support_threshold": 0.0,
        "population.traits.millennials.support_rate": 0.2,
        "population.traits.gen_z.support_rate": 0.2,
    }
    calm = MarketModel(_market([], **over), seed=6, agents=False)
    good = MarketModel(_market([VIRTUE], **over), seed=6, agents=False)
    calm.run(40)
    good.run(40)
    rows = pd.DataFrame(good.market_rows)
    assert rows["buycott:Pull"].max() > 0.1 and rows["support_purchases"].sum() > 50
    assert pd.DataFrame(calm.market_rows)["support_purchases"].sum() == 0
    share = [_orders(m, 1, 8, 39) / (_orders(m, 0, 8, 39) + _orders(m, 1, 8, 39)) for m in (calm, good)]
    assert share[1] > share[0]


def test_support_purchases_add_orders_but_leave_consumption_and_need_unchanged() -> None:
    s = _market(
        [VIRTUE],
        **{
            "social.support_threshold": 0.0,
            "population.traits.millennials.support_rate": 0.3,
            "population.traits.gen_z.support_rate": 0.3,
        },
    )
    m = MarketModel(s, seed=8, agents=False)
    pop = m.population
    checked_buy = checked_delivery = 0
    for _ in range(30):
        before = {k: getattr(pop, k).copy() for k in ("next_need", "waiting", "purchases", "consumed")}
        d = m.day
        m.step()
        df = m.event_log.to_frame()
        today = df[df["day"] == d]
        support = set(today.loc[today["kind"] == "SUPPORT_PURCHASE", "consumer"])
        support_deliv = set()
        for f in m.firms:
            sup = m.support_order_mask(f)
            ids = f.deliveries_between(d - 1, d)
            support_deliv |= set(f.orders.consumer[ids[sup[ids]]].tolist())
        busy = set(today.loc[today["kind"].isin(["PURCHASE", "WENT_WITHOUT", "CANCEL"]), "consumer"])
        regular_deliv = set()
        for f in m.firms:
            sup = m.support_order_mask(f)
            ids = f.deliveries_between(d - 1, d)
            regular_deliv |= set(f.orders.consumer[ids[~sup[ids]]].tolist())
        quiet = np.array(sorted((support | support_deliv) - busy - regular_deliv), dtype=np.int64)
        for k, col in before.items():
            np.testing.assert_array_equal(getattr(pop, k)[quiet], col[quiet], err_msg=k)
        checked_buy += len(support - busy - regular_deliv)
        checked_delivery += len(support_deliv - busy - regular_deliv)
        # every support purchase is an order: the books count both kinds
        for f in m.firms:
            placed = f.orders.placed == d
            n_sup = int((placed & m.support_order_mask(f)).sum())
            n_all = int(placed.sum())
            assert n_sup == int(
                ((today["kind"] == "SUPPORT_PURCHASE") & (today["firm"] == f.index)).sum()
            )
            assert n_all - n_sup == int(
                ((today["kind"] == "PURCHASE") & (today["firm"] == f.index)).sum()
            )
            assert m.rows[-len(m.firms) + f.index]["orders"] == n_all
    assert checked_buy > 30 and checked_delivery > 30
    assert int(pop.supports.sum()) == int((m.event_log.to_frame()["kind"] == "SUPPORT_PURCHASE").sum())


def test_vectorized_day_equals_per_agent_day_on_the_same_draws() -> None:
    """Choices, posts, awareness, boycott and buycott states: identical, day after day."""
    s = tiny_scenario(
        **{
            "population.size": 400,
            "run.days": 40,
            "network.k": 6,
            "social.peer_boycott_rate": 2.0,
            "social.mean_boycott_days": 8.0,
            "social.media_rate": 0.2,
            "social.support_threshold": 0.0,
            "population.traits.gen_z.support_rate": 0.3,
            "population.traits.millennials.support_rate": 0.3,
            "events": [
                {"kind": "scandal", "day": 3, "firm": "Push", "magnitude": 0.4},
                {"kind": "virtue", "day": 5, "firm": "Pull", "magnitude": 0.3},
            ],
        }
    )
    fast = MarketModel(s, seed=9)
    slow = MarketModel(s, seed=9)
    slow.population.per_agent = True
    key = ["day", "kind", "consumer", "firm"]
    for _ in range(40):
        fast.step()
        slow.step()
        np.testing.assert_array_equal(fast.last_choices, slow.last_choices)
    a = fast.event_log.to_frame().sort_values([*key, "value"]).reset_index(drop=True)
    b = slow.event_log.to_frame().sort_values([*key, "value"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key], b[key])
    np.testing.assert_allclose(a["value"], b["value"], rtol=1e-6)
    counts = a["kind"].value_counts()
    for kind in ("PURCHASE", "POST_VALUES", "BOYCOTT_JOIN", "BOYCOTT_LEAVE", "BUYCOTT_JOIN"):
        assert counts[kind] > 20, kind  # the comparison covered many of each decision
    assert counts["SUPPORT_PURCHASE"] > 20 and counts["POST_NEGATIVE"] + counts["POST_POSITIVE"] > 10
    p, q = fast.population, slow.population
    for col in ("aware", "boycott", "buycott", "never", "left", "declared_boycott", "waiting"):
        np.testing.assert_array_equal(getattr(p, col), getattr(q, col), err_msg=col)
    np.testing.assert_allclose(p.reputation, q.reputation, atol=1e-12)
    np.testing.assert_allclose(p.next_need, q.next_need, atol=1e-9)


def test_boycott_figure_from_a_runs_tables(tmp_path: Path) -> None:
    m = MarketModel(_market([SCANDAL], **{"run.days": 30}), seed=1, agents=False)
    m.run(30)
    fig = boycott_figure(m.market_series(), m.timeseries(), "Push")
    top = fig.axes[0]
    np.testing.assert_allclose(top.lines[1].get_ydata(), m.market_series()["boycott:Push"])
    fig.savefig(tmp_path / "b.png")
    assert (tmp_path / "b.png").stat().st_size > 10_000
    with pytest.raises(KeyError, match="boycott:Push"):
        boycott_figure(m.market_series().drop(columns=["boycott:Push"]), m.timeseries(), "Push")
