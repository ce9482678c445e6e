"""Demand sensing: what a firm can learn about tomorrow's demand from what it can see today.

Picture a demand planner with two screens: the firm's own order desk (every order and support
purchase placed with it, every cancellation) and a social-listening dashboard (public posts about
any firm, boycotts and buycotts announced). She cannot see inside consumers' heads, their needs, value
weights or patience. A :class:`MarketFeed` is that pair of screens over the consumer event log: it
answers daily counts of public kinds for any firm, and of private kinds (orders, waits, cancellations,
deliveries, support purchases) for its own firm only. A policy gets a feed and nothing else from the
market, so demand sensing cannot touch the population even by mistake.

The sensed daily demand is a linear read of the last ``sensing_days`` days:
``sum over kinds k of weight_k * mean daily count of k``, with the standard deviation of the daily
weighted sum as its spread. With the default weights (purchases 1, boycott joins -0.25, buycott
joins 0.25) a boycott wave lowers the forecast at once, before it shows in a month of sales.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np

from simulator.policies.forecasting import Forecast

if TYPE_CHECKING:
    from simulator.firms.firm import Firm

# Kind codes of the consumer event log (simulator.market.eventlog.EventKind), by lower-case name.
# Kept here as data so that policies depend on the log's format, not on the market's code.
KIND_CODES: dict[str, int] = {
    "purchase": 0,
    "wait": 1,
    "cancel": 2,
    "delivery": 3,
    "post_positive": 4,
    "post_negative": 5,
    "post_values": 6,
    "boycott_join": 7,
    "boycott_leave": 8,
    "support_purchase": 9,
    "buycott_join": 10,
    "aware": 11,
}
PRIVATE_KINDS = frozenset({"purchase", "wait", "cancel", "delivery", "support_purchase"})
"""Kinds only the firm that took the order sees (its own order desk)."""


class CountSource(Protocol):
    """Anything that answers daily event counts (the consumer event log does)."""

    def daily_counts(self, kind: int, firm: int | None, first_day: int, last_day: int) -> np.ndarray:
        """Events of ``kind`` for ``firm`` on each day ``first_day..last_day`` inclusive."""
        ...


class Feed(Protocol):
    """What a policy may read about the market."""

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        """Daily counts of ``kind`` for ``firm`` (default: the reader's own firm)."""
        ...


class MarketFeed:
    """One firm's view of the consumer event log: public kinds for anyone, private kinds for itself.

    Args:
        log: the event log (only its ``daily_counts`` is used).
        firm: index of the firm that reads.
    """

    def __init__(self, log: CountSource, firm: int) -> None:
        self._log = log
        self.firm = firm

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        who = self.firm if firm is None else firm
        if kind not in KIND_CODES:
            raise ValueError(f"unknown event kind {kind!r}")
        if kind in PRIVATE_KINDS and who != self.firm:
            raise PermissionError(f"firm {self.firm} cannot see {kind!r} events of firm {who}")
        return np.asarray(self._log.daily_counts(KIND_CODES[kind], who, first_day, last_day))


class OwnOrdersFeed:
    """A feed from the firm's own order book alone, for markets that keep no consumer event log.

    It knows purchases and cancellations (its own desk); public kinds read as zero.
    """

    def __init__(self, firm: Firm) -> None:
        self._firm = firm

    def counts(self, kind: str, first_day: int, last_day: int, firm: int | None = None) -> np.ndarray:
        if kind not in KIND_CODES:
            raise ValueError(f"unknown event kind {kind!r}")
        n = max(last_day - first_day + 1, 0)
        out = np.zeros(n, dtype=np.int64)
        if n == 0 or (firm is not None and firm != self._firm.index):
            return out
        o = self._firm.orders
        if kind == "purchase":
            days = np.floor(o.placed).astype(np.int64)
        elif kind == "cancel":
            c = o.cancelled
            days = np.floor(c[~np.isnan(c)]).astype(np.int64)
        else:
            return out
        days = days[(days >= first_day) & (days <= last_day)]
        return np.bincount(days - first_day, minlength=n).astype(np.int64)


def sensed_demand(feed: Feed, day: int, days: int, weights: Mapping[str, float]) -> Forecast:
    """Daily demand sensed from the last ``days`` days up to and including ``day``."""
    first = max(day - days + 1, 0)  # before day 0 there was no market, not a market of zero
    total = np.zeros(day - first + 1, dtype=float)
    for kind, w in weights.items():
        if w:
            total += w * feed.counts(kind, first, day)
    total = np.maximum(total, 0.0)  # demand is never negative, whatever the signals say
    sd = float(total.std(ddof=1)) if len(total) > 1 else 0.0
    parts = ", ".join(f"{w:g} x {k}" for k, w in weights.items() if w)
    mean = float(total.mean()) if len(total) else 0.0
    return Forecast(mean, sd, f"sensed over {len(total)} days ({parts})")
