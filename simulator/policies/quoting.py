"""Delivery quotes from the real pipeline, to a stated reliability.

Picture the order desk answering "when will it arrive?". It looks at what it has: units on the
shelf, the queue of orders already promised them, and the batches in the plant with the dates they
are due out (release date plus the replenishment lead time the office measures). The day's new
orders stand behind the queue; if the shelf covers them, the answer is the shipping time; if not, it
is the date the batch that will cover them is due, plus shipping. That estimate is biased and
noisy (batches wait for material, machines break), so the desk adds a safety margin learned from its
own record: the ``reliability`` quantile of how much later than estimated the orders that waited were
ready (Hopp & Roof Sturgis, "A simple, robust leadtime-quoting policy", *Manufacturing & Service
Operations Management* 3(4), 2001: a lead-time estimate from the work ahead plus a safety lead time
tuned to a service target). Quotes are whole days and lateness is judged by calendar day, so an
order placed on day ``d`` and quoted ``q`` days is on time when it arrives by the end of day
``d + q``.

Every policy quotes this way, so the market sees both supply chains the same way: a make-to-stock
firm with stock quotes the shipping time, and one that has run out says so.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from simulator.policies.measure import LeadTime

if TYPE_CHECKING:
    from simulator.firms.firm import Firm
    from simulator.firms.orders import OrderBook

ERROR_DAYS = 56
"""Days of booking whose waiting orders' estimation errors the safety margin is read from: eight
weeks, long enough to hold the rare bad days that decide a 95 % quantile."""
MIN_SAMPLES = 20
"""Below this many, the margin is the lead time's standard deviation times the normal quantile."""


class Quoter:
    """A firm's order desk: the day's quote from stock, queue and pipeline, to a reliability.

    Args:
        reliability: the share of orders that should arrive by their quoted calendar day.
    """

    def __init__(self, reliability: float) -> None:
        if not 0.0 < reliability < 1.0:
            raise ValueError(f'"reliability" must be in (0, 1), got {reliability}')
        self.reliability = reliability
        self.errors: deque[tuple[int, np.ndarray]] = deque()
        """(day booked, ready time minus estimated ready time in days) of orders that waited."""
        self._estimates: dict[int, float] = {}
        """Estimated days to ready of the last order expected, by day quoted."""
        self._pending: deque[tuple[int, np.ndarray]] = deque()
        """(day, order ids that waited) not yet ready."""
        self._seen = 0
        """Orders of the firm's book already sorted into pending or not."""
        self._margin: tuple[int, float] | None = None
        """(day, margin) computed for the day (the errors change once a day)."""
        self._book: OrderBook | None = None
        """The order book this quoter has pinned (see :meth:`OrderBook.compact`)."""

    def _pin(self) -> int:
        """The lowest order id :meth:`learn` will read again."""
        return min([self._seen, *(int(ids.min()) for _, ids in self._pending if len(ids))])

    def ready_in(self, firm: Firm, need: float, lead: LeadTime, next_release: float) -> float:
        """Days from now until ``need`` more units, behind the queue, are ready to ship.

        Units on the shelf are ready now; batches of the standard variant in the plant are due at
        their release time plus the mean lead time (never before now, and never before the plant,
        working first come first served at its capacity, can make them and the units ahead of
        them); what they cannot cover comes from the next release (at ``next_release``), due a
        lead time later.
        """
        now = firm.env.now
        short = firm.orders.backlog_units(0) + need - int(firm.on_hand[0])
        if short <= 0:
            return 0.0
        wo = firm.plant.orders
        open_ = np.isnan(wo["completed"]) & (wo["variant"] == 0)
        released = wo["released"][open_]
        qty = wo["qty"][open_]
        order = np.argsort(released, kind="stable")
        cum = np.cumsum(qty[order])
        k = int(np.searchsorted(cum, short))
        # the plant works first come, first served at its capacity: the units ahead of the one
        # needed take at least their work content, however short the measured lead time
        cap = firm.plant.capacity_per_day
        ahead = firm.plant.units_in_process - (int(cum[-1]) if len(cum) else 0)
        if k < len(cum):
            due = max(now, float(released[order][k]) + lead.mean)
            work = (ahead + float(cum[k])) / cap if cap > 0 else 0.0
        else:
            due = max(now, next_release) + lead.mean
            work = (firm.plant.units_in_process + short - (int(cum[-1]) if len(cum) else 0)) / cap
            work = work if cap > 0 else 0.0
        return max(due, now + work) - now

    def margin(self, lead: LeadTime, day: int | None = None) -> float:
        """Safety margin (days): the reliability quantile of past estimation errors (never < 0)."""
        if day is not None and self._margin is not None and self._margin[0] == day:
            return self._margin[1]
        value = self._margin_now(lead)
        if day is not None:
            self._margin = (day, value)
        return value

    def _margin_now(self, lead: LeadTime) -> float:
        errors = [e for _, e in self.errors]
        if errors and sum(len(e) for e in errors) >= MIN_SAMPLES:
            return max(float(np.quantile(np.concatenate(errors), self.reliability)), 0.0)
        from scipy.stats import norm

        return max(float(norm.ppf(self.reliability)) * lead.sd, 0.0)

    def quote(
        self, firm: Firm, need: float, lead: LeadTime, next_release: float, record: bool = True
    ) -> float:
        """Whole days to promise for an order placed now that stands ``need`` units behind the queue.

        ``record``: this is the day's quote, whose estimate the orders that wait are judged by
        (a re-quote at a stock-out is not).
        """
        self.learn(firm)
        est = self.ready_in(firm, need, lead, next_release)
        ship = firm.spec.factory.shipping_days
        day = math.floor(firm.env.now)
        if record:
            self._estimates[day] = est
        if est <= 0.0:
            return float(ship)
        ready = firm.env.now + est + self.margin(lead, day)
        # on time when it arrives by the end of the promised calendar day
        return float(max(math.floor(ready + ship) - day, ship))

    def learn(self, firm: Firm) -> None:
        """Record the estimation error of every order that waited and is now ready."""
        o = firm.orders
        if self._book is not o:  # the book keeps every order this quoter will read again
            self._book = o
            o.pins.append(self._pin)
        now = firm.env.now
        # orders booked before today, not yet sorted: those that waited go to pending
        placed = o.placed[self._seen - o.base :]
        new = np.flatnonzero(placed < math.floor(now)) + self._seen
        if len(new):
            waited = new[~o.get("from_stock", new)]  # filled at booking from stock: no wait
            days = np.floor(o.get("placed", waited)).astype(np.int64)
            for d in np.unique(days).tolist():
                self._pending.append((d, waited[days == d]))
            self._seen = int(new[-1]) + 1
        keep: deque[tuple[int, np.ndarray]] = deque()
        for d, ids in self._pending:
            filled = o.get("filled", ids)
            gone = ~np.isnan(o.get("cancelled", ids))
            done = ~np.isnan(filled)
            est = self._estimates.get(d)
            if est is not None and done.any():
                self.errors.append((d, filled[done] - d - est))
            rest = ids[~done & ~gone]
            if len(rest):
                keep.append((d, rest))
        self._pending = keep
        while self.errors and self.errors[0][0] < math.floor(now) - ERROR_DAYS:
            self.errors.popleft()
        for d in [d for d in self._estimates if d < math.floor(now) - 400]:
            del self._estimates[d]
