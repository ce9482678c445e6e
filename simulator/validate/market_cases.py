"""Market cases: the consumers' choice and the spread of news, run through the market model.

Each case is a scenario run by :func:`simulator.experiments.run.run_once` (what ``marketsim run``
runs); what it measures is read off the run's daily tables.

- **logit**: three firms whose offers differ only in quality and reputation, consumers who ignore
  values and have no loyalty, no social effects, equal prices and quotes. A consumer who buys then
  chooses firm j with the multinomial logit probability over q_j + r_j, the same for everyone
  whatever their price sensitivity (McFadden 1974): the firms' shares of all purchases.
- **bass**: a scandal at day 0 on a complete graph with a constant media hazard p and a peer
  hazard q: the aware share after t days against the Bass curve (Bass 1969) when the model
  integrates awareness within the day, or against its own documented daily rule otherwise
  (:func:`simulator.validate.theory.bass_daily`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.experiments.run import run_once
from simulator.scenario import GENERATIONS, parse_scenario
from simulator.validate import theory
from simulator.validate.cases import Case, Quantity, Size, bound

LOGIT_FIRMS = (("Alpha", 0.9, 0.9), ("Beta", 0.6, 0.6), ("Gamma", 0.5, 0.5))
"""(name, quality, reputation): utilities 1.8, 1.2, 1.0 above a common term, differences 0.6, 0, -0.2
(the logit example of ANCHORS.md)."""


def _logit_build(size: Size) -> dict[str, Any]:
    return {
        "name": "validate-logit",
        "description": "Three push firms equal but for quality and reputation; consumers who ignore "
        "values (value_intensity 0), feel no loyalty, see no posts: the choice among the firms is a "
        "plain multinomial logit over quality + reputation.",
        "run": {"days": size.days, "warmup_days": size.warmup, "seed": 1},
        "population": {
            "size": 5000,
            "value_intensity": 0.0,
            "traits": {g: {"loyalty": 0.0} for g in GENERATIONS},
        },
        "network": {"kind": "none"},
        "social": {"enabled": False},
        "firms": [
            {
                "name": name,
                "quality": q,
                "reputation": r,
                "factory": {"initial_stock": 100_000},
                "policy": {"name": "supplier_centric", "min_lot": 100},
            }
            for name, q, r in LOGIT_FIRMS
        ],
    }


def _measure_logit(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    res = run_once(case.scenario(size), seed=seed, agents=False)
    ts = res.timeseries
    ts = ts[ts["day"] >= size.warmup]
    by_firm = ts.groupby("firm")["orders"].sum()
    total = float(by_firm.sum())
    return {f"share_{name}": float(by_firm[name]) / total for name, _, _ in LOGIT_FIRMS}


def logit_case(size: Size, quick: bool) -> Case:
    """The multinomial logit among the firms, through the market model."""
    v = [q + r for _, q, r in LOGIT_FIRMS]
    shares = theory.logit_shares(np.asarray(v) - v[1])[1:]
    shares = shares / shares.sum()  # among those who buy
    return Case(
        name="logit",
        title="Multinomial logit: the firms' shares of purchases, utilities differing by 0.6, 0, -0.2",
        source="McFadden (1974); Train (2009) Discrete Choice Methods ch. 3; ANCHORS.md",
        params={
            "firms": [{"name": n, "quality": q, "reputation": r} for n, q, r in LOGIT_FIRMS],
            "utility_differences": [round(x - v[1], 6) for x in v],
        },
        theory_of=lambda: {
            f"share_{name}": Quantity(float(p), bound("share", quick), f"{name}'s share of purchases")
            for (name, _, _), p in zip(LOGIT_FIRMS, shares, strict=True)
        },
        size=size,
        build=_logit_build,
        measure=_measure_logit,
        quick=quick,
        note="In this model's utility (simulator.market.choice) quality and perceived reputation "
        "enter with weight 1 outside the price bracket, so with values switched off, loyalty 0, no "
        "social effects, equal prices and quotes, every consumer's choice among the firms is the "
        "same logit whatever their price sensitivity.",
    )


BASS_P, BASS_Q, BASS_N = 0.03, 0.38, 2000
"""The anchor's media and peer rates (ANCHORS.md) and the consumers on the complete graph."""
BASS_DAYS = (5, 10, 15)


def _bass_build(size: Size) -> dict[str, Any]:
    return {
        "name": "validate-bass",
        "description": "A scandal at day 0 spreads on a complete graph: media hazard p (constant), "
        "peer hazard q times the share of aware neighbours.",
        "run": {"days": size.days, "warmup_days": 0, "seed": 1},
        "population": {"size": BASS_N},
        "network": {"kind": "complete"},
        "social": {
            "media_rate": BASS_P,
            "peer_awareness_rate": BASS_Q,
            "media_decay_days": 1e9,
            "issue_days": 365,
        },
        "firms": [{"name": "A"}, {"name": "B"}],
        "events": [{"kind": "scandal", "day": 0, "firm": "A", "magnitude": 0.1}],
    }


def _measure_bass(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    res = run_once(case.scenario(size), seed=seed, agents=False)
    aware = res.market["aware:A"].to_numpy()
    # the issue starts on day 0: the row of day d holds the share after d + 1 days of spreading
    return {f"F({t})": float(aware[t - 1]) for t in BASS_DAYS}


def _model_integrates_within_day() -> bool:
    """Whether the market integrates awareness within each day (then the Bass curve is the
    theory) rather than taking one daily step (then its daily rule is)."""
    from simulator.market import boycott

    return hasattr(boycott, "bass_heun") or hasattr(boycott, "substeps")


def bass_case(size: Size, quick: bool) -> Case:
    """Awareness of a scandal on a complete graph against the Bass model."""
    p, q, n = BASS_P, BASS_Q, BASS_N
    t = np.asarray(BASS_DAYS, dtype=float)
    if _model_integrates_within_day():
        values = theory.bass_curve(t, p, q)
        rule = "the continuous-time Bass curve F(t)"
    else:
        values = theory.bass_daily(int(t.max()), p, q, n)[t.astype(int) - 1]
        rule = (
            "the model's daily rule: F_{d+1} = F_d + (1 - F_d)(1 - exp(-(p + q N F_d / (N - 1)))) "
            "(one step a day, the unaware consumer's neighbours being the other N - 1)"
        )
    return Case(
        name="bass",
        title=f"Awareness of a scandal on a complete graph (p = {p:g}, q = {q:g}, N = {n})",
        source="Bass (1969) Management Science 15(5); ANCHORS.md (F(5) = 0.3312 in continuous time)",
        params={"p": p, "q": q, "consumers": n, "days": [5, 10, 15], "theory": rule},
        theory_of=lambda: {
            f"F({int(d)})": Quantity(float(v), bound(kind, quick), f"aware share after {int(d)} days")
            for d, v, kind in zip(t, values, ("time", "fill", "exact"), strict=True)
        },
        size=size,
        build=_bass_build,
        measure=_measure_bass,
        quick=quick,
        note=f"Theory: {rule}.",
    )


def check_buildable() -> None:
    """Both market scenarios validate (used by the tests)."""
    parse_scenario(_logit_build(Size(1, 30, 5)))
    parse_scenario(_bass_build(Size(1, 16, 0)))
