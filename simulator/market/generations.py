"""Generations: the cohorts consumers belong to and the trait distributions each one brings.

A generation is a birth cohort (Pew's cut-offs by default, configurable) whose members share a
distribution for each trait: how much more they pay for a firm whose values they share, how
sensitive they are to price, how long they will wait, whether they are on social media and how often
they post, how easily peers sway them. The numbers live in ``simulator/data/generations.toml``, each
with its source; a scenario may replace any of them for one generation
(``[population.traits.gen_z]``). This module reads them and draws every consumer's traits at once.

Paying for values and saying so in public are separate traits on purpose: survey data from Korea
show older consumers buying as ethically as the young while the young express and boycott more.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from scipy.stats import norm

from simulator.scenario import GENERATIONS, VALUE_DIMENSIONS
from simulator.scenario import Population as PopulationSpec


@cache
def calibration() -> dict[str, Any]:
    """The bundled trait calibration (parsed once)."""
    text = resources.files("simulator").joinpath("data/generations.toml").read_text()
    return tomllib.loads(text)


def wtp_fit(willing_any: np.ndarray, willing_10pct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normal (mu, sigma) of the stated premium with P(W > 0) = ``willing_any`` and
    P(W >= 0.10) = ``willing_10pct`` (shares of people, per generation)."""
    za = norm.ppf(np.asarray(willing_any, dtype=float))
    zb = norm.ppf(np.asarray(willing_10pct, dtype=float))
    sigma = 0.10 / (za - zb)
    return sigma * za, sigma


def survey_shares() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The stated-WTP survey shares the defaults are fitted to (a = P(W > 0), b = P(W >= 10%)), after
    shrinking thin subsamples toward their neighbour; and the generations so shrunk."""
    cal = calibration()["wtp_values"]
    a = _by_generation(cal["willing_any"])
    b = _by_generation(cal["willing_10pct"])
    w = float(cal["shrink_weight"])
    thin = []
    for g, toward in cal.get("thin_data", {}).items():
        k, t = GENERATIONS.index(g), GENERATIONS.index(toward)
        a[k] = (1 - w) * a[k] + w * a[t]
        b[k] = (1 - w) * b[k] + w * b[t]
        thin.append(g)
    return a, b, thin


@dataclass(frozen=True)
class GenerationParams:
    """Per-generation distribution parameters (one entry per generation, in GENERATIONS order)."""

    wtp_mu: np.ndarray
    wtp_sigma: np.ndarray
    say_do: np.ndarray
    price_sensitivity: np.ndarray
    value_weights: np.ndarray  # (5, 3) mean weights
    delay_zero_share: np.ndarray
    delay_mean_days: np.ndarray
    social_media_share: np.ndarray
    posting_propensity: np.ndarray
    values_posting: np.ndarray
    susceptibility: np.ndarray
    need_interval_factor: np.ndarray
    customisation_preference: np.ndarray
    loyalty: np.ndarray
    boycott_propensity: np.ndarray
    boycott_sympathy: np.ndarray
    boycott_mean_days: np.ndarray
    buycott_propensity: np.ndarray
    support_rate: np.ndarray


def _by_generation(table: dict[str, Any]) -> np.ndarray:
    return np.array([table[g] for g in GENERATIONS], dtype=float)


def generation_params(spec: PopulationSpec | None = None) -> GenerationParams:
    """The calibrated parameters with the scenario's per-generation overrides applied."""
    cal = calibration()
    dt = cal["delay_tolerance"]
    a, b, _ = survey_shares()
    mu, sigma = wtp_fit(a, b)
    base = {
        "wtp_mu": mu,
        "wtp_sigma": sigma,
        "say_do": np.full(len(GENERATIONS), float(cal["say_do"]["value"])),
        "price_sensitivity": _by_generation(cal["price_sensitivity"]["median"]),
        "value_weights": np.array([cal["value_weights"]["mean"][g] for g in GENERATIONS], float),
        "delay_zero_share": _by_generation(dt["zero_share_by_generation"]),
        "delay_mean_days": _by_generation(dt["mean_days_by_generation"]),
        "social_media_share": _by_generation(cal["social_media"]["share"]),
        "posting_propensity": _by_generation(cal["posting"]["experience"]),
        "values_posting": _by_generation(cal["posting"]["values"]),
        "susceptibility": _by_generation(cal["susceptibility"]["value"]),
        "need_interval_factor": _by_generation(cal["need_interval"]["factor"]),
        "customisation_preference": _by_generation(cal["customisation"]["mean"]),
        "loyalty": _by_generation(cal["loyalty"]["mean"]),
        "boycott_propensity": _by_generation(cal["boycott"]["join"]),
        "boycott_sympathy": _by_generation(cal["boycott"]["sympathy"]),
        "boycott_mean_days": _by_generation(cal["boycott"]["mean_days"]),
        "buycott_propensity": _by_generation(cal["buycott"]["propensity"]),
        "support_rate": _by_generation(cal["buycott"]["support_rate"]),
    }
    if spec is not None:
        for k, g in enumerate(GENERATIONS):
            over = getattr(spec.traits, g)
            for f in fields(GenerationParams):
                v = getattr(over, f.name, None)
                if v is not None:
                    base[f.name][k] = np.asarray(v, dtype=float)
    w = base["value_weights"]
    sums = w.sum(axis=1, keepdims=True)
    base["value_weights"] = np.where(sums > 0, w / np.where(sums > 0, sums, 1.0), 1.0 / w.shape[1])
    base["boycott_sympathy"] = np.maximum(base["boycott_sympathy"], base["boycott_propensity"])
    return GenerationParams(**base)


