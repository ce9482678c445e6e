"""Market cases: the consumers' choice and the spread of news, run through the market model.

Each case is a scenario run by :func:`simulator.experiments.run.run_once` (what ``marketsim run``
runs); what it measures is read off the run's daily tables.

- **logit**: three firms whose offers differ only in quality and reputation, consumers who ignore
  values, have no brand taste or loyalty, see no social effects and always buy, equal prices and
  quotes. A consumer of logit scale beta chooses firm j with the logit probability over beta x
  (the firm's worth in price units); the firms' shares of all purchases are its average over the
  calibrated lognormal spread of beta (McFadden 1974; Train 2009).
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

LOGIT_UTILITY = (0.6, 0.0, -0.2)
"""The logit example of ANCHORS.md: the firms' utilities at the median logit scale, relative to the
second's."""


def _logit_calibration() -> tuple[float, float, float, float]:
    """(median logit scale, its log-sd, quality weight, reputation weight) of the consumers, from the
    calibration file the model reads (``simulator/data/generations.toml``)."""
    from simulator.market.generations import calibration

    cal = calibration()
    medians = set(cal["price_sensitivity"]["median"].values())
    if len(medians) != 1:
        raise ValueError("the logit case needs one median price sensitivity for every generation")
    util = cal["utility"]
    return (
        float(medians.pop()),
        float(cal["price_sensitivity"]["log_sd"]),
        float(util["quality"]),
        float(util["reputation"]),
    )


def _logit_firms() -> list[tuple[str, float]]:
    """(name, quality = reputation) of three firms whose utilities at the median scale differ by
    :data:`LOGIT_UTILITY`."""
    beta, _, wq, wr = _logit_calibration()
    return [
        (name, 0.5 + v / (beta * (wq + wr)))
        for name, v in zip(("Alpha", "Beta", "Gamma"), LOGIT_UTILITY, strict=True)
    ]


def _logit_build(size: Size) -> dict[str, Any]:
    return {
        "name": "validate-logit",
        "description": "Three push firms equal but for quality and reputation, at the reference price; "
        "consumers who ignore values (value_intensity 0), have no brand taste and no loyalty, see no "
        "posts, and always buy (purchase_constant 20): the choice among the firms is a logit mixed "
        "over the calibrated spread of price sensitivity.",
        "run": {"days": size.days, "warmup_days": size.warmup, "seed": 1},
        "population": {
            "size": 5000,
            "value_intensity": 0.0,
            "brand_taste_sd": 0.0,
            "purchase_constant": 20.0,
            "traits": {g: {"loyalty": 0.0} for g in GENERATIONS},
        },
        "network": {"kind": "none"},
        "social": {"enabled": False},
        "firms": [
            {
                "name": name,
                "price": 100.0,
                "quality": round(q, 6),
                "reputation": round(q, 6),
                "factory": {"initial_stock": 100_000},
                "policy": {"name": "supplier_centric", "min_lot": 100},
            }
            for name, q in _logit_firms()
        ],
    }


def _measure_logit(case: Case, size: Size, seed: np.random.SeedSequence) -> dict[str, float]:
    res = run_once(case.scenario(size), seed=seed, agents=False)
    ts = res.timeseries
    ts = ts[ts["day"] >= size.warmup]
    by_firm = ts.groupby("firm")["orders"].sum()
    total = float(by_firm.sum())
    return {f"share_{name}": float(by_firm[name]) / total for name, _ in _logit_firms()}


def logit_case(size: Size, quick: bool) -> Case:
    """The (mixed) multinomial logit among the firms, through the market model."""

    def solved() -> dict[str, Quantity]:
        beta, log_sd, wq, wr = _logit_calibration()
        firms = _logit_firms()
        money = [(wq + wr) * (q - 0.5) for _, q in firms]
        shares = theory.mixed_logit_shares(money, beta, log_sd)
        return {
            f"share_{name}": Quantity(float(p), bound("share", quick), f"{name}'s share of purchases")
            for (name, _), p in zip(firms, shares, strict=True)
        }

    beta, log_sd, wq, wr = _logit_calibration()
    return Case(
        name="logit",
        title="Logit mixed over the spread of price sensitivity: the firms' shares of purchases",
        source="McFadden (1974); Train (2009) Discrete Choice Methods ch. 3 and 6; ANCHORS.md",
        params={
            "utility_at_median_scale": list(LOGIT_UTILITY),
            "beta_median": beta,
            "beta_log_sd": log_sd,
            "quality_weight": wq,
            "reputation_weight": wr,
            "firms": [
                {"name": n, "quality": round(q, 6), "reputation": round(q, 6)} for n, q in _logit_firms()
            ],
        },
        theory_of=solved,
        size=size,
        build=_logit_build,
        measure=_measure_logit,
        quick=quick,
        note="In the model's utility (simulator.market.choice) quality and perceived reputation are "
        "worth (their weight) x (level - 1/2) in price units, times the consumer's logit scale "
        "beta = median x exp(log_sd Z). With values, brand taste, loyalty and social effects off, "
        "equal prices and quotes, and everyone buying, a consumer of scale beta chooses firm j with "
        "the logit probability exp(beta m_j) / sum_k exp(beta m_k), and the firms' shares are its "
        "average over beta (Gauss-Hermite quadrature): at the median scale alone they would be "
        "those of the anchor example, 0.5005, 0.2747, 0.2249.",
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
