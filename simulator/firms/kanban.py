"""Kanban cards: the authorisations that let work into a stage of the plant.

Picture a rack of cards beside each station of a line (Hopp and Spearman, *Factory Physics*, ch. 4
and 10). A station may start a unit only with one of its own cards attached; the card stays with the
unit while the station works on it and while the finished unit waits in the station's outbound stock
point, and comes back when the next station (or, at the last station, a customer) takes the unit
away. So each station holds at most as many units as it has cards, a unit that is done waits at its
station until the next one has a card free (it is *blocked*), and the line makes nothing that no one
downstream has asked for. The last station's outbound stock point is the finished-goods store: its
cards are the buffer, returned when an order is filled from it.

A :class:`CardPool` is one station's rack: ``cards`` in all, ``in_use`` attached to units, and a
first-come first-served queue of units waiting for a card (units that need several cards wait whole).
The number of cards may change while the line runs (a planner resizes the buffer): a pool with fewer
cards than are in use simply grants none until enough come back.
"""

from __future__ import annotations

from collections import deque

import simpy


class CardPool:
    """One stage's kanban cards.

    Args:
        env: the simulation environment.
        cards: cards in the rack (>= 1).
        in_use: cards already attached to units at the start (finished goods on hand, say).
    """

    def __init__(self, env: simpy.Environment, cards: int, in_use: int = 0) -> None:
        if cards < 1:
            raise ValueError(f'"cards" must be >= 1, got {cards}')
        if in_use < 0:
            raise ValueError(f'"in_use" must be >= 0, got {in_use}')
        self.env = env
        self.cards = cards
        self.in_use = in_use
        self._waiting: deque[tuple[int, simpy.Event]] = deque()

    @property
    def free(self) -> int:
        """Cards in the rack now (never negative, even after the rack was made smaller)."""
        return max(self.cards - self.in_use, 0)

    @property
    def waiting(self) -> int:
        """Cards asked for by units still waiting."""
        return sum(n for n, _ in self._waiting)

    def take(self, n: int) -> simpy.Event:
        """An event that succeeds when ``n`` cards are attached to the asking unit(s), first come first
        served (already succeeded when they are free now and nobody waits before)."""
        if n < 1:
            raise ValueError(f"a unit needs at least one card, asked for {n}")
        ev = self.env.event()
        self._waiting.append((n, ev))
        self._grant()
        return ev

    def give_back(self, n: int) -> None:
        """``n`` cards come back to the rack (their units left the stage's stock point)."""
        if n > self.in_use:
            raise ValueError(f"{n} cards given back but only {self.in_use} in use")
        self.in_use -= n
        self._grant()

    def resize(self, cards: int) -> None:
        """The rack holds ``cards`` from now on."""
        if cards < 1:
            raise ValueError(f'"cards" must be >= 1, got {cards}')
        self.cards = cards
        self._grant()

    def _grant(self) -> None:
        while self._waiting and self._waiting[0][0] <= self.cards - self.in_use:
            n, ev = self._waiting.popleft()
            self.in_use += n
            ev.succeed()
