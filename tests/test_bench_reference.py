"""The benchmark's naive per-agent market is the same market as the model: same draws, same results.

``benchmarks/`` compares the speed of :class:`~simulator.model.MarketModel` with a naive Mesa
version (one Python object per consumer). The comparison is only fair if both simulate the same
thing, so this test runs both on a small scenario with the same seed and asks for identical choices,
books and event counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.naive import NaiveMarket
from simulator.market.eventlog import EventKind
from simulator.model import MarketModel
from tests.conftest import tiny_scenario

DAYS = 40
# shocks that make both plants short, so orders queue and some consumers give up waiting
SHOCKS = [
    {"kind": "demand_shift", "day": 6, "magnitude": 3.0, "duration_days": 20},
    {"kind": "supply_disruption", "day": 2, "firm": "Push", "duration_days": 25},
    {"kind": "supply_disruption", "day": 2, "firm": "Pull", "duration_days": 25},
]


def _model_events(model: MarketModel) -> list[tuple[int, int, int, int]]:
    cols = model.event_log.columns()
    rows = zip(*(cols[c].tolist() for c in ("kind", "day", "consumer", "firm")), strict=True)
    return sorted(rows)


def test_naive_market_gives_the_same_choices_and_books_as_the_model() -> None:
    scenario = tiny_scenario(**{"run.days": DAYS, "events": SHOCKS})
    model = MarketModel(scenario, seed=11, agents=False)
    naive = NaiveMarket(scenario, seed=11)
    shoppers = 0
    for day in range(DAYS):
        model.step()
        naive.step()
        fast = model.last_choices
        slow = naive.choices_by_day[day]
        # the naive dict is in consumer order, as are the model's shoppers
        assert len(fast) == len(slow), f"day {day}: {len(fast)} vs {len(slow)} shoppers"
        np.testing.assert_array_equal(fast, np.array(list(slow.values()), dtype=fast.dtype))
        shoppers += len(fast)
    assert shoppers > 500  # the comparison covered many decisions, buying and not buying
    assert (model.timeseries()["orders"] > 0).any()
    pd.testing.assert_frame_equal(
        model.timeseries(), pd.DataFrame(naive.rows).astype({"firm": "string"}), check_dtype=False
    )
    # market-wide figures include mean perceived reputations, summed in another order
    pd.testing.assert_frame_equal(
        model.market_series(), pd.DataFrame(naive.market_rows), check_dtype=False, rtol=1e-9
    )
    # who did what with which firm on which day (the log's order within a day differs: the model
    # writes per firm and kind, the agents one after another)
    naive_events = sorted((int(k), day, c, firm) for k, day, c, firm, _v in naive.log)
    assert naive_events == _model_events(model)
    kinds = {e[0] for e in naive_events}
    used = {
        EventKind.PURCHASE,
        EventKind.WENT_WITHOUT,
        EventKind.DELIVERY,
        EventKind.CANCEL,
        EventKind.POST_POSITIVE,
        EventKind.POST_NEGATIVE,
        EventKind.POST_VALUES,
    }
    assert {int(k) for k in used} <= kinds
