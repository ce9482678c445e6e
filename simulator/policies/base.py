"""The policy protocol: what every supply-chain policy does for its firm.

A policy is the planning office of a firm. At each of its reviews it looks at what the firm can
see (its own sales history, stock, work in process, backlog) and releases work orders to the plant;
whenever the market asks, it says what delivery time the firm quotes. Policies are chosen by name
from :mod:`simulator.policies.registry`; a scenario never names code.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Protocol

import numpy as np
import simpy

if TYPE_CHECKING:
    from simulator.firms.firm import Firm

REVIEW_OFFSET = 0.5
"""Reviews happen at ``k * review_days + REVIEW_OFFSET``: mid-day, after the day's purchases."""


class Policy(Protocol):
    """What the model needs from a policy."""

    name: str

    def start(self, firm: Firm, env: simpy.Environment) -> None:
        """Schedule the policy's reviews as SimPy processes."""

    def quote(self, firm: Firm) -> float:
        """Delivery time (days) the firm promises for an order placed now."""
        ...


class PeriodicPolicy:
    """Base for policies that review every ``review_days`` days on an integer grid.

    Subclasses implement :meth:`review`. Review ``k`` happens at exactly
    ``k * review_days + REVIEW_OFFSET`` (never by adding floats up), so it falls inside day
    ``k * review_days``, after that day's consumer purchases.
    """

    name = "periodic"
    review_days: int = 1

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.decisions: list[dict[str, object]] = []
        """One entry per review: time, inputs, quantity released and the rule that decided it."""

    def start(self, firm: Firm, env: simpy.Environment) -> None:
        env.process(self._loop(firm, env))

    def _loop(self, firm: Firm, env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        k = 0
        while True:
            at = k * self.review_days + REVIEW_OFFSET
            yield env.timeout(at - env.now)
            firm.plant.log.append((env.now, "review", -1, 0))
            self.review(firm)
            k += 1

    def review(self, firm: Firm) -> None:
        """Decide work orders now."""
        raise NotImplementedError

    def quote(self, firm: Firm) -> float:
        return firm.spec.factory.shipping_days
