"""Scheduled shocks: what happens to a firm or the market on a given day.

A scandal (the firm's ethics found wanting) lowers its ethics profile and its public reputation
and becomes news: consumers learn of it from the media and from each other, and some boycott the
firm (:mod:`simulator.market.boycott`). A viral ethical act raises the ethics profile and starts a
buycott the same way. A supply disruption stops the firm's supplier for a while; a demand shift
changes how often consumers need the product for a while. Each event is applied at the start of
its day, before the day's purchases (see :mod:`simulator.model`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from simulator.scenario import Event

if TYPE_CHECKING:
    from simulator.firms.firm import Firm
    from simulator.market.population import Population


class EventSchedule:
    """The scenario's events, applied day by day.

    Args:
        events: the scenario's events.
        firms: the model's firms (events name them).
        population: the consumers (demand shifts act on them).
    """

    def __init__(self, events: Sequence[Event], firms: Sequence[Firm], population: Population) -> None:
        self.by_day: dict[int, list[Event]] = defaultdict(list)
        for ev in events:
            self.by_day[ev.day].append(ev)
        self.firms = {f.name: f for f in firms}
        self.population = population
        self._shift_ends: dict[int, float] = {}
        self.log: list[tuple[int, str, str | None]] = []
        """(day, kind, firm) of every event applied."""

    def apply(self, day: int) -> None:
        """Apply the events of ``day`` and end demand shifts that expire on it."""
        if day in self._shift_ends:
            self.population.need_rate /= self._shift_ends.pop(day)
        for ev in self.by_day.get(day, ()):
            firm = self.firms.get(ev.firm) if ev.firm else None
            if ev.kind == "scandal" and firm is not None:
                firm.ethics = np.clip(firm.ethics - ev.magnitude, 0.0, 1.0)
                drop = ev.magnitude * self.population.social.scandal_reputation_factor
                firm.reputation = float(np.clip(firm.reputation - drop, 0.0, 1.0))
                self.population.start_issue(day, firm.index, -1, ev.magnitude)
            elif ev.kind == "virtue" and firm is not None:
                firm.ethics = np.clip(firm.ethics + ev.magnitude, 0.0, 1.0)
                rise = ev.magnitude * self.population.social.scandal_reputation_factor
                firm.reputation = float(np.clip(firm.reputation + rise, 0.0, 1.0))
                self.population.start_issue(day, firm.index, +1, ev.magnitude)
            elif ev.kind == "supply_disruption" and firm is not None:
                firm.plant.disrupt_supplier(until=day + ev.duration_days)
            elif ev.kind == "demand_shift":
                factor = max(ev.magnitude, 1e-9)
                self.population.need_rate *= factor
                end = day + ev.duration_days
                self._shift_ends[end] = self._shift_ends.get(end, 1.0) * factor
            self.log.append((day, ev.kind, ev.firm))
