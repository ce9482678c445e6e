"""Honest demand sensing: a firm's feed holds only what is public and its own order desk, and the
weight of each signal is estimated from the data the firm has seen."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.market.eventlog import EventKind
from simulator.model import MarketModel
from simulator.policies.sensing import (
    KIND_CODES,
    OWN_KINDS,
    PRIVATE_KINDS,
    PUBLIC_KINDS,
    MarketFeed,
    OwnOrdersFeed,
    fit_weights,
)
from tests.conftest import tiny_scenario


def test_the_feed_kinds_follow_the_event_logs_visibility() -> None:
    """Every kind of the log is public, own or private, and the feed's copy agrees kind by kind."""
    for kind in EventKind:
        name = kind.name.lower()
        if kind.visibility == "private":
            assert name in PRIVATE_KINDS and name not in KIND_CODES, name
        else:
            assert KIND_CODES[name] == int(kind), name
            assert name in (PUBLIC_KINDS if kind.visibility == "public" else OWN_KINDS), name
    assert {"boycott_join", "buycott_join", "aware", "went_without"} <= PRIVATE_KINDS


def test_the_sensing_feed_contains_no_private_event() -> None:
    """Issue 12: through a scandal-and-virtue run, a firm's feed answers exactly the public events
    about any firm and its own order desk's events, and refuses every private kind, which the log
    holds in numbers (7,638 private boycott joins reached the feed before)."""
    s = tiny_scenario(
        **{
            "population.size": 1500,
            "run.days": 40,
            "events": [
                {"kind": "scandal", "day": 5, "firm": "Push", "magnitude": 0.4},
                {"kind": "virtue", "day": 8, "firm": "Pull", "magnitude": 0.3},
            ],
        }
    )
    m = MarketModel(s, seed=3)
    m.run()
    log = m.event_log
    df = log.to_frame()
    for firm in m.firms:
        feed = MarketFeed(log, firm.index)
        seen = 0
        for kind in EventKind:
            name = kind.name.lower()
            for about in range(len(m.firms)):
                actual = int((df["kind"].eq(kind.name) & df["firm"].eq(about)).sum())
                visible = kind.visibility == "public" or (
                    kind.visibility == "own" and about == firm.index
                )
                if visible:
                    got = feed.counts(name, 0, m.day - 1, firm=about)
                    assert int(got.sum()) == actual, (name, about)
                    seen += actual
                else:
                    with pytest.raises(PermissionError):
                        feed.counts(name, 0, m.day - 1, firm=about)
        assert seen > 0
    private = df[df["kind"].isin([k.name for k in EventKind if k.visibility == "private"])]
    assert (private["kind"] == "BOYCOTT_JOIN").sum() > 100  # there was something to hide
    announced = (df["kind"] == "BOYCOTT_ANNOUNCE").sum()
    assert 0 < announced < (df["kind"] == "BOYCOTT_JOIN").sum()
    # a firm without an event log sees its own desk only, and never a private kind
    own = OwnOrdersFeed(m.firms[0])
    assert own.counts("purchase", 0, m.day - 1).sum() == m.firms[0].orders.n
    with pytest.raises(PermissionError):
        own.counts("boycott_join", 0, 5)


def test_the_regression_learns_a_signals_weight_from_the_data() -> None:
    """A market where announced boycotts come in waves and each one a day goes with 3 fewer orders
    a day (not the prior's 0.5): with a long history the fit finds most of the 3 (a little less: the
    weekly mean of a Poisson count measures the wave with noise, a week's window straddles the end of
    a wave, and the prior still pulls), with a short one it stays near the prior."""
    rng = np.random.default_rng(0)
    t, w = 600, 7
    level = np.repeat(rng.choice([0.0, 4.0, 8.0, 12.0], t // 60), 60)  # waves of 60 days
    announce = rng.poisson(level).astype(float)
    purchase = rng.poisson(60.0 - 3.0 * level).astype(float)
    prior = {"boycott_announce": -0.5}
    series = {"purchase": purchase, "boycott_announce": announce}
    intercept, long_fit, used = fit_weights(series, w, prior)
    assert used == t - w
    assert -3.3 < long_fit["boycott_announce"] < -1.8 and 50 < intercept < 65
    _, short_fit, used = fit_weights({k: v[:12] for k, v in series.items()}, w, prior)
    assert used == 5 and abs(short_fit["boycott_announce"] - prior["boycott_announce"]) < 1.0
    # no day with its following week seen: the prior as it is
    assert fit_weights({k: v[:w] for k, v in series.items()}, w, prior) == (0.0, prior, 0)
