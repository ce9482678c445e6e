"""Advertising goodwill: marketing spend builds a stock of awareness that decays (Nerlove-Arrow).

Picture a brand's advertising as water poured into a leaking bucket: each day's spend adds to the
goodwill stock and a fixed share of the stock leaks away (people forget), so a steady spend holds the
stock at spend / decay, and stopping it lets the stock fall by half every ln 2 / decay days
(Nerlove & Arrow, "Optimal advertising policy under dynamic conditions", *Economica* 29, 1962).
The goodwill enters every consumer's utility for the firm's offers as its ``appeal`` with
diminishing returns, ``w * ln(1 + G / G0)``, so that the elasticity of a firm's share to its
goodwill is about ``w * (1 - share)`` once ``G`` is well above ``G0``. The defaults put that near the
mean short-run advertising elasticity of 0.12 (Sethuraman, Tellis & Briesch, "How well does
advertising work? Generalizations from meta-analysis of brand advertising elasticities", *Journal
of Marketing Research* 48(3), 2011) and its half-life at about 45 days (Clarke, "Econometric
measurement of the duration of advertising effect on sales", *JMR* 13, 1976: 90 % of the effect
gone within 3 to 9 months); see :class:`simulator.scenario.Marketing`.
"""

from __future__ import annotations

import math

from simulator.scenario import Marketing


def steady_goodwill(spend_per_day: float, spec: Marketing) -> float:
    """The goodwill a steady daily spend holds: spend / decay."""
    return spend_per_day / spec.goodwill_decay_per_day if spec.goodwill_decay_per_day > 0 else 0.0


def next_goodwill(goodwill: float, spent: float, spec: Marketing) -> float:
    """Tomorrow's goodwill: today's, less the day's decay, plus the day's spend."""
    return goodwill * (1.0 - spec.goodwill_decay_per_day) + spent


def appeal(goodwill: float, spec: Marketing) -> float:
    """The utility every consumer adds to the firm's offers for its goodwill."""
    return spec.appeal_per_log_goodwill * math.log1p(max(goodwill, 0.0) / spec.goodwill_scale)