@dataclass(frozen=True)
class Traits:
    """Trait columns for a population (one row per consumer)."""

    generation: np.ndarray  # int8 index into GENERATIONS
    birth_year: np.ndarray  # int16, uniform within the generation's birth years
    wtp_stated: np.ndarray  # stated premium (share of the reference price; negative: none)
    wtp_values: np.ndarray  # premium paid for a perfectly aligned firm (0 for those who do not act)
    price_sensitivity: np.ndarray  # utility per unit of price / reference price
    value_weights: np.ndarray  # (n, 3) weights over VALUE_DIMENSIONS, rows sum to 1
    delay_tolerance: np.ndarray  # extra days accepted beyond standard delivery
    social_media: np.ndarray  # bool: on social media (posts and sees posts)
    posting_propensity: np.ndarray  # chance of posting about a notable experience
    values_posting: np.ndarray  # chance of showing one's values when taking a stand
    susceptibility: np.ndarray  # multiplier of peer effects
    need_interval: np.ndarray  # mean days between needs
    customisation_preference: np.ndarray  # utility (price units) of a fully customised variant
    loyalty: np.ndarray  # utility bonus for the firm of a satisfying last purchase
    boycott_propensity: np.ndarray  # chance of joining a boycott at once on learning of a scandal
    boycott_sympathy: np.ndarray  # chance of sympathising with it (may join later, pushed by peers)
    boycott_leave: np.ndarray  # daily chance that a boycotter gives up
    buycott_propensity: np.ndarray  # chance of joining a buycott on learning of a virtuous act
    support_rate: np.ndarray  # daily chance of a support purchase while a strong buycotter


def draw_generations(n: int, mix: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Generation index of ``n`` consumers: exact counts by the mix (largest remainder), shuffled."""
    shares = np.asarray(mix, dtype=float)
    counts = np.floor(shares * n).astype(np.int64)
    rest = n - counts.sum()
    order = np.argsort(-(shares * n - counts), kind="stable")
    counts[order[:rest]] += 1
    gens = np.repeat(np.arange(len(shares), dtype=np.int8), counts)
    rng.shuffle(gens)
    return gens


def draw_traits(
    generation: np.ndarray,
    rng: np.random.Generator,
    value_intensity: float = 1.0,
    spec: PopulationSpec | None = None,
) -> Traits:
    """Draw every consumer's traits from their generation's distributions.

    Args:
        generation: generation index per consumer.
        rng: the consumers' stream.
        value_intensity: multiplies every willingness to pay for values.
        spec: the population section (per-generation overrides, birth years, need interval).
    """
    cal = calibration()
    gp = generation_params(spec)
    g = generation
    n = len(g)
    stated = rng.normal(gp.wtp_mu[g], gp.wtp_sigma[g])
    ps = cal["price_sensitivity"]
    price_sensitivity = gp.price_sensitivity[g] * np.exp(ps["log_sd"] * rng.standard_normal(n))
    # Dirichlet rows with per-generation means: normalised gammas (vectorised over generations).
    alpha = gp.value_weights[g] * float(cal["value_weights"]["concentration"])
    gam = rng.standard_gamma(np.maximum(alpha, 1e-9))
    weights = gam / np.maximum(gam.sum(axis=1, keepdims=True), 1e-300)
    zero = rng.random(n) < gp.delay_zero_share[g]
    tolerance = np.where(zero, 0.0, rng.exponential(1.0, n) * gp.delay_mean_days[g])
    social = rng.random(n) < gp.social_media_share[g]
    years = np.array(
        [getattr(spec.birth_years, x) if spec else cal["birth_years"][x] for x in GENERATIONS]
    )
    lo, hi = years[g, 0], years[g, 1]
    birth_year = (lo + np.floor(rng.random(n) * (hi - lo + 1))).astype(np.int16)
    mean_need = spec.mean_need_interval_days if spec else 30.0
    customisation = rng.exponential(1.0, n) * gp.customisation_preference[g]
    loyalty = rng.exponential(1.0, n) * gp.loyalty[g]
    # say-do: a consumer acts on the stated premium with probability say_do (a share of people)
    acts = rng.random(n) < gp.say_do[g]
    wtp_values = np.where(acts, np.maximum(stated, 0.0), 0.0) * value_intensity
    assert weights.shape[1] == len(VALUE_DIMENSIONS)
    return Traits(
        generation=g,
        birth_year=birth_year,
        wtp_stated=stated,
        wtp_values=wtp_values,
        price_sensitivity=price_sensitivity,
        value_weights=weights,
        delay_tolerance=tolerance,
        social_media=social,
        posting_propensity=gp.posting_propensity[g].copy(),
        values_posting=gp.values_posting[g].copy(),
        susceptibility=gp.susceptibility[g].copy(),
        need_interval=mean_need * gp.need_interval_factor[g],
        customisation_preference=customisation,
        loyalty=loyalty,
        boycott_propensity=gp.boycott_propensity[g].copy(),
        boycott_sympathy=gp.boycott_sympathy[g].copy(),
        boycott_leave=-np.expm1(-1.0 / gp.boycott_mean_days[g]),
        buycott_propensity=gp.buycott_propensity[g].copy(),
        support_rate=gp.support_rate[g].copy(),
    )
