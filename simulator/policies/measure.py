"""What the planning office measures: how long replenishment really takes, and how much it varies.

A planner who sets stock for "five days of lead time" when the plant takes eight runs out on every
cycle; one who reads the dates on the work orders does not. This module reads the firm's own work
orders (released and finished times of the batches that reached finished goods) and returns the
replenishment lead time a policy plans on: the mean time from release to finished goods of the
batches finished in a recent window, weighted by their units, with its standard deviation. Material
waits, queues, set-ups, breakdowns and shifts are all in it, because they are all in the dates.
Before any batch has finished the planner falls back on a prior: the supplier's mean lead time plus
the time to make one review period's demand at the plant's capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


@dataclass(frozen=True)
class LeadTime:
    """Replenishment lead time in days: mean, standard deviation, and how it was obtained."""

    mean: float
    sd: float
    batches: int
    """Finished batches it was measured on (0: the prior)."""
    source: str


def prior_lead_time(firm: Firm, batch: float) -> float:
    """The lead time a planner would guess before measuring: supplier lead time plus making ``batch``."""
    supply = firm.spec.factory.supply()
    cap = firm.plant.capacity_per_day
    make = batch / cap if cap > 0 else 0.0
    return float(supply.lead_days.mean + make)


def measured_lead_time(firm: Firm, window: float, batch: float, variant: int = 0) -> LeadTime:
    """Release-to-finished time of ``variant``'s batches finished in the last ``window`` days.

    Weighted by the good units of each batch. With no finished batch in the window, the last eight
    finished batches; with none at all, :func:`prior_lead_time` for a release of ``batch`` units.
    """
    wo = firm.plant.orders
    done = ~np.isnan(wo["completed"]) & (wo["variant"] == variant) & (wo["good"] > 0)
    if not done.any():
        return LeadTime(prior_lead_time(firm, batch), 0.0, 0, "prior: supplier lead time + making")
    completed = wo["completed"][done]
    flow = completed - wo["released"][done]
    units = wo["good"][done].astype(float)
    recent = completed >= firm.env.now - window
    if not recent.any():
        recent = np.zeros(len(flow), dtype=bool)
        recent[-8:] = True
    f, w = flow[recent], units[recent]
    mean = float(np.average(f, weights=w))
    sd = float(np.sqrt(np.average((f - mean) ** 2, weights=w))) if len(f) > 1 else 0.0
    return LeadTime(mean, sd, int(recent.sum()), f"measured on {int(recent.sum())} batch(es)")


def cover_sd(daily_mean: float, daily_sd: float, cover_days: float, lead_sd: float) -> float:
    """Standard deviation of demand over a cover of ``cover_days`` with a random lead time.

    Var = cover * sigma_d^2 + mu_d^2 * sigma_L^2 (demand and lead time independent; Silver, Pyke &
    Thomas, *Inventory and Production Management in Supply Chains*, 2017, section 6.10).
    """
    return float(np.sqrt(max(cover_days, 0.0) * daily_sd**2 + (daily_mean * lead_sd) ** 2))
