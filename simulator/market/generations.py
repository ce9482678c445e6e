"""Generations: the cohorts consumers belong to and the trait distributions each one brings.

A generation is a birth cohort (Pew's cut-offs by default) whose members share a distribution for
each trait: how much more they pay for a firm whose values they share, how sensitive they are to
price, how long they will wait. The numbers live in ``simulator/data/generations.toml``, each with its
source; this module reads them and draws consumers' traits from them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from simulator.scenario import GENERATIONS, VALUE_DIMENSIONS


@cache
def calibration() -> dict[str, Any]:
    """The bundled trait calibration (parsed once)."""
    text = resources.files("simulator").joinpath("data/generations.toml").read_text()
    return tomllib.loads(text)


@dataclass(frozen=True)
class Traits:
    """Trait columns for a population (one row per consumer)."""

    generation: np.ndarray  # int8 index into GENERATIONS
    wtp_values: np.ndarray  # premium share of the reference price for a perfectly aligned firm
    price_sensitivity: np.ndarray  # utility per unit of price / reference price
    value_weights: np.ndarray  # (n, 3) weights over VALUE_DIMENSIONS, rows sum to 1
    delay_tolerance: np.ndarray  # extra days accepted beyond standard delivery


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


def _by_generation(table: dict[str, float]) -> np.ndarray:
    return np.array([table[g] for g in GENERATIONS], dtype=float)


def draw_traits(
    generation: np.ndarray, rng: np.random.Generator, value_intensity: float = 1.0
) -> Traits:
    """Draw every consumer's traits from their generation's calibrated distributions."""
    cal = calibration()
    n = len(generation)
    wtp = cal["wtp_values"]
    stated = rng.normal(_by_generation(wtp["mu"])[generation], _by_generation(wtp["sigma"])[generation])
    wtp_values = np.maximum(stated, 0.0) * cal["say_do"]["value"] * value_intensity
    ps = cal["price_sensitivity"]
    price_sensitivity = _by_generation(ps["median"])[generation] * np.exp(
        ps["log_sd"] * rng.standard_normal(n)
    )
    weights = rng.dirichlet(np.ones(len(VALUE_DIMENSIONS)), n)
    dt = cal["delay_tolerance"]
    zero = rng.random(n) < dt["zero_share"]
    tolerance = np.where(zero, 0.0, rng.exponential(dt["mean_days"], n))
    return Traits(generation, wtp_values, price_sensitivity, weights, tolerance)
