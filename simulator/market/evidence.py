"""The consumers against the evidence: a survey replicated through the model, and measured elasticities.

Like a market researcher checking a panel against published studies, this module asks the simulated
consumers the questions the surveys asked, through the same code a user runs (a scenario built in
memory and :class:`~simulator.model.MarketModel`):

- :func:`survey_replication`: two products equal but for their values (a sustainable one, ethics 1 on
  every dimension, and a conventional one at the reference score), the sustainable one dearer by a
  premium; social effects off, ample stock, no brand tastes (the survey's products are unbranded) and
  equal numbers of each generation. Each consumer's first purchase is their answer; the share
  choosing the sustainable product among those who bought is printed beside the survey's share
  willing to pay that premium, stated (First Insight and Wharton 2020, with the normal fit between its
  two figures) and after Nielsen's say-do discount (the share who act).
- :func:`elasticity`: a firm's arc elasticity of consumption orders with respect to one of its
  attributes (its price, or its perceived reputation), from paired runs of a scenario with the
  attribute raised and lowered by a small step on the same seeds (common random numbers), with a
  t-interval over replications. Branded consumer goods have own-price elasticities around -2.5
  (Bijmolt, van Heerde and Pieters 2005); the valence elasticity of word of mouth is about 0.42 (You,
  Vadakkepatt and Joshi 2015).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import norm

from simulator.market.eventlog import EventKind
from simulator.market.generations import calibration, generation_params, survey_shares
from simulator.model import MarketModel
from simulator.scenario import GENERATIONS, Scenario, parse_scenario

PREMIUMS: tuple[float, ...] = (0.05, 0.10, 0.20)
"""Premiums of the built-in survey replication (0.10 is the survey's own question)."""


def survey_scenario(premium: float, size: int = 20_000, seed: int = 1) -> Scenario:
    """The survey's question as a market: two products equal but for their values."""
    ref = parse_scenario({"firms": [{"name": "x"}]}).population.reference_ethics
    stock = {"initial_stock": 10 * size, "initial_material": 10 * size}
    policy = {"name": "supplier_centric", "min_lot": 1}
    return parse_scenario(
        {
            "name": f"survey-premium-{premium:g}",
            "run": {"days": 31, "warmup_days": 0, "seed": seed},
            "population": {
                "size": size,
                "mix": {g: 0.2 for g in GENERATIONS},
                "brand_taste_sd": 0.0,
            },
            "network": {"kind": "none"},
            "social": {"enabled": False},
            "firms": [
                {
                    "name": "Conventional",
                    "price": 100.0,
                    "ethics": {"environment": ref, "fair_labour": ref, "animal_welfare": ref},
                    "factory": stock,
                    "policy": policy,
                },
                {
                    "name": "Sustainable",
                    "price": 100.0 * (1.0 + premium),
                    "ethics": {"environment": 1.0, "fair_labour": 1.0, "animal_welfare": 1.0},
                    "factory": stock,
                    "policy": policy,
                },
            ],
        }
    )


def first_choices(model: MarketModel) -> pd.DataFrame:
    """Each consumer's first purchase: consumer, generation, firm chosen. (A survey asks which of
    two products one would buy; a shopper who bought neither on an occasion answers at the next.)"""
    df = model.event_log.to_frame()
    df = df[df["kind"] == EventKind.PURCHASE.name]
    first = df.drop_duplicates("consumer", keep="first")
    return pd.DataFrame(
        {
            "consumer": first["consumer"].to_numpy(),
            "generation": model.population.generation[first["consumer"].to_numpy()],
            "firm": first["firm"].to_numpy(),
        }
    )


def survey_targets(premium: float) -> tuple[np.ndarray, np.ndarray]:
    """Per generation: the stated share willing to pay ``premium`` more (the survey's normal fit,
    thin subsamples shrunk) and the share who act on it (times the say-do ratio)."""
    gp = generation_params()
    stated = norm.sf(premium, gp.wtp_mu, gp.wtp_sigma)
    return stated, stated * gp.say_do


def survey_replication(
    premiums: Sequence[float] = PREMIUMS, size: int = 20_000, seed: int = 1
) -> pd.DataFrame:
    """Simulated share choosing the sustainable product by generation and premium, beside the survey.

    Returns:
        One row per premium and generation: ``premium``, ``generation``, ``simulated`` (share of
        buyers choosing the sustainable product), ``ci`` (its 95% Wilson half-width), ``n``
        (buyers), ``survey_stated``, ``survey_acting`` (after the say-do ratio), ``thin_data``.
    """
    _, _, thin = survey_shares()
    rows = []
    for prem in premiums:
        model = MarketModel(survey_scenario(prem, size, seed), agents=False)
        model.run()
        fc = first_choices(model)
        stated, acting = survey_targets(prem)
        for k, g in enumerate(GENERATIONS):
            mine = fc[(fc["generation"] == k) & (fc["firm"] >= 0)]
            n = len(mine)
            share = float((mine["firm"] == 1).mean()) if n else float("nan")
            rows.append(
                {
                    "premium": prem,
                    "generation": g,
                    "simulated": share,
                    "ci": _wilson_half(share, n),
                    "n": n,
                    "survey_stated": float(stated[k]),
                    "survey_acting": float(acting[k]),
                    "thin_data": g in thin,
                }
            )
    return pd.DataFrame(rows)


def _wilson_half(p: float, n: int, level: float = 0.95) -> float:
    if n == 0 or math.isnan(p):
        return float("nan")
    z = float(norm.ppf(0.5 + level / 2))
    return z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def survey_surveyed() -> dict[str, tuple[float, float]]:
    """The raw survey figures per generation (P(W > 0), P(W >= 10%)), before any shrinking."""
    cal = calibration()["wtp_values"]
    return {g: (float(cal["willing_any"][g]), float(cal["willing_10pct"][g])) for g in GENERATIONS}


@dataclass(frozen=True)
class Elasticity:
    """An arc elasticity estimated over paired replications."""

    attribute: str
    firm: str
    step: float
    mean: float
    ci_low: float
    ci_high: float
    replications: list[float]


def elasticity(
    scenario: Scenario,
    firm: str,
    attribute: str = "price",
    step: float = 0.02,
    replications: int = 5,
    seed: int | None = None,
) -> Elasticity:
    """Arc elasticity of ``firm``'s consumption orders (after warm-up) with respect to its
    ``attribute`` (``price`` or ``reputation``), raised and lowered by ``step`` (a share) on the same
    seeds; a 95% t-interval over ``replications`` pairs."""
    names = [f.name for f in scenario.firms]
    if firm not in names:
        raise ValueError(f"no firm named {firm!r} (firms: {', '.join(names)})")
    if attribute not in ("price", "reputation"):
        raise ValueError(f"attribute must be price or reputation, not {attribute!r}")
    i = names.index(firm)
    base = float(getattr(scenario.firms[i], attribute))
    root = np.random.SeedSequence(scenario.run.seed if seed is None else seed)
    values = []
    for rep in root.spawn(replications):
        units = []
        for sign in (-1.0, 1.0):
            level = base * (1.0 + sign * step)
            s = scenario.with_overrides({f"firms.{i}.{attribute}": level})
            m = MarketModel(s, seed=rep, agents=False)
            m.run()
            ts = m.timeseries()
            mine = ts[(ts["firm"] == firm) & (ts["day"] >= s.run.warmup_days)]
            units.append(float((mine["units_ordered"] - mine["support_orders"]).sum()))
        lo, hi = units
        values.append(((hi - lo) / (hi + lo)) / (step / 1.0))
    x = np.array(values)
    half = (
        float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
    )
    mean = float(x.mean())
    return Elasticity(attribute, firm, step, mean, mean - half, mean + half, values)


SHARING_PATHS: tuple[str, ...] = (
    "social.positive_weight",
    "social.negative_weight",
    "social.values_weight",
    "social.peer_purchase_weight",
    "social.peer_awareness_rate",
    "social.peer_boycott_rate",
)
"""The strengths of sharing: how much a neighbour's post, purchase, awareness or declared stand
moves a consumer. A sharing sweep multiplies them all by one factor (posting rates stay at Pew's)."""


def sharing_sweep(
    scenario: Scenario,
    factors: Sequence[float] = (0.0, 0.5, 1.0, 2.0, 4.0),
    replications: int = 3,
    seed: int | None = None,
) -> pd.DataFrame:
    """Each firm's market share (consumption orders after warm-up) with every sharing strength
    multiplied by each factor, on the same replication seeds (common random numbers).

    Returns:
        One row per factor and firm: ``factor``, ``firm``, ``share`` (mean over replications),
        ``diff`` (paired difference against factor 1, when swept), ``ci`` (95% t half-width of the
        difference) and the mean share by generation (``share_GEN``).
    """
    root = np.random.SeedSequence(scenario.run.seed if seed is None else seed)
    reps = root.spawn(replications)
    names = [f.name for f in scenario.firms]
    shares: dict[float, list[np.ndarray]] = {}
    by_gen: dict[float, list[np.ndarray]] = {}
    for k in factors:
        over = {p: _path_value(scenario, p) * k for p in SHARING_PATHS}
        s = scenario.with_overrides(over)
        shares[k], by_gen[k] = [], []
        for rep in reps:
            m = MarketModel(s, seed=rep, agents=False)
            m.run()
            ts = m.timeseries()
            ts = ts[ts["day"] >= s.run.warmup_days]
            units = (ts["units_ordered"] - ts["support_orders"]).groupby(ts["firm"]).sum()
            shares[k].append(np.array([units[n] / units.sum() for n in names]))
            gen = ts.groupby("firm")[[f"orders_{g}" for g in GENERATIONS]].sum()
            by_gen[k].append((gen / gen.sum()).loc[names].to_numpy())
    rows = []
    for k in factors:
        x = np.array(shares[k])
        base = np.array(shares[1.0]) if 1.0 in shares else x
        d = x - base
        half = (
            stats.t.ppf(0.975, len(d) - 1) * d.std(axis=0, ddof=1) / math.sqrt(len(d))
            if len(d) > 1
            else np.zeros(len(names))
        )
        g = np.mean(by_gen[k], axis=0)
        for i, n in enumerate(names):
            rows.append(
                {
                    "factor": k,
                    "firm": n,
                    "share": float(x[:, i].mean()),
                    "diff": float(d[:, i].mean()),
                    "ci": float(half[i]),
                    **{f"share_{gname}": float(g[i, j]) for j, gname in enumerate(GENERATIONS)},
                }
            )
    return pd.DataFrame(rows)


def _path_value(scenario: Scenario, path: str) -> float:
    obj: object = scenario
    for part in path.split("."):
        obj = getattr(obj, part)
    return float(obj)  # type: ignore[arg-type]
