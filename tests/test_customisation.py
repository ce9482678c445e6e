"""Customised variants: a pull firm makes them to order; a push firm sells its standard one only."""

from __future__ import annotations

import numpy as np

from simulator.model import MarketModel
from tests.conftest import tiny_scenario


def test_only_a_customising_policy_offers_customised_variants() -> None:
    s = tiny_scenario(
        **{
            "firms.0.factory.variants": ["standard", "custom"],
            "firms.1.factory.variants": ["standard", "custom"],
            "run.days": 30,
        }
    )
    m = MarketModel(s, seed=4)
    offers = m.offers()
    assert offers.available.tolist() == [True, False, True, True]  # Push: standard only
    for _ in range(30):
        m.step()
    push, pull = m.firms
    assert push.orders.n > 0 and not np.any(push.orders.variant == 1)
    assert np.any(pull.orders.variant == 1)  # customised orders reach the pull firm
